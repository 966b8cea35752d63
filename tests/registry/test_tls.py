"""``Settings(tls=True)``: the server speaks HTTPS with a throwaway CA that boto3, the AWS CLI's botocore and
``requests`` are told to trust through the CA bundle in ``env`` (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).

Each test runs its own server (``FakeEcr(..., server=True)``); the session's server speaks plain HTTP.  Most
name the server's local addresses (``Settings.registry_addresses="local"``): with ECR's, clients reach the
HTTPS server through it as their proxy, which takes ``CONNECT`` in the clear on the same port.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from fake_ecr import FakeEcr, FakeServer, Settings, images
from fake_ecr.surfaces.environment import CA_BUNDLE_VARIABLES

from registry.helpers import through_proxy

REPOSITORY = "team/app"


@pytest.fixture
def fake() -> Iterator[FakeEcr]:
    with FakeEcr(Settings(tls=True, check_responses=True, registry_addresses="local"), server=True) as fake:
        yield fake


def basic(ecr: Any) -> tuple[str, dict[str, str]]:
    data = ecr.get_authorization_token()["authorizationData"][0]
    return data["proxyEndpoint"], {"Authorization": f"Basic {data['authorizationToken']}"}


def test_the_server_speaks_https_and_names_https_addresses(fake: FakeEcr) -> None:
    assert fake.server is not None
    ecr = fake.client(http=True)  # trusts the fake's CA by itself

    repository = ecr.create_repository(repositoryName=REPOSITORY)["repository"]
    endpoint, _ = basic(ecr)

    assert fake.server.endpoint == f"https://127.0.0.1:{fake.server.port}"
    assert repository["repositoryUri"] == f"127.0.0.1:{fake.server.port}/{REPOSITORY}"
    assert endpoint == fake.server.endpoint


def test_boto3_trusts_the_server_through_the_ca_bundle_in_env(fake: FakeEcr, monkeypatch: pytest.MonkeyPatch) -> None:
    env = fake.env
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    # No verify= and no endpoint_url=: both come from the environment, as for the AWS CLI.
    ecr = boto3.Session().client("ecr")
    ecr.create_repository(repositoryName=REPOSITORY)

    assert {env[name] for name in CA_BUNDLE_VARIABLES} == {fake.ca_file}
    assert env["AWS_ENDPOINT_URL_ECR"].startswith("https://")
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == [REPOSITORY]


def test_a_client_that_does_not_trust_the_ca_is_refused(fake: FakeEcr) -> None:
    assert fake.server is not None

    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{fake.server.endpoint}/v2/", timeout=30)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_registry_answers_over_https_with_the_ca(fake: FakeEcr, host: str) -> None:
    assert fake.server is not None and fake.ca_file is not None
    ecr = fake.client(http=True)
    ecr.create_repository(repositoryName=REPOSITORY)
    fake.push(f"{REPOSITORY}:v1", images.image(files={"tls.txt": "over https"}))
    _, credentials = basic(ecr)
    base = f"https://{host}:{fake.server.port}"

    version = requests.get(f"{base}/v2/", headers=credentials, verify=fake.ca_file, timeout=30)
    tags = requests.get(f"{base}/v2/{REPOSITORY}/tags/list", headers=credentials, verify=fake.ca_file, timeout=30)

    assert version.status_code == 200
    assert tags.json() == {"name": REPOSITORY, "tags": ["v1"]}


def test_with_ecr_addresses_clients_reach_ecrs_hosts_through_the_https_server_as_proxy() -> None:
    with FakeEcr(Settings(tls=True), server=True) as fake:
        assert fake.server is not None
        ecr = fake.client()
        repository = ecr.create_repository(repositoryName=REPOSITORY)["repository"]
        fake.push(f"{REPOSITORY}:v1", images.image(files={"tls.txt": "over https"}))
        _, credentials = basic(ecr)
        env = fake.env
        host = repository["repositoryUri"].removesuffix(f"/{REPOSITORY}")

        tags = through_proxy(env, "GET", host, f"/v2/{REPOSITORY}/tags/list", headers=credentials)
        plain = requests.get(f"http://127.0.0.1:{fake.server.port}/v2/", timeout=30)

        assert env["HTTPS_PROXY"] == f"http://127.0.0.1:{fake.server.port}"  # CONNECT in the clear, then TLS
        assert env["SSL_CERT_FILE"] == fake.ca_file
    assert json.loads(tags.body) == {"name": REPOSITORY, "tags": ["v1"]}
    assert plain.status_code == 400  # only a CONNECT is taken in the clear by an HTTPS server


def test_a_client_trusting_only_the_ca_file_still_trusts_what_the_machine_trusts() -> None:
    # SSL_CERT_FILE replaces a client's CAs: hosts the proxy relays (Docker Hub, S3) must still verify.
    machine = ssl.create_default_context()
    with FakeEcr(Settings(tls=True), server=True) as fake:
        assert fake.ca_file is not None
        trusted = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no default CAs: the file alone
        trusted.load_verify_locations(cafile=fake.ca_file)

    assert trusted.cert_store_stats()["x509_ca"] == machine.cert_store_stats()["x509_ca"] + 1


def test_the_ca_file_is_gone_when_the_fake_stops() -> None:
    with FakeEcr(Settings(tls=True), server=True) as fake:
        ca_file = fake.ca_file
        assert ca_file is not None and Path(ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")

    assert not Path(ca_file).exists()


def test_a_server_for_tls_settings_exposes_its_ca_and_a_plain_one_none() -> None:
    secure = FakeServer.for_settings(Settings(tls=True, registry_addresses="local"))
    plain = FakeServer.for_settings(Settings(registry_addresses="local"))
    try:
        assert (secure.scheme, plain.scheme) == ("https", "http")
        assert secure.ca_file is not None and plain.ca_file is None
        assert not set(CA_BUNDLE_VARIABLES) & plain.env.keys()
        assert secure.env["SSL_CERT_FILE"] == secure.ca_file
    finally:
        secure.stop()
        plain.stop()
