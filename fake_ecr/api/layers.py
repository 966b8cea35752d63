"""The layer API: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
CompleteLayerUpload and GetDownloadUrlForLayer (docs/behaviour/registry.md#layer-api).

Owns these operations' request rules and responses.  Blobs and upload sessions
are the model's, the same the registry's blob endpoints use: a layer uploaded
here can be pulled with a registry client, and the other way round.
GetDownloadUrlForLayer hands out a URL on the fake's registry that serves the
bytes, standing in for ECR's presigned S3 URL.

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fake_ecr import errors
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.formats.digest import ECR_DIGEST_PATTERN
from fake_ecr.formats.service_model import decode_blob
from fake_ecr.model.tokens import PRESIGNED_CREDENTIAL, DownloadGrant, issue_download_grant

#: The part size InitiateLayerUpload recommends: 10 MiB (docs/behaviour/registry.md#layer-api,
#: [CLI:initiate-layer-upload]).
PART_SIZE = 10 * 1024 * 1024
#: How long a download URL works, as X-Amz-Expires=3600 on ECR's presigned URLs (docs/behaviour/registry.md#layer-api,
#: docs/behaviour/registry.md#blob-downloads).
DOWNLOAD_URL_LIFETIME = 3600.0
#: failureReason per failureCode of BatchCheckLayerAvailability: texts UNCONFIRMED (docs/behaviour/index.md#unconfirmed
#: #5), in the batch calls' style.
FAILURE_REASONS = {
    "InvalidLayerDigest": "Invalid layer digest: it should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    "MissingLayerDigest": "Requested layer not found",
}


@operation("BatchCheckLayerAvailability")
def batch_check_layer_availability(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    layers: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for digest in params["layerDigests"]:
        # Looked up even when malformed (never stored then): a missing repository is an exception
        # whatever the digests (docs/behaviour/registry.md#layer-api).  The request shape has no pattern here: a
        # malformed digest is a per-item failure.
        blob = registry.blob_info(name, digest)
        if blob is None:
            code = "MissingLayerDigest" if ECR_DIGEST_PATTERN.fullmatch(digest) else "InvalidLayerDigest"
            failures.append({"layerDigest": digest, "failureCode": code, "failureReason": FAILURE_REASONS[code]})
            continue
        layer: dict[str, Any] = {"layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": blob.size}
        if blob.media_type is not None:  # known once a manifest has named the blob
            layer["mediaType"] = blob.media_type
        layers.append(layer)
    return {"layers": layers, "failures": failures}


@operation("InitiateLayerUpload")
def initiate_layer_upload(call: Call, params: Params) -> Response:
    upload = call.registry(params).start_upload(params["repositoryName"])
    return {"uploadId": upload.upload_id, "partSize": PART_SIZE}


@operation("UploadLayerPart")
def upload_layer_part(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name, upload_id = params["repositoryName"], params["uploadId"]
    first_byte, last_byte = params["partFirstByte"], params["partLastByte"]
    part = decode_blob("layerPartBlob", params["layerPartBlob"])
    upload = registry.upload(name, upload_id)
    if last_byte - first_byte + 1 != len(part):
        raise errors.LayerPartSizeMismatch(
            registry.registry_id, name, upload_id, upload.size - 1, first_byte, last_byte, len(part)
        )
    # Parts must be contiguous: the first starts at 0, each next one byte past the last
    # (docs/behaviour/registry.md#layer-api).
    upload = registry.append_upload(name, upload_id, [part], first_byte=first_byte)
    return {
        "registryId": registry.registry_id,
        "repositoryName": name,
        "uploadId": upload_id,
        "lastByteReceived": upload.size - 1,
    }


@operation("CompleteLayerUpload")
def complete_layer_upload(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name, upload_id = params["repositoryName"], params["uploadId"]
    digest = registry.complete_upload(name, upload_id, params["layerDigests"], exists_is_error=True)
    return {"registryId": registry.registry_id, "repositoryName": name, "uploadId": upload_id, "layerDigest": digest}


@operation("GetDownloadUrlForLayer")
def get_download_url_for_layer(call: Call, params: Params) -> Response:
    """A URL on the fake's registry that serves the layer without an Authorization header.

    It carries a download grant for this one blob of this repository, read-only (GET, HEAD), valid
    for an hour on the fake's clock, as ECR's presigned URL is (X-Amz-Expires=3600).
    """
    registry = call.registry(params)
    name, digest = params["repositoryName"], params["layerDigest"]
    if registry.blob_info(name, digest) is None:
        raise errors.LayerNotFound(registry.registry_id, name, digest)  # docs/behaviour/errors.md#messages #23
    if not registry.blob_is_referenced(name, digest):
        # Uploaded but in no image: "unassociated", not downloadable (docs/behaviour/registry.md#layer-api).
        raise errors.LayerInaccessible(registry.registry_id, name, digest)
    grant = DownloadGrant(registry.registry_id, registry.region, name, digest, call.now + DOWNLOAD_URL_LIFETIME)
    query = urlencode({PRESIGNED_CREDENTIAL: issue_download_grant(grant)})
    url = call.fake.registry_url(registry.registry_id, registry.region)
    return {"downloadUrl": f"{url}/v2/{name}/blobs/{digest}?{query}", "layerDigest": digest}
