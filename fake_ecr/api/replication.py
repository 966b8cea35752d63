"""Replication: PutReplicationConfiguration, DescribeImageReplicationStatus, and the replication
configuration DescribeRegistry shows (ecr-behaviour §2.2, §2.7, §7.2).

Owns these operations' request rules and the ReplicationConfiguration wire shape.  Replicating
pushes is ``fake_ecr.replication``'s business: an instant copy into the destination registries of
the same fake, so every destination reports COMPLETE.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import ImageId, RegistrySettings
from fake_ecr.model.records import ReplicationDestination, ReplicationRule

#: Unique destinations across all rules of a configuration (§7.2, §8).
MAX_DESTINATIONS = 25
#: The only RepositoryFilterType (§7.2).
PREFIX_MATCH = "PREFIX_MATCH"
#: A replication's status: fake-ecr replicates at once, so every replication is complete (§2.2).
COMPLETE = "COMPLETE"


def replication_configuration(settings: RegistrySettings) -> dict[str, Any]:
    """The ReplicationConfiguration shape: rules as put, filters only where a rule has them."""
    rules = []
    for rule in settings.replication_rules:
        wire: dict[str, Any] = {
            "destinations": [{"region": d.region, "registryId": d.registry_id} for d in rule.destinations]
        }
        if rule.repository_filters:
            wire["repositoryFilters"] = [{"filter": f, "filterType": PREFIX_MATCH} for f in rule.repository_filters]
        rules.append(wire)
    return {"rules": rules}


def _rule(rule: dict[str, Any]) -> ReplicationRule:
    destinations = tuple(ReplicationDestination(d["region"], d["registryId"]) for d in rule["destinations"])
    return ReplicationRule(destinations, tuple(f["filter"] for f in rule.get("repositoryFilters") or ()))


@operation("PutReplicationConfiguration")
def put_replication_configuration(call: Call, params: Params) -> Response:
    """Replace the registry's replication configuration; an empty rule list turns replication off."""
    registry = call.own_registry
    rules = tuple(_rule(rule) for rule in params["replicationConfiguration"]["rules"])
    destinations = {d for rule in rules for d in rule.destinations}
    if ReplicationDestination(registry.region, registry.registry_id) in destinations:
        # §3 #21 (moto's wording).
        raise errors.InvalidParameter(
            "replicationConfiguration", "Replication destination cannot be the same as the source registry"
        )
    if len(destinations) > MAX_DESTINATIONS:
        # UNCONFIRMED wording, in the same form.
        raise errors.InvalidParameter(
            "replicationConfiguration",
            f"Replication configuration cannot have more than {MAX_DESTINATIONS} unique destinations",
        )
    _, settings = registry.modify_settings(lambda s: replace(s, replication_rules=rules))
    return {"replicationConfiguration": replication_configuration(settings)}


@operation("DescribeImageReplicationStatus")
def describe_image_replication_status(call: Call, params: Params) -> Response:
    """One status per registry the image was replicated to; none when it never was (§2.2 UNCONFIRMED)."""
    requested = ImageId(params["imageId"].get("imageDigest"), params["imageId"].get("imageTag"))
    image = call.registry(params).resolve_image(params["repositoryName"], requested).image
    return {
        "repositoryName": params["repositoryName"],
        "imageId": render.image_id(ImageId(image.image_digest, requested.image_tag)),
        "replicationStatuses": [
            {"region": d.region, "registryId": d.registry_id, "status": COMPLETE}
            for d in image.replication_destinations
        ],
    }
