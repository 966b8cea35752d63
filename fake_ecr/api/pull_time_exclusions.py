"""Pull-time update exclusions: RegisterPullTimeUpdateExclusion, DeregisterPullTimeUpdateExclusion and
ListPullTimeUpdateExclusions (docs/behaviour/images.md#pull-time-update-exclusions).

Owns the registry's exclusion list as these operations change and show it.  The list takes effect
where a pull records lastRecordedPullTime (``Registry.pull_images``), for pulls by the principal a
test names with ``FakeEcr.acting_as``: fake-ecr checks no credentials, so without that it cannot
know who pulls, and every pull records its time.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model import RegistrySettings
from fake_ecr.model.records import PullTimeUpdateExclusion

#: Principals one registry may exclude.  UNCONFIRMED: no quota is documented; the model's
#: ListPullTimeUpdateExclusions answer holds at most 100 of them while its maxResults goes to 1000,
#: which reads as a registry-wide limit of 100 (LimitExceededException is modelled for Register).
MAX_EXCLUSIONS = 100


@operation("RegisterPullTimeUpdateExclusion")
def register_pull_time_update_exclusion(call: Call, params: Params) -> Response:
    registry, principal_arn, now = call.own_registry, params["principalArn"], call.now

    def registered(settings: RegistrySettings) -> RegistrySettings:
        exclusions = settings.pull_time_update_exclusions
        if any(e.principal_arn == principal_arn for e in exclusions):
            raise errors.ExclusionAlreadyExists(registry.registry_id, principal_arn)
        if len(exclusions) >= MAX_EXCLUSIONS:
            # UNCONFIRMED wording (see MAX_EXCLUSIONS).
            raise errors.LimitExceeded(
                f"The pull time update exclusion limit of {MAX_EXCLUSIONS} has been reached "
                f"in the registry with id '{registry.registry_id}'"
            )
        exclusion = PullTimeUpdateExclusion(principal_arn, now)
        return replace(settings, pull_time_update_exclusions=(*exclusions, exclusion))

    registry.modify_settings(registered)
    return {"principalArn": principal_arn, "createdAt": now}


@operation("DeregisterPullTimeUpdateExclusion")
def deregister_pull_time_update_exclusion(call: Call, params: Params) -> Response:
    registry, principal_arn = call.own_registry, params["principalArn"]

    def deregistered(settings: RegistrySettings) -> RegistrySettings:
        exclusions = settings.pull_time_update_exclusions
        remaining = tuple(e for e in exclusions if e.principal_arn != principal_arn)
        if len(remaining) == len(exclusions):
            raise errors.ExclusionNotFound(registry.registry_id, principal_arn)
        return replace(settings, pull_time_update_exclusions=remaining)

    registry.modify_settings(deregistered)
    return {"principalArn": principal_arn}


@operation("ListPullTimeUpdateExclusions")
def list_pull_time_update_exclusions(call: Call, params: Params) -> Response:
    # In registration order (ECR's order is not documented, docs/behaviour/api.md#pagination).
    exclusions = call.own_registry.settings.pull_time_update_exclusions
    return render.page(
        "ListPullTimeUpdateExclusions", params, "pullTimeUpdateExclusions", exclusions, lambda e: e.principal_arn
    )
