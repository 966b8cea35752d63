"""``env`` logs subprocesses in to the fake's registries: REGISTRY_AUTH_FILE (containers-auth.json) and
DOCKER_CONFIG (a directory with config.json), each ``{"auths": {"<host>": {"auth": base64("AWS:" +
password)}}}`` with tokens issued on the fake's clock (docs/behaviour/auth.md#authorization-tokens,
docs/behaviour/auth.md#registry-credentials).  The host is ECR's own by default, reached through the server as
HTTPS proxy; with ``Settings.registry_addresses="local"``, each ``127.0.0.1:PORT`` the server serves.

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
from fake_ecr.surfaces.environment import CA_BUNDLE_VARIABLES, NO_PROXY_VARIABLES, PROXY_VARIABLES

from registry.helpers import through_proxy

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
LOCAL = pytest.mark.fake_ecr(registry_addresses="local")
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


def version_check(env: dict[str, str], address: str, auth: str) -> tuple[int, str | None]:
    """(status, first OCI error code) of ``GET /v2/`` with ``auth``: through the proxy in ``env`` for ECR's
    host names, straight to a local ``127.0.0.1:PORT`` address."""
    headers = {"Authorization": f"Basic {auth}"}
    if address.startswith("127.0.0.1:"):
        response = requests.get(f"http://{address}/v2/", headers=headers, timeout=30)
        status, body = response.status_code, response.content
    else:
        proxied = through_proxy(env, "GET", address, "/v2/", headers=headers)
        status, body = proxied.status, proxied.body
    return status, json.loads(body)["errors"][0]["code"] if status >= 400 else None


def test_env_logs_in_to_the_registry_by_ecrs_host_through_the_proxy(fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(NOW)
    env = fake_ecr.env

    found = logins(env)

    assert list(found) == [HOST]
    assert claims(found[HOST]) == TokenClaims(ACCOUNT, "us-east-1", NOW + TOKEN_LIFETIME)
    assert version_check(env, HOST, found[HOST]) == (200, None)


@LOCAL
def test_with_local_addresses_env_logs_in_to_the_registry_the_server_serves(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    fake_ecr.clock.set(NOW)
    address = f"127.0.0.1:{fake_ecr.server.port}"
    env = fake_ecr.env

    found = logins(env)

    # Other tests of this session may have opened more registry addresses: each gets its own login.
    assert address in found
    assert claims(found[address]) == TokenClaims(ACCOUNT, "us-east-1", NOW + TOKEN_LIFETIME)
    assert version_check(env, address, found[address]) == (200, None)


@pytest.mark.parametrize("addresses", [pytest.param("ecr", id="ecr"), pytest.param("local", id="local", marks=LOCAL)])
def test_reading_env_again_renews_a_token_expired_on_the_fakes_clock(fake_ecr: FakeEcr, addresses: str) -> None:
    assert fake_ecr.server is not None
    address = HOST if addresses == "ecr" else f"127.0.0.1:{fake_ecr.server.port}"
    fake_ecr.clock.set(NOW)
    first_env = fake_ecr.env
    first = logins(first_env)[address]

    fake_ecr.clock.advance(TOKEN_LIFETIME + 1)
    expired = version_check(first_env, address, first)
    second_env = fake_ecr.env
    second = logins(second_env)[address]

    assert expired == (403, "DENIED")
    assert claims(second).expires_at == NOW + 2 * TOKEN_LIFETIME + 1
    assert version_check(second_env, address, second) == (200, None)
    assert (second_env["REGISTRY_AUTH_FILE"], second_env["DOCKER_CONFIG"]) == (
        first_env["REGISTRY_AUTH_FILE"],
        first_env["DOCKER_CONFIG"],
    )


@pytest.mark.parametrize("addresses", [pytest.param("ecr", id="ecr"), pytest.param("local", id="local", marks=LOCAL)])
def test_env_logs_in_to_every_registry_the_fake_holds(fake_ecr: FakeEcr, addresses: str) -> None:
    assert fake_ecr.server is not None
    # A repository in another region: that registry is held, named by its proxyEndpoint (ECR's host, or a port).
    eu_west = fake_ecr.client(region_name="eu-west-1")
    eu_west.create_repository(repositoryName="app")
    other = eu_west.get_authorization_token()["authorizationData"][0]
    other_address = other["proxyEndpoint"].removeprefix("http://").removeprefix("https://")
    own_address = HOST if addresses == "ecr" else f"127.0.0.1:{fake_ecr.server.port}"
    env = fake_ecr.env

    found = logins(env)

    assert claims(found[other_address]).region == "eu-west-1"
    assert claims(found[own_address]).region == "us-east-1"
    assert {version_check(env, address, auth) for address, auth in found.items()} == {(200, None)}


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


@pytest.mark.parametrize("addresses", ["ecr", "local"])
def test_a_server_without_a_fake_logs_in_for_its_settings(addresses: str) -> None:
    settings = Settings(account_id="111122223333", region="eu-west-1", registry_addresses=addresses)  # type: ignore[arg-type]
    server = FakeServer.for_settings(settings)
    try:
        env = server.env
        found = logins(env)
    finally:
        server.stop()

    assert env["AWS_REGION"] == "eu-west-1"
    if addresses == "ecr":
        assert (env["HTTPS_PROXY"], "AWS_ENDPOINT_URL_ECR" in env) == (f"http://127.0.0.1:{server.port}", False)
        assert list(found) == ["111122223333.dkr.ecr.eu-west-1.amazonaws.com"]
    else:
        assert (env["AWS_ENDPOINT_URL_ECR"], "HTTPS_PROXY" in env) == (server.endpoint, False)
        assert list(found) == [f"127.0.0.1:{server.port}"]
    (auth,) = found.values()
    assert (claims(auth).account_id, claims(auth).region) == ("111122223333", "eu-west-1")
    assert not Path(env["REGISTRY_AUTH_FILE"]).exists()


@pytest.mark.fake_ecr(region="ap-southeast-2")
def test_the_session_servers_env_follows_the_attached_fake(fake_ecr: FakeEcr, fake_ecr_server: FakeServer) -> None:
    fake_ecr.clock.set(NOW)

    env = fake_ecr_server.env

    assert (env["HTTPS_PROXY"], env["AWS_DEFAULT_REGION"]) == (fake_ecr_server.proxy()[0], "ap-southeast-2")
    host = f"{ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com"
    auth = logins(env)[host]
    assert claims(auth) == TokenClaims(ACCOUNT, "ap-southeast-2", NOW + TOKEN_LIFETIME)
    assert version_check(env, host, auth) == (200, None)


def test_env_names_the_server_as_https_proxy_and_its_ca(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    env: dict[str, Any] = fake_ecr.env

    # Both spellings of each variable: Go reads HTTPS_PROXY first, Python's urllib https_proxy.
    assert {env[name] for name in PROXY_VARIABLES} == {f"http://127.0.0.1:{fake_ecr.server.port}"}
    assert {env[name] for name in NO_PROXY_VARIABLES} == {"127.0.0.1,localhost,::1"}
    assert {env[name] for name in CA_BUNDLE_VARIABLES} == {fake_ecr.ca_file}
    assert "AWS_ENDPOINT_URL_ECR" not in env  # the AWS CLI reaches api.ecr.<region>.amazonaws.com by the proxy
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA")


@LOCAL
def test_with_local_addresses_env_keeps_what_it_carried_before(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    env: dict[str, Any] = fake_ecr.env

    assert env["AWS_ENDPOINT_URL_ECR"] == fake_ecr.server.endpoint
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    assert "HTTPS_PROXY" not in env
    assert "AWS_CA_BUNDLE" not in env  # plain HTTP: nothing to trust
