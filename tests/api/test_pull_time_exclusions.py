"""Pull-time update exclusions: Register/Deregister/ListPullTimeUpdateExclusions and what they do to
lastRecordedPullTime (docs/behaviour/images.md#pull-time-update-exclusions)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.model.records import PullTimeUpdateExclusion

from api.helpers import error_of, image_manifest, put, state_of
from model_gates import needs_operations

pytestmark = needs_operations(
    "RegisterPullTimeUpdateExclusion", "DeregisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions"
)

ACCOUNT = "123456789012"
REPO = "app"
NOW = 1_750_000_000.0
SCANNER = f"arn:aws:iam::{ACCOUNT}:role/scanner"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
CI_USER = f"arn:aws:iam::{ACCOUNT}:user/ci/builder"


def excluded(ecr: Any, **params: Any) -> list[str]:
    response = ecr.list_pull_time_update_exclusions(**params)
    assert "nextToken" not in response
    return response["pullTimeUpdateExclusions"]  # type: ignore[no-any-return]


def seed_exclusions(fake_ecr: FakeEcr, principal_arns: list[str]) -> None:
    """Put exclusions on the registry's list through the model (faster than one call each)."""
    exclusions = tuple(PullTimeUpdateExclusion(arn, NOW) for arn in principal_arns)
    fake_ecr.registry().modify_settings(lambda settings: replace(settings, pull_time_update_exclusions=exclusions))


# --- the list --------------------------------------------------------------------------------------


def test_register_list_and_deregister(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(NOW)

    registered = ecr.register_pull_time_update_exclusion(principalArn=SCANNER)
    fake_ecr.clock.advance(60)
    ecr.register_pull_time_update_exclusion(principalArn=CI_USER)

    assert (registered["principalArn"], registered["createdAt"].timestamp()) == (SCANNER, NOW)
    assert excluded(ecr) == [SCANNER, CI_USER]

    deregistered = ecr.deregister_pull_time_update_exclusion(principalArn=SCANNER)

    assert deregistered["principalArn"] == SCANNER
    assert set(deregistered) == {"principalArn", "ResponseMetadata"}
    assert excluded(ecr) == [CI_USER]


def test_a_new_registry_excludes_no_one(ecr: Any) -> None:
    assert excluded(ecr) == []


@pytest.mark.parametrize(
    ("operation", "code", "message"),
    [
        pytest.param(
            "register_pull_time_update_exclusion",
            "ExclusionAlreadyExistsException",
            f"Pull time update exclusion for the principal '{SCANNER}' already exists "
            f"in the registry with id '{ACCOUNT}'",
            id="register-twice",
        ),
        pytest.param(
            "deregister_pull_time_update_exclusion",
            "ExclusionNotFoundException",
            f"Pull time update exclusion for the principal '{DEPLOYER}' does not exist "
            f"in the registry with id '{ACCOUNT}'",
            id="deregister-unknown",
        ),
    ],
)
def test_registering_twice_or_deregistering_an_unknown_principal_is_refused(
    ecr: Any, fake_ecr: FakeEcr, operation: str, code: str, message: str
) -> None:
    ecr.register_pull_time_update_exclusion(principalArn=SCANNER)
    before = state_of(fake_ecr)

    principal = SCANNER if operation.startswith("register") else DEPLOYER
    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(principalArn=principal)

    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before


def test_a_registry_excludes_at_most_100_principals(ecr: Any, fake_ecr: FakeEcr) -> None:
    seed_exclusions(fake_ecr, [f"arn:aws:iam::{ACCOUNT}:role/r{n}" for n in range(100)])
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.register_pull_time_update_exclusion(principalArn=SCANNER)

    assert error_of(excinfo) == (
        "LimitExceededException",
        f"The pull time update exclusion limit of 100 has been reached in the registry with id '{ACCOUNT}'",
    )
    assert state_of(fake_ecr) == before
    assert len(excluded(ecr)) == 100  # one page by default


PRINCIPAL_PATTERN = r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@-]+(/[\w+=,.@-]+)*$"


@pytest.mark.parametrize(
    ("principal_arn", "constraint"),
    [
        pytest.param(
            f"arn:aws:iam::{ACCOUNT}:group/admins",
            f"must satisfy regular expression '{PRINCIPAL_PATTERN}'",
            id="not-a-role-or-user",
        ),
        pytest.param(
            f"arn:aws:iam::{ACCOUNT}:role/" + "r" * 200, "must have length less than or equal to 200", id="too-long"
        ),
    ],
)
def test_a_principal_arn_must_name_a_role_or_user(
    ecr: Any, fake_ecr: FakeEcr, principal_arn: str, constraint: str
) -> None:
    before = state_of(fake_ecr)
    with pytest.raises(ClientError) as excinfo:
        ecr.register_pull_time_update_exclusion(principalArn=principal_arn)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Invalid parameter at 'principalArn' failed to satisfy constraint: '{constraint}'",
    )
    assert state_of(fake_ecr) == before


def test_exclusions_come_in_pages(ecr: Any, fake_ecr: FakeEcr) -> None:
    principals = [f"arn:aws:iam::{ACCOUNT}:role/r{n}" for n in range(7)]
    for principal in principals:
        ecr.register_pull_time_update_exclusion(principalArn=principal)

    pages: list[list[str]] = []
    token: dict[str, str] = {}
    while True:
        response = ecr.list_pull_time_update_exclusions(maxResults=3, **token)
        pages.append(response["pullTimeUpdateExclusions"])
        if "nextToken" not in response:
            break
        token = {"nextToken": response["nextToken"]}

    assert pages == [principals[:3], principals[3:6], principals[6:]]


def test_a_token_of_another_listing_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO)
    for n in range(2):
        put(ecr, REPO, image_manifest(fake_ecr, REPO, f"image-{n}"), f"v{n}")
    foreign = ecr.list_images(repositoryName=REPO, maxResults=1)["nextToken"]

    with pytest.raises(ClientError) as excinfo:
        ecr.list_pull_time_update_exclusions(nextToken=foreign)

    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
    )


# --- what the list does ------------------------------------------------------------------------------


@pytest.fixture
def pushed(ecr: Any, fake_ecr: FakeEcr) -> str:
    """An image tagged v1, pushed at NOW on a pinned clock, with SCANNER excluded; returns its digest."""
    fake_ecr.clock.set(NOW)
    ecr.create_repository(repositoryName=REPO)
    manifest = image_manifest(fake_ecr, REPO, "image")
    put(ecr, REPO, manifest, "v1")
    ecr.register_pull_time_update_exclusion(principalArn=SCANNER)
    fake_ecr.clock.advance(3600)
    return manifest.digest


def pull_time(ecr: Any) -> float | None:
    detail = ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
    pulled = detail.get("lastRecordedPullTime")
    return None if pulled is None else float(pulled.timestamp())


def pull_with_batch_get_image(ecr: Any, fake_ecr: FakeEcr) -> None:
    assert len(ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"]) == 1


def pull_from_the_registry(ecr: Any, fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    response = requests.get(
        f"{fake_ecr.server.endpoint}/v2/{REPO}/manifests/v1",
        headers={"Authorization": f"Basic {token}", "Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        timeout=30,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "pull",
    [
        pytest.param(pull_with_batch_get_image, id="batch-get-image"),
        pytest.param(pull_from_the_registry, id="registry"),
    ],
)
@pytest.mark.parametrize(
    ("principal_arn", "recorded"),
    [
        pytest.param(SCANNER, None, id="excluded-principal"),
        pytest.param(DEPLOYER, NOW + 3600, id="other-principal"),
        pytest.param(None, NOW + 3600, id="unknown-principal"),
    ],
)
def test_pulls_by_an_excluded_principal_leave_the_pull_time(
    ecr: Any, fake_ecr: FakeEcr, pushed: str, *, pull: Any, principal_arn: str | None, recorded: float | None
) -> None:
    with fake_ecr.acting_as(principal_arn):
        pull(ecr, fake_ecr)

    assert pull_time(ecr) == recorded


def test_pulls_record_the_time_again_once_the_principal_is_deregistered(
    ecr: Any, fake_ecr: FakeEcr, pushed: str
) -> None:
    with fake_ecr.acting_as(SCANNER):
        pull_with_batch_get_image(ecr, fake_ecr)
        ecr.deregister_pull_time_update_exclusion(principalArn=SCANNER)
        fake_ecr.clock.advance(60)
        pull_with_batch_get_image(ecr, fake_ecr)

    assert pull_time(ecr) == NOW + 3660
