"""Images: PutImage, BatchGetImage, BatchDeleteImage, ListImages, DescribeImages
(docs/behaviour/images.md#image-operations).

Owns these operations' request rules and responses; the state changes are the
model's (``Registry.put_image`` is the one write path shared with the
registry's manifest PUT).  Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.pull_through_cache import refuse_upstream_pulls
from fake_ecr.model import ImageId, ImageSelection, ImageView, Registry

#: DescribeImages extras from other areas (scan status), keyed by name: (call, registry id, name, view) -> members.
DETAIL_EXTENSIONS: dict[str, Callable[[Call, str, str, ImageView], dict[str, Any]]] = {}


def image_ids(params: Params) -> list[ImageId]:
    return [ImageId(i.get("imageDigest"), i.get("imageTag")) for i in params["imageIds"]]


def _selection(registry: Registry, params: Params) -> ImageSelection:
    """A listing's filter.tagStatus and filter.imageStatus (defaults: ANY tags, ACTIVE images;
    docs/behaviour/images.md#image-operations).

    Looks the repository up first: a missing one is the error, whatever the nextToken.
    """
    registry.repository(params["repositoryName"])
    selection = params.get("filter") or {}
    return ImageSelection(selection.get("tagStatus") or "ANY", selection.get("imageStatus") or "ACTIVE")


def _manifest_bytes(image_manifest: str) -> bytes:
    """The manifest as the UTF-8 bytes its digest is taken over (docs/behaviour/images.md#image-operations PutImage).

    JSON escapes can smuggle in lone surrogates, which no UTF-8 text holds: such a
    manifest is not valid JSON text, so ECR's "Invalid JSON syntax" (docs/behaviour/errors.md#messages #16).
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
        require_layers=not call.fake.settings.allow_missing_layers,
    )
    requested = ImageId(None, params.get("imageTag"))
    return {"image": render.image(result.view.image, registry.registry_id, name, requested)}


@operation("BatchGetImage")
def batch_get_image(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    requested = image_ids(params)
    refuse_upstream_pulls(registry, name, requested)
    found, failures = registry.pull_images(name, requested, params.get("acceptedMediaTypes"), call.caller.principal_arn)
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
    registry = call.registry(params)
    name, selection = params["repositoryName"], _selection(registry, params)
    # One entry per (digest, tag) pair; untagged images as {imageDigest} only (docs/behaviour/images.md#image-operations
    # ListImages).
    return render.indexed_page(
        "ListImages",
        params,
        "imageIds",
        lambda start, size: registry.image_id_page(name, selection, start, size),
        render.image_id,
    )


@operation("DescribeImages")
def describe_images(call: Call, params: Params) -> Response:
    def detail(registry_id: str, name: str, view: ImageView) -> dict[str, Any]:
        wire = render.image_detail(view, registry_id, name)
        for extend in DETAIL_EXTENSIONS.values():
            wire.update(extend(call, registry_id, name, view))
        return wire

    return image_details(call, params, detail)


def image_details(call: Call, params: Params, shape: Callable[[str, str, ImageView], dict[str, Any]]) -> Response:
    """DescribeImages of ECR and of ECR Public, each image in the service's ``shape`` (registry id, name, image)."""
    registry = call.registry(params)
    name = params["repositoryName"]

    def detail(view: ImageView) -> dict[str, Any]:
        return shape(registry.registry_id, name, view)

    requested = params.get("imageIds")
    if requested is None:
        selection = _selection(registry, params)
        return render.indexed_page(
            "DescribeImages",
            params,
            "imageDetails",
            lambda start, size: registry.image_page(name, selection, start, size),
            detail,
        )
    render.refuse_paging_with(params, "imageIds")
    # Any id that names no image fails the whole call (docs/behaviour/images.md#image-operations DescribeImages); one
    # detail per image.
    views = {view.image.image_digest: view for view in (registry.resolve_image(name, i) for i in image_ids(params))}
    return {"imageDetails": [detail(v) for v in views.values()]}
