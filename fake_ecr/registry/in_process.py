"""Pushes made in this process (``FakeEcr.push``, ``push_blobs``): the registry's push without HTTP.

Owns ``InProcessPush``: the checks and writes the push endpoints make, in their order, on the same model
methods - the principal's permissions for each endpoint a push calls (when credentials and policies are
enforced, ``app.admit``), CREATE_ON_PUSH, a blob stored only where the repository lacks it (the HEAD a
client sends first), each upload verified against its digest, and the manifest through
``manifests.store_manifest``, the one write path PutImage takes too.  A refusal is the domain error the
endpoint would have answered with; the caller renders it as the registry does (``oci_errors``).  No
request, no headers, no body framing: a push of a small image costs what the model's writes cost.

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fake_ecr import errors
from fake_ecr.model import Registry
from fake_ecr.model.repository_creation import create_on_push
from fake_ecr.registry.app import BLOB, MANIFEST, UPLOAD, admit
from fake_ecr.registry.blobs import check_digest, drop_upload
from fake_ecr.registry.manifests import store_manifest

#: The endpoints a push calls: HEAD each blob, start and finish its upload, PUT the manifest.
ENDPOINTS_OF_A_PUSH = (f"HEAD {BLOB}", "POST /v2/<path:name>/blobs/uploads/", f"PUT {UPLOAD}", f"PUT {MANIFEST}")


class InProcessPush:
    """One push into repository ``name`` of ``registry``, as ``principal_arn`` (None: no policy is checked)."""

    def __init__(self, registry: Registry, name: str, principal_arn: str | None) -> None:
        if principal_arn is not None:
            admit(registry, principal_arn, ENDPOINTS_OF_A_PUSH, name)
        create_on_push(registry, name)
        self.registry = registry
        self.name = name

    def put_blob(self, digest: str, chunks: Iterable[bytes]) -> str:
        """Store a blob unless the repository holds it; returns its digest as stored."""
        check_digest(digest)
        if self.registry.blob_info(self.name, digest) is not None:
            return digest
        upload = self.registry.start_upload(self.name)
        try:
            self.registry.append_upload(self.name, upload.upload_id, chunks, 0)
            return self.registry.complete_upload(self.name, upload.upload_id, [digest], exists_is_error=False)
        except errors.EcrError:
            drop_upload(self.registry, self.name, upload.upload_id)  # a failed upload leaves nothing behind
            raise

    def put_manifest(self, reference: str, manifest: bytes, media_type: str | None) -> str:
        """Store a manifest under a tag or its digest; returns the image's digest."""
        return store_manifest(self.registry, self.name, reference, manifest, media_type).image_digest
