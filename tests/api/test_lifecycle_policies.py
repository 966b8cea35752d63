"""Lifecycle policies: Put/Get/DeleteLifecyclePolicy (docs/behaviour/lifecycle.md#lifecycle-operations), as a boto3 user
sees them: what is stored, how it comes back, and what is refused.  The grammar itself is tested in
tests/unit/test_lifecycle.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from fake_ecr import FakeEcr

from api.helpers import error_of

ACCOUNT = "123456789012"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# [CLI:put-lifecycle-policy]: this policy file ...
CLI_POLICY_FILE = """{
   "rules": [
       {
           "rulePriority": 1,
           "description": "Expire images older than 14 days",
           "selection": {
               "tagStatus": "untagged",
               "countType": "sinceImagePushed",
               "countUnit": "days",
               "countNumber": 14
           },
           "action": {
               "type": "expire"
           }
       }
   ]
}
"""
# ... is stored and answered as this text.
CLI_POLICY_TEXT = (
    '{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":'
    '{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},'
    '"action":{"type":"expire"}}]}'
)


def lifecycle_policy(description: str = "Expire images older than 14 days", count_number: object = 14) -> str:
    rule = {
        "rulePriority": 1,
        "description": description,
        "selection": {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": count_number,
        },
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


def test_put_lifecycle_policy_stores_compact_text(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="project-a/amazon-ecs-sample")

    response = ecr.put_lifecycle_policy(
        repositoryName="project-a/amazon-ecs-sample", lifecyclePolicyText=CLI_POLICY_FILE
    )

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "registryId": ACCOUNT,
        "repositoryName": "project-a/amazon-ecs-sample",
        "lifecyclePolicyText": CLI_POLICY_TEXT,
    }
    assert fake_ecr.registry().repository("project-a/amazon-ecs-sample").lifecycle_policy_text == CLI_POLICY_TEXT


def test_get_lifecycle_policy_before_any_evaluation(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)

    response = ecr.get_lifecycle_policy(repositoryName="app", registryId=ACCOUNT)

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "registryId": ACCOUNT,
        "repositoryName": "app",
        "lifecyclePolicyText": CLI_POLICY_TEXT,
        "lastEvaluatedAt": EPOCH,
    }


def test_get_lifecycle_policy_after_an_evaluation(ecr: Any, fake_ecr: FakeEcr) -> None:
    evaluated = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)
    # What a lifecycle run records on the repository.
    fake_ecr.registry().modify_repository(
        "app", lambda r: replace(r, lifecycle_last_evaluated_at=evaluated.timestamp())
    )

    assert ecr.get_lifecycle_policy(repositoryName="app")["lastEvaluatedAt"] == evaluated


def test_put_lifecycle_policy_replaces_the_policy_and_keeps_the_evaluation_time(ecr: Any, fake_ecr: FakeEcr) -> None:
    evaluated = datetime(2024, 5, 1, tzinfo=timezone.utc)
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=lifecycle_policy())
    fake_ecr.registry().modify_repository(
        "app", lambda r: replace(r, lifecycle_last_evaluated_at=evaluated.timestamp())
    )

    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=lifecycle_policy(count_number=30))

    response = ecr.get_lifecycle_policy(repositoryName="app")
    assert json.loads(response["lifecyclePolicyText"])["rules"][0]["selection"]["countNumber"] == 30
    assert response["lastEvaluatedAt"] == evaluated


def test_non_ascii_text_stays_unescaped(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    text = lifecycle_policy(description="Images älter als 14 Tage löschen")

    stored = ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=text)["lifecyclePolicyText"]

    assert "Images älter als 14 Tage löschen" in stored
    assert ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"] == stored


@pytest.mark.parametrize(
    ("policy_text", "detail"),
    [
        pytest.param("{" + "x" * 120, "Could not map policyString into LifecyclePolicy.", id="not-json"),
        pytest.param(
            lifecycle_policy(count_number=0),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
            id="count-number-zero",
        ),
        pytest.param(
            lifecycle_policy().replace('{"rules"', '{"extra": 1, "rules"'),
            'object instance has properties which are not allowed by the schema: (["extra"])',
            id="unknown-member",
        ),
        pytest.param(
            lifecycle_policy().replace('"untagged"', '"UNTAGGED"'),
            'instance value (UNTAGGED) not found in enum :(possible values: ["any","tagged","untagged"])',
            id="tag-status-upper-case",
        ),
    ],
)
def test_invalid_lifecycle_policy_is_refused(ecr: Any, fake_ecr: FakeEcr, policy_text: str, detail: str) -> None:
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=policy_text)

    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
        f"'Lifecycle policy validation failure: {detail}'",
    )
    assert ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"] == CLI_POLICY_TEXT
    assert fake_ecr.registry().repository("app").lifecycle_policy_text == CLI_POLICY_TEXT


def test_lifecycle_policy_longer_than_30720_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app")

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=lifecycle_policy(description="x" * 30720))

    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: "
        "'must have length less than or equal to 30720'",
    )
    assert fake_ecr.registry().repository("app").lifecycle_policy_text is None


@pytest.mark.parametrize(
    ("call", "params"),
    [
        pytest.param("put_lifecycle_policy", {"lifecyclePolicyText": CLI_POLICY_FILE}, id="put"),
        pytest.param("get_lifecycle_policy", {}, id="get"),
        pytest.param("delete_lifecycle_policy", {}, id="delete"),
    ],
)
def test_lifecycle_policy_of_a_missing_repository(
    ecr: Any, fake_ecr: FakeEcr, call: str, params: dict[str, Any]
) -> None:
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException) as excinfo:
        getattr(ecr, call)(repositoryName="nope", **params)

    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
    )
    assert fake_ecr.registry().repositories() == []


@pytest.mark.parametrize("call", ["get_lifecycle_policy", "delete_lifecycle_policy"])
def test_repository_without_lifecycle_policy(ecr: Any, fake_ecr: FakeEcr, call: str) -> None:
    ecr.create_repository(repositoryName="team/app")

    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException) as excinfo:
        getattr(ecr, call)(repositoryName="team/app")

    assert error_of(excinfo) == (
        "LifecyclePolicyNotFoundException",
        f"Lifecycle policy does not exist for the repository with name 'team/app' in the registry with id '{ACCOUNT}'",
    )
    assert fake_ecr.registry().repository("team/app").lifecycle_policy_text is None


def test_delete_lifecycle_policy_returns_the_removed_policy(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="hello-world")
    ecr.put_lifecycle_policy(repositoryName="hello-world", lifecyclePolicyText=CLI_POLICY_FILE)

    response = ecr.delete_lifecycle_policy(repositoryName="hello-world")

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "registryId": ACCOUNT,
        "repositoryName": "hello-world",
        "lifecyclePolicyText": CLI_POLICY_TEXT,
        "lastEvaluatedAt": EPOCH,
    }
    assert fake_ecr.registry().repository("hello-world").lifecycle_policy_text is None
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="hello-world")
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.delete_lifecycle_policy(repositoryName="hello-world")


def test_deleting_the_policy_forgets_its_evaluation_time(ecr: Any, fake_ecr: FakeEcr) -> None:
    evaluated = datetime(2024, 5, 1, tzinfo=timezone.utc)
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)
    fake_ecr.registry().modify_repository(
        "app", lambda r: replace(r, lifecycle_last_evaluated_at=evaluated.timestamp())
    )

    assert ecr.delete_lifecycle_policy(repositoryName="app")["lastEvaluatedAt"] == evaluated
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)

    assert ecr.get_lifecycle_policy(repositoryName="app")["lastEvaluatedAt"] == EPOCH


def test_lifecycle_policy_goes_with_its_repository(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=CLI_POLICY_FILE)
    ecr.delete_repository(repositoryName="app")
    ecr.create_repository(repositoryName="app")

    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="app")
