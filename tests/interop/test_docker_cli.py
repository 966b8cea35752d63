"""The docker CLI against the fake's registry: ``docker login`` and ``docker manifest inspect``.

Only the CLI is needed: both commands talk to the registry themselves, without an engine
(docs/behaviour/clients.md).  Each test gives docker a configuration directory of its own (DOCKER_CONFIG),
where ``docker login`` stores what ``docker manifest inspect`` then sends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, images

from interop.clients import Described, Program, RegistryLogin

REPOSITORY = "team/docker"
TAG = "latest"
IMAGE = images.image({"app/main.py": "print('hello')\n"}, cmd=["python", "/app/main.py"])
INDEX = images.index(
    [images.image({"arch": "amd64"}), images.image({"arch": "arm64"}, architecture="arm64")], format="docker"
)


def docker_login(docker: Program, host: str, password: str) -> str:
    return docker("login", "--username", "AWS", "--password-stdin", host, stdin=password)


def stored_auth(docker: Program, host: str) -> str | None:
    config = Path(docker.env["DOCKER_CONFIG"]) / "config.json"
    if not config.exists():
        return None
    auth: str | None = json.loads(config.read_text()).get("auths", {}).get(host, {}).get("auth")
    return auth


def test_login_with_the_ecr_password_stores_the_authorization_token(docker: Program, login: RegistryLogin) -> None:
    out = docker_login(docker, login.host, login.password)

    assert "Login Succeeded" in out
    # docker stores base64("AWS:" + password): GetAuthorizationToken's authorizationToken
    # (docs/behaviour/api.md#cli-tutorial).
    assert stored_auth(docker, login.host) == login.authorization_token


def test_login_with_a_password_ecr_did_not_issue_fails_and_stores_nothing(
    docker: Program, login: RegistryLogin
) -> None:
    stderr = docker.fails("login", "--username", "AWS", "--password-stdin", login.host, stdin="not-a-token")

    assert f"login attempt to https://{login.host}/v2/ failed with status: 403 Forbidden" in stderr
    assert stored_auth(docker, login.host) is None


@pytest.mark.parametrize(
    "item", [pytest.param(IMAGE, id="docker-image"), pytest.param(INDEX, id="docker-manifest-list")]
)
def test_manifest_inspect_after_login_prints_the_pushed_manifest(
    docker: Program,
    ecr: Any,
    fake_ecr: FakeEcr,
    login: RegistryLogin,
    *,
    described: Described,
    item: images.Image | images.ImageIndex,
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", item)
    docker_login(docker, login.host, login.password)

    printed = docker("manifest", "inspect", "--insecure", f"{login.host}/{REPOSITORY}:{TAG}")

    assert json.loads(printed) == json.loads(item.manifest)
    assert "lastRecordedPullTime" in described(REPOSITORY)[item.digest]


def test_manifest_inspect_without_login_fails_for_lack_of_credentials(
    docker: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)

    stderr = docker.fails("manifest", "inspect", "--insecure", f"{login.host}/{REPOSITORY}:{TAG}")

    # What docker says to ECR's Basic challenge when it holds no credentials for the host
    # (docs/behaviour/auth.md#registry-credentials).
    assert "no basic auth credentials" in stderr


def test_manifest_inspect_of_a_missing_tag_says_no_such_manifest(
    docker: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)
    docker_login(docker, login.host, login.password)

    stderr = docker.fails("manifest", "inspect", "--insecure", f"{login.host}/{REPOSITORY}:missing")

    assert f"no such manifest: {login.host}/{REPOSITORY}:missing" in stderr
