"""fake-ecr's own test suite: every response is checked against botocore's output shapes."""

from __future__ import annotations

import pytest

from fake_ecr import Settings


@pytest.fixture(scope="session")
def fake_ecr_settings() -> Settings:
    return Settings(check_responses=True)
