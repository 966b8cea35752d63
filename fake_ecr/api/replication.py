"""Replication: PutReplicationConfiguration, DescribeImageReplicationStatus, and the replication
configuration DescribeRegistry shows (docs/behaviour/images.md#image-operations,
docs/behaviour/cross-repository.md#registry-settings, docs/behaviour/cross-repository.md#replication). Replication
backfills too: StartReplicationBackfill, StopReplicationBackfill, DescribeReplicationBackfillResults and
ListReplicationBackfills.

Owns these operations' request rules and wire shapes (ReplicationConfiguration, the backfill shapes).
Replicating pushes (and deletions, where a rule enables ``deleteReplication``) and running backfills is
``fake_ecr.model.replication``'s business: pushes are copied at once into the destination registries of the
same fake, so every destination reports COMPLETE; a backfill's replications are due on the fake's clock.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import ImageId, Registry, RegistrySettings
from fake_ecr.model.records import BackfillReplication, ReplicationBackfill, ReplicationDestination, ReplicationRule
from fake_ecr.model.replication import (
    IN_PROGRESS,
    PREPARING,
    STOPPING,
    backfill_of,
    backfill_progress,
    backfill_results,
    settle_backfills,
    start_backfill,
    stop_backfill,
)

#: Unique destinations across all rules of a configuration (docs/behaviour/cross-repository.md#replication,
#: docs/behaviour/limits.md#service-quotas).
MAX_DESTINATIONS = 25
#: The only RepositoryFilterType (docs/behaviour/cross-repository.md#replication).
PREFIX_MATCH = "PREFIX_MATCH"
#: A replication's status: fake-ecr replicates at once, so every replication is complete
#: (docs/behaviour/images.md#image-operations).
COMPLETE = "COMPLETE"


def replication_configuration(settings: RegistrySettings) -> dict[str, Any]:
    """The ReplicationConfiguration shape: rules as put, filters and ``deleteReplication`` only where a
    rule has them.

    ``deleteReplication`` is optional, and without it a rule replicates no deletions (botocore's ECR
    model, ReplicationRule): a rule put without it is shown without it, one put with it shows it as put,
    ``false`` included - UNCONFIRMED: whether ECR fills in ``{"enabled": false}`` or drops an explicit
    ``false`` is not documented.
    """
    rules = []
    for rule in settings.replication_rules:
        wire: dict[str, Any] = {
            "destinations": [{"region": d.region, "registryId": d.registry_id} for d in rule.destinations]
        }
        if rule.repository_filters:
            wire["repositoryFilters"] = [{"filter": f, "filterType": PREFIX_MATCH} for f in rule.repository_filters]
        if rule.delete_replication is not None:
            wire["deleteReplication"] = {"enabled": rule.delete_replication}
        rules.append(wire)
    return {"rules": rules}


def _rule(rule: dict[str, Any]) -> ReplicationRule:
    destinations = tuple(ReplicationDestination(d["region"], d["registryId"]) for d in rule["destinations"])
    delete_replication = rule.get("deleteReplication")
    return ReplicationRule(
        destinations,
        tuple(f["filter"] for f in rule.get("repositoryFilters") or ()),
        None if delete_replication is None else delete_replication["enabled"],
    )


@operation("PutReplicationConfiguration")
def put_replication_configuration(call: Call, params: Params) -> Response:
    """Replace the registry's replication configuration; an empty rule list turns replication off."""
    registry = call.own_registry
    rules = tuple(_rule(rule) for rule in params["replicationConfiguration"]["rules"])
    destinations = {d for rule in rules for d in rule.destinations}
    if ReplicationDestination(registry.region, registry.registry_id) in destinations:
        # docs/behaviour/errors.md#messages #21 (moto's wording).
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
    """One status per registry the image was replicated to; none when it never was
    (docs/behaviour/images.md#image-operations UNCONFIRMED)."""
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


# --- replication backfills ----------------------------------------------------------------------------


def _backfill_registry(call: Call, params: Params) -> Registry:
    """The caller's own registry; a registryId of another account is refused (ForeignRegistryBackfill)."""
    registry_id = params.get("registryId") or call.caller.account_id
    if registry_id != call.caller.account_id:
        raise errors.ForeignRegistryBackfill(registry_id, call.caller.account_id)
    return call.own_registry


def _destination(destination: ReplicationDestination) -> dict[str, str]:
    return {"region": destination.region, "registryId": destination.registry_id}


def _progress(backfill: ReplicationBackfill) -> dict[str, Any]:
    """ReplicationBackfillProgress: present from the start, as fake-ecr prepares a backfill at once."""
    progress = backfill_progress(backfill)
    return {
        "totalReplicationCount": progress.total,
        "completedReplicationCount": progress.completed,
        "failedReplicationCount": progress.failed,
        "failureCodes": list(progress.failure_codes),
    }


def _summary(backfill: ReplicationBackfill) -> dict[str, Any]:
    """ReplicationBackfillSummary; DescribeReplicationBackfillResults starts with the same members."""
    wire: dict[str, Any] = {
        "replicationBackfillId": backfill.replication_backfill_id,
        "destination": _destination(backfill.destination),
        "status": backfill.status,
        "progress": _progress(backfill),
        "startedAt": backfill.started_at,
    }
    if backfill.failure_code is not None:
        wire["failureCode"] = backfill.failure_code
    if backfill.ended_at is not None:
        wire["endedAt"] = backfill.ended_at
    return wire


def _result(replication: BackfillReplication) -> dict[str, Any]:
    """ReplicationBackfillResult: one image with the tag it was replicated under (none when untagged)."""
    wire: dict[str, Any] = {
        "repositoryName": replication.repository_name,
        "imageId": render.image_id(ImageId(replication.image_digest, replication.image_tag)),
        "status": replication.status,
    }
    if replication.failure_code is not None:
        wire["failureCode"] = replication.failure_code
    return wire


def _started_or_stopped(registry: Registry, backfill: ReplicationBackfill, status: str) -> Response:
    """What StartReplicationBackfill and StopReplicationBackfill answer (their responses have the same
    members): the backfill, with the status the call answers (PREPARING, STOPPING) rather than the one it
    is stored with."""
    return {
        "registryId": registry.registry_id,
        "replicationBackfillId": backfill.replication_backfill_id,
        "destination": _destination(backfill.destination),
        "status": status,
        "startedAt": backfill.started_at,
    }


@operation("StartReplicationBackfill")
def start_replication_backfill(call: Call, params: Params) -> Response:
    registry = _backfill_registry(call, params)
    destination = ReplicationDestination(params["destination"]["region"], params["destination"]["registryId"])
    backfill = start_backfill(call.fake.backend, registry, destination, call.fake.settings.replication_backfill_delay)
    return _started_or_stopped(registry, backfill, PREPARING)


@operation("StopReplicationBackfill")
def stop_replication_backfill(call: Call, params: Params) -> Response:
    registry = _backfill_registry(call, params)
    backfill = stop_backfill(call.fake.backend, registry, params["replicationBackfillId"])
    return _started_or_stopped(registry, backfill, STOPPING)


@operation("DescribeReplicationBackfillResults")
def describe_replication_backfill_results(call: Call, params: Params) -> Response:
    """The backfill's status and progress; its per-image results, paginated, once it has ended."""
    registry = _backfill_registry(call, params)
    backfill = backfill_of(call.fake.backend, registry, params["replicationBackfillId"])
    response: Response = {"registryId": registry.registry_id, **_summary(backfill)}
    if backfill.status != IN_PROGRESS:
        # "The per-image results are available only after the replication backfill reaches a terminal
        # status" (botocore's ECR model).
        wanted = params.get("resultStatusFilter")
        results = [r for r in backfill_results(backfill) if wanted is None or r.status == wanted]
        response.update(render.page("DescribeReplicationBackfillResults", params, "results", results, _result))
    return response


@operation("ListReplicationBackfills")
def list_replication_backfills(call: Call, params: Params) -> Response:
    """The registry's backfills in the order they were started (UNCONFIRMED), ended ones for 90 days."""
    registry = _backfill_registry(call, params)
    backfills = settle_backfills(call.fake.backend, registry)
    return {
        "registryId": registry.registry_id,
        **render.page("ListReplicationBackfills", params, "backfills", backfills, _summary),
    }
