"""Repositories: CreateRepository, DescribeRepositories, DeleteRepository,
PutImageTagMutability, PutImageScanningConfiguration (docs/behaviour/repositories.md#repository-operations).

Owns the request rules of these operations beyond botocore's model (tag
mutability exclusion filters, encryption defaults) and their responses.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.tags import merge_tags
from fake_ecr.model import TagMutabilityFilter
from fake_ecr.model.records import (
    IMMUTABLE_WITH_EXCLUSION,
    MUTABLE_WITH_EXCLUSION,
    aws_managed_key_arn,
    repository_arn,
)

WITH_EXCLUSION = (IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION)


def mutability_filters(mutability: str, filters: Sequence[dict[str, str]] | None) -> tuple[TagMutabilityFilter, ...]:
    """Exclusion filters go with, and only with, the ``*_WITH_EXCLUSION`` settings
    (docs/behaviour/repositories.md#tag-mutability).

    Wording follows moto's (UNCONFIRMED for ECR).
    """
    if mutability in WITH_EXCLUSION and not filters:
        raise errors.InvalidParameter(
            "imageTagMutabilityExclusionFilters",
            f"ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mutability}",
        )
    if mutability not in WITH_EXCLUSION and filters:
        raise errors.InvalidParameter(
            "imageTagMutabilityExclusionFilters",
            f"ImageTagMutabilityExclusionFilters can't be set when imageTagMutability is set as {mutability}",
        )
    return tuple(TagMutabilityFilter(f["filterType"], f["filter"]) for f in filters or ())


def check_kms_key(encryption_type: str, kms_key: str | None) -> None:
    """A KMS key goes with KMS encryption only (docs/behaviour/repositories.md#encryption; repositories and creation
    templates alike)."""
    if encryption_type == "AES256" and kms_key is not None:
        # UNCONFIRMED wording: a KMS key makes sense only with KMS encryption
        # (docs/behaviour/repositories.md#encryption).
        raise errors.InvalidParameter(
            "encryptionConfiguration", "KMS key cannot be specified when the encryption type is AES256"
        )


def _encryption(params: Params, registry_id: str, region: str) -> dict[str, Any]:
    config = params.get("encryptionConfiguration") or {"encryptionType": "AES256"}
    encryption_type, kms_key = config["encryptionType"], config.get("kmsKey")
    check_kms_key(encryption_type, kms_key)
    if encryption_type != "AES256" and kms_key is None:
        kms_key = aws_managed_key_arn(registry_id, region)
    return {"encryption_type": encryption_type, "kms_key": kms_key}


@operation("CreateRepository")
def create_repository(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    # A JSON null is an absent member (AWS's JSON protocol), hence `or` for every default here.
    mutability = params.get("imageTagMutability") or "MUTABLE"
    arn = repository_arn(registry.registry_id, registry.region, name)
    record = registry.create_repository(
        name,
        image_tag_mutability=mutability,
        image_tag_mutability_exclusion_filters=mutability_filters(
            mutability, params.get("imageTagMutabilityExclusionFilters")
        ),
        scan_on_push=bool((params.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        resource_tags=merge_tags(arn, (), params.get("tags") or ()),
        **_encryption(params, registry.registry_id, registry.region),
    )
    return {"repository": render.repository(call, record)}


@operation("DescribeRepositories")
def describe_repositories(call: Call, params: Params) -> Response:
    names = params.get("repositoryNames")
    if names is not None:
        render.refuse_paging_with(params, "repositoryNames")
        records = call.registry(params).repositories(names)
        return {"repositories": [render.repository(call, r) for r in records]}
    return render.indexed_page(
        "DescribeRepositories",
        params,
        "repositories",
        call.registry(params).repository_page,
        lambda r: render.repository(call, r),
    )


@operation("DeleteRepository")
def delete_repository(call: Call, params: Params) -> Response:
    record = call.registry(params).delete_repository(params["repositoryName"], bool(params.get("force")))
    return {"repository": render.repository(call, record)}


@operation("PutImageTagMutability")
def put_image_tag_mutability(call: Call, params: Params) -> Response:
    mutability = params["imageTagMutability"]
    filters = mutability_filters(mutability, params.get("imageTagMutabilityExclusionFilters"))
    registry = call.registry(params)
    _, record = registry.modify_repository(
        params["repositoryName"],
        lambda r: replace(r, image_tag_mutability=mutability, image_tag_mutability_exclusion_filters=filters),
    )
    response: Response = {
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "imageTagMutability": record.image_tag_mutability,
    }
    if record.image_tag_mutability_exclusion_filters:
        response["imageTagMutabilityExclusionFilters"] = render.mutability_filters(record)
    return response


@operation("PutImageScanningConfiguration")
def put_image_scanning_configuration(call: Call, params: Params) -> Response:
    scan_on_push = bool(params["imageScanningConfiguration"].get("scanOnPush"))
    _, record = call.registry(params).modify_repository(
        params["repositoryName"], lambda r: replace(r, scan_on_push=scan_on_push)
    )
    return {
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "imageScanningConfiguration": {"scanOnPush": record.scan_on_push},
    }
