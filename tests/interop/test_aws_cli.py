"""The AWS CLI (``aws``, awscli from PyPI) drives the fake's server through ECR's getting-started flow.

Each test runs ``aws ecr ...`` in a subprocess against the session's server, with the endpoint given
either as ``--endpoint-url``, through ``AWS_ENDPOINT_URL_ECR``, or not at all: ``api.ecr.<region>.amazonaws.com``
reached through the server as HTTPS proxy (HTTPS_PROXY and the CA bundle in the environment ``fake_ecr.env``
hands to subprocesses), and checks what a user would see: the JSON on stdout, the exit status and
the error line on stderr.  State is seeded and inspected in-process through boto3.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, errors, images
from fake_ecr.model.tokens import TOKEN_LIFETIME, read_password

REGION = "us-west-2"
ACCOUNT = "123456789012"
REPOSITORY = "my-repository"
IMAGE = images.image(files={"app/hello.txt": "hello from the AWS CLI test"})

# The tutorial's region is the fake's own.
pytestmark = [pytest.mark.interop, pytest.mark.fake_ecr(region=REGION, account_id=ACCOUNT)]

#: Exit status of a command the service answered with an error, per AWS CLI major version: v2 documents
#: 254 (docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html); v1 (awscli on PyPI) exits
#: 255 for every failure (awscli/clidriver.py `main`).
SERVICE_ERROR_STATUS = {"1": 255, "2": 254}
ENDPOINT_STYLES = [
    pytest.param("flag", id="--endpoint-url"),
    pytest.param("env", id="AWS_ENDPOINT_URL_ECR"),
    pytest.param("proxy", id="no-endpoint-through-the-proxy"),
]


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, f"aws exited {self.returncode}: {self.stderr}"
        return json.loads(self.stdout)


@dataclass(frozen=True)
class AwsCli:
    """``aws`` with test credentials, no user configuration, and the fake's endpoint (or its proxy)."""

    executable: str
    env: dict[str, str]
    endpoint_url: str

    def ecr(self, *args: str, endpoint: str = "flag") -> CliResult:
        env = dict(self.env)
        command = [self.executable, "ecr", *args, "--region", REGION]
        if endpoint == "flag":
            command[1:1] = ["--endpoint-url", self.endpoint_url]
        elif endpoint == "env":
            env["AWS_ENDPOINT_URL_ECR"] = self.endpoint_url
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
        return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def aws_executable() -> str:
    executable = shutil.which("aws")
    if executable is None:
        pytest.fail("install awscli: pip install awscli")
    return executable


@pytest.fixture(scope="module")
def service_error_status(aws_executable: str) -> int:
    version = subprocess.run([aws_executable, "--version"], capture_output=True, text=True, check=True, timeout=60)
    match = re.match(r"aws-cli/(\d+)\.", version.stdout or version.stderr)
    assert match is not None, f"unexpected `aws --version` output: {version.stdout}{version.stderr}"
    return SERVICE_ERROR_STATUS[match.group(1)]


@pytest.fixture
def aws(aws_executable: str, fake_ecr: FakeEcr, tmp_path: Path) -> AwsCli:
    # Nothing from the user's own AWS setup may leak in: no AWS_* variables, no config or credentials files.
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "aws-credentials")
    assert fake_ecr.server is not None
    return AwsCli(aws_executable, {**env, **fake_ecr.env}, fake_ecr.server.endpoint)


@pytest.fixture
def ecr(fake_ecr: FakeEcr) -> Any:
    """An in-process boto3 client, to seed and inspect what the CLI did."""
    return fake_ecr.client()


def seed_repository(fake_ecr: FakeEcr, ecr: Any) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)


def seed_tagged_image(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed_repository(fake_ecr, ecr)
    fake_ecr.push(f"{REPOSITORY}:latest", IMAGE)


def seed_nothing(fake_ecr: FakeEcr, ecr: Any) -> None:
    """No state: the repository does not exist."""


@pytest.mark.parametrize("endpoint", ENDPOINT_STYLES)
def test_create_repository_prints_the_new_repository(aws: AwsCli, fake_ecr: FakeEcr, ecr: Any, endpoint: str) -> None:
    repository = aws.ecr("create-repository", "--repository-name", REPOSITORY, endpoint=endpoint).json()["repository"]

    assert repository["repositoryName"] == REPOSITORY
    assert repository["repositoryArn"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{REPOSITORY}"
    assert repository["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
    assert repository["imageTagMutability"] == "MUTABLE"
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == [REPOSITORY]


@pytest.mark.parametrize("endpoint", ENDPOINT_STYLES)
def test_get_login_password_prints_a_password_for_this_account_and_region(aws: AwsCli, endpoint: str) -> None:
    before = time.time()
    result = aws.ecr("get-login-password", endpoint=endpoint)

    assert result.returncode == 0, result.stderr
    password = result.stdout.removesuffix("\n")
    assert "\n" not in password
    claims = read_password(password)
    assert claims is not None, f"not a password the fake issued: {password!r}"
    assert (claims.account_id, claims.region) == (ACCOUNT, REGION)
    assert before + TOKEN_LIFETIME <= claims.expires_at <= time.time() + TOKEN_LIFETIME


def test_describe_repositories_lists_repositories_in_creation_order(aws: AwsCli, ecr: Any) -> None:
    for name in ("my-repository", "another/repository"):
        ecr.create_repository(repositoryName=name)

    repositories = aws.ecr("describe-repositories").json()["repositories"]

    assert [(r["repositoryName"], r["registryId"]) for r in repositories] == [
        ("my-repository", ACCOUNT),
        ("another/repository", ACCOUNT),
    ]


def test_put_image_stores_the_manifest_under_its_digest(
    aws: AwsCli, fake_ecr: FakeEcr, ecr: Any, tmp_path: Path
) -> None:
    seed_repository(fake_ecr, ecr)
    fake_ecr.push_blobs(REPOSITORY, IMAGE.blobs())
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(IMAGE.manifest)

    image = aws.ecr(
        "put-image", "--repository-name", REPOSITORY, "--image-tag", "latest", "--image-manifest", f"file://{manifest}"
    ).json()["image"]

    assert image["imageId"] == {"imageDigest": IMAGE.digest, "imageTag": "latest"}
    assert image["imageManifest"].encode() == IMAGE.manifest
    assert image["imageManifestMediaType"] == IMAGE.media_type
    details = ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(IMAGE.digest, ["latest"])]


def test_batch_delete_image_by_tag_deletes_the_image(aws: AwsCli, fake_ecr: FakeEcr, ecr: Any) -> None:
    seed_tagged_image(fake_ecr, ecr)

    result = aws.ecr("batch-delete-image", "--repository-name", REPOSITORY, "--image-ids", "imageTag=latest").json()

    assert result == {"imageIds": [{"imageDigest": IMAGE.digest, "imageTag": "latest"}], "failures": []}
    assert ecr.list_images(repositoryName=REPOSITORY)["imageIds"] == []


def test_batch_delete_image_of_a_missing_tag_exits_0_and_reports_the_failure(
    aws: AwsCli, fake_ecr: FakeEcr, ecr: Any
) -> None:
    # Per-image failures are not errors: the CLI exits 0 (docs/behaviour/images.md#image-operations BatchDeleteImage,
    # aws/aws-cli#6424).
    seed_tagged_image(fake_ecr, ecr)

    result = aws.ecr("batch-delete-image", "--repository-name", REPOSITORY, "--image-ids", "imageTag=missing").json()

    assert result == {
        "imageIds": [],
        "failures": [
            {
                "imageId": {"imageTag": "missing"},
                "failureCode": "ImageNotFound",
                "failureReason": "Requested image not found",
            }
        ],
    }


def test_delete_repository_with_force_deletes_a_repository_holding_images(
    aws: AwsCli, fake_ecr: FakeEcr, ecr: Any
) -> None:
    seed_tagged_image(fake_ecr, ecr)

    repository = aws.ecr("delete-repository", "--repository-name", REPOSITORY, "--force").json()["repository"]

    assert repository["repositoryName"] == REPOSITORY
    assert ecr.describe_repositories()["repositories"] == []


@dataclass(frozen=True)
class ServiceErrorCase:
    """A command that fails in the service, the state it meets, and the error ECR answers."""

    seed: Callable[[FakeEcr, Any], None]
    command: tuple[str, ...]
    code: str
    error: errors.EcrError
    operation: str


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            ServiceErrorCase(
                seed_tagged_image,
                ("delete-repository", "--repository-name", REPOSITORY),
                "RepositoryNotEmptyException",
                errors.RepositoryNotEmpty(ACCOUNT, REPOSITORY),
                "DeleteRepository",
            ),
            id="delete-repository-without-force-holding-images",
        ),
        pytest.param(
            ServiceErrorCase(
                seed_nothing,
                ("describe-repositories", "--repository-names", REPOSITORY),
                "RepositoryNotFoundException",
                errors.RepositoryNotFound(ACCOUNT, REPOSITORY),
                "DescribeRepositories",
            ),
            id="describe-missing-repository",
        ),
        pytest.param(
            ServiceErrorCase(
                seed_repository,
                ("create-repository", "--repository-name", REPOSITORY),
                "RepositoryAlreadyExistsException",
                errors.RepositoryAlreadyExists(ACCOUNT, REPOSITORY),
                "CreateRepository",
            ),
            id="create-existing-repository",
        ),
    ],
)
def test_a_service_error_exits_with_the_service_error_status_and_prints_ecr_message(
    aws: AwsCli, fake_ecr: FakeEcr, ecr: Any, service_error_status: int, case: ServiceErrorCase
) -> None:
    case.seed(fake_ecr, ecr)

    result = aws.ecr(*case.command)

    assert result.returncode == service_error_status
    assert result.stdout == ""
    expected = f"An error occurred ({case.code}) when calling the {case.operation} operation: {case.error.message}"
    assert result.stderr.strip() == expected
