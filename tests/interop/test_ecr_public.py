"""ECR Public with real clients: the AWS CLI's ``aws ecr-public`` commands, and skopeo pushing with
``get-login-password``'s credentials and pulling anonymously through the token flow.

The registry is reached where ``repositoryUri`` says: ``public.ecr.aws/<alias>/<name>`` through the server as
HTTPS proxy (ECR's addresses, the default), or the server's own port for it (local addresses): both are tested.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, Settings, images
from fake_ecr.model.public import default_alias

from interop.clients import Program, require_module

IMAGE = images.image(layers=[{"app/hello.txt": "hello from ECR Public\n"}], format="oci")
TAG = "v1"


@pytest.fixture
def aws(client_env: dict[str, str]) -> Program:
    return Program("aws", {**client_env, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})


@pytest.fixture
def ecr_public(fake_ecr: FakeEcr) -> Any:
    return fake_ecr.client("ecr-public", region_name="us-east-1")


def test_aws_cli_manages_repositories_catalog_data_and_logs_in(aws: Program, fake_ecr: FakeEcr) -> None:
    created = json.loads(
        aws("ecr-public", "create-repository", "--repository-name", "team/app", "--catalog-data", "description=Demo")
    )
    alias = default_alias(fake_ecr.settings.account_id)
    assert created["repository"]["repositoryUri"].endswith(f"/{alias}/team/app")
    assert created["catalogData"] == {"description": "Demo", "marketplaceCertified": False}

    described = json.loads(aws("ecr-public", "describe-repositories"))
    assert [r["repositoryName"] for r in described["repositories"]] == ["team/app"]
    (registry,) = json.loads(aws("ecr-public", "describe-registries"))["registries"]
    assert registry["aliases"][0]["name"] == alias

    password = aws("ecr-public", "get-login-password").strip()
    assert password
    assert json.loads(aws("ecr-public", "get-repository-catalog-data", "--repository-name", "team/app")) == {
        "catalogData": {"description": "Demo", "marketplaceCertified": False}
    }


def push_then_pull_anonymously(skopeo: Program, ecr_public: Any, password: str, tmp_path: Path) -> None:
    """skopeo refuses to push without credentials, pushes with ECR Public's, and pulls back without any."""
    uri = ecr_public.create_repository(repositoryName="team/app")["repository"]["repositoryUri"]
    images.write_oci_layout(tmp_path / "source", [(TAG, IMAGE)])
    remote = f"docker://{uri}:{TAG}"
    tls = "true" if uri.startswith("public.ecr.aws/") else "false"
    source = f"oci:{tmp_path / 'source'}:{TAG}"

    refused = skopeo.fails("copy", f"--dest-tls-verify={tls}", "--dest-no-creds", source, remote)
    assert "unauthorized" in refused

    skopeo("copy", f"--dest-tls-verify={tls}", f"--dest-creds=AWS:{password}", source, remote)
    (detail,) = ecr_public.describe_images(repositoryName="team/app")["imageDetails"]
    assert (detail["imageDigest"], detail["imageTags"]) == (IMAGE.digest, [TAG])

    skopeo("copy", f"--src-tls-verify={tls}", "--src-no-creds", remote, f"oci:{tmp_path / 'pulled'}:{TAG}")
    [(ref_name, pulled)] = images.load_oci_layout(tmp_path / "pulled")
    assert (ref_name, pulled.digest, pulled.manifest) == (TAG, IMAGE.digest, IMAGE.manifest)


def test_skopeo_pushes_to_public_ecr_aws_with_a_login_and_pulls_anonymously(
    skopeo: Program, aws: Program, ecr_public: Any, tmp_path: Path
) -> None:
    # public.ecr.aws itself, through the server as HTTPS proxy (ECR's addresses).
    password = aws("ecr-public", "get-login-password").strip()
    push_then_pull_anonymously(skopeo, ecr_public, password, tmp_path)


def test_skopeo_reaches_the_public_registry_at_the_servers_local_address(tmp_path: Path) -> None:
    with FakeEcr(Settings(region="us-east-1", registry_addresses="local"), server=True) as fake:
        ecr_public = fake.client("ecr-public", http=True)
        token = ecr_public.get_authorization_token()["authorizationData"]["authorizationToken"]
        password = base64.b64decode(token).decode().partition(":")[2]
        skopeo = Program("skopeo", {**os.environ, **fake.env})
        push_then_pull_anonymously(skopeo, ecr_public, password, tmp_path)
        assert ecr_public.describe_repositories()["repositories"][0]["repositoryUri"].startswith("127.0.0.1:")


def test_a_private_registry_password_does_not_push_to_the_public_registry(
    skopeo: Program, ecr_public: Any, fake_ecr: FakeEcr, tmp_path: Path
) -> None:
    uri = ecr_public.create_repository(repositoryName="team/app")["repository"]["repositoryUri"]
    token = fake_ecr.client(region_name="us-east-1").get_authorization_token()["authorizationData"][0]
    private_password = base64.b64decode(token["authorizationToken"]).decode().partition(":")[2]
    images.write_oci_layout(tmp_path / "source", [(TAG, IMAGE)])
    tls = "true" if uri.startswith("public.ecr.aws/") else "false"

    skopeo.fails(
        "copy",
        f"--dest-tls-verify={tls}",
        f"--dest-creds=AWS:{private_password}",
        f"oci:{tmp_path / 'source'}:{TAG}",
        f"docker://{uri}:{TAG}",
    )
    assert ecr_public.describe_images(repositoryName="team/app")["imageDetails"] == []


def test_oras_pushes_with_a_login_and_pulls_anonymously_in_process(ecr_public: Any, tmp_path: Path) -> None:
    # oras-py's default backend follows public.ecr.aws's token flow; its requests are answered in-process.
    oras_client = require_module("oras.client")
    uri = ecr_public.create_repository(repositoryName="team/files")["repository"]["repositoryUri"]
    password = base64.b64decode(ecr_public.get_authorization_token()["authorizationData"]["authorizationToken"])
    (tmp_path / "notes.txt").write_bytes(b"release notes\n")
    publisher = oras_client.OrasClient(hostname="public.ecr.aws")
    publisher.login(
        username="AWS",
        password=password.decode().partition(":")[2],
        hostname="public.ecr.aws",
        config_path=str(tmp_path / "config.json"),
    )
    pushed = publisher.push(
        target=f"{uri}:{TAG}", files=[f"{tmp_path / 'notes.txt'}:text/plain"], disable_path_validation=True
    )
    assert pushed.status_code == 201

    pulled = oras_client.OrasClient(hostname="public.ecr.aws").pull(target=f"{uri}:{TAG}", outdir=str(tmp_path / "out"))
    assert [Path(path).read_bytes() for path in pulled] == [b"release notes\n"]
    (detail,) = ecr_public.describe_images(repositoryName="team/files")["imageDetails"]
    assert detail["artifactMediaType"] == "application/vnd.unknown.config.v1+json"


def test_podman_logs_in_pushes_and_pulls_anonymously(
    podman_at: Callable[[Path], Program], aws: Program, ecr_public: Any, tmp_path: Path
) -> None:
    uri = ecr_public.create_repository(repositoryName="team/app")["repository"]["repositoryUri"]
    host = uri.split("/", 1)[0]
    tls = "true" if host == "public.ecr.aws" else "false"
    images.write_oci_layout(tmp_path / "layout", [(TAG, IMAGE)])
    auth_file = tmp_path / "podman-auth.json"
    publisher = podman_at(tmp_path / "publisher").with_env(REGISTRY_AUTH_FILE=str(auth_file))
    password = aws("ecr-public", "get-login-password")
    login = publisher("login", f"--tls-verify={tls}", "--username", "AWS", "--password-stdin", host, stdin=password)
    assert login == "Login Succeeded!\n"
    image_id = publisher("pull", "--quiet", f"oci:{tmp_path / 'layout'}:{TAG}").strip()
    publisher("tag", image_id, f"{uri}:{TAG}")
    publisher("push", "--quiet", f"--tls-verify={tls}", f"{uri}:{TAG}")

    (tmp_path / "no-logins.json").write_text('{"auths": {}}')
    anonymous = podman_at(tmp_path / "anonymous").with_env(REGISTRY_AUTH_FILE=str(tmp_path / "no-logins.json"))
    anonymous("pull", "--quiet", f"--tls-verify={tls}", f"{uri}:{TAG}")
    [inspected] = json.loads(anonymous("image", "inspect", f"{uri}:{TAG}"))
    assert inspected["Id"] == IMAGE.config.digest.removeprefix("sha256:")
