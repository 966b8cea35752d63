"""Every control-plane test runs twice: boto3 in-process, and boto3 over HTTP to the server."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from fake_ecr import FakeEcr

from api.helpers import RawSender


@pytest.fixture(params=["in-process", "http"])
def ecr(request: pytest.FixtureRequest, fake_ecr: FakeEcr) -> Any:
    """A boto3 ECR client in the fake's region, reaching it in-process or through endpoint_url."""
    return fake_ecr.client(http=request.param == "http")


@pytest.fixture(params=["in-process", "http"])
def send_raw(request: pytest.FixtureRequest, fake_ecr: FakeEcr) -> RawSender:
    """Send a raw body with an X-Amz-Target, past botocore's client-side checks, in-process or over HTTP."""

    def in_process(target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        status, _, payload = fake_ecr.handle_api(target, body, None)
        return status, json.loads(payload)

    def over_http(target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        assert fake_ecr.server is not None
        connection = http.client.HTTPConnection(fake_ecr.server.host, fake_ecr.server.port, timeout=30)
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        try:
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    return in_process if request.param == "in-process" else over_http


@pytest.fixture(params=["in-process", "http"])
def ecr_public(request: pytest.FixtureRequest, fake_ecr: FakeEcr) -> Any:
    """A boto3 ECR Public client in us-east-1 (its only region), in-process or through endpoint_url."""
    return fake_ecr.client("ecr-public", region_name="us-east-1", http=request.param == "http")
