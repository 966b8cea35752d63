"""Reading a manifest's exact bytes: what ECR refuses as "Invalid JSON syntax" (ecr-behaviour §3 #16)."""

from __future__ import annotations

import json

import pytest

from fake_ecr.errors import ManifestInvalid
from fake_ecr.manifests import DOCKER_SCHEMA2, OCI_MANIFEST, parse_manifest

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


def test_an_oci_manifest_without_media_type_takes_the_declared_one() -> None:
    info = parse_manifest(json.dumps(OCI).encode(), OCI_MANIFEST)
    assert (info.media_type, info.blob_digests, info.size_in_bytes) == (OCI_MANIFEST, (CONFIG["digest"],), 2)
