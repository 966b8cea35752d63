"""Resource tags of repositories: TagResource, UntagResource, ListTagsForResource.

Owns the tag rules (key <= 128, value <= 256 characters, at most 50 tags, the
reserved ``aws:`` prefix; docs/behaviour/api.md#validation, docs/behaviour/repositories.md#repository-operations) and
parsing repository ARNs.  CreateRepository applies the same rules through ``merge_tags``.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import Registry, RepositoryRecord

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256


def merge_tags(
    resource_arn: str, existing: Iterable[tuple[str, str]], added: Iterable[Mapping[str, Any]]
) -> tuple[tuple[str, str], ...]:
    """``existing`` with ``added`` set on top (same key overwrites), checked against the tag rules."""
    merged = dict(existing)
    for tag in added:
        key, value = tag.get("Key"), tag.get("Value", "")
        if not isinstance(key, str) or not isinstance(value, str):
            raise errors.InvalidTagParameter("Tag keys and values must be strings")
        if not key or len(key) > MAX_KEY_LENGTH:
            raise errors.InvalidTagParameter(f"Tag key '{key}' must be between 1 and {MAX_KEY_LENGTH} characters")
        if len(value) > MAX_VALUE_LENGTH:
            raise errors.InvalidTagParameter(f"Tag value for key '{key}' exceeds {MAX_VALUE_LENGTH} characters")
        if key.lower().startswith("aws:"):
            # The prefix every AWS service reserves (UNCONFIRMED for ECR,
            # docs/behaviour/repositories.md#repository-operations TagResource).
            raise errors.InvalidTagParameter("Tag keys starting with 'aws:' are reserved for AWS use")
        merged[key] = value
    if len(merged) > MAX_TAGS:
        raise errors.TooManyTags(resource_arn, MAX_TAGS)
    return tuple(merged.items())


def _repository_of(call: Call, resource_arn: str) -> tuple[Registry, str]:
    """The registry and repository a repository ARN of the call's service names (ECR's or ECR Public's form)."""
    repository = call.repository_of_arn(resource_arn)
    if repository is None:
        raise errors.InvalidParameter("resourceArn", "Invalid ARN")  # docs/behaviour/errors.md#messages #20
    account, region, name = repository
    if region != call.caller.region:
        # A repository in another region lives in another registry this endpoint does not serve.
        raise errors.InvalidParameter("resourceArn", "Invalid ARN")
    return call.registry_of(account, region), name


def wire_tags(record: RepositoryRecord) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in record.resource_tags]


@operation("TagResource")
def tag_resource(call: Call, params: Params) -> Response:
    registry, name = _repository_of(call, params["resourceArn"])
    arn = params["resourceArn"]
    registry.modify_repository(
        name, lambda r: replace(r, resource_tags=merge_tags(arn, r.resource_tags, params["tags"]))
    )
    return {}


@operation("UntagResource")
def untag_resource(call: Call, params: Params) -> Response:
    registry, name = _repository_of(call, params["resourceArn"])
    removed = set(params["tagKeys"])
    # Unknown keys are ignored (docs/behaviour/repositories.md#repository-operations UntagResource, inferred).
    registry.modify_repository(
        name, lambda r: replace(r, resource_tags=tuple((k, v) for k, v in r.resource_tags if k not in removed))
    )
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(call: Call, params: Params) -> Response:
    registry, name = _repository_of(call, params["resourceArn"])
    return {"tags": wire_tags(registry.repository(name))}
