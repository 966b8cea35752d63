"""The registry's front door: the route table, credentials first, every error rendered one way.

Owns ``serve(request, registry, ...)``: match the path against ``ROUTES`` (the
OCI distribution spec 1.1 endpoint table; werkzeug's ``path`` converter lets
repository names hold slashes), check ECR's Basic credentials for anything
under ``/v2`` (docs/behaviour/auth.md#registry-credentials), run the handler, and turn a domain error
into its OCI error response (``oci_errors.ERRORS``).  Every response carries
``Docker-Distribution-Api-Version: registry/2.0`` (docs/behaviour/auth.md#registry-credentials,
docs/behaviour/registry.md#error-codes).  An unexpected exception becomes a 500 and is kept for the test that caused it.

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as RouteMethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.model import Registry
from fake_ecr.model.clock import Clock
from fake_ecr.model.policy_evaluation import authorize, root_arn
from fake_ecr.model.repository_creation import create_on_push, creates_on_push
from fake_ecr.registry import blobs, manifests
from fake_ecr.registry.auth import authenticate
from fake_ecr.registry.oci_errors import EndpointNotFound, MethodNotAllowed, error_response

log = logging.getLogger("fake_ecr")

Handler = Callable[..., Response]

API_VERSION = {"Docker-Distribution-Api-Version": "registry/2.0"}


def version_check(request: Request, registry: Registry) -> Response:
    """``GET /v2/``: 200 once the credentials are good (docs/behaviour/registry.md#endpoints)."""
    return Response("{}", content_type="application/json")


UPLOAD = "/v2/<path:name>/blobs/uploads/<upload_id>"
BLOB = "/v2/<path:name>/blobs/<digest>"
MANIFEST = "/v2/<path:name>/manifests/<reference>"

#: (method, path, handler): a GET route answers HEAD too.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/v2/", version_check),
    ("POST", "/v2/<path:name>/blobs/uploads/", blobs.start_upload),
    ("GET", UPLOAD, blobs.upload_status),
    ("PATCH", UPLOAD, blobs.patch_upload),
    ("PUT", UPLOAD, blobs.finish_upload),
    ("DELETE", UPLOAD, blobs.cancel_upload),
    ("GET", BLOB, blobs.get_blob),
    ("GET", MANIFEST, manifests.get_manifest),
    ("PUT", MANIFEST, manifests.put_manifest),
    ("DELETE", MANIFEST, manifests.delete_manifest),
    ("GET", "/v2/<path:name>/tags/list", manifests.list_tags),
    ("GET", "/v2/<path:name>/referrers/<digest>", manifests.list_referrers),
)
HANDLERS: dict[str, Handler] = {f"{method} {path}": handler for method, path, handler in ROUTES}
URL_MAP = Map(
    # strict_slashes off: ".../blobs/uploads" (no slash) starts an upload too, without a redirect.
    [Rule(path, methods=[method], endpoint=f"{method} {path}", strict_slashes=False) for method, path, _ in ROUTES]
)
#: The endpoint a GetDownloadUrlForLayer URL points to (GET and HEAD; its download grant counts only there).
BLOB_READ = f"GET {BLOB}"
#: The endpoints a push starts with: they may create the repository first (CREATE_ON_PUSH,
#: docs/behaviour/cross-repository.md#repository-creation-templates).
PUSH_ENDPOINTS = frozenset({"POST /v2/<path:name>/blobs/uploads/", f"PUT {MANIFEST}"})
#: The IAM actions a request needs when policies are enforced, per endpoint ("HEAD ..." for a GET
#: route's HEAD).  A pull is ecr:BatchGetImage (manifests) and ecr:GetDownloadUrlForLayer (blobs); a
#: push is ecr:BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload
#: and PutImage, as ECR's repository policy examples grant them
#: (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html and
#: .../image-push-iam.html, which adds ecr:BatchGetImage for a pusher's manifest checks).
#: UNCONFIRMED: the action behind an upload's status and cancellation (UploadLayerPart here), a
#: manifest DELETE (BatchDeleteImage), tags/list (ListImages) and the referrers API (BatchGetImage).
REGISTRY_ACTIONS: dict[str, tuple[str, ...]] = {
    "GET /v2/": (),
    "HEAD /v2/": (),
    "POST /v2/<path:name>/blobs/uploads/": ("ecr:InitiateLayerUpload",),
    f"GET {UPLOAD}": ("ecr:UploadLayerPart",),
    f"HEAD {UPLOAD}": ("ecr:UploadLayerPart",),
    f"PATCH {UPLOAD}": ("ecr:UploadLayerPart",),
    f"PUT {UPLOAD}": ("ecr:CompleteLayerUpload",),
    f"DELETE {UPLOAD}": ("ecr:UploadLayerPart",),
    f"GET {BLOB}": ("ecr:GetDownloadUrlForLayer",),
    f"HEAD {BLOB}": ("ecr:BatchCheckLayerAvailability",),
    f"GET {MANIFEST}": ("ecr:BatchGetImage",),
    f"HEAD {MANIFEST}": ("ecr:BatchGetImage",),
    f"PUT {MANIFEST}": ("ecr:PutImage",),
    f"DELETE {MANIFEST}": ("ecr:BatchDeleteImage",),
    "GET /v2/<path:name>/tags/list": ("ecr:ListImages",),
    "HEAD /v2/<path:name>/tags/list": ("ecr:ListImages",),
    "GET /v2/<path:name>/referrers/<digest>": ("ecr:BatchGetImage",),
    "HEAD /v2/<path:name>/referrers/<digest>": ("ecr:BatchGetImage",),
}


def _route(request: Request) -> tuple[str, dict[str, Any]] | errors.EcrError:
    """(endpoint, path arguments) of the route the request takes, or why there is none."""
    try:
        endpoint, arguments = URL_MAP.bind_to_environ(request.environ).match()
    except RouteMethodNotAllowed:
        return MethodNotAllowed(request.method, request.path)
    except RouteNotFound:
        return EndpointNotFound(request.method, request.path)
    return str(endpoint), dict(arguments)


def _dispatch(
    request: Request, registry: Registry, clock: Clock, require_auth: bool, enforce_policies: bool
) -> Response:
    route = _route(request)
    claims = None
    # Credentials come first under /v2, so a client's probe of any path gets the challenge
    # (docs/behaviour/auth.md#registry-credentials); outside it (ECR's root answers 404,
    # docs/behaviour/auth.md#registry-credentials) there is nothing to protect.
    if require_auth and request.path.startswith("/v2"):
        blob_read = None
        if isinstance(route, tuple) and route[0] == BLOB_READ:
            blob_read = (route[1]["name"], route[1]["digest"])
        claims = authenticate(request, registry, clock.now(), blob_read=blob_read, any_account=enforce_policies)
    if isinstance(route, errors.EcrError):
        raise route
    endpoint, arguments = route
    # Policies are checked for the principal a token names (a download grant was checked when issued).
    if enforce_policies and claims is not None:
        principal = claims.principal_arn or root_arn(claims.account_id, claims.region)
        key = endpoint.replace("GET ", "HEAD ", 1) if request.method == "HEAD" else endpoint
        admit(registry, principal, (key,), arguments.get("name"))
    if endpoint in PUSH_ENDPOINTS:
        create_on_push(registry, arguments["name"])
    return HANDLERS[endpoint](request, registry, **arguments)


def admit(registry: Registry, principal_arn: str, endpoints: Sequence[str], name: str | None) -> None:
    """Raise unless the registry's policies let ``principal_arn`` call each endpoint (``REGISTRY_ACTIONS``'
    keys) on repository ``name``."""
    actions = [action for endpoint in endpoints for action in REGISTRY_ACTIONS[endpoint]]
    if name is not None and PUSH_ENDPOINTS.intersection(endpoints) and creates_on_push(registry, name):
        # The pusher creates the repository: ecr:CreateRepository, as ECR's registry-permissions page
        # says of the repositories replication and pull through cache create (UNCONFIRMED for pushes).
        actions.append("ecr:CreateRepository")
    authorize(registry, principal_arn, actions, name)


def serve(
    request: Request,
    registry: Registry,
    clock: Clock,
    *,
    require_auth: bool,
    enforce_policies: bool,
    internal_errors: list[BaseException],
) -> Response:
    """Answer one registry request for ``registry`` (one account in one region).

    ``enforce_policies``: a token of any account of the registry's region is taken, and its principal
    must be allowed each request's actions (``REGISTRY_ACTIONS``) by the registry's policies.
    """
    try:
        response = _dispatch(request, registry, clock, require_auth, enforce_policies)
    except errors.EcrError as error:
        response = error_response(error)
    except HTTPException as error:  # werkzeug's own refusals: a body cut short, a redirect to "/v2/"
        response = error.get_response()
    except Exception as error:  # a bug in the fake: answer 500, keep it for the test
        log.exception("fake-ecr failed serving %s %s", request.method, request.path)
        internal_errors.append(error)
        failure = {"code": "UNKNOWN", "message": f"fake-ecr internal error: {error!r}", "detail": None}
        response = Response(json.dumps({"errors": [failure]}), status=500, content_type="application/json")
    response.headers.update(API_VERSION)
    return response
