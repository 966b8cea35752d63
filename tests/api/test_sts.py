"""STS under a fake: ``get_caller_identity`` answers with the fake's account, and nothing goes to AWS.

Outside moto, the fake answers GetCallerIdentity in-process for an IAM user of its account and refuses the
rest of STS; where moto's mock answers STS (moto 5's ``mock_aws``, moto 4's ``mock_sts``), moto does, with the
same account.  A client given its own endpoint is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, mock_ecr

from registry.moto_mocks import MotoMocks, requires

USER_ID = re.compile(r"AIDA[A-Z2-7]{17}")


class _Raw:
    """STS's answer to credentials it does not know."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code></Error></ErrorResponse>"


class SentRequests:
    """A botocore ``before-send`` handler recording what would go over the wire; ``answer``: with an empty 403
    as STS answers unknown credentials (else the request goes on, to moto's mock)."""

    def __init__(self, *, answer: bool) -> None:
        self.urls: list[str] = []
        self._answer = answer

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.urls.append(request.url)
        return AWSResponse(request.url, 403, {}, _Raw()) if self._answer else None


def sts_client(*, answer: bool = True, **kwargs: Any) -> tuple[Any, SentRequests]:
    """An STS client, and the record of its requests that got as far as being sent."""
    client = boto3.client("sts", **kwargs)
    sent = SentRequests(answer=answer)
    client.meta.events.register_first("before-send", sent)
    return client, sent


def test_under_the_fixture_get_caller_identity_answers_with_the_fakes_account(fake_ecr: FakeEcr) -> None:
    sts, sent = sts_client(region_name=fake_ecr.settings.region)

    identity = sts.get_caller_identity()

    assert identity["Account"] == fake_ecr.settings.account_id
    assert identity["Arn"] == f"arn:aws:iam::{fake_ecr.settings.account_id}:user/fake-ecr"
    assert USER_ID.fullmatch(identity["UserId"])
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sent.urls == []


@pytest.mark.parametrize(
    ("account_id", "region", "arn"),
    [
        pytest.param("210987654321", "eu-west-1", "arn:aws:iam::210987654321:user/fake-ecr", id="other-account"),
        pytest.param("123456789012", "cn-north-1", "arn:aws-cn:iam::123456789012:user/fake-ecr", id="china"),
        pytest.param("123456789012", "us-gov-west-1", "arn:aws-us-gov:iam::123456789012:user/fake-ecr", id="govcloud"),
    ],
)
def test_the_identity_follows_the_settings_account_and_the_clients_partition(
    account_id: str, region: str, arn: str
) -> None:
    with mock_ecr(account_id=account_id, region=region):
        identity = boto3.client("sts", region_name=region).get_caller_identity()

    assert (identity["Account"], identity["Arn"]) == (account_id, arn)


def test_one_account_has_one_user_id() -> None:
    with mock_ecr(account_id="210987654321"):
        first = boto3.client("sts", region_name="us-east-1").get_caller_identity()["UserId"]
        second = boto3.client("sts", region_name="eu-west-1").get_caller_identity()["UserId"]
    with mock_ecr():
        other = boto3.client("sts", region_name="us-east-1").get_caller_identity()["UserId"]

    assert first == second != other


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param(
            "assume_role", {"RoleArn": "arn:aws:iam::123456789012:role/ci", "RoleSessionName": "test"}, id="AssumeRole"
        ),
        pytest.param("get_session_token", {}, id="GetSessionToken"),
        pytest.param("get_access_key_info", {"AccessKeyId": "AKIAFAKEECRTESTING00"}, id="GetAccessKeyInfo"),
    ],
)
def test_other_sts_operations_are_refused_in_process(fake_ecr: FakeEcr, operation: str, params: dict[str, str]) -> None:
    sts, sent = sts_client(region_name=fake_ecr.settings.region)

    with pytest.raises(ClientError) as raised:
        getattr(sts, operation)(**params)

    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidAction"
    assert "GetCallerIdentity only" in error["Message"]
    assert sent.urls == []


def test_a_client_with_its_own_endpoint_is_left_alone(fake_ecr: FakeEcr) -> None:
    sts, sent = sts_client(region_name=fake_ecr.settings.region, endpoint_url="http://127.0.0.1:9")

    with pytest.raises(ClientError):
        sts.get_caller_identity()

    assert sent.urls == ["http://127.0.0.1:9/"]


def test_without_a_fake_sts_is_not_answered() -> None:
    sts, sent = sts_client(region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")

    with pytest.raises(ClientError):
        sts.get_caller_identity()

    assert len(sent.urls) == 1


# --- next to moto --------------------------------------------------------------------------------------------

MOTO_ANSWERING_STS = [
    pytest.param(MotoMocks(("mock_aws",)), id="moto5-mock_aws", marks=requires("mock_aws")),
    pytest.param(MotoMocks(("mock_sts",)), id="moto4-mock_sts", marks=requires("mock_sts")),
]


@pytest.fixture
def moto_started(request: pytest.FixtureRequest) -> Iterator[None]:
    with ExitStack() as stack:
        for context in request.param.contexts():
            stack.enter_context(context)
        yield


@pytest.mark.parametrize("moto_started", MOTO_ANSWERING_STS, indirect=True)
@pytest.mark.usefixtures("moto_started")
def test_where_moto_mocks_sts_moto_answers_with_the_same_account(fake_ecr: FakeEcr) -> None:
    sts, sent = sts_client(answer=False, region_name=fake_ecr.settings.region)

    identity = sts.get_caller_identity()

    # moto's own answer (its default user), for moto's default account: the fake's default too.
    assert identity["Arn"] == f"arn:aws:sts::{fake_ecr.settings.account_id}:user/moto"
    assert identity["Account"] == fake_ecr.settings.account_id
    assert len(sent.urls) == 1  # moto answered at before-send, after this recorder


@pytest.mark.parametrize(
    "moto_started",
    [pytest.param(MotoMocks(("mock_s3",)), id="moto4-mock_s3", marks=requires("mock_s3"))],
    indirect=True,
)
@pytest.mark.usefixtures("moto_started")
def test_where_moto_mocks_other_services_only_the_fake_answers_sts(fake_ecr: FakeEcr) -> None:
    sts, sent = sts_client(region_name=fake_ecr.settings.region)

    identity = sts.get_caller_identity()

    assert identity["Arn"] == f"arn:aws:iam::{fake_ecr.settings.account_id}:user/fake-ecr"
    assert sent.urls == []
