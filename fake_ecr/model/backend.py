"""The root of one fake's state: every registry, keyed by account and region.

Owns the one ``threading.RLock`` all model methods take, the clock, and the
registries.  A fresh state for a test is a new ``Backend`` swapped in, never
fields cleared (docs/architecture.md#state).

Registries are stored only when something is written to them (``registry``),
at most ``max_registries`` of them; reading one that holds nothing yet
(``registry_or_empty``) answers from an empty registry that is not kept, so
naming accounts and regions costs no memory (and, above the model, no port).

Uploads of every registry share one ``UploadSpace`` (memory and space limits,
idle timeout); ``expire_idle_uploads`` drops the abandoned ones, at most once a
``REAP_INTERVAL`` however often it is called (each request, and the server's timer).

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fake_ecr import errors
from fake_ecr.model.blobs import UploadSpace
from fake_ecr.model.clock import Clock
from fake_ecr.model.registry import Deletion, PutImageResult, Registry

#: Real seconds between two looks for idle uploads: far below any idle timeout worth setting.
REAP_INTERVAL = 1.0

#: Called after every successful push, with the lock held: (registry, repository name, result).
PushListener = Callable[[Registry, str, PutImageResult], None]
#: Called after every delete that removed tags or images (not a repository's deletion), with the lock
#: held: (registry, repository name, what it removed).
DeleteListener = Callable[[Registry, str, Deletion], None]


class Backend:
    """All registries of one fake ECR (one per account and region)."""

    def __init__(
        self, clock: Clock | None = None, *, max_registries: int | None = None, upload_space: UploadSpace | None = None
    ) -> None:
        self.clock = clock if clock is not None else Clock()
        #: the bytes uploads in progress hold, over every registry, and their limits
        self.upload_space = upload_space if upload_space is not None else UploadSpace()
        self._next_reap = time.monotonic() + REAP_INTERVAL
        #: how many registries may be stored (None: no limit)
        self.max_registries = max_registries
        self.lock = threading.RLock()
        self._registries: dict[tuple[str, str], Registry] = {}
        self.push_listeners: list[PushListener] = []
        self.delete_listeners: list[DeleteListener] = []

    def registry(self, registry_id: str, region: str) -> Registry:
        """The registry of ``registry_id`` in ``region``, stored empty on first use (to be written to).

        Raises ``TooManyRegistries`` when storing it would pass ``max_registries``.
        """
        key = (registry_id, region)
        registry = self._registries.get(key)
        if registry is None:
            with self.lock:
                registry = self._registries.get(key)
                if registry is None:
                    if self.max_registries is not None and len(self._registries) >= self.max_registries:
                        raise errors.TooManyRegistries(registry_id, region, self.max_registries)
                    registry = self._registries[key] = self._empty_registry(registry_id, region)
        return registry

    def stored_registry(self, registry_id: str, region: str) -> Registry | None:
        """The registry of ``registry_id`` in ``region`` if something was ever written to it."""
        return self._registries.get((registry_id, region))

    def registry_or_empty(self, registry_id: str, region: str) -> Registry:
        """The stored registry, else an empty one that is not kept: for reads, which must not store anything."""
        registry = self._registries.get((registry_id, region))
        return registry if registry is not None else self._empty_registry(registry_id, region)

    def _empty_registry(self, registry_id: str, region: str) -> Registry:
        return Registry(
            registry_id,
            region,
            self.lock,
            self.clock,
            on_push=self._pushed,
            on_delete=self._deleted,
            upload_space=self.upload_space,
        )

    def expire_idle_uploads(self) -> None:
        """Drop uploads idle too long (``Registry.expire_uploads``), unless that was looked at under a
        ``REAP_INTERVAL`` ago: cheap enough for every request."""
        now = time.monotonic()
        if now < self._next_reap:
            return
        self._next_reap = now + REAP_INTERVAL
        for registry in self.registries():
            registry.expire_uploads()

    def registries(self) -> list[Registry]:
        with self.lock:
            return list(self._registries.values())

    def _pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        for listener in self.push_listeners:
            listener(registry, repository_name, result)

    def _deleted(self, registry: Registry, repository_name: str, deletion: Deletion) -> None:
        for listener in self.delete_listeners:
            listener(registry, repository_name, deletion)
