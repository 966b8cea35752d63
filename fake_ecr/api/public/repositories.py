"""ECR Public's repositories and their catalog data: CreateRepository, DescribeRepositories,
DeleteRepository, GetRepositoryCatalogData, PutRepositoryCatalogData
(https://docs.aws.amazon.com/AmazonECRPublic/latest/APIReference/API_Operations.html).

Owns the catalog data's rules beyond the model's limits (which ``formats.service_model`` checks:
description <= 1,024 characters, aboutText and usageText <= 25,600, at most 50 architectures and
operating systems, a logo of at most 512,000 bytes) - the logo's format - and these responses.  A public
repository has none of a private one's settings (tag mutability, scanning, encryption): the model's
Repository shape has none.

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.public.core import PublicCall, catalog_data, repository
from fake_ecr.api.tags import merge_tags
from fake_ecr.formats.service_model import ECR_PUBLIC, decode_blob
from fake_ecr.model.public import PublicRegistry, RepositoryCatalogData, public_repository_arn

#: The logo formats taken, by their signatures (PNG: RFC 2083 §12.11; JPEG: the SOI marker and the next
#: marker's FF).  UNCONFIRMED: that ECR Public refuses other formats, and its wording for it
#: (docs/behaviour/public.md#catalog-data).
LOGO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def _logo(value: str) -> bytes:
    logo = decode_blob("catalogData.logoImageBlob", value)
    if not logo.startswith(LOGO_SIGNATURES):
        raise errors.InvalidParameter("catalogData.logoImageBlob", "The logo image must be a PNG or JPEG image")
    return logo


def catalog_input(given: Params, stored: RepositoryCatalogData) -> RepositoryCatalogData:
    """``stored`` with the RepositoryCatalogDataInput members ``given`` set (UNCONFIRMED: that members left out
    keep their values, as "creates or updates" in PutRepositoryCatalogData's reference reads;
    docs/behaviour/public.md#catalog-data)."""
    changes: dict[str, Any] = {}
    for member, field in (("description", "description"), ("aboutText", "about_text"), ("usageText", "usage_text")):
        if member in given:
            changes[field] = given[member]
    for member, field in (("architectures", "architectures"), ("operatingSystems", "operating_systems")):
        if member in given:
            changes[field] = tuple(given[member])
    if "logoImageBlob" in given:
        changes["logo_image"] = _logo(given["logoImageBlob"])
    return replace(stored, **changes)


def _registry(call: Call, params: Params) -> PublicRegistry:
    assert isinstance(call, PublicCall)
    return call.registry(params)


@operation("CreateRepository", ECR_PUBLIC)
def create_repository(call: Call, params: Params) -> Response:
    registry = _registry(call, params)  # CreateRepository takes no registryId: the caller's own
    name = params["repositoryName"]
    catalog = catalog_input(params.get("catalogData") or {}, RepositoryCatalogData())
    arn = public_repository_arn(registry.registry_id, name)
    record = registry.create_repository(
        name, resource_tags=merge_tags(arn, (), params.get("tags") or ()), catalog_data=catalog
    )
    return {
        "repository": repository(call, registry, record),
        "catalogData": catalog_data(call, registry, name, catalog),
    }


@operation("DescribeRepositories", ECR_PUBLIC)
def describe_repositories(call: Call, params: Params) -> Response:
    registry = _registry(call, params)
    names = params.get("repositoryNames")
    if names is not None:
        render.refuse_paging_with(params, "repositoryNames")
        return {"repositories": [repository(call, registry, r) for r in registry.repositories(names)]}
    return render.indexed_page(
        "DescribeRepositories",
        params,
        "repositories",
        registry.repository_page,
        lambda r: repository(call, registry, r),
    )


@operation("DeleteRepository", ECR_PUBLIC)
def delete_repository(call: Call, params: Params) -> Response:
    registry = _registry(call, params)
    record = registry.delete_repository(params["repositoryName"], bool(params.get("force")))
    return {"repository": repository(call, registry, record)}


@operation("GetRepositoryCatalogData", ECR_PUBLIC)
def get_repository_catalog_data(call: Call, params: Params) -> Response:
    registry, name = _registry(call, params), params["repositoryName"]
    return {"catalogData": catalog_data(call, registry, name, registry.catalog_data(name))}


@operation("PutRepositoryCatalogData", ECR_PUBLIC)
def put_repository_catalog_data(call: Call, params: Params) -> Response:
    registry, name = _registry(call, params), params["repositoryName"]
    with call.fake.backend.lock:  # read, merge and store in one step
        catalog = registry.put_catalog_data(name, catalog_input(params["catalogData"], registry.catalog_data(name)))
    return {"catalogData": catalog_data(call, registry, name, catalog)}
