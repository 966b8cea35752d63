"""Enforced policies (Settings.enforce_policies): repository and registry policies decide who may do what,
on the control plane (in-process and over HTTP) and on the registry, by IAM's evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.client import RegistryRequestFailed
from fake_ecr.registry.app import REGISTRY_ACTIONS, ROUTES

from api.helpers import error_of
from model_gates import needs_enum

pytestmark = pytest.mark.fake_ecr(enforce_policies=True)

OWNER = "123456789012"
OTHER = "210987654321"
THIRD = "333344445555"
REPO = "app"
REPO_ARN = f"arn:aws:ecr:us-east-1:{OWNER}:repository/{REPO}"
CI = f"arn:aws:iam::{OTHER}:role/ci"
DEV = f"arn:aws:iam::{OWNER}:role/dev"
ADMIN = f"arn:aws:iam::{OWNER}:role/admin"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"

ALLOWED, IMPLICIT, EXPLICIT = "allowed", "no resource-based policy allows it", "explicitly denied"


def statement(effect: str, principal: Any, actions: Any, **elements: Any) -> dict[str, Any]:
    key = "NotAction" if elements.pop("not_action", False) else "Action"
    who = "NotPrincipal" if elements.pop("not_principal", False) else "Principal"
    return {"Effect": effect, who: principal, key: actions, **elements}


def allow(principal: Any, actions: Any, **elements: Any) -> dict[str, Any]:
    return statement("Allow", principal, actions, **elements)


def deny(principal: Any, actions: Any, **elements: Any) -> dict[str, Any]:
    return statement("Deny", principal, actions, **elements)


def aws(*principals: str) -> dict[str, Any]:
    return {"AWS": list(principals) if len(principals) > 1 else principals[0]}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def denial(caller: str, action: str, outcome: str, undecidable: str | None = None) -> str:
    """AWS's AccessDenied text (ministryofjustice/modernisation-platform#4454; IAM's troubleshooting guide)."""
    reason = (
        "with an explicit deny in a resource-based policy"
        if outcome == EXPLICIT
        else f"because no resource-based policy allows the {action} action"
    )
    text = f"User: {caller} is not authorized to perform: {action} on resource: {REPO_ARN} {reason}"
    if undecidable is None:
        return text
    taken = "to apply" if outcome == EXPLICIT else "not to apply"
    return f"{text} (fake-ecr cannot evaluate {undecidable} and takes the statement {taken})"


@dataclass(frozen=True)
class Case:
    caller: str
    operation: str  # BatchGetImage, PutImage or ListImages, on OWNER's repository
    outcome: str
    repository_policy: list[dict[str, Any]] = field(default_factory=list)
    registry_policy: list[dict[str, Any]] = field(default_factory=list)
    undecidable: str | None = None


def seed(ecr: Any, fake_ecr: FakeEcr, case: Case) -> str:
    """OWNER's repository with an image v1, the case's policies; the image's manifest, for PutImage."""
    ecr.create_repository(repositoryName=REPO)
    fake_ecr.push(f"{REPO}:v1", fake_ecr.image(files={"app.txt": "v1"}))
    manifest = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"]
    if case.registry_policy:
        ecr.put_registry_policy(policyText=document(*case.registry_policy))
    if case.repository_policy:
        ecr.set_repository_policy(repositoryName=REPO, policyText=document(*case.repository_policy))
    return str(manifest)


def attempt(ecr: Any, operation: str, manifest: str) -> None:
    where = {"registryId": OWNER, "repositoryName": REPO}
    if operation == "BatchGetImage":
        assert ecr.batch_get_image(**where, imageIds=[{"imageTag": "v1"}])["images"]
    elif operation == "PutImage":
        ecr.put_image(**where, imageManifest=manifest, imageTag="v2")
    else:
        assert ecr.list_images(**where)["imageIds"]


def check(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    manifest = seed(ecr, fake_ecr, case)
    with fake_ecr.acting_as(case.caller):
        if case.outcome == ALLOWED:
            attempt(ecr, case.operation, manifest)
            return
        with pytest.raises(ClientError) as excinfo:
            attempt(ecr, case.operation, manifest)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(excinfo) == (
        "AccessDeniedException",
        denial(case.caller, f"ecr:{case.operation}", case.outcome, case.undecidable),
    )


# --- who: principals, same account and cross-account ----------------------------------------------------

TEAM_PULL = allow(aws(f"arn:aws:iam::{OTHER}:root"), PULL)

PRINCIPALS = {
    "team-pull-policy-grants-pulls": Case(CI, "BatchGetImage", ALLOWED, [TEAM_PULL]),
    "team-pull-policy-grants-no-push": Case(CI, "PutImage", IMPLICIT, [TEAM_PULL]),
    "team-pull-policy-grants-no-listing": Case(CI, "ListImages", IMPLICIT, [TEAM_PULL]),
    "no-policy-no-cross-account": Case(CI, "BatchGetImage", IMPLICIT),
    "same-account-needs-no-policy": Case(DEV, "PutImage", ALLOWED),
    "same-account-root": Case(f"arn:aws:iam::{OWNER}:root", "PutImage", ALLOWED, [TEAM_PULL]),
    "account-id-principal": Case(CI, "BatchGetImage", ALLOWED, [allow(aws(OTHER), PULL)]),
    "star-principal": Case(CI, "BatchGetImage", ALLOWED, [allow("*", PULL)]),
    "aws-star-principal": Case(CI, "BatchGetImage", ALLOWED, [allow(aws("*"), PULL)]),
    "role-principal-is-that-role": Case(CI, "BatchGetImage", ALLOWED, [allow(aws(CI), PULL)]),
    "role-principal-is-not-another-role": Case(
        f"arn:aws:iam::{OTHER}:role/intern", "BatchGetImage", IMPLICIT, [allow(aws(CI), PULL)]
    ),
    "assumed-role-session-is-its-role": Case(
        f"arn:aws:sts::{OTHER}:assumed-role/ci/build-42", "BatchGetImage", ALLOWED, [allow(aws(CI), PULL)]
    ),
    "user-principal": Case(
        f"arn:aws:iam::{OTHER}:user/ci/bot",
        "BatchGetImage",
        ALLOWED,
        [allow(aws(f"arn:aws:iam::{OTHER}:user/ci/bot"), PULL)],
    ),
    "another-account-is-not-granted": Case(f"arn:aws:iam::{THIRD}:role/ci", "BatchGetImage", IMPLICIT, [TEAM_PULL]),
    "one-of-several-principals": Case(CI, "BatchGetImage", ALLOWED, [allow(aws(THIRD, OTHER), PULL)]),
    "service-principal-is-nobody-here": Case(
        CI, "BatchGetImage", IMPLICIT, [allow({"Service": "lambda.amazonaws.com"}, PULL)]
    ),
}


@pytest.mark.parametrize("case", PRINCIPALS.values(), ids=PRINCIPALS.keys())
def test_principals(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    check(ecr, fake_ecr, case)


# --- what: actions, wildcards, NotAction, and Deny beating Allow ---------------------------------------------

ACTIONS = {
    "ecr-star-grants-push": Case(CI, "PutImage", ALLOWED, [allow(aws(OTHER), "ecr:*")]),
    "star-grants-push": Case(CI, "PutImage", ALLOWED, [allow(aws(OTHER), "*")]),
    "batch-star-grants-pull": Case(CI, "BatchGetImage", ALLOWED, [allow(aws(OTHER), "ecr:Batch*")]),
    "batch-star-grants-no-push": Case(CI, "PutImage", IMPLICIT, [allow(aws(OTHER), "ecr:Batch*")]),
    "question-mark-wildcard": Case(CI, "ListImages", ALLOWED, [allow(aws(OTHER), "ecr:List?mages")]),
    "actions-are-case-insensitive": Case(CI, "BatchGetImage", ALLOWED, [allow(aws(OTHER), "ECR:batchgetimage")]),
    "not-action-grants-the-rest": Case(
        CI, "BatchGetImage", ALLOWED, [allow(aws(OTHER), "ecr:PutImage", not_action=True)]
    ),
    "not-action-grants-not-itself": Case(
        CI, "PutImage", IMPLICIT, [allow(aws(OTHER), "ecr:PutImage", not_action=True)]
    ),
    "deny-beats-allow": Case(
        CI, "BatchGetImage", EXPLICIT, [allow(aws(OTHER), "ecr:*"), deny(aws(OTHER), "ecr:BatchGetImage")]
    ),
    "deny-listed-first-beats-allow": Case(
        CI, "BatchGetImage", EXPLICIT, [deny(aws(CI), "ecr:Batch*"), allow(aws(OTHER), "ecr:*")]
    ),
    "deny-of-another-action-leaves-the-allow": Case(
        CI, "BatchGetImage", ALLOWED, [allow(aws(OTHER), "ecr:*"), deny(aws(OTHER), "ecr:PutImage")]
    ),
    "deny-binds-the-owners-account-too": Case(DEV, "PutImage", EXPLICIT, [deny("*", "ecr:PutImage")]),
    "not-principal-deny-spares-the-named": Case(
        ADMIN, "PutImage", ALLOWED, [deny(aws(ADMIN), "ecr:PutImage", not_principal=True)]
    ),
    "not-principal-deny-binds-the-rest": Case(
        DEV, "PutImage", EXPLICIT, [deny(aws(ADMIN), "ecr:PutImage", not_principal=True)]
    ),
}


@pytest.mark.parametrize("case", ACTIONS.values(), ids=ACTIONS.keys())
def test_actions(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    check(ecr, fake_ecr, case)


# --- conditions --------------------------------------------------------------------------------------------------


def when(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {operator: {key: value}}}


def pull_if(operator: str, key: str, value: Any) -> list[dict[str, Any]]:
    return [allow("*", PULL, **when(operator, key, value))]


CONDITIONS = {
    "principal-account-equals": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringEquals", "aws:PrincipalAccount", OTHER)
    ),
    "principal-account-differs": Case(
        CI, "BatchGetImage", IMPLICIT, pull_if("StringEquals", "aws:PrincipalAccount", THIRD)
    ),
    "one-of-the-values": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringEquals", "aws:PrincipalAccount", [THIRD, OTHER])
    ),
    "keys-are-case-insensitive": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringEquals", "AWS:principalaccount", OTHER)
    ),
    "string-like-principal-arn": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{OTHER}:role/c*")
    ),
    "string-like-no-match": Case(
        CI, "BatchGetImage", IMPLICIT, pull_if("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{OTHER}:user/*")
    ),
    "string-equals-is-case-sensitive": Case(
        CI, "BatchGetImage", IMPLICIT, pull_if("StringEquals", "aws:PrincipalArn", CI.upper())
    ),
    "string-equals-ignore-case": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringEqualsIgnoreCase", "aws:PrincipalArn", CI.upper())
    ),
    "arn-like-any-account": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/ci")
    ),
    "arn-equals": Case(CI, "BatchGetImage", ALLOWED, pull_if("ArnEquals", "aws:PrincipalArn", CI)),
    "arn-not-equals": Case(CI, "BatchGetImage", IMPLICIT, pull_if("ArnNotEquals", "aws:PrincipalArn", CI)),
    "string-not-equals-in-a-deny": Case(
        f"arn:aws:iam::{THIRD}:role/ci",
        "BatchGetImage",
        EXPLICIT,
        [allow("*", PULL), deny("*", "ecr:*", **when("StringNotEquals", "aws:PrincipalAccount", [OWNER, OTHER]))],
    ),
    "string-not-equals-deny-spares-the-listed": Case(
        CI,
        "BatchGetImage",
        ALLOWED,
        [allow("*", PULL), deny("*", "ecr:*", **when("StringNotEquals", "aws:PrincipalAccount", [OWNER, OTHER]))],
    ),
    "bool-not-an-aws-service": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("Bool", "aws:PrincipalIsAWSService", "false")
    ),
    "requested-region": Case(CI, "BatchGetImage", ALLOWED, pull_if("StringEquals", "aws:RequestedRegion", "us-east-1")),
    # aws:SourceAccount is set only when a service calls for a principal: absent here, as for any direct caller.
    "absent-key-does-not-match": Case(
        CI, "BatchGetImage", IMPLICIT, pull_if("StringEquals", "aws:SourceAccount", OTHER)
    ),
    "absent-key-if-exists": Case(
        CI, "BatchGetImage", ALLOWED, pull_if("StringEqualsIfExists", "aws:SourceAccount", OTHER)
    ),
    "absent-key-is-null": Case(CI, "BatchGetImage", ALLOWED, pull_if("Null", "aws:SourceAccount", "true")),
    "present-key-is-not-null": Case(CI, "BatchGetImage", IMPLICIT, pull_if("Null", "aws:PrincipalArn", "true")),
    "every-condition-must-hold": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        [
            allow(
                "*",
                PULL,
                Condition={
                    "StringEquals": {"aws:PrincipalAccount": OTHER},
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"},
                },
            )
        ],
    ),
}


@pytest.mark.parametrize("case", CONDITIONS.values(), ids=CONDITIONS.keys())
def test_conditions(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    check(ecr, fake_ecr, case)


# Keys fake-ecr cannot supply: an Allow that needs one grants nothing, a Deny that needs one denies (fails closed).
ORG_KEY = "condition key 'aws:PrincipalOrgID'"
UNDECIDABLE = {
    "allow-by-org-grants-nothing": Case(
        CI, "BatchGetImage", IMPLICIT, pull_if("StringEquals", "aws:PrincipalOrgID", "o-abc123"), undecidable=ORG_KEY
    ),
    "deny-by-source-ip-denies": Case(
        DEV,
        "PutImage",
        EXPLICIT,
        [deny("*", "ecr:*", **when("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))],
        undecidable="condition key 'aws:SourceIp'",
    ),
    "operator-fake-ecr-does-not-evaluate": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        pull_if("NumericLessThan", "aws:PrincipalAccount", "300000000000"),
        undecidable="condition operator 'NumericLessThan'",
    ),
    "deny-by-org-denies-the-owner-too": Case(
        DEV,
        "PutImage",
        EXPLICIT,
        [deny("*", "ecr:*", **when("StringNotEquals", "aws:PrincipalOrgID", "o-abc123"))],
        undecidable=ORG_KEY,
    ),
    "deny-for-someone-else-is-not-evaluated": Case(
        DEV, "PutImage", ALLOWED, [deny(aws(CI), "ecr:*", **when("StringNotEquals", "aws:PrincipalOrgID", "o-abc123"))]
    ),
    "a-sure-deny-is-the-reason-given": Case(
        DEV,
        "PutImage",
        EXPLICIT,
        [
            deny("*", "ecr:*", **when("StringNotEquals", "aws:PrincipalOrgID", "o-abc123")),
            deny(aws(DEV), "ecr:PutImage"),
        ],
    ),
    "a-failing-condition-decides-an-allow": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        [
            allow(
                "*", PULL, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123", "aws:PrincipalAccount": THIRD}}
            )
        ],
    ),
    "a-failing-condition-decides-a-deny": Case(
        DEV,
        "PutImage",
        ALLOWED,
        [
            deny(
                "*",
                "ecr:*",
                Condition={
                    "StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"},
                    "StringEquals": {"aws:PrincipalAccount": THIRD},
                },
            )
        ],
    ),
    "another-allow-still-grants": Case(
        CI,
        "BatchGetImage",
        ALLOWED,
        [*pull_if("StringEquals", "aws:PrincipalOrgID", "o-abc123"), allow(aws(OTHER), PULL)],
    ),
    "policy-variable": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        pull_if("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/${aws:username}"),
        undecidable="the policy variable in 'arn:aws:iam::*:role/${aws:username}'",
    ),
    "set-operator-over-tags": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        pull_if("ForAnyValue:StringEquals", "aws:PrincipalTag/team", "build"),
        undecidable="condition key 'aws:PrincipalTag/team'",
    ),
}


@pytest.mark.parametrize("case", UNDECIDABLE.values(), ids=UNDECIDABLE.keys())
def test_condition_keys_fake_ecr_cannot_supply(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    check(ecr, fake_ecr, case)


# --- the registry policy ----------------------------------------------------------------------------------------------

ALL_REPOSITORIES = f"arn:aws:ecr:us-east-1:{OWNER}:repository/*"
REGISTRY_POLICIES = {
    "registry-policy-grants-pulls": Case(
        CI, "BatchGetImage", ALLOWED, registry_policy=[allow(aws(OTHER), PULL, Resource=ALL_REPOSITORIES)]
    ),
    "registry-policy-resource-must-match": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        registry_policy=[allow(aws(OTHER), PULL, Resource=f"arn:aws:ecr:us-east-1:{OWNER}:repository/team-*")],
    ),
    "registry-policy-not-resource": Case(
        CI,
        "BatchGetImage",
        ALLOWED,
        registry_policy=[allow(aws(OTHER), PULL, NotResource=f"arn:aws:ecr:us-east-1:{OWNER}:repository/team-*")],
    ),
    "replication-grant-is-no-pull-grant": Case(
        CI,
        "BatchGetImage",
        IMPLICIT,
        registry_policy=[allow(aws(OTHER), ["ecr:ReplicateImage", "ecr:CreateRepository"], Resource=ALL_REPOSITORIES)],
    ),
    "registry-deny-beats-repository-allow": Case(
        CI,
        "BatchGetImage",
        EXPLICIT,
        repository_policy=[TEAM_PULL],
        registry_policy=[deny(aws(OTHER), "ecr:*", Resource=ALL_REPOSITORIES)],
    ),
    "repository-deny-beats-registry-allow": Case(
        CI,
        "BatchGetImage",
        EXPLICIT,
        repository_policy=[deny(aws(OTHER), "ecr:BatchGetImage")],
        registry_policy=[allow(aws(OTHER), PULL, Resource=ALL_REPOSITORIES)],
    ),
}


@pytest.mark.parametrize("case", REGISTRY_POLICIES.values(), ids=REGISTRY_POLICIES.keys())
def test_registry_policy(ecr: Any, fake_ecr: FakeEcr, case: Case) -> None:
    check(ecr, fake_ecr, case)


# --- callers over HTTP: access keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("access_key", "outcome"),
    [
        pytest.param("AKIAOTHERACCOUNT0001", IMPLICIT, id="mapped-key-is-the-other-accounts-role"),
        pytest.param("AKIAUNMAPPEDKEY00001", ALLOWED, id="unmapped-key-is-the-settings-account"),
    ],
)
def test_http_callers_are_told_apart_by_access_key(fake_ecr: FakeEcr, access_key: str, outcome: str) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    fake_ecr.push(f"{REPO}:v1", fake_ecr.image(files={"app.txt": "v1"}))
    owner.set_repository_policy(repositoryName=REPO, policyText=document(TEAM_PULL))
    fake_ecr.principals["AKIAOTHERACCOUNT0001"] = CI
    caller = fake_ecr.client(http=True, aws_access_key_id=access_key, aws_secret_access_key="any")

    assert caller.batch_get_image(registryId=OWNER, repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"]
    if outcome == ALLOWED:
        assert caller.list_images(registryId=OWNER, repositoryName=REPO)["imageIds"]
    else:
        with pytest.raises(ClientError) as excinfo:
            caller.list_images(registryId=OWNER, repositoryName=REPO)
        assert error_of(excinfo) == ("AccessDeniedException", denial(CI, "ecr:ListImages", IMPLICIT))


def test_a_mapped_callers_own_registry_is_its_accounts(fake_ecr: FakeEcr) -> None:
    fake_ecr.principals["AKIAOTHERACCOUNT0001"] = CI
    caller = fake_ecr.client(http=True, aws_access_key_id="AKIAOTHERACCOUNT0001", aws_secret_access_key="any")

    created = caller.create_repository(repositoryName="team-app")["repository"]

    assert created["registryId"] == OTHER
    assert [r.repository_name for r in fake_ecr.registry(OTHER).repositories()] == ["team-app"]


def test_acting_as_refuses_what_is_no_principal(fake_ecr: FakeEcr) -> None:
    with pytest.raises(ValueError, match="is not the ARN of an IAM principal"), fake_ecr.acting_as("ci-role"):
        pass


# --- the registry: tokens name their principal ------------------------------------------------------------------------


def password_of(token: str) -> str:
    return base64.b64decode(token).decode().partition(":")[2]


def registry_get(fake_ecr: FakeEcr, path: str, token: str, method: str = "GET") -> requests.Response:
    assert fake_ecr.server is not None
    url = f"{fake_ecr.server.endpoint}/v2/{REPO}/{path}"
    return requests.request(method, url, auth=("AWS", password_of(token)), headers={"Accept": ACCEPT}, timeout=30)


def token_as(fake_ecr: FakeEcr, principal: str) -> str:
    with fake_ecr.acting_as(principal):
        return str(fake_ecr.client().get_authorization_token()["authorizationData"][0]["authorizationToken"])


REGISTRY_PULLS = {
    "team-policy-lets-the-other-account-pull": ([TEAM_PULL], CI, 200),
    "no-policy-no-pull-for-the-other-account": ([], CI, 403),
    "policy-for-a-third-account-is-not-for-this-one": ([allow(aws(THIRD), PULL)], CI, 403),
    "deny-stops-the-owners-own-pull": ([deny(aws(DEV), "ecr:BatchGetImage")], DEV, 403),
    "the-owners-pull-needs-no-policy": ([], DEV, 200),
}


@pytest.mark.parametrize(("statements", "principal", "status"), REGISTRY_PULLS.values(), ids=REGISTRY_PULLS.keys())
def test_registry_pulls_follow_the_policy(
    fake_ecr: FakeEcr, statements: list[dict[str, Any]], principal: str, status: int
) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    fake_ecr.push(f"{REPO}:v1", fake_ecr.image(files={"app.txt": "v1"}))
    if statements:
        owner.set_repository_policy(repositoryName=REPO, policyText=document(*statements))

    response = registry_get(fake_ecr, "manifests/v1", token_as(fake_ecr, principal))

    assert response.status_code == status
    if status == 403:
        reason = "with an explicit deny in a resource-based policy" if principal == DEV else None
        expected = denial(principal, "ecr:BatchGetImage", EXPLICIT if reason else IMPLICIT)
        assert response.json()["errors"][0] == {"code": "DENIED", "message": expected, "detail": None}


def test_registry_pull_policy_lets_blobs_through_and_pushes_not(fake_ecr: FakeEcr) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    image = fake_ecr.image(files={"app.txt": "v1"})
    fake_ecr.push(f"{REPO}:v1", image)
    owner.set_repository_policy(repositoryName=REPO, policyText=document(TEAM_PULL))
    token = token_as(fake_ecr, CI)

    with fake_ecr.acting_as(CI):
        pulled = fake_ecr.pull(f"{REPO}:v1")  # manifest, config and layers, each blob verified
        assert pulled.digest == image.digest
    assert registry_get(fake_ecr, f"blobs/{image.config.digest}", token, "HEAD").status_code == 200
    upload = registry_get(fake_ecr, "blobs/uploads/", token, "POST")

    assert upload.status_code == 403
    assert upload.json()["errors"][0]["message"] == denial(CI, "ecr:InitiateLayerUpload", IMPLICIT)


def test_a_download_url_serves_the_blob_its_caller_was_allowed(fake_ecr: FakeEcr) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    image = fake_ecr.image(files={"app.txt": "v1"})
    fake_ecr.push(f"{REPO}:v1", image)
    owner.set_repository_policy(repositoryName=REPO, policyText=document(TEAM_PULL))

    with fake_ecr.acting_as(CI):
        url = fake_ecr.client(http=True).get_download_url_for_layer(
            registryId=OWNER, repositoryName=REPO, layerDigest=image.layers[0].digest
        )["downloadUrl"]
    response = requests.get(url, timeout=30)

    assert (response.status_code, response.content) == (200, image.layers[0].data)


def test_registry_push_allowed_by_policy(fake_ecr: FakeEcr) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    owner.set_repository_policy(repositoryName=REPO, policyText=document(allow(aws(OTHER), [*PULL, *PUSH])))

    with fake_ecr.acting_as(CI):
        digest = fake_ecr.push(f"{REPO}:v2", fake_ecr.image(files={"app.txt": "v2"}))

    assert owner.describe_images(repositoryName=REPO)["imageDetails"][0]["imageDigest"] == digest


TEAM_REPOSITORIES = f"arn:aws:ecr:us-east-1:{OWNER}:repository/team/*"


@needs_enum("RCTAppliedFor", "CREATE_ON_PUSH")
@pytest.mark.parametrize(
    ("actions", "created"),
    [
        pytest.param([*PULL, *PUSH], False, id="push-grant-alone"),
        pytest.param([*PULL, *PUSH, "ecr:CreateRepository"], True, id="push-and-create-grant"),
    ],
)
def test_a_push_that_creates_its_repository_needs_create_repository(
    fake_ecr: FakeEcr, actions: list[str], created: bool
) -> None:
    owner = fake_ecr.client()
    owner.create_repository_creation_template(prefix="team", appliedFor=["CREATE_ON_PUSH"])
    owner.put_registry_policy(policyText=document(allow(aws(OTHER), actions, Resource=TEAM_REPOSITORIES)))
    image = fake_ecr.image(files={"app.txt": "v1"})

    with fake_ecr.acting_as(CI):
        if created:
            fake_ecr.push("team/app:v1", image)
        else:
            with pytest.raises(RegistryRequestFailed) as refused:
                fake_ecr.push("team/app:v1", image)

    names = [r["repositoryName"] for r in owner.describe_repositories()["repositories"]]
    assert names == (["team/app"] if created else [])
    if not created:
        denied = f"arn:aws:ecr:us-east-1:{OWNER}:repository/team/app"
        message = (
            f"User: {CI} is not authorized to perform: ecr:CreateRepository on resource: {denied} "
            "because no resource-based policy allows the ecr:CreateRepository action"
        )
        assert (refused.value.status, json.loads(refused.value.body)["errors"][0]["message"]) == (403, message)


def test_every_registry_route_has_its_actions() -> None:
    endpoints = {f"{method} {path}" for method, path, _ in ROUTES}
    endpoints |= {f"HEAD {path}" for method, path, _ in ROUTES if method == "GET"}
    assert set(REGISTRY_ACTIONS) == endpoints


# --- off by default ---------------------------------------------------------------------------------------------------

DENY_EVERYTHING = document(deny("*", "ecr:*"))


@pytest.mark.fake_ecr(enforce_policies=False)
def test_by_default_policies_are_stored_not_enforced(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO)
    ecr.set_repository_policy(repositoryName=REPO, policyText=DENY_EVERYTHING)
    ecr.put_registry_policy(policyText=document(deny("*", "ecr:*", Resource="*")))

    with fake_ecr.acting_as(CI):
        digest = fake_ecr.push(f"{REPO}:v1", fake_ecr.image(files={"app.txt": "v1"}))
        assert fake_ecr.pull(f"{REPO}:v1").digest == digest
        listed = ecr.list_images(repositoryName=REPO)  # no registryId: still the settings' account

    assert listed["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert ecr.get_repository_policy(repositoryName=REPO)["registryId"] == OWNER


@pytest.mark.fake_ecr(enforce_policies=False)
def test_by_default_another_accounts_token_is_refused_as_before(fake_ecr: FakeEcr) -> None:
    owner = fake_ecr.client()
    owner.create_repository(repositoryName=REPO)
    fake_ecr.push(f"{REPO}:v1", fake_ecr.image(files={"app.txt": "v1"}))
    owner.set_repository_policy(repositoryName=REPO, policyText=document(TEAM_PULL))
    other = str(owner.get_authorization_token(registryIds=[OTHER])["authorizationData"][0]["authorizationToken"])

    response = registry_get(fake_ecr, "manifests/v1", other)

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "Your Authorization Token is invalid."
