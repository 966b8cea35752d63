"""Amazon ECR's getting-started tutorial end to end, as a user types it (docs/behaviour/api.md#cli-tutorial):

    aws ecr create-repository --repository-name hello-repository
    aws ecr get-login-password | docker login --username AWS --password-stdin <host>
    (docker push)  skopeo copy oci:<layout>:latest docker://<repositoryUri>:latest
    aws ecr describe-images --repository-name hello-repository
    (docker pull)  skopeo copy docker://<repositoryUri>:latest oci:<layout>:latest
    aws ecr batch-delete-image --repository-name hello-repository --image-ids imageTag=latest
    aws ecr delete-repository --repository-name hello-repository --force

No docker engine runs here, so skopeo pushes and pulls in docker's place, with the credentials
``docker login`` stored (its config.json is an auth file skopeo reads).  The AWS CLI finds the fake
through the environment ``fake_ecr.env`` gives subprocesses (AWS_ENDPOINT_URL_ECR and test credentials).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

from fake_ecr import images

from interop.clients import COMMAND_TIMEOUT, Program, require_program

REPOSITORY = "hello-repository"
IMAGE = images.image({"hello.txt": "Hello from the ECR tutorial!\n"}, format="oci", cmd=["cat", "/hello.txt"])


def test_the_getting_started_tutorial_runs_end_to_end(docker: Program, ecr: Any, tmp_path: Path) -> None:
    # Only the credentials `docker login` stores may count: no other auth file.
    env = {name: value for name, value in docker.env.items() if name != "REGISTRY_AUTH_FILE"}
    aws, skopeo = Program("aws", env), Program("skopeo", env)
    docker_auth_file = str(Path(env["DOCKER_CONFIG"]) / "config.json")
    images.write_oci_layout(tmp_path / "built", [("latest", IMAGE)])

    repository = json.loads(aws("ecr", "create-repository", "--repository-name", REPOSITORY))["repository"]
    repository_uri = repository["repositoryUri"]
    host = repository_uri.partition("/")[0]

    # The tutorial's pipe, as a shell runs it: the password goes from the CLI to docker on stdin.
    get_login_password = [require_program("aws"), "ecr", "get-login-password"]
    docker_login = [require_program("docker"), "login", "--username", "AWS", "--password-stdin", host]
    pipeline = f"{shlex.join(get_login_password)} | {shlex.join(docker_login)}"
    logged_in = subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert logged_in.returncode == 0, logged_in.stderr
    assert "Login Succeeded" in logged_in.stdout

    skopeo(
        "copy",
        "--dest-authfile",
        docker_auth_file,
        "--dest-tls-verify=false",
        f"oci:{tmp_path / 'built'}:latest",
        f"docker://{repository_uri}:latest",
    )

    [detail] = json.loads(aws("ecr", "describe-images", "--repository-name", REPOSITORY))["imageDetails"]
    assert (detail["imageDigest"], detail["imageTags"]) == (IMAGE.digest, ["latest"])
    assert detail["imageSizeInBytes"] == IMAGE.size_in_bytes

    skopeo(
        "copy",
        "--src-authfile",
        docker_auth_file,
        "--src-tls-verify=false",
        f"docker://{repository_uri}:latest",
        f"oci:{tmp_path / 'pulled'}:latest",
    )

    [(_, pulled)] = images.load_oci_layout(tmp_path / "pulled")
    assert isinstance(pulled, images.Image)
    assert pulled.manifest == IMAGE.manifest
    assert [blob.data for blob in pulled.blobs()] == [blob.data for blob in IMAGE.blobs()]

    deleted = json.loads(
        aws("ecr", "batch-delete-image", "--repository-name", REPOSITORY, "--image-ids", "imageTag=latest")
    )
    assert deleted == {"imageIds": [{"imageDigest": IMAGE.digest, "imageTag": "latest"}], "failures": []}

    gone = json.loads(aws("ecr", "delete-repository", "--repository-name", REPOSITORY, "--force"))["repository"]
    assert gone["repositoryArn"] == repository["repositoryArn"]
    assert ecr.describe_repositories()["repositories"] == []
