"""fake-ecr: a faithful, fast, offline Amazon ECR for Python test suites.

The public API: ``mock_ecr`` / ``FakeEcr`` (one fake, usable as a context
manager, a decorator, or through the pytest fixtures), ``Settings``,
``Clock`` and ``FakeServer``; the modules ``fake_ecr.images`` and
``fake_ecr.client``.  Importing this package costs next to nothing: the
names load when first used, and the boto3 routing (``fake_ecr.surfaces.boto``)
is registered when botocore loads (``fake_ecr.surfaces.botocore_hook``), so
clients made before a fake starts are routed too.  Never imports pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fake_ecr.surfaces.botocore_hook import route_botocore_when_it_loads

if TYPE_CHECKING:
    from fake_ecr.model.clock import Clock
    from fake_ecr.settings import Settings
    from fake_ecr.surfaces.handle import FakeEcr, mock_ecr
    from fake_ecr.surfaces.server import FakeServer

__all__ = ["Clock", "FakeEcr", "FakeServer", "Settings", "mock_ecr"]
__version__ = "0.1.0"

#: Where each public name lives; imported on first use (PEP 562).
_HOMES = {
    "Clock": "fake_ecr.model.clock",
    "FakeEcr": "fake_ecr.surfaces.handle",
    "FakeServer": "fake_ecr.surfaces.server",
    "Settings": "fake_ecr.settings",
    "mock_ecr": "fake_ecr.surfaces.handle",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fake_ecr' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


route_botocore_when_it_loads()
