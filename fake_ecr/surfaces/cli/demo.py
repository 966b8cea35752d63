"""``fake-ecr demo``: ECR's getting-started tutorial, step by step, against an embedded fake.

Owns a table of tutorial steps, each a title, the AWS CLI command a user would type, and a function that
does the same through boto3 against the fake and returns what it observed; the push and pull steps go
through the registry over HTTP, as docker would.

Imported only when ``demo`` runs (``fake_ecr.surfaces.cli.main``): it may import the whole library, never
pytest; nothing else in the command line imports it.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

import requests

from fake_ecr import client, images
from fake_ecr.surfaces.cli.options import settings_of
from fake_ecr.surfaces.handle import FakeEcr


class DemoStepFailed(Exception):
    """A demo step saw something other than what ECR answers."""


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoStepFailed(what)


@dataclass
class Demo:
    """What the tutorial's steps share: the embedded fake, a boto3 client, the repository and the image."""

    fake: FakeEcr
    ecr: Any
    repository_name: str = "my-repository"
    authorization_token: str = ""
    proxy_endpoint: str = ""
    image: images.Image = field(
        default_factory=lambda: images.image(files={"hello.txt": "Hello from fake-ecr!\n"}, cmd=["cat", "/hello.txt"])
    )

    @property
    def placeholders(self) -> dict[str, str]:
        settings = self.fake.settings
        host = self.fake.registry_host(settings.account_id, settings.region)
        return {"repository": self.repository_name, "region": settings.region, "host": host}


def _image_id(image_id: dict[str, str]) -> str:
    tag = image_id.get("imageTag")
    return image_id["imageDigest"] if tag is None else f"{image_id['imageDigest']} (tag {tag})"


def _create_repository(demo: Demo) -> list[str]:
    repository = demo.ecr.create_repository(repositoryName=demo.repository_name)["repository"]
    _expect(repository["repositoryName"] == demo.repository_name, f"created {repository['repositoryName']}")
    return [f"repositoryArn: {repository['repositoryArn']}", f"repositoryUri: {repository['repositoryUri']}"]


def _get_login_password(demo: Demo) -> list[str]:
    # get-login-password prints the password half of the decoded authorizationToken [CLI-cust]
    # (docs/behaviour/auth.md#authorization-tokens).
    data = demo.ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    _expect(username == "AWS" and bool(password), "the token is not base64('AWS:<password>')")
    demo.authorization_token, demo.proxy_endpoint = data["authorizationToken"], data["proxyEndpoint"]
    expires_at = data["expiresAt"].astimezone(timezone.utc).isoformat(timespec="seconds")
    return [
        f"password: {password[:24]}... ({len(password)} characters), user name {username}",
        f"for {data['proxyEndpoint']}, valid until {expires_at}",
    ]


def _describe_repositories(demo: Demo) -> list[str]:
    repositories = demo.ecr.describe_repositories(repositoryNames=[demo.repository_name])["repositories"]
    _expect([r["repositoryName"] for r in repositories] == [demo.repository_name], "the repository is not listed")
    return [
        f"{r['repositoryName']}: tags {r['imageTagMutability']}, "
        f"encryption {r['encryptionConfiguration']['encryptionType']}, "
        f"scan on push {r['imageScanningConfiguration']['scanOnPush']}"
        for r in repositories
    ]


def _docker_login(demo: Demo) -> list[str]:
    # docker login probes GET /v2/, is challenged with ECR's Basic realm, and answers with the
    # authorizationToken as Basic credentials (docs/behaviour/auth.md#registry-credentials,
    # docs/behaviour/api.md#cli-tutorial).
    url = f"{demo.proxy_endpoint}/v2/"
    challenge = requests.get(url, timeout=10)
    _expect(challenge.status_code == 401, f"GET /v2/ without credentials answered {challenge.status_code}")
    accepted = requests.get(url, headers={"Authorization": f"Basic {demo.authorization_token}"}, timeout=10)
    _expect(accepted.status_code == 200, f"GET /v2/ with the password answered {accepted.status_code}")
    return [
        f"GET /v2/ -> 401, WWW-Authenticate: {challenge.headers.get('WWW-Authenticate')}",
        "GET /v2/ with Basic AWS:<password> -> 200: Login Succeeded",
    ]


def _push(demo: Demo) -> list[str]:
    # What docker push does (docs/behaviour/registry.md#push-flow): HEAD each blob, upload the missing ones, PUT the
    # manifest.
    digest = client.push(demo.proxy_endpoint, demo.repository_name, "latest", demo.image, auth=demo.authorization_token)
    _expect(digest == demo.image.digest, f"the registry stored {digest}, not {demo.image.digest}")
    return [
        f"pushed {len(demo.image.layers)} layer(s) and a config, then the manifest",
        f"latest: digest: {digest} size: {len(demo.image.manifest)}",
    ]


def _pull(demo: Demo) -> list[str]:
    pulled = client.pull(demo.proxy_endpoint, demo.repository_name, "latest", auth=demo.authorization_token)
    _expect(isinstance(pulled, images.Image) and pulled.manifest == demo.image.manifest, "pulled other bytes")
    assert isinstance(pulled, images.Image)
    _expect([b.data for b in pulled.blobs()] == [b.data for b in demo.image.blobs()], "the blobs differ")
    detail = demo.ecr.describe_images(repositoryName=demo.repository_name)["imageDetails"][0]
    _expect("lastRecordedPullTime" in detail, "the pull was not recorded")
    pulled_at = detail["lastRecordedPullTime"].astimezone(timezone.utc).isoformat(timespec="seconds")
    return [f"pulled {pulled.digest}: manifest and blobs byte for byte as pushed", f"lastRecordedPullTime: {pulled_at}"]


def _describe_images(demo: Demo) -> list[str]:
    details = demo.ecr.describe_images(repositoryName=demo.repository_name)["imageDetails"]
    _expect([d["imageDigest"] for d in details] == [demo.image.digest], "the pushed image is not described")
    _expect(details[0]["imageSizeInBytes"] == demo.image.size_in_bytes, "imageSizeInBytes is not config + layers")
    return [
        f"{d['imageDigest']} tags {d.get('imageTags', [])}, {d['imageSizeInBytes']} bytes, "
        f"pushed {d['imagePushedAt'].astimezone(timezone.utc).isoformat(timespec='seconds')}"
        for d in details
    ]


def _list_images(demo: Demo) -> list[str]:
    image_ids = demo.ecr.list_images(repositoryName=demo.repository_name)["imageIds"]
    _expect(image_ids == [{"imageDigest": demo.image.digest, "imageTag": "latest"}], f"listed {image_ids}")
    return [f"imageId: {_image_id(image_id)}" for image_id in image_ids]


def _batch_delete_image(demo: Demo) -> list[str]:
    result = demo.ecr.batch_delete_image(repositoryName=demo.repository_name, imageIds=[{"imageTag": "latest"}])
    _expect(not result["failures"], f"failures: {result['failures']}")
    return [f"deleted: {_image_id(image_id)}" for image_id in result["imageIds"]]


def _delete_repository(demo: Demo) -> list[str]:
    repository = demo.ecr.delete_repository(repositoryName=demo.repository_name, force=True)["repository"]
    remaining = [r["repositoryName"] for r in demo.ecr.describe_repositories()["repositories"]]
    _expect(demo.repository_name not in remaining, "the repository is still listed")
    return [f"deleted {repository['repositoryArn']}"]


@dataclass(frozen=True)
class DemoStep:
    """One step of the tutorial: what it does, the command a user would type, and the same through boto3."""

    title: str
    commands: tuple[str, ...]
    run: Callable[[Demo], list[str]]


DEMO_STEPS: list[DemoStep] = [
    DemoStep(
        "Create a repository",
        ("aws ecr create-repository --repository-name {repository} --region {region}",),
        _create_repository,
    ),
    DemoStep(
        "Get a password to log in to the registry (GetAuthorizationToken)",
        ("aws ecr get-login-password --region {region}",),
        _get_login_password,
    ),
    DemoStep(
        "Log in to the registry with that password",
        ("aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {host}",),
        _docker_login,
    ),
    DemoStep(
        "Push an image, tagged latest",
        ("docker push {host}/{repository}:latest",),
        _push,
    ),
    DemoStep(
        "Describe the images",
        ("aws ecr describe-images --repository-name {repository} --region {region}",),
        _describe_images,
    ),
    DemoStep(
        "Pull the image back",
        ("docker pull {host}/{repository}:latest",),
        _pull,
    ),
    DemoStep(
        "Delete the image by its tag",
        ("aws ecr batch-delete-image --repository-name {repository} --image-ids imageTag=latest --region {region}",),
        _batch_delete_image,
    ),
    DemoStep(
        "Delete the repository",
        ("aws ecr delete-repository --repository-name {repository} --force --region {region}",),
        _delete_repository,
    ),
]


def run(options: argparse.Namespace) -> int:
    """Walk the tutorial; exit status 0 when every step saw what ECR answers, else 1 at the first that did not."""
    settings = settings_of(options)
    # A server runs so repositoryUri and proxyEndpoint name an address a client on this machine can reach.
    with FakeEcr(settings, server=True) as fake:
        demo = Demo(fake, fake.client())
        print(
            f"fake-ecr demo: the Amazon ECR tutorial against an embedded fake (account {settings.account_id}, "
            f"region {settings.region})"
        )
        print("Each step runs through boto3 in this process; `$` lines are the AWS CLI commands it stands for.")
        for number, step in enumerate(DEMO_STEPS, start=1):
            print(f"\n[{number}/{len(DEMO_STEPS)}] {step.title}")
            for command in step.commands:
                print(f"  $ {command.format_map(demo.placeholders)}")
            try:
                observed = step.run(demo)
            except Exception as error:  # noqa: BLE001 - any failure of a step is reported and ends the demo
                print(f"  FAILED: {type(error).__name__}: {error}", flush=True)
                print(f"\nfake-ecr demo: step {number} of {len(DEMO_STEPS)} failed")
                return 1
            for line in observed:
                print(f"  {line}")
            sys.stdout.flush()
    print(f"\nfake-ecr demo: all {len(DEMO_STEPS)} steps passed")
    return 0
