"""podman against the fake's registry: log in, tag and push an image from one store, pull it into another.

podman keeps images in a store; every test gives it stores of its own under tmp_path (``--root``,
``--runroot``, the vfs driver), so nothing lands in /var/lib/containers and tests stay independent.
No container is run: the pulled image's files are read through ``podman image mount``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import images
from fake_ecr.formats import manifests

from interop.clients import Described, Program, RegistryLogin

REPOSITORY = "team/podman"
TAG = "latest"
IMAGE = images.image({"srv/index.html": "<h1>served by podman</h1>\n"}, format="oci", env={"PORT": "8080"})


def stored_manifest(ecr: Any, digest: str) -> dict[str, Any]:
    """The manifest ECR holds for an image, as BatchGetImage returns it."""
    found = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageDigest": digest}])["images"]
    manifest: dict[str, Any] = json.loads(found[0]["imageManifest"])
    return manifest


@pytest.mark.parametrize(
    ("push_format", "manifest_media_type"),
    [
        pytest.param("oci", manifests.OCI_MANIFEST, id="oci"),
        pytest.param("v2s2", manifests.DOCKER_SCHEMA2, id="docker-schema2"),
    ],
)
def test_push_then_pull_into_a_fresh_store_gives_the_same_image(
    podman_at: Callable[[Path], Program],
    ecr: Any,
    login: RegistryLogin,
    described: Described,
    tmp_path: Path,
    *,
    push_format: str,
    manifest_media_type: str,
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    images.write_oci_layout(tmp_path / "layout", [(TAG, IMAGE)])
    remote = f"{login.host}/{REPOSITORY}:{TAG}"
    builder, other_machine = podman_at(tmp_path / "builder"), podman_at(tmp_path / "other")
    image_id = builder("pull", "--quiet", f"oci:{tmp_path / 'layout'}:{TAG}").strip()
    builder("tag", image_id, remote)

    digest_file = tmp_path / "pushed-digest"
    builder("push", "--quiet", "--tls-verify=false", "--format", push_format, "--digestfile", str(digest_file), remote)

    pushed = digest_file.read_text()
    [detail] = described(REPOSITORY).values()
    manifest = stored_manifest(ecr, pushed)
    assert (detail["imageDigest"], detail["imageTags"]) == (pushed, [TAG])
    assert detail["imageManifestMediaType"] == manifest_media_type
    assert detail["imageSizeInBytes"] == manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
    assert "lastRecordedPullTime" not in detail

    other_machine("pull", "--quiet", "--tls-verify=false", remote)

    [inspected] = json.loads(other_machine("image", "inspect", remote))
    # The image ID is the config's digest: podman pushed the config it was given, byte for byte.
    assert (inspected["Id"], inspected["Digest"]) == (IMAGE.config.digest.removeprefix("sha256:"), pushed)
    assert inspected["Config"]["Env"] == ["PORT=8080"]
    root = Path(other_machine("image", "mount", remote).strip())
    assert (root / "srv" / "index.html").read_text() == "<h1>served by podman</h1>\n"
    assert "lastRecordedPullTime" in described(REPOSITORY)[pushed]


def test_login_with_the_ecr_password_stores_the_authorization_token(
    podman_at: Callable[[Path], Program], login: RegistryLogin, tmp_path: Path
) -> None:
    auth_file = tmp_path / "podman-auth.json"  # not fake_ecr.env's: podman writes this one
    podman = podman_at(tmp_path / "podman").with_env(REGISTRY_AUTH_FILE=str(auth_file))

    out = podman(
        "login", "--tls-verify=false", "--username", "AWS", "--password-stdin", login.host, stdin=login.password
    )

    assert out == "Login Succeeded!\n"
    # What podman stores is base64("AWS:" + password): GetAuthorizationToken's authorizationToken.
    assert json.loads(auth_file.read_text())["auths"][login.host]["auth"] == login.authorization_token


def test_login_with_a_password_ecr_did_not_issue_fails_and_stores_nothing(
    podman_at: Callable[[Path], Program], login: RegistryLogin, tmp_path: Path
) -> None:
    auth_file = tmp_path / "podman-auth.json"
    podman = podman_at(tmp_path / "podman").with_env(REGISTRY_AUTH_FILE=str(auth_file))

    stderr = podman.fails(
        "login", "--tls-verify=false", "--username", "AWS", "--password-stdin", login.host, stdin="not-a-token"
    )

    # ECR answers 403 DENIED to a password it did not issue; podman reports the status, not the body.
    assert f'authenticating creds for "{login.host}": invalid status code from registry 403 (Forbidden)' in stderr
    assert not auth_file.exists()
