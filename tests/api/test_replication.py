"""Replication (docs/behaviour/images.md#image-operations, docs/behaviour/cross-repository.md#registry-settings,
docs/behaviour/cross-repository.md#replication): PutReplicationConfiguration, DescribeRegistry's configuration, the copy
of every push into the destination registries, and DescribeImageReplicationStatus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import service_model

from api.helpers import error_of, image_manifest, index_manifest, put, state_of
from api.replication_helpers import (
    ACCOUNT,
    CROSS_ACCOUNT,
    CROSS_REGION,
    OTHER_ACCOUNT,
    OTHER_REGION,
    REGION,
    REPO,
    THIRD_ACCOUNT,
    configure,
    images_in,
    pushed,
    rule,
)
from registry.helpers import build_image, logged_in, push_image

#: Rules a configuration may have: the installed model's limit (10 before botocore 1.44, 25 since).
MAX_RULES: int = service_model().shape_for("ReplicationRuleList").metadata["max"]
SAME_AS_SOURCE = (
    "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
    "'Replication destination cannot be the same as the source registry'"
)


@pytest.fixture(autouse=True)
def registry_in_use(fake_ecr: FakeEcr) -> None:
    """The caller's registry exists before a call, so state comparisons see only what the call did."""
    fake_ecr.registry()


def statuses(ecr: Any, image_id: dict[str, str], repository: str = REPO) -> list[dict[str, str]]:
    response = ecr.describe_image_replication_status(repositoryName=repository, imageId=image_id)
    return response["replicationStatuses"]  # type: ignore[no-any-return]


# --- the configuration --------------------------------------------------------------------------------


def test_put_echoes_the_configuration_and_describe_registry_shows_it(ecr: Any) -> None:
    rules = [rule(CROSS_REGION, CROSS_ACCOUNT), rule(CROSS_ACCOUNT, filters=("team", "prod/"))]

    echoed = configure(ecr, *rules)
    registry = ecr.describe_registry()

    assert echoed == {"rules": rules}
    assert (registry["registryId"], registry["replicationConfiguration"]) == (ACCOUNT, {"rules": rules})


def test_put_replaces_the_configuration(ecr: Any) -> None:
    configure(ecr, rule(CROSS_REGION))

    configure(ecr, rule(CROSS_ACCOUNT))

    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": [rule(CROSS_ACCOUNT)]}


def test_no_rules_turn_replication_off(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_REGION))

    assert configure(ecr) == {"rules": []}
    pushed(ecr, fake_ecr, "v1")

    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": []}
    with pytest.raises(ClientError) as excinfo:
        images_in(fake_ecr, CROSS_REGION)
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


def test_the_configuration_belongs_to_the_region(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))

    elsewhere = fake_ecr.client(region_name=OTHER_REGION).describe_registry()

    assert elsewhere["replicationConfiguration"] == {"rules": []}


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        pytest.param([rule({"region": REGION, "registryId": ACCOUNT})], SAME_AS_SOURCE, id="the-source-itself"),
        pytest.param(
            [rule(CROSS_REGION), rule(CROSS_ACCOUNT, {"region": REGION, "registryId": ACCOUNT}, filters=("ab",))],
            SAME_AS_SOURCE,
            id="the-source-in-a-later-rule",
        ),
        pytest.param(
            [
                rule(*({"region": REGION, "registryId": f"{n:012d}"} for n in range(1, 14))),
                rule(*({"region": OTHER_REGION, "registryId": f"{n:012d}"} for n in range(1, 14))),
            ],
            "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
            "'Replication configuration cannot have more than 25 unique destinations'",
            id="26-destinations",
        ),
        pytest.param(
            [rule(CROSS_REGION)] * (MAX_RULES + 1),
            "1 validation error detected: Value '[",
            id="one-rule-too-many",
        ),
        pytest.param(
            [{"destinations": [CROSS_REGION], "repositoryFilters": [{"filter": "team", "filterType": "WILDCARD"}]}],
            "Invalid parameter at 'replicationConfiguration.rules.1.repositoryFilters.1.filterType' failed to "
            "satisfy constraint: 'Member must satisfy enum value set: [PREFIX_MATCH]'",
            id="wildcard-filter",
        ),
        pytest.param(
            [rule({"region": "EU-WEST-1", "registryId": ACCOUNT})],
            "Invalid parameter at 'replicationConfiguration.rules.1.destinations.1.region' failed to satisfy "
            "constraint: 'must satisfy regular expression '[0-9a-z-]{2,25}''",
            id="region-upper-case",
        ),
    ],
)
def test_put_refuses(ecr: Any, fake_ecr: FakeEcr, rules: list[dict[str, Any]], message: str) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        configure(ecr, *rules)

    code, text = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert text.startswith(message)
    assert state_of(fake_ecr) == before


def test_25_unique_destinations_are_allowed(ecr: Any) -> None:
    destinations = [{"region": REGION, "registryId": f"{n:012d}"} for n in range(1, 26)]

    echoed = configure(ecr, rule(*destinations), rule(*destinations[:5], filters=("team",)))

    assert len(echoed["rules"]) == 2


# --- replicating pushes -------------------------------------------------------------------------------


@pytest.mark.parametrize("destination", [CROSS_REGION, CROSS_ACCOUNT], ids=["cross-region", "cross-account"])
def test_a_push_is_copied_to_the_destination(ecr: Any, fake_ecr: FakeEcr, destination: dict[str, str]) -> None:
    configure(ecr, rule(destination))

    manifest = pushed(ecr, fake_ecr, "v1")

    assert images_in(fake_ecr, destination) == {manifest.digest: ["v1"]}
    client = fake_ecr.client(region_name=destination["region"])
    got = client.batch_get_image(
        repositoryName=REPO, registryId=destination["registryId"], imageIds=[{"imageTag": "v1"}]
    )
    assert got["images"][0]["imageManifest"] == manifest.text
    document = json.loads(manifest.text)
    digests = [document["config"]["digest"], *(layer["digest"] for layer in document["layers"])]
    available = client.batch_check_layer_availability(
        repositoryName=REPO, registryId=destination["registryId"], layerDigests=digests
    )
    assert [layer["layerAvailability"] for layer in available["layers"]] == ["AVAILABLE", "AVAILABLE"]


def test_every_destination_of_every_matching_rule(ecr: Any, fake_ecr: FakeEcr) -> None:
    third = {"region": OTHER_REGION, "registryId": THIRD_ACCOUNT}
    configure(ecr, rule(CROSS_REGION, CROSS_ACCOUNT), rule(CROSS_ACCOUNT, third, filters=("team/",)))

    manifest = pushed(ecr, fake_ecr, "v1")

    for destination in (CROSS_REGION, CROSS_ACCOUNT, third):
        assert images_in(fake_ecr, destination) == {manifest.digest: ["v1"]}
    assert statuses(ecr, {"imageTag": "v1"}) == [
        {"region": OTHER_REGION, "registryId": ACCOUNT, "status": "COMPLETE"},
        {"region": REGION, "registryId": OTHER_ACCOUNT, "status": "COMPLETE"},
        {"region": OTHER_REGION, "registryId": THIRD_ACCOUNT, "status": "COMPLETE"},
    ]


@pytest.mark.parametrize(
    ("repository", "replicated"),
    [
        pytest.param("team/app", True, id="under-the-prefix"),
        pytest.param("teamwork", True, id="prefix-of-the-whole-name"),
        pytest.param("team", True, id="the-prefix-itself"),
        pytest.param("other/team", False, id="prefix-elsewhere-in-the-name"),
        pytest.param("te", False, id="shorter-than-the-prefix"),
    ],
)
def test_filters_match_name_prefixes(ecr: Any, fake_ecr: FakeEcr, repository: str, replicated: bool) -> None:
    configure(ecr, rule(CROSS_ACCOUNT, filters=("team",)))

    pushed(ecr, fake_ecr, "v1", repository=repository)

    names = [r["repositoryName"] for r in ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"]]
    assert names == ([repository] if replicated else [])


def test_the_destination_repository_gets_the_defaults(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    ecr.create_repository(
        repositoryName=REPO,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
        tags=[{"Key": "team", "Value": "a"}],
    )

    pushed(ecr, fake_ecr, "v1")

    # Settings and policies are not replicated (docs/behaviour/cross-repository.md#replication).
    repository = ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"][0]
    assert (repository["imageTagMutability"], repository["encryptionConfiguration"]) == (
        "MUTABLE",
        {"encryptionType": "AES256"},
    )
    assert repository["imageScanningConfiguration"] == {"scanOnPush": False}
    assert ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"] == []


def test_the_destination_repository_follows_a_replication_template(ecr: Any, fake_ecr: FakeEcr) -> None:
    destination = fake_ecr.client(region_name=OTHER_REGION)
    destination.create_repository_creation_template(
        prefix="ROOT",
        appliedFor=["REPLICATION"],
        imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "replica", "Value": "yes"}],
        encryptionConfiguration={"encryptionType": "KMS"},
    )
    # More specific, but for another scenario: it does not compete.
    destination.create_repository_creation_template(prefix="team", appliedFor=["PULL_THROUGH_CACHE"])
    configure(ecr, rule(CROSS_REGION))

    pushed(ecr, fake_ecr, "v1")

    repository = destination.describe_repositories()["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert repository["encryptionConfiguration"]["kmsKey"].startswith(f"arn:aws:kms:{OTHER_REGION}:{ACCOUNT}:key/")
    assert destination.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"] == [
        {"Key": "replica", "Value": "yes"}
    ]


def test_a_source_template_does_not_shape_the_destination(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"], imageTagMutability="IMMUTABLE")
    configure(ecr, rule(CROSS_ACCOUNT))

    pushed(ecr, fake_ecr, "v1")

    assert ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"][0]["imageTagMutability"] == "MUTABLE"


def test_an_existing_destination_repository_keeps_its_settings(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    ecr.create_repository(repositoryName=REPO, registryId=OTHER_ACCOUNT, imageTagMutability="IMMUTABLE")

    manifest = pushed(ecr, fake_ecr, "v1")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {manifest.digest: ["v1"]}
    assert ecr.describe_repositories(registryId=OTHER_ACCOUNT)["repositories"][0]["imageTagMutability"] == "IMMUTABLE"


def test_images_pushed_before_the_configuration_stay(ecr: Any, fake_ecr: FakeEcr) -> None:
    before = pushed(ecr, fake_ecr, "old")
    configure(ecr, rule(CROSS_ACCOUNT))

    after = pushed(ecr, fake_ecr, "new", seed="later")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {after.digest: ["new"]}
    assert statuses(ecr, {"imageDigest": before.digest}) == []


def test_a_tag_pushed_again_moves_in_the_destination_too(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    first = pushed(ecr, fake_ecr, "v1", seed="first")

    second = pushed(ecr, fake_ecr, "v1", seed="second")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {first.digest: [], second.digest: ["v1"]}


def test_a_new_tag_on_an_image_is_replicated(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    manifest = pushed(ecr, fake_ecr, "v1")

    put(ecr, REPO, manifest, "stable")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {manifest.digest: ["v1", "stable"]}


def test_an_immutable_destination_tag_leaves_the_replica_untagged(ecr: Any, fake_ecr: FakeEcr) -> None:
    # "If a replicated image's tag already exists in an immutable destination repository, the image is
    # replicated untagged" [UG23:replication] (docs/behaviour/repositories.md#tag-mutability).
    configure(ecr, rule(CROSS_ACCOUNT))
    ecr.create_repository(repositoryName=REPO, registryId=OTHER_ACCOUNT, imageTagMutability="IMMUTABLE")
    first = pushed(ecr, fake_ecr, "v1", seed="first")

    second = pushed(ecr, fake_ecr, "v1", seed="second")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {first.digest: ["v1"], second.digest: []}
    assert images_in(fake_ecr, {"region": REGION, "registryId": ACCOUNT}) == {first.digest: [], second.digest: ["v1"]}


def test_replication_is_one_hop(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_REGION))
    destination = fake_ecr.client(region_name=OTHER_REGION)
    onward = {"region": REGION, "registryId": THIRD_ACCOUNT}
    configure(destination, rule(onward))

    replicated = pushed(ecr, fake_ecr, "v1")
    destination_own = image_manifest(fake_ecr, REPO, "own", region=OTHER_REGION)
    put(destination, REPO, destination_own, "local")

    # What replication brought does not go on; what is pushed there does.
    assert images_in(fake_ecr, onward) == {destination_own.digest: ["local"]}
    assert statuses(destination, {"imageTag": "v1"}) == []
    assert statuses(ecr, {"imageTag": "v1"}) == [{"region": OTHER_REGION, "registryId": ACCOUNT, "status": "COMPLETE"}]
    assert replicated.digest in images_in(fake_ecr, CROSS_REGION)


def test_deletes_are_not_replicated(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    manifest = pushed(ecr, fake_ecr, "v1")

    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": manifest.digest}])
    ecr.delete_repository(repositoryName=REPO)

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {manifest.digest: ["v1"]}


def test_a_replica_stays_pullable_after_the_source_is_gone(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Replicas share the source's stored bytes: deleting the source and collecting its blobs
    # must leave the destination whole.
    configure(ecr, rule(CROSS_REGION))
    pushed_image = fake_ecr.image(files={"app.txt": "replicated"})
    ecr.create_repository(repositoryName=REPO)
    fake_ecr.push(f"{REPO}:v1", pushed_image)

    ecr.delete_repository(repositoryName=REPO, force=True)
    fake_ecr.registry().collect_garbage()

    pulled = fake_ecr.pull(f"{REPO}:v1", region=OTHER_REGION)
    assert [b.data for b in pulled.blobs()] == [b.data for b in pushed_image.blobs()]  # type: ignore[union-attr]


def test_an_index_is_replicated_with_its_children(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO)
    children = [image_manifest(fake_ecr, REPO, f"arch{n}") for n in range(2)]
    for child in children:
        put(ecr, REPO, child)  # pushed untagged before replication was configured
    configure(ecr, rule(CROSS_ACCOUNT))

    index = index_manifest(children)
    put(ecr, REPO, index, "multi")

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {
        children[0].digest: [],
        children[1].digest: [],
        index.digest: ["multi"],
    }


def test_a_registry_push_is_replicated(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    ecr.create_repository(repositoryName=REPO)
    image = build_image("through the registry")

    assert push_image(logged_in(fake_ecr, ecr), REPO, image, "v1").status_code == 201

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {image.digest: ["v1"]}


# --- DescribeImageReplicationStatus ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "by",
    [
        pytest.param(lambda m: {"imageTag": "v1"}, id="tag"),
        pytest.param(lambda m: {"imageDigest": m.digest}, id="digest"),
        pytest.param(lambda m: {"imageDigest": m.digest, "imageTag": "v1"}, id="both"),
    ],
)
def test_replication_status(ecr: Any, fake_ecr: FakeEcr, by: Any) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    manifest = pushed(ecr, fake_ecr, "v1")
    configure(ecr)  # turning replication off leaves what was replicated

    response = ecr.describe_image_replication_status(repositoryName=REPO, imageId=by(manifest))

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "repositoryName": REPO,
        "imageId": {"imageDigest": manifest.digest, **({"imageTag": "v1"} if "imageTag" in by(manifest) else {})},
        "replicationStatuses": [{"region": REGION, "registryId": OTHER_ACCOUNT, "status": "COMPLETE"}],
    }


def test_replication_status_without_replication(ecr: Any, fake_ecr: FakeEcr) -> None:
    pushed(ecr, fake_ecr, "v1")

    assert statuses(ecr, {"imageTag": "v1"}) == []


def test_replication_status_of_a_pushed_again_image_adds_destinations(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    manifest = pushed(ecr, fake_ecr, "v1")
    configure(ecr, rule(CROSS_REGION))

    put(ecr, REPO, manifest, "v2")

    assert statuses(ecr, {"imageTag": "v2"}) == [
        {"region": REGION, "registryId": OTHER_ACCOUNT, "status": "COMPLETE"},
        {"region": OTHER_REGION, "registryId": ACCOUNT, "status": "COMPLETE"},
    ]


@pytest.mark.parametrize(
    ("repository", "image_id", "code", "message"),
    [
        pytest.param(
            REPO,
            {"imageTag": "v9"},
            "ImageNotFoundException",
            f"The image with imageId {{imageDigest:'null', imageTag:'v9'}} does not exist within the repository "
            f"with name '{REPO}' in the registry with id '{ACCOUNT}'",
            id="missing-tag",
        ),
        pytest.param(
            "missing",
            {"imageTag": "v1"},
            "RepositoryNotFoundException",
            f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
            id="missing-repository",
        ),
    ],
)
def test_replication_status_of_a_missing_image(
    ecr: Any, fake_ecr: FakeEcr, *, repository: str, image_id: dict[str, str], code: str, message: str
) -> None:
    pushed(ecr, fake_ecr, "v1")

    with pytest.raises(ClientError) as excinfo:
        ecr.describe_image_replication_status(repositoryName=repository, imageId=image_id)

    assert error_of(excinfo) == (code, message)
