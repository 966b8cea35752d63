"""Resource tags: TagResource, UntagResource, ListTagsForResource and tags given at CreateRepository
(docs/behaviour/api.md#validation, docs/behaviour/repositories.md#repository-operations), as a boto3 user sees them."""

from __future__ import annotations

from typing import Any

import pytest

from fake_ecr import FakeEcr

from api.helpers import error_of

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"
ARN = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app"
INVALID_ARN = "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'"


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def numbered(count: int, start: int = 0) -> list[dict[str, str]]:
    return tags(*((f"key{n}", f"value{n}") for n in range(start, start + count)))


def listed(ecr: Any, arn: str = ARN) -> list[dict[str, str]]:
    return ecr.list_tags_for_resource(resourceArn=arn)["tags"]  # type: ignore[no-any-return]


def stored(fake_ecr: FakeEcr, name: str = "team/app") -> tuple[tuple[str, str], ...]:
    return fake_ecr.registry().repository(name).resource_tags


# --- what is stored ------------------------------------------------------------------------------


def test_new_repository_has_no_tags(ecr: Any) -> None:
    ecr.create_repository(repositoryName="team/app")

    assert listed(ecr) == []


def test_tags_given_at_create_repository(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core"), ("env", "")))

    assert listed(ecr) == tags(("team", "core"), ("env", ""))
    assert stored(fake_ecr) == (("team", "core"), ("env", ""))


def test_tag_resource_adds_and_overwrites(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core"), ("env", "dev")))

    response = ecr.tag_resource(resourceArn=ARN, tags=tags(("env", "prod"), ("owner", "me")))

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert listed(ecr) == tags(("team", "core"), ("env", "prod"), ("owner", "me"))
    assert stored(fake_ecr) == (("team", "core"), ("env", "prod"), ("owner", "me"))


def test_untag_resource_removes_keys_and_ignores_unknown_ones(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core"), ("env", "dev"), ("owner", "me")))

    response = ecr.untag_resource(resourceArn=ARN, tagKeys=["env", "never-set", "OWNER"])

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert listed(ecr) == tags(("team", "core"), ("owner", "me"))
    ecr.untag_resource(resourceArn=ARN, tagKeys=["team", "owner"])
    assert listed(ecr) == []
    assert stored(fake_ecr) == ()


def test_tags_are_per_repository(ecr: Any) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core")))
    ecr.create_repository(repositoryName="team/other")

    assert listed(ecr, f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/other") == []


def test_tags_go_with_their_repository(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core")))
    ecr.tag_resource(resourceArn=ARN, tags=tags(("env", "dev")))
    ecr.delete_repository(repositoryName="team/app")

    ecr.create_repository(repositoryName="team/app")
    assert listed(ecr) == []
    ecr.delete_repository(repositoryName="team/app")
    ecr.create_repository(repositoryName="team/app", tags=tags(("owner", "me")))
    assert listed(ecr) == tags(("owner", "me"))
    assert stored(fake_ecr) == (("owner", "me"),)


# --- limits: 50 tags, key 128, value 256 -------------------------------------------------------


def test_fifty_tags_at_the_limits_are_accepted(ecr: Any) -> None:
    longest = tags(("k" * 128, "v" * 256))
    ecr.create_repository(repositoryName="team/app", tags=numbered(49) + longest)

    # Overwriting keeps the count at 50.
    ecr.tag_resource(resourceArn=ARN, tags=numbered(10))

    assert len(listed(ecr)) == 50
    assert listed(ecr)[-1] == longest[0]


def test_fifty_first_tag_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="team/app", tags=numbered(49))

    with pytest.raises(ecr.exceptions.TooManyTagsException) as excinfo:
        ecr.tag_resource(resourceArn=ARN, tags=numbered(2, start=49))

    assert error_of(excinfo) == ("TooManyTagsException", f"Tag limit of 50 exceeded for resource {ARN}")
    assert listed(ecr) == numbered(49)
    assert stored(fake_ecr) == tuple((t["Key"], t["Value"]) for t in numbered(49))


def test_create_repository_with_fifty_one_tags_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    with pytest.raises(ecr.exceptions.TooManyTagsException) as excinfo:
        ecr.create_repository(repositoryName="team/app", tags=numbered(51))

    assert error_of(excinfo) == ("TooManyTagsException", f"Tag limit of 50 exceeded for resource {ARN}")
    assert fake_ecr.registry().repositories() == []


INVALID_TAGS = [
    pytest.param(tags(("k" * 129, "v")), f"Tag key '{'k' * 129}' must be between 1 and 128 characters", id="key-129"),
    pytest.param(tags(("", "v")), "Tag key '' must be between 1 and 128 characters", id="key-empty"),
    pytest.param(tags(("env", "v" * 257)), "Tag value for key 'env' exceeds 256 characters", id="value-257"),
    pytest.param(tags(("aws:owner", "me")), "Tag keys starting with 'aws:' are reserved for AWS use", id="aws-prefix"),
    pytest.param(tags(("AWS:owner", "me")), "Tag keys starting with 'aws:' are reserved for AWS use", id="aws-upper"),
    pytest.param(
        tags(("fine", "ok"), ("k" * 129, "v")),
        f"Tag key '{'k' * 129}' must be between 1 and 128 characters",
        id="one-bad-among-good",
    ),
]


@pytest.mark.parametrize(("bad_tags", "message"), INVALID_TAGS)
def test_tag_resource_refuses_invalid_tags(
    ecr: Any, fake_ecr: FakeEcr, bad_tags: list[dict[str, str]], message: str
) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core")))

    with pytest.raises(ecr.exceptions.InvalidTagParameterException) as excinfo:
        ecr.tag_resource(resourceArn=ARN, tags=bad_tags)

    assert error_of(excinfo) == ("InvalidTagParameterException", message)
    assert listed(ecr) == tags(("team", "core"))
    assert stored(fake_ecr) == (("team", "core"),)


@pytest.mark.parametrize(("bad_tags", "message"), INVALID_TAGS)
def test_create_repository_refuses_invalid_tags(
    ecr: Any, fake_ecr: FakeEcr, bad_tags: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ecr.exceptions.InvalidTagParameterException) as excinfo:
        ecr.create_repository(repositoryName="team/app", tags=bad_tags)

    assert error_of(excinfo) == ("InvalidTagParameterException", message)
    assert fake_ecr.registry().repositories() == []


# --- which resource: ARNs and repositories ------------------------------------------------------

OPERATIONS = [
    pytest.param("tag_resource", {"tags": tags(("env", "dev"))}, id="tag"),
    pytest.param("untag_resource", {"tagKeys": ["team"]}, id="untag"),
    pytest.param("list_tags_for_resource", {}, id="list"),
]


@pytest.mark.parametrize(("call", "params"), OPERATIONS)
@pytest.mark.parametrize(
    "arn",
    [
        pytest.param("team/app", id="not-an-arn"),
        pytest.param("", id="empty"),
        pytest.param("arn:aws:s3:::team-app", id="another-service"),
        pytest.param(f"arn:aws:ecr:us-east-1:{ACCOUNT}:team/app", id="no-resource-type"),
        pytest.param(f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/", id="no-name"),
        pytest.param("arn:aws:ecr:us-east-1:1234:repository/team/app", id="short-account"),
        pytest.param(f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/app", id="another-region"),
    ],
)
def test_invalid_resource_arn(ecr: Any, fake_ecr: FakeEcr, call: str, params: dict[str, Any], arn: str) -> None:
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core")))

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        getattr(ecr, call)(resourceArn=arn, **params)

    assert error_of(excinfo) == ("InvalidParameterException", INVALID_ARN)
    assert stored(fake_ecr) == (("team", "core"),)


@pytest.mark.parametrize(("call", "params"), OPERATIONS)
@pytest.mark.parametrize(
    "missing",
    [
        pytest.param((ACCOUNT, "team/nope"), id="unknown-name"),
        pytest.param((OTHER_ACCOUNT, "team/app"), id="another-account"),
    ],
)
def test_resource_arn_of_a_missing_repository(
    ecr: Any, fake_ecr: FakeEcr, call: str, params: dict[str, Any], missing: tuple[str, str]
) -> None:
    account, name = missing
    ecr.create_repository(repositoryName="team/app", tags=tags(("team", "core")))

    with pytest.raises(ecr.exceptions.RepositoryNotFoundException) as excinfo:
        getattr(ecr, call)(resourceArn=f"arn:aws:ecr:us-east-1:{account}:repository/{name}", **params)

    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{account}'",
    )
    assert stored(fake_ecr) == (("team", "core"),)
