"""The registry's URL layout: the locations it hands out in ``Location``, ``Link`` and ``Range`` headers.

Owns the paths under ``/v2/`` that responses point clients to (OCI distribution
spec 1.1 "Endpoints": end-2 blobs, end-3 manifests, end-5 uploads, end-8b tag
pages).  Locations are relative, which the spec allows (RFC 7231 §7.1.2), so
they hold whatever address the client used.  The route table itself lives in
``fake_ecr.registry.app``.

Must not import werkzeug or anything from fake_ecr.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode


def blob_location(repository_name: str, digest: str) -> str:
    return f"/v2/{repository_name}/blobs/{digest}"


def manifest_location(repository_name: str, reference: str) -> str:
    return f"/v2/{repository_name}/manifests/{reference}"


def upload_location(repository_name: str, upload_id: str) -> str:
    return f"/v2/{repository_name}/blobs/uploads/{upload_id}"


def tags_page_location(repository_name: str, page_size: int, last: str) -> str:
    """The next page of tags/list after ``last`` (a ``rel="next"`` Link target)."""
    return f"/v2/{repository_name}/tags/list?{urlencode({'n': page_size, 'last': last})}"


def upload_state(repository_name: str, upload_id: str, size: int) -> Mapping[str, str]:
    """Where an upload continues and how far it got (OCI spec "Pushing a blob in chunks").

    ``Range`` is ``0-<last byte>``; an empty upload reports ``0-0``, as the reference
    implementation does (the spec's "Upload Progress" gives ``0-0`` for a fresh upload).
    ``Docker-Upload-UUID`` is the legacy header some clients still read.
    """
    return {
        "Location": upload_location(repository_name, upload_id),
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": upload_id,
    }
