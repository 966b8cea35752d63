"""buildah against the fake's registry: an image built from scratch (no engine, no base image) is pushed,
then pulled into another store, where its files are read back through ``buildah mount``.

buildah sends layer bodies with ``Transfer-Encoding: chunked`` (docs/behaviour/clients.md#what-clients-need #4).  Every
test gives buildah stores of its own under tmp_path (``--root``, ``--runroot``, the vfs driver).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fake_ecr.formats import manifests

from interop.clients import Described, Program, RegistryLogin

REPOSITORY = "team/buildah"
TAG = "latest"
GREETING = "hello from buildah\n"


@pytest.mark.parametrize(
    ("push_format", "manifest_media_type"),
    [
        pytest.param("oci", manifests.OCI_MANIFEST, id="oci"),
        pytest.param("docker", manifests.DOCKER_SCHEMA2, id="docker-schema2"),
    ],
)
def test_an_image_built_from_scratch_is_pushed_and_pulls_back_with_its_files(
    buildah_at: Callable[[Path], Program],
    ecr: Any,
    login: RegistryLogin,
    described: Described,
    tmp_path: Path,
    *,
    push_format: str,
    manifest_media_type: str,
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    (tmp_path / "hello.txt").write_text(GREETING)
    builder, other_machine = buildah_at(tmp_path / "builder"), buildah_at(tmp_path / "other")
    container = builder("from", "scratch").strip()
    builder("copy", container, str(tmp_path / "hello.txt"), "/hello.txt")
    builder("config", "--label", "built-by=buildah", container)
    builder("commit", "--quiet", container, "hello")
    remote = f"{login.host}/{REPOSITORY}:{TAG}"
    digest_file = tmp_path / "pushed-digest"

    builder(
        "push",
        "--tls-verify=false",
        "--format",
        push_format,
        "--digestfile",
        str(digest_file),
        "hello",
        f"docker://{remote}",
    )

    pushed = digest_file.read_text()
    [detail] = described(REPOSITORY).values()
    [stored] = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageDigest": pushed}])["images"]
    manifest = json.loads(stored["imageManifest"])
    assert (detail["imageDigest"], detail["imageTags"]) == (pushed, [TAG])
    assert detail["imageManifestMediaType"] == manifest_media_type
    assert detail["imageSizeInBytes"] == manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])

    image_id = other_machine("pull", "--quiet", "--tls-verify=false", remote).strip()

    assert f"sha256:{image_id}" == manifest["config"]["digest"]
    inspected = json.loads(other_machine("inspect", "--type", "image", remote))
    assert inspected["FromImageDigest"] == pushed
    assert inspected["OCIv1"]["config"]["Labels"]["built-by"] == "buildah"
    root = Path(other_machine("mount", other_machine("from", "--pull=never", remote).strip()).strip())
    assert (root / "hello.txt").read_text() == GREETING
    assert "lastRecordedPullTime" in described(REPOSITORY)[pushed]
