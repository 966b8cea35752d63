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
from fake_ecr.api.pull_through_cache import refuse_upstream_pulls
from fake_ecr.model import ImageId, ImageView

#: DescribeImages extras from other areas (scan status), keyed by name: (call, registry id, name, view) -> members.
DETAIL_EXTENSIONS: dict[str, Callable[[Call, str, str, ImageView], dict[str, Any]]] = {}


def image_ids(params: Params) -> list[ImageId]:
    return [ImageId(i.get("imageDigest"), i.get("imageTag")) for i in params["imageIds"]]


def _select(views: Iterable[ImageView], params: Params) -> list[ImageView]:
    """Apply filter.tagStatus and filter.imageStatus (defaults: ANY tags, ACTIVE images; §2.2)."""
    selection = params.get("filter") or {}
    tag_status = selection.get("tagStatus") or "ANY"
    image_status = selection.get("imageStatus") or "ACTIVE"
    return [
        v
        for v in views
        if (tag_status == "ANY" or (tag_status == "TAGGED") == bool(v.image_tags))
        and image_status in ("ANY", v.image.image_status)
    ]


def _manifest_bytes(image_manifest: str) -> bytes:
    """The manifest as the UTF-8 bytes its digest is taken over (§2.2 PutImage).

    JSON escapes can smuggle in lone surrogates, which no UTF-8 text holds: such a
    manifest is not valid JSON text, so ECR's "Invalid JSON syntax" (§3 #16).
    """
    try:
        return image_manifest.encode()
    except UnicodeEncodeError:
        raise errors.ManifestInvalid() from None


@operation("PutImage")
def put_image(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    result = registry.put_image(
        name,
        _manifest_bytes(params["imageManifest"]),
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
    requested = image_ids(params)
    refuse_upstream_pulls(registry, name, requested)
    found, failures = registry.pull_images(name, requested, params.get("acceptedMediaTypes"), call.fake.principal_arn)
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
    return render.page("ListImages", params, "imageIds", entries, dict)


@operation("DescribeImages")
def describe_images(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]

    def detail(view: ImageView) -> dict[str, Any]:
        wire = render.image_detail(view, registry.registry_id, name)
        for extend in DETAIL_EXTENSIONS.values():
            wire.update(extend(call, registry.registry_id, name, view))
        return wire

    requested = params.get("imageIds")
    if requested is None:
        return render.page("DescribeImages", params, "imageDetails", _select(registry.images(name), params), detail)
    render.refuse_paging_with(params, "imageIds")
    # Any id that names no image fails the whole call (§2.2 DescribeImages); one detail per image.
    views = {view.image.image_digest: view for view in (registry.resolve_image(name, i) for i in image_ids(params))}
    return {"imageDetails": [detail(v) for v in views.values()]}
