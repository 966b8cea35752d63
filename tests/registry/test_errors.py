"""The registry's one error table (docs/behaviour/registry.md#error-codes, docs/behaviour/errors.md#messages): status,
OCI code, ECR's message and headers for each domain error, including those no HTTP test here can provoke (the image
quota)."""

from __future__ import annotations

import json

import pytest

from fake_ecr import errors
from fake_ecr.registry import oci_errors

ACCOUNT = "123456789012"
DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("error", "status", "code", "message"),
    [
        pytest.param(
            errors.RepositoryNotFound(ACCOUNT, "app"),
            404,
            "NAME_UNKNOWN",
            f"The repository with name 'app' does not exist in the registry with id '{ACCOUNT}'",
            id="repository-missing",
        ),
        pytest.param(
            errors.ImageNotFound(ACCOUNT, "app", None, "latest"),
            404,
            "MANIFEST_UNKNOWN",
            "Requested image not found",
            id="manifest-missing",
        ),
        pytest.param(
            errors.ImageTagAlreadyExists("app", "v1"),
            400,
            "TAG_INVALID",
            "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the "
            "repository is immutable.",
            id="immutable-tag",
        ),
        pytest.param(
            errors.LayersNotFound(ACCOUNT, "app", [DIGEST]),
            400,
            "BLOB_UPLOAD_UNKNOWN",
            f"Layers with digests '[{DIGEST}]' required for pushing image into repository with name 'app' in the "
            f"registry with id '{ACCOUNT}' do not exist",
            id="manifest-names-missing-blobs",
        ),
        pytest.param(
            errors.InvalidLayer("sha256:" + "b" * 64, (DIGEST,)),
            400,
            "BLOB_UPLOAD_INVALID",
            "None of the provided layer digests match the calculated layer digest",
            id="digest-mismatch-at-upload-finish",
        ),
        pytest.param(
            errors.InvalidLayerPart(ACCOUNT, "app", "u-1", 10485759, 20971520),
            416,
            "BLOB_UPLOAD_INVALID",
            "First byte of the layer part is 20971520 instead of 10485760",
            id="chunk-out-of-order",
        ),
        pytest.param(errors.ManifestInvalid(), 400, "UNSUPPORTED", "Invalid JSON syntax", id="manifest-unreadable"),
        pytest.param(
            errors.LimitExceeded(
                f"The repository with name 'app' in registry with id '{ACCOUNT}' already has the maximum allowed "
                "number of images which is '10000'"
            ),
            403,
            "DENIED",
            f"The repository with name 'app' in registry with id '{ACCOUNT}' already has the maximum allowed number "
            "of images which is '10000'",
            id="image-quota",
        ),
        pytest.param(
            oci_errors.AuthorizationTokenExpired(),
            403,
            "DENIED",
            "Your authorization token has expired. Reauthenticate and try again.",
            id="token-expired",
        ),
        pytest.param(oci_errors.CredentialsRequired("r.example"), 401, "UNAUTHORIZED", "Not Authorized", id="no-creds"),
        pytest.param(
            errors.DigestInvalid("sha256:zz"),
            400,
            "DIGEST_INVALID",
            "Invalid digest 'sha256:zz': it should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
            id="digest-invalid",
        ),
        pytest.param(
            errors.RequestBodyUnreadable("cut short"),
            400,
            "BLOB_UPLOAD_INVALID",
            "cut short",
            id="unreadable-blob-body",
        ),
        pytest.param(
            oci_errors.ManifestBodyUnreadable("cut short"),
            400,
            "MANIFEST_INVALID",
            "cut short",
            id="unreadable-manifest",
        ),
    ],
)
def test_error_rendering(error: errors.EcrError, status: int, code: str, message: str) -> None:
    response = oci_errors.error_response(error)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert json.loads(response.get_data()) == {"errors": [{"code": code, "message": message, "detail": None}]}


@pytest.mark.parametrize(
    ("error", "headers"),
    [
        pytest.param(
            oci_errors.CredentialsRequired("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
            {
                "WWW-Authenticate": 'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",'
                'service="ecr.amazonaws.com"'
            },
            id="challenge",
        ),
        pytest.param(
            errors.InvalidLayerPart(ACCOUNT, "team/app", "u-1", 99, 120),
            {"Range": "0-99", "Location": "/v2/team/app/blobs/uploads/u-1", "Docker-Upload-UUID": "u-1"},
            id="where-the-upload-stands",
        ),
        pytest.param(oci_errors.BlobRangeNotSatisfiable(DIGEST, 10), {"Content-Range": "bytes */10"}, id="range"),
    ],
)
def test_error_headers(error: errors.EcrError, headers: dict[str, str]) -> None:
    response = oci_errors.error_response(error)
    for name, value in headers.items():
        assert response.headers[name] == value


def test_the_most_specific_class_wins() -> None:
    # ManifestInvalid is an InvalidParameter; ManifestTooLarge too: each has its own row.
    assert oci_errors.rendering_of(errors.ManifestInvalid()).code == "UNSUPPORTED"
    assert oci_errors.rendering_of(oci_errors.ManifestTooLarge()).status == 413
    assert oci_errors.rendering_of(errors.InvalidParameter("imageManifestMediaType", "x")).code == "MANIFEST_INVALID"


def test_an_error_the_registry_cannot_raise_has_no_rendering() -> None:
    with pytest.raises(LookupError):
        oci_errors.rendering_of(errors.RepositoryAlreadyExists(ACCOUNT, "app"))
