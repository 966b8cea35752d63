"""Test helpers for the control-plane tests: blobs seeded through the registry, manifests built over them.

Manifests are put together here by hand (not with ``fake_ecr.images``) so these tests depend only on
the manifest formats themselves; blobs are uploaded with ``FakeEcr.push_blobs``, as a push would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, Shape, StructureShape

from fake_ecr import FakeEcr
from fake_ecr.images import Blob, Image

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
BLOB = "application/octet-stream"

#: ECR's answer to a manifest it cannot read (docs/behaviour/errors.md#messages #16).
INVALID_JSON = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"

#: The ``send_raw`` fixture: send(X-Amz-Target, raw body) -> (HTTP status, decoded JSON answer).
RawSender = Callable[[str, bytes], tuple[int, dict[str, Any]]]

#: (manifest media type, config media type, layer media type) per image format
FORMATS = {
    "docker": (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER),
    "oci": (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER),
}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """A manifest ready for PutImage: its text, digest, media type and ECR's size for it."""

    text: str
    media_type: str
    size: int

    @property
    def digest(self) -> str:
        return sha256(self.text.encode())

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.text.encode())}


def seed_blob(
    fake_ecr: FakeEcr, repository_name: str, data: bytes, *, account: str | None = None, region: str | None = None
) -> str:
    """Store ``data`` as a blob of the repository (as a push does before its manifest); returns its digest."""
    (digest,) = fake_ecr.push_blobs(repository_name, [Blob(BLOB, data)], account_id=account, region=region)
    return digest


def image_manifest(
    fake_ecr: FakeEcr,
    repository_name: str,
    seed: str = "image",
    *,
    image_format: str = "docker",
    layer_count: int = 1,
    config_media_type: str | None = None,
    with_media_type: bool = True,
    indent: int | None = None,
    account: str | None = None,
    region: str | None = None,
) -> Manifest:
    """An image manifest over freshly seeded blobs; ``seed`` makes its contents (and digest) distinct."""
    manifest_type, config_type, layer_type = FORMATS[image_format]
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layers = [f"{seed} layer {n} ".encode() * (n + 1) for n in range(layer_count)]
    for blob in (config, *layers):
        seed_blob(fake_ecr, repository_name, blob, account=account, region=region)
    document: dict[str, Any] = {"schemaVersion": 2}
    if with_media_type:
        document["mediaType"] = manifest_type
    document["config"] = {"mediaType": config_media_type or config_type, "digest": sha256(config), "size": len(config)}
    document["layers"] = [{"mediaType": layer_type, "digest": sha256(b), "size": len(b)} for b in layers]
    size = len(config) + sum(len(b) for b in layers)
    return Manifest(json.dumps(document, indent=indent), manifest_type, size)


def index_manifest(children: list[Manifest], *, image_format: str = "docker") -> Manifest:
    """A manifest list / OCI index over already pushed children (ECR's size: the largest child)."""
    media_type = DOCKER_LIST if image_format == "docker" else OCI_INDEX
    platforms = [{"architecture": arch, "os": "linux"} for arch in ("amd64", "arm64", "s390x", "ppc64le")]
    document = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [{**child.descriptor(), "platform": platforms[n]} for n, child in enumerate(children)],
    }
    return Manifest(json.dumps(document), media_type, max(child.size for child in children))


def put(ecr: Any, repository_name: str, manifest: Manifest, tag: str | None = None, **extra: Any) -> dict[str, Any]:
    """PutImage of ``manifest`` (with its tag when given); returns the Image."""
    if tag is not None:
        extra["imageTag"] = tag
    response: dict[str, Any] = ecr.put_image(repositoryName=repository_name, imageManifest=manifest.text, **extra)
    return response["image"]


def push_public(ecr_public: Any, repository_name: str, tag: str, image: Image) -> None:
    """Push a built image to a public repository as ECR Public's API does: the layer API, then PutImage (for tests
    that need a public image to look at, not of the manifest formats)."""
    for blob in image.blobs():
        upload_id = ecr_public.initiate_layer_upload(repositoryName=repository_name)["uploadId"]
        ecr_public.upload_layer_part(
            repositoryName=repository_name,
            uploadId=upload_id,
            partFirstByte=0,
            partLastByte=blob.size - 1,
            layerPartBlob=blob.data,
        )
        ecr_public.complete_layer_upload(repositoryName=repository_name, uploadId=upload_id, layerDigests=[blob.digest])
    ecr_public.put_image(repositoryName=repository_name, imageManifest=image.manifest.decode(), imageTag=tag)


def error_of(excinfo: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError caught by pytest.raises."""
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def state_of(fake_ecr: FakeEcr) -> list[Any]:
    """Everything the fake holds, as comparable values: to show a refused request changed nothing."""
    return [
        (
            registry.registry_id,
            registry.region,
            registry.settings,
            registry.stored_bytes,
            [(record, registry.images(record.repository_name)) for record in registry.repositories()],
        )
        for registry in [*fake_ecr.backend.registries(), *fake_ecr.backend.public_registries()]
    ]


# --- requests from botocore's model ---------------------------------------------------------------------

#: A valid value for every string shape with a pattern (the model gives patterns, not examples).
SAMPLES = {
    "RepositoryName": "app",
    "RegistryId": "123456789012",
    "LayerDigest": "sha256:" + "a" * 64,
    "UploadId": "0123abcd-0123-4567-89ab-0123456789ab",
    "ReplicationBackfillId": "0123abcd-0123-4567-89ab-0123456789ab",
    "Region": "eu-west-1",
    "CredentialArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/upstream",
    "ImageTagMutabilityExclusionFilterValue": "dev-*",
    "KmsKeyForRepositoryCreationTemplate": "arn:aws:kms:us-east-1:123456789012:key/abcd-1234",
    "Prefix": "team",
    "PrincipalArn": "arn:aws:iam::123456789012:role/scanner",
    "PullThroughCacheRuleRepositoryPrefix": "cache",
    "RepositoryFilterValue": "team",
    "ScanningRepositoryFilterValue": "team*",
    "SigningProfileArn": "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Profile",
    "SigningRepositoryFilterValue": "team*",
}


def length_of(shape: Shape) -> tuple[int, int | None]:
    """A shape's (min, max) length or value from botocore's model."""
    return shape.metadata.get("min", 0), shape.metadata.get("max")


def satisfies(shape: Shape, value: str) -> bool:
    """Whether a string meets its shape's length, pattern and enum."""
    low, high = length_of(shape)
    pattern = shape.metadata.get("pattern")
    return (
        low <= len(value)
        and (high is None or len(value) <= high)
        and (pattern is None or re.fullmatch(pattern, value) is not None)
        and (not shape.enum or value in shape.enum)
    )


def valid(shape: Shape) -> Any:
    """The smallest value of ``shape`` the model allows: required members only, shortest lengths."""
    if isinstance(shape, StructureShape):
        return {name: valid(shape.members[name]) for name in shape.required_members}
    if isinstance(shape, ListShape):
        return [valid(shape.member)] * max(length_of(shape)[0], 1)
    kind = shape.type_name
    if kind == "string":
        value = shape.enum[0] if shape.enum else SAMPLES.get(shape.name, "a" * max(length_of(shape)[0], 1))
        assert satisfies(shape, value), f"add a valid sample for string shape {shape.name} to SAMPLES"
        return value
    if kind in ("integer", "long"):
        return max(length_of(shape)[0], 1)
    if kind == "blob":
        return base64.b64encode(b"x" * max(length_of(shape)[0], 1)).decode()
    if kind == "boolean":
        return True
    raise AssertionError(f"no sample for {shape.name} ({kind})")
