"""Other AWS services on the server's port: one endpoint serves STS, S3, IAM ... beside ECR.

A request signed for another service than ECR and ECR Public is answered by moto's server app where moto is
installed (``fake-ecr[moto]``), in the fake's account; without moto, STS GetCallerIdentity still answers with the
fake's caller and everything else is refused with ``InvalidAction`` naming what to install.  ECR stays fake-ecr's
either way, and nothing is ever a 500 or a traceback.  "without-moto" runs a server of its own with moto's
server app made unimportable, as where moto is not installed.
"""

from __future__ import annotations

import http.client
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, mock_ecr

ACCOUNT = "111122223333"
REGION = "eu-west-1"
MOTO_SERVER = "moto.moto_server.werkzeug_app"
INSTALL = "pip install 'fake-ecr[moto]'"

pytestmark = pytest.mark.fake_ecr(account_id=ACCOUNT, region=REGION)


def _moto_server_missing() -> str | None:
    """Why moto's server app can't be imported here (moto, or its server extra, not installed); None: it can."""
    try:
        __import__(MOTO_SERVER)
    except ImportError as error:
        return str(error)
    return None


@pytest.fixture
def with_moto(fake_ecr: FakeEcr) -> FakeEcr:
    """The fixture's fake on the session's server, moto's server app answering the other services."""
    missing = _moto_server_missing()
    if missing is not None:
        pytest.skip(f"moto's server app is not installed ({missing}): fake-ecr works without it")
    return fake_ecr


@pytest.fixture
def without_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEcr]:
    """A fake with a server of its own, where importing moto's server app fails as it does without moto."""
    monkeypatch.setitem(sys.modules, MOTO_SERVER, None)
    with mock_ecr(account_id=ACCOUNT, region=REGION, server=True) as fake:
        yield fake


@pytest.fixture(params=["moto", "without-moto"])
def fake(request: pytest.FixtureRequest) -> FakeEcr:
    fixture = "with_moto" if request.param == "moto" else "without_moto"
    served: FakeEcr = request.getfixturevalue(fixture)
    return served


def signed_for(service: str) -> dict[str, str]:
    """An Authorization header signed (in form only: nothing checks signatures) for ``service``."""
    scope = f"AKIAFAKEECRTESTING00/20260101/{REGION}/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"}


def endpoint(fake: FakeEcr) -> str:
    assert fake.server is not None
    return fake.server.endpoint


# --- STS GetCallerIdentity, with or without moto ------------------------------------------------------------------


def test_get_caller_identity_through_the_server_names_the_fakes_account(fake: FakeEcr) -> None:
    identity = fake.client("sts", http=True).get_caller_identity()

    assert identity["Account"] == ACCOUNT
    assert identity["Arn"].split(":")[4] == ACCOUNT  # the ARN's account field


@pytest.mark.fake_ecr(account_id=ACCOUNT, region=REGION, registry_addresses="local")
def test_the_fakes_env_sends_every_service_to_the_server(fake_ecr: FakeEcr, monkeypatch: pytest.MonkeyPatch) -> None:
    env = fake_ecr.env
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, env[name])

    identity = boto3.client("sts", region_name=REGION).get_caller_identity()

    assert env["AWS_ENDPOINT_URL"] == endpoint(fake_ecr)
    assert identity["Account"] == ACCOUNT


def test_without_moto_the_caller_is_the_fakes_own_iam_user(without_moto: FakeEcr) -> None:
    over_http = without_moto.client("sts", http=True).get_caller_identity()
    in_process = without_moto.client("sts").get_caller_identity()

    assert {key: over_http[key] for key in ("UserId", "Account", "Arn")} == {
        key: in_process[key] for key in ("UserId", "Account", "Arn")
    }
    assert over_http["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/fake-ecr"


def test_get_caller_identity_as_a_query_string_get(without_moto: FakeEcr) -> None:
    scope = f"AKIAFAKEECRTESTING00/20260101/{REGION}/sts/aws4_request"
    query = {"Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Credential": scope}

    response = requests.get(endpoint(without_moto), params=query, timeout=30)

    assert response.status_code == 200
    assert f"<Account>{ACCOUNT}</Account>" in response.text


# --- ECR stays fake-ecr's ---------------------------------------------------------------------------------------


def test_ecr_through_the_same_port_is_fake_ecrs(fake: FakeEcr) -> None:
    fake.client("ecr", http=True).create_repository(repositoryName="beside-the-others")

    described = fake.client("ecr").describe_repositories()["repositories"]

    assert [(r["repositoryName"], r["registryId"]) for r in described] == [("beside-the-others", ACCOUNT)]


# --- with moto: its services beside ECR, in the fake's account --------------------------------------------------


def test_s3_buckets_and_objects_through_the_servers_port(with_moto: FakeEcr) -> None:
    s3 = with_moto.client("s3", http=True)
    bucket = f"artifacts-{uuid.uuid4().hex[:12]}"
    body = bytes(range(256)) * 8192  # 2 MiB: more than one read of the connection

    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="build/app.tar", Body=body)

    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_object(Bucket=bucket, Key="build/app.tar")["Body"].read() == body


def test_iam_roles_are_made_in_the_fakes_account(with_moto: FakeEcr) -> None:
    name = f"deployer-{uuid.uuid4().hex[:12]}"

    role = with_moto.client("iam", http=True).create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]

    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_a_request_naming_its_own_moto_account_keeps_it(with_moto: FakeEcr) -> None:
    sts = with_moto.client("sts", http=True)
    sts.meta.events.register(
        "before-sign.sts.GetCallerIdentity",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", "444455556666"),
    )

    assert sts.get_caller_identity()["Account"] == "444455556666"


def test_moto_api_reset_clears_motos_state_and_not_the_fakes(with_moto: FakeEcr) -> None:
    s3 = with_moto.client("s3", http=True)
    s3.create_bucket(Bucket=f"gone-{uuid.uuid4().hex[:12]}", CreateBucketConfiguration={"LocationConstraint": REGION})
    with_moto.client("ecr").create_repository(repositoryName="stays")

    reset = requests.post(f"{endpoint(with_moto)}/moto-api/reset", timeout=30)

    assert reset.status_code == 200
    assert s3.list_buckets()["Buckets"] == []
    assert [r["repositoryName"] for r in with_moto.client("ecr").describe_repositories()["repositories"]] == ["stays"]


# --- without moto: refused, saying what to install ---------------------------------------------------------------

Call = Callable[[Any], Any]


@pytest.mark.parametrize(
    ("service", "signing_name", "call"),
    [
        pytest.param("s3", "s3", lambda c: c.list_buckets(), id="s3-rest-xml"),
        pytest.param("iam", "iam", lambda c: c.list_roles(), id="iam-query"),
        pytest.param("sts", "sts", lambda c: c.get_session_token(), id="sts-other-than-GetCallerIdentity"),
        pytest.param("sqs", "sqs", lambda c: c.list_queues(), id="sqs-json"),
        pytest.param("lambda", "lambda", lambda c: c.list_functions(), id="lambda-rest-json"),
        pytest.param("cloudwatch", "monitoring", lambda c: c.list_metrics(), id="cloudwatch"),
    ],
)
def test_without_moto_other_services_are_refused_saying_what_to_install(
    without_moto: FakeEcr, service: str, signing_name: str, call: Call
) -> None:
    with pytest.raises(ClientError) as refused:
        call(without_moto.client(service, http=True))

    error = refused.value.response["Error"]
    assert (refused.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"]) == (400, "InvalidAction")
    assert INSTALL in error["Message"]
    named = "GetSessionToken" if service == "sts" else f"'{signing_name}'"
    assert named in error["Message"]


def test_without_moto_an_sts_request_without_an_action_is_missing_action(without_moto: FakeEcr) -> None:
    response = requests.post(
        endpoint(without_moto),
        data="Version=2011-06-15",
        headers={**signed_for("sts"), "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )

    assert response.status_code == 400
    assert "<Code>MissingAction</Code>" in response.text


# --- never a 500 ------------------------------------------------------------------------------------------------


def test_a_service_nothing_serves_is_invalid_action(fake: FakeEcr) -> None:
    response = requests.post(
        endpoint(fake),
        data="Action=Frobnicate",
        headers={**signed_for("no-such-service"), "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )

    assert response.status_code == 400
    assert "<Code>InvalidAction</Code>" in response.text
    assert "'no-such-service'" in response.text


def test_an_sts_action_nothing_serves_is_invalid_action(fake: FakeEcr) -> None:
    response = requests.post(
        endpoint(fake),
        data="Action=Frobnicate&Version=2011-06-15",
        headers={**signed_for("sts"), "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )

    assert response.status_code == 400
    assert "<Code>InvalidAction</Code>" in response.text
    assert "frobnicate" in response.text.lower()  # moto 4.2 names it in snake case


def test_a_body_that_cannot_be_read_is_a_400(fake: FakeEcr) -> None:
    assert fake.server is not None
    connection = http.client.HTTPConnection(fake.server.host, fake.server.port, timeout=30)
    try:
        connection.putrequest("POST", "/")
        for name, value in {
            **signed_for("sts"),
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(b"not a chunk size\r\n\r\n")
        response = connection.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        connection.close()

    assert status == 400
    assert "<Code>MalformedHttpRequestException</Code>" in body
