"""The control API: what a test does to a fake through its handle, over HTTP, under ``/_fake-ecr/``.

Owns the routes under ``PREFIX``, the JSON they take and give (docs/control-api.md), and the checks of the
values it takes (their reading from text, shared with the ``fake-ecr`` command, is
``fake_ecr.formats.control_api``'s).  Every route calls the handle's own methods
(``ControlledFake``: ``reset``, ``clock``, ``set_findings``, ``complete_scans``, ``run_lifecycle``,
``backend``, the registry addresses), so a service driven from a shell behaves as a fixture driven from a test.

The prefix can meet neither of the server's other surfaces: ECR's API is ``POST /`` with ``X-Amz-Target``,
and every path of the OCI registry starts ``/v2/`` (OCI distribution-spec, "Endpoints").  It can't meet S3
path-style requests either, should other services share the port: a bucket name starts with a letter or a
digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).

Errors are JSON, ``{"error": {"status": ..., "message": ...}}``: 400 for a body or a value that can't be used,
404 for a path under the prefix that is no route, 405 (with ``Allow``) for a method a route doesn't take,
413 for a body past ``MAX_BODY``.  No credentials are asked for, as on the rest of the server.

The handle attaches it: the server hands a request under ``PREFIX`` to its fake's ``serve_control``, which
calls ``respond`` here with itself.  Must not import ``fake_ecr.surfaces.handle`` (the handle imports this).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.formats.control_api import PREFIX, parse_duration, parse_time
from fake_ecr.lifecycle.policy import parse_lifecycle_policy
from fake_ecr.lifecycle.runs import EXPIRE, TRANSITION, LifecycleRun, lifecycle_actions
from fake_ecr.model import Backend, Registry
from fake_ecr.model.blobs import UploadSession
from fake_ecr.model.clock import Clock
from fake_ecr.model.public import PublicRegistry, RepositoryCatalogData
from fake_ecr.model.records import ImageView
from fake_ecr.scanning.engine import FindingsSpec, engine_for, parse_reference, scan_findings
from fake_ecr.scanning.vulnerabilities import severity_counts
from fake_ecr.settings import Settings
from fake_ecr.surfaces.http_bodies import read_at_most

#: The largest body a control request may have: room for tens of thousands of findings.
MAX_BODY = 16 * 1024 * 1024
JSON_HEADERS = {"Content-Type": "application/json"}


class ControlledFake(Protocol):
    """What the control API needs of a fake: the ``FakeEcr`` handle's own interface."""

    settings: Settings
    clock: Clock

    @property
    def backend(self) -> Backend: ...

    def reset(self, account_id: str | None = None, region: str | None = None) -> None: ...

    def set_findings(
        self,
        reference: str,
        findings: FindingsSpec | None = None,
        *,
        status: str | None = None,
        description: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None: ...

    def complete_scans(self) -> int: ...

    def run_lifecycle(self, account_id: str | None = None, region: str | None = None) -> list[LifecycleRun]: ...

    def registry_host(self, account_id: str, region: str) -> str: ...

    def public_registry_host(self) -> str: ...


class ControlError(Exception):
    """A control request refused: its status and a sentence for the person who sent it."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# --- values ----------------------------------------------------------------------------------------


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC, ``2024-01-01T00:00:00Z`` (milliseconds when there are any)."""
    if epoch is None:
        return None
    when = datetime.fromtimestamp(epoch, timezone.utc)
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class _Body:
    """A request's JSON object, taken member by member; members nobody took are refused at the end."""

    members: dict[str, Any]

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.members.get(key)
        if value is None:
            if required:
                raise ControlError(400, f"the body needs {key!r}")
            return None
        if not isinstance(value, str) or not value:
            raise ControlError(400, f"{key!r} must be a non-empty string, not {json.dumps(value)}")
        return value

    def number_or_text(self, key: str) -> float | str:
        value = self.members.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            return value
        raise ControlError(400, f"the body needs {key!r}: a number of seconds or a string")

    def check_known(self, known: tuple[str, ...]) -> None:
        unknown = sorted(set(self.members) - set(known))
        if unknown:
            expected = ", ".join(known) if known else "no members"
            raise ControlError(400, f"unknown member(s) {', '.join(unknown)}: this route takes {expected}")


def _body(request: Request) -> _Body:
    try:
        data = read_at_most(request.stream, MAX_BODY)  # type: ignore[arg-type]
    except errors.RequestBodyTooLarge:
        raise ControlError(413, f"a control request's body is at most {MAX_BODY} bytes") from None
    except errors.RequestBodyUnreadable as error:
        raise ControlError(400, f"the body could not be read: {error}") from None
    if not data.strip():
        return _Body({})
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ControlError(400, f"the body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ControlError(400, "the body must be a JSON object")
    return _Body(document)


# --- what the routes answer --------------------------------------------------------------------------


def clock_state(clock: Clock) -> dict[str, Any]:
    now = clock.now()
    return {
        "now": iso(now),
        "epoch": now,
        "running": not clock.pinned,
        "offset_seconds": round(now - time.time(), 3),
    }


def _registry_scope(body: _Body) -> tuple[str | None, str | None]:
    return body.text("account_id"), body.text("region")


def _image(view: ImageView) -> dict[str, Any]:
    return {"digest": view.image.image_digest, "tags": list(view.image_tags)}


def _health(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(())
    return {
        "status": "ok",
        "version": metadata.version("fake-ecr"),
        "account_id": fake.settings.account_id,
        "region": fake.settings.region,
    }


def _reset(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(("account_id", "region"))
    account_id, region = _registry_scope(body)
    fake.reset(account_id, region)
    return {"reset": {"account_id": account_id, "region": region}}


def _clock(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(())
    return clock_state(fake.clock)


def _advance(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(("by",))
    by = body.number_or_text("by")
    try:
        seconds = parse_duration(by) if isinstance(by, str) else parse_duration(repr(by))
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    fake.clock.advance(seconds)
    return clock_state(fake.clock)


def _set(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(("time",))
    when = body.number_or_text("time")
    try:
        epoch = parse_time(when) if isinstance(when, str) else when
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    if not math.isfinite(epoch):
        raise ControlError(400, "the time must be a finite number of epoch seconds")
    fake.clock.set(epoch)
    return clock_state(fake.clock)


def _resume(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(())
    fake.clock.resume()
    return clock_state(fake.clock)


def _findings(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(("image", "findings", "status", "description", "account_id", "region"))
    reference = body.text("image", required=True)
    assert reference is not None
    findings = body.members.get("findings", [])
    if not isinstance(findings, list) or not all(isinstance(finding, dict) for finding in findings):
        raise ControlError(400, "'findings' must be a list of objects (name, severity, package_name, ...)")
    account_id, region = _registry_scope(body)
    status, description = body.text("status"), body.text("description")
    try:
        fake.set_findings(
            reference, findings, status=status, description=description, account_id=account_id, region=region
        )
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    registry = fake.backend.stored_registry(account_id or fake.settings.account_id, region or fake.settings.region)
    return {"image": reference, "findings": len(findings), "image_digest": _digest_of(registry, reference)}


def _digest_of(registry: Registry | None, reference: str) -> str | None:
    """The digest of the image ``reference`` names, if the registry holds it now."""
    if registry is None:
        return None
    repository_name, image_id = parse_reference(reference)
    try:
        return registry.resolve_image(repository_name, image_id).image.image_digest
    except (errors.RepositoryNotFound, errors.ImageNotFound):
        return None


def _complete_scans(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(())
    return {"completed": fake.complete_scans()}


def _run_lifecycle(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(("account_id", "region"))
    account_id, region = _registry_scope(body)
    runs = fake.run_lifecycle(account_id, region)
    return {
        "account_id": account_id or fake.settings.account_id,
        "region": region or fake.settings.region,
        "runs": [
            {
                "repository": run.repository_name,
                "evaluated_at": iso(run.evaluated_at),
                "expired": [_image(view) for view in run.expired],
                "transitioned": [_image(view) for view in run.transitioned],
            }
            for run in runs
        ],
    }


def _stored_image(view: ImageView) -> dict[str, Any]:
    """What every registry tells of an image, ECR Public's too (its ImageDetail has no status, scan or pull time)."""
    image = view.image
    return {
        **_image(view),
        "size": image.image_size_in_bytes,
        "media_type": image.image_manifest_media_type,
        "artifact_media_type": image.artifact_media_type,
        "pushed_at": iso(image.image_pushed_at),
    }


def _uploads(uploads: list[UploadSession], repository_name: str) -> list[dict[str, Any]]:
    return [
        {"id": upload.upload_id, "bytes": upload.size, "started_at": iso(upload.started_at)}
        for upload in uploads
        if upload.repository_name == repository_name
    ]


def _state(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    body.check_known(())
    return {
        "clock": clock_state(fake.clock),
        "registries": _private_registries(fake),
        "public_registries": [_public_registry(fake, registry) for registry in fake.backend.public_registries()],
    }


def _private_registries(fake: ControlledFake) -> list[dict[str, Any]]:
    engine = engine_for(fake.backend, fake.settings)
    registries = []
    for registry in fake.backend.registries():
        address = fake.registry_host(registry.registry_id, registry.region)
        uploads = registry.uploads()
        repositories = []
        for record in registry.repositories():
            name = record.repository_name
            images = []
            for stored in registry.images(name):
                view, scan = engine.reported_scan(registry, name, stored)
                images.append(
                    {
                        **_stored_image(view),
                        "last_pulled_at": iso(view.image.last_recorded_pull_time),
                        "status": view.image.image_status,
                        "scan": None
                        if scan is None
                        else {
                            "status": scan.status,
                            "description": scan.description,
                            "findings": len(scan.findings),
                            "severity_counts": severity_counts(scan_findings(scan), enhanced=scan.enhanced),
                        },
                    }
                )
            repositories.append(
                {
                    "name": name,
                    "uri": f"{address}/{name}",
                    "created_at": iso(record.created_at),
                    "scan_on_push": record.scan_on_push,
                    "lifecycle_policy": record.lifecycle_policy_text is not None,
                    "images": images,
                    "uploads": _uploads(uploads, name),
                }
            )
        registries.append(
            {
                "account_id": registry.registry_id,
                "region": registry.region,
                "address": address,
                "repositories": repositories,
            }
        )
    return registries


def _public_registry(fake: ControlledFake, registry: PublicRegistry) -> dict[str, Any]:
    """An account's ECR Public registry: its alias, display name and repositories, named as its registryUri and
    repositoryUri name them (docs/behaviour/public.md#public-registry).  It has no region, scans or lifecycle."""
    address = f"{fake.public_registry_host()}/{registry.alias}"
    display_name, catalogs = registry.catalog()
    catalog = dict(catalogs)
    uploads = registry.uploads()
    repositories = []
    for record in registry.repositories():
        name = record.repository_name
        data = catalog.get(name, RepositoryCatalogData())
        repositories.append(
            {
                "name": name,
                "uri": f"{address}/{name}",
                "created_at": iso(record.created_at),
                "catalog_data": {
                    "description": data.description,
                    "architectures": None if data.architectures is None else list(data.architectures),
                    "operating_systems": None if data.operating_systems is None else list(data.operating_systems),
                    "logo_image": data.logo_image is not None,
                    "about_text": data.about_text is not None,
                    "usage_text": data.usage_text is not None,
                },
                "images": [_stored_image(view) for view in registry.images(name)],
                "uploads": _uploads(uploads, name),
            }
        )
    return {
        "account_id": registry.registry_id,
        "alias": registry.alias,
        "address": address,
        "display_name": display_name,
        "repositories": repositories,
    }


def _lifecycle_preview(fake: ControlledFake, body: _Body) -> dict[str, Any]:
    """What ``lifecycle/run`` would do now, changing nothing: every stored policy evaluated on the fake's clock
    as ECR's daily run evaluates it (docs/behaviour/lifecycle.md#evaluation).  The OCI referrers of an expiring
    image go with it in a run (docs/behaviour/images.md#referrers) and are not listed here."""
    body.check_known(())
    now = fake.clock.now()
    policies = []
    for registry in fake.backend.registries():
        for record in registry.repositories():
            text = record.lifecycle_policy_text
            if text is None:
                continue
            views = registry.images(record.repository_name)
            by_digest = {view.image.image_digest: view for view in views}
            actions = lifecycle_actions(parse_lifecycle_policy(text), views, now)
            policies.append(
                {
                    "account_id": registry.registry_id,
                    "region": registry.region,
                    "repository": record.repository_name,
                    "policy": json.loads(text),
                    **{
                        key: [
                            {**_image(by_digest[action.image_digest]), "rule_priority": action.applied_rule_priority}
                            for action in actions
                            if action.action_type == action_type
                        ]
                        for key, action_type in (("expiring", EXPIRE), ("transitioning", TRANSITION))
                    },
                }
            )
    return {"evaluated_at": iso(now), "policies": policies}


Route = Callable[[ControlledFake, _Body], dict[str, Any]]
#: path under PREFIX -> method -> what answers it.
ROUTES: dict[str, dict[str, Route]] = {
    "health": {"GET": _health},
    "reset": {"POST": _reset},
    "clock": {"GET": _clock},
    "clock/advance": {"POST": _advance},
    "clock/set": {"POST": _set},
    "clock/resume": {"POST": _resume},
    "findings": {"POST": _findings},
    "scans/complete": {"POST": _complete_scans},
    "lifecycle/run": {"POST": _run_lifecycle},
    "lifecycle/preview": {"GET": _lifecycle_preview},
    "state": {"GET": _state},
}


def _json(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(payload, indent=2) + "\n", status=status, headers={**JSON_HEADERS, **(headers or {})})


def error_response(error: ControlError) -> Response:
    return _json(error.status, {"error": {"status": error.status, "message": error.message}}, error.headers)


def respond(fake: ControlledFake, request: Request) -> Response:
    """Answer one request whose path starts with ``PREFIX``."""
    try:
        path = request.path[len(PREFIX) :].rstrip("/")
        methods = ROUTES.get(path)
        if methods is None:
            raise ControlError(404, f"no control route {request.path}: the routes are {', '.join(ROUTES)}")
        route = methods.get(request.method)
        if route is None:
            allowed = ", ".join(methods)
            raise ControlError(405, f"{request.path} takes {allowed}, not {request.method}", {"Allow": allowed})
        return _json(200, route(fake, _body(request)))
    except ControlError as error:
        return error_response(error)
    except errors.EcrError as error:  # e.g. one registry more than Settings.max_registries allows
        return error_response(ControlError(400, str(error)))
