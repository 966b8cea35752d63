"""AWS services other than ECR on the server's port: STS, S3, IAM ... beside ECR, behind one ``AWS_ENDPOINT_URL``.

Owns which requests the server hands to another service, and how they are answered:

- **Which.** SigV4 names the service a request is signed for in its credential scope,
  ``<access key>/<date>/<region>/<service>/aws4_request``, sent in the ``Authorization`` header or, in a presigned
  URL, the ``X-Amz-Credential`` query parameter
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).  ``ecr`` and
  ``ecr-public`` (botocore's signing names for ECR and ECR Public) are fake-ecr's, always; a request signed for
  any other service is answered here, and so is moto's own API under ``/moto-api`` (its reset and dashboard).
  Unsigned requests stay fake-ecr's (the registry, the control API).
- **With moto's server installed** (``pip install 'fake-ecr[moto]'``: moto with its ``server`` extra), moto's WSGI
  app answers them: ``moto.moto_server.werkzeug_app.DomainDispatcherApplication(create_backend_app)``, the same
  in moto 4.2 and 5.x, made at the first such request (importing it takes a second).  moto tells the service
  apart by that same credential scope.  moto keeps one state per process: the fakes attached to a server in turn
  share it, and so do moto's in-process mocks (``mock_aws``) in the same process; ``POST /moto-api/reset``
  clears it.
- **The account** is the attached fake's ``Settings.account_id``: moto answers each request in the account its
  ``x-moto-account-id`` header names (``BaseResponse.get_current_account`` in moto's ``moto/core/responses.py``,
  4.2 and 5.x alike, where only a ``MOTO_ACCOUNT_ID`` variable in the server's environment comes first), and a
  request that names none is given the fake's.  So ``sts get-caller-identity`` says the account ECR's
  repositories are in, and the ARNs moto makes (IAM roles, S3 buckets' owners) name it too.
- **Without moto**, STS ``GetCallerIdentity`` is answered with the fake's caller (``fake_ecr.surfaces.sts``, the
  identity in-process calls get), in STS's Query protocol
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html); every other request is
  refused with ``InvalidAction``, its message naming what is missing.

Refusals are AWS's common errors (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html):
``InvalidAction`` (400) for what nothing here serves, ``MissingAction`` (400) for a Query request without one,
``MalformedHttpRequestException`` (400) for a body that can't be read, ``InternalFailure`` (500) when moto
itself fails - in the format the request's protocol reads: JSON for a JSON protocol (an ``X-Amz-Target`` or a
JSON body), else Query's XML ``ErrorResponse``, which botocore's rest-xml parser reads too.  Never a traceback.

Must not import ``fake_ecr.surfaces.handle`` or ``fake_ecr.surfaces.server`` (the server uses this module).
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.model import OperationNotFoundError
from werkzeug.wrappers import Request, Response

from fake_ecr import errors
from fake_ecr.surfaces import sts
from fake_ecr.surfaces.http_bodies import read_at_most

#: botocore's signing names of the services fake-ecr answers itself.
ECR_SERVICES = frozenset({"ecr", "ecr-public"})
#: moto's own API (``/moto-api/reset``, ``/moto-api/data.json``, its dashboard at ``/moto-api/``).
MOTO_API = "/moto-api"
#: STS's host names (https://docs.aws.amazon.com/general/latest/gr/sts.html): the global ``sts.amazonaws.com``,
#: the regional ``sts[-fips].<region>.amazonaws.com`` (``.amazonaws.com.cn`` in China) and the dual-stack
#: ``sts.<region>.api.aws``.  The server as HTTPS proxy answers them itself (``fake_ecr.surfaces.server``).
STS_HOST = re.compile(r"sts(?:-fips)?(?:\.[a-z0-9-]+)?\.(?:amazonaws\.com(?:\.cn)?|api\.aws)", re.IGNORECASE)
#: What to install for the other services.
MOTO_EXTRA = "pip install 'fake-ecr[moto]'"
#: Signing names of the services botocore speaks rest-xml to (S3, Route 53, CloudFront): XML errors, no form bodies.
REST_XML_SERVICES = frozenset({"s3", "route53", "cloudfront"})
#: The longest Query body read without moto: GetCallerIdentity's is ``Action=GetCallerIdentity&Version=2011-06-15``.
MAX_QUERY_BODY = 64 * 1024

_HEADER_SCOPE = re.compile(r"Credential=([^,\s]+)")
_SCOPE = re.compile(r"([^/]+)/\d{8}/(?:([a-z0-9-]+)/)?([a-z0-9-]+)/aws4_request")
_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


@dataclass(frozen=True)
class CredentialScope:
    """Who signed a SigV4 request, for which region (None: SigV4a's scope names none) and which service."""

    access_key: str
    region: str | None
    service: str


def credential_scope(request: Request) -> CredentialScope | None:
    """The credential scope a request is signed with (header, else presigned query); None when unsigned."""
    header = _HEADER_SCOPE.search(request.headers.get("Authorization", ""))
    scope = header.group(1) if header else request.args.get("X-Amz-Credential", "")
    match = _SCOPE.fullmatch(scope)
    return CredentialScope(match[1], match[2], match[3].lower()) if match else None


def addressed(request: Request) -> bool:
    """Whether a request is for another service than ECR and ECR Public: signed for one, or moto's own API."""
    scope = credential_scope(request)
    if scope is not None:
        return scope.service not in ECR_SERVICES
    return request.path == MOTO_API or request.path.startswith(MOTO_API + "/")


class OtherServices:
    """The answer to requests for other services: moto's server app where moto is installed, else the STS
    caller and refusals.  One per server; moto's app is made at its first request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._moto: Any = None
        #: Why moto's server can't answer here (moto, or its server extra's Flask, not installed).
        self._missing = ""

    def _moto_app(self) -> Any:
        with self._lock:
            if not self._loaded:
                try:
                    # moto is optional and costly to import: only a request for another service pays for it.
                    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
                        DomainDispatcherApplication,
                        create_backend_app,
                    )
                except ImportError as error:  # moto, or the Flask its server needs, is not installed
                    self._missing = str(error)
                else:
                    self._moto = DomainDispatcherApplication(create_backend_app)
                self._loaded = True
            return self._moto

    def respond(self, request: Request, account_id: str, region: str) -> Response:
        """Answer ``request`` for the fake of ``account_id`` (``region``: where a request names none)."""
        scope = credential_scope(request)
        moto = self._moto_app()
        if moto is None:
            return self._without_moto(request, scope, account_id, region)
        return _through_moto(moto, request, scope, account_id)

    def _without_moto(self, request: Request, scope: CredentialScope | None, account_id: str, region: str) -> Response:
        missing = f"moto's server, which can't be imported here ({self._missing}): {MOTO_EXTRA}"
        if scope is None or scope.service != "sts":
            what = f"'{scope.service}'" if scope is not None else "moto's API"
            served = "fake-ecr serves ECR, ECR Public and STS GetCallerIdentity"
            return error_response(request, 400, "InvalidAction", f"{served}; {what} needs {missing}")
        try:
            action = _query_action(request)
        except errors.RequestBodyUnreadable as error:
            return error_response(request, 400, "MalformedHttpRequestException", str(error))
        if action is None:
            return error_response(request, 400, "MissingAction", "The request is missing an action")
        if action != "GetCallerIdentity":
            message = f"fake-ecr answers STS GetCallerIdentity only; {action} needs {missing}"
            return error_response(request, 400, "InvalidAction", message)
        return _caller_identity(sts.caller_identity(account_id, scope.region or region))


def _query_action(request: Request) -> str | None:
    """A Query request's ``Action``: from the query string, else the form body (read up to ``MAX_QUERY_BODY``)."""
    action = request.args.get("Action")
    if action is not None or request.mimetype != "application/x-www-form-urlencoded":
        return action
    try:
        body = read_at_most(request.stream, MAX_QUERY_BODY)  # type: ignore[arg-type]
    except errors.RequestBodyTooLarge:
        return "an action whose request is this long"
    return dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action")


def _caller_identity(identity: dict[str, str]) -> Response:
    request_id = str(uuid.uuid4())
    members = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in identity.items())
    document = (
        f'<GetCallerIdentityResponse xmlns="{_STS_NAMESPACE}"><GetCallerIdentityResult>{members}'
        f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )
    return Response(document, 200, {"x-amzn-RequestId": request_id}, content_type="text/xml")


def _through_moto(moto: Any, request: Request, scope: CredentialScope | None, account_id: str) -> Response:
    """moto's answer, in the fake's account unless the request names its own (``x-moto-account-id``)."""
    environ = request.environ
    environ.setdefault("HTTP_X_MOTO_ACCOUNT_ID", account_id)
    # moto reads a form body with one read of Content-Length bytes: a buffered stream gives it all of them.
    environ["wsgi.input"] = io.BufferedReader(environ["wsgi.input"])
    service = f"'{scope.service}'" if scope is not None else "its API"
    try:
        app = moto.get_application(environ)
    except Exception:  # noqa: BLE001 - moto's dispatcher fails in its own ways on a service it lacks
        return error_response(request, 400, "InvalidAction", f"moto serves no {service}")
    try:
        return Response.from_app(app, environ)
    except errors.RequestBodyUnreadable as error:
        return error_response(request, 400, "MalformedHttpRequestException", str(error))
    except (NotImplementedError, OperationNotFoundError) as error:  # moto 4.2's and 5's unknown action
        return error_response(request, 400, "InvalidAction", f"moto's {service} has no such action: {error}")
    except Exception as error:  # noqa: BLE001 - moto's server propagates its own failures (Flask's debug mode)
        message = f"moto's {service} failed: {type(error).__name__}: {error}"
        return error_response(request, 500, "InternalFailure", message)


def error_response(request: Request, status: int, code: str, message: str) -> Response:
    """An AWS error as the request's protocol reads it: Query's XML for a Query request (a form, or ``Action`` in
    the query string) and for the rest-xml services, CBOR for Smithy RPC v2 CBOR (its ``smithy-protocol``
    header), JSON for the rest (the JSON protocols read ``__type`` and ``message``, rest-json the code from
    ``x-amzn-ErrorType``)."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
    scope = credential_scope(request)
    query = request.mimetype == "application/x-www-form-urlencoded" or "Action" in request.args
    if not query and (scope is None or scope.service not in REST_XML_SERVICES):
        members = {"__type": code, "message": message}
        if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
            headers["smithy-protocol"] = "rpc-v2-cbor"
            return Response(_cbor_text_map(members), status, headers, content_type="application/cbor")
        return Response(json.dumps(members), status, headers, content_type="application/x-amz-json-1.1")
    sender = "Sender" if status < 500 else "Receiver"
    document = (
        f"<ErrorResponse><Error><Type>{sender}</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Response(document, status, headers, content_type="text/xml")


def _cbor_text_map(members: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949 §3.1: major types 5 and 3, lengths below 2**16)."""
    encoded = bytearray([0xA0 | len(members)])
    for text in (part for item in members.items() for part in item):
        data = text.encode()
        if len(data) < 24:
            encoded.append(0x60 | len(data))
        elif len(data) < 256:
            encoded += bytes([0x78, len(data)])
        else:
            encoded += bytes([0x79]) + len(data).to_bytes(2, "big")
        encoded += data
    return bytes(encoded)
