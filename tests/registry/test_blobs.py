"""Blobs through the registry (OCI distribution spec 1.1 "Pulling blobs", "Pushing blobs";
docs/behaviour/registry.md#endpoints, docs/behaviour/registry.md#error-codes): range reads, every upload style clients
use, chunk ordering, digest checks, mounts, and what failed or abandoned uploads leave behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fake_ecr import FakeEcr, errors
from fake_ecr.surfaces.requests_routing import InProcessAdapter

from registry.helpers import REPO, RegistryClient, oci_error, push_blob, sha256

UPLOADS = f"/v2/{REPO}/blobs/uploads/"
MIB = 1024 * 1024
TOO_SMALL = "All layer parts except the last part should be at least 5MB"
MISMATCH = "None of the provided layer digests match the calculated layer digest"


def start(registry: RegistryClient, repository: str = REPO) -> str:
    response = registry.request("POST", f"/v2/{repository}/blobs/uploads/")
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def blob_path(digest: str, repository: str = REPO) -> str:
    return f"/v2/{repository}/blobs/{digest}"


def stored_bytes(fake_ecr: FakeEcr) -> int:
    return fake_ecr.registry().stored_bytes


# --- range reads ---------------------------------------------------------------------------------------

BLOB = bytes(range(100))


@pytest.mark.parametrize(
    ("range_header", "status", "body", "content_range"),
    [
        pytest.param(None, 200, BLOB, None, id="whole"),
        pytest.param("bytes=0-3", 206, BLOB[:4], "bytes 0-3/100", id="first-bytes"),
        pytest.param("bytes=90-", 206, BLOB[90:], "bytes 90-99/100", id="open-ended"),
        pytest.param("bytes=-5", 206, BLOB[-5:], "bytes 95-99/100", id="suffix"),
        pytest.param("bytes=98-500", 206, BLOB[98:], "bytes 98-99/100", id="past-the-end-clipped"),
        pytest.param("bytes=0-1,5-6", 200, BLOB, None, id="several-ranges-get-the-whole"),
        pytest.param("bytes=100-200", 416, b"", "bytes */100", id="unsatisfiable"),
    ],
)
def test_range_reads(
    registry: RegistryClient,
    repo: str,
    *,
    range_header: str | None,
    status: int,
    body: bytes,
    content_range: str | None,
) -> None:
    digest = push_blob(registry, REPO, BLOB)
    headers = {} if range_header is None else {"Range": range_header}
    response = registry.request("GET", blob_path(digest), headers=headers)
    assert response.status_code == status
    assert response.headers.get("Content-Range") == content_range
    if status != 416:
        assert response.content == body
        assert response.headers["Content-Length"] == str(len(body))
        assert response.headers["Docker-Content-Digest"] == digest


def test_head_tells_size_and_digest_without_a_body(registry: RegistryClient, repo: str) -> None:
    digest = push_blob(registry, REPO, BLOB)
    response = registry.request("HEAD", blob_path(digest))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["Content-Length"] == "100"
    assert response.headers["Docker-Content-Digest"] == digest


def test_a_large_blob_streams_both_ways(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    data = os.urandom(6 * MIB + 7)  # past the 4 MiB spill threshold: kept in a temporary file
    digest = push_blob(registry, REPO, data)
    whole = registry.request("GET", blob_path(digest), stream=True)
    assert sha256(b"".join(whole.iter_content(MIB))) == digest
    middle = registry.request("GET", blob_path(digest), headers={"Range": f"bytes={MIB - 3}-{MIB + 3}"})
    assert middle.content == data[MIB - 3 : MIB + 4]
    assert stored_bytes(fake_ecr) == len(data)


def test_a_blob_being_read_survives_its_collection(registry: RegistryClient, fake_ecr: FakeEcr, ecr: Any) -> None:
    # A GET streaming a blob while a force delete collects it still gets every byte (the server is threaded).
    # In process, the registry reads the blob only as the client reads the response: the timing is exact.
    ecr.create_repository(repositoryName=REPO)
    data = os.urandom(6 * MIB)  # past the spill threshold: the blob lives in a temporary file
    digest = push_blob(registry, REPO, data)
    with requests.Session() as session:
        session.mount("http://", InProcessAdapter(fake_ecr))
        response = session.get(registry.endpoint + blob_path(digest), headers=registry.headers, stream=True)
        pieces = response.iter_content(MIB)
        first = next(pieces)
        ecr.delete_repository(repositoryName=REPO, force=True)
        assert stored_bytes(fake_ecr) == 0
        assert first + b"".join(pieces) == data


def test_a_force_delete_while_a_chunk_streams_in_ends_the_upload(
    registry: RegistryClient, repo: str, fake_ecr: FakeEcr, ecr: Any
) -> None:
    location = start(registry)
    deleted = threading.Event()

    def body() -> Iterator[bytes]:  # chunked: the server writes the first MiB before the rest arrives
        yield b"a" * MIB
        deleted.wait(10)
        yield b"b" * MIB

    answers: list[requests.Response] = []
    patching = threading.Thread(target=lambda: answers.append(registry.request("PATCH", location, data=body())))
    patching.start()
    deadline = time.monotonic() + 10
    while stored_bytes(fake_ecr) < MIB and time.monotonic() < deadline:
        time.sleep(0.01)
    ecr.delete_repository(repositoryName=REPO, force=True)
    deleted.set()
    patching.join(10)
    assert answers[0].status_code == 404
    assert oci_error(answers[0])[0] == "BLOB_UPLOAD_UNKNOWN"
    assert stored_bytes(fake_ecr) == 0


class _RecreatedWhileChecked(list[str]):
    """Digests whose check stands in for another thread force-deleting and recreating the repository
    while an upload completes (between its checks and the store)."""

    def __init__(self, digests: list[str], fake_ecr: FakeEcr) -> None:
        super().__init__(digests)
        self.fake_ecr = fake_ecr

    def __contains__(self, digest: object) -> bool:
        self.fake_ecr.registry().delete_repository(REPO, force=True)
        self.fake_ecr.registry().create_repository(REPO)
        return super().__contains__(digest)


def test_an_upload_dropped_with_its_repository_does_not_complete(repo: str, fake_ecr: FakeEcr) -> None:
    model = fake_ecr.registry()
    upload = model.start_upload(REPO)
    model.append_upload(REPO, upload.upload_id, [BLOB])
    with pytest.raises(errors.UploadNotFound):
        model.complete_upload(
            REPO, upload.upload_id, _RecreatedWhileChecked([sha256(BLOB)], fake_ecr), exists_is_error=False
        )
    assert model.open_blob(REPO, sha256(BLOB)) is None
    assert stored_bytes(fake_ecr) == 0


# --- upload styles ---------------------------------------------------------------------------------------


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def test_post_then_put_with_the_body(registry: RegistryClient, repo: str) -> None:
    location = start(registry)
    response = registry.request("PUT", location, params={"digest": sha256(BLOB)}, data=BLOB)
    assert response.status_code == 201
    assert response.headers["Location"] == blob_path(sha256(BLOB))
    assert response.headers["Docker-Content-Digest"] == sha256(BLOB)
    assert registry.request("GET", response.headers["Location"]).content == BLOB


def test_single_post_monolithic_upload(registry: RegistryClient, repo: str) -> None:
    response = registry.request("POST", UPLOADS, params={"digest": sha256(BLOB)}, data=BLOB)
    assert response.status_code == 201
    assert registry.request("GET", response.headers["Location"]).content == BLOB


def test_patch_with_chunked_transfer_encoding_then_put(registry: RegistryClient, repo: str) -> None:
    # buildah streams a PATCH body with Transfer-Encoding: chunked (docs/behaviour/clients.md#what-clients-need #4).
    location = start(registry)
    patched = registry.request("PATCH", location, data=chunks(BLOB, 7))
    # ECR answers a chunk 201 where the spec says 202 (docs/behaviour/registry.md#endpoints).
    assert patched.status_code == 201
    assert patched.headers["Range"] == "0-99"
    assert patched.headers["Location"] == location
    done = registry.request("PUT", location, params={"digest": sha256(BLOB)})
    assert done.status_code == 201
    assert registry.request("GET", blob_path(sha256(BLOB))).content == BLOB


def test_chunks_in_order_with_content_range(registry: RegistryClient, repo: str) -> None:
    data = os.urandom(5 * MIB + 10)
    location = start(registry)
    first = registry.request("PATCH", location, data=data[: 5 * MIB], headers={"Content-Range": f"0-{5 * MIB - 1}"})
    assert first.headers["Range"] == f"0-{5 * MIB - 1}"
    last = f"{5 * MIB}-{len(data) - 1}"
    done = registry.request(
        "PUT", location, params={"digest": sha256(data)}, data=data[5 * MIB :], headers={"Content-Range": last}
    )
    assert done.status_code == 201, done.text
    assert registry.request("HEAD", blob_path(sha256(data))).headers["Content-Length"] == str(len(data))


def test_out_of_order_chunk_is_416_and_the_upload_resumes(registry: RegistryClient, repo: str) -> None:
    data = bytes(5 * MIB) + BLOB  # a first part of the 5 MiB minimum, then the rest
    first, rest = 5 * MIB, 5 * MIB + 10
    location = start(registry)
    registry.request("PATCH", location, data=data[:first], headers={"Content-Range": f"0-{first - 1}"})
    refused = registry.request(
        "PATCH", location, data=data[rest:], headers={"Content-Range": f"{rest}-{len(data) - 1}"}
    )
    assert refused.status_code == 416
    assert oci_error(refused) == ("BLOB_UPLOAD_INVALID", f"First byte of the layer part is {rest} instead of {first}")
    assert refused.headers["Range"] == f"0-{first - 1}"
    status = registry.request("GET", location)
    assert (status.status_code, status.headers["Range"]) == (204, f"0-{first - 1}")
    registry.request("PATCH", location, data=data[first:], headers={"Content-Range": f"{first}-{len(data) - 1}"})
    assert registry.request("PUT", location, params={"digest": sha256(data)}).status_code == 201


@pytest.mark.parametrize(
    ("content_range", "body"),
    [
        pytest.param("zero-ten", b"x" * 10, id="not-a-range"),
        pytest.param("9-0", b"x" * 10, id="backwards"),
        pytest.param("0-19", b"x" * 10, id="longer-than-the-body"),
    ],
)
def test_content_range_that_cannot_describe_the_chunk(
    registry: RegistryClient, repo: str, content_range: str, body: bytes
) -> None:
    location = start(registry)
    refused = registry.request("PATCH", location, data=body, headers={"Content-Range": content_range})
    assert refused.status_code == 416
    assert oci_error(refused)[0] == "BLOB_UPLOAD_INVALID"
    assert refused.headers["Range"] == "0-0"
    assert registry.request("GET", location).status_code == 204  # the upload goes on


def test_parts_before_the_last_must_be_five_mib(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    # ECR holds registry chunks to the layer API's 5 MiB minimum, at completion (docs/behaviour/registry.md#endpoints
    # PATCH, docs/behaviour/errors.md#messages #22).
    location = start(registry)
    registry.request("PATCH", location, data=BLOB[:50])
    registry.request("PATCH", location, data=BLOB[50:])
    refused = registry.request("PUT", location, params={"digest": sha256(BLOB)})
    assert refused.status_code == 400
    assert oci_error(refused) == ("BLOB_UPLOAD_INVALID", TOO_SMALL)
    assert registry.request("GET", location).status_code == 404
    assert stored_bytes(fake_ecr) == 0


# --- failures leave nothing behind --------------------------------------------------------------------


def test_digest_mismatch_fails_the_upload_and_frees_its_bytes(
    registry: RegistryClient, repo: str, fake_ecr: FakeEcr, ecr: Any
) -> None:
    location = start(registry)
    registry.request("PATCH", location, data=BLOB)
    assert stored_bytes(fake_ecr) == len(BLOB)
    claimed = sha256(b"something else")
    refused = registry.request("PUT", location, params={"digest": claimed})
    assert refused.status_code == 400
    assert oci_error(refused) == ("BLOB_UPLOAD_INVALID", MISMATCH)
    assert registry.request("GET", location).status_code == 404
    for digest in (claimed, sha256(BLOB)):
        assert registry.request("HEAD", blob_path(digest)).status_code == 404
    assert ecr.batch_check_layer_availability(repositoryName=REPO, layerDigests=[sha256(BLOB)])["layers"] == []
    assert stored_bytes(fake_ecr) == 0


def test_failed_single_post_leaves_no_session(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    refused = registry.request("POST", UPLOADS, params={"digest": sha256(b"other")}, data=BLOB)
    assert refused.status_code == 400
    assert stored_bytes(fake_ecr) == 0


def test_cancelled_upload_frees_its_bytes(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    location = start(registry)
    registry.request("PATCH", location, data=BLOB)
    assert registry.request("DELETE", location).status_code == 204
    assert registry.request("GET", location).status_code == 404
    assert registry.request("PATCH", location, data=BLOB).status_code == 404
    assert stored_bytes(fake_ecr) == 0


def test_empty_upload_is_refused(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    # ECR stores no empty blobs (docs/behaviour/registry.md#push-flow): the empty digest does not complete an upload.
    location = start(registry)
    refused = registry.request("PUT", location, params={"digest": sha256(b"")})
    assert refused.status_code == 400
    assert oci_error(refused)[0] == "BLOB_UPLOAD_INVALID"


def test_the_same_blob_twice_is_stored_once(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    push_blob(registry, REPO, BLOB)
    push_blob(registry, REPO, BLOB)
    assert stored_bytes(fake_ecr) == len(BLOB)


# --- cross-repository mounts ---------------------------------------------------------------------------


@pytest.fixture
def source(ecr: Any, repo: str, registry: RegistryClient) -> str:
    ecr.create_repository(repositoryName="team/base")
    return push_blob(registry, "team/base", BLOB)


def enable_mounting(ecr: Any) -> None:
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")


def test_mount_when_blob_mounting_is_enabled(registry: RegistryClient, source: str, ecr: Any) -> None:
    enable_mounting(ecr)
    response = registry.request("POST", UPLOADS, params={"mount": source, "from": "team/base"})
    assert response.status_code == 201
    assert response.headers["Location"] == blob_path(source)
    assert response.headers["Docker-Content-Digest"] == source
    assert registry.request("GET", blob_path(source)).content == BLOB


@pytest.mark.parametrize(
    ("enabled", "mount_from", "mount_digest"),
    [
        pytest.param(False, "team/base", None, id="blob-mounting-disabled"),
        pytest.param(True, "team/other", None, id="source-repository-missing"),
        pytest.param(True, "team/base", sha256(b"not in the source"), id="source-lacks-the-blob"),
        pytest.param(True, "team/base", "not-a-digest", id="digest-invalid"),
    ],
)
def test_mount_that_cannot_be_served_opens_an_upload(
    registry: RegistryClient, source: str, ecr: Any, *, enabled: bool, mount_from: str, mount_digest: str | None
) -> None:
    # skopeo and podman expect a normal session when a mount can't be served
    # (docs/behaviour/clients.md#what-clients-need #5).
    if enabled:
        enable_mounting(ecr)
    response = registry.request("POST", UPLOADS, params={"mount": mount_digest or source, "from": mount_from})
    assert response.status_code == 202
    assert response.headers["Location"].startswith(UPLOADS)
    assert registry.request("HEAD", blob_path(source)).status_code == 404
    finished = registry.request("PUT", response.headers["Location"], params={"digest": source}, data=BLOB)
    assert finished.status_code == 201
