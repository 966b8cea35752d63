"""OCI referrers on the control plane: ListImageReferrers (docs/behaviour/images.md#image-operations,
docs/behaviour/images.md#referrers).

Owns the request's filter and the ImageReferrer wire shape.  Which images refer to a subject is the
model's (``Registry.referrers``), shared with the registry's ``/v2/<name>/referrers/<digest>``.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.formats.digest import ECR_DIGEST_PATTERN
from fake_ecr.model import ImageRecord

#: ArtifactStatusFilter's value for every status.
ANY = "ANY"


def _referrer(image: ImageRecord) -> dict[str, Any]:
    """The ImageReferrer shape: the referrer's descriptor (OCI spec "Listing Referrers") and its status.

    ``size`` is the manifest's, as in any OCI descriptor, not the image's imageSizeInBytes.
    """
    wire: dict[str, Any] = {
        "digest": image.image_digest,
        "mediaType": image.image_manifest_media_type,
        "size": len(image.image_manifest),
        "artifactStatus": image.image_status,
    }
    if image.oci_artifact_type is not None:
        wire["artifactType"] = image.oci_artifact_type
    if image.annotations:
        wire["annotations"] = dict(image.annotations)
    return wire


@operation("ListImageReferrers")
def list_image_referrers(call: Call, params: Params) -> Response:
    subject_digest = params["subjectId"]["imageDigest"]
    if not ECR_DIGEST_PATTERN.fullmatch(subject_digest):
        # The model puts no pattern on ImageDigest; ECR refuses a malformed digest as other
        # operations do (UNCONFIRMED wording and precedence over RepositoryNotFound).
        raise errors.DigestInvalid(subject_digest)
    selection = params.get("filter") or {}
    # Without a filter only ACTIVE referrers are listed (docs/behaviour/images.md#image-operations); an empty
    # artifactTypes list filters nothing (UNCONFIRMED).
    artifact_status = selection.get("artifactStatus") or "ACTIVE"
    artifact_types = selection.get("artifactTypes") or ()
    referrers = [
        view.image
        for view in call.registry(params).referrers(params["repositoryName"], subject_digest)
        if artifact_status in (ANY, view.image.image_status)
        and (not artifact_types or view.image.oci_artifact_type in artifact_types)
    ]
    # An unknown subject has no referrers: an empty list, as the OCI referrers API answers
    # (UNCONFIRMED for ECR, docs/behaviour/images.md#image-operations).
    return render.page("ListImageReferrers", params, "referrers", referrers, _referrer)
