"""Permissions policies: Set/Get/DeleteRepositoryPolicy and Put/Get/DeleteRegistryPolicy
(docs/behaviour/repositories.md#repository-operations, docs/behaviour/cross-repository.md#registry-settings,
docs/behaviour/auth.md#policies), as a boto3 user sees them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_ecr import FakeEcr

from api.helpers import error_of

ACCOUNT = "123456789012"
PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
OTHER_ACCOUNT_ROOT = "arn:aws:iam::210987654321:root"
INVALID_REPOSITORY_POLICY = (
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
)
INVALID_REGISTRY_POLICY = (
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'"
)
REMOVED = object()


def statement(**elements: object) -> dict[str, object]:
    """A valid repository-policy statement with ``elements`` set (``REMOVED`` drops one)."""
    base: dict[str, object] = {
        "Sid": "pull",
        "Effect": "Allow",
        "Principal": {"AWS": OTHER_ACCOUNT_ROOT},
        "Action": PULL_ACTIONS,
    }
    return {key: value for key, value in {**base, **elements}.items() if value is not REMOVED}


def registry_statement(**elements: object) -> dict[str, object]:
    """A valid registry-policy statement (it names its Resource) with ``elements`` set."""
    return statement(**{"Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*", **elements})


def policy(*statements: dict[str, object], **top: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


def with_condition_value(statement_of: Any, value_text: str) -> str:
    """A policy whose one condition value is ``value_text``, verbatim (json.dumps cannot write every text)."""
    text = policy(statement_of(Condition={"StringEquals": {"aws:PrincipalTag/team": "VALUE"}}))
    return text.replace('"VALUE"', value_text)


# --- layout: ECR answers with its own pretty re-serialisation -------------------------------

# [CLI:set-repository-policy]: this input file ...
CLI_POLICY_FILE = """{
    "Version" : "2008-10-17",
    "Statement" : [
        {
            "Sid" : "allow public pull",
            "Effect" : "Allow",
            "Principal" : "*",
            "Action" : [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer"
            ]
        }
    ]
}
"""
# ... comes back as this policyText.
CLI_POLICY_TEXT = (
    '{\n  "Version" : "2008-10-17",\n  "Statement" : [ {\n    "Sid" : "allow public pull",\n'
    '    "Effect" : "Allow",\n    "Principal" : "*",\n    "Action" : [ "ecr:BatchCheckLayerAvailability", '
    '"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" ]\n  } ]\n}'
)


def test_set_repository_policy_answers_ecr_layout(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="cluster-autoscaler")

    response = ecr.set_repository_policy(repositoryName="cluster-autoscaler", policyText=CLI_POLICY_FILE)

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "registryId": ACCOUNT,
        "repositoryName": "cluster-autoscaler",
        "policyText": CLI_POLICY_TEXT,
    }
    assert fake_ecr.registry().repository("cluster-autoscaler").policy_text == CLI_POLICY_TEXT


def test_compact_input_gets_the_same_layout(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    compact = json.dumps(json.loads(CLI_POLICY_FILE), separators=(",", ":"))

    assert ecr.set_repository_policy(repositoryName="app", policyText=compact)["policyText"] == CLI_POLICY_TEXT


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            {"Statement": {"Effect": "Deny", "Principal": {"AWS": ["a", "b"]}, "Action": "ecr:*"}},
            '{\n  "Statement" : {\n    "Effect" : "Deny",\n    "Principal" : {\n      "AWS" : [ "a", "b" ]\n'
            '    },\n    "Action" : "ecr:*"\n  }\n}',
            id="nested-objects-indent-per-level",
        ),
        pytest.param(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
                    {"Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"},
                ]
            },
            '{\n  "Statement" : [ {\n    "Effect" : "Allow",\n    "Principal" : "*",\n'
            '    "Action" : "ecr:BatchGetImage"\n  }, {\n    "Effect" : "Deny",\n    "Principal" : "*",\n'
            '    "Action" : "ecr:PutImage"\n  } ]\n}',
            id="objects-in-a-list",
        ),
        pytest.param(
            {
                "Statement": {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "ecr:BatchGetImage",
                    "Condition": {"Bool": {"aws:SecureTransport": False}, "NumericLessThan": {"n": 3600}},
                }
            },
            '{\n  "Statement" : {\n    "Effect" : "Allow",\n    "Principal" : "*",\n'
            '    "Action" : "ecr:BatchGetImage",\n    "Condition" : {\n      "Bool" : {\n'
            '        "aws:SecureTransport" : false\n      },\n      "NumericLessThan" : {\n        "n" : 3600\n'
            "      }\n    }\n  }\n}",
            id="literals-and-numbers",
        ),
        pytest.param(
            {"Statement": {"Sid": 'say "hi"\\\n\u001f é', "Effect": "Allow", "Principal": "*", "Action": "*"}},
            '{\n  "Statement" : {\n    "Sid" : "say \\"hi\\"\\\\\\n\\u001F é",\n    "Effect" : "Allow",\n'
            '    "Principal" : "*",\n    "Action" : "*"\n  }\n}',
            id="escapes-and-non-ascii",
        ),
        pytest.param(
            {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {}}},
            '{\n  "Statement" : {\n    "Effect" : "Allow",\n    "Principal" : "*",\n    "Action" : "*",\n'
            '    "Condition" : { }\n  }\n}',
            id="empty-object",
        ),
    ],
)
def test_repository_policy_layout(ecr: Any, document: dict[str, object], expected: str) -> None:
    ecr.create_repository(repositoryName="app")

    assert ecr.set_repository_policy(repositoryName="app", policyText=json.dumps(document))["policyText"] == expected
    assert ecr.get_repository_policy(repositoryName="app")["policyText"] == expected


# --- SetRepositoryPolicy / GetRepositoryPolicy / DeleteRepositoryPolicy --------------------------


def test_get_repository_policy_returns_what_set_stored(ecr: Any) -> None:
    ecr.create_repository(repositoryName="team/app")
    stored = ecr.set_repository_policy(repositoryName="team/app", policyText=policy(statement()))["policyText"]

    response = ecr.get_repository_policy(repositoryName="team/app", registryId=ACCOUNT)

    assert (response["registryId"], response["repositoryName"], response["policyText"]) == (ACCOUNT, "team/app", stored)
    assert json.loads(stored) == json.loads(policy(statement()))


def test_set_repository_policy_replaces_the_policy(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app")
    ecr.set_repository_policy(repositoryName="app", policyText=policy(statement()))

    ecr.set_repository_policy(repositoryName="app", policyText=policy(statement(Effect="Deny")), force=True)

    stored = ecr.get_repository_policy(repositoryName="app")["policyText"]
    assert json.loads(stored)["Statement"][0]["Effect"] == "Deny"
    assert fake_ecr.registry().repository("app").policy_text == stored


@pytest.mark.parametrize(
    "policy_text",
    [
        pytest.param(json.dumps({"Statement": [statement()]}), id="version-omitted"),
        pytest.param(json.dumps({"Version": "2008-10-17", "Statement": [statement()]}), id="version-2008"),
        pytest.param(json.dumps({"Version": "2012-10-17", "Id": "p1", "Statement": statement()}), id="one-statement"),
        pytest.param(policy(statement(Principal="*")), id="anyone"),
        pytest.param(policy(statement(Principal={"Service": "codebuild.amazonaws.com"})), id="service-principal"),
        pytest.param(
            policy(statement(Principal=REMOVED, NotPrincipal={"AWS": "arn:aws:iam::1:root"})), id="not-principal"
        ),
        pytest.param(policy(statement(Action=REMOVED, NotAction="ecr:DeleteRepository")), id="not-action"),
        pytest.param(policy(statement(Action=["ecr:*", "*", "ECR:batchGetImage", "ecr:Get*"])), id="action-forms"),
        pytest.param(policy(statement(Sid=REMOVED)), id="no-sid"),
        pytest.param(policy(statement(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})), id="condition"),
        pytest.param(with_condition_value(statement, '["a", 1, 2.5, true]'), id="condition-value-list"),
        pytest.param(policy(statement(), statement(Sid="deny", Effect="Deny", Principal="*")), id="two-statements"),
    ],
)
def test_valid_repository_policies_are_stored(ecr: Any, policy_text: str) -> None:
    ecr.create_repository(repositoryName="app")

    stored = ecr.set_repository_policy(repositoryName="app", policyText=policy_text)["policyText"]

    assert json.loads(stored) == json.loads(policy_text)


INVALID_REPOSITORY_POLICIES = [
    pytest.param("", id="empty-text"),
    pytest.param("{", id="not-json"),
    pytest.param(policy(statement())[:-1] + ",}", id="trailing-comma"),
    pytest.param(json.dumps([statement()]), id="not-an-object"),
    pytest.param(policy(statement(Condition={"NumericLessThan": {"n": float("nan")}})), id="nan"),
    pytest.param(policy(statement(), Extra="x"), id="unknown-top-level-element"),
    pytest.param(policy(statement(), Version="2013-01-01"), id="unknown-version"),
    pytest.param(policy(statement(), Version=20121017), id="version-not-text"),
    pytest.param(policy(statement(), Id=1), id="id-not-text"),
    pytest.param(json.dumps({"Version": "2012-10-17"}), id="no-statement"),
    pytest.param(json.dumps({"Version": "2012-10-17", "Statement": []}), id="no-statements"),
    pytest.param(json.dumps({"Version": "2012-10-17", "Statement": "allow"}), id="statement-not-object"),
    pytest.param(json.dumps({"Version": "2012-10-17", "Statement": [statement(), "x"]}), id="statement-entry-text"),
    pytest.param(policy(statement(Resource="*")), id="resource"),
    pytest.param(policy(statement(Resource=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app")), id="resource-arn"),
    pytest.param(policy(statement(NotResource="*")), id="not-resource"),
    pytest.param(policy(statement(Effect=REMOVED)), id="no-effect"),
    pytest.param(policy(statement(Effect="allow")), id="effect-lower-case"),
    pytest.param(policy(statement(Principal=REMOVED)), id="no-principal"),
    pytest.param(policy(statement(NotPrincipal="*")), id="principal-and-not-principal"),
    pytest.param(policy(statement(Principal={})), id="principal-empty"),
    pytest.param(policy(statement(Principal={"User": "bob"})), id="principal-unknown-type"),
    pytest.param(policy(statement(Principal={"AWS": []})), id="principal-empty-list"),
    pytest.param(policy(statement(Principal="everyone")), id="principal-text"),
    pytest.param(policy(statement(Action=REMOVED)), id="no-action"),
    pytest.param(policy(statement(NotAction="ecr:PutImage")), id="action-and-not-action"),
    pytest.param(policy(statement(Action=[])), id="action-empty-list"),
    pytest.param(policy(statement(Action="s3:GetObject")), id="action-of-another-service"),
    pytest.param(policy(statement(Action="BatchGetImage")), id="action-without-service"),
    pytest.param(policy(statement(Action=["ecr:BatchGetImage", 7])), id="action-not-text"),
    pytest.param(policy(statement(Sid=1)), id="sid-not-text"),
    pytest.param(policy(statement(Condition="aws:SecureTransport")), id="condition-not-object"),
    pytest.param(policy(statement(Condition={"Bool": "true"})), id="condition-block-not-object"),
    pytest.param(with_condition_value(statement, '{"team": "a"}'), id="condition-value-object"),
    pytest.param(with_condition_value(statement, '[["a"]]'), id="condition-value-nested-list"),
    pytest.param(with_condition_value(statement, "[" * 600 + "]" * 600), id="condition-value-nested-600-deep"),
    pytest.param(with_condition_value(statement, "[" * 4000 + "]" * 4000), id="nested-beyond-the-parser"),
    pytest.param(with_condition_value(statement, "1e400"), id="number-beyond-a-double"),
    pytest.param(policy(statement(Principals="*")), id="unknown-statement-element"),
]


@pytest.mark.parametrize("policy_text", INVALID_REPOSITORY_POLICIES)
def test_invalid_repository_policy_is_refused(ecr: Any, fake_ecr: FakeEcr, policy_text: str) -> None:
    ecr.create_repository(repositoryName="app")
    stored = ecr.set_repository_policy(repositoryName="app", policyText=policy(statement()))["policyText"]

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.set_repository_policy(repositoryName="app", policyText=policy_text)

    assert error_of(excinfo) == ("InvalidParameterException", INVALID_REPOSITORY_POLICY)
    assert ecr.get_repository_policy(repositoryName="app")["policyText"] == stored
    assert fake_ecr.registry().repository("app").policy_text == stored


def test_invalid_policy_on_a_repository_without_one_stores_nothing(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app")

    with pytest.raises(ecr.exceptions.InvalidParameterException):
        ecr.set_repository_policy(repositoryName="app", policyText=policy(statement(Resource="*")))

    assert fake_ecr.registry().repository("app").policy_text is None


def test_repository_policy_longer_than_10240_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app")
    text = policy(statement(Sid="x" * 10240))

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.set_repository_policy(repositoryName="app", policyText=text)

    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'policyText' failed to satisfy constraint: "
        "'must have length less than or equal to 10240'",
    )
    assert fake_ecr.registry().repository("app").policy_text is None


@pytest.mark.parametrize(
    ("call", "params"),
    [
        pytest.param("set_repository_policy", {"policyText": policy(statement())}, id="set"),
        pytest.param("get_repository_policy", {}, id="get"),
        pytest.param("delete_repository_policy", {}, id="delete"),
    ],
)
def test_repository_policy_of_a_missing_repository(
    ecr: Any, fake_ecr: FakeEcr, call: str, params: dict[str, Any]
) -> None:
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException) as excinfo:
        getattr(ecr, call)(repositoryName="nope", **params)

    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
    )
    assert fake_ecr.registry().repositories() == []


@pytest.mark.parametrize("call", ["get_repository_policy", "delete_repository_policy"])
def test_repository_without_policy(ecr: Any, fake_ecr: FakeEcr, call: str) -> None:
    ecr.create_repository(repositoryName="team/app")

    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException) as excinfo:
        getattr(ecr, call)(repositoryName="team/app")

    assert error_of(excinfo) == (
        "RepositoryPolicyNotFoundException",
        f"Repository policy does not exist for the repository with name 'team/app' in the registry with id '{ACCOUNT}'",
    )
    assert fake_ecr.registry().repository("team/app").policy_text is None


def test_delete_repository_policy_returns_the_removed_policy(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app")
    stored = ecr.set_repository_policy(repositoryName="app", policyText=policy(statement()))["policyText"]

    response = ecr.delete_repository_policy(repositoryName="app")

    assert (response["registryId"], response["repositoryName"], response["policyText"]) == (ACCOUNT, "app", stored)
    assert fake_ecr.registry().repository("app").policy_text is None
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="app")
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.delete_repository_policy(repositoryName="app")


def test_repository_policy_goes_with_its_repository(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    ecr.set_repository_policy(repositoryName="app", policyText=policy(statement()))
    ecr.delete_repository(repositoryName="app")
    ecr.create_repository(repositoryName="app")

    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="app")


def test_repository_policies_are_per_repository(ecr: Any) -> None:
    ecr.create_repository(repositoryName="a1")
    ecr.create_repository(repositoryName="a2")
    ecr.set_repository_policy(repositoryName="a1", policyText=policy(statement()))

    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="a2")


# --- PutRegistryPolicy / GetRegistryPolicy / DeleteRegistryPolicy --------------------------------


def test_put_registry_policy_round_trip(ecr: Any, fake_ecr: FakeEcr) -> None:
    document = {"Version": "2012-10-17", "Statement": [registry_statement(Action="ecr:ReplicateImage")]}

    put = ecr.put_registry_policy(policyText=json.dumps(document))
    got = ecr.get_registry_policy()

    expected = (
        '{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n    "Sid" : "pull",\n    "Effect" : "Allow",\n'
        f'    "Principal" : {{\n      "AWS" : "{OTHER_ACCOUNT_ROOT}"\n    }},\n    "Action" : "ecr:ReplicateImage",\n'
        f'    "Resource" : "arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*"\n  }} ]\n}}'
    )
    assert (put["registryId"], put["policyText"]) == (ACCOUNT, expected)
    assert (got["registryId"], got["policyText"]) == (ACCOUNT, expected)
    assert fake_ecr.registry().settings.policy_text == expected


def test_put_registry_policy_replaces_the_policy(ecr: Any) -> None:
    ecr.put_registry_policy(policyText=policy(registry_statement()))
    ecr.put_registry_policy(policyText=policy(registry_statement(Sid="second")))

    assert json.loads(ecr.get_registry_policy()["policyText"])["Statement"][0]["Sid"] == "second"


@pytest.mark.parametrize(
    "action",
    [
        pytest.param("ecr:BatchGetImage", id="pull-action"),
        pytest.param(["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:BatchImportUpstreamImage"], id="v1-actions"),
        pytest.param("ecr:*", id="all-ecr-actions"),
    ],
)
def test_scope_v2_registry_policy_grants_any_ecr_action(ecr: Any, action: object) -> None:
    text = policy(registry_statement(Action=action))

    assert json.loads(ecr.put_registry_policy(policyText=text)["policyText"]) == json.loads(text)


@pytest.mark.parametrize(
    "action",
    [
        pytest.param("ecr:ReplicateImage", id="replicate"),
        pytest.param("ecr:BatchImportUpstreamImage", id="import-upstream"),
        pytest.param(["ecr:CreateRepository", "ecr:replicateimage"], id="create-and-any-case"),
    ],
)
def test_scope_v1_registry_policy_grants_its_three_actions(ecr: Any, action: object) -> None:
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    text = policy(registry_statement(Action=action))

    assert json.loads(ecr.put_registry_policy(policyText=text)["policyText"]) == json.loads(text)


@pytest.mark.parametrize(
    "policy_text",
    [
        pytest.param(policy(registry_statement(Action="ecr:BatchGetImage")), id="pull-action"),
        pytest.param(policy(registry_statement(Action=["ecr:ReplicateImage", "ecr:PutImage"])), id="one-of-many"),
        pytest.param(policy(registry_statement(Action="ecr:*")), id="all-ecr-actions"),
        pytest.param(policy(registry_statement(Action="ecr:Replicate*")), id="wildcard"),
        pytest.param(policy(registry_statement(Action=REMOVED, NotAction="ecr:ReplicateImage")), id="not-action"),
    ],
)
def test_scope_v1_registry_policy_refuses_other_actions(ecr: Any, fake_ecr: FakeEcr, policy_text: str) -> None:
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_registry_policy(policyText=policy_text)

    assert error_of(excinfo) == ("InvalidParameterException", INVALID_REGISTRY_POLICY)
    assert fake_ecr.registry().settings.policy_text is None


@pytest.mark.parametrize(
    "policy_text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps({"Version": "2012-10-17", "Statement": []}), id="no-statements"),
        pytest.param(policy(registry_statement(), Version="2020-01-01"), id="unknown-version"),
        pytest.param(policy(registry_statement(Resource=REMOVED)), id="no-resource"),
        pytest.param(policy(registry_statement(Resource=[])), id="resource-empty-list"),
        pytest.param(policy(registry_statement(NotResource="*")), id="resource-and-not-resource"),
        pytest.param(policy(registry_statement(Principal=REMOVED)), id="no-principal"),
        pytest.param(policy(registry_statement(Effect="Maybe")), id="bad-effect"),
        pytest.param(policy(registry_statement(Action="sts:AssumeRole")), id="action-of-another-service"),
        pytest.param(policy(registry_statement(Action=REMOVED)), id="no-action"),
        pytest.param(policy(registry_statement(Unknown=1)), id="unknown-statement-element"),
        pytest.param(with_condition_value(registry_statement, "[" * 600 + "]" * 600), id="nested-600-deep"),
        pytest.param(with_condition_value(registry_statement, "[" * 4000 + "]" * 4000), id="nested-beyond-the-parser"),
    ],
)
def test_invalid_registry_policy_is_refused(ecr: Any, fake_ecr: FakeEcr, policy_text: str) -> None:
    stored = ecr.put_registry_policy(policyText=policy(registry_statement()))["policyText"]

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_registry_policy(policyText=policy_text)

    assert error_of(excinfo) == ("InvalidParameterException", INVALID_REGISTRY_POLICY)
    assert ecr.get_registry_policy()["policyText"] == stored
    assert fake_ecr.registry().settings.policy_text == stored


def test_registry_policy_names_resources_it_does_not_check(ecr: Any) -> None:
    # ECR accepted an ARN without its service part (aws/containers-roadmap#2675).
    text = policy(registry_statement(Resource="arn:aws:us-east-2:012345678901:repository/*"))

    assert json.loads(ecr.put_registry_policy(policyText=text)["policyText"]) == json.loads(text)


@pytest.mark.parametrize("call", ["get_registry_policy", "delete_registry_policy"])
def test_registry_without_policy(ecr: Any, fake_ecr: FakeEcr, call: str) -> None:
    with pytest.raises(ecr.exceptions.RegistryPolicyNotFoundException) as excinfo:
        getattr(ecr, call)()

    assert error_of(excinfo) == (
        "RegistryPolicyNotFoundException",
        f"Registry policy does not exist in the registry with id '{ACCOUNT}'",
    )
    assert fake_ecr.registry().settings.policy_text is None


def test_delete_registry_policy_returns_the_removed_policy(ecr: Any, fake_ecr: FakeEcr) -> None:
    stored = ecr.put_registry_policy(policyText=policy(registry_statement()))["policyText"]

    response = ecr.delete_registry_policy()

    assert (response["registryId"], response["policyText"]) == (ACCOUNT, stored)
    assert fake_ecr.registry().settings.policy_text is None
    with pytest.raises(ecr.exceptions.RegistryPolicyNotFoundException):
        ecr.get_registry_policy()
