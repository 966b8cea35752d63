"""Every control-plane test runs twice: boto3 in-process, and boto3 over HTTP to the server."""

from __future__ import annotations

from typing import Any

import pytest

from fake_ecr import FakeEcr


@pytest.fixture(params=["in-process", "http"])
def ecr(request: pytest.FixtureRequest, fake_ecr: FakeEcr) -> Any:
    """A boto3 ECR client in the fake's region, reaching it in-process or through endpoint_url."""
    return fake_ecr.client(http=request.param == "http")
