"""Archiving and restoring images: UpdateImageStorageClass (docs/behaviour/images.md#image-operations,
docs/behaviour/images.md#archive-storage-class).

Owns which storage-class transitions an image may make (refusing the others with
``ImageStorageClassUpdateNotSupported``) and the operation's answer.  The transitions themselves are
the model's (``moved_to_archive``, which lifecycle's TRANSITION action uses too, and
``being_restored``); the model completes a restore ``Settings.restore_delay`` seconds later on the
fake's clock.  What an archived image can't do (be pulled, be scanned) is decided where those happen.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable

from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.errors import ImageStorageClassUpdateNotSupported
from fake_ecr.formats.manifests import INDEX_TYPES
from fake_ecr.model import ImageId, ImageRecord
from fake_ecr.model.registry import ACTIVATING, ACTIVE, ARCHIVED, being_restored, moved_to_archive

#: TargetStorageClass values.
ARCHIVE, STANDARD = "ARCHIVE", "STANDARD"


#: (image status, target storage class) -> why ECR does not make that transition.  UNCONFIRMED
#: (docs/behaviour/images.md#image-operations names only the exception): a request that would not change the storage
#: class is refused rather than answered as a no-op, and an image being restored is still archived
#: (docs/behaviour/images.md#archive-storage-class) but already on its way to standard, so it can be neither archived
#: nor restored again.
REFUSED_TRANSITIONS = {
    (ACTIVE, STANDARD): "the image is already in the standard storage class",
    (ARCHIVED, ARCHIVE): "the image is already archived",
    (ACTIVATING, ARCHIVE): "the image is being restored to the standard storage class",
    (ACTIVATING, STANDARD): "the image is already being restored to the standard storage class",
}
#: UNCONFIRMED: a manifest list or image index is taken to be archived only with its images, by
#: lifecycle; on its own it is refused (ECR's documentation speaks of archiving images only).
INDEX_REFUSAL = "a manifest list or image index cannot be archived"

#: target storage class -> (the image, now, restore delay) -> the image after the transition.
TRANSITIONS: dict[str, Callable[[ImageRecord, float, float], ImageRecord]] = {
    ARCHIVE: lambda image, now, delay: moved_to_archive(image, now),
    STANDARD: lambda image, now, delay: being_restored(image, now + delay),
}


def _refusal(image: ImageRecord, target_storage_class: str) -> str | None:
    reason = REFUSED_TRANSITIONS.get((image.image_status, target_storage_class))
    if reason is None and target_storage_class == ARCHIVE and image.image_manifest_media_type in INDEX_TYPES:
        return INDEX_REFUSAL
    return reason


@operation("UpdateImageStorageClass")
def update_image_storage_class(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name, target = params["repositoryName"], params["targetStorageClass"]
    requested = ImageId(params["imageId"].get("imageDigest"), params["imageId"].get("imageTag"))
    now, delay = call.now, call.fake.settings.restore_delay

    def transition(image: ImageRecord) -> ImageRecord:
        reason = _refusal(image, target)
        if reason is not None:
            raise ImageStorageClassUpdateNotSupported(image.image_digest, target, reason)
        return TRANSITIONS[target](image, now, delay)

    image = registry.modify_image(name, requested, transition).image
    return {
        "registryId": registry.registry_id,
        "repositoryName": name,
        "imageId": render.image_id(ImageId(image.image_digest, requested.image_tag)),
        "imageStatus": image.image_status,
    }
