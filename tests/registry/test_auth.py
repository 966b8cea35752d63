"""Registry credentials (docs/behaviour/auth.md#registry-credentials, docs/behaviour/auth.md#authorization-tokens):
ECR's Basic challenge, tokens from GetAuthorizationToken, their 12-hour life on the fake's clock, and their account and
region."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from fake_ecr import FakeEcr

from registry.helpers import REPO, RegistryClient, basic, build_image, oci_error, push_image, sha256

ACCOUNT = "123456789012"
EXPIRED = "Your authorization token has expired. Reauthenticate and try again."
INVALID = "Your Authorization Token is invalid."


def challenge(host: str) -> str:
    return f'Basic realm="https://{host}/",service="ecr.amazonaws.com"'


def token_for(fake_ecr: FakeEcr, region: str) -> str:
    data = fake_ecr.client(region_name=region).get_authorization_token()["authorizationData"][0]
    return str(data["authorizationToken"])


def test_no_credentials_get_ecrs_challenge(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    response = registry.anonymous().request("GET", "/v2/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge(f"{fake_ecr.server.host}:{fake_ecr.server.port}")
    assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert oci_error(response) == ("UNAUTHORIZED", "Not Authorized")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v2/team/app/tags/list", id="tags"),
        pytest.param("/v2/team/app/manifests/latest", id="manifest"),
        pytest.param("/v2/nope/blobs/uploads/", id="missing-repository"),
        pytest.param("/v2/_catalog", id="unknown-endpoint"),
    ],
)
def test_every_endpoint_asks_for_credentials_first(registry: RegistryClient, path: str) -> None:
    assert registry.anonymous().request("GET", path).status_code == 401


def test_a_token_from_get_authorization_token_is_accepted(registry: RegistryClient, repo: str) -> None:
    assert registry.request("GET", "/v2/").status_code == 200
    assert registry.request("GET", f"/v2/{REPO}/tags/list").json() == {"name": REPO, "tags": []}


def test_the_password_alone_works_as_docker_login_sends_it(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    # docker login -u AWS -p "$(aws ecr get-login-password)"; requests builds the same header.
    password = base64.b64decode(registry.headers["Authorization"].removeprefix("Basic ")).decode().partition(":")[2]
    response = requests.get(f"{registry.endpoint}/v2/", auth=("AWS", password), timeout=30)
    assert response.status_code == 200


def test_token_expires_after_twelve_hours_on_the_fakes_clock(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.advance(hours=11, minutes=59)
    assert registry.request("GET", "/v2/").status_code == 200
    fake_ecr.clock.advance(minutes=1, seconds=1)
    response = registry.request("GET", "/v2/")
    assert response.status_code == 403
    assert oci_error(response) == ("DENIED", EXPIRED)


def test_expired_token_refused_twelve_hours_and_a_second_later(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.advance(hours=12, seconds=1)
    assert registry.request("GET", "/v2/").status_code == 403


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        pytest.param(None, 401, "UNAUTHORIZED", id="none"),
        pytest.param("Bearer abc", 401, "UNAUTHORIZED", id="bearer"),
        pytest.param("Basic " + base64.b64encode(b"AWS:not-a-token").decode(), 403, "DENIED", id="garbage-password"),
        pytest.param("Basic " + base64.b64encode(b"admin:secret").decode(), 403, "DENIED", id="other-user"),
    ],
)
def test_credentials_that_are_no_token(
    registry: RegistryClient, authorization: str | None, status: int, code: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = registry.anonymous().request("GET", "/v2/", headers=headers)
    assert response.status_code == status
    assert oci_error(response)[0] == code


def test_token_of_another_region_is_refused(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    # Tokens are region-scoped (docs/behaviour/auth.md#authorization-tokens): one from eu-west-1 does not open
    # us-east-1's registry.
    response = registry.anonymous().request("GET", "/v2/", headers=basic(token_for(fake_ecr, "eu-west-1")))
    assert response.status_code == 403
    assert oci_error(response) == ("DENIED", INVALID)


def test_each_region_has_its_own_listener_and_takes_its_own_tokens(fake_ecr: FakeEcr) -> None:
    address = fake_ecr.registry_host(ACCOUNT, "eu-west-1")
    client = RegistryClient(f"http://{address}")
    assert client.request("GET", "/v2/", headers=basic(token_for(fake_ecr, "eu-west-1"))).status_code == 200
    assert client.request("GET", "/v2/", headers=basic(token_for(fake_ecr, "us-east-1"))).status_code == 403


def test_token_of_another_account_is_refused(fake_ecr: FakeEcr) -> None:
    # The caller's token names the caller's account; another account's registry refuses it.
    client = RegistryClient(f"http://{fake_ecr.registry_host('111122223333', 'us-east-1')}")
    response = client.request("GET", "/v2/", headers=basic(token_for(fake_ecr, "us-east-1")))
    assert response.status_code == 403
    assert oci_error(response) == ("DENIED", INVALID)


def test_an_ecr_host_name_selects_the_registry(registry: RegistryClient, fake_ecr: FakeEcr) -> None:
    # In-process routing sends ECR's own host name: it names the account and region served.
    host = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    eu_token = basic(token_for(fake_ecr, "eu-west-1"))
    assert registry.anonymous().request("GET", "/v2/", headers={"Host": host, **eu_token}).status_code == 200
    refused = registry.request("GET", "/v2/", headers={"Host": host})
    assert refused.status_code == 403
    challenged = registry.anonymous().request("GET", "/v2/", headers={"Host": host})
    assert challenged.headers["WWW-Authenticate"] == challenge(host)


@pytest.mark.fake_ecr(registry_auth=False)
def test_auth_off_lets_anyone_in(registry: RegistryClient, repo: str) -> None:
    anonymous = registry.anonymous()
    assert anonymous.request("GET", "/v2/").status_code == 200
    assert anonymous.request("GET", f"/v2/{REPO}/tags/list").status_code == 200
    assert anonymous.request("GET", "/v2/", headers={"Authorization": "Basic bm9uZQ=="}).status_code == 200


# --- GetDownloadUrlForLayer's URLs: one blob, read-only, an hour ----------------------------------------
#
# ECR's URL is an S3 presigned URL: it reads one object and nothing else, for X-Amz-Expires=3600 seconds
# (AWS's S3 docs, "Sharing objects with presigned URLs").  The fake's stands in for it on its own registry.
# How long it lasts is tested with the operation (tests/api/test_layers.py).

OTHER_REPO = "team/other"


@pytest.fixture
def download(fake_ecr: FakeEcr, ecr: Any, repo: str, registry: RegistryClient) -> dict[str, str]:
    """A download URL for the layer of an image in team/app (also pushed to team/other), and what it names."""
    ecr.create_repository(repositoryName=OTHER_REPO)
    image = build_image()
    for repository in (REPO, OTHER_REPO):
        assert push_image(registry, repository, image, "v1").status_code == 201
    layer = sha256(image.layers[0])
    url = urlsplit(ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=layer)["downloadUrl"])
    return {
        "layer": layer,
        "config": sha256(image.config),
        "image": image.digest,
        "credential": parse_qs(url.query)["X-Amz-Security-Token"][0],
    }


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/v2/{repo}/blobs/{layer}", 200, id="get-its-blob"),
        pytest.param("HEAD", "/v2/{repo}/blobs/{layer}", 200, id="head-its-blob"),
        pytest.param("GET", "/v2/{repo}/blobs/{config}", 403, id="another-digest"),
        pytest.param("GET", "/v2/{other}/blobs/{layer}", 403, id="same-digest-another-repository"),
        pytest.param("GET", "/v2/{repo}/manifests/v1", 401, id="manifest-read"),
        pytest.param("PUT", "/v2/{repo}/manifests/v2", 401, id="manifest-put"),
        pytest.param("DELETE", "/v2/{repo}/manifests/{image}", 401, id="manifest-delete"),
        pytest.param("POST", "/v2/{repo}/blobs/uploads/", 401, id="blob-upload"),
        pytest.param("GET", "/v2/{repo}/tags/list", 401, id="tags-list"),
        pytest.param("GET", "/v2/", 401, id="version-check"),
    ],
)
def test_a_download_url_reads_its_one_blob_and_nothing_else(
    registry: RegistryClient, download: dict[str, str], method: str, path: str, status: int
) -> None:
    url = path.format(repo=REPO, other=OTHER_REPO, **download)
    response = registry.anonymous().request(method, url, params={"X-Amz-Security-Token": download["credential"]})
    assert response.status_code == status
    assert registry.request("GET", f"/v2/{REPO}/manifests/v1").status_code == 200  # nothing was changed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/v2/{repo}/blobs/{layer}", id="its-own-blob"),
        pytest.param("PUT", "/v2/{repo}/manifests/v2", id="manifest-put"),
        pytest.param("DELETE", "/v2/{repo}/manifests/{image}", id="manifest-delete"),
        pytest.param("GET", "/v2/", id="version-check"),
    ],
)
def test_a_download_urls_credential_is_no_password(
    registry: RegistryClient, download: dict[str, str], method: str, path: str
) -> None:
    url = path.format(repo=REPO, **download)
    response = requests.request(method, registry.endpoint + url, auth=("AWS", download["credential"]), timeout=30)
    assert (response.status_code, oci_error(response)) == (403, ("DENIED", INVALID))


def test_a_registry_password_is_no_download_credential(registry: RegistryClient, download: dict[str, str]) -> None:
    password = base64.b64decode(registry.headers["Authorization"].removeprefix("Basic ")).decode().partition(":")[2]
    response = registry.anonymous().request(
        "GET", f"/v2/{REPO}/blobs/{download['layer']}", params={"X-Amz-Security-Token": password}
    )
    assert (response.status_code, oci_error(response)) == (403, ("DENIED", INVALID))


def test_an_edited_download_credential_is_refused(registry: RegistryClient, download: dict[str, str]) -> None:
    # The grant names its blob in the clear; naming another one breaks its signature.
    encoded, _, signature = download["credential"].partition(".")
    claims = json.loads(base64.urlsafe_b64decode(encoded))
    edited = base64.urlsafe_b64encode(json.dumps({**claims, "digest": download["config"]}).encode()).decode()
    response = registry.anonymous().request(
        "GET", f"/v2/{REPO}/blobs/{download['config']}", params={"X-Amz-Security-Token": f"{edited}.{signature}"}
    )
    assert (response.status_code, oci_error(response)) == (403, ("DENIED", INVALID))
