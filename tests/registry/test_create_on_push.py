"""Create on push (docs/behaviour/cross-repository.md#repository-creation-templates): a push through the registry to a
repository that does not exist creates it when a CREATE_ON_PUSH repository creation template covers its name, with the
template's settings; without one the push fails with NAME_UNKNOWN as before (docs/behaviour/registry.md#push-flow,
docs/behaviour/registry.md#error-codes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_ecr import FakeEcr

from model_gates import needs_enum
from registry.helpers import RegistryClient, build_image, oci_error, push_image, put_manifest

ACCOUNT = "123456789012"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})
LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                "action": {"type": "expire"},
            }
        ]
    }
)
#: Templates for pushes: a client built from a model without the scenario cannot create one.
needs_create_on_push = needs_enum("RCTAppliedFor", "CREATE_ON_PUSH")


def unknown(name: str) -> tuple[str, str]:
    return "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'"


def repository_names(ecr: Any) -> list[str]:
    return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def repository(ecr: Any, name: str) -> dict[str, Any]:
    return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]  # type: ignore[no-any-return]


def template(ecr: Any, prefix: str, *applied_for: str, **settings: Any) -> None:
    ecr.create_repository_creation_template(prefix=prefix, appliedFor=list(applied_for), **settings)


# --- without a template ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "applied_for",
    [pytest.param((), id="no-template"), pytest.param(("REPLICATION", "PULL_THROUGH_CACHE"), id="other-scenarios")],
)
def test_a_push_to_a_missing_repository_fails(ecr: Any, registry: RegistryClient, applied_for: tuple[str, ...]) -> None:
    if applied_for:
        template(ecr, "ROOT", *applied_for)
    image = build_image()

    started = registry.request("POST", "/v2/team/app/blobs/uploads/")
    manifest = put_manifest(registry, "team/app", image, "v1")

    assert (started.status_code, oci_error(started)) == (404, unknown("team/app"))
    assert (manifest.status_code, oci_error(manifest)) == (404, unknown("team/app"))
    assert repository_names(ecr) == []


# --- with a template ------------------------------------------------------------------------------------


@needs_create_on_push
def test_a_push_creates_the_repository(ecr: Any, fake_ecr: FakeEcr, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH")
    image = build_image()

    pushed = push_image(registry, "team/app", image, "v1")

    assert pushed.status_code == 201
    assert repository_names(ecr) == ["team/app"]
    details = ecr.describe_images(repositoryName="team/app")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(image.digest, ["v1"])]
    assert repository(ecr, "team/app")["repositoryUri"] == f"{fake_ecr.registry_host(ACCOUNT, 'us-east-1')}/team/app"


@needs_create_on_push
def test_the_first_request_of_a_push_creates_it(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH")

    started = registry.request("POST", "/v2/team/app/blobs/uploads/")

    assert started.status_code == 202
    assert repository_names(ecr) == ["team/app"]


@needs_create_on_push
def test_a_manifest_put_creates_it_before_its_blobs_are_checked(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH")

    response = put_manifest(registry, "team/app", build_image(), "v1")

    # The repository is there; the manifest still needs its blobs (docs/behaviour/errors.md#messages #24).
    assert (response.status_code, oci_error(response)[0]) == (400, "BLOB_UPLOAD_UNKNOWN")
    assert repository_names(ecr) == ["team/app"]


@needs_create_on_push
def test_the_template_settings_are_applied(ecr: Any, registry: RegistryClient) -> None:
    template(
        ecr,
        "team",
        "CREATE_ON_PUSH",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KEY_ARN},
        resourceTags=[{"Key": "team", "Value": "payments"}],
        repositoryPolicy=POLICY,
        lifecyclePolicy=LIFECYCLE_POLICY,
    )

    assert push_image(registry, "team/app", build_image(), "v1").status_code == 201

    created = repository(ecr, "team/app")
    assert created["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert created["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "latest"}]
    assert created["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": KEY_ARN}
    assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
        {"Key": "team", "Value": "payments"}
    ]
    described = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"][0]
    assert ecr.get_repository_policy(repositoryName="team/app")["policyText"] == described["repositoryPolicy"]
    assert ecr.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"] == described["lifecyclePolicy"]
    # ... and they hold: v1 is immutable now, latest is not.
    again = push_image(registry, "team/app", build_image("other"), "v1")
    assert (again.status_code, oci_error(again)[0]) == (400, "TAG_INVALID")


@needs_create_on_push
def test_kms_without_a_key_uses_the_aws_managed_key(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH", encryptionConfiguration={"encryptionType": "KMS"})
    explicit = ecr.create_repository(repositoryName="made/by-hand", encryptionConfiguration={"encryptionType": "KMS"})

    push_image(registry, "team/app", build_image(), "v1")

    # The registry's one aws/ecr key, as CreateRepository uses (docs/behaviour/repositories.md#encryption).
    assert repository(ecr, "team/app")["encryptionConfiguration"] == explicit["repository"]["encryptionConfiguration"]


@needs_create_on_push
@pytest.mark.parametrize(
    ("name", "mutability"),
    [
        pytest.param("team/app", "IMMUTABLE", id="team"),
        pytest.param("team/app/api", "IMMUTABLE_WITH_EXCLUSION", id="longest-prefix-wins"),
        pytest.param("team/application", "IMMUTABLE", id="prefix-is-a-namespace"),
        pytest.param("team", "MUTABLE", id="the-namespace-itself-is-root"),
        pytest.param("teamwork/app", "MUTABLE", id="longer-first-component-is-root"),
        pytest.param("other", "MUTABLE", id="root-fallback"),
    ],
)
def test_the_most_specific_template_applies(ecr: Any, registry: RegistryClient, name: str, mutability: str) -> None:
    # Created in no particular order: specificity decides, not order.
    template(
        ecr,
        "team/app/",
        "CREATE_ON_PUSH",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}],
    )
    template(ecr, "team/", "CREATE_ON_PUSH", imageTagMutability="IMMUTABLE")
    template(ecr, "ROOT", "CREATE_ON_PUSH")
    # More specific still, but not for pushes.
    template(
        ecr,
        "team/app/api",
        "REPLICATION",
        imageTagMutability="MUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "x"}],
    )

    assert push_image(registry, name, build_image(), "v1").status_code == 201

    assert repository(ecr, name)["imageTagMutability"] == mutability


@needs_create_on_push
def test_a_name_no_template_covers_still_fails(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "team", "CREATE_ON_PUSH")

    response = registry.request("POST", "/v2/other/app/blobs/uploads/")

    assert (response.status_code, oci_error(response)) == (404, unknown("other/app"))
    assert repository_names(ecr) == []


@needs_create_on_push
def test_an_existing_repository_is_left_as_it_is(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="team/app")

    assert push_image(registry, "team/app", build_image(), "v1").status_code == 201

    assert repository(ecr, "team/app")["imageTagMutability"] == "MUTABLE"


@needs_create_on_push
def test_a_name_ecr_would_refuse_is_not_created(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH")

    response = registry.request("POST", "/v2/Team/App/blobs/uploads/")

    assert (response.status_code, oci_error(response)[0]) == (404, "NAME_UNKNOWN")
    assert repository_names(ecr) == []


@needs_create_on_push
def test_unauthenticated_pushes_create_nothing(ecr: Any, registry: RegistryClient) -> None:
    template(ecr, "ROOT", "CREATE_ON_PUSH")

    response = registry.anonymous().request("POST", "/v2/team/app/blobs/uploads/")

    assert response.status_code == 401
    assert repository_names(ecr) == []


@needs_create_on_push
def test_put_image_does_not_create_repositories(ecr: Any) -> None:
    # Creation on push is the registry's; PutImage still needs the repository (UNCONFIRMED judgement call).
    template(ecr, "ROOT", "CREATE_ON_PUSH")
    image = build_image()

    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.put_image(repositoryName="team/app", imageManifest=image.manifest.decode(), imageTag="v1")

    assert repository_names(ecr) == []
