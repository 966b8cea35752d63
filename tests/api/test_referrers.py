"""OCI referrers on the control plane: ListImageReferrers (docs/behaviour/images.md#image-operations,
docs/behaviour/images.md#referrers)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import OCI_MANIFEST, Manifest, error_of, image_manifest, put, state_of
from model_gates import needs_operations

pytestmark = needs_operations("ListImageReferrers")

ACCOUNT = "123456789012"
REPO = "app"
SIGNATURE = "application/vnd.example.signature"
SBOM = "application/vnd.example.sbom"
SBOM_CONFIG = "application/vnd.example.sbom.config.v1+json"


@pytest.fixture
def subject(ecr: Any, fake_ecr: FakeEcr) -> Manifest:
    ecr.create_repository(repositoryName=REPO)
    manifest = image_manifest(fake_ecr, REPO, "subject", image_format="oci")
    put(ecr, REPO, manifest, "v1")
    return manifest


def referrer(
    fake_ecr: FakeEcr,
    subject: Manifest,
    seed: str,
    *,
    artifact_type: str | None = SIGNATURE,
    config_media_type: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Manifest:
    """An OCI artifact whose subject is ``subject``."""
    base = image_manifest(fake_ecr, REPO, seed, image_format="oci", config_media_type=config_media_type)
    document = json.loads(base.text)
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    if annotations is not None:
        document["annotations"] = annotations
    document["subject"] = subject.descriptor()
    return Manifest(json.dumps(document), OCI_MANIFEST, base.size)


def referrers(ecr: Any, digest: str, **params: Any) -> list[dict[str, Any]]:
    response = ecr.list_image_referrers(repositoryName=REPO, subjectId={"imageDigest": digest}, **params)
    assert "nextToken" not in response
    return response["referrers"]  # type: ignore[no-any-return]


def digests(found: list[dict[str, Any]]) -> list[str]:
    return [r["digest"] for r in found]


def test_referrers_of_a_subject_are_listed_as_descriptors(ecr: Any, fake_ecr: FakeEcr, subject: Manifest) -> None:
    signature = referrer(fake_ecr, subject, "signature", annotations={"org.example.signed-by": "ci"})
    sbom = referrer(fake_ecr, subject, "sbom", artifact_type=None, config_media_type=SBOM_CONFIG)
    other_subject = image_manifest(fake_ecr, REPO, "other", image_format="oci")
    put(ecr, REPO, other_subject, "v2")
    for manifest in (signature, sbom, referrer(fake_ecr, other_subject, "elsewhere")):
        put(ecr, REPO, manifest, imageManifestMediaType=OCI_MANIFEST)

    assert referrers(ecr, subject.digest) == [
        {
            "digest": signature.digest,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIGNATURE,
            "size": len(signature.text.encode()),
            "annotations": {"org.example.signed-by": "ci"},
            "artifactStatus": "ACTIVE",
        },
        # Without artifactType of its own, an artifact's type is its config's media type (OCI spec).
        {
            "digest": sbom.digest,
            "mediaType": OCI_MANIFEST,
            "artifactType": SBOM_CONFIG,
            "size": len(sbom.text.encode()),
            "artifactStatus": "ACTIVE",
        },
    ]


def test_the_registry_lists_the_same_referrers(ecr: Any, fake_ecr: FakeEcr, subject: Manifest) -> None:
    signature = referrer(fake_ecr, subject, "signature", annotations={"org.example.signed-by": "ci"})
    put(ecr, REPO, signature, imageManifestMediaType=OCI_MANIFEST)
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]

    index = requests.get(
        f"{fake_ecr.server.endpoint}/v2/{REPO}/referrers/{subject.digest}",
        headers={"Authorization": f"Basic {token}"},
        timeout=30,
    ).json()

    listed = referrers(ecr, subject.digest)
    assert index["manifests"] == [{k: v for k, v in r.items() if k != "artifactStatus"} for r in listed]


def test_a_subject_without_referrers_has_none(ecr: Any, subject: Manifest) -> None:
    assert referrers(ecr, subject.digest) == []
    # A subject the repository does not hold: an empty list too, as the OCI referrers API answers.
    assert referrers(ecr, "sha256:" + "0" * 64) == []


@pytest.mark.parametrize(
    ("artifact_types", "expected"),
    [
        pytest.param([SIGNATURE], ["signature"], id="one-type"),
        pytest.param([SIGNATURE, SBOM], ["signature", "sbom"], id="two-types"),
        pytest.param(["application/vnd.example.other"], [], id="no-match"),
        pytest.param([], ["signature", "sbom"], id="empty-list-filters-nothing"),
    ],
)
def test_filter_by_artifact_types(
    ecr: Any, fake_ecr: FakeEcr, subject: Manifest, artifact_types: list[str], expected: list[str]
) -> None:
    pushed = {
        "signature": referrer(fake_ecr, subject, "signature"),
        "sbom": referrer(fake_ecr, subject, "sbom", artifact_type=SBOM),
    }
    for manifest in pushed.values():
        put(ecr, REPO, manifest, imageManifestMediaType=OCI_MANIFEST)

    found = referrers(ecr, subject.digest, filter={"artifactTypes": artifact_types})

    assert digests(found) == [pushed[name].digest for name in expected]


@pytest.mark.fake_ecr(restore_delay=600)
@pytest.mark.parametrize(
    ("artifact_status", "expected"),
    [
        pytest.param(None, ["active"], id="default-active"),
        pytest.param("ACTIVE", ["active"], id="active"),
        pytest.param("ARCHIVED", ["archived"], id="archived"),
        pytest.param("ACTIVATING", ["activating"], id="activating"),
        pytest.param("ANY", ["active", "archived", "activating"], id="any"),
    ],
)
def test_filter_by_artifact_status(
    ecr: Any, fake_ecr: FakeEcr, subject: Manifest, artifact_status: str | None, expected: list[str]
) -> None:
    pushed = {name: referrer(fake_ecr, subject, name) for name in ("active", "archived", "activating")}
    for manifest in pushed.values():
        put(ecr, REPO, manifest, imageManifestMediaType=OCI_MANIFEST)
    for name, moves in (("archived", ["ARCHIVE"]), ("activating", ["ARCHIVE", "STANDARD"])):
        for target in moves:
            ecr.update_image_storage_class(
                repositoryName=REPO, imageId={"imageDigest": pushed[name].digest}, targetStorageClass=target
            )
    params = {"filter": {"artifactStatus": artifact_status}} if artifact_status else {}

    found = referrers(ecr, subject.digest, **params)

    assert [(r["digest"], r["artifactStatus"]) for r in found] == [
        (pushed[name].digest, name.upper()) for name in expected
    ]


@pytest.mark.parametrize(
    ("params", "page_sizes"),
    [
        pytest.param({}, [20, 3], id="default-20"),
        pytest.param({"maxResults": 10}, [10, 10, 3], id="max-10"),
        pytest.param({"maxResults": 50}, [23], id="max-50"),
    ],
)
def test_referrers_come_in_pages(
    ecr: Any, fake_ecr: FakeEcr, subject: Manifest, params: dict[str, Any], page_sizes: list[int]
) -> None:
    pushed = [referrer(fake_ecr, subject, f"signature-{n}") for n in range(23)]
    for manifest in pushed:
        put(ecr, REPO, manifest, imageManifestMediaType=OCI_MANIFEST)

    pages: list[list[str]] = []
    token: dict[str, str] = {}
    while True:
        response = ecr.list_image_referrers(
            repositoryName=REPO, subjectId={"imageDigest": subject.digest}, **params, **token
        )
        pages.append(digests(response["referrers"]))
        if "nextToken" not in response:
            break
        token = {"nextToken": response["nextToken"]}

    assert [len(page) for page in pages] == page_sizes
    assert [digest for page in pages for digest in page] == [m.digest for m in pushed]


@pytest.mark.parametrize(
    ("repository", "digest", "extra", "code", "message"),
    [
        pytest.param(
            "nope",
            "sha256:" + "a" * 64,
            {},
            "RepositoryNotFoundException",
            f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
            id="no-repository",
        ),
        pytest.param(
            REPO,
            "not-a-digest",
            {},
            "InvalidParameterException",
            "Invalid digest 'not-a-digest': it should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
            id="malformed-digest",
        ),
        pytest.param(
            REPO,
            "sha256:" + "a" * 64,
            {"maxResults": 51},
            "InvalidParameterException",
            "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 50",
            id="max-results-over-50",
        ),
        pytest.param(
            REPO,
            "sha256:" + "a" * 64,
            {"nextToken": "not-a-token"},
            "InvalidParameterException",
            "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
            id="foreign-token",
        ),
    ],
)
def test_bad_requests_are_refused(
    ecr: Any,
    fake_ecr: FakeEcr,
    subject: Manifest,
    *,
    repository: str,
    digest: str,
    extra: dict[str, Any],
    code: str,
    message: str,
) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        ecr.list_image_referrers(repositoryName=repository, subjectId={"imageDigest": digest}, **extra)
    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before
