"""The registry's blob endpoints: reading blobs, and uploading them in sessions.

Owns ``HEAD/GET /v2/<name>/blobs/<digest>`` (with single ``Range`` reads) and the
upload session endpoints under ``/v2/<name>/blobs/uploads/`` (OCI distribution
spec 1.1 "Pushing blobs"; ECR's answers in docs/behaviour/registry.md#endpoints).  Bodies stream
both ways: a request body is read in pieces into the upload session, which
hashes it as it arrives; a blob is sent back in pieces from its store.  The
upload sessions are the same the layer API uses (InitiateLayerUpload ...).

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import suppress

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.formats.digest import ECR_DIGEST_PATTERN
from fake_ecr.model import Registry, UploadSession
from fake_ecr.registry.oci_errors import BlobRangeNotSatisfiable, ContentRangeInvalid
from fake_ecr.registry.paths import blob_location, upload_state

#: Size of the pieces a request body is read in.
BODY_CHUNK = 1024 * 1024
BLOB_TYPE = "application/octet-stream"
#: A chunk's Content-Range: OCI's ``<first>-<last>``; also the RFC 9110 form some clients send.
_CONTENT_RANGE = re.compile(r"(?:bytes[ =])?(\d+)-(\d+)(?:/(?:\d+|\*))?")


def check_digest(digest: str) -> None:
    """DIGEST_INVALID for a digest in a URL that is not ``algorithm:hex`` (ECR's LayerDigest pattern)."""
    if not ECR_DIGEST_PATTERN.fullmatch(digest):
        raise errors.DigestInvalid(digest)


def request_body(request: Request) -> Iterator[bytes]:
    """The request body in pieces, whether sized or sent with chunked transfer encoding.

    Over HTTP a body that can't be read (bad framing, cut short) raises ``errors.RequestBodyUnreadable``
    partway: the upload it was for is then dropped (``drop_upload``).
    """
    stream = request.stream
    while chunk := stream.read(BODY_CHUNK):
        yield chunk


# --- reading blobs ------------------------------------------------------------------------


def get_blob(request: Request, registry: Registry, name: str, digest: str) -> Response:
    """HEAD/GET a blob of the repository: 200, or 206 for a satisfiable single range.

    ECR answers GET with a 307 to a presigned S3 URL; serving the bytes here is the
    alternative docs/behaviour/registry.md#blob-downloads allows, and clients that follow redirects handle both.
    """
    check_digest(digest)
    blob = registry.open_blob(name, digest)
    if blob is None:
        raise errors.LayerNotFound(registry.registry_id, name, digest)
    headers = {"Docker-Content-Digest": digest, "Accept-Ranges": "bytes", "ETag": f'"{digest}"'}
    if request.method == "HEAD":
        return Response(status=200, headers={**headers, "Content-Length": str(blob.size)}, mimetype=BLOB_TYPE)
    selected = _byte_range(request, digest, blob.size)
    first, last = selected if selected is not None else (0, blob.size - 1)
    headers["Content-Length"] = str(last - first + 1)
    if selected is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{blob.size}"
    return Response(
        blob.read(first, last),
        status=200 if selected is None else 206,
        headers=headers,
        mimetype=BLOB_TYPE,
        direct_passthrough=True,
    )


def _byte_range(request: Request, digest: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) bytes a single-range request selects; None for the whole blob."""
    requested = request.range
    if requested is None or requested.units != "bytes" or len(requested.ranges) != 1:
        return None  # no Range, or several: RFC 9110 lets a server send the whole representation
    selected = requested.range_for_length(size)
    if selected is None:
        raise BlobRangeNotSatisfiable(digest, size)
    return selected[0], selected[1] - 1


# --- uploads ------------------------------------------------------------------------------


def _upload_response(status: int, name: str, upload: UploadSession) -> Response:
    return Response(status=status, headers={**upload_state(name, upload.upload_id, upload.size), "Content-Length": "0"})


def _blob_created(name: str, digest: str) -> Response:
    headers = {"Location": blob_location(name, digest), "Docker-Content-Digest": digest, "Content-Length": "0"}
    return Response(status=201, headers=headers)


def _mount(registry: Registry, name: str, args: MultiDict[str, str]) -> str | None:
    """The digest mounted from ``?mount=<digest>&from=<repository>``, or None when there is no mount.

    ECR mounts across repositories only when the account setting BLOB_MOUNTING is ENABLED
    (docs/behaviour/registry.md#endpoints, docs/behaviour/limits.md#registry-limits); otherwise, as for a blob the
    source lacks, the POST opens an ordinary upload session (202), which is what the OCI spec asks of a registry that
    can't mount.
    """
    digest, source = args.get("mount"), args.get("from")
    if digest is None or source is None or registry.settings.account_setting("BLOB_MOUNTING") != "ENABLED":
        return None
    return digest if registry.mount_blob(name, digest, source) else None


def start_upload(request: Request, registry: Registry, name: str) -> Response:
    """POST: mount (201), monolithic upload with ``?digest=`` (201), or a new session (202)."""
    mounted = _mount(registry, name, request.args)
    if mounted is not None:
        return _blob_created(name, mounted)
    upload = registry.start_upload(name)
    digests = request.args.getlist("digest")
    if digests:  # the single-POST monolithic upload (OCI spec end-4b)
        return _finish(request, registry, name, upload.upload_id, digests)
    return _upload_response(202, name, upload)


def _first_byte(request: Request, registry: Registry, name: str, upload_id: str) -> int | None:
    """Where the chunk's Content-Range says it starts (None without one); 416 when it can't describe the body."""
    header = request.headers.get("Content-Range")
    if header is None:
        return None
    match = _CONTENT_RANGE.fullmatch(header.strip())
    length = request.content_length
    if match is None or int(match[2]) < int(match[1]) or length not in (None, int(match[2]) - int(match[1]) + 1):
        upload = registry.upload(name, upload_id)
        raise ContentRangeInvalid(name, upload_id, upload.size, header)
    return int(match[1])


def drop_upload(registry: Registry, name: str, upload_id: str) -> None:
    """Drop a failed upload and what it holds (gone already: nothing to do)."""
    with suppress(errors.UploadNotFound, errors.RepositoryNotFound):
        registry.cancel_upload(name, upload_id)


def patch_upload(request: Request, registry: Registry, name: str, upload_id: str) -> Response:
    """PATCH a chunk onto the upload; out of order -> 416 BLOB_UPLOAD_INVALID (docs/behaviour/errors.md#messages #29).

    A chunk whose body can't be read (bad framing, cut short) may be partly in, and no Range can say how much
    of it was meant: the upload is dropped and the answer is 400 BLOB_UPLOAD_INVALID, "the blob upload
    encountered an error and can no longer proceed" (OCI spec "Error Codes"); a later request on it is a
    404 BLOB_UPLOAD_UNKNOWN, and the client starts a new upload.  (distribution keeps what arrived and
    answers 500 UNKNOWN; ECR's answer is not known.)
    """
    first_byte = _first_byte(request, registry, name, upload_id)
    try:
        upload = registry.append_upload(name, upload_id, request_body(request), first_byte)
    except errors.RequestBodyUnreadable:
        drop_upload(registry, name, upload_id)
        raise
    # ECR answers a chunk with 201 Created where the spec says 202 (docs/behaviour/registry.md#endpoints,
    # dotnet/sdk-container-builds#279): containers/image, go-containerregistry and docker's client all take any 2xx
    # there.
    return _upload_response(201, name, upload)


def upload_status(request: Request, registry: Registry, name: str, upload_id: str) -> Response:
    """GET an upload's progress: 204 with Location and Range (OCI spec end-13)."""
    return _upload_response(204, name, registry.upload(name, upload_id))


def cancel_upload(request: Request, registry: Registry, name: str, upload_id: str) -> Response:
    """DELETE an upload: its bytes are dropped at once."""
    registry.cancel_upload(name, upload_id)
    return Response(status=204)


def finish_upload(request: Request, registry: Registry, name: str, upload_id: str) -> Response:
    """PUT ``?digest=``: append the last chunk if the body has one, verify the digest, store the blob (201)."""
    return _finish(request, registry, name, upload_id, request.args.getlist("digest"))


def _finish(request: Request, registry: Registry, name: str, upload_id: str, digests: Sequence[str]) -> Response:
    try:
        for digest in digests or [""]:  # the spec's closing PUT MUST carry a digest: none is an invalid one
            check_digest(digest)
        first_byte = _first_byte(request, registry, name, upload_id)
        registry.append_upload(name, upload_id, request_body(request), first_byte)
        digest = registry.complete_upload(name, upload_id, digests, exists_is_error=False)
    except (errors.InvalidLayerPart, ContentRangeInvalid):
        raise  # 416: the client may resume from the Range it is told
    except errors.EcrError:
        # After any other 4xx (an unreadable body too) the upload has failed (OCI spec "Pushing blobs").
        drop_upload(registry, name, upload_id)
        raise
    return _blob_created(name, digest)
