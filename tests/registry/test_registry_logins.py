"""``env`` logs subprocesses in to the fake's registries: REGISTRY_AUTH_FILE (containers-auth.json) and
DOCKER_CONFIG (a directory with config.json), each ``{"auths": {"<host:port>": {"auth": base64("AWS:" +
password)}}}`` with tokens issued on the fake's clock (docs/behaviour/auth.md#authorization-tokens,
docs/behaviour/auth.md#registry-credentials).

Most tests use the ``fake_ecr`` fixture on the session's server; the server's own ``env`` is tested with and
without a fake attached.  Real clients reading these files are in tests/interop/test_registry_logins.py.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from fake_ecr import FakeEcr, FakeServer, Settings, mock_ecr
from fake_ecr.model.tokens import TOKEN_LIFETIME, TokenClaims, read_password

ACCOUNT = "123456789012"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def logins(env: dict[str, str]) -> dict[str, str]:
    """address -> the ``auth`` value, read from both files (which must agree)."""
    containers = json.loads(Path(env["REGISTRY_AUTH_FILE"]).read_text())
    docker = json.loads((Path(env["DOCKER_CONFIG"]) / "config.json").read_text())
    assert containers == docker
    return {address: entry["auth"] for address, entry in containers["auths"].items()}


def claims(auth: str) -> TokenClaims:
    username, _, password = base64.b64decode(auth).decode().partition(":")
    assert username == "AWS"
    found = read_password(password)
    assert found is not None, f"not a password the fake issued: {password!r}"
    return found


def version_check(address: str, auth: str) -> requests.Response:
    return requests.get(f"http://{address}/v2/", headers={"Authorization": f"Basic {auth}"}, timeout=30)


def test_env_logs_in_to_the_registry_the_server_serves(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    fake_ecr.clock.set(NOW)
    address = f"127.0.0.1:{fake_ecr.server.port}"

    found = logins(fake_ecr.env)

    # Other tests of this session may have opened more registry addresses: each gets its own login.
    assert address in found
    assert claims(found[address]) == TokenClaims(ACCOUNT, "us-east-1", NOW + TOKEN_LIFETIME)
    assert version_check(address, found[address]).status_code == 200


def test_reading_env_again_renews_a_token_expired_on_the_fakes_clock(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    address = f"127.0.0.1:{fake_ecr.server.port}"
    fake_ecr.clock.set(NOW)
    first_env = fake_ecr.env
    first = logins(first_env)[address]

    fake_ecr.clock.advance(TOKEN_LIFETIME + 1)
    expired = version_check(address, first)
    second_env = fake_ecr.env
    second = logins(second_env)[address]

    assert (expired.status_code, expired.json()["errors"][0]["code"]) == (403, "DENIED")
    assert claims(second).expires_at == NOW + 2 * TOKEN_LIFETIME + 1
    assert version_check(address, second).status_code == 200
    assert (second_env["REGISTRY_AUTH_FILE"], second_env["DOCKER_CONFIG"]) == (
        first_env["REGISTRY_AUTH_FILE"],
        first_env["DOCKER_CONFIG"],
    )


def test_env_logs_in_to_every_registry_address_the_server_serves(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    # A repository in another region gives that registry an address of its own (its proxyEndpoint).
    eu_west = fake_ecr.client(region_name="eu-west-1")
    eu_west.create_repository(repositoryName="app")
    other = eu_west.get_authorization_token()["authorizationData"][0]
    other_address = other["proxyEndpoint"].removeprefix("http://")

    found = logins(fake_ecr.env)

    assert claims(found[other_address]).region == "eu-west-1"
    assert claims(found[f"127.0.0.1:{fake_ecr.server.port}"]).region == "us-east-1"
    assert all(version_check(address, auth).status_code == 200 for address, auth in found.items())


def test_without_a_server_env_logs_in_to_ecrs_own_host() -> None:
    with mock_ecr(region="eu-west-1") as fake:
        env = fake.env
        found = logins(env)

    assert "AWS_ENDPOINT_URL_ECR" not in env
    assert [(address, claims(auth).region) for address, auth in found.items()] == [
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1")
    ]


def test_the_files_are_deleted_when_the_fake_stops() -> None:
    with FakeEcr(server=True) as fake:
        env = fake.env
        assert Path(env["REGISTRY_AUTH_FILE"]).is_file()

    assert not Path(env["REGISTRY_AUTH_FILE"]).exists()
    assert not Path(env["DOCKER_CONFIG"]).exists()


def test_a_server_without_a_fake_logs_in_for_its_settings() -> None:
    server = FakeServer.for_settings(Settings(account_id="111122223333", region="eu-west-1"))
    try:
        env = server.env
        found = logins(env)
    finally:
        server.stop()

    assert (env["AWS_ENDPOINT_URL_ECR"], env["AWS_REGION"]) == (server.endpoint, "eu-west-1")
    (auth,) = found.values()
    assert list(found) == [f"127.0.0.1:{server.port}"]
    assert (claims(auth).account_id, claims(auth).region) == ("111122223333", "eu-west-1")
    assert not Path(env["REGISTRY_AUTH_FILE"]).exists()


@pytest.mark.fake_ecr(region="ap-southeast-2")
def test_the_session_servers_env_follows_the_attached_fake(fake_ecr: FakeEcr, fake_ecr_server: FakeServer) -> None:
    fake_ecr.clock.set(NOW)

    env = fake_ecr_server.env

    assert (env["AWS_ENDPOINT_URL_ECR"], env["AWS_DEFAULT_REGION"]) == (fake_ecr_server.endpoint, "ap-southeast-2")
    auth = logins(env)[f"127.0.0.1:{fake_ecr_server.port}"]
    assert claims(auth) == TokenClaims(ACCOUNT, "ap-southeast-2", NOW + TOKEN_LIFETIME)
    assert version_check(f"127.0.0.1:{fake_ecr_server.port}", auth).status_code == 200


def test_env_keeps_what_it_carried_before(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    env: dict[str, Any] = fake_ecr.env

    assert env["AWS_ENDPOINT_URL_ECR"] == fake_ecr.server.endpoint
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    assert "AWS_CA_BUNDLE" not in env  # plain HTTP: nothing to trust
