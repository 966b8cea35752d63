"""Repositories: CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
PutImageScanningConfiguration (docs/behaviour/repositories.md#repository-operations), as a boto3 user sees them."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, mock_ecr
from fake_ecr.formats.service_model import target_prefix

from api.helpers import RawSender, error_of, image_manifest, put
from model_gates import needs_match

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"
KEY_ARN = re.compile(r"arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}")


def repository_of(ecr: Any, name: str, **params: Any) -> dict[str, Any]:
    return ecr.describe_repositories(repositoryNames=[name], **params)["repositories"][0]  # type: ignore[no-any-return]


# --- CreateRepository ------------------------------------------------------------------------------


def test_create_repository_defaults(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))

    created = ecr.create_repository(repositoryName="team/app")["repository"]

    assert created == {
        "repositoryArn": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app",
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "repositoryUri": f"{fake_ecr.registry_host(ACCOUNT, 'us-east-1')}/team/app",
        "createdAt": datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }
    assert repository_of(ecr, "team/app") == created


def test_repository_uri_names_ecr_host_without_a_server() -> None:
    with mock_ecr(region="eu-west-1") as fake:
        client = fake.client()
        created = client.create_repository(repositoryName="app")["repository"]
    assert created["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app"
    assert created["repositoryArn"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/app"
    assert fake.internal_errors == []


def test_create_repository_twice_is_refused(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="app")
    assert error_of(excinfo) == (
        "RepositoryAlreadyExistsException",
        f"The repository with name 'app' already exists in the registry with id '{ACCOUNT}'",
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "Bad_Name",
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression "
            "'(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
            id="uppercase",
        ),
        pytest.param(
            "a" * 257,
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
            "'must have length less than or equal to 256'",
            id="too-long",
        ),
        pytest.param(
            "app/",
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression "
            "'(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
            id="trailing-slash",
        ),
    ],
)
def test_create_repository_refuses_bad_names(ecr: Any, name: str, message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName=name)
    assert error_of(excinfo) == ("InvalidParameterException", message)
    assert ecr.describe_repositories()["repositories"] == []


def test_short_name_message(send_raw: RawSender) -> None:
    # botocore refuses a one-character name client-side; ECR's own answer (docs/behaviour/errors.md#messages #13) needs
    # a raw request.
    status, answer = send_raw(target_prefix() + "CreateRepository", b'{"repositoryName": "a"}')
    assert (status, answer) == (
        400,
        {
            "__type": "InvalidParameterException",
            "message": "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
            "'must have length greater than or equal to 2'",
        },
    )


@pytest.mark.parametrize(
    "name",
    [
        "a1",
        "team/app",
        pytest.param("a__b", marks=needs_match("RepositoryName", "a__b")),
        pytest.param("a---b", marks=needs_match("RepositoryName", "a---b")),
        "a.b_c-d/e",
    ],
)
def test_create_repository_accepts_model_names(ecr: Any, name: str) -> None:
    assert ecr.create_repository(repositoryName=name)["repository"]["repositoryName"] == name


def test_create_repository_with_tags(ecr: Any) -> None:
    tags = [{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": ""}]
    arn = ecr.create_repository(repositoryName="app", tags=tags)["repository"]["repositoryArn"]
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == tags


def test_create_repository_with_too_many_tags_is_refused(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="app", tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)])
    assert error_of(excinfo)[0] == "TooManyTagsException"
    assert ecr.describe_repositories()["repositories"] == []


WILDCARD = [{"filterType": "WILDCARD", "filter": "dev-*"}]


@pytest.mark.parametrize(
    ("mutability", "filters", "error"),
    [
        pytest.param("MUTABLE", None, None, id="mutable"),
        pytest.param("IMMUTABLE", None, None, id="immutable"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", WILDCARD, None, id="immutable-with-exclusion"),
        pytest.param("MUTABLE_WITH_EXCLUSION", WILDCARD * 5, None, id="mutable-with-five-exclusions"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", None, "InvalidParameterException", id="exclusion-without-filters"),
        pytest.param("MUTABLE_WITH_EXCLUSION", None, "InvalidParameterException", id="mutable-exclusion-no-filters"),
        pytest.param("MUTABLE", WILDCARD, "InvalidParameterException", id="filters-with-mutable"),
        pytest.param("IMMUTABLE", WILDCARD, "InvalidParameterException", id="filters-with-immutable"),
        pytest.param("MUTABLE_WITH_EXCLUSION", WILDCARD * 6, "InvalidParameterException", id="six-filters"),
        pytest.param(
            "MUTABLE_WITH_EXCLUSION",
            [{"filterType": "WILDCARD", "filter": "dev tag"}],
            "InvalidParameterException",
            id="filter-pattern",
        ),
        pytest.param(
            "MUTABLE_WITH_EXCLUSION",
            [{"filterType": "REGEX", "filter": "dev"}],
            "InvalidParameterException",
            id="filter-type-enum",
        ),
        pytest.param("SOMETIMES", None, "InvalidParameterException", id="mutability-enum"),
    ],
)
def test_create_repository_mutability_rules(
    ecr: Any, mutability: str, filters: list[dict[str, str]] | None, error: str | None
) -> None:
    params: dict[str, Any] = {"repositoryName": "app", "imageTagMutability": mutability}
    if filters is not None:
        params["imageTagMutabilityExclusionFilters"] = filters
    if error is not None:
        with pytest.raises(ClientError) as excinfo:
            ecr.create_repository(**params)
        assert error_of(excinfo)[0] == error
        assert ecr.describe_repositories()["repositories"] == []
        return
    created = ecr.create_repository(**params)["repository"]
    assert created["imageTagMutability"] == mutability
    if filters is None:
        assert "imageTagMutabilityExclusionFilters" not in created
    else:
        assert created["imageTagMutabilityExclusionFilters"] == filters
    assert repository_of(ecr, "app") == created


def test_exclusion_filter_error_text(ecr: Any) -> None:
    # UNCONFIRMED wording (moto's), docs/behaviour/repositories.md#repository-operations CreateRepository.
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE_WITH_EXCLUSION")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
        "'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION'",
    )


@pytest.mark.parametrize("scan_on_push", [True, False])
def test_create_repository_scanning_configuration(ecr: Any, scan_on_push: bool) -> None:
    created = ecr.create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": scan_on_push})[
        "repository"
    ]
    assert created["imageScanningConfiguration"] == {"scanOnPush": scan_on_push}
    assert repository_of(ecr, "app")["imageScanningConfiguration"] == {"scanOnPush": scan_on_push}


CUSTOM_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("configuration", "expected_type", "expected_key"),
    [
        pytest.param(None, "AES256", None, id="default"),
        pytest.param({"encryptionType": "AES256"}, "AES256", None, id="aes256"),
        pytest.param({"encryptionType": "KMS"}, "KMS", KEY_ARN, id="kms-aws-managed-key"),
        pytest.param({"encryptionType": "KMS_DSSE"}, "KMS_DSSE", KEY_ARN, id="kms-dsse-aws-managed-key"),
        pytest.param({"encryptionType": "KMS", "kmsKey": CUSTOM_KEY}, "KMS", CUSTOM_KEY, id="kms-own-key"),
        pytest.param({"encryptionType": "KMS_DSSE", "kmsKey": "alias/mine"}, "KMS_DSSE", "alias/mine", id="alias"),
    ],
)
def test_create_repository_encryption(
    ecr: Any, configuration: dict[str, str] | None, expected_type: str, expected_key: str | re.Pattern[str] | None
) -> None:
    params = {"encryptionConfiguration": configuration} if configuration else {}
    created = ecr.create_repository(repositoryName="app", **params)["repository"]
    encryption = created["encryptionConfiguration"]
    assert encryption["encryptionType"] == expected_type
    if expected_key is None:
        assert "kmsKey" not in encryption
    elif isinstance(expected_key, re.Pattern):
        assert expected_key.fullmatch(encryption["kmsKey"]), encryption
    else:
        assert encryption["kmsKey"] == expected_key
    assert repository_of(ecr, "app")["encryptionConfiguration"] == encryption


def test_aws_managed_key_is_one_key_per_registry(ecr: Any) -> None:
    # The aws/ecr key is one AWS-managed key per account and region (docs/behaviour/repositories.md#encryption).
    first = ecr.create_repository(repositoryName="one", encryptionConfiguration={"encryptionType": "KMS"})
    second = ecr.create_repository(repositoryName="two", encryptionConfiguration={"encryptionType": "KMS_DSSE"})
    key = first["repository"]["encryptionConfiguration"]["kmsKey"]
    assert second["repository"]["encryptionConfiguration"]["kmsKey"] == key


def test_kms_key_with_aes256_is_refused(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(
            repositoryName="app", encryptionConfiguration={"encryptionType": "AES256", "kmsKey": CUSTOM_KEY}
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert ecr.describe_repositories()["repositories"] == []


# --- DescribeRepositories --------------------------------------------------------------------------


def test_describe_repositories_by_name_and_all(ecr: Any) -> None:
    for name in ("cc", "a/b", "bb"):
        ecr.create_repository(repositoryName=name)
    everything = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    assert everything == ["cc", "a/b", "bb"]  # creation order
    chosen = ecr.describe_repositories(repositoryNames=["bb", "cc"])["repositories"]
    assert [r["repositoryName"] for r in chosen] == ["bb", "cc"]


def test_describe_unknown_repository(ecr: Any) -> None:
    ecr.create_repository(repositoryName="there")
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(repositoryNames=["there", "missing"])
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_repositories_pages(ecr: Any) -> None:
    names = [f"repo-{n}" for n in range(5)]
    for name in names:
        ecr.create_repository(repositoryName=name)

    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {"maxResults": 2}
    while True:
        page = ecr.describe_repositories(**params)
        pages += 1
        assert len(page["repositories"]) <= 2
        seen += [r["repositoryName"] for r in page["repositories"]]
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    assert (seen, pages) == (names, 3)


def test_describe_repositories_paginator(ecr: Any) -> None:
    names = [f"repo-{n}" for n in range(7)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    paginator = ecr.get_paginator("describe_repositories")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["repositories"]) for p in pages] == [3, 3, 1]
    assert [r["repositoryName"] for p in pages for r in p["repositories"]] == names
    assert paginator.paginate().build_full_result()["repositories"] == [r for p in pages for r in p["repositories"]]


def test_describe_repositories_default_page_is_100(ecr: Any, fake_ecr: FakeEcr) -> None:
    registry = fake_ecr.registry()
    for n in range(101):
        registry.create_repository(f"repo-{n:03}")
    first = ecr.describe_repositories()
    assert len(first["repositories"]) == 100
    rest = ecr.describe_repositories(nextToken=first["nextToken"])
    assert [r["repositoryName"] for r in rest["repositories"]] == ["repo-100"]
    assert "nextToken" not in rest


@pytest.mark.parametrize(
    "paging", [pytest.param({"maxResults": 1}, id="maxResults"), pytest.param({"nextToken": "x"}, id="nextToken")]
)
def test_repository_names_cannot_be_paged(ecr: Any, paging: dict[str, Any]) -> None:
    ecr.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(repositoryNames=["app"], **paging)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_next_token_from_elsewhere_is_refused(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(nextToken="not-a-token-we-gave")
    assert error_of(excinfo)[0] == "InvalidParameterException"


# --- DeleteRepository ------------------------------------------------------------------------------


def test_delete_empty_repository(ecr: Any) -> None:
    created = ecr.create_repository(repositoryName="app")["repository"]
    assert ecr.delete_repository(repositoryName="app")["repository"] == created
    assert ecr.describe_repositories()["repositories"] == []


@pytest.mark.parametrize("tagged", [pytest.param(True, id="tagged"), pytest.param(False, id="untagged-only")])
def test_delete_repository_with_images_needs_force(ecr: Any, fake_ecr: FakeEcr, tagged: bool) -> None:
    ecr.create_repository(repositoryName="app")
    put(ecr, "app", image_manifest(fake_ecr, "app"), "v1" if tagged else None)

    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository(repositoryName="app")
    assert error_of(excinfo) == (
        "RepositoryNotEmptyException",
        f"The repository with name 'app' in registry with id '{ACCOUNT}' cannot be deleted "
        "because it still contains images",
    )
    assert len(ecr.list_images(repositoryName="app")["imageIds"]) == 1

    deleted = ecr.delete_repository(repositoryName="app", force=True)["repository"]
    assert deleted["repositoryName"] == "app"
    assert ecr.describe_repositories()["repositories"] == []


def test_deleted_repository_starts_afresh(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    put(ecr, "app", image_manifest(fake_ecr, "app"), "v1")
    ecr.delete_repository(repositoryName="app", force=True)
    again = ecr.create_repository(repositoryName="app")["repository"]
    assert again["imageTagMutability"] == "MUTABLE"
    assert ecr.list_images(repositoryName="app")["imageIds"] == []


def test_delete_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository(repositoryName="missing", force=True)
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )


# --- PutImageTagMutability / PutImageScanningConfiguration -----------------------------------------


@pytest.mark.parametrize(
    ("mutability", "filters"),
    [
        pytest.param("IMMUTABLE", None, id="immutable"),
        pytest.param("MUTABLE", None, id="mutable"),
        pytest.param("IMMUTABLE_WITH_EXCLUSION", [{"filterType": "WILDCARD", "filter": "latest"}], id="exclusion"),
    ],
)
def test_put_image_tag_mutability(ecr: Any, mutability: str, filters: list[dict[str, str]] | None) -> None:
    ecr.create_repository(
        repositoryName="app", imageTagMutability="MUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=WILDCARD
    )
    params: dict[str, Any] = {"repositoryName": "app", "imageTagMutability": mutability}
    if filters:
        params["imageTagMutabilityExclusionFilters"] = filters
    response = ecr.put_image_tag_mutability(**params)
    response.pop("ResponseMetadata")
    assert response == {"registryId": ACCOUNT, **params}
    described = repository_of(ecr, "app")
    assert described["imageTagMutability"] == mutability
    assert described.get("imageTagMutabilityExclusionFilters") == filters


@pytest.mark.parametrize(
    ("mutability", "filters"),
    [
        pytest.param("IMMUTABLE_WITH_EXCLUSION", None, id="exclusion-without-filters"),
        pytest.param("IMMUTABLE", WILDCARD, id="filters-without-exclusion"),
        pytest.param("BOGUS", None, id="enum"),
    ],
)
def test_put_image_tag_mutability_refusals(ecr: Any, mutability: str, filters: list[dict[str, str]] | None) -> None:
    ecr.create_repository(repositoryName="app")
    params: dict[str, Any] = {"repositoryName": "app", "imageTagMutability": mutability}
    if filters:
        params["imageTagMutabilityExclusionFilters"] = filters
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image_tag_mutability(**params)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert repository_of(ecr, "app")["imageTagMutability"] == "MUTABLE"


def test_put_image_tag_mutability_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image_tag_mutability(repositoryName="missing", imageTagMutability="IMMUTABLE")
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


def test_put_image_scanning_configuration(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    response = ecr.put_image_scanning_configuration(
        repositoryName="app", imageScanningConfiguration={"scanOnPush": True}
    )
    response.pop("ResponseMetadata")
    assert response == {
        "registryId": ACCOUNT,
        "repositoryName": "app",
        "imageScanningConfiguration": {"scanOnPush": True},
    }
    assert repository_of(ecr, "app")["imageScanningConfiguration"] == {"scanOnPush": True}
    ecr.put_image_scanning_configuration(repositoryName="app", imageScanningConfiguration={})
    assert repository_of(ecr, "app")["imageScanningConfiguration"] == {"scanOnPush": False}


def test_put_image_scanning_configuration_unknown_repository(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.put_image_scanning_configuration(repositoryName="missing", imageScanningConfiguration={"scanOnPush": True})
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


# --- registries: other accounts, other regions ------------------------------------------------------


def test_registry_id_selects_another_accounts_registry(ecr: Any, fake_ecr: FakeEcr) -> None:
    created = ecr.create_repository(registryId=OTHER_ACCOUNT, repositoryName="shared")["repository"]
    assert created["registryId"] == OTHER_ACCOUNT
    assert created["repositoryArn"] == f"arn:aws:ecr:us-east-1:{OTHER_ACCOUNT}:repository/shared"
    assert created["repositoryUri"] == f"{fake_ecr.registry_host(OTHER_ACCOUNT, 'us-east-1')}/shared"

    assert ecr.describe_repositories()["repositories"] == []
    assert ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"] == [created]
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(repositoryNames=["shared"])
    assert (
        error_of(excinfo)[1] == f"The repository with name 'shared' does not exist in the registry with id '{ACCOUNT}'"
    )

    ecr.put_image_tag_mutability(registryId=OTHER_ACCOUNT, repositoryName="shared", imageTagMutability="IMMUTABLE")
    assert repository_of(ecr, "shared", registryId=OTHER_ACCOUNT)["imageTagMutability"] == "IMMUTABLE"
    ecr.delete_repository(registryId=OTHER_ACCOUNT, repositoryName="shared")
    assert ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"] == []


def test_state_is_per_region(ecr: Any, fake_ecr: FakeEcr, request: pytest.FixtureRequest) -> None:
    ecr.create_repository(repositoryName="app")
    http = "http" in request.node.callspec.id
    elsewhere = fake_ecr.client(region_name="eu-west-1", http=http)

    assert elsewhere.describe_repositories()["repositories"] == []
    created = elsewhere.create_repository(repositoryName="app")["repository"]
    assert created["repositoryArn"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/app"
    assert created["repositoryUri"] == f"{fake_ecr.registry_host(ACCOUNT, 'eu-west-1')}/app"
    elsewhere.delete_repository(repositoryName="app")
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["app"]
