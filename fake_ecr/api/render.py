"""Wire shapes of the control plane's records: one function per shape of the model.

Owns turning frozen model records into the dictionaries ECR's JSON protocol
carries (member names of botocore's output shapes; timestamps as epoch
seconds; absent members omitted, docs/behaviour/api.md#protocol).  Must not import werkzeug or
``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fake_ecr import errors
from fake_ecr.api.core import Call, Params, Response
from fake_ecr.formats.service_model import next_page_token, page_window, paginate
from fake_ecr.model import ImageFailure, ImageId, ImageRecord, ImageView, RepositoryRecord

T = TypeVar("T")


def page(operation: str, params: Params, key: str, items: Sequence[T], shape: Callable[[T], Any]) -> Response:
    """One page of a listing under ``key``, each item in its wire ``shape``, and ``nextToken`` if more follow."""
    selected, next_token = paginate(operation, params, items)
    response: Response = {key: [shape(item) for item in selected]}
    if next_token is not None:
        response["nextToken"] = next_token
    return response


def indexed_page(
    operation: str,
    params: Params,
    key: str,
    fetch: Callable[[int, int], tuple[Sequence[T], int]],
    shape: Callable[[T], Any],
) -> Response:
    """``page`` for a listing the model reads one page of: ``fetch(offset, size)`` answers the page's items
    and how many the whole listing holds, so nothing but the page is built (same tokens as ``page``)."""
    start, size = page_window(operation, params)
    selected, total = fetch(start, size)
    response: Response = {key: [shape(item) for item in selected]}
    next_token = next_page_token(operation, start + size, total)
    if next_token is not None:
        response["nextToken"] = next_token
    return response


def refuse_paging_with(params: Params, ids_member: str) -> None:
    """A request naming its items (``repositoryNames``, ``imageIds``) cannot also page
    (docs/behaviour/api.md#pagination).

    UNCONFIRMED wording: ECR's model documents only the rule.
    """
    if params.get("maxResults") is not None or params.get("nextToken") is not None:
        raise errors.InvalidParameter("maxResults", f"Cannot specify maxResults or nextToken with {ids_member}")


def repository_uri(call: Call, record: RepositoryRecord) -> str:
    """``<registry host>/<name>``: ECR's host, or the running server's address
    (docs/behaviour/api.md#shared-structures)."""
    return f"{call.fake.registry_host(record.registry_id, record.region)}/{record.repository_name}"


def repository(call: Call, record: RepositoryRecord) -> dict[str, Any]:
    """The Repository shape."""
    wire: dict[str, Any] = {
        "repositoryArn": record.repository_arn,
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "repositoryUri": repository_uri(call, record),
        "createdAt": record.created_at,
        "imageTagMutability": record.image_tag_mutability,
        "imageScanningConfiguration": {"scanOnPush": record.scan_on_push},
        "encryptionConfiguration": encryption_configuration(record),
    }
    if record.image_tag_mutability_exclusion_filters:
        wire["imageTagMutabilityExclusionFilters"] = mutability_filters(record)
    return wire


def encryption_configuration(record: RepositoryRecord) -> dict[str, Any]:
    wire: dict[str, Any] = {"encryptionType": record.encryption_type}
    if record.kms_key is not None:
        wire["kmsKey"] = record.kms_key
    return wire


def mutability_filters(record: RepositoryRecord) -> list[dict[str, str]]:
    return [{"filterType": f.filter_type, "filter": f.filter} for f in record.image_tag_mutability_exclusion_filters]


def image_id(value: ImageId) -> dict[str, str]:
    """The ImageIdentifier shape, with only the halves that are known."""
    wire = {}
    if value.image_digest is not None:
        wire["imageDigest"] = value.image_digest
    if value.image_tag is not None:
        wire["imageTag"] = value.image_tag
    return wire


def image_failure(failure: ImageFailure) -> dict[str, Any]:
    return {
        "imageId": image_id(failure.image_id),
        "failureCode": failure.failure_code,
        "failureReason": failure.failure_reason,
    }


def image(record: ImageRecord, registry_id: str, repository_name: str, requested: ImageId) -> dict[str, Any]:
    """The Image shape: the manifest exactly as pushed; the id echoes a requested tag
    (docs/behaviour/images.md#image-operations)."""
    echo = ImageId(record.image_digest, requested.image_tag)
    return {
        "registryId": registry_id,
        "repositoryName": repository_name,
        "imageId": image_id(echo),
        "imageManifest": record.image_manifest.decode(),
        "imageManifestMediaType": record.image_manifest_media_type,
    }


def image_detail(view: ImageView, registry_id: str, repository_name: str) -> dict[str, Any]:
    """The ImageDetail shape (docs/behaviour/images.md#image-operations DescribeImages): untagged images carry no
    imageTags at all."""
    record = view.image
    wire: dict[str, Any] = {
        "registryId": registry_id,
        "repositoryName": repository_name,
        "imageDigest": record.image_digest,
        "imageSizeInBytes": record.image_size_in_bytes,
        "imagePushedAt": record.image_pushed_at,
        "imageManifestMediaType": record.image_manifest_media_type,
        "imageStatus": record.image_status,
    }
    if view.image_tags:
        wire["imageTags"] = list(view.image_tags)
    if record.artifact_media_type is not None:
        wire["artifactMediaType"] = record.artifact_media_type
    if record.last_recorded_pull_time is not None:
        wire["lastRecordedPullTime"] = record.last_recorded_pull_time
    if record.subject_digest is not None:
        wire["subjectManifestDigest"] = record.subject_digest
    if record.last_archived_at is not None:
        wire["lastArchivedAt"] = record.last_archived_at
    if record.last_activated_at is not None:
        wire["lastActivatedAt"] = record.last_activated_at
    return wire
