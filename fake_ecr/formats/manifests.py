"""Reading image manifests: media type, referenced blobs and manifests, subject.

Owns the knowledge of the manifest formats ECR stores (docs/behaviour/registry.md#manifest-formats):
Docker v2 schema 1 and 2, Docker manifest lists, OCI image manifests and
indexes, and OCI 1.1 artifacts.  Given the exact bytes a client pushed, it says
what the manifest is and what it references; it never rewrites the bytes.

Must not import anything from fake_ecr but ``errors`` and ``digest``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fake_ecr.errors import InvalidParameter, ManifestDescriptorInvalid, ManifestInvalid
from fake_ecr.formats.digest import is_valid_digest

DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

IMAGE_MANIFEST_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA2, OCI_MANIFEST})
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
MANIFEST_TYPES = IMAGE_MANIFEST_TYPES | INDEX_TYPES

DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
#: Config media types that make a manifest a runnable image rather than an artifact.
IMAGE_CONFIG_TYPES = frozenset({DOCKER_CONFIG, OCI_CONFIG})
#: The largest size a descriptor can give: sizes are int64 (image-spec descriptor.md "Properties").
MAX_DESCRIPTOR_SIZE = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An OCI descriptor: what a manifest says about one thing it references."""

    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    platform: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ManifestInfo:
    """What a manifest is and references, read from its exact bytes."""

    media_type: str
    config: Descriptor | None
    layers: tuple[Descriptor, ...]
    manifests: tuple[Descriptor, ...]
    subject: Descriptor | None
    artifact_type: str | None
    annotations: tuple[tuple[str, str], ...]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def blob_digests(self) -> tuple[str, ...]:
        """Config then layers, each once, in manifest order."""
        seen: dict[str, None] = {}
        if self.config is not None:
            seen[self.config.digest] = None
        for layer in self.layers:
            seen.setdefault(layer.digest, None)
        return tuple(seen)

    @property
    def size_in_bytes(self) -> int:
        """ECR's imageSizeInBytes for an image manifest: config + layers (docs/behaviour/images.md#image-operations
        DescribeImages)."""
        config = self.config.size if self.config is not None else 0
        return config + sum(layer.size for layer in self.layers)

    @property
    def artifact_media_type(self) -> str | None:
        """DescribeImages' artifactMediaType: the config blob's media type (docs/behaviour/images.md#image-operations;
        absent for indexes)."""
        return self.config.media_type if self.config is not None else None


def _string_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), str(v)) for k, v in value.items() if isinstance(v, str | int | float))


def _descriptor(value: object) -> Descriptor:
    if not isinstance(value, dict):
        raise ManifestInvalid()
    media_type, digest, size = value.get("mediaType"), value.get("digest"), value.get("size")
    if not isinstance(digest, str) or not isinstance(size, int) or isinstance(size, bool):
        raise ManifestInvalid()
    if not 0 <= size <= MAX_DESCRIPTOR_SIZE or not is_valid_digest(digest):
        # Every descriptor: config, layers (an artifact's blobs), an index's manifests, the subject.
        raise ManifestDescriptorInvalid()
    platform = value.get("platform")
    return Descriptor(
        media_type=media_type if isinstance(media_type, str) else "",
        digest=digest,
        size=size,
        artifact_type=value["artifactType"] if isinstance(value.get("artifactType"), str) else None,
        annotations=_string_pairs(value.get("annotations")),
        platform=_string_pairs(platform),
    )


def _descriptors(value: object) -> tuple[Descriptor, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ManifestInvalid()
    return tuple(_descriptor(item) for item in value)


def _schema1_layers(document: dict[str, object]) -> tuple[Descriptor, ...]:
    # Schema 1 names its layers as fsLayers[].blobSum, without sizes.
    fs_layers = document.get("fsLayers")
    if not isinstance(fs_layers, list):
        raise ManifestInvalid()
    digests: dict[str, None] = {}
    for entry in fs_layers:
        if not isinstance(entry, dict) or not isinstance(entry.get("blobSum"), str):
            raise ManifestInvalid()
        digests.setdefault(entry["blobSum"], None)
    return tuple(Descriptor("application/vnd.docker.container.image.rootfs.diff+x-gtar", d, 0) for d in digests)


def detect_media_type(document: dict[str, object], declared: str | None) -> str:
    """The manifest's media type, as ECR decides it (docs/behaviour/images.md#image-operations PutImage,
    docs/behaviour/errors.md#messages #16).

    The manifest's own ``mediaType`` wins; otherwise the declared one (the
    ``imageManifestMediaType`` member or the registry's Content-Type); a schema 1
    manifest is known by ``schemaVersion: 1``.  With neither, ECR answers
    "Invalid JSON syntax" (docs/behaviour/errors.md#messages #16) - OCI manifests need the type declared.
    """
    own = document.get("mediaType")
    if isinstance(own, str):
        if declared and declared != own and declared in MANIFEST_TYPES:
            # UNCONFIRMED wording: ECR refuses a declared type that contradicts the manifest.
            raise InvalidParameter(
                "imageManifestMediaType",
                f"Media type '{declared}' does not match the manifest's media type '{own}'",
            )
        media_type = own
    elif document.get("schemaVersion") == 1:
        media_type = DOCKER_SCHEMA1_SIGNED if "signatures" in document else DOCKER_SCHEMA1
    elif declared:
        media_type = declared
    else:
        raise ManifestInvalid()
    if media_type not in MANIFEST_TYPES:
        raise ManifestInvalid(member="imageManifestMediaType", constraint=f"Unsupported media type '{media_type}'")
    return media_type


def parse_manifest(data: bytes, declared_media_type: str | None = None) -> ManifestInfo:
    """Read a manifest's exact bytes; raise ManifestInvalid for what ECR refuses."""
    try:
        # Manifests are UTF-8 JSON (OCI image-spec); json.loads would also take UTF-16/32 bytes.
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ManifestInvalid() from None
    if not isinstance(document, dict):
        raise ManifestInvalid()
    media_type = detect_media_type(document, declared_media_type)
    if media_type in (DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED):
        return ManifestInfo(media_type, None, _schema1_layers(document), (), None, None, ())
    if document.get("schemaVersion") != 2:
        raise ManifestInvalid()
    subject = document.get("subject")
    artifact_type = document.get("artifactType")
    layers: tuple[Descriptor, ...]
    if media_type in INDEX_TYPES:
        config, layers = None, ()
        manifests = _descriptors(document.get("manifests"))
    else:
        config = _descriptor(document.get("config"))
        layers = _descriptors(document.get("layers"))
        manifests = ()
    return ManifestInfo(
        media_type=media_type,
        config=config,
        layers=layers,
        manifests=manifests,
        subject=_descriptor(subject) if subject is not None else None,
        artifact_type=artifact_type if isinstance(artifact_type, str) else None,
        annotations=_string_pairs(document.get("annotations")),
    )
