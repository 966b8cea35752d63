"""The root of one fake's state: every registry, keyed by account and region.

Owns the one ``threading.RLock`` all model methods take, the clock, and the
registries, created on first use.  A fresh state for a test is a new
``Backend`` swapped in, never fields cleared (design.md "State").

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fake_ecr.clock import Clock
from fake_ecr.model.registry import PutImageResult, Registry

#: Called after every successful push, with the lock held: (registry, repository name, result).
PushListener = Callable[[Registry, str, PutImageResult], None]


class Backend:
    """All registries of one fake ECR (one per account and region)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock if clock is not None else Clock()
        self.lock = threading.RLock()
        self._registries: dict[tuple[str, str], Registry] = {}
        self.push_listeners: list[PushListener] = []

    def registry(self, registry_id: str, region: str) -> Registry:
        """The registry of ``registry_id`` in ``region``, created empty on first use."""
        key = (registry_id, region)
        registry = self._registries.get(key)
        if registry is None:
            with self.lock:
                registry = self._registries.setdefault(
                    key, Registry(registry_id, region, self.lock, self.clock, self._pushed)
                )
        return registry

    def registries(self) -> list[Registry]:
        with self.lock:
            return list(self._registries.values())

    def _pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        for listener in self.push_listeners:
            listener(registry, repository_name, result)
