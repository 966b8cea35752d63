"""The threaded HTTP server: ECR's API and the registry on one port.

Owns the listening sockets and the WSGI envelope.  ``POST /`` with an
``X-Amz-Target`` header goes to the control plane's protocol core; ``/v2/...``
goes to the registry.  The server serves whichever fake is attached to it, so a
session-long server can serve a fresh state for every test (the
pytest-httpserver pattern).

Addressing (README "Registry addresses"): the attached fake's own registry
(its settings' account and region) is served on the main port; every other
account's or region's registry that the fake stores gets a port of its own on
the same host, opened the first time a response names it, so ``repositoryUri``
and ``proxyEndpoint`` name an address a client on this machine can push to.
Extra ports are bounded by the server's ``Settings.max_registries``: at the
limit, the ports of registries the attached fake does not hold (left by
earlier fakes on a session-long server) are closed first; past that, one more
is refused with ``TooManyRegistries``.  ``stop`` closes every port and ends
its thread.

With ``Settings.registry_addresses="ecr"`` (the default) ``repositoryUri`` names ECR's own hosts, and the
server is the HTTPS proxy that reaches them (``fake_ecr.surfaces.proxy``; README "Registry addresses"): a
``CONNECT`` to ECR's API or registry hosts is answered here, over TLS with a certificate for that host from
the server's throwaway CA (``fake_ecr.surfaces.tls``, made at the first need), and a ``CONNECT`` to any
other host is relayed untouched.  With ``"local"`` they name the ports above.

With ``Settings.tls`` the server speaks HTTPS with a throwaway CA; ``ca_file`` is the CA's PEM file.
``env`` is what a subprocess needs to use the server: test credentials, region, the endpoint (local
addresses) or the proxy (ECR's), the CA, and registry logins, written to files it owns until ``stop``.

Connections are accepted, bounded and timed out by ``fake_ecr.surfaces.connections`` (``Settings.max_connections``,
``max_request_threads``, ``header_timeout``, ``idle_timeout``); its loop also calls the attached fake's
reaper of abandoned uploads.  Control-plane bodies longer than ECR's largest request are refused
(``api.core.MAX_REQUEST_BODY``).

Request bodies are read by ``fake_ecr.surfaces.http_bodies`` (chunked and sized framing, RFC 9112), not werkzeug's
dechunking: a body that can't be read is a 400 from the surface it was sent to, never a 500.

A request SigV4-signed for another AWS service than ECR and ECR Public (STS, S3, IAM ...) is answered by
``fake_ecr.surfaces.other_services``: moto's server app where moto is installed, in the attached fake's account;
without moto, STS GetCallerIdentity with the fake's caller and a refusal for the rest.  As the HTTPS proxy the
server answers STS's hosts too.

Paths under ``/_fake-ecr/`` are the control API (``fake_ecr.surfaces.control``), answered by the attached
fake's ``serve_control``.
A browser's ``GET /`` and ``GET /_fake-ecr/dashboard`` get the dashboard (``fake_ecr.surfaces.dashboard``).

Must not import ``fake_ecr.surfaces.handle`` (the fake imports this module).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Protocol

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

from fake_ecr import errors
from fake_ecr.api.core import MAX_REQUEST_BODY, render_error
from fake_ecr.formats.control_api import PREFIX
from fake_ecr.model.clock import Clock
from fake_ecr.model.public import PUBLIC_REGION, PUBLIC_REGISTRY_HOST
from fake_ecr.model.records import ecr_registry_host
from fake_ecr.model.tokens import issue_token
from fake_ecr.registry.app import API_VERSION
from fake_ecr.registry.auth import registry_of_host
from fake_ecr.registry.oci_errors import error_response
from fake_ecr.settings import Settings
from fake_ecr.surfaces import control, dashboard, other_services
from fake_ecr.surfaces.boto import access_key_of, region_of
from fake_ecr.surfaces.connections import LimitedWSGIServer, Limits
from fake_ecr.surfaces.environment import RegistryAuthFiles, client_environment
from fake_ecr.surfaces.http_bodies import LeftoverInput, body_reader, read_at_most
from fake_ecr.surfaces.proxy import ECR_API_HOST
from fake_ecr.surfaces.tls import ThrowawayCa

#: How often a listener checks for shutdown: short, so a session's teardown is quick.
POLL_INTERVAL = 0.05
#: environ key carrying the (account, region) a registry listener serves
REGISTRY_KEY = "fake_ecr.registry"


class ServedFake(Protocol):
    """What the server needs of the fake attached to it."""

    settings: Settings
    clock: Clock

    def handle_api(
        self, target: str, body: bytes, region: str | None, access_key: str | None
    ) -> tuple[int, dict[str, str], bytes]: ...

    def serve_registry(self, request: Request, registry: tuple[str, str] | None) -> Response: ...

    def holds_registry(self, registry: tuple[str, str]) -> bool: ...

    def expire_idle_uploads(self) -> None: ...

    def serve_control(self, request: Request) -> Response: ...


class _RequestHandler(WSGIRequestHandler):
    # Clients probing with a TLS hello must get a status line back, not an HTTP/0.9
    # body, or the Docker CLI fails instead of falling back to http (docs/behaviour/clients.md#what-clients-need #1).
    default_request_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay quiet: tests read their own output."""

    def make_environ(self) -> WSGIEnvironment:
        """werkzeug's environ, with the body read by ``http_bodies`` instead of werkzeug's ``DechunkedInput``.

        ``wsgi.input_terminated`` tells werkzeug's ``Request`` that the stream ends where the body does, so
        it reads the stream as it is (no ``LimitedStream`` around it, no dechunking of its own).  werkzeug
        reads ``rfile`` itself only after the response, to drop what the client still sends: through
        ``LeftoverInput``, in pieces of at most ``http_bodies.MAX_READ``.
        """
        environ = super().make_environ()
        environ["wsgi.input"] = body_reader(
            self.rfile,
            self.request_version,
            self.headers.get_all("Transfer-Encoding", []),
            self.headers.get_all("Content-Length", []),
        )
        environ["wsgi.input_terminated"] = True
        self.rfile = LeftoverInput(self.rfile)  # type: ignore[assignment]
        return environ


class FakeServer:
    """One threaded werkzeug server (plus a port per extra registry) serving an attached fake."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        *,
        settings: Settings | None = None,
        ca: ThrowawayCa | None = None,
    ) -> None:
        self.host = host
        #: The settings the server was made for; a fake attached to it brings its own.
        self.settings = settings if settings is not None else Settings()
        self._ssl_context = ssl_context
        self._ca = ca
        self._auth_files = RegistryAuthFiles()
        self._fake: ServedFake | None = None
        self._other_services = other_services.OtherServices()
        self._lock = threading.Lock()
        self._main = self._listen(port, None)
        self.port = self._main.server_port
        self._registry_listeners: dict[tuple[str, str], BaseWSGIServer] = {}

    @classmethod
    def for_settings(cls, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        """A server as ``settings`` ask for (plain HTTP, or HTTPS with a throwaway CA when ``tls`` is set)."""
        if not settings.tls:
            return cls(host, port, settings=settings)
        ca = ThrowawayCa([host])
        try:
            return cls(host, port, ca.ssl_context, settings=settings, ca=ca)
        except OSError:
            ca.remove()
            raise

    @property
    def scheme(self) -> str:
        """``"https"`` with ``Settings.tls``, else ``"http"``."""
        return "https" if self._ssl_context is not None else "http"

    @property
    def endpoint(self) -> str:
        """The URL of ECR's API (and of the attached fake's own registry)."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str | None:
        """The PEM file of the CA that signed the server's certificates: its own (HTTPS), and ECR's host names'
        as the proxy (None: plain HTTP and no proxying yet, or not ours)."""
        return self._ca.ca_file if self._ca is not None else None

    def _authority(self) -> ThrowawayCa:
        """The throwaway CA, made now if the server has none yet (a plain HTTP server acting as the proxy)."""
        with self._lock:
            if self._ca is None:
                self._ca = ThrowawayCa([self.host])
            return self._ca

    def proxy(self) -> tuple[str, str]:
        """The proxy URL (``HTTPS_PROXY``) that reaches ECR's hosts here, and the CA file to trust for them.

        The proxy is plain HTTP, also on an HTTPS server: the listener takes a ``CONNECT`` in the clear.
        """
        return f"http://{self.host}:{self.port}", self._authority().ca_file

    def _tunnel(self, host: str, port: int) -> ssl.SSLContext | None:
        """How a ``CONNECT`` is answered: as ECR's API or registry host, with a certificate for it; else relayed."""
        ecr_host = registry_of_host(host) is not None or ECR_API_HOST.fullmatch(host) or host == PUBLIC_REGISTRY_HOST
        # STS too: with the fake's test credentials AWS's STS can only refuse, and GetCallerIdentity is how a
        # script learns the account in ECR's names (fake_ecr.surfaces.other_services).
        if port == 443 and (ecr_host or other_services.STS_HOST.fullmatch(host)):
            return self._authority().context_for(host)
        return None

    def attach(self, fake: ServedFake | None) -> None:
        """Serve ``fake`` from now on (None: answer 503 until another is attached)."""
        self._fake = fake

    def registry_address(self, registry: tuple[str, str], default: tuple[str, str]) -> str:
        """``host:port`` where clients reach the registry of (account, region), opening its port if needed."""
        if registry == default:
            return f"{self.host}:{self.port}"
        with self._lock:
            listener = self._registry_listeners.get(registry)
            if listener is None:
                self._make_room(registry)
                listener = self._registry_listeners[registry] = self._listen(0, registry)
        return f"{self.host}:{listener.server_port}"

    def _make_room(self, registry: tuple[str, str]) -> None:
        """At the port limit, close the ports of registries the attached fake does not hold; still at it, refuse."""
        limit = self.settings.max_registries
        if len(self._registry_listeners) < limit:
            return
        fake = self._fake
        idle = [key for key in self._registry_listeners if fake is None or not fake.holds_registry(key)]
        for key in idle:
            _close(self._registry_listeners.pop(key))
        if len(self._registry_listeners) >= limit:
            raise errors.TooManyRegistries(*registry, limit)

    def registry_credentials(self, default: tuple[str, str], now: float) -> dict[str, str]:
        """``host:port`` -> an authorizationToken issued at ``now``, for every registry address served.

        ``default`` is the registry the main port serves: the attached fake's own.
        """
        with self._lock:
            addresses = {
                f"{self.host}:{listener.server_port}": key for key, listener in self._registry_listeners.items()
            }
        addresses[f"{self.host}:{self.port}"] = default
        return {address: _login(key, default, now) for address, key in addresses.items()}

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: test credentials, region, endpoint or proxy, CA bundle, registry logins.

        Tokens are issued when this is read, on the attached fake's clock (the wall clock without
        one), and last 12 hours on it (docs/behaviour/auth.md#authorization-tokens): read ``env`` again for fresh ones.
        """
        fake = self._fake
        settings, now = (self.settings, time.time()) if fake is None else (fake.settings, fake.clock.now())
        return self.environment(settings, now, self._auth_files)

    def environment(
        self,
        settings: Settings,
        now: float,
        auth_files: RegistryAuthFiles,
        registries: Collection[tuple[str, str]] = (),
    ) -> dict[str, str]:
        """``env`` for a fake with ``settings``, its registry logins written to ``auth_files``.

        ECR's addresses (``Settings.registry_addresses``): the proxy and its CA, no endpoint (clients reach
        ``api.ecr.<region>.amazonaws.com`` through the proxy), logins for the settings' registry and
        ``registries`` (account, region) by ECR's host.  Local addresses: the endpoint, the CA of an HTTPS
        server, logins for every address served.
        """
        default = (settings.account_id, settings.region)
        if settings.registry_addresses == "local":
            credentials = self.registry_credentials(default, now)
            ca_file = self.ca_file if self._ssl_context is not None else None
            return client_environment(
                settings, endpoint=self.endpoint, ca_file=ca_file, auth_files=auth_files.write(credentials)
            )
        proxy, ca_file = self.proxy()
        credentials = {
            ecr_registry_host(*registry): issue_token(*registry, now).authorization_token
            for registry in {default, *registries}
        }
        return client_environment(
            settings, endpoint=None, ca_file=ca_file, auth_files=auth_files.write(credentials), proxy=proxy
        )

    def _listen(self, port: int, registry: tuple[str, str] | None) -> BaseWSGIServer:
        def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            environ[REGISTRY_KEY] = registry
            return self._respond(Request(environ))(environ, start_response)

        try:
            server = LimitedWSGIServer(
                self.host,
                port,
                app,
                _RequestHandler,
                self._ssl_context,
                limits=Limits.of(self.settings),
                refusal=_refusal,
                housekeeping=self._housekeeping,
                tunnels=self._tunnel,
            )
        except SystemExit:
            # werkzeug prints why it could not bind and exits; a library must not end its caller's process.
            raise OSError(f"cannot listen on {self.host}:{port}") from None
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"fake-ecr:{server.server_port}",
            daemon=True,
        ).start()
        return server

    def _housekeeping(self) -> None:
        """Each round of a listener's loop: the attached fake drops abandoned uploads (it rate-limits that)."""
        fake = self._fake
        if fake is not None:
            fake.expire_idle_uploads()

    def _respond(self, request: Request) -> Response:
        if dashboard.wanted(request):  # also with no fake: the page reads the control API, which says so
            return dashboard.page()
        fake = self._fake
        is_control = request.path.startswith(PREFIX)
        if fake is None:
            if is_control:
                return control.error_response(control.ControlError(503, "no fake ECR is attached to this server"))
            return Response("no fake ECR is attached to this server", status=503)
        if is_control:
            return fake.serve_control(request)
        if other_services.addressed(request):  # signed for another service than ECR's two: moto's, or refused
            return self._other_services.respond(request, fake.settings.account_id, fake.settings.region)
        target = request.headers.get("X-Amz-Target")
        if request.method == "POST" and target is not None:
            try:
                # No request ECR serves is longer than MAX_REQUEST_BODY: a longer Content-Length is refused
                # unread, a chunked body as soon as it passes it (werkzeug drops what follows, bounded).
                if (request.content_length or 0) > MAX_REQUEST_BODY:
                    raise errors.RequestBodyTooLarge(MAX_REQUEST_BODY, request.content_length)
                body = read_at_most(request.stream, MAX_REQUEST_BODY)  # type: ignore[arg-type]
            except (errors.RequestBodyUnreadable, errors.RequestBodyTooLarge) as error:
                # AWS's JSON services answer a body they can't deserialize with SerializationException
                # (400); one that can't even be read off the connection is the same to the caller.
                status, headers, answer = render_error(error)
            else:
                region, access_key = region_of(request.headers, request.url), access_key_of(request.headers)
                status, headers, answer = fake.handle_api(target, body, region, access_key)
            return Response(answer, status=status, headers=headers)
        registry: tuple[str, str] | None = request.environ.get(REGISTRY_KEY)
        return fake.serve_registry(request, registry)

    def stop(self) -> None:
        """Close every port the server listens on and end their threads; its auth files and throwaway CA are deleted."""
        with self._lock:
            listeners = [self._main, *self._registry_listeners.values()]
            self._registry_listeners.clear()
        for listener in listeners:
            _close(listener)
        self._auth_files.remove()
        if self._ca is not None:
            self._ca.remove()


def _refusal(api: bool, error: errors.EcrError) -> tuple[int, dict[str, str], bytes]:
    """How a request refused before it reached the fake reads (``LimitedWSGIServer``): in its surface's format."""
    if api:
        return render_error(error)
    response = error_response(error)
    return response.status_code, {**response.headers, **API_VERSION}, response.get_data()


def _login(key: tuple[str, str], default: tuple[str, str], now: float) -> str:
    """The authorizationToken a client logs in to a registry address with: for ECR Public's registry (its key is
    ``(PUBLIC_REGISTRY_HOST, PUBLIC_REGION)``), the default account's ``ecr-public get-login-password``."""
    if key[0] == PUBLIC_REGISTRY_HOST:
        return issue_token(default[0], PUBLIC_REGION, now, service="ecr-public").authorization_token
    return issue_token(*key, now).authorization_token


def _close(listener: BaseWSGIServer) -> None:
    """Stop a listener's loop (its thread ends) and close its socket."""
    listener.shutdown()
    listener.server_close()
