"""The control plane's protocol core: one table of operations, one error renderer.

Owns ECR's JSON 1.1 protocol below the HTTP envelope (docs/behaviour/api.md#protocol):
``answer(fake, caller, target, body)`` parses the X-Amz-Target and the JSON body,
validates the request against botocore's model, runs the registered handler
and answers its result or its domain error as a JSON object (an ``Answer``).
The WSGI app (which encodes it) and the in-process boto3 patch both call it,
so both run identical code up to the JSON encoding of the answer.

Two services share it, each with its own model, table of operations and table of errors (a
``Service``): ECR, and ECR Public (``fake_ecr.api.public``), told apart by the X-Amz-Target prefix.

Operations register with ``@operation("Name")`` (``@operation("Name", ECR_PUBLIC)`` for ECR Public).
The model that is installed is the model that is served: a handler whose operation the installed botocore does
not know (an older release) is kept in ``IMPLEMENTED`` but not offered in
``OPERATIONS`` (a client built from that model cannot call it anyway), and such
a request is answered as an unknown operation, as by a service without it.
Every operation of the installed model is either offered or listed in
``UNSUPPORTED`` (a test keeps that true).

Must not import werkzeug, botocore's client machinery, or ``fake_ecr.registry``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fake_ecr import errors
from fake_ecr.formats.service_model import (
    ECR,
    check_response,
    largest_request,
    operation_names,
    target_prefix,
    validate_request,
)
from fake_ecr.model import Backend, Registry
from fake_ecr.model.policy_evaluation import authorize, root_arn
from fake_ecr.settings import Settings

log = logging.getLogger("fake_ecr")

Params = dict[str, Any]
Response = dict[str, Any]


@dataclass
class Caller:
    """Who is calling and where: the caller's account and the request's region.

    ``principal_arn``: the IAM principal calling (``FakeEcr.acting_as``, or an access key of
    ``Fake.principals`` over HTTP); None: unknown, taken to be the account's root.
    """

    account_id: str
    region: str
    principal_arn: str | None = None


@dataclass
class Fake:
    """What a handler may reach: the state, the settings and how registries are addressed."""

    backend: Backend
    settings: Settings
    #: (account, region) -> the registry's host[:port] (ECR's host, or the running server's)
    registry_host: Callable[[str, str], str]
    #: unexpected exceptions raised inside the fake, for the test that caused them
    internal_errors: list[BaseException] = field(default_factory=list)
    #: every call (operation name, params), for tests that inspect traffic
    calls: list[tuple[str, Params]] = field(default_factory=list)
    #: check every response against the model's output shape (fake-ecr's own tests)
    check_responses: bool = False
    #: the IAM principal calls and pulls are taken to come from (``FakeEcr.acting_as``); None: unknown
    principal_arn: str | None = None
    #: access key id -> the IAM principal a SigV4-signed request with it comes from (``FakeEcr.principals``)
    principals: dict[str, str] = field(default_factory=dict)
    #: ``host[:port]`` of ECR Public's registry, ``public.ecr.aws`` (or the running server's address for it)
    public_registry_host: Callable[[], str] = lambda: "public.ecr.aws"

    def registry_url(self, account_id: str, region: str) -> str:
        """``scheme://host`` of a registry: https for ECR's own hosts and with TLS on, else http."""
        host = self.registry_host(account_id, region)
        secure = self.settings.tls or host.endswith((".amazonaws.com", ".amazonaws.com.cn"))
        return f"{'https' if secure else 'http'}://{host}"

    def public_registry_url(self) -> str:
        """``scheme://host`` of ECR Public's registry: https for public.ecr.aws and with TLS on, else http."""
        host = self.public_registry_host()
        return f"{'https' if self.settings.tls or host == 'public.ecr.aws' else 'http'}://{host}"


#: Operations that only read a registry (by ECR's naming: Describe*, List*, Get*, BatchGet*, BatchCheck*,
#: Validate*).  GetAuthorizationToken reads no registry at all.
READ_OPERATION_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck", "Validate")


@dataclass
class Call:
    """One control-plane call being served.

    Which registries exist is up to the calls that write: any account and region a request names
    (``registryId``, a repository ARN, the SigV4 credential scope's region) is a registry ECR would
    answer for, but only a write (Create*, Put*, Delete*, ..., whether or not it succeeds) stores it,
    and with it, above the model, a port of its own on a running server.  A read of a registry nothing
    was written to answers as an empty registry and leaves no trace, so a client naming thousands of
    accounts or regions costs nothing; writes store at most ``Settings.max_registries`` registries,
    then answer LimitExceededException.
    """

    fake: Fake
    caller: Caller
    operation: str

    def registry_of(self, registry_id: str, region: str) -> Registry:
        """The registry of (account, region): stored for a write, as it stands (maybe empty, unkept) for a read."""
        backend = self.fake.backend
        if self.operation.startswith(READ_OPERATION_PREFIXES):
            return backend.registry_or_empty(registry_id, region)
        return backend.registry(registry_id, region)

    def registry(self, params: Mapping[str, Any]) -> Registry:
        """The registry ``registryId`` names, the caller's own by default (docs/behaviour/api.md#protocol)."""
        return self.registry_of(params.get("registryId") or self.caller.account_id, self.caller.region)

    @property
    def own_registry(self) -> Registry:
        return self.registry_of(self.caller.account_id, self.caller.region)

    def repository_of_arn(self, resource_arn: str) -> tuple[str, str, str] | None:
        """(account, region, repository name) of a repository ARN of this service; None for anything else."""
        match = _REPOSITORY_ARN.fullmatch(resource_arn)
        return None if match is None else (match[2], match[1], match[3])

    def iam_action(self) -> str:
        """The IAM action this call needs: ``ecr:`` and the operation's name, for every one of them
        (AWS's Service Authorization Reference, "Actions defined by Amazon Elastic Container Registry")."""
        return f"ecr:{self.operation}"

    @property
    def now(self) -> float:
        return self.fake.backend.clock.now()


Handler = Callable[[Call, Params], Response]
#: Every operation fake-ecr has a handler for, whether or not the installed model has it.
IMPLEMENTED: dict[str, Handler] = {}
#: The handlers of the installed model's operations: what is served.
OPERATIONS: dict[str, Handler] = {}

#: Operations of ECR's model that fake-ecr answers with an error naming them: none left; a model
#: operation botocore adds later goes here until it is implemented.
UNSUPPORTED: frozenset[str] = frozenset()


def operation(name: str, service: str = ECR) -> Callable[[Handler], Handler]:
    """Register a handler for the operation ``name`` of ``service`` (botocore's name of it); served when
    the installed model has it.  The same handler may serve both services where they mean the same."""
    served = SERVICES[service]
    if name in served.implemented:
        raise ValueError(f"{service} {name} is registered twice")

    def register(handler: Handler) -> Handler:
        served.implemented[name] = handler
        if name in operation_names(service):
            served.operations[name] = handler
        return handler

    return register


# --- errors: the control plane's one table -------------------------------------------

#: Domain error -> ECR exception name; looked up along the error's MRO, most specific first.
ERROR_CODES: dict[type[errors.EcrError], str] = {
    errors.InvalidParameter: "InvalidParameterException",
    errors.InvalidValue: "InvalidParameterException",
    errors.ValidationFailed: "ValidationException",
    errors.MalformedRequest: "SerializationException",
    errors.InvalidTagParameter: "InvalidTagParameterException",
    errors.TooManyTags: "TooManyTagsException",
    errors.UnsupportedOperation: "UnsupportedOperationException",
    errors.RepositoryNotFound: "RepositoryNotFoundException",
    errors.RepositoryAlreadyExists: "RepositoryAlreadyExistsException",
    errors.RepositoryNotEmpty: "RepositoryNotEmptyException",
    errors.RepositoryPolicyNotFound: "RepositoryPolicyNotFoundException",
    errors.LifecyclePolicyNotFound: "LifecyclePolicyNotFoundException",
    errors.RegistryPolicyNotFound: "RegistryPolicyNotFoundException",
    errors.LimitExceeded: "LimitExceededException",
    # Not in ECR's model: AWS's generic error, as ECR answers it ("Common errors" in ECR's user guide).
    errors.AccessDenied: "AccessDeniedException",
    errors.TooManyRegistries: "LimitExceededException",
    # fake-ecr's own limits.  A chunk past Settings.upload_space_limit (UploadLayerPart): LimitExceededException
    # is in the operation's modelled errors, "exceeded a service limit for your account".
    errors.UploadSpaceExhausted: "LimitExceededException",
    # A body longer than ECR's largest request: AWS's JSON services name this RequestEntityTooLargeException with
    # HTTP 413 (Lambda's Invoke, quoted in ASFHyP3/hyp3#2241 and aws/aws-pdk#771); UNCONFIRMED for ECR, whose
    # model names no such error.  botocore raises it as a ClientError with that code and does not retry it.
    errors.RequestBodyTooLarge: "RequestEntityTooLargeException",
    # A server at Settings.max_connections or max_request_threads: 503 (RFC 9110 §15.6.4, a temporary overload)
    # with ThrottlingException, the generic AWS error ECR's user guide names for throttling ("Common errors");
    # botocore retries both the status and the code, with backoff.
    errors.ServerBusy: "ThrottlingException",
    errors.ImageNotFound: "ImageNotFoundException",
    errors.ImageAlreadyExists: "ImageAlreadyExistsException",
    errors.ImageTagAlreadyExists: "ImageTagAlreadyExistsException",
    errors.ImageDigestDoesNotMatch: "ImageDigestDoesNotMatchException",
    errors.LayersNotFound: "LayersNotFoundException",
    errors.LayerNotFound: "LayersNotFoundException",
    errors.ReferencedImagesNotFound: "ReferencedImagesNotFoundException",
    errors.ImageStorageClassUpdateNotSupported: "ImageStorageClassUpdateNotSupportedException",
    errors.UploadNotFound: "UploadNotFoundException",
    errors.InvalidLayerPart: "InvalidLayerPartException",
    errors.InvalidLayer: "InvalidLayerException",
    errors.DigestInvalid: "InvalidParameterException",
    errors.EmptyUpload: "EmptyUploadException",
    errors.LayerAlreadyExists: "LayerAlreadyExistsException",
    errors.LayerPartTooSmall: "LayerPartTooSmallException",
    errors.LayerInaccessible: "LayerInaccessibleException",
    errors.LifecyclePolicyPreviewNotFound: "LifecyclePolicyPreviewNotFoundException",
    errors.LifecyclePolicyPreviewInProgress: "LifecyclePolicyPreviewInProgressException",
    errors.ScanNotFound: "ScanNotFoundException",
    errors.UnsupportedImageType: "UnsupportedImageTypeException",
    errors.ImageArchived: "ImageArchivedException",
    errors.PullThroughCacheRuleAlreadyExists: "PullThroughCacheRuleAlreadyExistsException",
    errors.PullThroughCacheRuleNotFound: "PullThroughCacheRuleNotFoundException",
    errors.UnsupportedUpstreamRegistry: "UnsupportedUpstreamRegistryException",
    errors.UnableToGetUpstreamImage: "UnableToGetUpstreamImageException",
    errors.TemplateAlreadyExists: "TemplateAlreadyExistsException",
    errors.TemplateNotFound: "TemplateNotFoundException",
    errors.SigningConfigurationNotFound: "SigningConfigurationNotFoundException",
    errors.ExclusionAlreadyExists: "ExclusionAlreadyExistsException",
    errors.ExclusionNotFound: "ExclusionNotFoundException",
    errors.ReplicationDestinationNotConfigured: "ValidationException",
    errors.ForeignRegistryBackfill: "ValidationException",
    errors.ReplicationBackfillInProgress: "ReplicationBackfillInProgressException",
    errors.TooManyReplicationBackfills: "LimitExceededException",
    errors.ReplicationBackfillNotFound: "ReplicationBackfillNotFoundException",
    errors.ReplicationBackfillInvalidStatus: "ReplicationBackfillInvalidStatusException",
}
#: HTTP status per exception name where it is not 400 (docs/behaviour/api.md#protocol).
ERROR_STATUS = {
    "UnsupportedOperationException": 501,
    "ServerException": 500,
    "RequestEntityTooLargeException": 413,
    "ThrottlingException": 503,
}
#: The longest request body served: ECR's largest request, computed from the installed model's limits.
MAX_REQUEST_BODY = largest_request()[1]


@dataclass(frozen=True)
class Service:
    """One service the protocol core answers: botocore's name of it, how its calls reach the state,
    its handlers and its one error table."""

    name: str
    call_type: type[Call]
    #: Domain error -> the service's exception name (looked up along the error's MRO)
    error_codes: Mapping[type[errors.EcrError], str]
    #: Every operation fake-ecr has a handler for, whether or not the installed model has it
    implemented: dict[str, Handler] = field(default_factory=dict)
    #: The handlers of the installed model's operations: what is served
    operations: dict[str, Handler] = field(default_factory=dict)
    #: The regions it is served in (None: every region)
    regions: frozenset[str] | None = None


#: botocore's service name -> the service: ECR's here, ECR Public's added by ``fake_ecr.api.public``.
SERVICES: dict[str, Service] = {ECR: Service(ECR, Call, ERROR_CODES, IMPLEMENTED, OPERATIONS)}


def error_code(error: errors.EcrError, codes: Mapping[type[errors.EcrError], str] = ERROR_CODES) -> str:
    for klass in type(error).__mro__:
        code = codes.get(klass)
        if code is not None:
            return code
    raise LookupError(f"no control-plane code for {type(error).__name__}")


def _error_fields(error: errors.EcrError) -> dict[str, Any]:
    # The only exceptions with members beyond `message` (docs/behaviour/api.md#protocol).
    if isinstance(error, errors.InvalidLayerPart):
        return {
            "registryId": error.registry_id,
            "repositoryName": error.repository_name,
            "uploadId": error.upload_id,
            # Nothing received yet is byte -1 inside; the member's minimum is 0 (UNCONFIRMED what ECR says).
            "lastValidByteReceived": max(error.last_valid_byte_received, 0),
        }
    return {}


JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}


@dataclass(frozen=True)
class Answer:
    """One answer of the protocol core before its JSON encoding: the status, the headers and the JSON object.

    Over HTTP the object is encoded (``http``); boto3 in-process hands botocore the object as botocore's parser
    would make it of the encoding (``fake_ecr.surfaces.botocore_parsed``), so no JSON is written or read.
    """

    status: int
    headers: dict[str, str]
    payload: Mapping[str, Any]

    def body(self) -> bytes:
        return json.dumps(self.payload, separators=(",", ":")).encode()

    def http(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body), as the server sends it."""
        return self.status, self.headers, self.body()


def _request_id() -> str:
    """A fresh request id: a random UUID (version 4, RFC 9562 §5.4), as AWS's are, spelled out from 16 random
    bytes directly (``str(uuid.uuid4())`` costs several times as much)."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def _reply(status: int, payload: Mapping[str, Any]) -> Answer:
    return Answer(status, {**JSON_HEADERS, "x-amzn-RequestId": _request_id()}, payload)


def error_answer(error: errors.EcrError, codes: Mapping[type[errors.EcrError], str] = ERROR_CODES) -> Answer:
    """The error as the service whose table ``codes`` is (ECR's by default) answers it."""
    code = error_code(error, codes)
    payload = {"__type": code, "message": error.message, **_error_fields(error)}
    return _reply(ERROR_STATUS.get(code, 400), payload)


def render_error(
    error: errors.EcrError, codes: Mapping[type[errors.EcrError], str] = ERROR_CODES
) -> tuple[int, dict[str, str], bytes]:
    """``error_answer``, encoded for HTTP."""
    return error_answer(error, codes).http()


# --- policies (Settings.enforce_policies) ---------------------------------------------

#: A repository's ARN, as TagResource, UntagResource and ListTagsForResource name it in ``resourceArn``.
_REPOSITORY_ARN = re.compile(r"arn:aws[a-z-]*:ecr:([a-z0-9-]+):(\d{12}):repository/(.+)")


def authorize_call(call: Call, params: Params) -> None:
    """Return when the registry's policies let the caller make this call; raise AccessDenied otherwise.

    The resource is each repository the request names (``repositoryName``, every one of
    ``repositoryNames``, the repository a ``resourceArn`` is), else the registry as a whole (``*``).
    """
    caller = call.caller
    principal = caller.principal_arn or root_arn(caller.account_id, caller.region)
    actions = (call.iam_action(),)
    arn = params.get("resourceArn")
    tagged = call.repository_of_arn(arn) if isinstance(arn, str) else None
    if tagged is not None:
        registry_id, region, repository_name = tagged
        authorize(call.registry_of(registry_id, region), principal, actions, repository_name)
        return
    registry = call.registry(params)
    for repository_name in params.get("repositoryNames") or [params.get("repositoryName")]:
        authorize(registry, principal, actions, repository_name)


# --- the protocol core ---------------------------------------------------------------


def _without_nulls(value: Any) -> Any:
    """JSON ``null`` members count as absent, as AWS's JSON protocol treats them."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@lru_cache(maxsize=512)
def _route(target: str) -> tuple[Service, str] | None:
    """The service and the operation an X-Amz-Target names; None for no operation of the installed models."""
    for service in SERVICES.values():
        prefix = target_prefix(service.name)
        if target.startswith(prefix) and target[len(prefix) :] in operation_names(service.name):
            return service, target[len(prefix) :]
    return None


def answer(fake: Fake, caller: Caller, target: str, body: bytes) -> Answer:
    """Serve one JSON 1.1 request of either service, answering before the JSON encoding."""
    route = _route(target)
    if route is None:
        return _reply(400, {"__type": "UnknownOperationException", "message": f"Unknown operation {target!r}"})
    service, name = route
    try:
        if service.regions is not None and caller.region not in service.regions:
            raise errors.RegionNotServed(caller.region)
        if len(body) > MAX_REQUEST_BODY:  # in-process too: both paths answer alike (the server reads no more)
            raise errors.RequestBodyTooLarge(MAX_REQUEST_BODY, len(body))
        try:
            params = json.loads(body) if body else {}
            if b"null" in body:  # only a body that spells a JSON null can hold one
                params = _without_nulls(params)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise errors.MalformedRequest("Request body is not valid JSON") from None
        validate_request(name, params, service.name)
        fake.calls.append((name, params))
        handler = service.operations.get(name)
        if handler is None:
            raise errors.UnsupportedOperation(name)
        call = service.call_type(fake, caller, name)
        if fake.settings.enforce_policies:
            authorize_call(call, params)
        result = handler(call, params)
        if fake.check_responses:
            check_response(name, result, service.name)
        return _reply(200, result)
    except errors.EcrError as error:
        return error_answer(error, service.error_codes)
    except Exception as error:  # a bug in the fake: answer 500, keep it for the test
        log.exception("fake-ecr failed serving %s", name)
        fake.internal_errors.append(error)
        return _reply(500, {"__type": "ServerException", "message": f"fake-ecr internal error: {error!r}"})
