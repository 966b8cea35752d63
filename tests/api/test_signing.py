"""Managed signing: Put/Get/DeleteSigningConfiguration and DescribeImageSigningStatus
(docs/behaviour/images.md#managed-signing, docs/behaviour/images.md#image-operations,
docs/behaviour/images.md#managed-signing)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import OCI_MANIFEST, Manifest, error_of, image_manifest, put, state_of
from model_gates import needs_operations

pytestmark = needs_operations(
    "PutSigningConfiguration", "GetSigningConfiguration", "DeleteSigningConfiguration", "DescribeImageSigningStatus"
)

ACCOUNT = "123456789012"
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Release"
OTHER_PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/Nightly"
NO_CONFIGURATION = (
    "SigningConfigurationNotFoundException",
    f"Signing configuration does not exist in the registry with id '{ACCOUNT}'",
)


def rule(profile: str = PROFILE, *filters: str) -> dict[str, Any]:
    wire: dict[str, Any] = {"signingProfileArn": profile}
    if filters:
        wire["repositoryFilters"] = [{"filter": f, "filterType": "WILDCARD_MATCH"} for f in filters]
    return wire


def configure(ecr: Any, *rules: dict[str, Any]) -> dict[str, Any]:
    return ecr.put_signing_configuration(signingConfiguration={"rules": list(rules)})  # type: ignore[no-any-return]


def push(ecr: Any, fake_ecr: FakeEcr, repository: str, tag: str = "v1", seed: str = "image") -> Manifest:
    """Create the repository if needed and push an image to it under ``tag``."""
    if repository not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]:
        ecr.create_repository(repositoryName=repository)
    manifest = image_manifest(fake_ecr, repository, seed)
    put(ecr, repository, manifest, tag)
    return manifest


def statuses(ecr: Any, repository: str, **image_id: str) -> list[dict[str, Any]]:
    response = ecr.describe_image_signing_status(repositoryName=repository, imageId=image_id or {"imageTag": "v1"})
    return response["signingStatuses"]  # type: ignore[no-any-return]


def complete(*profiles: str) -> list[dict[str, str]]:
    return [{"signingProfileArn": profile, "status": "COMPLETE"} for profile in profiles]


# --- the configuration -----------------------------------------------------------------------------


def test_a_new_registry_has_no_signing_configuration(ecr: Any, fake_ecr: FakeEcr) -> None:
    for operation in (ecr.get_signing_configuration, ecr.delete_signing_configuration):
        with pytest.raises(ClientError) as excinfo:
            operation()
        assert error_of(excinfo) == NO_CONFIGURATION


def test_put_get_and_delete(ecr: Any) -> None:
    configuration = {"rules": [rule(PROFILE, "myapp/*", "*/production"), rule(OTHER_PROFILE)]}

    put_response = ecr.put_signing_configuration(signingConfiguration=configuration)
    got = ecr.get_signing_configuration()

    assert put_response["signingConfiguration"] == configuration
    assert (got["registryId"], got["signingConfiguration"]) == (ACCOUNT, configuration)

    deleted = ecr.delete_signing_configuration()

    assert (deleted["registryId"], deleted["signingConfiguration"]) == (ACCOUNT, configuration)
    with pytest.raises(ClientError) as excinfo:
        ecr.get_signing_configuration()
    assert error_of(excinfo) == NO_CONFIGURATION


def test_put_replaces_the_whole_configuration(ecr: Any) -> None:
    configure(ecr, rule(PROFILE, "myapp/*"), rule(OTHER_PROFILE))

    configure(ecr)

    assert ecr.get_signing_configuration()["signingConfiguration"] == {"rules": []}


@pytest.mark.parametrize(
    ("configuration", "constraint"),
    [
        pytest.param(
            {"rules": [rule("arn:aws:signer:us-east-1:123456789012:/signing-profiles/x")]},
            "Invalid parameter at 'signingConfiguration.rules.1.signingProfileArn' failed to satisfy constraint: "
            "'must satisfy regular expression "
            "'^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\\/signing-profiles\\/[a-zA-Z0-9_]{2,}$''",
            id="profile-name-too-short",
        ),
        pytest.param(
            {"rules": [rule(PROFILE, "MyApp")]},
            "Invalid parameter at 'signingConfiguration.rules.1.repositoryFilters.1.filter' failed to satisfy "
            "constraint: 'must satisfy regular expression "
            "'^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$''",
            id="upper-case-filter",
        ),
        pytest.param(
            {"rules": [{**rule(PROFILE), "repositoryFilters": [{"filter": "app", "filterType": "PREFIX_MATCH"}]}]},
            "Invalid parameter at 'signingConfiguration.rules.1.repositoryFilters.1.filterType' failed to satisfy "
            "constraint: 'Member must satisfy enum value set: [WILDCARD_MATCH]'",
            id="filter-type",
        ),
    ],
)
def test_an_invalid_configuration_is_refused(
    ecr: Any, fake_ecr: FakeEcr, configuration: dict[str, Any], constraint: str
) -> None:
    configure(ecr, rule(OTHER_PROFILE))
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.put_signing_configuration(signingConfiguration=configuration)

    assert error_of(excinfo) == ("InvalidParameterException", constraint)
    assert state_of(fake_ecr) == before


# --- which images are signed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "repository", "signed"),
    [
        pytest.param((), "anything/at-all", True, id="no-filters-sign-everything"),
        pytest.param(("myapp/*",), "myapp/web", True, id="prefix-glob"),
        pytest.param(("myapp/*",), "myapp", False, id="prefix-glob-needs-the-slash"),
        pytest.param(("myapp/*",), "myapp/web/api", True, id="star-crosses-slashes"),
        pytest.param(("*/production",), "team/production", True, id="suffix-glob"),
        pytest.param(("*/production",), "production", False, id="suffix-glob-needs-the-slash"),
        pytest.param(("*prod*",), "preprod-x", True, id="infix-glob"),
        pytest.param(("app",), "app", True, id="exact-name"),
        pytest.param(("app",), "myapp", False, id="no-glob-no-substring"),
        pytest.param(("web", "*/production"), "team/production", True, id="any-filter-of-the-rule"),
    ],
)
def test_an_image_is_signed_when_a_rule_matches_its_repository(
    ecr: Any, fake_ecr: FakeEcr, filters: tuple[str, ...], repository: str, signed: bool
) -> None:
    configure(ecr, rule(PROFILE, *filters))

    push(ecr, fake_ecr, repository)

    assert statuses(ecr, repository) == (complete(PROFILE) if signed else [])


def test_one_status_per_signing_profile_in_rule_order(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(OTHER_PROFILE, "team/*"), rule(PROFILE, "*/web"), rule(OTHER_PROFILE))

    manifest = push(ecr, fake_ecr, "team/web")

    response = ecr.describe_image_signing_status(repositoryName="team/web", imageId={"imageTag": "v1"})
    response.pop("ResponseMetadata")
    assert response == {
        "repositoryName": "team/web",
        "imageId": {"imageDigest": manifest.digest, "imageTag": "v1"},
        "registryId": ACCOUNT,
        "signingStatuses": complete(OTHER_PROFILE, PROFILE),
    }
    assert statuses(ecr, "team/web", imageDigest=manifest.digest) == complete(OTHER_PROFILE, PROFILE)


def test_signing_happens_at_push_and_signatures_outlive_the_configuration(ecr: Any, fake_ecr: FakeEcr) -> None:
    before_configuration = push(ecr, fake_ecr, "app", "old", seed="old")
    configure(ecr, rule(PROFILE))
    signed = push(ecr, fake_ecr, "app", "new", seed="new")
    # A retag is no new image: it is not signed (docs/behaviour/images.md#image-operations PutImage).
    put(ecr, "app", before_configuration, "retagged")

    ecr.delete_signing_configuration()
    push(ecr, fake_ecr, "app", "after", seed="after")

    assert statuses(ecr, "app", imageTag="old") == []
    assert statuses(ecr, "app", imageTag="retagged") == []
    assert statuses(ecr, "app", imageDigest=signed.digest) == complete(PROFILE)
    assert statuses(ecr, "app", imageTag="after") == []


def test_oci_referrers_are_not_signed(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(PROFILE))
    subject = push(ecr, fake_ecr, "app")
    document = json.loads(image_manifest(fake_ecr, "app", "sbom", image_format="oci").text)
    document["subject"] = subject.descriptor()
    sbom = Manifest(json.dumps(document), OCI_MANIFEST, 0)
    put(ecr, "app", sbom, imageManifestMediaType=OCI_MANIFEST)

    assert statuses(ecr, "app", imageDigest=sbom.digest) == []
    assert statuses(ecr, "app") == complete(PROFILE)


@pytest.mark.parametrize(
    ("repository", "image_id", "code", "message"),
    [
        pytest.param(
            "nope",
            {"imageTag": "v1"},
            "RepositoryNotFoundException",
            f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
            id="no-repository",
        ),
        pytest.param(
            "app",
            {"imageTag": "v9"},
            "ImageNotFoundException",
            "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository "
            f"with name 'app' in the registry with id '{ACCOUNT}'",
            id="no-image",
        ),
    ],
)
def test_signing_status_of_a_missing_image(
    ecr: Any, fake_ecr: FakeEcr, *, repository: str, image_id: dict[str, str], code: str, message: str
) -> None:
    push(ecr, fake_ecr, "app")
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_image_signing_status(repositoryName=repository, imageId=image_id)
    assert error_of(excinfo) == (code, message)
