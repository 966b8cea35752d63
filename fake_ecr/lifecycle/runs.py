"""Lifecycle policies at work: previews (dry runs) and ECR's daily evaluation of stored policies.

Owns turning a repository's images into what ``fake_ecr.lifecycle.policy`` evaluates; recording a
preview on the repository and reading it back (docs/behaviour/lifecycle.md#lifecycle-operations,
docs/behaviour/lifecycle.md#preview); applying every stored policy of a registry
(docs/behaviour/lifecycle.md#evaluation): expiring images together with their OCI referrers
(docs/behaviour/lifecycle.md#evaluation item 7, docs/behaviour/images.md#referrers), moving images to the archive
storage class (docs/behaviour/images.md#archive-storage-class), recording ``lastEvaluatedAt``, then reclaiming blobs
nothing references any more; and deciding when the daily evaluation is due.

Must not import werkzeug, botocore, ``fake_ecr.api`` or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

from fake_ecr import errors
from fake_ecr.lifecycle.policy import (
    ARCHIVE,
    SECONDS_PER_DAY,
    STANDARD,
    LifecycleAction,
    LifecycleImage,
    LifecyclePolicy,
    LifecyclePreviewSummary,
    evaluate_lifecycle_policy,
    parse_lifecycle_policy,
    summarize_lifecycle_actions,
)
from fake_ecr.model import ImageView, Registry, RepositoryRecord
from fake_ecr.model.records import LifecyclePolicyPreview, LifecyclePreviewResult
from fake_ecr.model.registry import LifecycleDecision

#: LifecyclePolicyPreviewStatus values the fake reports.  ``EXPIRED`` (a result no longer kept)
#: is never reported: how long ECR keeps a preview is UNCONFIRMED (docs/behaviour/lifecycle.md#preview,
#: docs/behaviour/index.md#unconfirmed item 7).
IN_PROGRESS = "IN_PROGRESS"
COMPLETE = "COMPLETE"

EXPIRE = "EXPIRE"
TRANSITION = "TRANSITION"

#: ImageStatus -> the storage class lifecycle sees.  An image being restored (ACTIVATING) is
#: still archived until the restore completes (docs/behaviour/images.md#archive-storage-class).
STORAGE_CLASS_BY_IMAGE_STATUS = {"ACTIVE": STANDARD, "ARCHIVED": ARCHIVE, "ACTIVATING": ARCHIVE}


# --- what a policy does to a repository's images ----------------------------------------


def lifecycle_image(view: ImageView) -> LifecycleImage:
    """An image as the evaluator sees it."""
    image = view.image
    return LifecycleImage(
        image_digest=image.image_digest,
        image_tags=view.image_tags,
        image_pushed_at=image.image_pushed_at,
        last_recorded_pull_time=image.last_recorded_pull_time,
        storage_class=STORAGE_CLASS_BY_IMAGE_STATUS[image.image_status],
        last_archived_at=image.last_archived_at,
    )


def lifecycle_actions(policy: LifecyclePolicy, views: Sequence[ImageView], now: float) -> list[LifecycleAction]:
    """What ``policy`` does to these images at ``now`` (docs/behaviour/lifecycle.md#evaluation), both in a preview and
    in a run.

    An image a manifest list references is not expired while the list stays: BatchDeleteImage
    refuses to delete it (ImageReferencedByManifestList, docs/behaviour/images.md#image-operations), and lifecycle is
    taken to keep to the same rule - UNCONFIRMED, ECR's documentation says nothing on it.  Children of a list
    that is expired too do go.
    """
    actions = evaluate_lifecycle_policy(policy, [lifecycle_image(view) for view in views], now)
    parents: dict[str, list[str]] = {}
    for view in views:
        for child in view.image.child_digests:
            parents.setdefault(child, []).append(view.image.image_digest)
    expiring = {action.image_digest for action in actions if action.action_type == EXPIRE}
    while kept := {d for d in expiring if any(parent not in expiring for parent in parents.get(d, ()))}:
        expiring -= kept  # a kept list keeps its children, and theirs (nested indexes)
    return [action for action in actions if action.action_type != EXPIRE or action.image_digest in expiring]


# --- previews (docs/behaviour/lifecycle.md#preview)
# ------------------------------------------------------------------------


def preview_lifecycle_policy(
    registry: Registry, repository_name: str, lifecycle_policy_text: str | None, now: float, delay: float
) -> LifecyclePolicyPreview:
    """StartLifecyclePolicyPreview (docs/behaviour/lifecycle.md#lifecycle-operations): evaluate the text, or the stored
    policy when it is None, over the repository's images at ``now``, and record the preview, complete ``delay`` seconds
    on.

    The preview never changes images and does not touch the stored policy (docs/behaviour/lifecycle.md#preview); it
    keeps the text as submitted.  Raises RepositoryNotFound, LifecyclePolicyNotFound (no text given and
    none stored), InvalidParameter (an invalid text), then LifecyclePolicyPreviewInProgress while
    the previous preview has not completed - that order is UNCONFIRMED.  The images are those at
    the start (UNCONFIRMED: ECR may read them later, while the preview runs).
    """
    stored = registry.repository(repository_name).lifecycle_policy_text
    text = lifecycle_policy_text if lifecycle_policy_text is not None else stored
    if text is None:
        raise errors.LifecyclePolicyNotFound(registry.registry_id, repository_name)
    views = registry.images(repository_name)
    actions = lifecycle_actions(parse_lifecycle_policy(text), views, now)
    by_digest = {view.image.image_digest: view for view in views}
    preview = LifecyclePolicyPreview(
        lifecycle_policy_text=text,
        completes_at=now + delay,
        results=tuple(_preview_result(action, by_digest[action.image_digest]) for action in actions),
    )

    def started(record: RepositoryRecord) -> RepositoryRecord:
        previous = record.lifecycle_policy_preview
        if previous is not None and preview_status(previous, now) == IN_PROGRESS:
            raise errors.LifecyclePolicyPreviewInProgress(registry.registry_id, repository_name)
        return replace(record, lifecycle_policy_preview=preview)

    registry.modify_repository(repository_name, started)
    return preview


def _preview_result(action: LifecycleAction, view: ImageView) -> LifecyclePreviewResult:
    return LifecyclePreviewResult(
        image_digest=action.image_digest,
        image_tags=view.image_tags,
        image_pushed_at=view.image.image_pushed_at,
        action_type=action.action_type,
        target_storage_class=action.target_storage_class,
        applied_rule_priority=action.applied_rule_priority,
        storage_class=STORAGE_CLASS_BY_IMAGE_STATUS[view.image.image_status],
    )


def lifecycle_policy_preview(registry: Registry, repository_name: str) -> LifecyclePolicyPreview:
    """The repository's latest preview; LifecyclePolicyPreviewNotFound when none was started."""
    preview = registry.repository(repository_name).lifecycle_policy_preview
    if preview is None:
        raise errors.LifecyclePolicyPreviewNotFound(registry.registry_id, repository_name)
    return preview


def preview_status(preview: LifecyclePolicyPreview, now: float) -> str:
    return COMPLETE if now >= preview.completes_at else IN_PROGRESS


def preview_summary(preview: LifecyclePolicyPreview) -> LifecyclePreviewSummary:
    """The preview's ``summary``, over all of its results (docs/behaviour/lifecycle.md#preview)."""
    return summarize_lifecycle_actions(
        LifecycleAction(r.image_digest, r.applied_rule_priority, r.action_type, r.target_storage_class)
        for r in preview.results
    )


# --- applying stored policies (docs/behaviour/lifecycle.md#evaluation)
# ------------------------------------------------------


@dataclass(frozen=True)
class LifecycleRun:
    """What one evaluation of a repository's lifecycle policy did; images as they were before.

    ``expired`` holds the images deleted, the OCI referrers of expired subjects included
    (docs/behaviour/images.md#referrers);
    ``transitioned`` the images moved to the archive storage class (docs/behaviour/images.md#archive-storage-class).
    """

    repository_name: str
    evaluated_at: float
    expired: tuple[ImageView, ...]
    transitioned: tuple[ImageView, ...]


def apply_lifecycle_policies(registry: Registry, now: float) -> list[LifecycleRun]:
    """Evaluate the stored lifecycle policy of every repository of ``registry`` at ``now`` and apply it.

    Repositories without a policy are left alone (their ``lastEvaluatedAt`` stays).  When images
    expired, the blobs no image references any more are reclaimed afterwards.
    """
    runs: list[LifecycleRun] = []
    for record in registry.repositories():
        try:
            changes = registry.apply_lifecycle(record.repository_name, partial(_decide, now), now)
        except errors.RepositoryNotFound:
            continue  # deleted since it was listed
        if changes is not None:
            runs.append(LifecycleRun(record.repository_name, now, changes.expired, changes.archived))
    # The blobs of expired images are reclaimed where nothing else references them; blobs another
    # repository's push has just uploaded stay (its manifest has not arrived yet).
    released = {run.repository_name: {d for view in run.expired for d in view.image.blob_digests} for run in runs}
    if any(released.values()):
        registry.collect_garbage(released)
    return runs


def _decide(now: float, record: RepositoryRecord, views: list[ImageView]) -> LifecycleDecision | None:
    if record.lifecycle_policy_text is None:
        return None
    actions = lifecycle_actions(parse_lifecycle_policy(record.lifecycle_policy_text), views, now)
    return (
        [action.image_digest for action in actions if action.action_type == EXPIRE],
        [action.image_digest for action in actions if action.action_type == TRANSITION],
    )


class LifecycleSchedule:
    """When ECR's daily evaluation of lifecycle policies is due on the fake's clock
    (docs/behaviour/lifecycle.md#evaluation item 6).

    The first evaluation is due a day after the schedule starts, each further one a day after
    the previous.  A clock set back before the last evaluation restarts the day there, so tests
    that pin a date in the past still see evaluations a day later.
    """

    def __init__(self, now: float) -> None:
        self._last_evaluation = now

    def due(self, now: float) -> bool:
        """Whether an evaluation is due at ``now``; a due evaluation counts as done from ``now``."""
        # A clock set back before the last evaluation starts the day again from where it stands.
        self._last_evaluation = min(self._last_evaluation, now)
        if now - self._last_evaluation < SECONDS_PER_DAY:
            return False
        self._last_evaluation = now
        return True
