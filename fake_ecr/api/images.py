"""Images: PutImage, BatchGetImage, BatchDeleteImage, ListImages, DescribeImages (ecr-behaviour §2.2).

Owns these operations' request rules and responses; the state changes are the
model's (``Registry.put_image`` is the one write path shared with the
registry's manifest PUT).  Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import ImageId, ImageView
from fake_ecr.service_model import paginate

#: DescribeImages extras from other areas (scan status), keyed by name: (call, registry id, name, view) -> members.
DETAIL_EXTENSIONS: dict[str, Callable[[Call, str, str, ImageView], dict[str, Any]]] = {}


def image_ids(params: Params) -> list[ImageId]:
    return [ImageId(i.get("imageDigest"), i.get("imageTag")) for i in params["imageIds"]]


def _page(operation_name: str, params: Params, key: str, items: list[Any]) -> Response:
    page, next_token = paginate(operation_name, params, items)
    response: Response = {key: list(page)}
    if next_token is not None:
        response["nextToken"] = next_token
    return response


def _select(views: Iterable[ImageView], params: Params) -> list[ImageView]:
    """Apply filter.tagStatus and filter.imageStatus (defaults: ANY tags, ACTIVE images; §2.2)."""
    selection = params.get("filter") or {}
    tag_status = selection.get("tagStatus", "ANY")
    image_status = selection.get("imageStatus", "ACTIVE")
    return [
        v
        for v in views
        if (tag_status == "ANY" or (tag_status == "TAGGED") == bool(v.image_tags))
        and (image_status == "ANY" or v.image.image_status == image_status)
    ]


@operation("PutImage")
def put_image(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    result = registry.put_image(
        name,
        params["imageManifest"].encode(),
        media_type=params.get("imageManifestMediaType"),
        image_tag=params.get("imageTag"),
        image_digest=params.get("imageDigest"),
    )
    requested = ImageId(None, params.get("imageTag"))
    return {"image": render.image(result.view.image, registry.registry_id, name, requested)}


@operation("BatchGetImage")
def batch_get_image(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    found, failures = registry.pull_images(name, image_ids(params), params.get("acceptedMediaTypes"))
    return {
        "images": [render.image(image, registry.registry_id, name, requested) for requested, image in found],
        "failures": [render.image_failure(f) for f in failures],
    }


@operation("BatchDeleteImage")
def batch_delete_image(call: Call, params: Params) -> Response:
    deleted, failures = call.registry(params).delete_images(params["repositoryName"], image_ids(params))
    return {
        "imageIds": [render.image_id(i) for i in deleted],
        "failures": [render.image_failure(f) for f in failures],
    }


@operation("ListImages")
def list_images(call: Call, params: Params) -> Response:
    views = _select(call.registry(params).images(params["repositoryName"]), params)
    # One entry per (digest, tag) pair; untagged images as {imageDigest} only (§2.2 ListImages).
    entries = [
        {"imageDigest": v.image.image_digest, "imageTag": tag} if tag else {"imageDigest": v.image.image_digest}
        for v in views
        for tag in (v.image_tags or (None,))
    ]
    return _page("ListImages", params, "imageIds", entries)


@operation("DescribeImages")
def describe_images(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    if "imageIds" in params:
        if "maxResults" in params or "nextToken" in params:
            # imageIds cannot be combined with paging (§2.2); UNCONFIRMED wording.
            raise errors.InvalidParameter("maxResults", "Cannot specify maxResults or nextToken with imageIds")
        by_digest = {}
        for image_id in image_ids(params):
            view = registry.resolve_image(name, image_id)
            by_digest.setdefault(view.image.image_digest, view)
        views = list(by_digest.values())
    else:
        views = _select(registry.images(name), params)

    def detail(view: ImageView) -> dict[str, Any]:
        wire = render.image_detail(view, registry.registry_id, name)
        for extend in DETAIL_EXTENSIONS.values():
            wire.update(extend(call, registry.registry_id, name, view))
        return wire

    if "imageIds" in params:
        return {"imageDetails": [detail(v) for v in views]}
    page, next_token = paginate("DescribeImages", params, views)
    response: Response = {"imageDetails": [detail(v) for v in page]}
    if next_token is not None:
        response["nextToken"] = next_token
    return response
