"""fake-ecr's own test suite: every response is checked against botocore's output shapes.

Tests under tests/interop/ drive real clients in subprocesses; they carry the ``interop``
marker, so ``-m "not interop"`` runs everything else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fake_ecr import Settings

INTEROP = Path(__file__).parent / "interop"


def pytest_configure(config: pytest.Config) -> None:
    # The fake's default region follows AWS_DEFAULT_REGION / AWS_REGION; fake-ecr's own tests expect
    # us-east-1 whatever the shell they run in says (tests of that default set the variables themselves).
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        os.environ.pop(name, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEROP in item.path.parents:
            item.add_marker(pytest.mark.interop)


@pytest.fixture(scope="session")
def fake_ecr_settings() -> Settings:
    return Settings(check_responses=True)
