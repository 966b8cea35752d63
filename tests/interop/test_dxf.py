"""python-dxf against the fake's registry: blobs pushed and pulled, named by an alias (a tagged manifest).

python-dxf refuses to send credentials over plain http (its ``authenticate`` raises for an insecure
registry), so the test answers ECR's 401 challenge itself, with the header ``docker login`` would send:
``Authorization: Basic <authorizationToken>`` (docs/behaviour/clients.md, docs/behaviour/auth.md#registry-credentials).
dxf calls its ``auth`` hook on a 401 and retries the request when the hook changed its headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fake_ecr.formats import manifests

from interop.clients import Described, RegistryLogin, require_module

REPOSITORY = "team/blobs"
ALIAS = "bundle"
CHUNKS = (b"first chunk of the blob, ", b"then the rest")


def basic_credentials(login: RegistryLogin) -> Callable[[Any, Any], None]:
    def answer_challenge(dxf: Any, response: Any) -> None:
        dxf._headers = {"Authorization": f"Basic {login.authorization_token}"}

    return answer_challenge


def test_blobs_pushed_under_an_alias_pull_back_and_the_alias_deletes(
    ecr: Any, login: RegistryLogin, described: Described
) -> None:
    dxf_module = require_module("dxf")
    ecr.create_repository(repositoryName=REPOSITORY)
    dxf = dxf_module.DXF(login.host, REPOSITORY, auth=basic_credentials(login), insecure=True)
    data = b"".join(CHUNKS)
    chunks: Iterator[bytes] = iter(CHUNKS)  # an iterator: requests sends it with chunked transfer encoding

    blob_digest = dxf.push_blob(data=chunks, digest=dxf_module.hash_bytes(data))
    manifest = dxf.set_alias(ALIAS, blob_digest)

    manifest_digest = dxf_module.hash_bytes(manifest.encode())
    [detail] = described(REPOSITORY).values()
    # dxf's manifest is docker schema 2, naming the blob as both config and layer.
    assert (detail["imageDigest"], detail["imageTags"]) == (manifest_digest, [ALIAS])
    assert detail["imageManifestMediaType"] == manifests.DOCKER_SCHEMA2
    assert detail["imageSizeInBytes"] == 2 * len(data)
    assert dxf.list_aliases() == [ALIAS]
    assert dxf.get_alias(ALIAS) == [blob_digest]
    assert b"".join(dxf.pull_blob(blob_digest)) == data
    assert dxf.get_manifest(ALIAS) == manifest
    assert "lastRecordedPullTime" in described(REPOSITORY)[manifest_digest]

    dxf.del_alias(ALIAS)

    assert ecr.list_images(repositoryName=REPOSITORY)["imageIds"] == []
