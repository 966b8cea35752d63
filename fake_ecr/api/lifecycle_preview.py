"""Lifecycle policy previews: StartLifecyclePolicyPreview, GetLifecyclePolicyPreview
(docs/behaviour/lifecycle.md#lifecycle-operations, docs/behaviour/lifecycle.md#preview).

Owns these operations' request rules and wire shapes.  Running the preview and keeping it are
``fake_ecr.lifecycle.runs``'s; the stored policy itself is ``lifecycle_policies``'s.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.lifecycle.runs import (
    COMPLETE,
    IN_PROGRESS,
    lifecycle_policy_preview,
    preview_lifecycle_policy,
    preview_status,
    preview_summary,
)
from fake_ecr.model.records import LifecyclePolicyPreview, LifecyclePreviewResult

#: filter.tagStatus -> which preview results it keeps (docs/behaviour/lifecycle.md#lifecycle-operations
#: GetLifecyclePolicyPreview).
_TAG_STATUS_SELECTIONS: Mapping[str, Callable[[LifecyclePreviewResult], bool]] = {
    "ANY": lambda result: True,
    "TAGGED": lambda result: bool(result.image_tags),
    "UNTAGGED": lambda result: not result.image_tags,
}


def _echo(call: Call, params: Params, preview: LifecyclePolicyPreview, status: str) -> Response:
    return {
        "registryId": call.registry(params).registry_id,
        "repositoryName": params["repositoryName"],
        "lifecyclePolicyText": preview.lifecycle_policy_text,
        "status": status,
    }


@operation("StartLifecyclePolicyPreview")
def start_lifecycle_policy_preview(call: Call, params: Params) -> Response:
    preview = preview_lifecycle_policy(
        call.registry(params),
        params["repositoryName"],
        params.get("lifecyclePolicyText"),
        call.now,
        call.fake.settings.lifecycle_preview_delay,
    )
    # Always IN_PROGRESS, even when the preview is done at once: ECR answers before it runs
    # [CLI:start-lifecycle-policy-preview]; the text comes back as submitted (docs/behaviour/lifecycle.md#preview).
    return _echo(call, params, preview, IN_PROGRESS)


def _matches_an_id(result: LifecyclePreviewResult, image_ids: list[dict[str, str]]) -> bool:
    """Whether an id names the result's image: by digest, by tag, or by both (which must agree)."""
    return any(
        bool(image_id)
        and image_id.get("imageDigest", result.image_digest) == result.image_digest
        and ("imageTag" not in image_id or image_id["imageTag"] in result.image_tags)
        for image_id in image_ids
    )


def _preview_result(result: LifecyclePreviewResult) -> dict[str, Any]:
    """The LifecyclePolicyPreviewResult shape; an untagged image carries no imageTags (as in ImageDetail)."""
    action = {"type": result.action_type}
    if result.target_storage_class is not None:
        action["targetStorageClass"] = result.target_storage_class
    wire: dict[str, Any] = {
        "imageDigest": result.image_digest,
        "imagePushedAt": result.image_pushed_at,
        "action": action,
        "appliedRulePriority": result.applied_rule_priority,
        "storageClass": result.storage_class,
    }
    if result.image_tags:
        wire["imageTags"] = list(result.image_tags)
    return wire


def _summary(preview: LifecyclePolicyPreview) -> dict[str, Any]:
    summary = preview_summary(preview)
    wire: dict[str, Any] = {"expiringImageTotalCount": summary.expiring_image_total_count}
    if summary.transitioning_image_total_counts:
        # Only when something transitions [CLI:get-lifecycle-policy-preview] (docs/behaviour/lifecycle.md#preview).
        wire["transitioningImageTotalCounts"] = [
            {"targetStorageClass": target, "imageTotalCount": count}
            for target, count in summary.transitioning_image_total_counts
        ]
    return wire


@operation("GetLifecyclePolicyPreview")
def get_lifecycle_policy_preview(call: Call, params: Params) -> Response:
    if "imageIds" in params:
        render.refuse_paging_with(params, "imageIds")  # as DescribeImages (docs/behaviour/api.md#pagination, [M:doc])
    preview = lifecycle_policy_preview(call.registry(params), params["repositoryName"])
    status = preview_status(preview, call.now)
    response = _echo(call, params, preview, status)
    if status != COMPLETE:
        return response  # results and summary only once there are some (UNCONFIRMED)
    selects = _TAG_STATUS_SELECTIONS[(params.get("filter") or {}).get("tagStatus", "ANY")]
    results = [r for r in preview.results if selects(r)]
    if "imageIds" in params:
        # Ids narrow the results to those images; an id of an image the preview does not act on
        # (or that does not exist) simply matches nothing - UNCONFIRMED.
        response["previewResults"] = [_preview_result(r) for r in results if _matches_an_id(r, params["imageIds"])]
    else:
        response.update(render.page("GetLifecyclePolicyPreview", params, "previewResults", results, _preview_result))
    # The summary counts the whole preview, whatever the page, ids or filter (UNCONFIRMED).
    response["summary"] = _summary(preview)
    return response
