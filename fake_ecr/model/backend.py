"""The root of one fake's state: every registry, keyed by account and region.

Owns the one ``threading.RLock`` all model methods take, the clock, and the
registries.  A fresh state for a test is a new ``Backend`` swapped in, never
fields cleared (docs/architecture.md#state).

Registries are stored only when something is written to them (``registry``),
at most ``max_registries`` of them; reading one that holds nothing yet
(``registry_or_empty``) answers from an empty registry that is not kept, so
naming accounts and regions costs no memory (and, above the model, no port).

ECR Public's registries (``fake_ecr.model.public``) are kept beside them, one per account
(``public_registry``): a namespace of their own, counted towards ``max_registries`` too.

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
from fake_ecr.model.public import PublicRegistry
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
        #: ECR Public's registries, one per account (``fake_ecr.model.public``): a namespace of their own
        self._public: dict[str, PublicRegistry] = {}
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
                    self._check_room(registry_id, region)
                    registry = self._registries[key] = self._empty_registry(registry_id, region)
        return registry

    def _check_room(self, registry_id: str, region: str) -> None:
        if self.max_registries is not None and len(self._registries) + len(self._public) >= self.max_registries:
            raise errors.TooManyRegistries(registry_id, region, self.max_registries)

    def public_registry(self, registry_id: str) -> PublicRegistry:
        """The account's public registry, stored empty on first use (to be written to); counts towards
        ``max_registries`` like a private one."""
        registry = self._public.get(registry_id)
        if registry is None:
            with self.lock:
                registry = self._public.get(registry_id)
                if registry is None:
                    self._check_room(registry_id, "public")
                    registry = self._public[registry_id] = self._empty_public_registry(registry_id)
        return registry

    def public_registry_or_empty(self, registry_id: str) -> PublicRegistry:
        """The stored public registry, else an empty one that is not kept (for reads)."""
        registry = self._public.get(registry_id)
        return registry if registry is not None else self._empty_public_registry(registry_id)

    def stored_public_registry(self, registry_id: str) -> PublicRegistry | None:
        """The account's public registry if something was ever written to it."""
        return self._public.get(registry_id)

    def public_registries(self) -> list[PublicRegistry]:
        with self.lock:
            return list(self._public.values())

    def public_registry_by_alias(self, alias: str) -> PublicRegistry | None:
        """The stored public registry whose alias is ``alias``, if any."""
        with self.lock:
            return next((registry for registry in self._public.values() if registry.alias == alias), None)

    def _empty_public_registry(self, registry_id: str) -> PublicRegistry:
        return PublicRegistry(registry_id, self.lock, self.clock, self.upload_space)

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
        for registry in [*self.registries(), *self.public_registries()]:
            registry.expire_uploads()

    def forget_registries(self, registry_id: str | None = None, region: str | None = None) -> list[tuple[str, str]]:
        """Drop the stored registries of ``registry_id`` in ``region`` (None: any), uploads and all, as if
        nothing had ever been written to them; returns their (account, region) pairs."""
        with self.lock:
            keys = [key for key in self._registries if registry_id in (None, key[0]) and region in (None, key[1])]
            forgotten = [self._registries.pop(key) for key in keys]
        for registry in forgotten:
            registry.drop_uploads()
        return keys

    def forget_public_registry(self, registry_id: str) -> None:
        """Drop the account's stored public registry, uploads and all, as if nothing had ever been written to it."""
        with self.lock:
            registry = self._public.pop(registry_id, None)
        if registry is not None:
            registry.drop_uploads()

    def registries(self) -> list[Registry]:
        with self.lock:
            return list(self._registries.values())

    def _pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        for listener in self.push_listeners:
            listener(registry, repository_name, result)

    def _deleted(self, registry: Registry, repository_name: str, deletion: Deletion) -> None:
        for listener in self.delete_listeners:
            listener(registry, repository_name, deletion)
