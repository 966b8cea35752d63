"""Managed signing: PutSigningConfiguration, GetSigningConfiguration, DeleteSigningConfiguration and
DescribeImageSigningStatus (docs/behaviour/images.md#image-operations, docs/behaviour/images.md#managed-signing).

Owns the registry's signing configuration as these operations store and show it, and the signing
statuses of an image.  Signing itself happens in the model's one write path:
a new image is signed, at once and successfully, with the profile of every rule whose filters match
its repository when it is pushed (``RegistrySettings.signing_profiles_for``).  fake-ecr talks to no
AWS Signer: no signature artifact is stored, and no signing ever fails or stays IN_PROGRESS.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import ImageId, RegistrySettings
from fake_ecr.model.records import SigningRule

#: SigningRepositoryFilterType's one value: ``*`` matches any run of characters
#: (docs/behaviour/images.md#managed-signing).
WILDCARD_MATCH = "WILDCARD_MATCH"
#: ImageSigningStatus of a signature made (the others, IN_PROGRESS and FAILED, never happen here).
COMPLETE = "COMPLETE"


def _rule(rule: SigningRule) -> dict[str, Any]:
    """The SigningRule shape; a rule without filters has no repositoryFilters member (min 1 in the model)."""
    wire: dict[str, Any] = {"signingProfileArn": rule.signing_profile_arn}
    if rule.repository_filters:
        wire["repositoryFilters"] = [{"filter": f, "filterType": WILDCARD_MATCH} for f in rule.repository_filters]
    return wire


def _configuration(rules: tuple[SigningRule, ...]) -> dict[str, Any]:
    """The SigningConfiguration shape."""
    return {"rules": [_rule(rule) for rule in rules]}


def _stored_rules(registry_id: str, settings: RegistrySettings) -> tuple[SigningRule, ...]:
    if settings.signing_rules is None:
        raise errors.SigningConfigurationNotFound(registry_id)
    return settings.signing_rules


@operation("PutSigningConfiguration")
def put_signing_configuration(call: Call, params: Params) -> Response:
    # Replaces the whole configuration; an empty rule list is a configuration that signs nothing.
    # The signing profiles are not looked up in AWS Signer (fake-ecr has none).
    rules = tuple(
        SigningRule(rule["signingProfileArn"], tuple(f["filter"] for f in rule.get("repositoryFilters", ())))
        for rule in params["signingConfiguration"]["rules"]
    )
    call.own_registry.modify_settings(lambda settings: replace(settings, signing_rules=rules))
    return {"signingConfiguration": _configuration(rules)}


@operation("GetSigningConfiguration")
def get_signing_configuration(call: Call, params: Params) -> Response:
    registry = call.own_registry
    rules = _stored_rules(registry.registry_id, registry.settings)
    return {"registryId": registry.registry_id, "signingConfiguration": _configuration(rules)}


@operation("DeleteSigningConfiguration")
def delete_signing_configuration(call: Call, params: Params) -> Response:
    # Images signed before keep their signatures (docs/behaviour/images.md#managed-signing): their statuses stay.
    registry = call.own_registry

    def deleted(settings: RegistrySettings) -> RegistrySettings:
        _stored_rules(registry.registry_id, settings)
        return replace(settings, signing_rules=None)

    old, _ = registry.modify_settings(deleted)
    return {
        "registryId": registry.registry_id,
        "signingConfiguration": _configuration(_stored_rules(registry.registry_id, old)),
    }


@operation("DescribeImageSigningStatus")
def describe_image_signing_status(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name = params["repositoryName"]
    requested = ImageId(params["imageId"].get("imageDigest"), params["imageId"].get("imageTag"))
    image = registry.resolve_image(name, requested).image
    # One status per signing profile the image was signed with; none for an image pushed while no
    # rule matched its repository (docs/behaviour/images.md#image-operations DescribeImageSigningStatus).
    return {
        "repositoryName": name,
        "imageId": render.image_id(ImageId(image.image_digest, requested.image_tag)),
        "registryId": registry.registry_id,
        "signingStatuses": [{"signingProfileArn": arn, "status": COMPLETE} for arn in image.signing_profile_arns],
    }
