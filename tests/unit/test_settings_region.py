"""The fake's default region follows the environment, so ``boto3.client("ecr")`` and ``fake.push`` meet.

botocore reads only ``AWS_DEFAULT_REGION``; ``AWS_REGION`` (the AWS CLI v2's and other SDKs') counts when
it is alone, and then the fake sets ``AWS_DEFAULT_REGION`` to it while active.  A region given wins.
"""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from fake_ecr import FakeEcr, Settings, mock_ecr

VARIABLES = ("AWS_DEFAULT_REGION", "AWS_REGION")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No region in the environment until a test sets one."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "region"),
    [
        pytest.param({"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1", id="AWS_DEFAULT_REGION"),
        pytest.param({"AWS_REGION": "eu-west-1"}, "eu-west-1", id="AWS_REGION-alone"),
        pytest.param(
            {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-north-1"}, "eu-west-1", id="botocore's-variable-wins"
        ),
        pytest.param({}, "us-east-1", id="none-set"),
    ],
)
def test_a_client_without_a_region_and_fake_push_meet_in_the_environments_region(
    environment: pytest.MonkeyPatch, variables: dict[str, str], region: str
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)

    with mock_ecr() as fake:
        ecr = boto3.client("ecr")  # no region_name, as application code makes them
        ecr.create_repository(repositoryName="app")
        digest = fake.push("app:v1", fake.image(files={"app.txt": "v1"}))

        assert (fake.settings.region, ecr.meta.region_name) == (region, region)
        assert ecr.list_images(repositoryName="app")["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: mock_ecr(region="ap-southeast-2"), id="mock_ecr-option"),
        pytest.param(lambda: mock_ecr(Settings(region="ap-southeast-2")), id="Settings"),
    ],
)
def test_a_region_given_wins_over_the_environment(environment: pytest.MonkeyPatch, make: Callable[[], FakeEcr]) -> None:
    environment.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    environment.setenv("AWS_REGION", "eu-west-1")

    with make() as fake:
        fake.client().create_repository(repositoryName="app")
        fake.push("app:v1", fake.image(files={"app.txt": "v1"}))

        assert fake.settings.region == "ap-southeast-2"
        images = boto3.client("ecr", region_name="ap-southeast-2").list_images(repositoryName="app")["imageIds"]
        assert [i["imageTag"] for i in images] == ["v1"]
        assert boto3.client("ecr").describe_repositories()["repositories"] == []  # eu-west-1: nothing there


def test_the_region_is_read_when_the_settings_are_made(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings = Settings()
    environment.setenv("AWS_DEFAULT_REGION", "eu-north-1")

    assert (settings.region, Settings().region) == ("eu-west-1", "eu-north-1")
