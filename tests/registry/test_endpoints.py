"""Every endpoint of the registry, one request each, against a small fixed world (a table of cases).

The world: repository team/app holding image v1 (config + one layer), a blob uploaded but in no image,
an upload in progress holding 10 bytes, and an empty repository other/repo.  Paths and headers name
these by placeholder: {layer}, {config}, {image}, {loose}, {upload}, {missing}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from registry.helpers import REPO, RegistryClient, build_image, oci_error, push_blob, push_image, sha256

MISSING = sha256(b"never pushed")


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: response headers expected (values may hold placeholders)
    expect: dict[str, str] = field(default_factory=dict)


CASES = [
    pytest.param(Case("GET", "/v2/", 200), id="version-check"),
    pytest.param(Case("HEAD", "/v2/", 200), id="version-check-head"),
    pytest.param(Case("GET", "/", 404, "UNSUPPORTED"), id="root-is-no-endpoint"),
    pytest.param(Case("GET", "/v2/_catalog", 404, "UNSUPPORTED"), id="catalog-not-served"),
    # blobs
    pytest.param(
        Case("HEAD", "/v2/team/app/blobs/{layer}", 200, expect={"Docker-Content-Digest": "{layer}"}),
        id="blob-head",
    ),
    pytest.param(Case("GET", "/v2/team/app/blobs/{config}", 200, expect={"Accept-Ranges": "bytes"}), id="blob-get"),
    pytest.param(Case("GET", "/v2/team/app/blobs/{loose}", 200), id="blob-get-unreferenced"),
    pytest.param(Case("HEAD", "/v2/team/app/blobs/{missing}", 404), id="blob-head-missing"),
    pytest.param(Case("GET", "/v2/team/app/blobs/{missing}", 404, "BLOB_UNKNOWN"), id="blob-get-missing"),
    pytest.param(Case("GET", "/v2/other/repo/blobs/{layer}", 404, "BLOB_UNKNOWN"), id="blob-of-another-repository"),
    pytest.param(Case("GET", "/v2/team/app/blobs/sha256:zz", 400, "DIGEST_INVALID"), id="blob-digest-invalid"),
    pytest.param(Case("GET", "/v2/nope/blobs/{layer}", 404, "NAME_UNKNOWN"), id="blob-repository-missing"),
    pytest.param(Case("DELETE", "/v2/team/app/blobs/{layer}", 405, "UNSUPPORTED"), id="blob-delete-unsupported"),
    pytest.param(
        Case("GET", "/v2/team/app/blobs/{layer}", 206, headers={"Range": "bytes=0-3"}, expect={"Content-Length": "4"}),
        id="blob-range",
    ),
    # uploads
    pytest.param(Case("POST", "/v2/team/app/blobs/uploads/", 202, expect={"Range": "0-0"}), id="upload-start"),
    pytest.param(Case("POST", "/v2/team/app/blobs/uploads", 202), id="upload-start-without-slash"),
    pytest.param(Case("POST", "/v2/nope/blobs/uploads/", 404, "NAME_UNKNOWN"), id="upload-start-repository-missing"),
    pytest.param(
        Case(
            "GET", "/v2/team/app/blobs/uploads/{upload}", 204, expect={"Range": "0-9", "Docker-Upload-UUID": "{upload}"}
        ),
        id="upload-status",
    ),
    pytest.param(
        Case("GET", "/v2/team/app/blobs/uploads/not-an-upload", 404, "BLOB_UPLOAD_UNKNOWN"), id="upload-status-unknown"
    ),
    pytest.param(
        Case("GET", "/v2/other/repo/blobs/uploads/{upload}", 404, "BLOB_UPLOAD_UNKNOWN"),
        id="upload-of-another-repository",
    ),
    pytest.param(
        Case("PATCH", "/v2/team/app/blobs/uploads/{upload}", 201, body=b"0123456789", expect={"Range": "0-19"}),
        id="upload-patch",
    ),
    pytest.param(
        Case(
            "PATCH",
            "/v2/team/app/blobs/uploads/{upload}",
            416,
            "BLOB_UPLOAD_INVALID",
            headers={"Content-Range": "20-29"},
            body=b"0123456789",
            expect={"Range": "0-9", "Location": "/v2/team/app/blobs/uploads/{upload}"},
        ),
        id="upload-patch-out-of-order",
    ),
    pytest.param(
        Case("PUT", "/v2/team/app/blobs/uploads/{upload}?digest={missing}", 400, "BLOB_UPLOAD_INVALID"),
        id="upload-put-digest-mismatch",
    ),
    pytest.param(
        Case("PUT", "/v2/team/app/blobs/uploads/{upload}", 400, "DIGEST_INVALID"), id="upload-put-without-digest"
    ),
    pytest.param(Case("DELETE", "/v2/team/app/blobs/uploads/{upload}", 204), id="upload-cancel"),
    pytest.param(
        Case("DELETE", "/v2/team/app/blobs/uploads/not-an-upload", 404, "BLOB_UPLOAD_UNKNOWN"),
        id="upload-cancel-unknown",
    ),
    # manifests
    pytest.param(
        Case("GET", "/v2/team/app/manifests/v1", 200, expect={"Docker-Content-Digest": "{image}"}), id="manifest-by-tag"
    ),
    pytest.param(Case("GET", "/v2/team/app/manifests/{image}", 200), id="manifest-by-digest"),
    pytest.param(
        Case(
            "HEAD",
            "/v2/team/app/manifests/v1",
            200,
            expect={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        ),
        id="manifest-head",
    ),
    pytest.param(Case("GET", "/v2/team/app/manifests/v2", 404, "MANIFEST_UNKNOWN"), id="manifest-tag-missing"),
    pytest.param(
        Case("GET", "/v2/team/app/manifests/{missing}", 404, "MANIFEST_UNKNOWN"), id="manifest-digest-missing"
    ),
    pytest.param(Case("GET", "/v2/nope/manifests/v1", 404, "NAME_UNKNOWN"), id="manifest-repository-missing"),
    pytest.param(Case("PUT", "/v2/team/app/manifests/bad:tag!", 400, "DIGEST_INVALID"), id="manifest-put-bad-digest"),
    pytest.param(Case("PUT", "/v2/team/app/manifests/-tag", 400, "TAG_INVALID"), id="manifest-put-bad-tag"),
    pytest.param(Case("POST", "/v2/team/app/manifests/v1", 405, "UNSUPPORTED"), id="manifest-post-unsupported"),
    pytest.param(Case("DELETE", "/v2/team/app/manifests/v2", 404, "MANIFEST_UNKNOWN"), id="manifest-delete-missing"),
    pytest.param(Case("DELETE", "/v2/team/app/manifests/{image}", 202), id="manifest-delete"),
    # content discovery
    pytest.param(Case("GET", "/v2/team/app/tags/list", 200), id="tags-list"),
    pytest.param(Case("GET", "/v2/nope/tags/list", 404, "NAME_UNKNOWN"), id="tags-list-repository-missing"),
    pytest.param(Case("GET", "/v2/team/app/tags/list?n=1001", 405, "UNSUPPORTED"), id="tags-list-page-too-large"),
    pytest.param(
        Case(
            "GET",
            "/v2/team/app/referrers/{image}",
            200,
            expect={"Content-Type": "application/vnd.oci.image.index.v1+json"},
        ),
        id="referrers",
    ),
    pytest.param(Case("GET", "/v2/team/app/referrers/{missing}", 200), id="referrers-of-a-missing-subject"),
    pytest.param(Case("GET", "/v2/team/app/referrers/latest", 400, "DIGEST_INVALID"), id="referrers-digest-invalid"),
]


@pytest.fixture
def world(ecr: Any, repo: str, registry: RegistryClient) -> dict[str, str]:
    ecr.create_repository(repositoryName="other/repo")
    image = build_image("world")
    assert push_image(registry, REPO, image, "v1").status_code == 201
    loose = push_blob(registry, REPO, b"uploaded, in no image")
    upload = registry.request("POST", f"/v2/{REPO}/blobs/uploads/").headers["Location"].rsplit("/", 1)[1]
    registry.request("PATCH", f"/v2/{REPO}/blobs/uploads/{upload}", data=b"abcdefghij")
    return {
        "layer": sha256(image.layers[0]),
        "config": sha256(image.config),
        "image": image.digest,
        "loose": loose,
        "upload": upload,
        "missing": MISSING,
    }


@pytest.mark.parametrize("case", CASES)
def test_endpoint(case: Case, world: dict[str, str], registry: RegistryClient) -> None:
    response = registry.request(
        case.method,
        case.path.format(**world),
        headers={k: v.format(**world) for k, v in case.headers.items()},
        data=case.body,
    )
    assert response.status_code == case.status, response.text
    assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    if case.code is not None:
        assert oci_error(response)[0] == case.code
    for name, value in case.expect.items():
        assert response.headers.get(name) == value.format(**world)
