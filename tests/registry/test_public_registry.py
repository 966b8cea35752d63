"""ECR Public's registry, public.ecr.aws, reached in-process with ``requests``: the bearer challenge, the token
endpoint (anonymous pull tokens, push tokens for ECR Public's credentials only), locations under the alias, the
separation from the private registry, and the logo the catalog data names."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import requests

from fake_ecr import FakeEcr

HOST = "https://public.ecr.aws"
NAME = "team/app"


@pytest.fixture
def public(fake_ecr: FakeEcr) -> Any:
    client = fake_ecr.client("ecr-public", region_name="us-east-1")
    client.create_repository(repositoryName=NAME)
    return client


@pytest.fixture
def alias(fake_ecr: FakeEcr, public: Any) -> str:
    return fake_ecr.public_registry().alias


def password_of(authorization_token: str) -> str:
    return base64.b64decode(authorization_token).decode().partition(":")[2]


def token(alias: str, actions: str = "pull", auth: tuple[str, str] | None = None) -> requests.Response:
    scope = f"repository:{alias}/{NAME}:{actions}"
    return requests.get(f"{HOST}/token/", params={"scope": scope, "service": "public.ecr.aws"}, auth=auth)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        pytest.param("GET", "/v2/", "aws", id="version-check"),
        pytest.param("GET", "/v2/{alias}/team/app/tags/list", "repository:{alias}/team/app:pull", id="pull"),
        pytest.param("POST", "/v2/{alias}/team/app/blobs/uploads/", "repository:{alias}/team/app:pull,push", id="push"),
    ],
)
def test_a_request_without_a_token_gets_the_bearer_challenge(alias: str, method: str, path: str, scope: str) -> None:
    response = requests.request(method, HOST + path.format(alias=alias))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="{scope.format(alias=alias)}"'
    )
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_an_anonymous_token_pulls_but_does_not_push(alias: str) -> None:
    anonymous = token(alias).json()["token"]
    listed = requests.get(f"{HOST}/v2/{alias}/{NAME}/tags/list", headers=bearer(anonymous))
    assert (listed.status_code, listed.json()) == (200, {"name": NAME, "tags": []})
    push = requests.post(f"{HOST}/v2/{alias}/{NAME}/blobs/uploads/", headers=bearer(anonymous))
    assert push.status_code == 401
    assert "pull,push" in push.headers["WWW-Authenticate"]


def test_ecr_publics_password_gets_a_token_that_pushes(alias: str, public: Any) -> None:
    password = password_of(public.get_authorization_token()["authorizationData"]["authorizationToken"])
    pusher = token(alias, "pull,push", ("AWS", password)).json()["token"]
    data = b"a blob"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = requests.post(f"{HOST}/v2/{alias}/{NAME}/blobs/uploads/", headers=bearer(pusher))
    assert started.status_code == 202
    location = started.headers["Location"]
    assert location.startswith(f"/v2/{alias}/{NAME}/blobs/uploads/")
    finished = requests.put(f"{HOST}{location}", params={"digest": digest}, data=data, headers=bearer(pusher))
    assert finished.status_code == 201
    assert finished.headers["Location"] == f"/v2/{alias}/{NAME}/blobs/{digest}"
    answer = public.batch_check_layer_availability(repositoryName=NAME, layerDigests=[digest])
    assert [layer["layerDigest"] for layer in answer["layers"]] == [digest]


def test_a_private_registry_password_gets_no_token(fake_ecr: FakeEcr, alias: str) -> None:
    ecr = fake_ecr.client("ecr", region_name="us-east-1")
    password = password_of(ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"])
    refused = token(alias, "pull,push", ("AWS", password))
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, "DENIED")


def test_ecr_publics_password_does_not_open_a_private_registry(fake_ecr: FakeEcr, public: Any) -> None:
    password = password_of(public.get_authorization_token()["authorizationData"]["authorizationToken"])
    host = f"https://{fake_ecr.settings.account_id}.dkr.ecr.us-east-1.amazonaws.com"
    refused = requests.get(f"{host}/v2/", auth=("AWS", password))
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, "DENIED")


def test_an_alias_without_a_registry_is_name_unknown(alias: str) -> None:
    anonymous = token(alias).json()["token"]
    response = requests.get(f"{HOST}/v2/nosuchalias/{NAME}/tags/list", headers=bearer(anonymous))
    assert (response.status_code, response.json()["errors"][0]["code"]) == (404, "NAME_UNKNOWN")


def test_the_logo_url_serves_the_logo(alias: str, public: Any) -> None:
    logo = b"\x89PNG\r\n\x1a\n" + b"pixels"
    answer = public.put_repository_catalog_data(repositoryName=NAME, catalogData={"logoImageBlob": logo})
    served = requests.get(answer["catalogData"]["logoUrl"])
    assert (served.status_code, served.headers["Content-Type"], served.content) == (200, "image/png", logo)
