"""oras-py against the fake's registry: files pushed as an OCI artifact and pulled back.

oras-py logs in as a user would (``login`` writes a docker config file, here one in tmp_path) and
uploads each file either in one PUT after the POST or in chunks by PATCH (docs/behaviour/clients.md#what-clients-need
#4).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from fake_ecr.formats import manifests

from interop.clients import Described, RegistryLogin, require_module

REPOSITORY = "team/artifacts"
TAG = "v1"
#: The config media type oras-py gives an artifact pushed without one of its own.
ORAS_CONFIG_MEDIA_TYPE = "application/vnd.unknown.config.v1+json"
#: oras-py's empty config: the two bytes ``{}``.
ORAS_CONFIG_SIZE = 2
#: ECR refuses parts under 5 MiB but the last (docs/behaviour/registry.md#layer-api,
#: docs/behaviour/limits.md#service-quotas): chunked uploads use 5 MiB parts.
PART_SIZE = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("do_chunked", "data_size"),
    [
        pytest.param(False, 4096, id="post-then-put"),
        # 6 MiB in 5 MiB parts: one full part, then a last, smaller one.
        pytest.param(True, 6 * 1024 * 1024, id="chunked-patch"),
    ],
)
def test_push_then_pull_gives_back_the_files(
    ecr: Any, login: RegistryLogin, described: Described, tmp_path: Path, *, do_chunked: bool, data_size: int
) -> None:
    oras_client = require_module("oras.client")
    ecr.create_repository(repositoryName=REPOSITORY)
    files = {
        "notes.txt": ("text/plain", b"release notes\n"),
        "data.bin": ("application/octet-stream", random.Random(7).randbytes(data_size)),
    }
    for name, (_, data) in files.items():
        (tmp_path / name).write_bytes(data)
    docker_config = str(tmp_path / "docker-config.json")
    # The "basic" backend answers ECR's Basic challenge (docs/behaviour/auth.md#registry-credentials) with the login's
    # credentials; the default "token" backend would ask the challenge's realm for a bearer token, which ECR has not.
    oras = oras_client.OrasClient(hostname=login.host, insecure=True, auth_backend="basic")
    oras.login(username="AWS", password=login.password, hostname=login.host, config_path=docker_config)
    target = f"{login.host}/{REPOSITORY}:{TAG}"

    pushed = oras.push(
        target=target,
        files=[f"{tmp_path / name}:{media_type}" for name, (media_type, _) in files.items()],
        disable_path_validation=True,
        config_path=docker_config,
        manifest_annotations={"org.opencontainers.image.description": "oras-py interop"},
        do_chunked=do_chunked,
        chunk_size=PART_SIZE,
        quiet=True,
    )

    digest = pushed.headers["Docker-Content-Digest"]
    [detail] = described(REPOSITORY).values()
    assert (detail["imageDigest"], detail["imageTags"]) == (digest, [TAG])
    assert (detail["imageManifestMediaType"], detail["artifactMediaType"]) == (
        manifests.OCI_MANIFEST,
        ORAS_CONFIG_MEDIA_TYPE,
    )
    assert detail["imageSizeInBytes"] == ORAS_CONFIG_SIZE + sum(len(data) for _, data in files.values())

    pulled = oras.pull(target=target, outdir=str(tmp_path / "pulled"), config_path=docker_config)

    assert {Path(path).name: Path(path).read_bytes() for path in pulled} == {
        name: data for name, (_, data) in files.items()
    }
    assert "lastRecordedPullTime" in described(REPOSITORY)[digest]
