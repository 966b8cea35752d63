"""In-process routing of boto3/botocore ECR calls to the active fake.

Owns a botocore ``before-send`` handler for the ``ecr`` service, registered
first among botocore's built-in handlers when this module is imported, so
every session and client created afterwards carries it - before or after a
fake starts, from any session, and ahead of moto's own handler, so it works
inside a user's ``moto.mock_aws()`` while every other service stays moto's.

While no fake is active, or when a client was given an endpoint URL that is
not an AWS host (such as a running fake-ecr server), the handler steps aside
and botocore sends the request as usual.  The request's target and body go
to the same protocol core the HTTP server uses (``fake_ecr.api.handle``): only
the HTTP envelope is skipped (design.md "Getting calls in").

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/")
_AWS_HOST = re.compile(r"(^|\.)(amazonaws\.com(\.cn)?|api\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$")
_HOST_REGION = re.compile(r"^(?:api\.)?ecr(?:-fips)?\.([a-z0-9-]+)\.")


class ApiEndpoint(Protocol):
    """What the handler needs of a fake: answer one control-plane request."""

    def handle_api(self, target: str, body: bytes, region: str | None) -> tuple[int, dict[str, str], bytes]: ...


_active: list[ApiEndpoint] = []
_active_lock = threading.Lock()


def activate(endpoint: ApiEndpoint) -> None:
    """Route ECR calls to ``endpoint`` (the latest activated fake wins)."""
    with _active_lock:
        _active.append(endpoint)


def deactivate(endpoint: ApiEndpoint) -> None:
    with _active_lock:
        if endpoint in _active:
            _active.remove(endpoint)


def region_of(headers: Any, url: str) -> str | None:
    """The request's region: SigV4's credential scope, else the endpoint host."""
    authorization = headers.get("Authorization")
    if authorization:
        text = authorization.decode() if isinstance(authorization, bytes) else str(authorization)
        match = _CREDENTIAL_SCOPE.search(text)
        if match:
            return match.group(1)
    host_match = _HOST_REGION.match(urlsplit(url).hostname or "")
    return host_match.group(1) if host_match else None


class _Body:
    """The ``raw`` botocore's AWSResponse reads a body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    if not _active:
        return None
    endpoint = _active[-1]
    if not _AWS_HOST.search(urlsplit(request.url).hostname or ""):
        return None  # a custom endpoint (a running fake-ecr server, LocalStack...): let it go out
    target = request.headers.get("X-Amz-Target", b"")
    body = request.body or b""
    status, headers, payload = endpoint.handle_api(
        target.decode() if isinstance(target, bytes) else str(target),
        body.encode() if isinstance(body, str) else bytes(body) if not isinstance(body, bytes) else body,
        region_of(request.headers, request.url),
    )
    http_headers = HTTPHeaders()
    for key, value in headers.items():
        http_headers[key] = value
    return AWSResponse(request.url, status, http_headers, _Body(payload))


_HANDLER = ("before-send.ecr", _before_send, botocore.handlers.REGISTER_FIRST)
if _HANDLER not in botocore.handlers.BUILTIN_HANDLERS:
    botocore.handlers.BUILTIN_HANDLERS.append(_HANDLER)
