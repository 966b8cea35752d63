"""Real clients reach the fake at ECR's own names, given only ``fake_ecr.env`` (docs/behaviour/clients.md#https-proxy).

``repositoryUri`` is ``<account>.dkr.ecr.<region>.amazonaws.com/<name>``, as in ECR.  Each client runs in a
subprocess whose environment is the fake's (test credentials, region, HTTPS_PROXY naming the session's server,
the CA in SSL_CERT_FILE/AWS_CA_BUNDLE/REQUESTS_CA_BUNDLE, registry logins): no endpoint, no ``--tls-verify=false``,
no ``--insecure``.  The server answers the clients' ``CONNECT`` to ECR's hosts itself, over TLS they verify.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, images

from interop.clients import COMMAND_TIMEOUT, Described, Program, require_module

pytestmark = pytest.mark.interop

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
REPOSITORY = "team/real-names"
TAG = "v1"
IMAGE = images.image({"app/hello.txt": "hello by ECR's own name\n"}, format="oci", cmd=["cat", "/app/hello.txt"])


@pytest.fixture
def uri(ecr: Any) -> str:
    """The repository's URI as ECR names it: what code under test reads and hands to a client."""
    uri: str = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
    assert uri == f"{HOST}/{REPOSITORY}"
    return uri


def aws(client_env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """``aws <args>`` with the fake's environment only: no --endpoint-url, no AWS_ENDPOINT_URL_ECR."""
    assert "AWS_ENDPOINT_URL_ECR" not in client_env
    return Program("aws", client_env)(*args, stdin=stdin)


def test_the_aws_cli_answers_describe_images_without_an_endpoint(
    client_env: dict[str, str], fake_ecr: FakeEcr, uri: str
) -> None:
    pushed = fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)

    described = json.loads(aws(client_env, "ecr", "describe-images", "--repository-name", REPOSITORY))

    assert [(d["imageDigest"], d["imageTags"]) for d in described["imageDetails"]] == [(pushed, [TAG])]


def test_skopeo_copies_to_and_from_ecrs_name(skopeo: Program, uri: str, described: Described, tmp_path: Path) -> None:
    images.write_oci_layout(tmp_path / "source", [(TAG, IMAGE)])

    skopeo("copy", f"oci:{tmp_path / 'source'}:{TAG}", f"docker://{uri}:{TAG}")
    inspected = json.loads(skopeo("inspect", f"docker://{uri}:{TAG}"))
    skopeo("copy", f"docker://{uri}:{TAG}", f"oci:{tmp_path / 'pulled'}:{TAG}")

    assert [(d["imageDigest"], d["imageTags"]) for d in described(REPOSITORY).values()] == [(IMAGE.digest, [TAG])]
    assert (inspected["Name"], inspected["Digest"]) == (uri, IMAGE.digest)
    pulled_index = json.loads((tmp_path / "pulled" / "index.json").read_text())
    assert [m["digest"] for m in pulled_index["manifests"]] == [IMAGE.digest]


def test_podman_pushes_and_pulls_by_ecrs_name(
    podman_at: Callable[[Path], Program], uri: str, described: Described, tmp_path: Path
) -> None:
    images.write_oci_layout(tmp_path / "layout", [(TAG, IMAGE)])
    builder, other_machine = podman_at(tmp_path / "builder"), podman_at(tmp_path / "other")
    image_id = builder("pull", "--quiet", f"oci:{tmp_path / 'layout'}:{TAG}").strip()
    builder("tag", image_id, f"{uri}:{TAG}")

    builder("push", "--quiet", f"{uri}:{TAG}")
    other_machine("pull", "--quiet", f"{uri}:{TAG}")

    [detail] = described(REPOSITORY).values()
    assert detail["imageTags"] == [TAG]
    root = Path(other_machine("image", "mount", f"{uri}:{TAG}").strip())
    assert (root / "app" / "hello.txt").read_text() == "hello by ECR's own name\n"


def test_buildah_pushes_an_image_built_from_scratch_to_ecrs_name(
    buildah_at: Callable[[Path], Program], uri: str, described: Described, tmp_path: Path
) -> None:
    (tmp_path / "hello.txt").write_text("built by buildah\n")
    builder = buildah_at(tmp_path / "builder")
    container = builder("from", "scratch").strip()
    builder("copy", container, str(tmp_path / "hello.txt"), "/hello.txt")
    builder("commit", "--quiet", container, "hello")

    builder("push", "--digestfile", str(tmp_path / "digest"), "hello", f"docker://{uri}:{TAG}")

    pushed = (tmp_path / "digest").read_text()
    assert [(d["imageDigest"], d["imageTags"]) for d in described(REPOSITORY).values()] == [(pushed, [TAG])]


def test_the_docker_cli_logs_in_with_the_password_the_aws_cli_prints(
    client_env: dict[str, str], docker: Program, fake_ecr: FakeEcr, uri: str
) -> None:
    fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)
    # ECR's own instructions: aws ecr get-login-password | docker login --username AWS --password-stdin <registry>
    password = aws(client_env, "ecr", "get-login-password")

    out = docker("login", "--username", "AWS", "--password-stdin", HOST, stdin=password)
    printed = json.loads(docker("manifest", "inspect", f"{uri}:{TAG}"))

    assert "Login Succeeded" in out
    assert printed == json.loads(IMAGE.manifest)


ORAS_ROUND_TRIP = textwrap.dedent(
    """
    import os, sys
    import oras.client

    host, target, outdir = sys.argv[1:]
    config = os.environ["ORAS_CONFIG"]
    client = oras.client.OrasClient(hostname=host, auth_backend="basic")
    client.login(username="AWS", password=sys.stdin.read().strip(), hostname=host, config_path=config)
    client.push(target=target, files=["notes.txt:text/plain"], config_path=config, quiet=True)
    print(client.pull(target=target, outdir=outdir, config_path=config))
    """
)


def test_oras_pushes_and_pulls_an_artifact_by_ecrs_name(
    client_env: dict[str, str], ecr: Any, uri: str, described: Described, tmp_path: Path
) -> None:
    require_module("oras.client")
    (tmp_path / "notes.txt").write_text("release notes\n")
    password = aws(client_env, "ecr", "get-login-password")
    env = {**client_env, "ORAS_CONFIG": str(tmp_path / "oras-config.json")}

    # A subprocess of its own: in the test's process, ``responses`` would answer oras-py's requests in-process.
    done = subprocess.run(
        [sys.executable, "-c", ORAS_ROUND_TRIP, HOST, f"{uri}:{TAG}", str(tmp_path / "pulled")],
        env=env,
        cwd=tmp_path,
        input=password,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    [detail] = described(REPOSITORY).values()
    assert detail["imageTags"] == [TAG]
    assert (tmp_path / "pulled" / "notes.txt").read_text() == "release notes\n"
