"""Replication: every push copied at once into the registries the replication configuration names
(docs/behaviour/cross-repository.md#replication). Replication backfills, too, which copy the images already there on the
fake's clock.

Owns the push and delete listeners that replicate.  ECR replicates an image pushed to a repository that a
rule of the registry's replication configuration applies to into each destination registry (another
region, another account) within about 30 minutes [UG23:replication]; fake-ecr copies it while the
push completes, into the destination (account, region) of the same ``Backend``:

- the destination repository is created if it does not exist, with the settings of the destination
  registry's REPLICATION creation template that covers its name, else with the defaults
  (docs/behaviour/cross-repository.md#replication, docs/behaviour/cross-repository.md#repository-creation-templates);
- the image's blobs (shared with the source registry, not copied: stored blobs never change), then the
  manifests it references (an index's children), then the image itself
  with each of its tags; a tag the destination holds immutably already is not moved: the image is
  stored there untagged [UG23:replication] (docs/behaviour/repositories.md#tag-mutability);
- one hop only: what replication pushes into a registry is not replicated on from there;
- repository settings and policies are not replicated, and images pushed before the configuration stay
  where they are [UG23:replication];
- fake-ecr enforces no policies, so a destination registry's policy need not allow ``ecr:ReplicateImage``.

Each image records the destinations it was copied to, for DescribeImageReplicationStatus.

Deletions replicate only from a rule with ``deleteReplication`` enabled, to that rule's destinations,
for the repositories it applies to (botocore's ECR model, ReplicationRule; "Replicating image deletions
in Amazon ECR", https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-delete.html).  The
delete listener replays them at once, through each destination's own ``delete_images``:

- documented: a tag removed from an image that keeps other tags is removed from that image in each
  destination; an image deleted - by digest, by removing its last tag, or expired by a lifecycle
  policy - is deleted with all its tags in each destination.  BatchDeleteImage and the registry's
  manifest DELETE are the same delete, so both replicate;
- best readings, UNCONFIRMED: a destination tag that names another image than the source's stays; a
  removed tag that is the last one of the image in a destination deletes the image there, as removing
  an image's last tag does; deleting a repository (even with ``force``) is not replicated, nor are its
  images' deletions - the documentation names image deletions and tag removals only; moving a tag by a
  push is no tag removal (the push replicates the move); archiving is no deletion;
- what a destination no longer holds (image, tag, repository) is skipped without an error, and a
  destination image a manifest list there still references stays (ImageReferencedByManifestList);
- one hop only, as pushes: what a replicated deletion removes is not replicated on from there.

Also owns running replication backfills, the way to copy images pushed before the configuration
(StartReplicationBackfill and the calls that read or stop one,
https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-backfill.html): a backfill copies the
registry's existing images that the replication configuration sends to one destination, through the
same copier as pushes.  It is given its replications (each image with each of its tags, or untagged) at
its start, due one after another and evenly spread over ``Settings.replication_backfill_delay`` seconds
on the fake's clock; the due ones are carried out whenever the registry's backfills are read, started or
stopped, and when the fake's clock is moved (``settle_all_backfills``).

Must not import werkzeug, botocore, ``fake_ecr.api`` or ``fake_ecr.registry``.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from fake_ecr import errors
from fake_ecr.model import Backend, Deletion, ImageId, ImageRecord, PutImageResult, Registry
from fake_ecr.model.records import (
    BackfillReplication,
    ReplicationBackfill,
    ReplicationDestination,
    ReplicationRule,
)
from fake_ecr.model.registry import ACTIVE
from fake_ecr.model.repository_creation import REPLICATION, create_repository, template_for


def destinations_for(rules: tuple[ReplicationRule, ...], repository_name: str) -> tuple[ReplicationDestination, ...]:
    """The registries the rules send a repository's images to, each once, in rule order."""
    return tuple(dict.fromkeys(d for rule in rules if rule.applies_to(repository_name) for d in rule.destinations))


def replicate_pushes(backend: Backend) -> None:
    """Make every push into ``backend``'s registries, and every deletion there from a repository that a
    rule with ``deleteReplication`` enabled applies to, replicate as their replication configurations say."""
    _replicator_for(backend)


_REPLICATORS: weakref.WeakKeyDictionary[Backend, _Replicator] = weakref.WeakKeyDictionary()
_REPLICATORS_LOCK = threading.Lock()


def _replicator_for(backend: Backend) -> _Replicator:
    """The copier of ``backend``: made and hooked to its pushes and deletions on first use."""
    with _REPLICATORS_LOCK:
        replicator = _REPLICATORS.get(backend)
        if replicator is None:
            replicator = _REPLICATORS[backend] = _Replicator(backend)
            backend.push_listeners.append(replicator.pushed)
            backend.delete_listeners.append(replicator.deleted)
        return replicator


class _Replicator:
    """The one copier of a backend: its push and delete listeners, and the replications of its backfills."""

    def __init__(self, backend: Backend) -> None:
        # A weak reference: the backends' table holds this object, which must not keep its backend alive.
        self._backend = weakref.ref(backend)
        # Pushes, deletions and backfills replicate with the backend's one lock held, so only one thread
        # is ever inside.
        self._replicating = False

    def pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        if self._replicating:
            return  # a push replication itself makes: one hop only (docs/behaviour/cross-repository.md#replication)
        destinations = destinations_for(registry.settings.replication_rules, repository_name)
        if destinations:
            view = result.view
            self.replicate(registry, repository_name, view.image, view.image_tags, destinations)

    def replicate(
        self,
        registry: Registry,
        repository_name: str,
        image: ImageRecord,
        image_tags: Sequence[str],
        destinations: Sequence[ReplicationDestination],
    ) -> None:
        """Copy the image with these tags (none: untagged) into each destination; call with the lock held."""
        with self._replicating_into(destinations) as targets:
            for target in targets:
                _replicate(registry, target, repository_name, image, image_tags)

        def with_destinations(record: ImageRecord) -> ImageRecord:
            known = dict.fromkeys((*record.replication_destinations, *destinations))
            return replace(record, replication_destinations=tuple(known))

        registry.modify_image(repository_name, ImageId(image.image_digest), with_destinations)

    def deleted(self, registry: Registry, repository_name: str, deletion: Deletion) -> None:
        if self._replicating:
            return  # a deletion replication itself makes: one hop only
        rules = tuple(rule for rule in registry.settings.replication_rules if rule.delete_replication)
        with self._replicating_into(destinations_for(rules, repository_name)) as targets:
            for target in targets:
                _replicate_deletion(target, repository_name, deletion)

    @contextmanager
    def _replicating_into(self, destinations: Sequence[ReplicationDestination]) -> Iterator[Iterator[Registry]]:
        """The destinations' registries, each looked up as the caller comes to it; what the caller writes
        there meanwhile is replication's own, which the listeners do not replicate on (one hop only)."""
        backend = self._backend()
        assert backend is not None, "a registry outlived its backend"
        self._replicating = True
        try:
            yield (backend.registry(d.registry_id, d.region) for d in destinations)
        finally:
            self._replicating = False


def _replicate(
    source: Registry, target: Registry, repository_name: str, image: ImageRecord, image_tags: Sequence[str]
) -> None:
    try:
        target.repository(repository_name)
    except errors.RepositoryNotFound:
        create_repository(target, repository_name, template_for(target.settings, repository_name, REPLICATION))
    held = {held.image.image_digest for held in target.images(repository_name)}
    _copy_contents(source, target, repository_name, image, held)
    for image_tag in image_tags or (None,):
        _put(target, repository_name, image, image_tag)


def _replicate_deletion(target: Registry, repository_name: str, deletion: Deletion) -> None:
    """Remove from the target's repository the tags and images the deletion removed from the source's,
    where the target holds them, as one BatchDeleteImage there."""
    try:
        held = target.images(repository_name)
    except errors.RepositoryNotFound:
        return
    tagged = {tag: view.image.image_digest for view in held for tag in view.image_tags}
    untag = [ImageId(None, tag) for digest, tag in deletion.untagged if tagged.get(tag) == digest]
    gone = {view.image.image_digest for view in deletion.deleted}
    # Newest first: a manifest list goes before the images it lists, which were stored before it and
    # cannot go while it stays (ImageReferencedByManifestList), whatever order the source took them in.
    delete = [ImageId(view.image.image_digest) for view in reversed(held) if view.image.image_digest in gone]
    target.delete_images(repository_name, [*untag, *delete])


def _copy_contents(
    source: Registry, target: Registry, repository_name: str, image: ImageRecord, held: set[str]
) -> None:
    """Copy what the image references that the target lacks: child manifests (with theirs), then blobs."""
    for child_digest in image.child_digests:
        if child_digest not in held:
            child = source.resolve_image(repository_name, ImageId(child_digest)).image
            _copy_contents(source, target, repository_name, child, held)
            _put(target, repository_name, child, None)
            held.add(child_digest)
    for blob_digest in image.blob_digests:
        if target.blob_info(repository_name, blob_digest) is not None:
            continue
        blob = source.open_blob(repository_name, blob_digest)
        info = source.blob_info(repository_name, blob_digest)
        # A pushed image's blobs stay linked in its repository while the image is there, unless
        # PutImage stored it without them (Settings.allow_missing_layers): then the copy lacks them too.
        if blob is not None and info is not None:
            target.adopt_blob(repository_name, blob, info.media_type)


def _put(target: Registry, repository_name: str, image: ImageRecord, image_tag: str | None) -> None:
    def push(tag: str | None) -> None:
        target.put_image(
            repository_name,
            image.image_manifest,
            media_type=image.image_manifest_media_type,
            image_tag=tag,
            repush_is_success=True,
            # The source's blobs were copied first; any it lacks, its own push was allowed to lack.
            require_layers=False,
        )

    try:
        push(image_tag)
    except errors.ImageTagAlreadyExists:
        # the destination's tag is immutable: the image is stored untagged
        # (docs/behaviour/repositories.md#tag-mutability, docs/behaviour/cross-repository.md#replication)
        push(None)


# --- replication backfills ----------------------------------------------------------------------

#: ReplicationBackfillStatus values.  StartReplicationBackfill answers PREPARING ("A newly started
#: replication backfill is returned with a status of PREPARING", botocore's ECR model); fake-ecr picks
#: a backfill's images at its start, so it is IN_PROGRESS from then on.  StopReplicationBackfill answers
#: STOPPING, ECR's status while replications already under way finish; fake-ecr has none under way, so
#: the backfill is STOPPED from then on (best reading, not documented).
PREPARING, IN_PROGRESS, COMPLETE, FAILED, STOPPING, STOPPED = (
    "PREPARING",
    "IN_PROGRESS",
    "COMPLETE",
    "FAILED",
    "STOPPING",
    "STOPPED",
)
#: Backfills a registry can have in progress at once (botocore's ECR model, StartReplicationBackfill).
MAX_BACKFILLS_IN_PROGRESS = 10
#: How long a backfill that ended stays listed and described (botocore's ECR model, ListReplicationBackfills).
BACKFILL_RETENTION_SECONDS = 90 * 86400.0
#: A backfill fails once half or more of its replications failed, counted only after 100 were carried out
#: (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication-backfill.html).
FAILURE_THRESHOLD_MINIMUM = 100
#: Failure codes (plain strings in the model; these names are UNCONFIRMED): a replication whose image
#: (or repository) was deleted before its turn, or was archived meanwhile (not pullable, so not copied);
#: and a backfill that failed by the threshold above.
IMAGE_NOT_FOUND = "IMAGE_NOT_FOUND"
IMAGE_ARCHIVED = "IMAGE_ARCHIVED"
FAILURE_THRESHOLD_EXCEEDED = "REPLICATION_FAILURE_THRESHOLD_EXCEEDED"


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """ReplicationBackfillProgress: how many replications there are, done and failed, and the distinct codes."""

    total: int
    completed: int
    failed: int
    failure_codes: tuple[str, ...]


def backfill_progress(backfill: ReplicationBackfill) -> BackfillProgress:
    done = [r for r in backfill.replications if r.status is not None]
    codes = dict.fromkeys(r.failure_code for r in done if r.failure_code is not None)
    return BackfillProgress(
        total=len(backfill.replications),
        completed=sum(1 for r in done if r.status == COMPLETE),
        failed=sum(1 for r in done if r.status == FAILED),
        failure_codes=tuple(codes),
    )


def backfill_results(backfill: ReplicationBackfill) -> tuple[BackfillReplication, ...]:
    """The replications carried out, in their order; those a stop or a failure cut off have none."""
    return tuple(r for r in backfill.replications if r.status is not None)


def start_backfill(
    backend: Backend, registry: Registry, destination: ReplicationDestination, delay: float
) -> ReplicationBackfill:
    """StartReplicationBackfill: a backfill of the registry's images that the replication configuration
    sends to ``destination``, ending ``delay`` seconds on; due replications are carried out at once.

    Refuses a destination no rule names (ReplicationDestinationNotConfigured), a destination Region with a
    backfill in progress (ReplicationBackfillInProgress), then a registry with its limit of backfills in
    progress (TooManyReplicationBackfills); the order of these checks is UNCONFIRMED.
    """
    with backend.lock:
        backfills = settle_backfills(backend, registry)
        rules = registry.settings.replication_rules
        if destination not in {d for rule in rules for d in rule.destinations}:
            raise errors.ReplicationDestinationNotConfigured(
                registry.registry_id, destination.region, destination.registry_id
            )
        running = [b for b in backfills if b.status == IN_PROGRESS]
        for other in running:
            # One in progress per destination Region, whichever account (botocore's ECR model).
            if other.destination.region == destination.region:
                raise errors.ReplicationBackfillInProgress(
                    registry.registry_id, destination.region, other.replication_backfill_id
                )
        if len(running) >= MAX_BACKFILLS_IN_PROGRESS:
            raise errors.TooManyReplicationBackfills(registry.registry_id, MAX_BACKFILLS_IN_PROGRESS)
        now = backend.clock.now()
        chosen = _backfill_replications(registry, destination)
        completes_at = now + delay
        replications = tuple(
            BackfillReplication(name, digest, tag, completes_at if n == len(chosen) else now + delay * n / len(chosen))
            for n, (name, digest, tag) in enumerate(chosen, start=1)
        )
        backfill = ReplicationBackfill(str(uuid.uuid4()), destination, now, completes_at, replications)
        registry.modify_settings(lambda s: replace(s, replication_backfills=(*s.replication_backfills, backfill)))
        settle_backfills(backend, registry)
        return backfill


def _backfill_replications(
    registry: Registry, destination: ReplicationDestination
) -> list[tuple[str, str, str | None]]:
    """(repository, digest, tag or None) of every replication a backfill to ``destination`` makes.

    Each image and tag combination is one replication, an untagged image one of its own (botocore's ECR
    model, ReplicationBackfillResult).  Best readings, not documented: the images of a manifest list go
    with the list rather than on their own when untagged (the result's ``subImageFailureCodes``); archived
    images are not replicated (they cannot be pulled); repositories and images in the order they were
    created and pushed.
    """
    rules = registry.settings.replication_rules
    chosen: list[tuple[str, str, str | None]] = []
    for repository in registry.repositories():
        name = repository.repository_name
        if destination not in destinations_for(rules, name):
            continue
        views = registry.images(name)
        children = {child for view in views for child in view.image.child_digests}
        for view in views:
            digest = view.image.image_digest
            if view.image.image_status != ACTIVE or (not view.image_tags and digest in children):
                continue
            chosen.extend((name, digest, tag) for tag in view.image_tags or (None,))
    return chosen


def settle_backfills(backend: Backend, registry: Registry) -> tuple[ReplicationBackfill, ...]:
    """Carry out the registry's backfill replications due by now and drop the backfills that ended more
    than 90 days ago; returns the backfills as they now stand, in the order they were started."""
    with backend.lock:
        now = backend.clock.now()
        current = registry.settings.replication_backfills
        settled = tuple(
            _settled(backend, registry, backfill, now)
            for backfill in current
            if backfill.ended_at is None or now < backfill.ended_at + BACKFILL_RETENTION_SECONDS
        )
        if settled != current:
            registry.modify_settings(lambda s: replace(s, replication_backfills=settled))
        return settled


def settle_all_backfills(backend: Backend) -> None:
    """``settle_backfills`` for every registry of the backend that has backfills (the clock moved)."""
    with backend.lock:
        for registry in backend.registries():
            if registry.settings.replication_backfills:
                settle_backfills(backend, registry)


def _settled(backend: Backend, registry: Registry, backfill: ReplicationBackfill, now: float) -> ReplicationBackfill:
    if backfill.status != IN_PROGRESS:
        return backfill
    replications = list(backfill.replications)
    for index, replication in enumerate(replications):
        if replication.status is not None:
            continue
        if replication.due_at > now:
            break  # due in order
        replications[index] = _carried_out(backend, registry, backfill.destination, replication)
        progress = backfill_progress(replace(backfill, replications=tuple(replications)))
        processed = progress.completed + progress.failed
        if processed >= FAILURE_THRESHOLD_MINIMUM and 2 * progress.failed >= processed:
            return replace(
                backfill,
                replications=tuple(replications),
                status=FAILED,
                ended_at=replication.due_at,
                failure_code=FAILURE_THRESHOLD_EXCEEDED,
            )
    settled = replace(backfill, replications=tuple(replications))
    if now >= backfill.completes_at and all(r.status is not None for r in replications):
        # Failures below the threshold still end COMPLETE, with failedReplicationCount telling them
        # (best reading: the documentation defines FAILED by the threshold alone).
        return replace(settled, status=COMPLETE, ended_at=backfill.completes_at)
    return settled


def _carried_out(
    backend: Backend, registry: Registry, destination: ReplicationDestination, replication: BackfillReplication
) -> BackfillReplication:
    """One replication: the image as it is now, with its tag if the tag still names it (else untagged)."""
    try:
        view = registry.resolve_image(replication.repository_name, ImageId(replication.image_digest))
    except (errors.RepositoryNotFound, errors.ImageNotFound):
        return replace(replication, status=FAILED, failure_code=IMAGE_NOT_FOUND)
    if view.image.image_status != ACTIVE:
        return replace(replication, status=FAILED, failure_code=IMAGE_ARCHIVED)
    tags = (replication.image_tag,) if replication.image_tag in view.image_tags else ()
    _replicator_for(backend).replicate(registry, replication.repository_name, view.image, tags, (destination,))
    return replace(replication, status=COMPLETE)


def _find(registry: Registry, backfills: Sequence[ReplicationBackfill], backfill_id: str) -> ReplicationBackfill:
    for backfill in backfills:
        # Ids are matched as ECR writes them (lower-case hex); the pattern admits upper case too.
        if backfill.replication_backfill_id == backfill_id.lower():
            return backfill
    raise errors.ReplicationBackfillNotFound(registry.registry_id, backfill_id)


def backfill_of(backend: Backend, registry: Registry, backfill_id: str) -> ReplicationBackfill:
    """DescribeReplicationBackfillResults: the backfill as it now stands, or ReplicationBackfillNotFound."""
    return _find(registry, settle_backfills(backend, registry), backfill_id)


def stop_backfill(backend: Backend, registry: Registry, backfill_id: str) -> ReplicationBackfill:
    """StopReplicationBackfill: what was replicated stays; the replications not yet due are dropped.

    A backfill that already ended refuses (ReplicationBackfillInvalidStatus): only PREPARING and
    IN_PROGRESS backfills can be stopped (the replication backfill user guide page).
    """
    with backend.lock:
        backfill = backfill_of(backend, registry, backfill_id)
        if backfill.status != IN_PROGRESS:
            raise errors.ReplicationBackfillInvalidStatus(registry.registry_id, backfill_id, backfill.status)
        stopped = replace(backfill, status=STOPPED, ended_at=backend.clock.now())
        registry.modify_settings(
            lambda s: replace(
                s,
                replication_backfills=tuple(
                    stopped if b.replication_backfill_id == stopped.replication_backfill_id else b
                    for b in s.replication_backfills
                ),
            )
        )
        return stopped
