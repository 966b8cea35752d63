"""Replication of deletes: a replication rule's ``deleteReplication``, as PutReplicationConfiguration and
DescribeRegistry show it, and the image deletions and tag removals it carries to the rule's destinations
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-delete.html), as a boto3 user sees them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import Manifest, image_manifest, index_manifest, put
from api.lifecycle_helpers import policy
from api.lifecycle_helpers import rule as lifecycle_rule
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
from model_gates import needs_members
from registry.helpers import logged_in

pytestmark = needs_members("ReplicationRule", "deleteReplication")

SOURCE = {"region": REGION, "registryId": ACCOUNT}
ENABLED = {"enabled": True}
DISABLED = {"enabled": False}
#: Keeps the newest image of a repository, expires the others.
KEEP_NEWEST = policy(lifecycle_rule(1, "any", "imageCountMoreThan", 1))

#: Something a user does to the source's image (tagged v1 and stable) through boto3 or the registry.
Action = Callable[[Any, FakeEcr, Manifest], None]


@pytest.fixture(autouse=True)
def pinned_clock(fake_ecr: FakeEcr) -> None:
    """The clock stands still unless a test moves it; the caller's registry exists."""
    fake_ecr.clock.set(datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc))
    fake_ecr.registry()


def batch_delete(*image_ids: dict[str, str]) -> Action:
    def act(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
        ids = [{k: v.format(digest=image.digest) for k, v in image_id.items()} for image_id in image_ids]
        response = ecr.batch_delete_image(repositoryName=REPO, imageIds=ids)
        assert response["failures"] == []

    return act


def registry_delete(reference: str) -> Action:
    """DELETE /v2/<name>/manifests/<reference> with ECR's Basic credentials."""

    def act(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
        registry = logged_in(fake_ecr, ecr)
        path = f"/v2/{REPO}/manifests/{reference.format(digest=image.digest)}"
        assert registry.request("DELETE", path).status_code == 202

    return act


def expire_by_lifecycle(ecr: Any, fake_ecr: FakeEcr, image: Manifest) -> None:
    """A newer image pushed, then a lifecycle policy that keeps only the newest applied."""
    fake_ecr.clock.advance(seconds=1)
    pushed(ecr, fake_ecr, "v2", seed="newer")
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST)
    assert [run.repository_name for run in fake_ecr.run_lifecycle() if run.expired] == [REPO]


# --- the configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(None, id="unset-is-omitted"),
        pytest.param(ENABLED, id="enabled"),
        pytest.param(DISABLED, id="disabled-is-kept"),
    ],
)
def test_put_echoes_delete_replication_and_describe_registry_shows_it(ecr: Any, delete: dict[str, bool] | None) -> None:
    rules = [rule(CROSS_REGION, delete=delete), rule(CROSS_ACCOUNT, filters=("team",))]

    echoed = configure(ecr, *rules)

    assert echoed == {"rules": rules}
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": rules}


def test_put_replaces_delete_replication(ecr: Any) -> None:
    configure(ecr, rule(CROSS_REGION, delete=ENABLED))

    configure(ecr, rule(CROSS_REGION))

    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": [rule(CROSS_REGION)]}


# --- what is replicated -------------------------------------------------------------------------------

ACTIONS = [
    pytest.param(batch_delete({"imageTag": "v1"}), ["stable"], id="untag-one-of-two-tags"),
    pytest.param(batch_delete({"imageTag": "v1"}, {"imageTag": "stable"}), None, id="untag-the-last-tag"),
    pytest.param(batch_delete({"imageDigest": "{digest}"}), None, id="delete-by-digest"),
    pytest.param(batch_delete({"imageDigest": "{digest}", "imageTag": "v1"}), None, id="delete-by-digest-and-tag"),
    pytest.param(registry_delete("{digest}"), None, id="registry-delete-by-digest"),
    pytest.param(registry_delete("stable"), ["v1"], id="registry-delete-of-one-of-two-tags"),
    pytest.param(expire_by_lifecycle, None, id="lifecycle-expiry"),
]


@pytest.mark.parametrize(("action", "left"), ACTIONS)
def test_a_deletion_is_replicated_when_enabled(
    ecr: Any, fake_ecr: FakeEcr, action: Action, left: list[str] | None
) -> None:
    configure(ecr, rule(CROSS_REGION, CROSS_ACCOUNT, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1", "stable")

    action(ecr, fake_ecr, image)

    # Each destination is left as the source: the image with the tags it kept, or gone.
    for registry in (SOURCE, CROSS_REGION, CROSS_ACCOUNT):
        assert images_in(fake_ecr, registry).get(image.digest) == left


@pytest.mark.parametrize("delete", [pytest.param(None, id="unset"), pytest.param(DISABLED, id="disabled")])
@pytest.mark.parametrize(("action", "left"), ACTIONS)
def test_a_deletion_is_not_replicated_otherwise(
    ecr: Any, fake_ecr: FakeEcr, action: Action, left: list[str] | None, delete: dict[str, bool] | None
) -> None:
    configure(ecr, rule(CROSS_ACCOUNT, delete=delete))
    image = pushed(ecr, fake_ecr, "v1", "stable")

    action(ecr, fake_ecr, image)

    assert images_in(fake_ecr, SOURCE).get(image.digest) == left
    assert images_in(fake_ecr, CROSS_ACCOUNT)[image.digest] == ["v1", "stable"]


@pytest.mark.parametrize(
    ("rules", "deleted_in", "kept_in"),
    [
        pytest.param(
            [rule(CROSS_REGION, delete=ENABLED), rule(CROSS_ACCOUNT)],
            [CROSS_REGION],
            [CROSS_ACCOUNT],
            id="only-to-the-destinations-of-rules-with-it",
        ),
        pytest.param(
            [rule(CROSS_ACCOUNT, delete=DISABLED), rule(CROSS_ACCOUNT, delete=ENABLED)],
            [CROSS_ACCOUNT],
            [],
            id="one-rule-with-it-for-a-shared-destination",
        ),
        pytest.param(
            [
                rule(CROSS_REGION, delete=ENABLED, filters=("prod/",)),
                rule(CROSS_REGION, CROSS_ACCOUNT, delete=DISABLED),
            ],
            [],
            [CROSS_REGION, CROSS_ACCOUNT],
            id="not-for-repositories-the-rule-filters-out",
        ),
        pytest.param(
            [rule(CROSS_REGION, delete=ENABLED, filters=("team",)), rule(CROSS_ACCOUNT)],
            [CROSS_REGION],
            [CROSS_ACCOUNT],
            id="for-repositories-the-rule-matches",
        ),
    ],
)
def test_deletions_follow_the_rules_that_enable_them(
    ecr: Any,
    fake_ecr: FakeEcr,
    rules: list[dict[str, Any]],
    deleted_in: list[dict[str, str]],
    kept_in: list[dict[str, str]],
) -> None:
    configure(ecr, *rules)
    image = pushed(ecr, fake_ecr, "v1")

    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": image.digest}])

    assert [images_in(fake_ecr, destination) for destination in deleted_in] == [{} for _ in deleted_in]
    assert [images_in(fake_ecr, destination) for destination in kept_in] == [{image.digest: ["v1"]} for _ in kept_in]


def test_an_index_and_its_images_expire_everywhere(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Lifecycle expires the images of an expired manifest list with it; in the destination the list has
    # to go before the images it lists.
    configure(ecr, rule(CROSS_ACCOUNT, delete=ENABLED))
    ecr.create_repository(repositoryName=REPO)
    children = [image_manifest(fake_ecr, REPO, f"arch{n}") for n in range(2)]
    for child in children:
        put(ecr, REPO, child)
    index = index_manifest(children)
    put(ecr, REPO, index, "multi")
    fake_ecr.clock.advance(seconds=1)
    newest = pushed(ecr, fake_ecr, "v2", seed="newest")
    assert len(images_in(fake_ecr, CROSS_ACCOUNT)) == 4

    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST)
    fake_ecr.run_lifecycle()

    assert images_in(fake_ecr, SOURCE) == images_in(fake_ecr, CROSS_ACCOUNT) == {newest.digest: ["v2"]}


# --- what the destination holds -------------------------------------------------------------------------


def test_a_destination_without_the_image_is_left_alone(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_REGION, CROSS_ACCOUNT, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1", "stable")
    fake_ecr.client(region_name=OTHER_REGION).batch_delete_image(
        repositoryName=REPO, imageIds=[{"imageDigest": image.digest}]
    )
    ecr.delete_repository(repositoryName=REPO, registryId=OTHER_ACCOUNT, force=True)

    response = ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}, {"imageTag": "stable"}])

    assert response["failures"] == []
    assert images_in(fake_ecr, CROSS_REGION) == {}
    with pytest.raises(ClientError) as excinfo:
        images_in(fake_ecr, CROSS_ACCOUNT)
    assert excinfo.value.response["Error"]["Code"] == "RepositoryNotFoundException"


def test_a_destination_tag_on_another_image_stays(ecr: Any, fake_ecr: FakeEcr) -> None:
    # The tag is removed from the same image only (best reading: the documentation says "the same tag from
    # the image").
    configure(ecr, rule(CROSS_ACCOUNT, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1", "stable")
    elsewhere = image_manifest(fake_ecr, REPO, "destination's own", account=OTHER_ACCOUNT)
    put(ecr, REPO, elsewhere, "v1", registryId=OTHER_ACCOUNT)

    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {image.digest: ["stable"], elsewhere.digest: ["v1"]}


def test_removing_a_tag_the_destination_image_has_alone_deletes_it_there(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Best reading: the destination removes the tag as ECR removes a tag, so an image losing its last tag goes.
    configure(ecr, rule(CROSS_ACCOUNT, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1", "stable")
    ecr.batch_delete_image(repositoryName=REPO, registryId=OTHER_ACCOUNT, imageIds=[{"imageTag": "stable"}])

    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])

    assert images_in(fake_ecr, SOURCE) == {image.digest: ["stable"]}
    assert images_in(fake_ecr, CROSS_ACCOUNT) == {}


def test_deleting_the_repository_is_not_replicated(ecr: Any, fake_ecr: FakeEcr) -> None:
    # Best reading: the documentation names image deletions and tag removals, not repository deletions.
    configure(ecr, rule(CROSS_ACCOUNT, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1")

    ecr.delete_repository(repositoryName=REPO, force=True)

    assert images_in(fake_ecr, CROSS_ACCOUNT) == {image.digest: ["v1"]}


def test_replicated_deletions_go_one_hop(ecr: Any, fake_ecr: FakeEcr) -> None:
    onward = {"region": REGION, "registryId": THIRD_ACCOUNT}
    destination = fake_ecr.client(region_name=OTHER_REGION)
    configure(destination, rule(onward, delete=ENABLED))
    configure(ecr, rule(CROSS_REGION, delete=ENABLED))
    image = pushed(ecr, fake_ecr, "v1")
    put(destination, REPO, image, "local")  # pushed there too: the destination's own push goes onward

    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": image.digest}])

    assert images_in(fake_ecr, CROSS_REGION) == {}
    assert images_in(fake_ecr, onward) == {image.digest: ["v1", "local"]}
