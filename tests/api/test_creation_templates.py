"""Repository creation templates: Create, Describe, Update, Delete
(docs/behaviour/cross-repository.md#repository-creation-templates), as a boto3 user sees them.  Where templates apply is
tested with create on push (tests/registry) and replication."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import service_model

from api.helpers import error_of, state_of

ACCOUNT = "123456789012"
CREATED = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::123456789012:role/ecr-templates"
ALREADY_EXISTS = "The repository creation template already exists. Specify a unique prefix and try again."
NOT_FOUND = (
    "The specified repository creation template can't be found. Verify the registry ID and prefix and try again."
)
#: Every scenario a template can apply to (RCTAppliedFor), as the installed model names them.
SCENARIOS: list[str] = list(service_model().shape_for("RCTAppliedFor").enum)
#: The patterns ECR quotes when it refuses a prefix or a KMS key, as the installed model words them.
PREFIX_PATTERN: str = service_model().shape_for("Prefix").metadata["pattern"]
KMS_KEY_PATTERN: str = service_model().shape_for("KmsKeyForRepositoryCreationTemplate").metadata["pattern"]

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
)
#: How ECR stores and returns that policy (docs/behaviour/auth.md#policies).
POLICY_AS_STORED = (
    '{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n    "Sid" : "pull",\n    "Effect" : "Allow",\n'
    '    "Principal" : "*",\n    "Action" : "ecr:BatchGetImage"\n  } ]\n}'
)
LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
                "action": {"type": "expire"},
            }
        ]
    },
    indent=2,
)
#: The compact text ECR keeps for it (docs/behaviour/lifecycle.md#lifecycle-operations).
LIFECYCLE_AS_STORED = (
    '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan",'
    '"countNumber":5},"action":{"type":"expire"}}]}'
)


@pytest.fixture(autouse=True)
def registry_in_use(fake_ecr: FakeEcr) -> None:
    """The caller's registry exists before a call, so state comparisons see only what the call did."""
    fake_ecr.registry()


def template_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["registryId"] == ACCOUNT
    return response["repositoryCreationTemplate"]  # type: ignore[no-any-return]


def prefixes(ecr: Any, **request: Any) -> list[str]:
    return [t["prefix"] for t in ecr.describe_repository_creation_templates(**request)["repositoryCreationTemplates"]]


# --- create ------------------------------------------------------------------------------------------


def test_create_with_only_the_required_members(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)

    template = template_of(ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"]))

    assert template == {
        "prefix": "team",
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "imageTagMutability": "MUTABLE",
        "appliedFor": ["REPLICATION"],
        "createdAt": CREATED,
        "updatedAt": CREATED,
    }


def test_create_with_every_member(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    request = {
        "prefix": "prod/team",
        "description": "Production repositories",
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY_ARN},
        "resourceTags": [{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": "prod"}],
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
        "repositoryPolicy": POLICY,
        "lifecyclePolicy": LIFECYCLE_POLICY,
        "appliedFor": SCENARIOS,
        "customRoleArn": ROLE_ARN,
    }

    created = template_of(ecr.create_repository_creation_template(**request))
    described = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]

    expected = {
        **request,
        "repositoryPolicy": POLICY_AS_STORED,
        "lifecyclePolicy": LIFECYCLE_AS_STORED,
        "createdAt": CREATED,
        "updatedAt": CREATED,
    }
    assert created == expected
    assert described == [expected]


@pytest.mark.parametrize(
    ("members", "shown"),
    [
        pytest.param({"repositoryPolicy": ""}, {}, id="empty-repository-policy"),
        pytest.param({"lifecyclePolicy": ""}, {}, id="empty-lifecycle-policy"),
        pytest.param({"customRoleArn": ""}, {}, id="empty-custom-role"),
        pytest.param(
            {"encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": ""}},
            {"encryptionConfiguration": {"encryptionType": "KMS"}},
            id="empty-kms-key",
        ),
    ],
)
def test_empty_texts_name_nothing(ecr: Any, members: dict[str, Any], shown: dict[str, Any]) -> None:
    # The model allows an empty policy, role and key: they set nothing.
    template = template_of(
        ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"], **members)
    )

    assert {k: v for k, v in template.items() if k not in ("createdAt", "updatedAt")} == {
        "prefix": "team",
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "imageTagMutability": "MUTABLE",
        "appliedFor": ["REPLICATION"],
        **shown,
    }


@pytest.mark.parametrize("prefix", ["ROOT", "team/", "a", "prod/team/app"])
def test_prefix_grammar(ecr: Any, prefix: str) -> None:
    template = template_of(ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"]))

    assert template["prefix"] == prefix
    assert prefixes(ecr) == [prefix]


def test_applied_for_is_kept_once_each(ecr: Any) -> None:
    template = template_of(
        ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION", "REPLICATION"])
    )

    assert template["appliedFor"] == ["REPLICATION"]


@pytest.mark.parametrize(
    ("existing", "prefix"),
    [
        pytest.param("team", "team", id="same"),
        pytest.param("team", "team/", id="with-the-implied-slash"),
        pytest.param("team/", "team", id="without-the-slash"),
        pytest.param("ROOT", "ROOT", id="root"),
    ],
)
def test_a_prefix_has_one_template(ecr: Any, fake_ecr: FakeEcr, existing: str, prefix: str) -> None:
    ecr.create_repository_creation_template(prefix=existing, appliedFor=["REPLICATION"])
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["PULL_THROUGH_CACHE"])

    assert error_of(excinfo) == ("TemplateAlreadyExistsException", ALREADY_EXISTS)
    assert state_of(fake_ecr) == before


#: Requests the template operations refuse: (extra members, error code, message).
INVALID_MEMBERS = [
    pytest.param(
        {"repositoryPolicy": '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}'},
        "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
        id="repository-policy-with-another-service",
    ),
    pytest.param(
        {"repositoryPolicy": "not json"},
        "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
        id="repository-policy-not-json",
    ),
    pytest.param(
        {"lifecyclePolicy": '{"rules": []}'},
        "InvalidParameterException",
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation "
        "failure: array is too short: must have at least 1 elements but instance has 0 elements'",
        id="lifecycle-policy-without-rules",
    ),
    pytest.param(
        {"lifecyclePolicy": "{"},
        "InvalidParameterException",
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation "
        "failure: Could not map policyString into LifecyclePolicy.'",
        id="lifecycle-policy-not-json",
    ),
    pytest.param(
        {"encryptionConfiguration": {"encryptionType": "AES256", "kmsKey": KEY_ARN}},
        "InvalidParameterException",
        "Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: "
        "'KMS key cannot be specified when the encryption type is AES256'",
        id="aes256-with-a-key",
    ),
    pytest.param(
        {"encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/mine"}},
        "InvalidParameterException",
        "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: 'must satisfy "
        f"regular expression '{KMS_KEY_PATTERN}''",
        id="key-alias-not-arn",
    ),
    pytest.param(
        {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"},
        "InvalidParameterException",
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
        "'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION'",
        id="exclusion-mutability-without-filters",
    ),
    pytest.param(
        {"imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}]},
        "InvalidParameterException",
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
        "'ImageTagMutabilityExclusionFilters can't be set when imageTagMutability is set as MUTABLE'",
        id="filters-without-exclusion-mutability",
    ),
    pytest.param(
        {"resourceTags": [{"Key": "aws:owner", "Value": "me"}]},
        "InvalidParameterException",
        "Invalid parameter at 'resourceTags' failed to satisfy constraint: "
        "'Tag keys starting with 'aws:' are reserved for AWS use'",
        id="reserved-tag-key",
    ),
    pytest.param(
        {"resourceTags": [{"Key": "k", "Value": "v" * 257}]},
        "InvalidParameterException",
        "Invalid parameter at 'resourceTags' failed to satisfy constraint: "
        "'Tag value for key 'k' exceeds 256 characters'",
        id="tag-value-too-long",
    ),
    pytest.param(
        {"appliedFor": ["CREATE_ON_PULL"]},
        "InvalidParameterException",
        "Invalid parameter at 'appliedFor.1' failed to satisfy constraint: "
        f"'Member must satisfy enum value set: [{', '.join(SCENARIOS)}]'",
        id="unknown-scenario",
    ),
    pytest.param(
        {"prefix": "Team"},
        "InvalidParameterException",
        "Invalid parameter at 'prefix' failed to satisfy constraint: 'must satisfy regular expression "
        f"'{PREFIX_PATTERN}''",
        id="prefix-upper-case",
    ),
]


@pytest.mark.parametrize(("members", "code", "message"), INVALID_MEMBERS)
def test_create_refuses(ecr: Any, fake_ecr: FakeEcr, members: dict[str, Any], code: str, message: str) -> None:
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository_creation_template(**{"prefix": "team", "appliedFor": ["REPLICATION"], **members})

    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before


def test_create_refuses_more_than_50_tags(ecr: Any, fake_ecr: FakeEcr) -> None:
    tags = [{"Key": f"key{n}", "Value": "v"} for n in range(51)]

    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"], resourceTags=tags)

    code, message = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value '[")
    assert message.endswith(
        "at 'resourceTags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == []


def test_create_refuses_applying_to_nothing(ecr: Any, fake_ecr: FakeEcr) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository_creation_template(prefix="team", appliedFor=[])

    assert error_of(excinfo) == (
        "InvalidParameterException",
        "1 validation error detected: Value '[]' at 'appliedFor' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )
    assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == []


# --- describe ----------------------------------------------------------------------------------------


@pytest.fixture
def three_templates(ecr: Any) -> None:
    for prefix in ("ROOT", "team", "prod/"):
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])


@pytest.mark.usefixtures("three_templates")
@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        pytest.param(None, ["ROOT", "team", "prod/"], id="all-in-creation-order"),
        pytest.param(["team"], ["team"], id="one"),
        pytest.param(["prod", "ROOT"], ["ROOT", "prod/"], id="implied-slash"),
        pytest.param(["other", "team"], ["team"], id="unknown-prefix-left-out"),
        pytest.param(["other"], [], id="only-unknown"),
    ],
)
def test_describe_selects_by_prefix(ecr: Any, asked: list[str] | None, expected: list[str]) -> None:
    request = {} if asked is None else {"prefixes": asked}

    assert prefixes(ecr, **request) == expected


@pytest.mark.usefixtures("three_templates")
def test_describe_pages(ecr: Any) -> None:
    first = ecr.describe_repository_creation_templates(maxResults=2)
    second = ecr.describe_repository_creation_templates(maxResults=2, nextToken=first["nextToken"])

    assert first["registryId"] == second["registryId"] == ACCOUNT
    assert [t["prefix"] for t in first["repositoryCreationTemplates"]] == ["ROOT", "team"]
    assert [t["prefix"] for t in second["repositoryCreationTemplates"]] == ["prod/"]
    assert "nextToken" not in second
    paged = ecr.get_paginator("describe_repository_creation_templates").paginate(PaginationConfig={"PageSize": 1})
    assert [t["prefix"] for page in paged for t in page["repositoryCreationTemplates"]] == ["ROOT", "team", "prod/"]


def test_describe_without_templates(ecr: Any) -> None:
    response = ecr.describe_repository_creation_templates()

    assert (response["registryId"], response["repositoryCreationTemplates"]) == (ACCOUNT, [])
    assert "nextToken" not in response


def test_templates_belong_to_the_region(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"])

    assert prefixes(fake_ecr.client(region_name="eu-west-1")) == []
    assert prefixes(ecr) == ["team"]


# --- update ------------------------------------------------------------------------------------------


def test_update_changes_what_it_names(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    ecr.create_repository_creation_template(
        prefix="team",
        appliedFor=["REPLICATION"],
        description="before",
        resourceTags=[{"Key": "team", "Value": "a"}],
        repositoryPolicy=POLICY,
        imageTagMutability="IMMUTABLE",
    )
    fake_ecr.clock.advance(hours=1)

    updated = template_of(
        ecr.update_repository_creation_template(
            prefix="team/",
            description="after",
            appliedFor=["PULL_THROUGH_CACHE"],
            imageTagMutability="MUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "release-*"}],
            lifecyclePolicy=LIFECYCLE_POLICY,
            encryptionConfiguration={"encryptionType": "KMS_DSSE"},
        )
    )

    assert updated == {
        "prefix": "team",
        "description": "after",
        "encryptionConfiguration": {"encryptionType": "KMS_DSSE"},
        "resourceTags": [{"Key": "team", "Value": "a"}],
        "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "release-*"}],
        "repositoryPolicy": POLICY_AS_STORED,
        "lifecyclePolicy": LIFECYCLE_AS_STORED,
        "appliedFor": ["PULL_THROUGH_CACHE"],
        "createdAt": CREATED,
        "updatedAt": datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc),
    }
    assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == [updated]


def test_update_without_mutability_makes_the_template_mutable(ecr: Any) -> None:
    # [M:doc UpdateRepositoryCreationTemplate.imageTagMutability]: omitted means MUTABLE.
    ecr.create_repository_creation_template(
        prefix="team",
        appliedFor=["REPLICATION"],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
    )

    updated = template_of(ecr.update_repository_creation_template(prefix="team", description="now mutable"))

    assert updated["imageTagMutability"] == "MUTABLE"
    assert "imageTagMutabilityExclusionFilters" not in updated


def test_update_with_empty_texts_clears_them(ecr: Any) -> None:
    ecr.create_repository_creation_template(
        prefix="team",
        appliedFor=["REPLICATION"],
        repositoryPolicy=POLICY,
        lifecyclePolicy=LIFECYCLE_POLICY,
        customRoleArn=ROLE_ARN,
    )

    updated = template_of(
        ecr.update_repository_creation_template(
            prefix="team", repositoryPolicy="", lifecyclePolicy="", customRoleArn=""
        )
    )

    assert not {"repositoryPolicy", "lifecyclePolicy", "customRoleArn"} & set(updated)


def test_update_of_a_missing_template(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"])
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.update_repository_creation_template(prefix="other", description="x")

    assert error_of(excinfo) == ("TemplateNotFoundException", NOT_FOUND)
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(("members", "code", "message"), INVALID_MEMBERS)
def test_update_refuses(ecr: Any, fake_ecr: FakeEcr, members: dict[str, Any], code: str, message: str) -> None:
    ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"])
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.update_repository_creation_template(**{"prefix": "team", **members})

    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before


# --- delete ------------------------------------------------------------------------------------------


def test_delete_answers_the_template(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    created = template_of(
        ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"], description="gone soon")
    )
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"])

    deleted = template_of(ecr.delete_repository_creation_template(prefix="team/"))

    assert deleted == created
    assert prefixes(ecr) == ["ROOT"]


def test_delete_of_a_missing_template(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"])
    ecr.delete_repository_creation_template(prefix="team")
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository_creation_template(prefix="team")

    assert error_of(excinfo) == ("TemplateNotFoundException", NOT_FOUND)
    assert state_of(fake_ecr) == before


def test_templates_leave_existing_repositories_alone(ecr: Any) -> None:
    # Templates apply to repositories ECR creates itself, never to CreateRepository
    # (docs/behaviour/cross-repository.md#repository-creation-templates).
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=SCENARIOS, imageTagMutability="IMMUTABLE")

    repository = ecr.create_repository(repositoryName="team/app")["repository"]

    assert repository["imageTagMutability"] == "MUTABLE"
