"""Malformed requests: bodies that are not JSON, or not of the model's types, unknown targets, oversized
manifests.  Each gets ECR's error (docs/behaviour/api.md#protocol, docs/behaviour/api.md#validation,
docs/behaviour/images.md#image-operations PutImage), never a 500, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import ListShape, Shape, StructureShape

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import operation_model, operation_names, target_prefix

from api.helpers import INVALID_JSON, Manifest, RawSender, error_of, image_manifest, state_of, valid

TARGET = target_prefix()
# ImageManifest max length in the model (docs/behaviour/images.md#image-operations PutImage)
MANIFEST_LIMIT = 4 * 1024 * 1024


@pytest.fixture
def seeded(fake_ecr: FakeEcr) -> Manifest:
    """A repository with a tagged image, for requests that might harm it; returns the image's manifest."""
    registry = fake_ecr.registry()
    registry.create_repository("app")
    manifest = image_manifest(fake_ecr, "app")
    registry.put_image("app", manifest.text.encode(), image_tag="v1")
    return manifest


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        pytest.param("CreateRepository", b'{"repositoryName": "new"', "SerializationException", id="truncated-json"),
        pytest.param("CreateRepository", b"repositoryName=new", "SerializationException", id="form-encoded"),
        pytest.param("CreateRepository", b'{"repositoryName": "n\xffw"}', "SerializationException", id="not-utf8"),
        pytest.param("CreateRepository", b'["repositoryName", "new"]', "SerializationException", id="array-body"),
        pytest.param("CreateRepository", b'"new"', "SerializationException", id="string-body"),
        pytest.param("CreateRepository", b"null", "SerializationException", id="null-body"),
        pytest.param("CreateRepository", b"NaN", "SerializationException", id="nan-body"),
        pytest.param("CreateRepository", b"", "InvalidParameterException", id="empty-body-missing-name"),
        pytest.param("CreateRepository", b"{}", "InvalidParameterException", id="empty-object-missing-name"),
        pytest.param("CreateRepository", b'{"repositoryName": null}', "InvalidParameterException", id="null-name"),
        pytest.param("CreateRepository", b'{"repositoryName": ["new"]}', "SerializationException", id="list-name"),
        pytest.param(
            "CreateRepository",
            b'{"repositoryName": "new", "imageScanningConfiguration": {"scanOnPush": "yes"}}',
            "SerializationException",
            id="string-for-boolean",
        ),
        pytest.param(
            "CreateRepository",
            b'{"repositoryName": "new", "tags": {"k": "v"}}',
            "SerializationException",
            id="map-tags",
        ),
        pytest.param(
            "CreateRepository",
            b'{"repositoryName": "new", "encryptionConfiguration": "KMS"}',
            "SerializationException",
            id="string-for-structure",
        ),
        pytest.param("DescribeRepositories", b'{"maxResults": "10"}', "SerializationException", id="string-for-int"),
        pytest.param("DescribeRepositories", b'{"maxResults": 2.5}', "SerializationException", id="float-for-int"),
        pytest.param("DescribeRepositories", b'{"maxResults": true}', "SerializationException", id="bool-for-int"),
        pytest.param("DescribeRepositories", b'{"maxResults": 1e400}', "SerializationException", id="infinity"),
        pytest.param(
            "DescribeRepositories",
            b'{"maxResults": 100000000000000000000000}',
            "InvalidParameterException",
            id="bigint",
        ),
        pytest.param(
            "BatchGetImage",
            b'{"repositoryName": "app", "imageIds": [{"imageTag": 1}]}',
            "SerializationException",
            id="int-for-tag-in-list",
        ),
        pytest.param(
            "BatchGetImage",
            b'{"repositoryName": "app", "imageIds": ["v1"]}',
            "SerializationException",
            id="string-for-id",
        ),
        pytest.param(
            "BatchDeleteImage", b'{"repositoryName": "app", "imageIds": []}', "InvalidParameterException", id="no-ids"
        ),
        pytest.param(
            "PutImage", b'{"repositoryName": "app", "imageManifest": 1}', "SerializationException", id="int-manifest"
        ),
        pytest.param(
            "PutImage",
            b'{"repositoryName": "app", "imageManifest": ""}',
            "InvalidParameterException",
            id="empty-manifest",
        ),
        pytest.param(
            "PutImage",
            b'{"repositoryName": "app", "imageManifest": "{\\"schemaVersion\\": 2, \\"x\\": \\"\\ud800\\"}", '
            b'"imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json", "imageTag": "v2"}',
            "InvalidParameterException",
            id="manifest-lone-surrogate",
        ),
        pytest.param(
            "DeleteRepository",
            b'{"repositoryName": "app", "force": "true"}',
            "SerializationException",
            id="string-force",
        ),
        pytest.param("NoSuchOperation", b"{}", "UnknownOperationException", id="unknown-operation"),
        pytest.param("createRepository", b'{"repositoryName": "new"}', "UnknownOperationException", id="wrong-case"),
        pytest.param("", b'{"repositoryName": "new"}', "UnknownOperationException", id="no-operation"),
    ],
)
def test_malformed_request(
    send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest, *, target: str, body: bytes, expected: str
) -> None:
    before = state_of(fake_ecr)
    status, answer = send_raw(TARGET + target, body)
    assert (status, answer["__type"]) == (400, expected), answer
    assert answer["message"]
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("AWSCognitoIdentityService.ListIdentityPools", id="another-service"),
        pytest.param("AmazonEC2ContainerRegistry_V20150921", id="prefix-only"),
        pytest.param("AmazonEC2ContainerRegistry_V20150921.", id="prefix-and-dot"),
        pytest.param("AmazonEC2ContainerRegistry_V20150921.CreateRepository.Extra", id="too-many-parts"),
    ],
)
def test_unknown_target(send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest, target: str) -> None:
    before = state_of(fake_ecr)
    status, answer = send_raw(target, b'{"repositoryName": "new"}')
    assert (status, answer["__type"]) == (400, "UnknownOperationException")
    assert target in answer["message"]
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    ("target", "body", "key"),
    [
        pytest.param("DescribeRepositories", b"", "repositories", id="empty-body-is-no-members"),
        pytest.param(
            "DescribeRepositories", b'{"unknownMember": [1, 2], "maxResults": 5}', "repositories", id="unknown-member"
        ),
        pytest.param("ListImages", b'{"repositoryName": "app", "filter": {}}', "imageIds", id="empty-filter"),
    ],
)
def test_lenient_requests_are_served(
    send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest, *, target: str, body: bytes, key: str
) -> None:
    # AWS's JSON services ignore members they do not know, and an empty body has no members.
    status, answer = send_raw(TARGET + target, body)
    assert status == 200, answer
    assert len(answer[key]) == 1


def test_deeply_nested_body(send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest) -> None:
    before = state_of(fake_ecr)
    status, answer = send_raw(TARGET + "CreateRepository", b"[" * 100_000 + b"]" * 100_000)
    assert (status, answer["__type"]) == (400, "SerializationException")
    assert state_of(fake_ecr) == before


# --- manifests around the 4 MiB limit ---------------------------------------------------------------------


def _padded(text: str, length: int) -> str:
    """The manifest with insignificant whitespace appended up to ``length`` characters."""
    return text + " " * (length - len(text))


def test_manifest_of_exactly_the_limit_is_stored_verbatim(ecr: Any, seeded: Manifest) -> None:
    text = _padded(seeded.text, MANIFEST_LIMIT)
    image = ecr.put_image(repositoryName="app", imageManifest=text, imageTag="big")["image"]
    fetched = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "big"}])["images"][0]
    assert fetched["imageManifest"] == text
    assert fetched["imageId"]["imageDigest"] == image["imageId"]["imageDigest"] != seeded.digest


@pytest.mark.parametrize(
    "length", [pytest.param(MANIFEST_LIMIT + 1, id="one-over"), pytest.param(5 * 1024 * 1024, id="five-mib")]
)
def test_manifest_over_the_limit_is_refused(ecr: Any, fake_ecr: FakeEcr, seeded: Manifest, length: int) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image(repositoryName="app", imageManifest=_padded(seeded.text, length), imageTag="big")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'imageManifest' failed to satisfy constraint: "
        f"'must have length less than or equal to {MANIFEST_LIMIT}'",
    )
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param("not json at all", id="text"),
        pytest.param('{"schemaVersion": 2, "mediaType": 7}', id="media-type-not-string"),
        pytest.param(
            json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}), id="no-config"
        ),
        pytest.param(
            json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"digest": "sha256:" + "a" * 64, "size": "12"},
                    "layers": [],
                }
            ),
            id="size-not-int",
        ),
        pytest.param(
            json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": {}}),
            id="manifests-not-list",
        ),
        pytest.param(json.dumps({"schemaVersion": 1, "fsLayers": "none"}), id="schema1-without-layers"),
    ],
)
def test_unreadable_manifest(ecr: Any, fake_ecr: FakeEcr, seeded: Manifest, manifest: str) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image(repositoryName="app", imageManifest=manifest, imageTag="v2")
    assert error_of(excinfo) == ("InvalidParameterException", INVALID_JSON)
    assert state_of(fake_ecr) == before


# --- JSON nulls ---------------------------------------------------------------------------------------------


def _with_nulls(shape: Shape) -> Any:
    """A request with every required member valid and every optional member, at any depth, null."""
    if isinstance(shape, StructureShape):
        return {
            name: _with_nulls(member) if name in shape.required_members else None
            for name, member in shape.members.items()
        }
    if isinstance(shape, ListShape) and isinstance(shape.member, StructureShape):
        return [_with_nulls(shape.member)]
    return valid(shape)


@pytest.mark.parametrize("operation", sorted(operation_names()))
def test_null_members_are_absent_members(send_raw: RawSender, seeded: Manifest, operation: str) -> None:
    # AWS's JSON protocol reads a null member as an absent one: whatever the answer, never a 500.
    status, answer = send_raw(
        TARGET + operation, json.dumps(_with_nulls(operation_model(operation).input_shape)).encode()
    )
    assert status < 500 or (status, answer["__type"]) == (501, "UnsupportedOperationException"), answer


def test_null_settings_take_their_defaults(send_raw: RawSender) -> None:
    body = {
        "repositoryName": "new",
        "registryId": None,
        "tags": None,
        "imageTagMutability": None,
        "imageTagMutabilityExclusionFilters": None,
        "imageScanningConfiguration": None,
        "encryptionConfiguration": None,
    }
    status, answer = send_raw(TARGET + "CreateRepository", json.dumps(body).encode())
    assert status == 200, answer
    repository = answer["repository"]
    assert (repository["imageTagMutability"], repository["imageScanningConfiguration"]) == (
        "MUTABLE",
        {"scanOnPush": False},
    )
    assert repository["encryptionConfiguration"] == {"encryptionType": "AES256"}


@pytest.mark.parametrize(
    ("operation", "key"), [pytest.param("DescribeImages", "imageDetails"), pytest.param("ListImages", "imageIds")]
)
def test_null_filter_members_take_their_defaults(
    send_raw: RawSender, seeded: Manifest, operation: str, key: str
) -> None:
    body = {"repositoryName": "app", "filter": {"tagStatus": None, "imageStatus": None}, "imageIds": None}
    status, answer = send_raw(TARGET + operation, json.dumps(body).encode())
    assert (status, len(answer[key])) == (200, 1), answer


@pytest.mark.parametrize(
    ("operation", "member"),
    [
        pytest.param("PutImage", "imageManifest", id="manifest"),
        pytest.param("PutLifecyclePolicy", "lifecyclePolicyText", id="lifecycle-policy"),
    ],
)
def test_documents_nested_beyond_the_parser_are_refused(
    send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest, *, operation: str, member: str
) -> None:
    before = state_of(fake_ecr)
    text = "[" * 5000 + "]" * 5000
    status, answer = send_raw(TARGET + operation, json.dumps({"repositoryName": "app", member: text}).encode())
    assert (status, answer["__type"]) == (400, "InvalidParameterException"), answer
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param("!!!!", id="not-base64-characters"),
        pytest.param("QUJD=", id="length-not-a-multiple-of-4"),
        pytest.param("Q===", id="too-much-padding"),
    ],
)
def test_layer_part_that_is_not_base64(send_raw: RawSender, fake_ecr: FakeEcr, seeded: Manifest, blob: str) -> None:
    upload_id = fake_ecr.registry().start_upload("app").upload_id
    before = fake_ecr.registry().stored_bytes
    body = {
        "repositoryName": "app",
        "uploadId": upload_id,
        "partFirstByte": 0,
        "partLastByte": 2,
        "layerPartBlob": blob,
    }
    status, answer = send_raw(TARGET + "UploadLayerPart", json.dumps(body).encode())
    assert (status, answer["__type"]) == (400, "SerializationException"), answer
    assert fake_ecr.registry().stored_bytes == before
