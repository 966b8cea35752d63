"""moto's other services see the fake's ECR state: Lambda's image check finds the images the fake holds.

moto's Lambda, told not to stub ECR (``MOTO_LAMBDA_STUB_ECR=FALSE``), looks an image function's ``ImageUri`` up
in moto's ECR backend; while a fake is active that backend reads the fake's registry of the function's account
and region.  What the fake lacks, moto's Lambda refuses as it refuses what moto's own ECR lacks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from model_gates import needs_operations
from registry.moto_mocks import MotoMocks, requires

#: moto's mocks for Lambda and the IAM role a function needs, one param per moto generation.
MOTO_LAMBDA = [
    pytest.param(MotoMocks(("mock_aws",)), id="moto5-mock_aws", marks=requires("mock_aws")),
    pytest.param(MotoMocks(("mock_lambda", "mock_iam")), id="moto4-mock_lambda", marks=requires("mock_lambda")),
]
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(params=MOTO_LAMBDA)
def moto_lambda(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_LAMBDA_STUB_ECR", "FALSE")
    with ExitStack() as stack:
        for context in request.param.contexts():
            stack.enter_context(context)
        yield


@pytest.fixture
def role(moto_lambda: None) -> str:
    return str(
        boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    )


def image_uri(fake: FakeEcr, reference: str) -> str:
    return f"{fake.settings.account_id}.dkr.ecr.{fake.settings.region}.amazonaws.com/{reference}"


def create_function(role: str, uri: str) -> dict[str, Any]:
    client = boto3.client("lambda", region_name=uri.split(".")[3])
    return dict(client.create_function(FunctionName="fn", Role=role, PackageType="Image", Code={"ImageUri": uri}))


@pytest.fixture
def pushed(fake_ecr: FakeEcr) -> tuple[str, int]:
    """An image the fake holds as app:v1: its digest and its config's size."""
    boto3.client("ecr").create_repository(repositoryName="app")
    image = fake_ecr.image(files={"app.py": "def handler(event, context): return 1"})
    digest = fake_ecr.push("app:v1", image)
    return digest, int(json.loads(image.manifest)["config"]["size"])


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_lambda_creates_an_image_function_from_an_image_the_fake_holds(
    fake_ecr: FakeEcr, role: str, pushed: tuple[str, int], by: str
) -> None:
    digest, config_size = pushed

    function = create_function(role, image_uri(fake_ecr, "app:v1" if by == "tag" else f"app@{digest}"))

    assert function["PackageType"] == "Image"
    # moto's Lambda takes the code's hash from the image digest and its size from the manifest's config.
    assert function["CodeSha256"] == digest.removeprefix("sha256:")
    assert function["CodeSize"] == config_size


def test_lambda_updates_function_code_to_an_image_pushed_later(
    fake_ecr: FakeEcr, role: str, pushed: tuple[str, int]
) -> None:
    create_function(role, image_uri(fake_ecr, "app:v1"))
    v2 = fake_ecr.push("app:v2", fake_ecr.image(files={"app.py": "def handler(event, context): return 2"}))

    updated = boto3.client("lambda").update_function_code(FunctionName="fn", ImageUri=image_uri(fake_ecr, "app:v2"))

    assert updated["CodeSha256"] == v2.removeprefix("sha256:")


@pytest.mark.parametrize(
    ("reference", "code", "message"),
    [
        pytest.param(
            "app:v9",
            "ImageNotFoundException",
            "The image with imageId {'imageTag': 'v9'} does not exist within the repository with name 'app'",
            id="missing-tag",
        ),
        pytest.param(
            "app@sha256:" + "0" * 64,
            "ImageNotFoundException",
            "does not exist within the repository with name 'app'",
            id="missing-digest",
        ),
        pytest.param(
            "nope:v1",
            "RepositoryNotFoundException",
            "The repository with name 'nope' does not exist in the registry with id '123456789012'",
            id="missing-repository",
        ),
    ],
)
@pytest.mark.usefixtures("pushed")
def test_what_the_fake_lacks_lambda_refuses_with_motos_error(
    fake_ecr: FakeEcr, role: str, reference: str, code: str, message: str
) -> None:
    with pytest.raises(ClientError) as raised:
        create_function(role, image_uri(fake_ecr, reference))

    assert raised.value.response["Error"]["Code"] == code
    assert message in raised.value.response["Error"]["Message"]


@needs_operations("UpdateImageStorageClass")
def test_an_archived_image_cannot_become_a_function(fake_ecr: FakeEcr, role: str, pushed: tuple[str, int]) -> None:
    digest, _ = pushed
    ecr = boto3.client("ecr")
    ecr.update_image_storage_class(repositoryName="app", imageId={"imageDigest": digest}, targetStorageClass="ARCHIVE")

    with pytest.raises(ClientError) as raised:
        create_function(role, image_uri(fake_ecr, "app:v1"))

    # An archived image cannot be pulled (docs/behaviour/images.md#archive-storage-class).
    assert raised.value.response["Error"]["Code"] == "ImageNotFoundException"


def test_an_image_in_another_region_of_the_fake_is_not_the_functions(
    fake_ecr: FakeEcr, role: str, pushed: tuple[str, int]
) -> None:
    boto3.client("ecr", region_name="eu-west-1").create_repository(repositoryName="elsewhere")
    fake_ecr.push("elsewhere:v1", fake_ecr.image(files={"a": "b"}), region="eu-west-1")

    with pytest.raises(ClientError) as raised:
        create_function(role, image_uri(fake_ecr, "elsewhere:v1"))

    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"


def test_lambda_reads_without_recording_a_pull(fake_ecr: FakeEcr, role: str, pushed: tuple[str, int]) -> None:
    calls_before = len(fake_ecr.calls)

    create_function(role, image_uri(fake_ecr, "app:v1"))

    (view,) = fake_ecr.registry().images("app")
    assert view.image.last_recorded_pull_time is None
    assert len(fake_ecr.calls) == calls_before


@pytest.mark.usefixtures("moto_lambda")
def test_once_the_fake_stops_motos_own_ecr_backend_answers_again(fake_ecr: FakeEcr) -> None:
    role = str(
        boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    )
    boto3.client("ecr").create_repository(repositoryName="app")
    fake_ecr.push("app:v1", fake_ecr.image(files={"a": "b"}))
    fake_ecr.stop()

    with pytest.raises(ClientError) as raised:
        create_function(role, image_uri(fake_ecr, "app:v1"))

    # moto's ECR never saw the repository fake-ecr created.
    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"


@pytest.mark.fake_ecr(account_id="210987654321")
def test_moto_account_id_set_to_the_fakes_account_puts_lambda_and_sts_in_it(
    fake_ecr: FakeEcr, monkeypatch: pytest.MonkeyPatch, moto_lambda: None
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "210987654321")
    role = str(
        boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    )
    boto3.client("ecr").create_repository(repositoryName="app")
    digest = fake_ecr.push("app:v1", fake_ecr.image(files={"a": "b"}))

    function = create_function(role, image_uri(fake_ecr, "app:v1"))

    assert function["FunctionArn"].split(":")[4] == "210987654321"
    assert function["CodeSha256"] == digest.removeprefix("sha256:")
    assert boto3.client("sts").get_caller_identity()["Account"] == "210987654321"  # moto's STS
