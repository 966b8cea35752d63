"""The registry's manifest endpoints: manifests by tag or digest, tags/list and the referrers API.

Owns ``/v2/<name>/manifests/<reference>`` (HEAD, GET, PUT, DELETE),
``/v2/<name>/tags/list`` and ``/v2/<name>/referrers/<digest>`` (OCI distribution
spec 1.1; ECR's answers in docs/behaviour/registry.md#endpoints).  A push goes through the model's
one write path, ``Registry.put_image``, as PutImage does; a GET is a pull
(``Registry.pull_images``, which records lastRecordedPullTime); manifests are
served as the exact bytes pushed.

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.formats.digest import is_digest, is_valid_tag
from fake_ecr.formats.manifests import OCI_INDEX
from fake_ecr.model import ImageId, ImageRecord, Registry
from fake_ecr.model.registry import ACTIVE
from fake_ecr.registry.blobs import BODY_CHUNK, check_digest
from fake_ecr.registry.oci_errors import (
    ImageDeleteRefused,
    ManifestBodyUnreadable,
    ManifestTooLarge,
    PageSizeInvalid,
    TagInvalid,
)
from fake_ecr.registry.paths import manifest_location, tags_page_location

#: ECR's largest manifest (docs/behaviour/limits.md#registry-limits, botocore's ImageManifest max length).
MAX_MANIFEST_SIZE = 4 * 1024 * 1024
#: Largest tags/list page (docs/behaviour/registry.md#endpoints: a larger ``n`` is answered 405).
MAX_TAGS_PAGE = 1000
#: WSGI environ key naming the IAM principal a request is taken to come from (``FakeEcr.acting_as``).
#: ECR knows it from the credentials; fake-ecr's tokens carry no principal
#: (docs/behaviour/images.md#pull-time-update-exclusions).
PRINCIPAL_KEY = "fake_ecr.principal_arn"


def _image_id(reference: str) -> ImageId:
    """A manifest reference as an image id: a digest (checked) or a tag."""
    if is_digest(reference):
        check_digest(reference)
        return ImageId(image_digest=reference)
    return ImageId(image_tag=reference)


def accepted_media_types(request: Request) -> tuple[str, ...] | None:
    """The media types the client accepts; None when it takes anything.

    Go clients send one ``Accept`` line per media type (docs/behaviour/clients.md#what-clients-need #2), so every
    line counts, each split on commas, parameters (``;q=``) dropped.  A request without
    Accept gets the stored manifest: fake-ecr converts no manifests, so it can't do what ECR
    does for such old clients, a conversion to schema 1 (docs/behaviour/registry.md#manifest-formats; judgement call).
    """
    accepted = {
        media_type.split(";", 1)[0].strip()
        for line in request.headers.getlist("Accept")
        for media_type in line.split(",")
    }
    accepted.discard("")
    if not accepted or "*/*" in accepted:
        return None
    return tuple(sorted(accepted))


def _manifest_response(image: ImageRecord) -> Response:
    # The bytes as pushed, their pushed type, and their digest: clients verify all three
    # (docs/behaviour/clients.md#what-clients-need #6).
    headers = {"Docker-Content-Digest": image.image_digest, "ETag": f'"{image.image_digest}"'}
    return Response(image.image_manifest, status=200, headers=headers, content_type=image.image_manifest_media_type)


def get_manifest(request: Request, registry: Registry, name: str, reference: str) -> Response:
    """HEAD/GET a manifest by tag or digest; a GET is a pull.

    ECR converts between formats for a client that does not accept the stored one
    (docs/behaviour/registry.md#manifest-formats); fake-ecr converts nothing and answers MANIFEST_UNKNOWN, as
    docs/behaviour/registry.md#manifest-formats allows a mock.
    """
    image_id = _image_id(reference)
    accepted = accepted_media_types(request)
    if request.method == "HEAD":  # a look, not a pull: lastRecordedPullTime stays; else as pull_images decides
        image = registry.resolve_image(name, image_id).image
        # archived images answer 404 (docs/behaviour/registry.md#endpoints,
        # docs/behaviour/images.md#archive-storage-class)
        pullable = image.image_status == ACTIVE
        if not pullable or (accepted is not None and image.image_manifest_media_type not in accepted):
            raise errors.ImageNotFound(registry.registry_id, name, image_id.image_digest, image_id.image_tag)
        return _manifest_response(image)
    found, _ = registry.pull_images(name, [image_id], accepted, request.environ.get(PRINCIPAL_KEY))
    if not found:
        raise errors.ImageNotFound(registry.registry_id, name, image_id.image_digest, image_id.image_tag)
    return _manifest_response(found[0][1])


def _manifest_body(request: Request) -> bytes:
    """The manifest as sent, refused past 4 MiB without reading further (OCI spec: 413)."""
    body = bytearray()
    try:
        while chunk := request.stream.read(min(BODY_CHUNK, MAX_MANIFEST_SIZE + 1 - len(body))):
            body += chunk
            if len(body) > MAX_MANIFEST_SIZE:
                raise ManifestTooLarge()
    except errors.RequestBodyUnreadable as error:
        raise ManifestBodyUnreadable(error.text) from error
    return bytes(body)


def store_manifest(
    registry: Registry, name: str, reference: str, manifest: bytes, media_type: str | None
) -> ImageRecord:
    """A manifest PUT's write: PutImage's write path, where a re-push of the same manifest and tag succeeds."""
    if is_digest(reference):
        check_digest(reference)
        image_tag, image_digest = None, reference
    elif is_valid_tag(reference):
        image_tag, image_digest = reference, None
    else:
        raise TagInvalid(reference)
    result = registry.put_image(
        name, manifest, media_type=media_type, image_tag=image_tag, image_digest=image_digest, repush_is_success=True
    )
    return result.view.image


def put_manifest(request: Request, registry: Registry, name: str, reference: str) -> Response:
    """PUT a manifest (201)."""
    image = store_manifest(registry, name, reference, _manifest_body(request), request.mimetype or None)
    headers = {
        "Location": manifest_location(name, image.image_digest),
        "Docker-Content-Digest": image.image_digest,
        "Content-Length": "0",
    }
    if image.subject_digest is not None:
        # A registry with the referrers API says it took the subject (OCI spec "Pushing Manifests with Subject").
        headers["OCI-Subject"] = image.subject_digest
    return Response(status=201, headers=headers)


def delete_manifest(request: Request, registry: Registry, name: str, reference: str) -> Response:
    """DELETE by digest (the image and its tags) or by tag (the tag), as BatchDeleteImage does (202).

    ECR's support of manifest DELETE is a CONFLICT in the reference (docs/behaviour/registry.md#endpoints); its
    recommendation, to support it, is followed.
    """
    image_id = _image_id(reference)
    _, failures = registry.delete_images(name, [image_id])
    for failure in failures:
        if failure.failure_code == "ImageNotFound":
            raise errors.ImageNotFound(registry.registry_id, name, image_id.image_digest, image_id.image_tag)
        raise ImageDeleteRefused(failure.failure_code, failure.failure_reason)
    return Response(status=202)


def _page_size(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):  # str.isdigit alone takes "²", which int() refuses
        raise PageSizeInvalid("n", value, "be an integer")
    if int(value) > MAX_TAGS_PAGE:
        raise PageSizeInvalid("n", value, f"have value less than or equal to {MAX_TAGS_PAGE}")
    return int(value)


def list_tags(request: Request, registry: Registry, name: str) -> Response:
    """GET tags/list: lexical order, ``n`` and ``last`` paging, a ``rel="next"`` Link while more remain.

    "Lexical" is taken as code-point order, the order the ``last`` cursor compares in (the
    spec's "case-insensitive" gloss would make ``last`` ambiguous; judgement call).
    Without ``n`` every tag comes in one page (ECR's default page size: UNCONFIRMED).
    """
    page_size = _page_size(request.args.get("n"))
    page, more = registry.tag_page(name, request.args.get("last"), page_size)
    headers = {}
    if page and more and page_size:  # n=0 answers an empty list and no Link (OCI spec)
        headers["Link"] = f'<{tags_page_location(name, page_size, page[-1])}>; rel="next"'
    return Response(json.dumps({"name": name, "tags": page}), headers=headers, content_type="application/json")


def _referrer_descriptor(image: ImageRecord) -> dict[str, object]:
    """An image as the referrers API lists it (OCI spec "Listing Referrers")."""
    descriptor: dict[str, object] = {
        "mediaType": image.image_manifest_media_type,
        "digest": image.image_digest,
        "size": len(image.image_manifest),
    }
    if image.oci_artifact_type is not None:
        descriptor["artifactType"] = image.oci_artifact_type
    if image.annotations:
        descriptor["annotations"] = dict(image.annotations)
    return descriptor


def list_referrers(request: Request, registry: Registry, name: str, digest: str) -> Response:
    """GET the referrers of a digest: an OCI index of the manifests whose subject it is
    (docs/behaviour/images.md#referrers).

    Always 200 for an existing repository, also when the subject itself is not there (OCI spec).
    Only ACTIVE images are listed, as ListImageReferrers does by default (docs/behaviour/images.md#referrers).
    """
    check_digest(digest)
    artifact_type = request.args.get("artifactType")
    descriptors = [
        _referrer_descriptor(view.image)
        for view in registry.referrers(name, digest)
        if view.image.image_status == ACTIVE
    ]
    headers = {}
    if artifact_type is not None:
        descriptors = [d for d in descriptors if d.get("artifactType") == artifact_type]
        headers["OCI-Filters-Applied"] = "artifactType"
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    return Response(json.dumps(index), headers=headers, content_type=OCI_INDEX)
