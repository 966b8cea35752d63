"""``FakeEcr``: one fake ECR as a user holds it - context manager, decorator and fixture handle.

Owns the life of a fake: its settings and clock, the state (a ``Backend``
swapped for a fresh one by ``reset``), routing boto3 to it while active, an
optional HTTP server, and the seeding and inspection helpers tests use.  While
active it also answers ``requests`` calls to ECR's registry host names in-process
(``fake_ecr.surfaces.requests_routing``), STS GetCallerIdentity (``fake_ecr.surfaces.sts``), and shows
its state to moto's services (``fake_ecr.surfaces.moto_services``); ``push``/``pull`` go through the registry's own
request handling with the registry client of ``fake_ecr.client``.  The
pytest plugin's ``fake_ecr`` fixture hands out this same object, and
``mock_ecr()`` makes one outside pytest (the ``responses`` pattern).

Must not import pytest.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import unittest
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar, cast

import boto3
from werkzeug.wrappers import Request, Response

from fake_ecr import api, errors, images
from fake_ecr import client as registry_client
from fake_ecr.api.core import Answer, Caller
from fake_ecr.lifecycle.runs import LifecycleRun, LifecycleSchedule, apply_lifecycle_policies
from fake_ecr.model import Backend, Registry
from fake_ecr.model.blobs import UploadSpace
from fake_ecr.model.clock import Clock
from fake_ecr.model.policy_evaluation import account_of, root_arn
from fake_ecr.model.public import PUBLIC_REGION, PUBLIC_REGISTRY_HOST, PublicRegistry
from fake_ecr.model.records import ecr_registry_host
from fake_ecr.model.replication import replicate_pushes, settle_all_backfills
from fake_ecr.model.store import spill_directory
from fake_ecr.model.tokens import issue_token
from fake_ecr.registry import registry_of_host, serve, serve_public
from fake_ecr.registry.in_process import InProcessPush
from fake_ecr.registry.manifests import PRINCIPAL_KEY
from fake_ecr.registry.oci_errors import error_response
from fake_ecr.scanning.engine import FindingsSpec, ScanResult, as_findings, engine_for
from fake_ecr.settings import Settings
from fake_ecr.surfaces import boto, control, moto_services, requests_routing, sts
from fake_ecr.surfaces.environment import TEST_CREDENTIALS, RegistryAuthFiles, client_environment
from fake_ecr.surfaces.persistence import Persistence, api_call_writes, registry_request_writes
from fake_ecr.surfaces.server import FakeServer

F = TypeVar("F", bound=Callable[..., Any])
#: The key the server's listener for ECR Public's registry carries in place of an (account, region).
PUBLIC_REGISTRY = (PUBLIC_REGISTRY_HOST, PUBLIC_REGION)


class FakeEcr:
    """A fake Amazon ECR: use it as ``with``, as a decorator, or through the pytest fixtures."""

    def __init__(
        self, settings: Settings | None = None, *, server: FakeServer | bool = False, clock: Clock | None = None
    ) -> None:
        if settings is not None and not isinstance(settings, Settings):
            # `@mock_ecr` without the call would otherwise swallow the function or class it decorates.
            raise TypeError(f"FakeEcr's settings are a Settings, not {settings!r}: as a decorator, write @mock_ecr()")
        self.settings = settings if settings is not None else Settings()
        self.clock = clock if clock is not None else Clock()
        self._owns_server = server is True
        self._server: FakeServer | None = server if isinstance(server, FakeServer) else None
        self._saved_env: dict[str, str | None] = {}
        self._active = False
        self._context = self._fresh_context()
        self._lifecycle_schedule: LifecycleSchedule | None = None
        self._auth_files = RegistryAuthFiles()
        #: the data dir while started with ``Settings.data_dir`` (None: the state lives in memory only)
        self._persistence: Persistence | None = None

    # --- life -----------------------------------------------------------------------

    def start(self) -> FakeEcr:
        """Route boto3's ECR calls here (and serve HTTP if a server was asked for)."""
        if self._active:
            return self
        if self.settings.data_dir is not None and self._persistence is None:
            persistence = Persistence(self.settings.data_dir)
            try:
                self._context = self._fresh_context()
                persistence.load(self.backend, engine_for(self.backend, self.settings), self.settings)
            except BaseException:
                persistence.close()  # a data dir that can't be loaded is left as it is, for the next try
                raise
            self._persistence = persistence
        if self._owns_server and self._server is None:
            self._server = FakeServer.for_settings(self.settings)
        if self._server is not None:
            self._server.attach(self)
        self._patch_environment()
        if self._lifecycle_schedule is None:
            self._lifecycle_schedule = LifecycleSchedule(self.clock.now())
            self.clock.on_change(self._clock_changed)
        boto.activate(self)
        requests_routing.activate(self)
        moto_services.activate(self)
        self._active = True
        return self

    def stop(self) -> None:
        """Stop routing boto3 and ``requests`` here and restore the environment (the state stays until ``reset``)."""
        if not self._active:
            return
        boto.deactivate(self)
        requests_routing.deactivate(self)
        moto_services.deactivate(self)
        self._restore_environment()
        self._auth_files.remove()
        if self._server is not None:
            self._server.attach(None)
            if self._owns_server:
                self._server.stop()
                self._server = None
        if self._persistence is not None:
            self.flush()
            self._persistence.close()
            self._persistence = None
        self._active = False

    def flush(self) -> None:
        """With ``Settings.data_dir``, write what changed to the data dir now (each request that writes and
        ``stop`` do; what a test changed in-process, e.g. through ``clock``, waits for them)."""
        if self._persistence is not None:
            self._persistence.save(self.backend, engine_for(self.backend, self.settings))

    def __enter__(self) -> FakeEcr:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, target: F) -> F:
        """Use as a decorator, on a function or on a test class.

        A function (sync or async) runs with this fake active and a fresh state.  A class stays the
        class, and each of its tests runs in this fake with a fresh state of its own, as moto's class
        decoration does: nothing is shared between tests.  For a ``unittest.TestCase`` that covers the
        whole test (``setUp``, the test method, ``tearDown``, cleanups); for any other class, each
        ``test*`` method (also a static or class method), with ``setup_method`` and ``teardown_method``
        sharing the test's state.  ``setUpClass``/``setup_class`` run outside the fake: what they made
        would be gone by the first test.
        """
        if inspect.isclass(target):
            return cast(F, self._decorate_class(target))
        if isinstance(target, (staticmethod, classmethod)):
            return cast(F, type(target)(self._wrap(target.__func__, fresh=True)))
        if inspect.isroutine(target) or isinstance(target, functools.partial):
            return cast(F, self._wrap(target, fresh=True))
        raise TypeError(f"mock_ecr() decorates a function or a class, not {type(target).__name__} {target!r}")

    def _wrap(self, func: Callable[..., Any], *, fresh: bool) -> Callable[..., Any]:
        """``func`` running with this fake active; ``fresh``: in a new state (else the current one)."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if fresh:
                    self.reset()
                with self:
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if fresh:
                self.reset()
            with self:
                return func(*args, **kwargs)

        return wrapper

    def _decorate_class(self, klass: type[Any]) -> type[Any]:
        if issubclass(klass, unittest.TestCase):
            # TestCase.run calls setUp, the test method (async ones too), tearDown and the cleanups.
            klass.run = self._wrap(klass.run, fresh=True)  # type: ignore[method-assign]
            return klass
        has_setup = callable(getattr(klass, "setup_method", None))
        for name in dir(klass):
            if name.startswith("test"):
                fresh = not has_setup
            elif name in ("setup_method", "teardown_method"):
                fresh = name == "setup_method"
            else:
                continue
            member = inspect.getattr_static(klass, name)
            if isinstance(member, (staticmethod, classmethod)):
                setattr(klass, name, type(member)(self._wrap(member.__func__, fresh=fresh)))
            elif inspect.isfunction(member):
                wrapped = self._wrap(member, fresh=fresh)
                setattr(klass, name, wrapped if name.startswith("test") else _xunit_method(member, wrapped))
        return klass

    def reset(self, account_id: str | None = None, region: str | None = None) -> None:
        """A fresh, empty state: a new root object swapped in (docs/architecture.md#state).

        With ``account_id`` and/or ``region``, only the registries of that account and/or region are
        emptied (what tests set for their images too), as if nothing had been written to them; the rest
        of the state, the principals and ``calls`` stay.  The clock is never reset.  An account's ECR Public
        registry is emptied with ``account_id`` alone: it belongs to no region (its ARNs name none,
        docs/behaviour/public.md#public-operations), so a reset that names a region leaves it.
        """
        if account_id is None and region is None:
            self._context = self._fresh_context()
            return
        engine = engine_for(self.backend, self.settings)
        for registry in self.backend.forget_registries(account_id, region):
            engine.forget(*registry)
        if account_id is not None and region is None:
            self.backend.forget_public_registry(account_id)

    def _fresh_context(self) -> api.Fake:
        context = api.Fake(
            Backend(
                self.clock,
                max_registries=self.settings.max_registries,
                upload_space=UploadSpace(
                    self.settings.upload_memory_limit,
                    self.settings.upload_space_limit,
                    self.settings.upload_idle_timeout,
                    self.settings.upload_files_limit,
                    # With a data dir, uploads spill where their blobs are renamed into place from (no copy).
                    spill_dir=None if self.settings.data_dir is None else spill_directory(self.settings.data_dir),
                ),
            ),
            self.settings,
            self.registry_host,
            check_responses=self.settings.check_responses,
            public_registry_host=self.public_registry_host,
        )
        engine_for(context.backend, self.settings)  # scans on push from the first push on
        replicate_pushes(context.backend)
        return context

    def _patch_environment(self) -> None:
        wanted = dict(TEST_CREDENTIALS)
        if not os.environ.get("AWS_DEFAULT_REGION"):  # botocore's only region variable (not AWS_REGION)
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
        """The server this fake is attached to (``server=`` or ``server=True``), else None."""
        return self._server

    @property
    def ca_file(self) -> str | None:
        """The CA bundle that makes clients trust the server's HTTPS (``Settings(tls=True)``) and the hosts it
        answers as proxy (ECR's addresses, once ``env`` was read or a client used it); else None."""
        return self._server.ca_file if self._server is not None else None

    def registry_host(self, account_id: str, region: str) -> str:
        """Where clients reach a registry: ECR's host, or with ``Settings.registry_addresses="local"`` the
        server's address while one runs.

        Local addresses: the settings' own registry is served on the server's port.  Another account's or region's gets
        a port of its own once something was written to it (``Backend.registry``); until then it holds
        nothing to push to or pull from and is named by ECR's host, so reads and logins that merely name
        an account or region open no port.
        """
        default = (self.settings.account_id, self.settings.region)
        key = (account_id, region)
        if (
            self._server is not None
            and self.settings.registry_addresses == "local"
            and (key == default or self.holds_registry(key))
        ):
            return self._server.registry_address(key, default)
        return ecr_registry_host(account_id, region)

    def holds_registry(self, registry: tuple[str, str]) -> bool:
        """Whether the registry of (account, region) was ever written to in this state (ECR Public's: always)."""
        return registry == PUBLIC_REGISTRY or self.backend.stored_registry(*registry) is not None

    def public_registry_host(self) -> str:
        """Where clients reach ECR Public's registry: ``public.ecr.aws``, or with ``Settings.registry_addresses=
        "local"`` a port of the server's own for it while one runs (paths ``/v2/<alias>/<name>/...`` as there)."""
        if self._server is not None and self.settings.registry_addresses == "local":
            return self._server.registry_address(PUBLIC_REGISTRY, (self.settings.account_id, self.settings.region))
        return PUBLIC_REGISTRY_HOST

    def expire_idle_uploads(self) -> None:
        """Drop abandoned uploads (``Settings.upload_idle_timeout``); each request and the server's timer call it."""
        self.backend.expire_idle_uploads()

    def caller_identity(self, region: str | None = None) -> dict[str, str]:
        """Who STS GetCallerIdentity says calls, in-process while this fake is active: its account's IAM user."""
        return sts.caller_identity(self.settings.account_id, region or self.settings.region)

    def handle_api(
        self, target: str, body: bytes, region: str | None, access_key: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one control-plane request: (status, headers, body) as the server sends them; ``access_key``:
        the SigV4 access key it was signed with (over HTTP).

        The caller is the ``acting_as`` principal, else the one ``principals`` maps the access key to; with
        ``Settings.enforce_policies`` its account is the caller's (else the settings' account always is).
        """
        return self.answer_api(target, body, region, access_key).http()

    def answer_api(self, target: str, body: bytes, region: str | None, access_key: str | None = None) -> Answer:
        """``handle_api``'s answer before its JSON encoding (boto3 in-process takes it so)."""
        self.backend.expire_idle_uploads()
        principal = self._context.principal_arn or self._context.principals.get(access_key or "")
        account_id = self.settings.account_id
        if self.settings.enforce_policies and principal is not None:
            account_id = account_of(principal)
        caller = Caller(account_id, region or self.settings.region, principal)
        answer = api.answer(self._context, caller, target, body)
        if self._persistence is not None and answer.status < 400 and api_call_writes(target):
            self.flush()
        return answer

    def serve_registry(self, request: Request, registry: tuple[str, str] | None) -> Response:
        """Serve the OCI registry of (account, region): the one an ECR host name in ``Host`` names,
        else the one the request's listener serves (None: the settings' account and region).

        A registry nothing was written to answers as an empty one and is not stored: a request names
        any account and region it likes, before or without credentials, and leaves no state behind
        (the registry's own writes all need a repository, which only a stored registry holds).

        ECR Public's registry (``Host: public.ecr.aws``, or its own port) is ``fake_ecr.registry.public``'s.
        """
        self.backend.expire_idle_uploads()
        if registry == PUBLIC_REGISTRY or request.host.partition(":")[0].lower() == PUBLIC_REGISTRY_HOST:
            response = serve_public(request, self.backend, internal_errors=self.internal_errors)
        else:
            account_id, region = (
                registry_of_host(request.host) or registry or (self.settings.account_id, self.settings.region)
            )
            request.environ[PRINCIPAL_KEY] = self._context.principal_arn
            response = serve(
                request,
                self.backend.registry_or_empty(account_id, region),
                self.clock,
                require_auth=self.settings.registry_auth,
                enforce_policies=self.settings.enforce_policies,
                internal_errors=self.internal_errors,
            )
        if self._persistence is not None and response.status_code < 400 and registry_request_writes(request.method):
            self.flush()
        return response

    def serve_control(self, request: Request) -> Response:
        """Answer a request to the control API (``fake_ecr.surfaces.control``, under ``/_fake-ecr/``)."""
        response = control.respond(self, request)
        if self._persistence is not None and response.status_code < 400 and request.method != "GET":
            self.flush()
        return response

    # --- seeding and inspection -------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every control-plane call served since the last reset: (operation, request)."""
        return self._context.calls

    @property
    def internal_errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside the fake since the last reset."""
        return self._context.internal_errors

    @contextmanager
    def acting_as(self, principal_arn: str | None) -> Iterator[FakeEcr]:
        """Take every control-plane call and registry request in the block to come from this IAM principal.

        fake-ecr checks no credentials, so it cannot tell who calls; ECR can.  Pulls by a principal on
        the registry's pull-time update exclusion list (RegisterPullTimeUpdateExclusion) then leave
        lastRecordedPullTime as it is (docs/behaviour/images.md#pull-time-update-exclusions), in-process and over HTTP
        alike.  Outside such a block (or with ``None``) the principal is unknown and every pull records its time.
        ``reset()`` forgets it.

        With ``Settings.enforce_policies`` the principal (an IAM or STS ARN) is who repository and
        registry policies are evaluated for: its account is the caller's account, and ``push``/``pull``
        and tokens from GetAuthorizationToken in the block carry it to the registry.
        """
        if self.settings.enforce_policies and principal_arn is not None:
            account_of(principal_arn)  # refuses what is no principal's ARN, here rather than at each call
        previous = self._context.principal_arn
        self._context.principal_arn = principal_arn
        try:
            yield self
        finally:
            self._context.principal_arn = previous

    @property
    def principals(self) -> dict[str, str]:
        """Access key id -> IAM principal ARN: who a request signed with that key comes from, over HTTP.

        For ``Settings.enforce_policies``: ``fake.principals["AKIAOTHERACCOUNT001"] =
        "arn:aws:iam::210987654321:role/ci"`` makes requests signed with that access key (any secret)
        come from that role, of that account.  Other keys are the settings' account's.  In-process
        calls carry no signature: use ``acting_as``.  ``reset()`` forgets them.
        """
        return self._context.principals

    def registry(self, account_id: str | None = None, region: str | None = None) -> Registry:
        """The model of one registry (the settings' account and region by default)."""
        return self.backend.registry(account_id or self.settings.account_id, region or self.settings.region)

    def public_registry(self, account_id: str | None = None) -> PublicRegistry:
        """The model of an account's ECR Public registry (the settings' account by default); ``.alias`` is its
        default alias, the ``<alias>`` of ``public.ecr.aws/<alias>/<name>``."""
        return self.backend.public_registry(account_id or self.settings.account_id)

    def client(self, service_name: str = "ecr", **kwargs: Any) -> Any:
        """A boto3 client in the settings' region; with ``http=True``, through the server."""
        kwargs.setdefault("region_name", self.settings.region)
        if kwargs.pop("http", False):
            if self._server is None:
                raise RuntimeError("this fake runs no server: use FakeEcr(server=True) or the fake_ecr_server fixture")
            kwargs.setdefault("endpoint_url", self._server.endpoint)
            if self.ca_file is not None:
                kwargs.setdefault("verify", self.ca_file)
        return boto3.client(service_name, **kwargs)

    #: Build an image in memory, deterministically: ``fake_ecr.images.image`` (``fake.image(files={...})``).
    image = staticmethod(images.image)

    @contextmanager
    def _registry_session(
        self, action: str, repository_name: str, account_id: str | None, region: str | None
    ) -> Iterator[tuple[registry_client.RegistrySession, str]]:
        """A session whose requests the registry of (account, region) answers in-process, and a token for it.

        A refusal inside says which registry ``action`` (``fake.push``...) used, and where else in this
        fake ``repository_name`` exists when that registry has no such repository.
        """
        account_id, region = account_id or self.settings.account_id, region or self.settings.region
        with registry_client.RegistrySession(f"https://{ecr_registry_host(account_id, region)}") as session:
            session.mount("https://", requests_routing.InProcessAdapter(self))
            session.trust_env = False  # answered in this process: no proxy, netrc or CA bundle from the environment
            token = issue_token(account_id, region, self.clock.now(), self._context.principal_arn)
            with self._hinted(action, repository_name, (account_id, region)):
                yield session, token.authorization_token

    @contextmanager
    def _registry_pusher(
        self, action: str, repository_name: str, account_id: str | None, region: str | None
    ) -> Iterator[registry_client.Pusher]:
        """Where ``push`` and ``push_blobs`` write: the registry of (account, region), in this process."""
        account_id, region = account_id or self.settings.account_id, region or self.settings.region
        self.backend.expire_idle_uploads()
        # Whose permissions a push over HTTP is checked against: the principal its token names.
        enforced = self.settings.enforce_policies and self.settings.registry_auth
        principal = (self._context.principal_arn or root_arn(account_id, region)) if enforced else None
        pusher = _InProcessPusher(self.backend.registry_or_empty(account_id, region), principal)
        with self._hinted(action, repository_name, (account_id, region)):
            yield pusher

    @contextmanager
    def _hinted(self, action: str, repository_name: str, used: tuple[str, str]) -> Iterator[None]:
        """A refusal inside says which registry ``action`` used, and where else ``repository_name`` exists."""
        try:
            yield
        except registry_client.RegistryRequestFailed as failure:
            hint = self._registry_hint(action, repository_name, used, failure)
            raise dataclasses.replace(failure, hint=hint) from None

    def _registry_hint(
        self, action: str, repository_name: str, used: tuple[str, str], failure: registry_client.RegistryRequestFailed
    ) -> str:
        account_id, region = used
        elsewhere: list[tuple[str, str]] = []
        if failure.status == 404 and "NAME_UNKNOWN" in failure.body:
            elsewhere = [
                (registry.registry_id, registry.region)
                for registry in self.backend.registries()
                if (registry.registry_id, registry.region) != used
                and repository_name in {record.repository_name for record in registry.repositories()}
            ]
        if not elsewhere:
            return f"{action} used the registry of account {account_id} in {region}"
        places = ", ".join(r if a == account_id else f"{r} (account {a})" for a, r in elsewhere)
        other_account, other_region = elsewhere[0]
        fixes: dict[str, str] = {}
        if other_account != account_id:
            fixes["account_id"] = other_account
        if other_region != region:
            fixes["region"] = other_region
        return (
            f"repository {repository_name!r} exists in {places}; {action} used {region} (account {account_id}):"
            f" pass {', '.join(f'{name}={value!r}' for name, value in fixes.items())}"
            f" or set {' and '.join(f'Settings.{name}' for name in fixes)}"
        )

    def push(
        self,
        reference: str,
        image: images.Image | images.ImageIndex,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> str:
        """Push an image, index or artifact as a registry client would; returns its digest.

        ``reference`` is ``"repository:tag"``, ``"repository@sha256:<hex>"`` (the image's own digest)
        or ``"repository"`` (untagged).  Blobs, an index's children and the manifest go through the
        registry's own request handling, in this process: whatever a push over HTTP would meet
        (missing repository, immutable tag, scan on push, replication) happens here too, and a
        refusal raises ``fake_ecr.client.RegistryRequestFailed`` with the registry's answer.
        """
        target = registry_client.ImageReference.parse(reference)
        if target.digest is not None and target.digest != image.digest:
            raise ValueError(f"{reference!r} names digest {target.digest}, the image's is {image.digest}")
        with self._registry_pusher("fake.push", target.repository, account_id, region) as pusher:
            digest = registry_client.push_to(pusher, target.repository, target.tag or image.digest, image)
        self.flush()
        return digest

    def push_blobs(
        self,
        repository_name: str,
        blobs: Iterable[images.Blob],
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> list[str]:
        """Upload blobs to a repository through the registry, as a push does before its manifest.

        For tests of PutImage and the layer API, which need blobs without a manifest over them.
        Blobs the repository holds already are skipped; returns the digests.
        """
        with self._registry_pusher("fake.push_blobs", repository_name, account_id, region) as pusher:
            digests = [pusher.put_blob(repository_name, blob) for blob in blobs]
        self.flush()
        return digests

    def pull(
        self,
        reference: str,
        *,
        accept: Sequence[str] = registry_client.DEFAULT_ACCEPT,
        account_id: str | None = None,
        region: str | None = None,
    ) -> images.Image | images.ImageIndex:
        """Pull ``"repository:tag"`` or ``"repository@digest"`` (``"repository"``: its ``latest``, as docker does).

        Goes through the registry's request handling like ``push``, so it is a pull to ECR:
        lastRecordedPullTime moves.  Every digest is verified.
        """
        target = registry_client.ImageReference.parse(reference)
        with self._registry_session("fake.pull", target.repository, account_id, region) as (session, token):
            return registry_client.pull(
                session, target.repository, target.digest or target.tag or "latest", accept=accept, auth=token
            )

    def set_findings(
        self,
        reference: str,
        findings: FindingsSpec | None = None,
        *,
        status: str | None = None,
        description: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None:
        """Decide what scans of one image report, instead of what its layers hold
        (docs/behaviour/scanning.md#image-scanning).

        ``reference`` is ``"repository:tag"`` or ``"repository@sha256:<hex>"`` (a digest wins over a
        tag); the image need not exist yet.  Its finished scan changes now, and every later scan
        reports the same.  ``findings`` are ``fake_ecr.scanning.vulnerabilities.Finding`` objects or
        dicts: ``name`` (the CVE), ``severity`` (ECR's FindingSeverity), ``package_name`` and
        ``package_version`` are required; ``ecosystem`` (``dpkg`` or ``apk``: how the versions are
        spelled, default ``dpkg``), ``description``, ``uri``, ``fixed_in_version``, ``source``
        (default ``NVD``), ``cvss2_score``/``cvss2_vector`` and ``cvss3_score``/``cvss3_vector`` are
        optional.  ``status`` (default: what a successful scan reports, COMPLETE or ACTIVE) may be
        any ScanStatus, e.g. ``"FAILED"``; ``description`` replaces the status's usual text.
        """
        result = ScanResult(as_findings(findings), status, description)
        engine_for(self.backend, self.settings).set_result(self.registry(account_id, region), reference, result)

    def complete_scans(self) -> int:
        """Finish every running scan now, whatever ``Settings.scan_delay``; returns how many finished."""
        return engine_for(self.backend, self.settings).complete_scans(self.backend.registries())

    def run_lifecycle(self, account_id: str | None = None, region: str | None = None) -> list[LifecycleRun]:
        """Apply the stored lifecycle policies of one registry now, as ECR's daily run does
        (docs/behaviour/lifecycle.md#evaluation).

        Every repository with a policy is evaluated on the fake's clock; returns what each run did.
        """
        return apply_lifecycle_policies(self.registry(account_id, region), self.clock.now())

    def _clock_changed(self, now: float) -> None:
        # With Settings.lifecycle_on_clock, ECR's daily evaluation (docs/behaviour/lifecycle.md#evaluation item 6) of
        # every registry happens when the clock passes it; a stopped fake ignores its clock.
        if self._active:
            # Replication backfills carry out the replications the clock has made due.
            settle_all_backfills(self.backend)
        schedule = self._lifecycle_schedule
        if self._active and self.settings.lifecycle_on_clock and schedule is not None and schedule.due(now):
            for registry in self.backend.registries():
                apply_lifecycle_policies(registry, now)

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses (AWS CLI, registry clients, scripts).

        Test credentials and region; with a server, either (ECR's addresses, the default) the server as
        HTTPS proxy for ECR's hosts (HTTPS_PROXY) and its CA bundle, or (local addresses) its endpoint
        (AWS_ENDPOINT_URL_ECR) and, with TLS, its CA bundle; and registry logins (REGISTRY_AUTH_FILE,
        DOCKER_CONFIG) for the address ``repositoryUri`` names and every registry the fake holds.  The
        logins' tokens are issued when ``env`` is read and last 12 hours on the fake's clock
        (docs/behaviour/auth.md#authorization-tokens): read ``env`` again after moving the clock that far.
        The files are deleted on ``stop``.
        """
        now = self.clock.now()
        if self._server is not None:
            held = [(registry.registry_id, registry.region) for registry in self.backend.registries()]
            return self._server.environment(self.settings, now, self._auth_files, held)
        default = (self.settings.account_id, self.settings.region)
        credentials = {ecr_registry_host(*default): issue_token(*default, now).authorization_token}
        return client_environment(
            self.settings, endpoint=None, ca_file=None, auth_files=self._auth_files.write(credentials)
        )


def _xunit_method(method: Callable[..., Any], wrapped: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapped`` (``method`` in the fake) as pytest calls ``setup_method``/``teardown_method``.

    pytest passes the test function only to one whose code takes an argument besides ``self``.
    """
    takes_test = method.__code__.co_argcount > 1

    @functools.wraps(method)
    def xunit_method(instance: Any, test: Any = None) -> Any:
        return wrapped(instance, test) if takes_test else wrapped(instance)

    return xunit_method


def mock_ecr(settings: Settings | None = None, *, server: bool = False, **options: Any) -> FakeEcr:
    """A fake ECR for ``with mock_ecr() as fake:`` or ``@mock_ecr()``.

    Keyword options are Settings fields: ``mock_ecr(region="eu-west-1")``.
    """
    if options:
        settings = Settings(**options) if settings is None else type(settings)(**{**vars(settings), **options})
    return FakeEcr(settings, server=server)


class _InProcessPusher:
    """``client.Pusher`` over a registry in this process (``registry.in_process``): what ``FakeEcr.push``
    writes through.  A refusal raises ``RegistryRequestFailed`` with the status and OCI error body the
    registry answers the same refusal with over HTTP, naming the request a client would have sent."""

    def __init__(self, registry: Registry, principal_arn: str | None) -> None:
        self._registry = registry
        self._principal_arn = principal_arn
        self._base_url = f"https://{ecr_registry_host(registry.registry_id, registry.region)}"
        self._pushes: dict[str, InProcessPush] = {}

    def _refused_as(self, method: str, path: str, call: Callable[[], str]) -> str:
        try:
            return call()
        except errors.EcrError as error:
            answer = error_response(error)
            raise registry_client.RegistryRequestFailed(
                method, self._base_url + path, answer.status_code, answer.get_data(as_text=True)
            ) from None

    def _push(self, repository: str) -> InProcessPush:
        if repository not in self._pushes:
            self._pushes[repository] = InProcessPush(self._registry, repository, self._principal_arn)
        return self._pushes[repository]

    def put_blob(self, repository: str, blob: images.Blob) -> str:
        return self._refused_as(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            lambda: self._push(repository).put_blob(blob.digest, (blob.data,)),
        )

    def put_manifest(self, repository: str, reference: str, item: images.Image | images.ImageIndex) -> str:
        return self._refused_as(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            lambda: self._push(repository).put_manifest(reference, item.manifest, item.media_type),
        )
