"""fake-ecr: a faithful, fast, offline Amazon ECR for Python test suites.

The public API: ``mock_ecr`` / ``FakeEcr`` (one fake, usable as a context
manager, a decorator, or through the pytest fixtures), ``Settings``,
``Clock`` and ``FakeServer``.  Importing this package registers the boto3
routing (``fake_ecr.boto``).  Never imports pytest.
"""

from fake_ecr.clock import Clock
from fake_ecr.fake import FakeEcr, mock_ecr
from fake_ecr.server import FakeServer
from fake_ecr.settings import Settings

__all__ = ["Clock", "FakeEcr", "FakeServer", "Settings", "mock_ecr"]
__version__ = "0.1.0"
