"""Routes botocore's ECR clients to fake-ecr from the moment botocore can make one, at no cost before.

Owns one one-shot import hook: the ``before-call`` handler of ``fake_ecr.surfaces.boto`` must be among
botocore's built-in handlers before the first session is created (sessions copy them when made), yet
importing botocore costs a pytest run that never touches ECR a sixth of a second.  So importing fake_ecr
(which the pytest plugin does in every run) only arranges for ``fake_ecr.surfaces.boto`` to be imported
right after ``botocore.handlers`` is - at once if botocore is loaded already.

Imports only the standard library; ``fake_ecr.surfaces.boto`` is imported by name when botocore is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_TRIGGER = "botocore.handlers"
_ROUTING = "fake_ecr.surfaces.boto"


class _ThenRoute(importlib.abc.Loader):
    """``botocore.handlers``' own loader, followed by the import of the routing module."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        importlib.import_module(_ROUTING)


class _WhenBotocoreLoads(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TRIGGER:
            return None
        sys.meta_path.remove(self)  # one shot: botocore.handlers is imported once per process
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenRoute(spec.loader)
        return spec


def route_botocore_when_it_loads() -> None:
    """Register the ECR routing now if botocore is loaded, else as soon as it is."""
    if _TRIGGER in sys.modules:
        importlib.import_module(_ROUTING)
    elif not any(isinstance(finder, _WhenBotocoreLoads) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WhenBotocoreLoads())
