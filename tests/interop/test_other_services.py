"""The AWS CLI reaches other AWS services through the fake's environment alone: ``fake_ecr.env`` names the server.

With local addresses, ``AWS_ENDPOINT_URL`` sends every service to the server's port; with ECR's own addresses
(the default) the AWS CLI goes through the server as HTTPS proxy, which answers STS's hosts itself.  Either
way ``aws sts get-caller-identity`` prints the fake's account, as a deploy script's first line reads it.
"""

from __future__ import annotations

import json
import uuid

import pytest

from fake_ecr import FakeEcr

from interop.clients import Program

pytestmark = pytest.mark.interop

ACCOUNT = "210987654321"


@pytest.mark.parametrize(
    "addresses",
    [
        pytest.param("local", marks=pytest.mark.fake_ecr(account_id=ACCOUNT, registry_addresses="local")),
        pytest.param("ecr", marks=pytest.mark.fake_ecr(account_id=ACCOUNT, registry_addresses="ecr")),
    ],
)
def test_aws_sts_get_caller_identity_prints_the_fakes_account(client_env: dict[str, str], addresses: str) -> None:
    assert ("AWS_ENDPOINT_URL" in client_env, "HTTPS_PROXY" in client_env) == (addresses == "local", addresses == "ecr")

    identity = json.loads(Program("aws", client_env)("sts", "get-caller-identity"))

    assert identity["Account"] == ACCOUNT


@pytest.mark.fake_ecr(account_id=ACCOUNT, registry_addresses="local")
def test_aws_s3_beside_ecr_on_one_endpoint(client_env: dict[str, str], fake_ecr: FakeEcr) -> None:
    pytest.importorskip("moto.moto_server.werkzeug_app", reason="moto's server answers S3 (fake-ecr[moto])")
    aws = Program("aws", client_env)
    bucket = f"releases-{uuid.uuid4().hex[:12]}"

    aws("s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint=us-west-2")
    aws("ecr", "create-repository", "--repository-name", "released")
    buckets = json.loads(aws("s3api", "list-buckets"))["Buckets"]

    assert bucket in [b["Name"] for b in buckets]
    assert [r["repositoryName"] for r in fake_ecr.client().describe_repositories()["repositories"]] == ["released"]
