"""Reading a manifest's exact bytes: what ECR refuses as "Invalid JSON syntax" (docs/behaviour/errors.md#messages
#16)."""

from __future__ import annotations

import json

import pytest

from fake_ecr.errors import ManifestDescriptorInvalid, ManifestInvalid
from fake_ecr.formats.manifests import DOCKER_SCHEMA2, OCI_MANIFEST, parse_manifest

from registry.helpers import FORBIDDEN_DESCRIPTORS

CONFIG = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "a" * 64, "size": 2}
OCI = {"schemaVersion": 2, "config": CONFIG, "layers": []}


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        pytest.param(b"not json", None, id="not-json"),
        pytest.param(b"[]", None, id="not-an-object"),
        pytest.param(json.dumps(OCI).encode(), None, id="no-media-type-anywhere"),
        pytest.param(json.dumps({**OCI, "mediaType": OCI_MANIFEST}).encode("utf-16"), None, id="utf-16"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, None, id="nested-beyond-the-parser"),
        pytest.param(
            b'{"mediaType": "' + DOCKER_SCHEMA2.encode() + b'", "schemaVersion": 2, "config": 7}',
            None,
            id="config-not-a-descriptor",
        ),
    ],
)
def test_refused_as_invalid_json(data: bytes, declared: str | None) -> None:
    with pytest.raises(ManifestInvalid) as excinfo:
        parse_manifest(data, declared)
    assert (
        excinfo.value.message
        == "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
    )


@pytest.mark.parametrize("document", FORBIDDEN_DESCRIPTORS)
def test_a_descriptor_the_image_spec_forbids_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(ManifestDescriptorInvalid):
        parse_manifest(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("size", "digest"),
    [
        pytest.param(0, CONFIG["digest"], id="size-zero"),
        pytest.param(2**63 - 1, CONFIG["digest"], id="size-largest-int64"),
        pytest.param(2, "sha512:" + "b" * 128, id="sha512"),
        pytest.param(2, "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", id="unregistered-algorithm"),
    ],
)
def test_descriptors_at_the_edges_of_the_rules_are_read(size: int, digest: str) -> None:
    config = {**CONFIG, "size": size, "digest": digest}
    info = parse_manifest(json.dumps({**OCI, "config": config}).encode(), OCI_MANIFEST)
    assert (info.blob_digests, info.size_in_bytes) == ((digest,), size)


def test_an_oci_manifest_without_media_type_takes_the_declared_one() -> None:
    info = parse_manifest(json.dumps(OCI).encode(), OCI_MANIFEST)
    assert (info.media_type, info.blob_digests, info.size_in_bytes) == (OCI_MANIFEST, (CONFIG["digest"],), 2)
