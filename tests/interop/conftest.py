"""Fixtures of the interop tests: ECR's login, the clients' environment, and the clients themselves.

Credentials are ECR's (docs/behaviour/auth.md#registry-credentials): ``authorizationToken`` = base64("AWS:" + password)
from GetAuthorizationToken, which ``fake_ecr.env`` also writes for subprocesses, as REGISTRY_AUTH_FILE
(read by skopeo, podman, buildah) and DOCKER_CONFIG.  Image references name ECR's hosts, which the clients reach
through the session's server as their HTTPS proxy (HTTPS_PROXY and the CA in ``fake_ecr.env``).  Most tests still
tell their client not to insist on TLS, which changes nothing there; test_ecr_names.py runs every client without.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr

from interop.clients import Described, Program, RegistryLogin, isolated_storage


@pytest.fixture
def ecr(fake_ecr: FakeEcr) -> Any:
    """boto3 in-process: to create repositories and to look at what the clients did."""
    return fake_ecr.client()


@pytest.fixture
def login(ecr: Any) -> RegistryLogin:
    data = ecr.get_authorization_token()["authorizationData"][0]
    return RegistryLogin(data["proxyEndpoint"], data["authorizationToken"])


@pytest.fixture
def client_env(fake_ecr: FakeEcr, tmp_path: Path) -> dict[str, str]:
    """The environment of client subprocesses: the fake's (``fake_ecr.env``: endpoint, test credentials,
    region, registry logins in REGISTRY_AUTH_FILE and DOCKER_CONFIG); nothing from the user's AWS setup."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "aws-credentials")
    return {**env, **fake_ecr.env}


@pytest.fixture
def skopeo(client_env: dict[str, str]) -> Program:
    return Program("skopeo", client_env)


@pytest.fixture
def docker(client_env: dict[str, str], tmp_path: Path) -> Program:
    """The docker CLI with a configuration directory of its own, not the one ``fake_ecr.env`` logs in with:
    it holds no credentials until ``docker login`` writes them."""
    return Program("docker", client_env).with_env(DOCKER_CONFIG=str(tmp_path / "docker-config"))


@pytest.fixture
def runroot() -> Iterator[Callable[[], Path]]:
    """``runroot()``: a new run directory for podman or buildah.  podman refuses a runroot path longer
    than 50 characters, which pytest's tmp_path is, so these live in a short directory of /tmp."""
    base = Path(tempfile.mkdtemp(prefix="fake-ecr-run-", dir="/tmp"))
    yield lambda: Path(tempfile.mkdtemp(dir=base))
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def podman_at(client_env: dict[str, str], runroot: Callable[[], Path]) -> Callable[[Path], Program]:
    """``podman_at(directory)``: podman with a store of its own in the directory, its own state directory
    (not /run/libpod) and no event log."""

    def podman(root: Path) -> Program:
        run = runroot()
        state = ("--tmpdir", str(run / "libpod"), "--events-backend", "none")
        return Program("podman", client_env, (*isolated_storage(root, run / "storage"), *state))

    return podman


@pytest.fixture
def buildah_at(client_env: dict[str, str], runroot: Callable[[], Path]) -> Callable[[Path], Program]:
    """``buildah_at(directory)``: buildah with a store of its own in the directory."""

    def buildah(root: Path) -> Program:
        return Program("buildah", client_env, isolated_storage(root, runroot() / "storage"))

    return buildah


@pytest.fixture
def described(ecr: Any) -> Described:
    """``described(repository)``: DescribeImages of a repository, keyed by image digest."""

    def image_details(repository: str) -> dict[str, dict[str, Any]]:
        details = ecr.describe_images(repositoryName=repository)["imageDetails"]
        return {detail["imageDigest"]: detail for detail in details}

    return image_details
