"""Images: PutImage, BatchGetImage, BatchDeleteImage, ListImages, DescribeImages
(docs/behaviour/images.md#image-operations, docs/behaviour/repositories.md#tag-mutability)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1,
    HELM_CONFIG,
    INVALID_JSON,
    OCI_INDEX,
    OCI_MANIFEST,
    Manifest,
    error_of,
    image_manifest,
    index_manifest,
    put,
    seed_blob,
    sha256,
)
from model_gates import modelled, needs_members
from registry.helpers import FORBIDDEN_DESCRIPTORS

ACCOUNT = "123456789012"
REPO = "app"
NOT_FOUND = "Requested image not found"


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


def details(ecr: Any, **params: Any) -> list[dict[str, Any]]:
    return ecr.describe_images(repositoryName=REPO, **params)["imageDetails"]  # type: ignore[no-any-return]


def detail_of(ecr: Any, digest: str) -> dict[str, Any]:
    return details(ecr, imageIds=[{"imageDigest": digest}])[0]


def tags_by_digest(ecr: Any) -> dict[str, list[str]]:
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in details(ecr)}


# --- PutImage: digest and bytes ----------------------------------------------------------------------


def _unusual(text: str) -> str:
    document = json.loads(text)
    document.setdefault("annotations", {})["org.example.note"] = "caf\u00e9 \u2603"
    return "  " + json.dumps(document, indent="\t", sort_keys=True).replace("\n", "\r\n") + "\n\n"


@pytest.mark.parametrize(
    "reshape",
    [
        pytest.param(lambda t: t, id="compact"),
        pytest.param(lambda t: json.dumps(json.loads(t), indent=3), id="indented"),
        pytest.param(_unusual, id="tabs-crlf-unicode-trailing-newlines"),
        pytest.param(lambda t: json.dumps(json.loads(t), separators=(" ,", " :  ")), id="odd-separators"),
    ],
)
def test_digest_is_sha256_of_the_exact_manifest(ecr: Any, fake_ecr: FakeEcr, repo: str, reshape: Any) -> None:
    text = reshape(image_manifest(fake_ecr, repo).text)
    digest = sha256(text.encode())

    image = put(ecr, repo, Manifest(text, DOCKER_MANIFEST, 0), "v1")

    assert image["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    assert image["imageManifest"] == text
    fetched = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageDigest": digest}])["images"][0]
    assert fetched["imageManifest"] == text
    assert [d["imageDigest"] for d in details(ecr)] == [digest]


def test_put_image_response(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    assert put(ecr, repo, manifest, "v1") == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "imageId": {"imageDigest": manifest.digest, "imageTag": "v1"},
        "imageManifest": manifest.text,
        "imageManifestMediaType": DOCKER_MANIFEST,
    }
    untagged = image_manifest(fake_ecr, repo, "other")
    assert put(ecr, repo, untagged)["imageId"] == {"imageDigest": untagged.digest}


def test_image_digest_must_match(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    wrong = sha256(b"something else")
    with pytest.raises(ClientError) as excinfo:
        put(ecr, repo, manifest, "v1", imageDigest=wrong)
    assert error_of(excinfo)[0] == "ImageDigestDoesNotMatchException"
    assert wrong in error_of(excinfo)[1]
    assert details(ecr) == []

    assert put(ecr, repo, manifest, "v1", imageDigest=manifest.digest)["imageId"]["imageDigest"] == manifest.digest


def test_put_image_into_unknown_repository(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        put(ecr, "missing", image_manifest(fake_ecr, repo), "v1")
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )


# --- PutImage: media types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "with_media_type", "declared", "expected"),
    [
        pytest.param("docker", True, None, DOCKER_MANIFEST, id="docker-field"),
        pytest.param("oci", True, None, OCI_MANIFEST, id="oci-field"),
        pytest.param("oci", False, OCI_MANIFEST, OCI_MANIFEST, id="oci-declared-only"),
        pytest.param("docker", True, DOCKER_MANIFEST, DOCKER_MANIFEST, id="docker-field-and-declared"),
        pytest.param("oci", True, OCI_MANIFEST, OCI_MANIFEST, id="oci-field-and-declared"),
    ],
)
def test_media_type_detection(
    ecr: Any,
    fake_ecr: FakeEcr,
    repo: str,
    *,
    image_format: str,
    with_media_type: bool,
    declared: str | None,
    expected: str,
) -> None:
    manifest = image_manifest(fake_ecr, repo, image_format=image_format, with_media_type=with_media_type)
    extra = {"imageManifestMediaType": declared} if declared else {}
    assert put(ecr, repo, manifest, "v1", **extra)["imageManifestMediaType"] == expected
    assert detail_of(ecr, manifest.digest)["imageManifestMediaType"] == expected
    fetched = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert fetched["imageManifestMediaType"] == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="oci-without-any-media-type"),
        pytest.param("{not json", id="not-json"),
        pytest.param("[1, 2]", id="json-array"),
        pytest.param('{"schemaVersion": 2}', id="no-media-type-nothing-else"),
    ],
)
def test_manifest_ecr_cannot_read_is_invalid_json(ecr: Any, fake_ecr: FakeEcr, repo: str, text: str | None) -> None:
    if text is None:
        text = image_manifest(fake_ecr, repo, image_format="oci", with_media_type=False).text
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")
    assert error_of(excinfo) == ("InvalidParameterException", INVALID_JSON)
    assert details(ecr) == []


@pytest.mark.parametrize("document", FORBIDDEN_DESCRIPTORS)
def test_a_descriptor_the_image_spec_forbids_is_refused(ecr: Any, repo: str, document: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(document), imageTag="v1")
    assert error_of(excinfo) == ("InvalidParameterException", INVALID_JSON)
    assert details(ecr) == []


def test_declared_media_type_contradicting_the_manifest_is_refused(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)  # says docker v2 itself
    with pytest.raises(ClientError) as excinfo:
        put(ecr, repo, manifest, "v1", imageManifestMediaType=OCI_MANIFEST)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert details(ecr) == []


def test_schema1_manifest(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    layers = [b"schema one layer a", b"schema one layer bb"]
    for layer in layers:
        seed_blob(fake_ecr, repo, layer)
    text = json.dumps(
        {
            "schemaVersion": 1,
            "name": repo,
            "tag": "v1",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": sha256(layer)} for layer in layers],
            "history": [{"v1Compatibility": "{}"}, {"v1Compatibility": "{}"}],
        }
    )
    assert ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")["image"]["imageManifestMediaType"] == (
        DOCKER_SCHEMA1
    )
    detail = details(ecr)[0]
    assert detail["imageManifestMediaType"] == DOCKER_SCHEMA1
    assert detail["imageSizeInBytes"] == sum(len(layer) for layer in layers)


# --- PutImage: referenced blobs and manifests ---------------------------------------------------------


def test_layers_not_found(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    ecr.create_repository(repositoryName="elsewhere")
    config = json.dumps({"os": "linux"}).encode()
    present, absent = b"present layer", b"absent layer"
    seed_blob(fake_ecr, repo, config)
    seed_blob(fake_ecr, repo, present)
    only_elsewhere = b"layer of another repository"
    seed_blob(fake_ecr, "elsewhere", only_elsewhere)
    text = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [
                {"mediaType": DOCKER_LAYER, "digest": sha256(layer), "size": len(layer)}
                for layer in (absent, present, only_elsewhere)
            ],
        }
    )
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")
    assert error_of(excinfo) == (
        "LayersNotFoundException",
        f"Layers with digests '[{sha256(absent)}, {sha256(only_elsewhere)}]' required for pushing image into "
        f"repository with name '{repo}' in the registry with id '{ACCOUNT}' do not exist",
    )
    assert details(ecr) == []


def test_index_needs_its_children(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    pushed = image_manifest(fake_ecr, repo, "amd64")
    missing = image_manifest(fake_ecr, repo, "arm64")
    put(ecr, repo, pushed)
    with pytest.raises(ClientError) as excinfo:
        put(ecr, repo, index_manifest([pushed, missing]), "multi")
    code, message = error_of(excinfo)
    assert code == "ReferencedImagesNotFoundException"
    assert missing.digest in message and pushed.digest not in message
    assert [d["imageDigest"] for d in details(ecr)] == [pushed.digest]


# --- PutImage: tags, mutability and re-pushes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mutability", "filters", "tag", "may_move"),
    [
        pytest.param("MUTABLE", [], "latest", True, id="mutable"),
        pytest.param("IMMUTABLE", [], "latest", False, id="immutable"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["latest"], "latest", True, id="immutable-excluded-exact"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["latest"], "latest2", False, id="immutable-exact-is-whole-tag"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["dev-*"], "dev-42", True, id="immutable-excluded-glob"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["dev-*"], "v1.0", False, id="immutable-not-excluded"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["dev"], "dev-42", False, id="immutable-filter-is-no-prefix"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["*-rc"], "1.0-rc", True, id="immutable-leading-star"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["v*.*", "dev-*"], "v1.2", True, id="immutable-second-filter"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", ["*"], "anything", True, id="immutable-star-excludes-all"),
        pytest.param("MUTABLE_WITH_EXCLUSION", ["release-*"], "release-1", False, id="mutable-excluded"),
        pytest.param("MUTABLE_WITH_EXCLUSION", ["release-*"], "latest", True, id="mutable-not-excluded"),
        pytest.param("MUTABLE_WITH_EXCLUSION", ["release-*"], "prerelease-1", True, id="mutable-glob-anchored"),
    ],
)
def test_tag_mutability(
    ecr: Any, fake_ecr: FakeEcr, *, mutability: str, filters: list[str], tag: str, may_move: bool
) -> None:
    params: dict[str, Any] = {"imageTagMutability": mutability}
    if filters:
        params["imageTagMutabilityExclusionFilters"] = [{"filterType": "WILDCARD", "filter": f} for f in filters]
    ecr.create_repository(repositoryName=REPO, **params)
    first, second = image_manifest(fake_ecr, REPO, "first"), image_manifest(fake_ecr, REPO, "second")
    put(ecr, REPO, first, tag)

    if may_move:
        put(ecr, REPO, second, tag)
        assert tags_by_digest(ecr) == {first.digest: [], second.digest: [tag]}
        return
    with pytest.raises(ClientError) as excinfo:
        put(ecr, REPO, second, tag)
    assert error_of(excinfo) == (
        "ImageTagAlreadyExistsException",
        f"The image tag '{tag}' already exists in the '{REPO}' repository and cannot be overwritten "
        "because the repository is immutable.",
    )
    assert tags_by_digest(ecr) == {first.digest: [tag]}


def test_immutable_repository_allows_new_tags(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    manifest = image_manifest(fake_ecr, REPO)
    put(ecr, REPO, manifest, "v1")
    put(ecr, REPO, manifest, "stable")
    put(ecr, REPO, image_manifest(fake_ecr, REPO, "other"), "v2")
    assert tags_by_digest(ecr)[manifest.digest] == ["stable", "v1"]


def test_mutability_change_applies_to_later_pushes(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    first, second = image_manifest(fake_ecr, repo, "first"), image_manifest(fake_ecr, repo, "second")
    put(ecr, repo, first, "v1")
    ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    assert tags_by_digest(ecr) == {first.digest: ["v1"]}
    with pytest.raises(ClientError) as excinfo:
        put(ecr, repo, second, "v1")
    assert error_of(excinfo)[0] == "ImageTagAlreadyExistsException"


@pytest.mark.parametrize(
    ("mutability", "tag", "error", "message_tag"),
    [
        pytest.param("MUTABLE", "v1", "ImageAlreadyExistsException", "v1", id="mutable-same-tag"),
        # CONFLICT in docs/behaviour/repositories.md#tag-mutability; the reference's recommendation:
        # ImageTagAlreadyExists when immutable.
        pytest.param("IMMUTABLE", "v1", "ImageTagAlreadyExistsException", None, id="immutable-same-tag"),
        # UNCONFIRMED (docs/behaviour/images.md#image-operations PutImage): no tag for a manifest already present ->
        # ImageAlreadyExists.
        pytest.param("MUTABLE", None, "ImageAlreadyExistsException", "null", id="no-tag"),
    ],
)
def test_repush_of_same_manifest(
    ecr: Any, fake_ecr: FakeEcr, *, mutability: str, tag: str | None, error: str, message_tag: str | None
) -> None:
    ecr.create_repository(repositoryName=REPO, imageTagMutability=mutability)
    manifest = image_manifest(fake_ecr, REPO)
    put(ecr, REPO, manifest, "v1")
    with pytest.raises(ClientError) as excinfo:
        put(ecr, REPO, manifest, tag)
    code, message = error_of(excinfo)
    assert code == error
    if message_tag is not None:
        assert message == (
            f"Image with digest '{manifest.digest}' and tag '{message_tag}' already exists in the repository "
            f"with name '{REPO}' in registry with id '{ACCOUNT}'"
        )
    assert tags_by_digest(ecr) == {manifest.digest: ["v1"]}


def test_same_manifest_new_tag_adds_the_tag(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    fake_ecr.clock.set(1_700_000_000)
    put(ecr, repo, manifest, "v1")
    fake_ecr.clock.advance(hours=1)
    image = put(ecr, repo, manifest, "latest")
    assert image["imageId"] == {"imageDigest": manifest.digest, "imageTag": "latest"}
    assert tags_by_digest(ecr) == {manifest.digest: ["latest", "v1"]}
    assert detail_of(ecr, manifest.digest)["imagePushedAt"].timestamp() == 1_700_000_000


def test_untagged_then_tagged(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    put(ecr, repo, manifest)
    put(ecr, repo, manifest, "v1")
    assert tags_by_digest(ecr) == {manifest.digest: ["v1"]}


def test_moving_a_tag_leaves_the_old_image_untagged(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    old, new = image_manifest(fake_ecr, repo, "old"), image_manifest(fake_ecr, repo, "new")
    put(ecr, repo, old, "latest")
    put(ecr, repo, old, "v1")
    put(ecr, repo, new, "latest")
    assert tags_by_digest(ecr) == {old.digest: ["v1"], new.digest: ["latest"]}
    put(ecr, repo, new, "v1")
    assert tags_by_digest(ecr) == {old.digest: [], new.digest: ["latest", "v1"]}
    assert "imageTags" not in detail_of(ecr, old.digest)
    fetched = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}])["images"]
    assert [i["imageId"]["imageDigest"] for i in fetched] == [new.digest]


# --- BatchGetImage ------------------------------------------------------------------------------------


def test_batch_get_image_by_tag_and_by_digest(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    put(ecr, repo, manifest, "v1")
    response = ecr.batch_get_image(
        repositoryName=repo,
        imageIds=[
            {"imageTag": "v1"},
            {"imageDigest": manifest.digest},
            {"imageDigest": manifest.digest, "imageTag": "v1"},
        ],
    )
    assert response["failures"] == []
    common = {"registryId": ACCOUNT, "repositoryName": repo, "imageManifest": manifest.text}
    assert response["images"] == [
        {
            **common,
            "imageId": {"imageDigest": manifest.digest, "imageTag": "v1"},
            "imageManifestMediaType": DOCKER_MANIFEST,
        },
        {**common, "imageId": {"imageDigest": manifest.digest}, "imageManifestMediaType": DOCKER_MANIFEST},
        {
            **common,
            "imageId": {"imageDigest": manifest.digest, "imageTag": "v1"},
            "imageManifestMediaType": DOCKER_MANIFEST,
        },
    ]


@pytest.mark.parametrize(
    ("accepted", "found"),
    [
        pytest.param(None, True, id="omitted"),
        pytest.param([OCI_MANIFEST], True, id="oci"),
        pytest.param([DOCKER_MANIFEST, OCI_MANIFEST], True, id="docker-and-oci"),
        # fake-ecr converts no manifests (docs/behaviour/registry.md#manifest-formats allows a fake to skip conversion):
        # not acceptable = not found.
        pytest.param([DOCKER_MANIFEST], False, id="docker-only"),
    ],
)
def test_batch_get_image_accepted_media_types(
    ecr: Any, fake_ecr: FakeEcr, repo: str, accepted: list[str] | None, found: bool
) -> None:
    manifest = image_manifest(fake_ecr, repo, image_format="oci")
    put(ecr, repo, manifest, "v1")
    extra = {"acceptedMediaTypes": accepted} if accepted else {}
    response = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}], **extra)
    if found:
        assert [i["imageManifest"] for i in response["images"]] == [manifest.text]
        assert response["failures"] == []
    else:
        assert response["images"] == []
        assert [f["failureCode"] for f in response["failures"]] == ["ImageNotFound"]


def test_batch_get_image_returns_an_index_as_pushed(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    children = [image_manifest(fake_ecr, repo, arch) for arch in ("amd64", "arm64")]
    for child in children:
        put(ecr, repo, child)
    index = index_manifest(children)
    put(ecr, repo, index, "multi")
    image = ecr.batch_get_image(
        repositoryName=repo, imageIds=[{"imageTag": "multi"}], acceptedMediaTypes=[DOCKER_LIST, DOCKER_MANIFEST]
    )["images"][0]
    assert (image["imageManifest"], image["imageManifestMediaType"]) == (index.text, DOCKER_LIST)


def test_batch_get_image_failures(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    first, second = image_manifest(fake_ecr, repo, "first"), image_manifest(fake_ecr, repo, "second")
    put(ecr, repo, first, "v1")
    put(ecr, repo, second, "v2")
    response = ecr.batch_get_image(
        repositoryName=repo,
        imageIds=[
            {"imageTag": "missing"},
            {"imageDigest": sha256(b"nothing")},
            {},
            {"imageDigest": "not-a-digest"},
            {"imageDigest": second.digest, "imageTag": "v1"},
            {"imageTag": "v2"},
        ],
    )
    assert [i["imageId"] for i in response["images"]] == [{"imageDigest": second.digest, "imageTag": "v2"}]
    assert response["failures"] == [
        {"imageId": {"imageTag": "missing"}, "failureCode": "ImageNotFound", "failureReason": NOT_FOUND},
        {"imageId": {"imageDigest": sha256(b"nothing")}, "failureCode": "ImageNotFound", "failureReason": NOT_FOUND},
        {
            "imageId": {},
            "failureCode": "MissingDigestAndTag",
            "failureReason": "Invalid request parameters: both tag and digest cannot be null",
        },
        {
            "imageId": {"imageDigest": "not-a-digest"},
            "failureCode": "InvalidImageDigest",
            "failureReason": "Invalid request parameters: image digest should satisfy the regex "
            "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
        {
            "imageId": {"imageDigest": second.digest, "imageTag": "v1"},
            "failureCode": "ImageTagDoesNotMatchDigest",
            "failureReason": response["failures"][4]["failureReason"],
        },
    ]


def test_batch_get_image_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.batch_get_image(repositoryName="missing", imageIds=[{"imageTag": "v1"}])
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


def test_pull_records_last_recorded_pull_time(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    fake_ecr.clock.set(datetime(2024, 3, 1, tzinfo=timezone.utc))
    put(ecr, repo, manifest, "v1")
    assert "lastRecordedPullTime" not in detail_of(ecr, manifest.digest)

    fake_ecr.clock.advance(days=2)
    ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    detail = detail_of(ecr, manifest.digest)
    assert detail["lastRecordedPullTime"] == datetime(2024, 3, 3, tzinfo=timezone.utc)
    assert detail["imagePushedAt"] == datetime(2024, 3, 1, tzinfo=timezone.utc)

    fake_ecr.clock.advance(days=1)
    ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageDigest": manifest.digest}])
    assert detail_of(ecr, manifest.digest)["lastRecordedPullTime"] == datetime(2024, 3, 4, tzinfo=timezone.utc)


# --- BatchDeleteImage ---------------------------------------------------------------------------------


def test_delete_by_tag_untags_while_other_tags_remain(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    put(ecr, repo, manifest, "v1")
    put(ecr, repo, manifest, "latest")

    response = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}])
    assert (response["imageIds"], response["failures"]) == (
        [{"imageDigest": manifest.digest, "imageTag": "latest"}],
        [],
    )
    assert tags_by_digest(ecr) == {manifest.digest: ["v1"]}

    response = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert response["imageIds"] == [{"imageDigest": manifest.digest, "imageTag": "v1"}]
    assert tags_by_digest(ecr) == {}  # the last tag took the image with it


def test_delete_by_digest_removes_the_image_and_its_tags(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    tagged, untagged = image_manifest(fake_ecr, repo, "tagged"), image_manifest(fake_ecr, repo, "untagged")
    put(ecr, repo, tagged, "v1")
    put(ecr, repo, tagged, "latest")
    put(ecr, repo, untagged)

    response = ecr.batch_delete_image(
        repositoryName=repo, imageIds=[{"imageDigest": tagged.digest}, {"imageDigest": untagged.digest}]
    )
    assert response["failures"] == []
    assert sorted(response["imageIds"], key=lambda i: i.get("imageTag", "")) == [
        {"imageDigest": untagged.digest},
        {"imageDigest": tagged.digest, "imageTag": "latest"},
        {"imageDigest": tagged.digest, "imageTag": "v1"},
    ]
    assert details(ecr) == []
    assert ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"] == []


def test_delete_by_digest_and_tag(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    first, second = image_manifest(fake_ecr, repo, "first"), image_manifest(fake_ecr, repo, "second")
    put(ecr, repo, first, "v1")
    put(ecr, repo, second, "v2")
    response = ecr.batch_delete_image(
        repositoryName=repo,
        imageIds=[{"imageDigest": first.digest, "imageTag": "v2"}, {"imageDigest": second.digest, "imageTag": "v2"}],
    )
    assert response["imageIds"] == [{"imageDigest": second.digest, "imageTag": "v2"}]
    assert [(f["imageId"], f["failureCode"]) for f in response["failures"]] == [
        ({"imageDigest": first.digest, "imageTag": "v2"}, "ImageTagDoesNotMatchDigest")
    ]
    assert tags_by_digest(ecr) == {first.digest: ["v1"]}


def test_batch_delete_image_failures(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, repo)
    put(ecr, repo, manifest, "v1")
    response = ecr.batch_delete_image(
        repositoryName=repo,
        imageIds=[{"imageTag": "missing"}, {"imageDigest": sha256(b"none")}, {}, {"imageDigest": "sha256:xyz"}],
    )
    assert response["imageIds"] == []
    assert [(f["imageId"], f["failureCode"], f["failureReason"]) for f in response["failures"]] == [
        ({"imageTag": "missing"}, "ImageNotFound", NOT_FOUND),
        ({"imageDigest": sha256(b"none")}, "ImageNotFound", NOT_FOUND),
        ({}, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"),
        (
            {"imageDigest": "sha256:xyz"},
            "InvalidImageDigest",
            "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        ),
    ]
    assert tags_by_digest(ecr) == {manifest.digest: ["v1"]}


def test_delete_index_child_referenced_by_an_index(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    children = [image_manifest(fake_ecr, repo, arch, image_format="oci") for arch in ("amd64", "arm64")]
    for child in children:
        put(ecr, repo, child)
    index = index_manifest(children, image_format="oci")
    put(ecr, repo, index, "multi")

    response = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": children[0].digest}])
    assert response["imageIds"] == []
    assert [(f["imageId"], f["failureCode"]) for f in response["failures"]] == [
        ({"imageDigest": children[0].digest}, "ImageReferencedByManifestList")
    ]

    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "multi"}])
    # Deleting the index leaves its children as untagged images (docs/behaviour/images.md#image-operations
    # BatchDeleteImage).
    assert tags_by_digest(ecr) == {child.digest: [] for child in children}
    response = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": children[0].digest}])
    assert (response["imageIds"], response["failures"]) == ([{"imageDigest": children[0].digest}], [])


def test_batch_delete_image_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.batch_delete_image(repositoryName="missing", imageIds=[{"imageTag": "v1"}])
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


# --- ListImages ---------------------------------------------------------------------------------------


@pytest.fixture
def three_images(ecr: Any, fake_ecr: FakeEcr, repo: str) -> dict[str, Manifest]:
    """``two-tags`` (v1, latest), ``one-tag`` (v2), ``untagged``, pushed in that order."""
    pushed = {name: image_manifest(fake_ecr, repo, name) for name in ("two-tags", "one-tag", "untagged")}
    put(ecr, repo, pushed["two-tags"], "v1")
    put(ecr, repo, pushed["two-tags"], "latest")
    put(ecr, repo, pushed["one-tag"], "v2")
    put(ecr, repo, pushed["untagged"])
    return pushed


@pytest.mark.parametrize(
    ("tag_status", "expected"),
    [
        pytest.param(
            None, [("two-tags", "v1"), ("two-tags", "latest"), ("one-tag", "v2"), ("untagged", None)], id="default"
        ),
        pytest.param(
            "ANY", [("two-tags", "v1"), ("two-tags", "latest"), ("one-tag", "v2"), ("untagged", None)], id="any"
        ),
        pytest.param("TAGGED", [("two-tags", "v1"), ("two-tags", "latest"), ("one-tag", "v2")], id="tagged"),
        pytest.param("UNTAGGED", [("untagged", None)], id="untagged"),
    ],
)
def test_list_images(
    ecr: Any, three_images: dict[str, Manifest], tag_status: str | None, expected: list[tuple[str, str | None]]
) -> None:
    extra = {"filter": {"tagStatus": tag_status}} if tag_status else {}
    listed = ecr.list_images(repositoryName=REPO, **extra)["imageIds"]
    wanted = [
        {"imageDigest": three_images[name].digest, **({"imageTag": tag} if tag else {})} for name, tag in expected
    ]
    assert sorted(listed, key=str) == sorted(wanted, key=str)


def test_list_images_pages(ecr: Any, three_images: dict[str, Manifest]) -> None:
    everything = ecr.list_images(repositoryName=REPO)["imageIds"]
    pages, params = [], {"repositoryName": REPO, "maxResults": 3}
    while True:
        page = ecr.list_images(**params)
        pages.append(page["imageIds"])
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    assert [len(p) for p in pages] == [3, 1]
    assert [i for p in pages for i in p] == everything

    paginator = ecr.get_paginator("list_images")
    paged = list(paginator.paginate(repositoryName=REPO, PaginationConfig={"PageSize": 2}))
    assert [len(p["imageIds"]) for p in paged] == [2, 2]
    assert paginator.paginate(repositoryName=REPO).build_full_result()["imageIds"] == everything


def test_list_images_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.list_images(repositoryName="missing")
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


# --- DescribeImages -----------------------------------------------------------------------------------


def test_describe_images_detail(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    fake_ecr.clock.set(datetime(2024, 6, 1, 8, 30, tzinfo=timezone.utc))
    manifest = image_manifest(fake_ecr, repo, layer_count=3)
    put(ecr, repo, manifest, "v1")
    fake_ecr.clock.advance(minutes=5)
    put(ecr, repo, manifest, "latest")
    assert details(ecr, imageIds=[{"imageTag": "latest"}]) == [
        {
            "registryId": ACCOUNT,
            "repositoryName": repo,
            "imageDigest": manifest.digest,
            "imageTags": ["v1", "latest"],
            "imageSizeInBytes": manifest.size,
            "imagePushedAt": datetime(2024, 6, 1, 8, 30, tzinfo=timezone.utc),
            "imageManifestMediaType": DOCKER_MANIFEST,
            "artifactMediaType": DOCKER_CONFIG,
            **modelled("ImageDetail", imageStatus="ACTIVE"),
        }
    ]


def test_image_size_is_config_plus_layers(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    config = b'{"os":"linux","architecture":"amd64"}'
    layers = [b"x" * 17, b"y" * 1000, b"z" * 3]
    for blob in (config, *layers):
        seed_blob(fake_ecr, repo, blob)
    text = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": DOCKER_LAYER, "digest": sha256(b), "size": len(b)} for b in layers],
        }
    )
    ecr.put_image(repositoryName=repo, imageManifest=text)
    assert details(ecr)[0]["imageSizeInBytes"] == len(config) + 1020


def test_index_detail(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    children = [image_manifest(fake_ecr, repo, arch, layer_count=n + 1) for n, arch in enumerate(("a", "b", "c"))]
    for child in children:
        put(ecr, repo, child)
    index = index_manifest(children, image_format="oci")
    put(ecr, repo, index, "multi")
    detail = details(ecr, imageIds=[{"imageTag": "multi"}])[0]
    assert detail["imageSizeInBytes"] == max(c.size for c in children) == children[2].size
    assert detail["imageManifestMediaType"] == OCI_INDEX
    # an index has no config (UNCONFIRMED, docs/behaviour/images.md#image-operations DescribeImages)
    assert "artifactMediaType" not in detail
    untagged = details(ecr, filter={"tagStatus": "UNTAGGED"})
    assert [d["imageDigest"] for d in untagged] == [c.digest for c in children]


def test_artifact_media_type_is_the_config_media_type(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    chart = image_manifest(fake_ecr, repo, "chart", image_format="oci", config_media_type=HELM_CONFIG)
    put(ecr, repo, chart, "0.1.0")
    assert detail_of(ecr, chart.digest)["artifactMediaType"] == HELM_CONFIG


@pytest.mark.parametrize(
    ("image_id", "shown"),
    [
        pytest.param({"imageTag": "missing"}, "{imageDigest:'null', imageTag:'missing'}", id="tag"),
        pytest.param(
            {"imageDigest": sha256(b"nothing")}, f"{{imageDigest:'{sha256(b'nothing')}', imageTag:'null'}}", id="digest"
        ),
    ],
)
def test_describe_images_missing_id_fails_the_call(
    ecr: Any, three_images: dict[str, Manifest], image_id: dict[str, str], shown: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        details(ecr, imageIds=[{"imageTag": "v1"}, image_id])
    assert error_of(excinfo) == (
        "ImageNotFoundException",
        f"The image with imageId {shown} does not exist within the repository with name '{REPO}' "
        f"in the registry with id '{ACCOUNT}'",
    )


@pytest.mark.parametrize(
    ("tag_status", "expected"),
    [
        pytest.param(None, ["two-tags", "one-tag", "untagged"], id="default"),
        pytest.param("TAGGED", ["two-tags", "one-tag"], id="tagged"),
        pytest.param("UNTAGGED", ["untagged"], id="untagged"),
        pytest.param("ANY", ["two-tags", "one-tag", "untagged"], id="any"),
    ],
)
def test_describe_images_filter(
    ecr: Any, three_images: dict[str, Manifest], tag_status: str | None, expected: list[str]
) -> None:
    extra = {"filter": {"tagStatus": tag_status}} if tag_status else {}
    described = details(ecr, **extra)
    assert [d["imageDigest"] for d in described] == [three_images[name].digest for name in expected]
    for detail in described:
        if detail["imageDigest"] == three_images["untagged"].digest:
            assert "imageTags" not in detail
        else:
            assert detail["imageTags"]


def test_describe_images_pages(ecr: Any, three_images: dict[str, Manifest]) -> None:
    first = ecr.describe_images(repositoryName=REPO, maxResults=2)
    assert len(first["imageDetails"]) == 2
    second = ecr.describe_images(repositoryName=REPO, maxResults=2, nextToken=first["nextToken"])
    assert "nextToken" not in second
    digests = [d["imageDigest"] for d in first["imageDetails"] + second["imageDetails"]]
    assert digests == [m.digest for m in three_images.values()]

    paginator = ecr.get_paginator("describe_images")
    paged = list(paginator.paginate(repositoryName=REPO, PaginationConfig={"PageSize": 1}))
    assert [d["imageDigest"] for p in paged for d in p["imageDetails"]] == digests


def test_describe_images_ids_cannot_be_paged(ecr: Any, three_images: dict[str, Manifest]) -> None:
    with pytest.raises(ClientError) as excinfo:
        details(ecr, imageIds=[{"imageTag": "v1"}], maxResults=1)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_describe_images_by_digest_and_tag_mismatch(ecr: Any, three_images: dict[str, Manifest]) -> None:
    with pytest.raises(ClientError) as excinfo:
        details(ecr, imageIds=[{"imageDigest": three_images["one-tag"].digest, "imageTag": "v1"}])
    assert error_of(excinfo)[0] == "ImageNotFoundException"


@pytest.mark.parametrize(
    "image_id", [pytest.param({}, id="neither"), pytest.param({"imageDigest": "latest"}, id="bad-digest")]
)
def test_describe_images_malformed_id(ecr: Any, three_images: dict[str, Manifest], image_id: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        details(ecr, imageIds=[image_id])
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_describe_images_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName="missing")
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


def test_images_in_another_accounts_registry(ecr: Any, fake_ecr: FakeEcr) -> None:
    other = "111122223333"
    ecr.create_repository(registryId=other, repositoryName=REPO)
    manifest = image_manifest(fake_ecr, REPO, account=other)
    image = put(ecr, REPO, manifest, "v1", registryId=other)
    assert image["registryId"] == other
    assert [d["registryId"] for d in details(ecr, registryId=other)] == [other]
    with pytest.raises(ClientError) as excinfo:
        put(ecr, REPO, manifest, "v1")
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"
    deleted = ecr.batch_delete_image(registryId=other, repositoryName=REPO, imageIds=[{"imageTag": "v1"}])
    assert deleted["imageIds"] == [{"imageDigest": manifest.digest, "imageTag": "v1"}]


# --- archived images (docs/behaviour/images.md#archive-storage-class)
# ---------------------------------------------------------------------------


def _archive(fake_ecr: FakeEcr, digest: str, when: float) -> None:
    """Archive an image as a lifecycle TRANSITION rule would (the API's own call is unsupported)."""
    registry = fake_ecr.registry()
    [view] = [v for v in registry.images(REPO) if v.image.image_digest == digest]
    registry.replace_image(REPO, replace(view.image, image_status="ARCHIVED", last_archived_at=when))


@needs_members("ListImagesFilter", "imageStatus")
@needs_members("DescribeImagesFilter", "imageStatus")
def test_archived_image_is_listed_only_on_request(
    ecr: Any, fake_ecr: FakeEcr, three_images: dict[str, Manifest]
) -> None:
    archived = three_images["one-tag"]
    _archive(fake_ecr, archived.digest, 1_700_000_000)

    assert archived.digest not in [d["imageDigest"] for d in details(ecr)]
    assert archived.digest not in [i["imageDigest"] for i in ecr.list_images(repositoryName=REPO)["imageIds"]]
    listed = ecr.list_images(repositoryName=REPO, filter={"imageStatus": "ARCHIVED"})["imageIds"]
    assert listed == [{"imageDigest": archived.digest, "imageTag": "v2"}]
    [detail] = details(ecr, filter={"imageStatus": "ARCHIVED"})
    assert (detail["imageStatus"], detail["lastArchivedAt"].timestamp()) == ("ARCHIVED", 1_700_000_000)
    assert len(details(ecr, filter={"imageStatus": "ANY"})) == 3
    assert detail_of(ecr, archived.digest)["imageStatus"] == "ARCHIVED"  # named ids are always described


def test_archived_image_cannot_be_pulled(ecr: Any, fake_ecr: FakeEcr, three_images: dict[str, Manifest]) -> None:
    _archive(fake_ecr, three_images["one-tag"].digest, 1_700_000_000)
    response = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v2"}, {"imageTag": "v1"}])
    assert [i["imageId"]["imageTag"] for i in response["images"]] == ["v1"]
    assert [(f["imageId"], f["failureCode"]) for f in response["failures"]] == [
        ({"imageTag": "v2"}, "ImageInaccessible")
    ]
    assert "lastRecordedPullTime" not in detail_of(ecr, three_images["one-tag"].digest)


@pytest.mark.parametrize(
    "tag", [pytest.param("v2", id="same-tag"), pytest.param("restored", id="new-tag"), pytest.param(None, id="no-tag")]
)
def test_pushing_an_archived_image_restores_it(
    ecr: Any, fake_ecr: FakeEcr, three_images: dict[str, Manifest], tag: str | None
) -> None:
    # Re-pushing restores at once (docs/behaviour/images.md#archive-storage-class), where a re-push of an active image
    # is refused.
    archived = three_images["one-tag"]
    _archive(fake_ecr, archived.digest, 1_700_000_000)
    image = put(ecr, REPO, archived, tag)
    assert image["imageId"]["imageDigest"] == archived.digest
    assert modelled("ImageDetail", imageStatus="ACTIVE").items() <= detail_of(ecr, archived.digest).items()
    assert [
        i["imageId"]["imageDigest"]
        for i in ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v2"}])["images"]
    ] == [archived.digest]
    with pytest.raises(ClientError) as excinfo:
        put(ecr, REPO, archived, "v2")
    assert error_of(excinfo)[0] == "ImageAlreadyExistsException"
