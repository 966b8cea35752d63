"""fake-ecr: a faithful, fast, offline Amazon ECR for Python test suites.

The public API: ``mock_ecr`` / ``FakeEcr`` (one fake, usable as a context
manager, a decorator, or through the pytest fixtures), ``Settings``,
``Clock`` and ``FakeServer``.  Importing this package registers the boto3
routing (``fake_ecr.surfaces.boto``).  Never imports pytest.
"""

from fake_ecr.model.clock import Clock
from fake_ecr.settings import Settings
from fake_ecr.surfaces.handle import FakeEcr, mock_ecr
from fake_ecr.surfaces.server import FakeServer

__all__ = ["Clock", "FakeEcr", "FakeServer", "Settings", "mock_ecr"]
__version__ = "0.1.0"
