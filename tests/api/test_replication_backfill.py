"""Replication backfills: StartReplicationBackfill, StopReplicationBackfill, DescribeReplicationBackfillResults
and ListReplicationBackfills, as a boto3 user sees them (the images already in a registry, copied on the fake's
clock to a destination of its replication configuration)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import operation_names

from api.helpers import OCI_MANIFEST, Manifest, error_of, image_manifest, index_manifest, put, state_of
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

pytestmark = pytest.mark.skipif(
    "StartReplicationBackfill" not in operation_names(),
    reason="the installed botocore's ECR model has no replication backfill operations",
)

#: Another account in the cross-region destination's Region.
SAME_REGION_OTHER_ACCOUNT = {"region": OTHER_REGION, "registryId": OTHER_ACCOUNT}
START = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
#: Settings.replication_backfill_delay of most tests here: ten minutes from start to end.
DELAY = 600
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
UNKNOWN_ID = "0123abcd-0123-4567-89ab-0123456789ab"
with_delay = pytest.mark.fake_ecr(replication_backfill_delay=DELAY)


@pytest.fixture(autouse=True)
def pinned_clock(fake_ecr: FakeEcr) -> None:
    """The clock stands still at START unless a test moves it; the caller's registry exists."""
    fake_ecr.clock.set(START)
    fake_ecr.registry()


# --- helpers -------------------------------------------------------------------------------------------


def start(ecr: Any, destination: dict[str, str]) -> str:
    backfill_id: str = ecr.start_replication_backfill(destination=destination)["replicationBackfillId"]
    return backfill_id


def described(ecr: Any, backfill_id: str, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = ecr.describe_replication_backfill_results(replicationBackfillId=backfill_id, **params)
    response.pop("ResponseMetadata")
    return response


def progress(total: int, completed: int = 0, failed: int = 0, codes: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "totalReplicationCount": total,
        "completedReplicationCount": completed,
        "failedReplicationCount": failed,
        "failureCodes": list(codes),
    }


def result(digest: str, tag: str | None = None, status: str = "COMPLETE", **extra: str) -> dict[str, Any]:
    image_id = {"imageDigest": digest, **({"imageTag": tag} if tag is not None else {})}
    return {"repositoryName": REPO, "imageId": image_id, "status": status, **extra}


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


# --- the life of a backfill ------------------------------------------------------------------------------


@with_delay
def test_a_backfill_is_in_progress_then_complete_with_per_image_results(ecr: Any, fake_ecr: FakeEcr) -> None:
    tagged = pushed(ecr, fake_ecr, "v1", "stable", seed="tagged")
    untagged = pushed(ecr, fake_ecr, seed="untagged")
    configure(ecr, rule(CROSS_REGION))

    started = ecr.start_replication_backfill(destination=CROSS_REGION)
    started.pop("ResponseMetadata")
    backfill_id = started.pop("replicationBackfillId")
    running = described(ecr, backfill_id)
    fake_ecr.clock.advance(seconds=DELAY)
    ended = described(ecr, backfill_id)

    assert UUID.fullmatch(backfill_id)
    assert started == {"registryId": ACCOUNT, "destination": CROSS_REGION, "status": "PREPARING", "startedAt": START}
    assert running == {
        "registryId": ACCOUNT,
        "replicationBackfillId": backfill_id,
        "destination": CROSS_REGION,
        "status": "IN_PROGRESS",
        "progress": progress(3),
        "startedAt": START,
    }
    assert ended == {
        **running,
        "status": "COMPLETE",
        "progress": progress(3, completed=3),
        "endedAt": at(DELAY),
        "results": [
            result(tagged.digest, "v1"),
            result(tagged.digest, "stable"),
            result(untagged.digest),
        ],
    }
    copied = {digest: sorted(tags) for digest, tags in images_in(fake_ecr, CROSS_REGION).items()}
    assert copied == {tagged.digest: ["stable", "v1"], untagged.digest: []}
    statuses = ecr.describe_image_replication_status(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert statuses["replicationStatuses"] == [{**CROSS_REGION, "status": "COMPLETE"}]


@with_delay
def test_replications_fall_due_one_after_another_over_the_delay(ecr: Any, fake_ecr: FakeEcr) -> None:
    manifests = [pushed(ecr, fake_ecr, f"v{n}", seed=f"image{n}") for n in range(4)]
    configure(ecr, rule(CROSS_ACCOUNT))
    backfill_id = start(ecr, CROSS_ACCOUNT)

    seen = []
    for _ in range(4):
        seen.append(
            (described(ecr, backfill_id)["progress"], sorted(images_in(fake_ecr, CROSS_ACCOUNT, missing_ok=True)))
        )
        fake_ecr.clock.advance(seconds=DELAY / 4)

    digests = [m.digest for m in manifests]
    assert seen == [
        (progress(4), []),
        (progress(4, completed=1), sorted(digests[:1])),
        (progress(4, completed=2), sorted(digests[:2])),
        (progress(4, completed=3), sorted(digests[:3])),
    ]
    assert described(ecr, backfill_id)["status"] == "COMPLETE"


@with_delay
def test_moving_the_clock_carries_replications_out_without_a_read(ecr: Any, fake_ecr: FakeEcr) -> None:
    manifest = pushed(ecr, fake_ecr, "v1")
    configure(ecr, rule(CROSS_REGION))
    start(ecr, CROSS_REGION)

    fake_ecr.clock.advance(seconds=DELAY)

    assert images_in(fake_ecr, CROSS_REGION) == {manifest.digest: ["v1"]}


def test_without_a_delay_the_backfill_is_done_at_its_start(ecr: Any, fake_ecr: FakeEcr) -> None:
    manifest = pushed(ecr, fake_ecr, "v1")
    configure(ecr, rule(CROSS_REGION))

    status = ecr.start_replication_backfill(destination=CROSS_REGION)["status"]
    copied = images_in(fake_ecr, CROSS_REGION)
    backfill = ecr.list_replication_backfills()["backfills"][0]

    assert (status, copied) == ("PREPARING", {manifest.digest: ["v1"]})
    assert (backfill["status"], backfill["endedAt"]) == ("COMPLETE", START)


@with_delay
def test_images_pushed_after_configuring_are_replicated_again_harmlessly(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    manifest = pushed(ecr, fake_ecr, "v1")  # replicated on push already
    backfill_id = start(ecr, CROSS_ACCOUNT)

    fake_ecr.clock.advance(seconds=DELAY)

    assert described(ecr, backfill_id)["results"] == [result(manifest.digest, "v1")]
    assert images_in(fake_ecr, CROSS_ACCOUNT) == {manifest.digest: ["v1"]}


# --- what a backfill replicates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repository", "filters", "replicated"),
    [
        pytest.param("team/app", ("team",), True, id="filter-matches"),
        pytest.param("other/app", ("team",), False, id="filter-does-not-match"),
        pytest.param("other/app", (), True, id="no-filter-is-every-repository"),
    ],
)
def test_only_repositories_the_configuration_sends_there(
    ecr: Any, fake_ecr: FakeEcr, repository: str, filters: tuple[str, ...], replicated: bool
) -> None:
    manifest = pushed(ecr, fake_ecr, "v1", repository=repository)
    configure(ecr, rule(CROSS_REGION, filters=filters))

    backfill_id = start(ecr, CROSS_REGION)

    assert described(ecr, backfill_id)["progress"] == progress(int(replicated), completed=int(replicated))
    expected = {manifest.digest: ["v1"]} if replicated else {}
    assert images_in(fake_ecr, CROSS_REGION, repository, missing_ok=True) == expected


def test_a_destination_of_another_rule_gets_only_that_rules_repositories(ecr: Any, fake_ecr: FakeEcr) -> None:
    team = pushed(ecr, fake_ecr, "v1", repository="team/app")
    pushed(ecr, fake_ecr, "v1", repository="other/app")
    configure(ecr, rule(CROSS_REGION, filters=("team",)), rule(CROSS_ACCOUNT))

    start(ecr, CROSS_REGION)

    assert images_in(fake_ecr, CROSS_REGION, "team/app") == {team.digest: ["v1"]}
    assert images_in(fake_ecr, CROSS_REGION, "other/app", missing_ok=True) == {}
    assert images_in(fake_ecr, CROSS_ACCOUNT, "other/app", missing_ok=True) == {}  # no backfill there


def test_the_untagged_images_of_a_list_go_with_it(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO)
    children = [image_manifest(fake_ecr, REPO, f"arch{n}") for n in range(2)]
    for child in children:
        put(ecr, REPO, child)
    index = index_manifest(children)
    put(ecr, REPO, index, "multi")
    configure(ecr, rule(CROSS_ACCOUNT))

    backfill_id = start(ecr, CROSS_ACCOUNT)

    assert described(ecr, backfill_id)["results"] == [result(index.digest, "multi")]
    assert images_in(fake_ecr, CROSS_ACCOUNT) == {
        children[0].digest: [],
        children[1].digest: [],
        index.digest: ["multi"],
    }


def test_archived_images_are_not_backfilled(ecr: Any, fake_ecr: FakeEcr) -> None:
    archived = pushed(ecr, fake_ecr, "old", seed="archived")
    active = pushed(ecr, fake_ecr, "new", seed="active")
    ecr.update_image_storage_class(
        repositoryName=REPO, imageId={"imageDigest": archived.digest}, targetStorageClass="ARCHIVE"
    )
    configure(ecr, rule(CROSS_REGION))

    backfill_id = start(ecr, CROSS_REGION)

    assert described(ecr, backfill_id)["results"] == [result(active.digest, "new")]
    assert images_in(fake_ecr, CROSS_REGION) == {active.digest: ["new"]}


def test_an_immutable_destination_tag_leaves_the_replica_untagged(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO, registryId=OTHER_ACCOUNT, imageTagMutability="IMMUTABLE")
    theirs = image_manifest(fake_ecr, REPO, "theirs", account=OTHER_ACCOUNT)
    put(ecr, REPO, theirs, "v1", registryId=OTHER_ACCOUNT)
    ours = pushed(ecr, fake_ecr, "v1", seed="ours")
    configure(ecr, rule(CROSS_ACCOUNT))

    backfill_id = start(ecr, CROSS_ACCOUNT)

    assert described(ecr, backfill_id)["results"] == [result(ours.digest, "v1")]
    assert images_in(fake_ecr, CROSS_ACCOUNT) == {theirs.digest: ["v1"], ours.digest: []}


def test_what_a_backfill_brings_is_not_replicated_on(ecr: Any, fake_ecr: FakeEcr) -> None:
    onward = {"region": REGION, "registryId": THIRD_ACCOUNT}
    configure(fake_ecr.client(region_name=OTHER_REGION), rule(onward))
    manifest = pushed(ecr, fake_ecr, "v1")
    configure(ecr, rule(CROSS_REGION))

    start(ecr, CROSS_REGION)

    assert images_in(fake_ecr, CROSS_REGION) == {manifest.digest: ["v1"]}
    assert images_in(fake_ecr, onward, missing_ok=True) == {}


@with_delay
def test_an_image_deleted_before_its_turn_fails_and_the_rest_complete(ecr: Any, fake_ecr: FakeEcr) -> None:
    gone = pushed(ecr, fake_ecr, "v1", seed="gone")
    kept = pushed(ecr, fake_ecr, "v2", seed="kept")
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": gone.digest}])

    fake_ecr.clock.advance(seconds=DELAY)
    response = described(ecr, backfill_id)

    failed = result(gone.digest, "v1", "FAILED", failureCode="IMAGE_NOT_FOUND")
    assert (response["status"], response["progress"]) == (
        "COMPLETE",
        progress(2, completed=1, failed=1, codes=("IMAGE_NOT_FOUND",)),
    )
    assert response["results"] == [failed, result(kept.digest, "v2")]
    assert described(ecr, backfill_id, resultStatusFilter="FAILED")["results"] == [failed]
    assert described(ecr, backfill_id, resultStatusFilter="COMPLETE")["results"] == [result(kept.digest, "v2")]
    assert images_in(fake_ecr, CROSS_REGION) == {kept.digest: ["v2"]}


@pytest.mark.parametrize(
    ("deleted", "status", "completed", "ended_after"),
    [
        # Half of the first 100 failed: the backfill fails there, the last 50 are never carried out.
        pytest.param(range(0, 100, 2), "FAILED", 50, 100, id="half-of-the-first-100-failed"),
        # 49 failed of the first 100 and none after: the threshold is never reached.
        pytest.param(range(0, 98, 2), "COMPLETE", 101, 150, id="fewer-than-half-failed"),
        # 60 of the first 60 failed: not judged before 100 were carried out, then 60 of 100 is over half.
        pytest.param(range(60), "FAILED", 40, 100, id="judged-only-after-100"),
    ],
)
@with_delay
def test_a_backfill_fails_once_half_of_at_least_100_replications_failed(
    ecr: Any, fake_ecr: FakeEcr, *, deleted: range, status: str, completed: int, ended_after: int
) -> None:
    # 150 images over the same blobs; some are deleted before their turn.
    ecr.create_repository(repositoryName=REPO)
    document = json.loads(image_manifest(fake_ecr, REPO, image_format="oci").text)
    digests = []
    for n in range(150):
        manifest = Manifest(json.dumps({**document, "annotations": {"n": str(n)}}), OCI_MANIFEST, 0)
        put(ecr, REPO, manifest)
        digests.append(manifest.digest)
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": digests[n]} for n in deleted])

    fake_ecr.clock.advance(seconds=DELAY)
    response = described(ecr, backfill_id, maxResults=1000)

    assert response["status"] == status
    assert response.get("failureCode") == ("REPLICATION_FAILURE_THRESHOLD_EXCEEDED" if status == "FAILED" else None)
    assert response["progress"] == progress(150, completed=completed, failed=len(deleted), codes=("IMAGE_NOT_FOUND",))
    assert response["endedAt"] == at(DELAY * ended_after / 150)
    assert [r["imageId"]["imageDigest"] for r in response["results"]] == digests[:ended_after]
    assert len(images_in(fake_ecr, CROSS_REGION)) == completed


# --- stopping ----------------------------------------------------------------------------------------------


@with_delay
def test_stop_while_running_keeps_what_was_replicated(ecr: Any, fake_ecr: FakeEcr) -> None:
    manifests = [pushed(ecr, fake_ecr, f"v{n}", seed=f"image{n}") for n in range(4)]
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)
    fake_ecr.clock.advance(seconds=DELAY / 2)

    stopped = ecr.stop_replication_backfill(replicationBackfillId=backfill_id)
    stopped.pop("ResponseMetadata")
    fake_ecr.clock.advance(seconds=DELAY)
    response = described(ecr, backfill_id)

    assert stopped == {
        "registryId": ACCOUNT,
        "replicationBackfillId": backfill_id,
        "destination": CROSS_REGION,
        "status": "STOPPING",
        "startedAt": START,
    }
    assert (response["status"], response["endedAt"], response["progress"]) == (
        "STOPPED",
        at(DELAY / 2),
        progress(4, completed=2),
    )
    assert response["results"] == [result(manifests[0].digest, "v0"), result(manifests[1].digest, "v1")]
    assert images_in(fake_ecr, CROSS_REGION) == {manifests[0].digest: ["v0"], manifests[1].digest: ["v1"]}


@pytest.mark.parametrize(
    ("end", "status"),
    [
        pytest.param(lambda ecr, fake, backfill_id: fake.clock.advance(seconds=DELAY), "COMPLETE", id="complete"),
        pytest.param(
            lambda ecr, fake, backfill_id: ecr.stop_replication_backfill(replicationBackfillId=backfill_id),
            "STOPPED",
            id="stopped",
        ),
    ],
)
@with_delay
def test_an_ended_backfill_cannot_be_stopped(ecr: Any, fake_ecr: FakeEcr, end: Any, status: str) -> None:
    pushed(ecr, fake_ecr, "v1")
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)
    end(ecr, fake_ecr, backfill_id)
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.stop_replication_backfill(replicationBackfillId=backfill_id)

    assert error_of(excinfo) == (
        "ReplicationBackfillInvalidStatusException",
        f"The replication backfill with id '{backfill_id}' in the registry with id '{ACCOUNT}' "
        f"cannot be stopped because its status is {status}",
    )
    assert state_of(fake_ecr) == before


# --- one at a time per destination Region -----------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(CROSS_REGION, id="same-destination"),
        pytest.param(SAME_REGION_OTHER_ACCOUNT, id="other-account-same-region"),
    ],
)
@with_delay
def test_a_second_backfill_to_a_region_in_progress_is_refused(
    ecr: Any, fake_ecr: FakeEcr, second: dict[str, str]
) -> None:
    configure(ecr, rule(CROSS_REGION, SAME_REGION_OTHER_ACCOUNT))
    start(ecr, CROSS_REGION)
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        start(ecr, second)

    assert error_of(excinfo) == (
        "ReplicationBackfillInProgressException",
        f"A replication backfill is already in progress for the destination Region '{OTHER_REGION}' "
        f"in the registry with id '{ACCOUNT}'",
    )
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    "free_the_region",
    [
        pytest.param(lambda ecr, fake, backfill_id: fake.clock.advance(seconds=DELAY), id="after-it-completes"),
        pytest.param(
            lambda ecr, fake, backfill_id: ecr.stop_replication_backfill(replicationBackfillId=backfill_id),
            id="after-it-is-stopped",
        ),
    ],
)
@with_delay
def test_a_region_takes_a_new_backfill_once_the_last_ended(ecr: Any, fake_ecr: FakeEcr, free_the_region: Any) -> None:
    configure(ecr, rule(CROSS_REGION, CROSS_ACCOUNT))
    first = start(ecr, CROSS_REGION)
    start(ecr, CROSS_ACCOUNT)  # another Region meanwhile
    free_the_region(ecr, fake_ecr, first)

    second = start(ecr, CROSS_REGION)

    assert second != first
    assert [b["status"] for b in ecr.list_replication_backfills()["backfills"]][-1] == "IN_PROGRESS"


@with_delay
def test_a_registry_has_at_most_ten_backfills_in_progress(ecr: Any, fake_ecr: FakeEcr) -> None:
    regions = [f"eu-test-{n}" for n in range(11)]
    configure(ecr, rule(*({"region": region, "registryId": ACCOUNT} for region in regions)))
    for region in regions[:10]:
        start(ecr, {"region": region, "registryId": ACCOUNT})
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        start(ecr, {"region": regions[10], "registryId": ACCOUNT})

    assert error_of(excinfo) == (
        "LimitExceededException",
        f"The registry with id '{ACCOUNT}' already has 10 replication backfills in progress, "
        "the most a registry can have at once",
    )
    assert state_of(fake_ecr) == before


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "destination"),
    [
        pytest.param(None, CROSS_REGION, id="no-configuration"),
        pytest.param(CROSS_ACCOUNT, CROSS_REGION, id="another-destination-configured"),
        pytest.param(CROSS_ACCOUNT, {"region": REGION, "registryId": ACCOUNT}, id="the-source-registry"),
    ],
)
def test_a_destination_not_in_the_configuration_is_refused(
    ecr: Any, fake_ecr: FakeEcr, configured: dict[str, str] | None, destination: dict[str, str]
) -> None:
    if configured is not None:
        configure(ecr, rule(configured))
    pushed(ecr, fake_ecr, "v1")
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        start(ecr, destination)

    assert error_of(excinfo) == (
        "ValidationException",
        f"The destination with region '{destination['region']}' and registry id '{destination['registryId']}' "
        f"is not in the replication configuration of the registry with id '{ACCOUNT}'",
    )
    assert state_of(fake_ecr) == before


#: (operation, parameters without registryId) of each backfill operation.
BACKFILL_CALLS = [
    pytest.param("start_replication_backfill", {"destination": CROSS_REGION}, id="start"),
    pytest.param("stop_replication_backfill", {"replicationBackfillId": UNKNOWN_ID}, id="stop"),
    pytest.param("describe_replication_backfill_results", {"replicationBackfillId": UNKNOWN_ID}, id="describe"),
    pytest.param("list_replication_backfills", {}, id="list"),
]


@pytest.mark.parametrize(("operation", "params"), BACKFILL_CALLS)
def test_another_accounts_registry_is_refused(ecr: Any, operation: str, params: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(registryId=OTHER_ACCOUNT, **params)

    assert error_of(excinfo) == (
        "ValidationException",
        "Replication backfills can only be managed in the caller's own registry: the registry with id "
        f"'{OTHER_ACCOUNT}' does not belong to the account '{ACCOUNT}'",
    )


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        pytest.param(
            "start_replication_backfill",
            {"destination": {"region": "EU-WEST-1", "registryId": ACCOUNT}},
            "Invalid parameter at 'destination.region' failed to satisfy constraint: "
            "'must satisfy regular expression '[0-9a-z-]{2,25}''",
            id="start-region-upper-case",
        ),
        pytest.param(
            "stop_replication_backfill",
            {"replicationBackfillId": "not-a-backfill-id"},
            "Invalid parameter at 'replicationBackfillId' failed to satisfy constraint: 'must satisfy regular "
            "expression '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}''",
            id="stop-malformed-id",
        ),
        pytest.param(
            "describe_replication_backfill_results",
            {"replicationBackfillId": UNKNOWN_ID, "maxResults": 1001},
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000",
            id="describe-max-results-over-1000",
        ),
        pytest.param(
            "list_replication_backfills",
            {"maxResults": 51},
            "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 50",
            id="list-max-results-over-50",
        ),
        pytest.param(
            "list_replication_backfills",
            {"nextToken": "not-a-token"},
            "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
            id="list-foreign-token",
        ),
    ],
)
def test_invalid_parameters_are_refused(ecr: Any, operation: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(**params)

    assert error_of(excinfo) == ("InvalidParameterException", message)


@pytest.mark.parametrize(
    "operation", ["stop_replication_backfill", "describe_replication_backfill_results"], ids=["stop", "describe"]
)
def test_an_unknown_backfill_id_is_not_found(ecr: Any, fake_ecr: FakeEcr, operation: str) -> None:
    configure(ecr, rule(CROSS_REGION))
    start(ecr, CROSS_REGION)

    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(replicationBackfillId=UNKNOWN_ID)

    assert error_of(excinfo) == (
        "ReplicationBackfillNotFoundException",
        f"The replication backfill with id '{UNKNOWN_ID}' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_backfills_belong_to_their_region(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_ACCOUNT))
    backfill_id = start(ecr, CROSS_ACCOUNT)
    elsewhere = fake_ecr.client(region_name=OTHER_REGION)

    with pytest.raises(ClientError) as excinfo:
        elsewhere.describe_replication_backfill_results(replicationBackfillId=backfill_id)

    assert error_of(excinfo)[0] == "ReplicationBackfillNotFoundException"
    assert elsewhere.list_replication_backfills()["backfills"] == []


# --- pagination and listing ----------------------------------------------------------------------------------


def test_results_paginate(ecr: Any, fake_ecr: FakeEcr) -> None:
    manifests = [pushed(ecr, fake_ecr, f"v{n}", seed=f"image{n}") for n in range(5)]
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)

    pages = []
    params: dict[str, Any] = {"maxResults": 2}
    while True:
        page = described(ecr, backfill_id, **params)
        pages.append([r["imageId"]["imageTag"] for r in page["results"]])
        if "nextToken" not in page:
            break
        params["nextToken"] = page["nextToken"]
    paginator = ecr.get_paginator("describe_replication_backfill_results")
    everything = [
        r["imageId"]["imageDigest"]
        for page in paginator.paginate(replicationBackfillId=backfill_id, PaginationConfig={"PageSize": 3})
        for r in page["results"]
    ]

    assert pages == [["v0", "v1"], ["v2", "v3"], ["v4"]]
    assert everything == [m.digest for m in manifests]


@with_delay
def test_results_wait_for_the_end(ecr: Any, fake_ecr: FakeEcr) -> None:
    pushed(ecr, fake_ecr, "v1", seed="first")
    pushed(ecr, fake_ecr, "v2", seed="second")
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)
    fake_ecr.clock.advance(seconds=DELAY - 1)

    response = described(ecr, backfill_id, resultStatusFilter="COMPLETE", maxResults=1)

    assert (response["status"], response["progress"]) == ("IN_PROGRESS", progress(2, completed=1))
    assert "results" not in response
    assert "nextToken" not in response


def test_list_pages_25_backfills_by_default_in_the_order_started(ecr: Any, fake_ecr: FakeEcr) -> None:
    configure(ecr, rule(CROSS_REGION))
    started = []
    for n in range(27):
        fake_ecr.clock.set(at(n))
        started.append(start(ecr, CROSS_REGION))  # no delay: each ends at its start

    first = ecr.list_replication_backfills()
    second = ecr.list_replication_backfills(nextToken=first["nextToken"])
    small = ecr.list_replication_backfills(maxResults=2)
    paginator = ecr.get_paginator("list_replication_backfills")
    everything = [b["replicationBackfillId"] for page in paginator.paginate() for b in page["backfills"]]

    assert [b["replicationBackfillId"] for b in first["backfills"]] == started[:25]
    assert [b["replicationBackfillId"] for b in second["backfills"]] == started[25:]
    assert "nextToken" not in second
    assert [b["replicationBackfillId"] for b in small["backfills"]] == started[:2]
    assert everything == started
    assert first["registryId"] == ACCOUNT
    assert first["backfills"][1] == {
        "replicationBackfillId": started[1],
        "destination": CROSS_REGION,
        "status": "COMPLETE",
        "progress": progress(0),
        "startedAt": at(1),
        "endedAt": at(1),
    }


@pytest.mark.parametrize(
    ("days", "kept"),
    [
        pytest.param(90 - 1 / 86400, True, id="a-second-before-90-days"),
        pytest.param(90, False, id="90-days-after-it-ended"),
    ],
)
def test_ended_backfills_are_kept_for_90_days(ecr: Any, fake_ecr: FakeEcr, days: float, kept: bool) -> None:
    configure(ecr, rule(CROSS_REGION))
    backfill_id = start(ecr, CROSS_REGION)

    fake_ecr.clock.advance(days=days)

    listed = [b["replicationBackfillId"] for b in ecr.list_replication_backfills()["backfills"]]
    assert listed == ([backfill_id] if kept else [])
    if kept:
        assert described(ecr, backfill_id)["status"] == "COMPLETE"
    else:
        with pytest.raises(ClientError) as excinfo:
            described(ecr, backfill_id)
        assert error_of(excinfo)[0] == "ReplicationBackfillNotFoundException"
