"""GetAuthorizationToken (docs/behaviour/auth.md#authorization-tokens, docs/behaviour/auth.md#registry-credentials,
docs/behaviour/api.md#cli-tutorial): what `aws ecr get-login-password` and docker see."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, mock_ecr

from api.helpers import error_of

ACCOUNT = "123456789012"


def password_of(token: str) -> str:
    """What `aws ecr get-login-password` prints: the token decoded, past 'AWS:' (docs/behaviour/api.md#cli-tutorial)."""
    user, _, password = base64.b64decode(token).decode().partition(":")
    assert user == "AWS"
    return password


def test_token_is_base64_of_aws_and_a_password(ecr: Any) -> None:
    data = ecr.get_authorization_token()["authorizationData"]
    assert len(data) == 1
    password = password_of(data[0]["authorizationToken"])
    assert password and ":" not in password and password.strip() == password


def test_token_expires_twelve_hours_later_on_the_fakes_clock(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc))
    first = ecr.get_authorization_token()["authorizationData"][0]
    assert first["expiresAt"] == datetime(2024, 1, 1, 21, 0, tzinfo=timezone.utc)

    fake_ecr.clock.advance(hours=5, minutes=30)
    second = ecr.get_authorization_token()["authorizationData"][0]
    assert second["expiresAt"] == datetime(2024, 1, 2, 2, 30, tzinfo=timezone.utc)
    assert second["authorizationToken"] != first["authorizationToken"]


def test_expiry_follows_a_running_clock(ecr: Any, fake_ecr: FakeEcr) -> None:
    before = datetime.now(timezone.utc)
    expires_at = ecr.get_authorization_token()["authorizationData"][0]["expiresAt"]
    after = datetime.now(timezone.utc)
    assert before + timedelta(hours=12) - timedelta(seconds=1) <= expires_at <= after + timedelta(hours=12)


def test_proxy_endpoint_names_ecrs_host_while_a_server_runs(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Clients reach ECR's host through the server as their HTTPS proxy (fake_ecr.env).
    endpoint = ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    assert endpoint == f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    uri = ecr.create_repository(repositoryName="app")["repository"]["repositoryUri"]
    assert uri == f"{endpoint.removeprefix('https://')}/app"


@pytest.mark.fake_ecr(registry_addresses="local")
def test_with_local_addresses_proxy_endpoint_names_the_running_server(ecr: Any, fake_ecr: FakeEcr) -> None:
    # For a Docker daemon, which takes no proxy from its client: it must log in where the endpoint says.
    assert fake_ecr.server is not None
    endpoint = ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    assert endpoint == f"http://{fake_ecr.server.host}:{fake_ecr.server.port}"
    uri = ecr.create_repository(repositoryName="app")["repository"]["repositoryUri"]
    assert uri == f"{endpoint.removeprefix('http://')}/app"


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        pytest.param("us-east-1", f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com", id="us-east-1"),
        pytest.param("eu-central-1", f"https://{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com", id="eu-central-1"),
        pytest.param("cn-north-1", f"https://{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn", id="china"),
    ],
)
def test_proxy_endpoint_is_ecrs_host_without_a_server(region: str, endpoint: str) -> None:
    with mock_ecr() as fake:
        data = fake.client(region_name=region).get_authorization_token()["authorizationData"]
    assert [d["proxyEndpoint"] for d in data] == [endpoint]
    assert fake.internal_errors == []


@pytest.mark.fake_ecr(registry_addresses="local")
def test_one_authorization_per_requested_registry(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Local addresses: a registry something was written to has a port of the server's; one that holds nothing
    # yet is named by ECR's host, and asking for its token opens no port (fake_ecr.api.core.Call).
    written, unwritten = "111122223333", "444455556666"
    fake_ecr.registry(written)
    data = ecr.get_authorization_token(registryIds=[written, unwritten, written])["authorizationData"]
    assert [d["proxyEndpoint"] for d in data] == [
        f"http://{fake_ecr.registry_host(written, 'us-east-1')}",
        f"https://{unwritten}.dkr.ecr.us-east-1.amazonaws.com",
    ]
    assert fake_ecr.registry_host(written, "us-east-1").startswith("127.0.0.1:")
    for entry in data:
        assert password_of(entry["authorizationToken"])


def test_registry_ids_without_a_server() -> None:
    with mock_ecr() as fake:
        data = fake.client().get_authorization_token(registryIds=["111122223333"])["authorizationData"]
    assert [d["proxyEndpoint"] for d in data] == ["https://111122223333.dkr.ecr.us-east-1.amazonaws.com"]


@pytest.mark.parametrize(
    "registry_ids",
    [
        pytest.param(["12345"], id="short-id"),
        pytest.param(["12345678901a"], id="not-digits"),
        pytest.param([f"{n:012}" for n in range(11)], id="eleven-ids"),
    ],
)
def test_bad_registry_ids_are_refused(ecr: Any, registry_ids: list[str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.get_authorization_token(registryIds=registry_ids)
    assert error_of(excinfo)[0] == "InvalidParameterException"
