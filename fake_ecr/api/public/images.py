"""ECR Public's image listings: DescribeImages and DescribeImageTags.

ECR Public's ImageDetail is a subset of ECR's (no status, scan or pull-time members): its members
are read off botocore's ``ecr-public`` model and taken from ECR's detail.  DescribeImageTags lists
every tag with the image it points to (ImageTagDetail, ReferencedImageDetail).  PutImage and
BatchDeleteImage are ECR's handlers (``fake_ecr.api.public.shared``).

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from typing import Any

from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.images import image_details
from fake_ecr.formats.service_model import ECR_PUBLIC, operation_model
from fake_ecr.model import ImageView

#: ECR Public's ImageDetail members, from its model.
DETAIL_MEMBERS = frozenset(
    operation_model("DescribeImages", ECR_PUBLIC).output_shape.members["imageDetails"].member.members
)
#: ReferencedImageDetail: the image a tag points to.
REFERENCED_MEMBERS = ("imageDigest", "imageSizeInBytes", "imagePushedAt", "imageManifestMediaType", "artifactMediaType")


def image_detail(registry_id: str, name: str, view: ImageView) -> dict[str, Any]:
    return {k: v for k, v in render.image_detail(view, registry_id, name).items() if k in DETAIL_MEMBERS}


@operation("DescribeImages", ECR_PUBLIC)
def describe_images(call: Call, params: Params) -> Response:
    return image_details(call, params, image_detail)


@operation("DescribeImageTags", ECR_PUBLIC)
def describe_image_tags(call: Call, params: Params) -> Response:
    """Every tag in push order of its image, then tag order.  A tag's createdAt is its image's push time
    (UNCONFIRMED: ECR Public may record when the tag itself was set; docs/behaviour/public.md#public-operations)."""
    registry = call.registry(params)
    name = params["repositoryName"]
    details: list[dict[str, Any]] = []
    for view in registry.images(name):
        detail = image_detail(registry.registry_id, name, view)
        referenced = {k: detail[k] for k in REFERENCED_MEMBERS if k in detail}
        details.extend(
            {"imageTag": tag, "createdAt": view.image.image_pushed_at, "imageDetail": referenced}
            for tag in view.image_tags
        )
    return render.page("DescribeImageTags", params, "imageTagDetails", details, lambda detail: detail)
