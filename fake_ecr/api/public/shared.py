"""The ECR Public operations ECR's own handlers serve unchanged: the same request and response members,
the same rules, on the public registry a ``PublicCall`` reaches.

PutImage, BatchDeleteImage and the layer API (BatchCheckLayerAvailability, InitiateLayerUpload,
UploadLayerPart, CompleteLayerUpload) have the same shapes in both models (botocore's ``ecr`` and
``ecr-public``), and ECR Public's API reference documents the same behaviour for them
(https://docs.aws.amazon.com/AmazonECRPublic/latest/APIReference/API_Operations.html); GetRepositoryPolicy and
DeleteRepositoryPolicy, and the tag operations (the repository ARN is read by ``PublicCall``), likewise.
Tag limits are ECR's: 50 a resource, as ECR Public's model documents for TooManyTagsException, though its
TagList allows 200 items (docs/behaviour/public.md#public-limits).

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from fake_ecr.api import images, layers, policies, tags
from fake_ecr.api.core import Handler, operation
from fake_ecr.formats.service_model import ECR_PUBLIC

SHARED: dict[str, Handler] = {
    "PutImage": images.put_image,
    "BatchDeleteImage": images.batch_delete_image,
    "BatchCheckLayerAvailability": layers.batch_check_layer_availability,
    "InitiateLayerUpload": layers.initiate_layer_upload,
    "UploadLayerPart": layers.upload_layer_part,
    "CompleteLayerUpload": layers.complete_layer_upload,
    "GetRepositoryPolicy": policies.get_repository_policy,
    "DeleteRepositoryPolicy": policies.delete_repository_policy,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
}

for _name, _handler in SHARED.items():
    operation(_name, ECR_PUBLIC)(_handler)
