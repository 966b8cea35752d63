"""Real registry clients log in with the files ``env`` names: skopeo reads REGISTRY_AUTH_FILE, the docker CLI
reads DOCKER_CONFIG (no engine needed for ``docker manifest inspect``, docs/behaviour/clients.md).  Without them both
are refused, so the files are what lets them in."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, images

IMAGE = images.image(files={"login.txt": "read with the auth files"})
COMMANDS = {
    "skopeo": lambda reference: ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"],
    "docker": lambda reference: ["docker", "manifest", "inspect", "--insecure", reference],
}


@pytest.mark.parametrize("client", list(COMMANDS))
@pytest.mark.parametrize("logged_in", [True, False], ids=["with-env-logins", "without"])
def test_a_client_reads_the_manifest_only_with_the_login_files(
    fake_ecr: FakeEcr, tmp_path: Path, client: str, logged_in: bool
) -> None:
    if shutil.which(client) is None:
        pytest.fail(f"install {client}: apt-get install skopeo / the docker CLI (see docs/behaviour/clients.md)")
    ecr: Any = fake_ecr.client()
    repository = ecr.create_repository(repositoryName="team/app")["repository"]
    fake_ecr.push("team/app:v1", IMAGE)
    # Never the user's own logins: HOME and the default auth file locations point into tmp_path.
    env = {**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path), **fake_ecr.env}
    if not logged_in:
        env["REGISTRY_AUTH_FILE"] = str(tmp_path / "empty-auth.json")
        env["DOCKER_CONFIG"] = str(tmp_path / "empty-docker-config")

    done = subprocess.run(
        COMMANDS[client](f"{repository['repositoryUri']}:v1"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    if logged_in:
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("{")
        assert IMAGE.config.digest in done.stdout
    else:
        assert done.returncode != 0
        assert IMAGE.config.digest not in done.stdout
