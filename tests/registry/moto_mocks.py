"""moto's mocks as the installed moto offers them, for the tests of fake-ecr next to moto.

moto 5 mocks every service with ``mock_aws``; moto 4 had a decorator per service (``mock_s3``, ``mock_ecr``...),
which moto 5 replaced with it (moto's changelog, 5.0.0).  ``MOTO_MOCKS`` holds one pytest param per generation,
each mocking S3 and ECR; a param the installed moto cannot start is skipped, saying why.  fake-ecr itself does
not need moto, so these tests are skipped, not failed, where it is not installed.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest

try:
    import moto
except ImportError:  # fake-ecr works without moto; only the tests of coexistence need it
    moto = None  # type: ignore[assignment]


def requires(*names: str) -> pytest.MarkDecorator:
    """Skip where the installed moto lacks one of these mocks, saying which moto is installed."""
    if moto is None:
        return pytest.mark.skip(reason="moto is not installed (fake-ecr works without it; this test is about moto)")
    absent = [name for name in names if not hasattr(moto, name)]
    return pytest.mark.skipif(
        bool(absent),
        reason=f"moto {moto.__version__} has no {', '.join(absent)} (moto 5 replaced moto 4's per-service mocks "
        "with mock_aws)",
    )


@dataclass(frozen=True)
class MotoMocks:
    """moto mocks that, started together, mock S3 and ECR: the service fake-ecr answers all the same."""

    names: tuple[str, ...]

    def contexts(self) -> list[AbstractContextManager[Any]]:
        """Each mock as a context manager, as ``with moto.mock_s3(), moto.mock_ecr():`` starts them."""
        return [getattr(moto, name)() for name in self.names]

    @property
    def with_items(self) -> str:
        """The items of a ``with`` statement that starts them, as source text: ``moto.mock_aws()``."""
        return ", ".join(f"moto.{name}()" for name in self.names)

    @property
    def decorators(self) -> str:
        """The decorator lines that start them around a function, as source text: ``@moto.mock_aws``."""
        return "\n".join(f"@moto.{name}" for name in self.names)


MOTO_MOCKS = [
    pytest.param(MotoMocks(("mock_aws",)), id="moto5-mock_aws", marks=requires("mock_aws")),
    pytest.param(
        MotoMocks(("mock_s3", "mock_ecr")), id="moto4-mock_s3-mock_ecr", marks=requires("mock_s3", "mock_ecr")
    ),
]
