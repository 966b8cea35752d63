"""Lifecycle policies of repositories: PutLifecyclePolicy, GetLifecyclePolicy, DeleteLifecyclePolicy
(docs/behaviour/lifecycle.md#lifecycle-operations).

Owns storing, returning and removing a repository's lifecycle policy text.  Validation and the
compact text ECR keeps come from ``fake_ecr.lifecycle.policy``; evaluating policies (and the previews) is
not done here.  Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace

from fake_ecr import errors
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.lifecycle.policy import normalize_lifecycle_policy_text
from fake_ecr.model import RepositoryRecord

#: ``lastEvaluatedAt`` of a policy never evaluated: the epoch (docs/behaviour/lifecycle.md#lifecycle-operations
#: GetLifecyclePolicy, cloud-custodian/cloud-custodian#9036; `0.0` in [CLI:delete-lifecycle-policy]).
NEVER_EVALUATED = 0.0


def _lifecycle_policy(record: RepositoryRecord) -> Response:
    if record.lifecycle_policy_text is None:
        raise errors.LifecyclePolicyNotFound(record.registry_id, record.repository_name)
    last_evaluated_at = record.lifecycle_last_evaluated_at
    return {
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "lifecyclePolicyText": record.lifecycle_policy_text,
        "lastEvaluatedAt": NEVER_EVALUATED if last_evaluated_at is None else last_evaluated_at,
    }


@operation("PutLifecyclePolicy")
def put_lifecycle_policy(call: Call, params: Params) -> Response:
    # Checked before the repository is looked up (UNCONFIRMED which error comes first).  Replacing
    # a policy keeps the repository's last evaluation time (UNCONFIRMED); deleting it clears it.
    policy_text = normalize_lifecycle_policy_text(params["lifecyclePolicyText"])
    _, record = call.registry(params).modify_repository(
        params["repositoryName"], lambda r: replace(r, lifecycle_policy_text=policy_text)
    )
    return {
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "lifecyclePolicyText": policy_text,
    }


@operation("GetLifecyclePolicy")
def get_lifecycle_policy(call: Call, params: Params) -> Response:
    return _lifecycle_policy(call.registry(params).repository(params["repositoryName"]))


@operation("DeleteLifecyclePolicy")
def delete_lifecycle_policy(call: Call, params: Params) -> Response:
    def without_policy(record: RepositoryRecord) -> RepositoryRecord:
        _lifecycle_policy(record)
        return replace(record, lifecycle_policy_text=None, lifecycle_last_evaluated_at=None)

    old, _ = call.registry(params).modify_repository(params["repositoryName"], without_policy)
    return _lifecycle_policy(old)
