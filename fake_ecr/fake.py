"""``FakeEcr``: one fake ECR as a user holds it - context manager, decorator and fixture handle.

Owns the life of a fake: its settings and clock, the state (a ``Backend``
swapped for a fresh one by ``reset``), routing boto3 to it while active, an
optional HTTP server, and the seeding and inspection helpers tests use.  The
pytest plugin's ``fake_ecr`` fixture hands out this same object, and
``mock_ecr()`` makes one outside pytest (the ``responses`` pattern).

Must not import pytest.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar, cast

import boto3
from werkzeug.wrappers import Request, Response

from fake_ecr import api, boto
from fake_ecr.api.core import Caller
from fake_ecr.clock import Clock
from fake_ecr.model import Backend, Registry
from fake_ecr.model.records import registry_dns_suffix
from fake_ecr.server import FakeServer
from fake_ecr.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

#: Credentials the fake hands to boto3 and to subprocesses: never real ones.
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEECRTESTING00",
    "AWS_SECRET_ACCESS_KEY": "fake-ecr-test-secret-access-key",
    "AWS_SESSION_TOKEN": "fake-ecr-test-session-token",
}


def ecr_registry_host(account_id: str, region: str) -> str:
    """ECR's own registry host name (§1.3)."""
    return f"{account_id}.dkr.ecr.{region}.{registry_dns_suffix(region)}"


class FakeEcr:
    """A fake Amazon ECR: use it as ``with``, as a decorator, or through the pytest fixtures."""

    def __init__(
        self, settings: Settings | None = None, *, server: FakeServer | bool = False, clock: Clock | None = None
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self.clock = clock if clock is not None else Clock()
        self._owns_server = server is True
        self._server: FakeServer | None = server if isinstance(server, FakeServer) else None
        self._saved_env: dict[str, str | None] = {}
        self._active = False
        self._context = self._fresh_context()

    # --- life -----------------------------------------------------------------------

    def start(self) -> FakeEcr:
        """Route boto3's ECR calls here (and serve HTTP if a server was asked for)."""
        if self._active:
            return self
        if self._owns_server and self._server is None:
            self._server = FakeServer()
        if self._server is not None:
            self._server.attach(self)
        self._patch_environment()
        boto.activate(self)
        self._active = True
        return self

    def stop(self) -> None:
        if not self._active:
            return
        boto.deactivate(self)
        self._restore_environment()
        if self._server is not None:
            self._server.attach(None)
            if self._owns_server:
                self._server.stop()
                self._server = None
        self._active = False

    def __enter__(self) -> FakeEcr:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Use as a decorator: the function runs with this fake active and a fresh state."""
        if inspect.iscoroutinefunction(func):
            raise TypeError("mock_ecr() decorates plain functions; use `async with`-free code or the fixture")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.reset()
            with self:
                return func(*args, **kwargs)

        return cast(F, wrapper)

    def reset(self) -> None:
        """A fresh, empty state: a new root object swapped in (design.md "State")."""
        self._context = self._fresh_context()

    def _fresh_context(self) -> api.Fake:
        return api.Fake(
            Backend(self.clock), self.settings, self.registry_host, check_responses=self.settings.check_responses
        )

    def _patch_environment(self) -> None:
        wanted = dict(TEST_CREDENTIALS)
        if not os.environ.get("AWS_DEFAULT_REGION") and not os.environ.get("AWS_REGION"):
            wanted["AWS_DEFAULT_REGION"] = self.settings.region
        for key, value in wanted.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def _restore_environment(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # --- surfaces -------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        return self._context.backend

    @property
    def server(self) -> FakeServer | None:
        return self._server

    def registry_host(self, account_id: str, region: str) -> str:
        """Where clients reach a registry: the server's address while one runs, else ECR's host."""
        if self._server is not None and self.settings.uri_style == "auto":
            default = (self.settings.account_id, self.settings.region)
            return self._server.registry_address((account_id, region), default)
        return ecr_registry_host(account_id, region)

    def handle_api(self, target: str, body: bytes, region: str | None) -> tuple[int, dict[str, str], bytes]:
        caller = Caller(self.settings.account_id, region or self.settings.region)
        return api.handle(self._context, caller, target, body)

    def serve_registry(self, request: Request, registry: tuple[str, str] | None) -> Response:
        # The OCI registry arrives with the registry issue; until then /v2/ says so in OCI's words.
        body = '{"errors":[{"code":"UNSUPPORTED","message":"the registry is not served yet","detail":null}]}'
        return Response(body, status=404, content_type="application/json")

    # --- seeding and inspection -------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every control-plane call served since the last reset: (operation, request)."""
        return self._context.calls

    @property
    def internal_errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside the fake since the last reset."""
        return self._context.internal_errors

    def registry(self, account_id: str | None = None, region: str | None = None) -> Registry:
        """The model of one registry (the settings' account and region by default)."""
        return self.backend.registry(account_id or self.settings.account_id, region or self.settings.region)

    def client(self, service_name: str = "ecr", **kwargs: Any) -> Any:
        """A boto3 client in the settings' region; with ``http=True``, through the server."""
        kwargs.setdefault("region_name", self.settings.region)
        if kwargs.pop("http", False):
            if self._server is None:
                raise RuntimeError("this fake runs no server: use FakeEcr(server=True) or the fake_ecr_server fixture")
            kwargs.setdefault("endpoint_url", self._server.endpoint)
        return boto3.client(service_name, **kwargs)

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses (AWS CLI, scripts): endpoint, test credentials, region."""
        env = {**TEST_CREDENTIALS, "AWS_DEFAULT_REGION": self.settings.region, "AWS_REGION": self.settings.region}
        if self._server is not None:
            env["AWS_ENDPOINT_URL_ECR"] = self._server.endpoint
        return env


def mock_ecr(settings: Settings | None = None, *, server: bool = False, **options: Any) -> FakeEcr:
    """A fake ECR for ``with mock_ecr() as fake:`` or ``@mock_ecr()``.

    Keyword options are Settings fields: ``mock_ecr(region="eu-west-1")``.
    """
    if options:
        settings = Settings(**options) if settings is None else type(settings)(**{**vars(settings), **options})
    return FakeEcr(settings, server=server)


@contextmanager
def attached(fake: FakeEcr) -> Iterator[FakeEcr]:
    """Run ``fake`` for the duration of a block (used by the pytest plugin)."""
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
