"""The layer API (docs/behaviour/registry.md#layer-api, docs/behaviour/errors.md#messages #22-#23, #29):
BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload and GetDownloadUrlForLayer, over
the blob store the registry uses."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import error_of, image_manifest, put, seed_blob, sha256

ACCOUNT = "123456789012"
REPO = "app"
MIB = 1024 * 1024
DATA = b"layer bytes " * 10


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


def initiate(ecr: Any, repository: str = REPO) -> str:
    return str(ecr.initiate_layer_upload(repositoryName=repository)["uploadId"])


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def part(ecr: Any, upload_id: str, data: bytes, first_byte: int, last_byte: int | None = None) -> dict[str, Any]:
    last = first_byte + len(data) - 1 if last_byte is None else last_byte
    return without_metadata(
        ecr.upload_layer_part(
            repositoryName=REPO, uploadId=upload_id, partFirstByte=first_byte, partLastByte=last, layerPartBlob=data
        )
    )


def complete(ecr: Any, upload_id: str, *digests: str) -> dict[str, Any]:
    return without_metadata(
        ecr.complete_layer_upload(repositoryName=REPO, uploadId=upload_id, layerDigests=list(digests))
    )


def upload(ecr: Any, *parts: bytes) -> str:
    """A whole upload, part by part; returns the layer digest."""
    upload_id, offset = initiate(ecr), 0
    for data in parts:
        part(ecr, upload_id, data, offset)
        offset += len(data)
    return str(complete(ecr, upload_id, sha256(b"".join(parts)))["layerDigest"])


def available(ecr: Any, *digests: str, repository: str = REPO) -> dict[str, Any]:
    return ecr.batch_check_layer_availability(  # type: ignore[no-any-return]
        repositoryName=repository, layerDigests=list(digests)
    )


# --- uploads -----------------------------------------------------------------------------------------


def test_initiate_gives_an_upload_id_and_ten_mib_parts(ecr: Any, repo: str) -> None:
    response = ecr.initiate_layer_upload(repositoryName=REPO)
    assert uuid.UUID(response["uploadId"])
    assert response["partSize"] == 10485760


def test_initiate_in_a_missing_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.initiate_layer_upload(repositoryName="missing")
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_parts_then_complete(ecr: Any, repo: str) -> None:
    upload_id = initiate(ecr)
    assert part(ecr, upload_id, DATA, 0) == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "uploadId": upload_id,
        "lastByteReceived": len(DATA) - 1,
    }
    assert complete(ecr, upload_id, sha256(b"other"), sha256(DATA)) == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "uploadId": upload_id,
        "layerDigest": sha256(DATA),
    }
    assert available(ecr, sha256(DATA))["layers"] == [
        {"layerDigest": sha256(DATA), "layerAvailability": "AVAILABLE", "layerSize": len(DATA)}
    ]


def test_parts_of_five_mib_and_a_small_last_one(ecr: Any, repo: str) -> None:
    first, last = bytes(5 * MIB), b"the end"
    assert upload(ecr, first, last) == sha256(first + last)


@pytest.mark.parametrize(
    ("first_byte", "last_byte"),
    [
        pytest.param(len(DATA) + 1, None, id="gap"),
        pytest.param(len(DATA) - 1, None, id="overlap"),
        pytest.param(0, None, id="restart"),
    ],
)
def test_parts_must_be_contiguous(ecr: Any, repo: str, first_byte: int, last_byte: int | None) -> None:
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    with pytest.raises(ClientError) as excinfo:
        part(ecr, upload_id, DATA, first_byte, last_byte)
    assert error_of(excinfo) == (
        "InvalidLayerPartException",
        f"First byte of the layer part is {first_byte} instead of {len(DATA)}",
    )
    assert excinfo.value.response["lastValidByteReceived"] == len(DATA) - 1
    assert excinfo.value.response["uploadId"] == upload_id


def test_the_first_part_starts_at_zero(ecr: Any, repo: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        part(ecr, initiate(ecr), DATA, 5)
    assert error_of(excinfo) == ("InvalidLayerPartException", "First byte of the layer part is 5 instead of 0")
    assert excinfo.value.response["lastValidByteReceived"] == 0  # nothing received; the member's minimum


@pytest.mark.parametrize("last_byte", [len(DATA) - 2, len(DATA)], ids=["shorter-range", "longer-range"])
def test_part_range_must_match_its_length(ecr: Any, repo: str, last_byte: int) -> None:
    upload_id = initiate(ecr)
    with pytest.raises(ClientError) as excinfo:
        part(ecr, upload_id, DATA, 0, last_byte)
    assert error_of(excinfo)[0] == "InvalidLayerPartException"
    assert complete_fails(ecr, upload_id) == "EmptyUploadException"  # nothing was appended


def complete_fails(ecr: Any, upload_id: str, *digests: str) -> str:
    with pytest.raises(ClientError) as excinfo:
        complete(ecr, upload_id, *(digests or (sha256(DATA),)))
    return error_of(excinfo)[0]


@pytest.mark.parametrize(
    ("upload_id", "repository"),
    [
        pytest.param("0123abcd-0123-4567-89ab-0123456789ab", REPO, id="unknown"),
        pytest.param(None, "other", id="of-another-repository"),
    ],
)
def test_unknown_upload(ecr: Any, repo: str, upload_id: str | None, repository: str) -> None:
    ecr.create_repository(repositoryName="other")
    foreign = upload_id or initiate(ecr, repository)
    with pytest.raises(ClientError) as excinfo:
        part(ecr, foreign, DATA, 0)
    code, message = error_of(excinfo)
    assert code == "UploadNotFoundException"
    assert foreign in message


def test_complete_with_no_matching_digest(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    with pytest.raises(ClientError) as excinfo:
        complete(ecr, upload_id, sha256(b"not these bytes"))
    assert error_of(excinfo) == (
        "InvalidLayerException",
        "None of the provided layer digests match the calculated layer digest",
    )
    assert available(ecr, sha256(DATA))["layers"] == []
    assert fake_ecr.registry().stored_bytes == 0


def test_complete_without_parts(ecr: Any, repo: str) -> None:
    assert complete_fails(ecr, initiate(ecr)) == "EmptyUploadException"


def test_complete_of_a_layer_already_there(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    upload(ecr, DATA)
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    assert complete_fails(ecr, upload_id) == "LayerAlreadyExistsException"
    assert fake_ecr.registry().stored_bytes == len(DATA)


def test_parts_before_the_last_must_be_five_mib(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    part(ecr, upload_id, DATA, len(DATA))
    with pytest.raises(ClientError) as excinfo:
        complete(ecr, upload_id, sha256(DATA + DATA))
    assert error_of(excinfo) == (
        "LayerPartTooSmallException",
        "All layer parts except the last part should be at least 5MB",
    )
    assert fake_ecr.registry().stored_bytes == 0


def test_a_completed_upload_is_consumed(ecr: Any, repo: str) -> None:
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    complete(ecr, upload_id, sha256(DATA))
    assert complete_fails(ecr, upload_id) == "UploadNotFoundException"


def test_an_abandoned_upload_holds_bytes_until_it_fails(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    upload_id = initiate(ecr)
    part(ecr, upload_id, DATA, 0)
    assert fake_ecr.registry().stored_bytes == len(DATA)
    assert available(ecr, sha256(DATA))["layers"] == []  # nothing visible before completion
    complete_fails(ecr, upload_id, sha256(b"wrong"))
    assert fake_ecr.registry().stored_bytes == 0


# --- BatchCheckLayerAvailability ------------------------------------------------------------------------


def test_check_reports_each_digest(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    present = upload(ecr, DATA)
    missing = sha256(b"never uploaded")
    response = available(ecr, present, missing, "not-a-digest")
    assert [layer["layerDigest"] for layer in response["layers"]] == [present]
    assert [(f["layerDigest"], f["failureCode"]) for f in response["failures"]] == [
        (missing, "MissingLayerDigest"),
        ("not-a-digest", "InvalidLayerDigest"),
    ]
    assert all(f["failureReason"] for f in response["failures"])


def test_layers_are_per_repository(ecr: Any, repo: str) -> None:
    ecr.create_repository(repositoryName="other")
    digest = upload(ecr, DATA)
    assert [f["failureCode"] for f in available(ecr, digest, repository="other")["failures"]] == ["MissingLayerDigest"]


@pytest.mark.parametrize(
    "digests",
    [
        pytest.param(["not-a-digest"], id="malformed-only"),
        pytest.param([sha256(b"anything")], id="well-formed"),
    ],
)
def test_check_in_a_missing_repository(ecr: Any, digests: list[str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        available(ecr, *digests, repository="missing")
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_check_reports_the_media_type_a_manifest_gave(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    manifest = image_manifest(fake_ecr, REPO, image_format="oci")
    put(ecr, REPO, manifest, "v1")
    config = sha256(b'{"architecture": "amd64", "os": "linux", "seed": "image"}')
    assert available(ecr, config)["layers"][0]["mediaType"] == "application/vnd.oci.image.config.v1+json"


# --- GetDownloadUrlForLayer ----------------------------------------------------------------------------


def download_url(ecr: Any, digest: str) -> str:
    return str(ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)["downloadUrl"])


def test_download_url_serves_the_layer_without_credentials(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    manifest = image_manifest(fake_ecr, REPO)
    put(ecr, REPO, manifest, "v1")
    layer = b"image layer 0 "
    response = ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=sha256(layer))
    assert response["layerDigest"] == sha256(layer)
    download = requests.get(response["downloadUrl"], timeout=30)  # no Authorization header, as with S3
    assert (download.status_code, download.content) == (200, layer)


def test_download_url_lasts_an_hour(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    put(ecr, REPO, image_manifest(fake_ecr, REPO), "v1")
    url = download_url(ecr, sha256(b"image layer 0 "))
    fake_ecr.clock.advance(minutes=59)
    assert requests.get(url, timeout=30).status_code == 200
    fake_ecr.clock.advance(minutes=1, seconds=1)
    assert requests.get(url, timeout=30).status_code == 403


def test_download_url_of_a_layer_not_in_the_repository(ecr: Any, repo: str) -> None:
    digest = sha256(b"never uploaded")
    with pytest.raises(ClientError) as excinfo:
        download_url(ecr, digest)
    assert error_of(excinfo) == (  # docs/behaviour/errors.md#messages #23
        "LayersNotFoundException",
        f"The layer with digest {digest} does not exist within the repository with name '{REPO}' "
        f"in the registry with id '{ACCOUNT}'",
    )


def test_download_url_of_a_layer_in_no_image(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    digest = seed_blob(fake_ecr, REPO, DATA)
    with pytest.raises(ClientError) as excinfo:
        download_url(ecr, digest)
    assert error_of(excinfo)[0] == "LayerInaccessibleException"


# --- one store with the registry --------------------------------------------------------------------


def test_an_upload_started_here_continues_through_the_registry(ecr: Any, repo: str, fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    upload_id = initiate(ecr)
    part(ecr, upload_id, bytes(5 * MIB), 0)
    status = requests.get(
        f"{fake_ecr.server.endpoint}/v2/{REPO}/blobs/uploads/{upload_id}",
        headers={"Authorization": f"Basic {token}"},
        timeout=30,
    )
    assert (status.status_code, status.headers["Range"]) == (204, f"0-{5 * MIB - 1}")
    patched = requests.patch(
        f"{fake_ecr.server.endpoint}{status.headers['Location']}",
        data=DATA,
        headers={"Authorization": f"Basic {token}"},
        timeout=30,
    )
    assert patched.status_code == 201
    assert complete(ecr, upload_id, sha256(bytes(5 * MIB) + DATA))["layerDigest"] == sha256(bytes(5 * MIB) + DATA)


def test_layer_part_blob_travels_as_base64(ecr: Any, repo: str) -> None:
    # botocore base64-encodes blobs on the wire; binary bytes survive the trip.
    binary = bytes(range(256))
    assert upload(ecr, binary) == sha256(binary)
