"""Archiving and restoring images: UpdateImageStorageClass (docs/behaviour/images.md#image-operations,
docs/behaviour/images.md#archive-storage-class)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import Manifest, error_of, image_manifest, index_manifest, put, state_of
from model_gates import needs_operations

pytestmark = needs_operations("UpdateImageStorageClass")

ACCOUNT = "123456789012"
REPO = "app"
NOW = 1_750_000_000.0
NOT_SUPPORTED = "ImageStorageClassUpdateNotSupportedException"


@pytest.fixture
def image(ecr: Any, fake_ecr: FakeEcr) -> Manifest:
    """A tagged image (v1) in the repository, pushed at NOW on a pinned clock."""
    fake_ecr.clock.set(NOW)
    ecr.create_repository(repositoryName=REPO)
    manifest = image_manifest(fake_ecr, REPO, "image")
    put(ecr, REPO, manifest, "v1")
    return manifest


def update(ecr: Any, target: str, **image_id: str) -> dict[str, Any]:
    response: dict[str, Any] = ecr.update_image_storage_class(
        repositoryName=REPO, imageId=image_id or {"imageTag": "v1"}, targetStorageClass=target
    )
    response.pop("ResponseMetadata")
    return response


def detail(ecr: Any, digest: str) -> dict[str, Any]:
    """The image's detail, whatever its status."""
    details = ecr.describe_images(repositoryName=REPO, filter={"imageStatus": "ANY"})["imageDetails"]
    return next(d for d in details if d["imageDigest"] == digest)  # type: ignore[no-any-return]


def listed(ecr: Any, image_status: str | None = None) -> list[str]:
    params = {"filter": {"imageStatus": image_status}} if image_status else {}
    return [i["imageDigest"] for i in ecr.list_images(repositoryName=REPO, **params)["imageIds"]]


def registry_get(fake_ecr: FakeEcr, ecr: Any, reference: str) -> requests.Response:
    """A manifest GET on the registry, with ECR's Basic credentials."""
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return requests.get(
        f"{fake_ecr.server.endpoint}/v2/{REPO}/manifests/{reference}",
        headers={"Authorization": f"Basic {token}", "Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )


# --- archiving ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_id", "echoed"),
    [
        pytest.param({"imageTag": "v1"}, {"imageTag": "v1"}, id="by-tag"),
        pytest.param({}, {}, id="by-digest"),
    ],
)
def test_archiving_answers_archived_and_hides_the_image_from_the_default_listings(
    ecr: Any, fake_ecr: FakeEcr, image: Manifest, image_id: dict[str, str], echoed: dict[str, str]
) -> None:
    fake_ecr.clock.set(NOW + 60)

    response = update(ecr, "ARCHIVE", **(image_id or {"imageDigest": image.digest}))

    assert response == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "imageId": {"imageDigest": image.digest, **echoed},
        "imageStatus": "ARCHIVED",
    }
    assert listed(ecr) == []
    assert listed(ecr, "ARCHIVED") == [image.digest]
    archived = detail(ecr, image.digest)
    assert (archived["imageStatus"], archived["lastArchivedAt"].timestamp()) == ("ARCHIVED", NOW + 60)
    assert archived["imageTags"] == ["v1"]


def test_an_archived_image_cannot_be_pulled_or_scanned(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
    update(ecr, "ARCHIVE")

    pulled = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])
    assert pulled["images"] == []
    assert pulled["failures"] == [
        {
            "imageId": {"imageTag": "v1"},
            "failureCode": "ImageInaccessible",
            "failureReason": "Requested image is archived and cannot be pulled",
        }
    ]
    assert registry_get(fake_ecr, ecr, "v1").status_code == 404
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert error_of(excinfo) == ("ImageArchivedException", "The specified image is archived and cannot be scanned.")


# --- restoring ------------------------------------------------------------------------------------


@pytest.mark.fake_ecr(restore_delay=600)
def test_a_restore_is_activating_until_the_delay_has_passed_on_the_clock(
    ecr: Any, fake_ecr: FakeEcr, image: Manifest
) -> None:
    update(ecr, "ARCHIVE")
    fake_ecr.clock.set(NOW + 100)

    assert update(ecr, "STANDARD")["imageStatus"] == "ACTIVATING"

    fake_ecr.clock.advance(599)
    activating = detail(ecr, image.digest)
    assert activating["imageStatus"] == "ACTIVATING"
    assert "lastActivatedAt" not in activating
    assert listed(ecr, "ACTIVATING") == [image.digest]
    assert ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"] == []
    assert registry_get(fake_ecr, ecr, "v1").status_code == 404

    fake_ecr.clock.advance(1)
    restored = detail(ecr, image.digest)
    assert (restored["imageStatus"], restored["lastActivatedAt"].timestamp()) == ("ACTIVE", NOW + 700)
    assert restored["lastArchivedAt"].timestamp() == NOW
    assert listed(ecr) == [image.digest]
    assert registry_get(fake_ecr, ecr, "v1").status_code == 200


def test_without_a_restore_delay_the_image_is_active_at_the_next_look(
    ecr: Any, fake_ecr: FakeEcr, image: Manifest
) -> None:
    update(ecr, "ARCHIVE")

    assert update(ecr, "STANDARD", imageDigest=image.digest) == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "imageId": {"imageDigest": image.digest},
        "imageStatus": "ACTIVATING",
    }
    assert detail(ecr, image.digest)["imageStatus"] == "ACTIVE"
    assert len(ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"]) == 1


def test_a_restored_image_is_scanned_on_push_again(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(NOW)
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.set_findings(f"{REPO}:v1", [])  # the test layers are no tar files: say scans find nothing
    put(ecr, REPO, image_manifest(fake_ecr, REPO, "image"), "v1")
    first = ecr.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert first["imageScanFindings"]["vulnerabilitySourceUpdatedAt"].timestamp() == NOW
    update(ecr, "ARCHIVE")
    fake_ecr.clock.set(NOW + 3600)

    update(ecr, "STANDARD")

    scan = ecr.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "v1"})
    # A new scan, started when the restore completed ("behaves like a newly pushed image").
    assert scan["imageScanFindings"]["vulnerabilitySourceUpdatedAt"].timestamp() == NOW + 3600


def test_pushing_an_archived_image_again_restores_it_at_once(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
    update(ecr, "ARCHIVE")
    fake_ecr.clock.set(NOW + 30)

    put(ecr, REPO, image, "v2")

    restored = detail(ecr, image.digest)
    assert (restored["imageStatus"], restored["lastActivatedAt"].timestamp()) == ("ACTIVE", NOW + 30)
    assert sorted(restored["imageTags"]) == ["v1", "v2"]


@pytest.mark.fake_ecr(restore_delay=600)
def test_an_image_deleted_while_activating_stays_deleted(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
    update(ecr, "ARCHIVE")
    update(ecr, "STANDARD")
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": image.digest}])

    fake_ecr.clock.advance(600)

    assert listed(ecr, "ANY") == []


# --- transitions ECR does not make ------------------------------------------------------------------


def _archived(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> str:
    update(ecr, "ARCHIVE")
    return image.digest


def _activating(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> str:
    update(ecr, "ARCHIVE")
    update(ecr, "STANDARD")
    return image.digest


def _active(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> str:
    return image.digest


def _index(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> str:
    index = index_manifest([image])
    put(ecr, REPO, index, "multi")
    return index.digest


Setup = Callable[[Any, FakeEcr, Manifest], str]


@pytest.mark.fake_ecr(restore_delay=600)
@pytest.mark.parametrize(
    ("setup", "target", "reason"),
    [
        pytest.param(
            _active, "STANDARD", "the image is already in the standard storage class", id="active-to-standard"
        ),
        pytest.param(_archived, "ARCHIVE", "the image is already archived", id="archived-to-archive"),
        pytest.param(
            _activating,
            "ARCHIVE",
            "the image is being restored to the standard storage class",
            id="activating-to-archive",
        ),
        pytest.param(
            _activating,
            "STANDARD",
            "the image is already being restored to the standard storage class",
            id="activating-to-standard",
        ),
        pytest.param(_index, "ARCHIVE", "a manifest list or image index cannot be archived", id="index-to-archive"),
    ],
)
def test_unsupported_transitions_are_refused_and_change_nothing(
    ecr: Any, fake_ecr: FakeEcr, image: Manifest, *, setup: Setup, target: str, reason: str
) -> None:
    digest = setup(ecr, fake_ecr, image)
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        update(ecr, target, imageDigest=digest)

    message = f"The requested image storage class update is not supported: {reason}"
    assert error_of(excinfo) == (NOT_SUPPORTED, message)
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    ("repository", "image_id", "code", "message"),
    [
        pytest.param(
            "nope",
            {"imageTag": "v1"},
            "RepositoryNotFoundException",
            f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
            id="no-repository",
        ),
        pytest.param(
            REPO,
            {"imageTag": "v9"},
            "ImageNotFoundException",
            f"The image with imageId {{imageDigest:'null', imageTag:'v9'}} does not exist within the repository "
            f"with name '{REPO}' in the registry with id '{ACCOUNT}'",
            id="no-image",
        ),
    ],
)
def test_missing_repository_or_image(
    ecr: Any, fake_ecr: FakeEcr, image: Manifest, *, repository: str, image_id: dict[str, str], code: str, message: str
) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        ecr.update_image_storage_class(repositoryName=repository, imageId=image_id, targetStorageClass="ARCHIVE")
    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before


def test_an_unknown_storage_class_is_refused(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        update(ecr, "GLACIER")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'targetStorageClass' failed to satisfy constraint: "
        "'Member must satisfy enum value set: [STANDARD, ARCHIVE]'",
    )
    assert state_of(fake_ecr) == before
