"""ECR Public's registry, ``public.ecr.aws/<alias>/<name>``: anonymous pulls, pushes with ECR Public's credentials.

Owns the public registry's front: the Docker token flow it speaks, its token endpoint and the
mapping of ``/v2/<alias>/<name>/...`` to the account's public registry, whose requests are then served
by the private registry's own route table and handlers (``fake_ecr.registry.app.serve``).

The token flow (the Docker Registry token authentication spec, which ECR Public's registry follows;
"Registry authentication" in the ECR Public User Guide,
https://docs.aws.amazon.com/AmazonECR/latest/public/public-registries.html#public-registry-auth):

- a ``/v2`` request without a bearer token is answered 401 with
  ``WWW-Authenticate: Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="..."``
  (the realm names the host the client addressed, so a client of the fake's local address goes back to it);
- ``GET /token/?service=public.ecr.aws&scope=repository:<alias>/<name>:pull`` hands out a token to anyone
  (anonymous pulls of every public repository, the Public Gallery's premise); with
  ``Authorization: Basic base64("AWS:" + password)``, a password of ``aws ecr-public get-login-password``
  (GetAuthorizationToken), the token also pushes to that account's repositories, as ``docker login
  public.ecr.aws`` sets up.  A private registry's password is refused there, and ECR Public's at a private
  registry (``fake_ecr.registry.auth``): the two are separate namespaces;
- a request whose token may not do it (a push with an anonymous token) gets the challenge again, naming the
  ``pull,push`` scope, so the client fetches a token with its credentials.

UNCONFIRMED: the token endpoint's answer to bad credentials (403 DENIED here, as the private registry's), the
``scope="aws"`` of the ``/v2/`` challenge, and that a token's scope is not enforced beyond pull or push
(a token pulls every repository, and pushes to every repository of its account): see
docs/behaviour/public.md#anonymous-pulls and docs/behaviour/public.md#public-credentials.  ECR Public's rate
limits (a pull a second unauthenticated, ten authenticated:
https://docs.aws.amazon.com/AmazonECR/latest/public/public-service-quotas.html) are not applied
(docs/behaviour/public.md#public-limits).

``GET /logos/<alias>/<name>`` serves a repository's catalog logo (the ``logoUrl`` the API answers).

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.model import Backend
from fake_ecr.model.public import PUBLIC_REGISTRY_HOST, PublicRegistry
from fake_ecr.model.tokens import USERNAME, issue_bearer_token, read_bearer_token, read_password
from fake_ecr.registry.app import API_VERSION, serve
from fake_ecr.registry.oci_errors import (
    AuthorizationTokenExpired,
    AuthorizationTokenInvalid,
    BearerTokenRequired,
    EndpointNotFound,
    error_response,
)

#: ``/v2/<alias>/<repository>/<endpoint>``: the repository name ends where an OCI endpoint starts.
_REPOSITORY_PATH = re.compile(r"/v2/([^/]+)/(.+?)/(?:blobs|manifests|tags|referrers)/.*")
_LOGO_PATH = re.compile(r"/logos/([^/]+)/(.+)")
#: Methods that only read; any other is a push (or a delete), which needs the account's credentials.
_READS = frozenset({"GET", "HEAD"})


def _with_alias(response: Response, alias: str) -> Response:
    """The registry's own locations (``Location``, ``Link``: ``/v2/<name>/...``) put back under the alias."""
    location = response.headers.get("Location")
    if location is not None and location.startswith("/v2/"):
        response.headers["Location"] = f"/v2/{alias}/{location[4:]}"
    link = response.headers.get("Link")
    if link is not None:
        response.headers["Link"] = link.replace("</v2/", f"</v2/{alias}/")
    return response


def _token_endpoint(request: Request, backend: Backend) -> Response:
    now = backend.clock.now()
    account_id = None
    authorization = request.authorization
    if authorization is not None and authorization.type == "basic":
        claims = read_password(authorization.password or "")
        if authorization.username != USERNAME or claims is None or claims.service != "ecr-public":
            raise AuthorizationTokenInvalid()
        if claims.expires_at <= now:
            raise AuthorizationTokenExpired()
        account_id = claims.account_id
    return Response(json.dumps({"token": issue_bearer_token(account_id, now)}), content_type="application/json")


def _logo(request: Request, backend: Backend) -> Response:
    match = _LOGO_PATH.fullmatch(request.path)
    registry = None if match is None else backend.public_registry_by_alias(match[1])
    if match is None or registry is None:
        raise EndpointNotFound(request.method, request.path)
    logo = registry.catalog_data(match[2]).logo_image
    if logo is None:
        raise EndpointNotFound(request.method, request.path)
    return Response(logo, content_type="image/png" if logo.startswith(b"\x89PNG") else "image/jpeg")


def _registry_request(request: Request, backend: Backend, internal_errors: list[BaseException]) -> Response:
    # public.ecr.aws's realm verbatim (answered here through the server as proxy, whose tunnel may not say https);
    # the fake's own address for a client of its local port.
    public_host = request.host.partition(":")[0].lower() == PUBLIC_REGISTRY_HOST
    realm = f"https://{PUBLIC_REGISTRY_HOST}/token/" if public_host else f"{request.scheme}://{request.host}/token/"
    match = _REPOSITORY_PATH.fullmatch(request.path)
    pushes = request.method not in _READS
    scope = "aws" if match is None else f"repository:{match[1]}/{match[2]}:{'pull,push' if pushes else 'pull'}"
    # Read off the header itself: werkzeug parses a token holding "=" (base64 padding) as parameters.
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    claims = read_bearer_token(token.strip()) if scheme.lower() == "bearer" else None
    if claims is None or claims.expires_at <= backend.clock.now():
        raise BearerTokenRequired(realm, PUBLIC_REGISTRY_HOST, scope)
    if match is None:  # the version check, or no endpoint of a repository
        if request.path.rstrip("/") == "/v2":
            return Response("{}", content_type="application/json")
        raise EndpointNotFound(request.method, request.path)
    alias, name = match[1], match[2]
    registry: PublicRegistry | None = backend.public_registry_by_alias(alias)
    if registry is None:
        raise errors.RepositoryNotFound(alias, name)
    if pushes and claims.account_id is None:
        raise BearerTokenRequired(realm, PUBLIC_REGISTRY_HOST, scope)
    if pushes and claims.account_id != registry.registry_id:
        raise AuthorizationTokenInvalid()
    environ = dict(request.environ)
    environ["PATH_INFO"] = "/v2/" + request.path[len(f"/v2/{alias}/") :]
    inner = Request(environ)
    response = serve(
        inner, registry, backend.clock, require_auth=False, enforce_policies=False, internal_errors=internal_errors
    )
    return _with_alias(response, alias)


def serve_public(request: Request, backend: Backend, *, internal_errors: list[BaseException]) -> Response:
    """Answer one request to ECR Public's registry (``public.ecr.aws``, or the fake's address for it)."""
    try:
        if request.path.rstrip("/") == "/token":
            response = _token_endpoint(request, backend)
        elif request.path.startswith("/logos/"):
            response = _logo(request, backend)
        elif request.path.startswith("/v2"):
            response = _registry_request(request, backend, internal_errors)
        else:
            raise EndpointNotFound(request.method, request.path)
    except errors.EcrError as error:
        response = error_response(error)
    response.headers.update(API_VERSION)
    return response
