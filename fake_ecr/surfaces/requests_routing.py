"""In-process HTTP to the registry for ``requests``: ECR's registry host names reach the active fake.

Owns three things built on one conversion (``serve_prepared``: a ``requests.PreparedRequest`` becomes
a werkzeug request served by a fake's ``serve_registry``, and the answer a status, headers and a
streaming body):

- ``InProcessAdapter``: a ``requests`` transport adapter that sends a session's requests to one fake,
  whether or not it is active (``FakeEcr.push`` uses it).
- ``activate``/``deactivate``: while a fake is active, a ``responses`` mock sends every ``requests``
  call to ``https://<account>.dkr.ecr.<region>.amazonaws.com[.cn]/...`` to the latest activated
  fake (the registry is chosen from the host), and passes every other URL on, untouched, to
  whatever ``HTTPAdapter.send`` was installed before it (the network, or an earlier ``responses``
  mock such as moto's).
- Coexistence with moto, where it is installed (fake-ecr does not need it).  moto 4's per-service
  mocks (``mock_s3``, ``mock_ecr``...) and moto 5's ``mock_aws()`` alike mock ``requests`` with one
  ``responses`` mock of their own, ``moto.core.models.responses_mock``, where a catch-all claims
  every ``*.amazonaws.com`` URL.  Started *after* the fake, moto sees requests first; so while a
  fake is active, moto's mock finds no match for ECR's registry hosts and passes them to its real
  send, which is this module's mock (moto FAQ, "How can I mock my own HTTP-requests, using the
  Responses-module?": ``override_responses_real_send``).  Both hooks are the same in moto 4.2 and
  5.x, so one function serves both; moto 5's ``core.passthrough.urls`` setting would not, as moto 4
  has none and a user's ``mock_aws(config={"core": ...})`` replaces it.  A request that went round
  both mocks once goes straight to the network, so the two never pass it back and forth.

Bodies stream where ``responses`` lets them: a generator body (chunked upload) is read by the
registry piece by piece, and responses are read from the registry's iterator as the client reads
(``responses`` itself reads a file-like request body whole first).

Must not import ``fake_ecr.surfaces.handle`` (the fake imports this module) or ``fake_ecr.registry``; imports
moto only when a fake is activated, and only if it is installed.
"""

from __future__ import annotations

import http.client
import io
import re
import threading
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import requests
import requests.adapters
import responses
from urllib3 import HTTPHeaderDict, HTTPResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from fake_ecr.formats.streams import ChunkReader

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: URLs of ECR's registry hosts, ``<account>.dkr.ecr.<region>.amazonaws.com`` (ECR User Guide, "Private registry"),
#: and of ECR Public's, ``public.ecr.aws`` (ECR Public User Guide, "Amazon ECR public registries").
ECR_REGISTRY_URL = re.compile(
    r"https?://(?:\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?|public\.ecr\.aws)(?::\d+)?(?:[/?#]|$)",
    re.IGNORECASE,
)
#: The methods the registry serves (OCI distribution spec 1.1 endpoint table).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
#: Marks a request that has already passed through this module's mock without being served here.
_PASSED_ON = "_fake_ecr_passed_on"

Send = Callable[..., requests.Response]


class RegistryEndpoint(Protocol):
    """What routing needs of a fake: serve one registry request (the registry named by its Host)."""

    def serve_registry(self, request: Request, registry: tuple[str, str] | None) -> Response: ...


# --- the conversion ---------------------------------------------------------------------------------


def _body_stream(body: object, declared_length: str | None) -> tuple[IO[bytes], int | None]:
    """The request body as the WSGI input stream, and its length when known (None: chunked)."""
    if body is None:
        return io.BytesIO(), 0
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return io.BytesIO(body), len(body)
    length = int(declared_length) if declared_length else None
    if hasattr(body, "read"):
        return body, length  # type: ignore[return-value]
    return io.BufferedReader(ChunkReader(body)), length  # type: ignore[arg-type]


def _environ(request: requests.PreparedRequest) -> WSGIEnvironment:
    url = urlsplit(request.url or "")
    builder = EnvironBuilder(
        method=request.method or "GET",
        base_url=f"{url.scheme}://{url.netloc}",
        path=url.path,
        query_string=url.query,
        headers=list(request.headers.items()),
    )
    environ = builder.get_environ()
    builder.close()
    stream, length = _body_stream(request.body, request.headers.get("Content-Length"))
    environ["wsgi.input"] = stream
    if length is None:
        # A chunked body ends where its stream ends, as a WSGI server that decodes chunking says.
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return environ


def serve_prepared(
    endpoint: RegistryEndpoint, request: requests.PreparedRequest
) -> tuple[int, list[tuple[str, str]], io.BufferedReader]:
    """Serve one ``requests`` request with ``endpoint``'s registry: (status, headers, body read as it streams)."""
    environ = _environ(request)
    response = endpoint.serve_registry(Request(environ), None)
    # werkzeug's own WSGI view of the response: no body for HEAD, 204 and 304, headers as sent.
    body, status, headers = response.get_wsgi_response(environ)
    return int(status.split(" ", 1)[0]), list(headers), io.BufferedReader(ChunkReader(body))


class InProcessAdapter(requests.adapters.HTTPAdapter):
    """A transport adapter that answers every request with one fake's registry, in this process."""

    def __init__(self, endpoint: RegistryEndpoint) -> None:
        super().__init__()
        self._endpoint = endpoint

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **_: Any
    ) -> requests.Response:
        status, headers, body = serve_prepared(self._endpoint, request)
        raw = HTTPResponse(
            body=body,
            headers=HTTPHeaderDict(headers),
            status=status,
            reason=http.client.responses.get(status),
            preload_content=False,
            decode_content=False,
            request_method=request.method,
        )
        return self.build_response(request, raw)


# --- the responses mock -----------------------------------------------------------------------------

_active: list[RegistryEndpoint] = []
_lock = threading.Lock()
_undo: list[Callable[[], None]] = []


def _serve_active(request: requests.PreparedRequest) -> tuple[int, list[tuple[str, str]], io.BufferedReader]:
    if not _active:  # only after an out-of-order stop left this mock patched in under another one
        raise requests.ConnectionError(f"no fake ECR is active to answer {request.method} {request.url}")
    return serve_prepared(_active[-1], request)


def _start_mock() -> None:
    next_send: Send = requests.adapters.HTTPAdapter.send

    def pass_on(  # noqa: PLR0917 - HTTPAdapter.send's own parameters, which responses passes on
        adapter: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        # Round one: to whatever was installed before this mock.  A request that comes back here (a
        # mock below passed it up again, as moto does once told to) goes to the network.
        send = responses._real_send if getattr(request, _PASSED_ON, False) else next_send
        setattr(request, _PASSED_ON, True)
        return send(adapter, request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)

    mock = responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=pass_on)
    for method in METHODS:
        # content_type=None: the registry's own Content-Type is the only one.
        mock.add(responses.CallbackResponse(method, ECR_REGISTRY_URL, _serve_active, content_type=None))
    mock.add_passthru("http")  # every URL that is no ECR registry host
    mock.start()
    _undo.append(lambda: mock.stop(allow_assert=False))
    _undo.append(_hand_back_from_moto(mock))


def _hand_back_from_moto(mock: responses.RequestsMock) -> Callable[[], None]:
    """Make moto's ``responses`` mock, whenever started, leave ECR's registry hosts to ``mock``; returns the undo."""
    try:
        from moto.core import models as moto_models  # noqa: PLC0415 - moto costs 0.1 s to import; only here
    except ImportError:  # moto is optional: nothing to coexist with
        return lambda: None
    moto_mock: responses.RequestsMock = moto_models.responses_mock
    find_match = moto_mock._find_match  # responses' lookup of a request's registered response

    def find_no_registry_host(request: requests.PreparedRequest) -> tuple[responses.BaseResponse | None, list[str]]:
        # No match: moto passes the request on (its passthru "http") to its real send, which is ``mock``.
        return (None, []) if ECR_REGISTRY_URL.match(request.url or "") else find_match(request)

    real_send = moto_mock._real_send
    moto_mock._find_match = find_no_registry_host  # type: ignore[method-assign]
    # What moto's own override_responses_real_send(mock) does; that function is missing before moto 4.2.8.
    moto_mock._real_send = mock.unbound_on_send()

    def undo() -> None:
        del moto_mock._find_match  # the class's method again
        moto_mock._real_send = real_send

    return undo


def activate(endpoint: RegistryEndpoint) -> None:
    """Route ECR registry hosts to ``endpoint`` (the latest activated fake wins)."""
    with _lock:
        _active.append(endpoint)
        if len(_active) == 1:
            _start_mock()


def deactivate(endpoint: RegistryEndpoint) -> None:
    with _lock:
        if endpoint not in _active:
            return
        _active.remove(endpoint)
        if not _active:
            while _undo:
                _undo.pop()()
