"""In-process routing of boto3/botocore ECR calls to the active fake.

Owns a botocore ``before-call`` handler for the ``ecr`` and ``ecr-public`` services, registered
among botocore's built-in handlers when this module is imported, so every
session and client created afterwards carries it - before or after a fake
starts, from any session.  botocore has serialized the request by then (the
X-Amz-Target header and the JSON body); the handler hands both to the same
protocol core the HTTP server uses (``fake_ecr.api.answer``), so in-process and
over-the-socket calls run identical code below the HTTP envelope.  The core's
answer is a JSON object; the server encodes it, and here botocore is handed
what its JSON parser makes of that encoding, built from the object directly
(``fake_ecr.surfaces.botocore_parsed``), with the timestamp and blob parsers of
the calling client's parser factory; the encoding itself is made only if
something reads the HTTP response's body.

Answering at ``before-call`` rather than ``before-send`` skips what a fake has no
use for - signing, retries, the transport - which halves the cost of a call,
needs no credentials, and keeps moto's ``before-send`` stubber from seeing ECR
calls, so it works inside a user's moto mocks with every other service still
moto's: moto 5's ``mock_aws()``, and moto 4's per-service ones, ``mock_ecr``
included - while a fake is active, it answers ECR.  It is registered last, so a
user's botocore ``Stubber`` still answers first.

aiobotocore's sessions register botocore's built-in handlers too, emit the same
event, and await a handler's answer only when it is awaitable, so aiobotocore's
and aioboto3's ECR clients are answered here as boto3's are (and aiobotocore's
``AioStubber`` still answers first).

While no fake is active, or when a client was given an endpoint URL that is
not an AWS host (such as a running fake-ecr server), the handler steps aside
and botocore sends the request as usual.

ECR Public is served from us-east-1 only; botocore still builds ``api.ecr-public.<region>.amazonaws.com``
for any other region (its endpoint rules), a host that does not resolve, so a client there fails with
EndpointConnectionError before any request is sent; the handler answers such a call the same way
(the User Guide has clients authenticate in us-east-1; the endpoint table also lists us-west-2, a CONFLICT:
docs/behaviour/public.md#public-operations).

A second ``before-call`` handler, for ``sts``, keeps the fake's test credentials
off the network: while a fake is active, STS GetCallerIdentity answers with the
fake's account (how code learns the account it builds ECR's names from), and
other STS operations are refused, unless moto's mock answers STS (then moto does).

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import EndpointConnectionError
from botocore.handlers import BUILTIN_HANDLERS, REGISTER_LAST
from botocore.model import OperationModel
from botocore.parsers import ResponseParserFactory

from fake_ecr.surfaces.botocore_parsed import parsed_response

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/")
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
_AWS_HOST = re.compile(r"(^|\.)(amazonaws\.com(\.cn)?|api\.aws|c2s\.ic\.gov|sc2s\.sgov\.gov)$")
_HOST_REGION = re.compile(r"^(?:api\.)?ecr(?:-public)?(?:-fips)?\.([a-z0-9-]+)\.")
#: Services served from one region only: ECR Public, from us-east-1.
SINGLE_REGION = {"ecr-public": "us-east-1"}


class ApiAnswer(Protocol):
    """An answer of the protocol core: the status, the headers, the JSON object and its encoding."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...

    def body(self) -> bytes: ...


class ApiEndpoint(Protocol):
    """What the handlers need of a fake: answer one control-plane request, and say who the caller is."""

    def answer_api(self, target: str, body: bytes, region: str | None) -> ApiAnswer: ...

    def caller_identity(self, region: str | None) -> dict[str, str]:
        """STS GetCallerIdentity's UserId, Account and Arn for calls in ``region``."""
        ...


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


def access_key_of(headers: Any) -> str | None:
    """The access key id a SigV4-signed request names in its credential scope; None when unsigned."""
    authorization = headers.get("Authorization")
    if not authorization:
        return None
    match = _ACCESS_KEY.search(authorization.decode() if isinstance(authorization, bytes) else str(authorization))
    return match.group(1) if match else None


@lru_cache(maxsize=256)
def aws_endpoint(url: str) -> bool:
    """Whether a request goes to an AWS host (not to a custom endpoint: a fake-ecr server, LocalStack...); a
    client's endpoint URL is the same on each call, so the answer is kept."""
    return bool(_AWS_HOST.search(urlsplit(url).hostname or ""))


class Body:
    """The ``raw`` botocore's AWSResponse reads a body from, made by ``encode`` when read."""

    def __init__(self, encode: Callable[[], bytes]) -> None:
        self._encode = encode

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._encode()


#: A client's request signer (each client has its own) -> the response parser factory of the client's endpoint.
_PARSER_FACTORIES: WeakKeyDictionary[object, ResponseParserFactory] = WeakKeyDictionary()
_DEFAULT_PARSER_FACTORY = ResponseParserFactory()


def _parser_defaults(request_signer: object) -> Mapping[str, Any]:
    """The parser defaults of the calling client: its endpoint parses responses with parsers its session's
    ``response_parser_factory`` makes, given a timestamp or blob parser of their own by ``set_parser_defaults``
    (the AWS CLI does so, for its ``cli_timestamp_format``).

    botocore hands a ``before-call`` handler no client, so the client is found once on the stack, as the
    ``self`` of its ``_make_api_call`` (botocore's and aiobotocore's), and its factory kept by its request
    signer; where no client is found (the event emitted by other code), botocore's default factory serves.
    """
    factory = _PARSER_FACTORIES.get(request_signer)
    if factory is None:
        factory = _DEFAULT_PARSER_FACTORY
        frame = sys._getframe(1)
        while frame.f_back is not None and frame.f_code.co_name != "_make_api_call":
            frame = frame.f_back
        if frame.f_code.co_name == "_make_api_call":
            endpoint = getattr(frame.f_locals.get("self"), "_endpoint", None)
            factory = getattr(endpoint, "_response_parser_factory", factory)
        _PARSER_FACTORIES[request_signer] = factory
    defaults: Mapping[str, Any] = getattr(factory, "_defaults", {})
    return defaults


def _before_call(
    model: OperationModel, params: dict[str, Any], context: dict[str, Any], request_signer: object, **_: Any
) -> Any:
    if not _active:
        return None
    endpoint = _active[-1]
    url = str(params.get("url", ""))
    if not aws_endpoint(url):
        return None  # a custom endpoint: let it go out
    headers = params["headers"]
    target = headers.get("X-Amz-Target", "")
    body = params.get("body") or b""
    region = context.get("client_region") or region_of(headers, url)
    served_in = SINGLE_REGION.get(model.service_model.service_name)
    if served_in is not None and region != served_in:
        raise EndpointConnectionError(endpoint_url=url, error=f"{urlsplit(url).hostname} does not resolve")
    answer = endpoint.answer_api(
        target.decode() if isinstance(target, bytes) else str(target),
        body.encode() if isinstance(body, str) else bytes(body),
        region,
    )
    http = AWSResponse(url, answer.status, answer.headers, Body(answer.body))  # headers: made a HeadersDict
    defaults = _parser_defaults(request_signer)
    return http, parsed_response(model, answer.status, answer.headers, answer.payload, defaults)


def _moto_answers(method: str, url: str) -> bool:
    """Whether moto's botocore stubber, if moto is loaded and mocking, will answer this request.

    moto 5's ``mock_aws`` answers every service; moto 4's per-service mocks only the URLs of the services
    started (``mock_sts``...), which they register with the stubber.
    """
    stubber = getattr(sys.modules.get("moto.core.models"), "botocore_stubber", None)
    if not getattr(stubber, "enabled", False):
        return False
    patterns = getattr(stubber, "methods", None)  # moto 4's registered (URL pattern, answer) pairs
    if patterns is None:
        return True
    base_url = url.split("?", 1)[0]
    return any(pattern.match(base_url) for pattern, _ in patterns.get(method, []))


def _before_sts_call(model: OperationModel, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
    """STS for code that reads its account to build ECR's names: never sent out with the fake's test credentials.

    GetCallerIdentity answers with the active fake's caller; every other STS operation is refused with
    STS's common InvalidAction error (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html),
    its message saying why.  Where moto's mock answers STS, or the client names its own endpoint, this steps
    aside.
    """
    url = str(params.get("url", ""))
    if not _active or not aws_endpoint(url) or _moto_answers(str(params.get("method", "POST")), url):
        return None
    request_id = str(uuid.uuid4())
    if model.name == "GetCallerIdentity":
        status = 200
        parsed: dict[str, Any] = dict(_active[-1].caller_identity(context.get("client_region")))
    else:
        status = 400
        message = (
            f"fake-ecr answers STS GetCallerIdentity only; {model.name} was not sent to AWS with the fake's test"
            " credentials (start moto's mock_aws() for the rest of STS)"
        )
        parsed = {"Error": {"Type": "Sender", "Code": "InvalidAction", "Message": message}}
    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = request_id
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }
    return AWSResponse(url, status, headers, Body(bytes)), parsed


for _handler in (
    ("before-call.ecr", _before_call, REGISTER_LAST),
    ("before-call.ecr-public", _before_call, REGISTER_LAST),
    ("before-call.sts", _before_sts_call, REGISTER_LAST),
):
    if _handler not in BUILTIN_HANDLERS:
        BUILTIN_HANDLERS.append(_handler)
