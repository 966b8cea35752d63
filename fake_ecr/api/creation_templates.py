"""Repository creation templates: CreateRepositoryCreationTemplate, DescribeRepositoryCreationTemplates,
UpdateRepositoryCreationTemplate, DeleteRepositoryCreationTemplate
(docs/behaviour/cross-repository.md#repository-creation-templates).

Owns these operations' request rules and the RepositoryCreationTemplate wire shape.  A template's
policies are checked as SetRepositoryPolicy and PutLifecyclePolicy check theirs, and kept in the
layouts ECR stores those in; tags follow the repository tag rules.  Where templates apply (create on
push, replication) is ``fake_ecr.model.repository_creation``'s business.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.policies import REPOSITORY_POLICY, checked_policy, pretty_policy_text
from fake_ecr.api.repositories import check_kms_key, mutability_filters
from fake_ecr.api.tags import MAX_TAGS, merge_tags
from fake_ecr.lifecycle.policy import normalize_lifecycle_policy_text
from fake_ecr.model import RegistrySettings
from fake_ecr.model.records import MUTABLE, RepositoryCreationTemplate
from fake_ecr.model.repository_creation import prefix_key

# --- the members of a template ----------------------------------------------------------------------


def _applied_for(values: Sequence[str]) -> tuple[str, ...]:
    # The model sets no minimum, but a template applied for nothing would never apply (UNCONFIRMED).
    if not values:
        raise errors.InvalidValue("appliedFor", values, "have length greater than or equal to 1")
    return tuple(dict.fromkeys(values))


def _encryption(config: Mapping[str, str]) -> dict[str, Any]:
    # The key must be a full key ARN or empty (the model's pattern): empty names no key.
    encryption_type, kms_key = config["encryptionType"], config.get("kmsKey") or None
    check_kms_key(encryption_type, kms_key)
    return {"encryption_type": encryption_type, "kms_key": kms_key}


def _resource_tags(tags: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    # The template operations know neither InvalidTagParameterException nor TooManyTagsException
    # (botocore's model): a tag the repository rules refuse is an invalid parameter here.
    if len({tag.get("Key") for tag in tags}) > MAX_TAGS:
        raise errors.InvalidValue("resourceTags", tags, f"have length less than or equal to {MAX_TAGS}")
    try:  # the count is checked above, so merge_tags never needs a resource ARN for TooManyTags
        return {"resource_tags": merge_tags("", (), tags)}
    except errors.InvalidTagParameter as error:
        raise errors.InvalidParameter("resourceTags", error.message) from None


def _repository_policy(policy_text: str) -> dict[str, Any]:
    # Empty text is no policy (the model allows 0 characters).
    policy = pretty_policy_text(checked_policy(policy_text, REPOSITORY_POLICY)) if policy_text else None
    return {"repository_policy_text": policy}


def _lifecycle_policy(policy_text: str) -> dict[str, Any]:
    return {"lifecycle_policy_text": normalize_lifecycle_policy_text(policy_text) if policy_text else None}


def _mutability(params: Params) -> dict[str, Any]:
    # Without imageTagMutability a template is MUTABLE, on update as on create [M:doc
    # UpdateRepositoryCreationTemplate.imageTagMutability] (UNCONFIRMED that ECR resets it).
    mutability = params.get("imageTagMutability") or MUTABLE
    return {
        "image_tag_mutability": mutability,
        "image_tag_mutability_exclusion_filters": mutability_filters(
            mutability, params.get("imageTagMutabilityExclusionFilters")
        ),
    }


#: Request member -> its template fields, checked.  Members a request leaves out keep what the
#: template has (on create: the record's defaults).
_MEMBERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "description": lambda text: {"description": text},
    "encryptionConfiguration": _encryption,
    "resourceTags": _resource_tags,
    "repositoryPolicy": _repository_policy,
    "lifecyclePolicy": _lifecycle_policy,
    "appliedFor": lambda values: {"applied_for": _applied_for(values)},
    "customRoleArn": lambda arn: {"custom_role_arn": arn or None},
}


def _fields(params: Params) -> dict[str, Any]:
    """The template fields the request sets, each checked (before any state is looked at)."""
    fields = _mutability(params)
    for member, read in _MEMBERS.items():
        if member in params:
            fields.update(read(params[member]))
    return fields


# --- wire shape and look-up -------------------------------------------------------------------------


def _template(template: RepositoryCreationTemplate) -> dict[str, Any]:
    """The RepositoryCreationTemplate shape; unset members are absent (docs/behaviour/api.md#protocol)."""
    encryption: dict[str, str] = {"encryptionType": template.encryption_type}
    if template.kms_key is not None:
        encryption["kmsKey"] = template.kms_key
    wire: dict[str, Any] = {
        "prefix": template.prefix,
        "encryptionConfiguration": encryption,
        "imageTagMutability": template.image_tag_mutability,
        "appliedFor": list(template.applied_for),
        "createdAt": template.created_at,
        "updatedAt": template.updated_at,
    }
    optional = {
        "description": template.description,
        "resourceTags": [{"Key": k, "Value": v} for k, v in template.resource_tags] or None,
        "imageTagMutabilityExclusionFilters": [
            {"filterType": f.filter_type, "filter": f.filter} for f in template.image_tag_mutability_exclusion_filters
        ]
        or None,
        "repositoryPolicy": template.repository_policy_text,
        "lifecyclePolicy": template.lifecycle_policy_text,
        "customRoleArn": template.custom_role_arn,
    }
    wire.update({member: value for member, value in optional.items() if value is not None})
    return wire


def _answer(registry_id: str, template: RepositoryCreationTemplate) -> Response:
    return {"registryId": registry_id, "repositoryCreationTemplate": _template(template)}


def _find(settings: RegistrySettings, prefix: str) -> RepositoryCreationTemplate | None:
    key = prefix_key(prefix)
    return next((t for t in settings.repository_creation_templates if prefix_key(t.prefix) == key), None)


def _existing(settings: RegistrySettings, prefix: str) -> RepositoryCreationTemplate:
    template = _find(settings, prefix)
    if template is None:
        raise errors.TemplateNotFound(prefix)
    return template


# --- the operations ---------------------------------------------------------------------------------


@operation("CreateRepositoryCreationTemplate")
def create_repository_creation_template(call: Call, params: Params) -> Response:
    # Templates belong to the caller's registry: these operations take no registryId
    # (docs/behaviour/cross-repository.md#repository-creation-templates). No quota is enforced: ECR's limit on templates
    # per registry is UNCONFIRMED.
    now = call.now
    # appliedFor is required, so the fields hold applied_for.
    template = RepositoryCreationTemplate(prefix=params["prefix"], created_at=now, updated_at=now, **_fields(params))
    registry = call.own_registry

    def with_template(settings: RegistrySettings) -> RegistrySettings:
        if _find(settings, template.prefix) is not None:
            raise errors.TemplateAlreadyExists(template.prefix)
        return replace(settings, repository_creation_templates=(*settings.repository_creation_templates, template))

    registry.modify_settings(with_template)
    return _answer(registry.registry_id, template)


@operation("DescribeRepositoryCreationTemplates")
def describe_repository_creation_templates(call: Call, params: Params) -> Response:
    registry = call.own_registry
    templates = registry.settings.repository_creation_templates
    prefixes = params.get("prefixes")
    if prefixes is not None:
        # Prefixes no template has are left out: the model lists no TemplateNotFoundException here
        # (docs/behaviour/cross-repository.md#repository-creation-templates).
        wanted = {prefix_key(prefix) for prefix in prefixes}
        templates = tuple(t for t in templates if prefix_key(t.prefix) in wanted)
    response = render.page(
        "DescribeRepositoryCreationTemplates", params, "repositoryCreationTemplates", templates, _template
    )
    return {"registryId": registry.registry_id, **response}


@operation("UpdateRepositoryCreationTemplate")
def update_repository_creation_template(call: Call, params: Params) -> Response:
    prefix, fields = params["prefix"], _fields(params)
    registry, now = call.own_registry, call.now

    def with_update(settings: RegistrySettings) -> RegistrySettings:
        old = _existing(settings, prefix)
        new = replace(old, updated_at=now, **fields)
        templates = tuple(new if t is old else t for t in settings.repository_creation_templates)
        return replace(settings, repository_creation_templates=templates)

    _, settings = registry.modify_settings(with_update)
    return _answer(registry.registry_id, _existing(settings, prefix))


@operation("DeleteRepositoryCreationTemplate")
def delete_repository_creation_template(call: Call, params: Params) -> Response:
    registry, prefix = call.own_registry, params["prefix"]

    def without_template(settings: RegistrySettings) -> RegistrySettings:
        old = _existing(settings, prefix)
        templates = tuple(t for t in settings.repository_creation_templates if t is not old)
        return replace(settings, repository_creation_templates=templates)

    settings, _ = registry.modify_settings(without_template)
    return _answer(registry.registry_id, _existing(settings, prefix))
