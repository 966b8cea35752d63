"""Stored lifecycle policies applied: ``FakeEcr.run_lifecycle()`` and ``Settings.lifecycle_on_clock``
(docs/behaviour/lifecycle.md#evaluation items 6-7, docs/behaviour/images.md#archive-storage-class,
docs/behaviour/images.md#referrers), observed through boto3 and the model's blob store."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.lifecycle.runs import LifecycleRun

from api.helpers import OCI_MANIFEST, Manifest, error_of, image_manifest, index_manifest, put, seed_blob
from api.lifecycle_helpers import DAY, NOW, labels_of, policy, push_aged, rule
from model_gates import needs_members

REPO = "app"
KEEP_ONE = policy(rule(1, "any", "imageCountMoreThan", 1))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


def listed(ecr: Any, **params: Any) -> list[str]:
    """Digests DescribeImages shows (ACTIVE images unless a filter says otherwise)."""
    return [d["imageDigest"] for d in ecr.describe_images(repositoryName=REPO, **params)["imageDetails"]]


def expired(digests: dict[str, str], runs: list[LifecycleRun]) -> list[str]:
    return labels_of(digests, [view.image.image_digest for run in runs for view in run.expired])


def last_evaluated_at(ecr: Any) -> datetime:
    return ecr.get_lifecycle_policy(repositoryName=REPO)["lastEvaluatedAt"]  # type: ignore[no-any-return]


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def test_run_expires_images_with_their_tags(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("A", ["v1", "stable"], 3), ("B", [], 2), ("C", ["v2"], 1)])
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    runs = fake_ecr.run_lifecycle()

    assert [(run.repository_name, run.evaluated_at, run.transitioned) for run in runs] == [(repo, NOW, ())]
    assert expired(digests, runs) == ["A", "B"]
    assert ecr.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": digests["C"], "imageTag": "v2"}]
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "stable"}])
    assert error_of(excinfo)[0] == "ImageNotFoundException"
    # Applied once, the policy finds nothing more to do.
    assert expired(digests, fake_ecr.run_lifecycle()) == []


def test_blobs_only_expired_images_used_are_reclaimed(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    fake_ecr.clock.set(NOW - 2 * DAY)
    old = image_manifest(fake_ecr, repo, "old")
    put(ecr, repo, old, "v1")
    # The new image shares the old one's layer and has a config of its own.
    document = json.loads(old.text)
    config = b'{"architecture":"arm64","os":"linux"}'
    document["config"] = {**document["config"], "digest": seed_blob(fake_ecr, repo, config), "size": len(config)}
    new = Manifest(json.dumps(document), old.media_type, 0)
    fake_ecr.clock.set(NOW - DAY)
    put(ecr, repo, new, "v2")
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    registry = fake_ecr.registry()
    before = registry.stored_bytes
    old_config = json.loads(old.text)["config"]

    fake_ecr.run_lifecycle()

    assert registry.stored_bytes == before - old_config["size"]
    assert registry.blob_info(repo, old_config["digest"]) is None
    for layer in document["layers"]:
        assert registry.blob_info(repo, layer["digest"]) is not None
    assert listed(ecr) == [new.digest]


def test_blobs_a_push_under_way_uploaded_elsewhere_stay(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    # A push to another repository has uploaded its blobs; its manifest has not arrived when the run
    # expires images here.  The run reclaims what its expiry let go, not that push's blobs.
    push_aged(ecr, fake_ecr, repo, [("A", ["v1"], 2), ("B", ["v2"], 1)])
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr.create_repository(repositoryName="other")
    under_way = image_manifest(fake_ecr, "other", "under-way")

    assert [len(run.expired) for run in fake_ecr.run_lifecycle()] == [1]

    put(ecr, "other", under_way, "v1")
    assert [d["imageDigest"] for d in ecr.describe_images(repositoryName="other")["imageDetails"]] == [under_way.digest]


def test_last_evaluated_at_moves_with_each_run(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    ecr.create_repository(repositoryName="no-policy")
    fake_ecr.clock.set(NOW)
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert last_evaluated_at(ecr) == EPOCH

    runs = fake_ecr.run_lifecycle()
    assert last_evaluated_at(ecr) == at(NOW)
    fake_ecr.clock.advance(days=1)
    fake_ecr.run_lifecycle()
    assert last_evaluated_at(ecr) == at(NOW + DAY)
    # A repository without a policy is not evaluated.
    assert [run.repository_name for run in runs] == [repo]


@needs_members("DescribeImagesFilter", "imageStatus")
def test_transition_then_expiry_from_the_archive(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("old", ["v1"], 40), ("new", ["v2"], 1)])
    text = policy(
        rule(1, "any", "sinceImagePushed", 30, action="transition"),
        rule(2, "any", "sinceImageTransitioned", 90, storage_class="archive"),
    )
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)

    runs = fake_ecr.run_lifecycle()

    assert labels_of(digests, [view.image.image_digest for view in runs[0].transitioned]) == ["old"]
    assert listed(ecr) == [digests["new"]]
    [archived] = ecr.describe_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})["imageDetails"]
    assert (archived["imageDigest"], archived["imageStatus"], archived["imageTags"], archived["lastArchivedAt"]) == (
        digests["old"],
        "ARCHIVED",
        ["v1"],
        at(NOW),
    )

    # Archived images stay at least 90 days (docs/behaviour/images.md#archive-storage-class); "more than 90 days" needs
    # one day more.
    fake_ecr.clock.advance(days=90)
    runs = fake_ecr.run_lifecycle()
    assert expired(digests, runs) == []
    assert labels_of(digests, [view.image.image_digest for view in runs[0].transitioned]) == ["new"]
    fake_ecr.clock.advance(days=1)
    ecr.start_lifecycle_policy_preview(repositoryName=repo)
    [result] = ecr.get_lifecycle_policy_preview(repositoryName=repo)["previewResults"]
    assert (result["imageDigest"], result["action"], result["storageClass"]) == (
        digests["old"],
        {"type": "EXPIRE"},
        "ARCHIVE",
    )

    assert expired(digests, fake_ecr.run_lifecycle()) == ["old"]
    assert listed(ecr, filter={"imageStatus": "ANY"}) == [digests["new"]]


def referrer(fake_ecr: FakeEcr, subject: Manifest, seed: str) -> Manifest:
    """An OCI artifact (a signature, say) whose subject is ``subject``."""
    document = json.loads(image_manifest(fake_ecr, REPO, seed, image_format="oci").text)
    document["artifactType"] = "application/vnd.example.signature"
    document["subject"] = subject.descriptor()
    return Manifest(json.dumps(document), OCI_MANIFEST, 0)


def test_expiring_a_subject_expires_its_referrers(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    fake_ecr.clock.set(NOW - 2 * DAY)
    old = image_manifest(fake_ecr, repo, "old", image_format="oci")
    old_signature = referrer(fake_ecr, old, "old-signature")
    signature_attestation = referrer(fake_ecr, old_signature, "attestation")
    for manifest, tag in ((old, "v1"), (old_signature, None), (signature_attestation, None)):
        put(ecr, repo, manifest, tag)
    fake_ecr.clock.set(NOW - DAY)
    new = image_manifest(fake_ecr, repo, "new", image_format="oci")
    new_signature = referrer(fake_ecr, new, "new-signature")
    put(ecr, repo, new, "v2")
    put(ecr, repo, new_signature)
    fake_ecr.clock.set(NOW)
    # Only tagged images are selected: the referrers go because their subject goes (docs/behaviour/images.md#referrers).
    ecr.put_lifecycle_policy(
        repositoryName=repo, lifecyclePolicyText=policy(rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["v"]))
    )

    runs = fake_ecr.run_lifecycle()

    names = {
        "old": old.digest,
        "old-signature": old_signature.digest,
        "attestation": signature_attestation.digest,
        "new": new.digest,
        "new-signature": new_signature.digest,
    }
    assert expired(names, runs) == ["attestation", "old", "old-signature"]
    assert labels_of(names, listed(ecr)) == ["new", "new-signature"]


def test_images_a_manifest_list_references_stay_while_it_does(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    names: dict[str, str] = {}
    for label, age, tag in (("old", 10, "v1"), ("new", 5, "v2")):
        fake_ecr.clock.set(NOW - age * DAY)
        children = [image_manifest(fake_ecr, repo, f"{label}-{arch}") for arch in ("amd64", "arm64")]
        for child, arch in zip(children, ("amd64", "arm64"), strict=True):
            put(ecr, repo, child)
            names[f"{label}-{arch}"] = child.digest
        index = index_manifest(children)
        put(ecr, repo, index, tag)
        names[f"{label}-index"] = index.digest
    fake_ecr.clock.set(NOW)
    text = policy(
        rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["v"]),
        rule(2, "untagged", "sinceImagePushed", 1),
    )
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    ecr.start_lifecycle_policy_preview(repositoryName=repo)
    previewed = ecr.get_lifecycle_policy_preview(repositoryName=repo)["previewResults"]

    runs = fake_ecr.run_lifecycle()

    # The old list goes, so its children may go too; the new list keeps its untagged children.
    assert expired(names, runs) == ["old-amd64", "old-arm64", "old-index"]
    assert labels_of(names, [r["imageDigest"] for r in previewed]) == ["old-amd64", "old-arm64", "old-index"]
    assert labels_of(names, listed(ecr)) == ["new-amd64", "new-arm64", "new-index"]


# --- lifecycle on the fake's clock (docs/behaviour/lifecycle.md#evaluation item 6)
# ----------------------------------------------------

THREE_IMAGES = [("A", ["v1"], 0.02), ("B", ["v2"], 0.01), ("C", ["v3"], 0)]


@pytest.mark.fake_ecr(lifecycle_on_clock=True)
def test_lifecycle_on_clock_runs_once_a_day(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    # push_aged pins the clock in the past: the fake's day starts again there.
    digests = push_aged(ecr, fake_ecr, repo, THREE_IMAGES)
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    fake_ecr.clock.advance(hours=23)
    assert labels_of(digests, listed(ecr)) == ["A", "B", "C"]
    assert last_evaluated_at(ecr) == EPOCH

    fake_ecr.clock.advance(hours=1)
    assert labels_of(digests, listed(ecr)) == ["C"]
    assert last_evaluated_at(ecr) == at(NOW + DAY)

    newest = image_manifest(fake_ecr, repo, "D")
    put(ecr, repo, newest, "v4")
    fake_ecr.clock.advance(hours=23)
    assert listed(ecr) == [digests["C"], newest.digest]
    fake_ecr.clock.advance(days=1)
    assert listed(ecr) == [newest.digest]
    assert last_evaluated_at(ecr) == at(NOW + DAY + 47 * 3600)


def test_clock_alone_applies_nothing_by_default(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, THREE_IMAGES)
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    fake_ecr.clock.advance(days=3)

    assert labels_of(digests, listed(ecr)) == ["A", "B", "C"]
    assert last_evaluated_at(ecr) == EPOCH


@pytest.mark.fake_ecr(lifecycle_on_clock=True)
def test_a_stopped_fake_ignores_its_clock(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    push_aged(ecr, fake_ecr, repo, THREE_IMAGES)
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    fake_ecr.stop()
    try:
        fake_ecr.clock.advance(days=2)
        assert len(fake_ecr.registry().images(repo)) == 3
    finally:
        fake_ecr.start()
