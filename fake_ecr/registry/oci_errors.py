"""The registry's errors: its own few domain errors, and the one table that renders every error.

Owns what a registry client sees when something fails: the HTTP status, the
OCI error code and message in ``{"errors": [{"code", "message", "detail"}]}``
(OCI distribution spec 1.1 "Error Codes"; ECR's codes and texts,
docs/behaviour/registry.md#error-codes and docs/behaviour/errors.md#messages), and the headers some failures carry (the
Basic challenge, an upload's ``Range`` after a 416).  ``ERRORS`` maps domain error classes to their
rendering and is looked up along the error's MRO, so the most specific class
wins.  The model's errors come from ``fake_ecr.errors``; the errors defined here
are the ones only the registry can run into (credentials, headers, URLs).

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from fake_ecr import errors
from fake_ecr.formats.digest import TAG_PATTERN
from fake_ecr.registry.paths import upload_state

# --- errors only the registry raises --------------------------------------------------


@dataclass(eq=False)
class CredentialsRequired(errors.EcrError):
    """A request without Basic credentials: answered with ECR's challenge
    (docs/behaviour/auth.md#registry-credentials)."""

    host: str

    @property
    def message(self) -> str:
        # ECR's 401 body is reported as the bare text "Not Authorized" (docs/behaviour/registry.md#error-codes,
        # UNCONFIRMED); fake-ecr keeps the words and puts them in OCI's JSON error body like every other error.
        return "Not Authorized"


@dataclass(eq=False)
class BearerTokenRequired(errors.EcrError):
    """A request to ECR Public's registry without a bearer token that may make it: answered with the token
    flow's challenge (``fake_ecr.registry.public``)."""

    realm: str
    service: str
    scope: str

    @property
    def message(self) -> str:  # UNCONFIRMED wording (docs/behaviour/public.md#anonymous-pulls): OCI's UNAUTHORIZED
        return "authentication required"


@dataclass(eq=False)
class AuthorizationTokenExpired(errors.EcrError):
    """A token from GetAuthorizationToken more than 12 hours old on the fake's clock
    (docs/behaviour/auth.md#authorization-tokens)."""

    @property
    def message(self) -> str:  # docker prints "denied: <this>" (aws/aws-cli#6580)
        return "Your authorization token has expired. Reauthenticate and try again."


@dataclass(eq=False)
class AuthorizationTokenInvalid(errors.EcrError):
    """Credentials that are no token of this registry's account and region (docs/behaviour/auth.md#registry-credentials:
    tokens are region-scoped)."""

    @property
    def message(self) -> str:  # "DENIED: Your Authorization Token is invalid." (akuity/kargo#3482)
        return "Your Authorization Token is invalid."


@dataclass(eq=False)
class ContentRangeInvalid(errors.EcrError):
    """A chunk whose Content-Range is malformed or does not describe its body (OCI spec: 416)."""

    repository_name: str
    upload_id: str
    upload_size: int
    content_range: str

    @property
    def message(self) -> str:
        return f"Invalid Content-Range '{self.content_range}': expected '<first byte>-<last byte>' of this chunk"


@dataclass(eq=False)
class BlobRangeNotSatisfiable(errors.EcrError):
    """A ``Range`` that selects no byte of the blob (RFC 9110 §15.5.17)."""

    digest: str
    size: int

    @property
    def message(self) -> str:
        return f"The requested range is not satisfiable for blob {self.digest} of {self.size} bytes"


@dataclass(eq=False)
class TagInvalid(errors.EcrError):
    """A manifest PUT to a reference that is neither a digest nor a tag of OCI's grammar."""

    image_tag: str

    @property
    def message(self) -> str:
        return f"Invalid tag '{self.image_tag}': it should satisfy the regex '{TAG_PATTERN.pattern}'"


@dataclass(eq=False)
class ManifestTooLarge(errors.InvalidParameter):
    """A manifest over ECR's 4 MiB limit (docs/behaviour/limits.md#registry-limits; OCI spec: 413 Payload Too Large)."""

    member: str = "imageManifest"
    constraint: str = "Member must have length less than or equal to 4194304"


@dataclass(eq=False)
class ManifestBodyUnreadable(errors.RequestBodyUnreadable):
    """A manifest PUT whose body can't be read off the connection (bad framing, cut short)."""


@dataclass(eq=False)
class PageSizeInvalid(errors.InvalidValue):
    """A tags/list ``n`` that is not a page size of 0..1000 (docs/behaviour/errors.md#messages #33)."""


@dataclass(eq=False)
class ImageDeleteRefused(errors.EcrError):
    """A manifest DELETE that BatchDeleteImage would report as a failure other than not found."""

    failure_code: str
    failure_reason: str

    @property
    def message(self) -> str:
        return self.failure_reason


@dataclass(eq=False)
class EndpointNotFound(errors.EcrError):
    """A path that is no endpoint of the registry (ECR answers its root and unknown paths 404,
    docs/behaviour/auth.md#registry-credentials)."""

    method: str
    path: str

    @property
    def message(self) -> str:
        return f"{self.method} {self.path} is not an endpoint of the registry"


@dataclass(eq=False)
class MethodNotAllowed(EndpointNotFound):
    """A known path with a method it does not serve (blob DELETE, which ECR does not document,
    docs/behaviour/registry.md#endpoints)."""


# --- the one table --------------------------------------------------------------------


def _own_message(error: errors.EcrError) -> str:
    return error.message


def _constraint(error: errors.InvalidParameter) -> str:
    # ECR's registry reports a manifest it cannot read by the bare constraint: "Invalid JSON syntax"
    # (docs/behaviour/errors.md#messages #34).
    return error.constraint


def _no_headers(error: errors.EcrError) -> Mapping[str, str]:
    return {}


def _challenge(error: CredentialsRequired) -> Mapping[str, str]:
    # ECR's challenge, realm and service verbatim (docs/behaviour/auth.md#registry-credentials); the realm names the
    # host the client addressed.
    return {"WWW-Authenticate": f'Basic realm="https://{error.host}/",service="ecr.amazonaws.com"'}


def _bearer_challenge(error: BearerTokenRequired) -> Mapping[str, str]:
    # The Docker token authentication spec's challenge, as public.ecr.aws sends it
    # (docs/behaviour/public.md#anonymous-pulls).
    return {"WWW-Authenticate": f'Bearer realm="{error.realm}",service="{error.service}",scope="{error.scope}"'}


def _part_out_of_order(error: errors.InvalidLayerPart) -> Mapping[str, str]:
    # After a 416 the client resumes from the Range it is told (OCI spec "Pushing a blob in chunks").
    return upload_state(error.repository_name, error.upload_id, error.last_valid_byte_received + 1)


def _bad_content_range(error: ContentRangeInvalid) -> Mapping[str, str]:
    return upload_state(error.repository_name, error.upload_id, error.upload_size)


def _unsatisfiable(error: BlobRangeNotSatisfiable) -> Mapping[str, str]:
    return {"Content-Range": f"bytes */{error.size}"}


def _retry_soon(error: errors.ServerBusy) -> Mapping[str, str]:
    return {"Retry-After": "1"}  # RFC 9110 §10.2.3: seconds


@dataclass(frozen=True)
class OciError:
    """How one domain error reads on the wire."""

    status: int
    code: str
    message: Callable[[Any], str] = _own_message
    headers: Callable[[Any], Mapping[str, str]] = _no_headers


#: Domain error -> its rendering; looked up along the error's MRO (most specific first).
#: Statuses the reference marks UNCONFIRMED are noted; they follow the OCI spec where it has one.
ERRORS: dict[type[errors.EcrError], OciError] = {
    # credentials (docs/behaviour/auth.md#registry-credentials): none -> 401 + challenge; expired or not this registry's
    # -> 403 DENIED, the status behind docker's "denied: Your authorization token has expired"
    # (docs/behaviour/auth.md#registry-credentials allows 401 or 403).
    CredentialsRequired: OciError(401, "UNAUTHORIZED", headers=_challenge),
    BearerTokenRequired: OciError(401, "UNAUTHORIZED", headers=_bearer_challenge),
    AuthorizationTokenExpired: OciError(403, "DENIED"),
    AuthorizationTokenInvalid: OciError(403, "DENIED"),
    # a policy that does not let the token's principal do it: "denied: User: ... is not authorized to
    # perform: ecr:BatchGetImage on resource: ..." as docker printed it (everything2/everything2#2562)
    errors.AccessDenied: OciError(403, "DENIED"),
    # repositories, manifests, tags (docs/behaviour/registry.md#error-codes)
    errors.RepositoryNotFound: OciError(404, "NAME_UNKNOWN"),
    # docs/behaviour/errors.md#messages #28
    errors.ImageNotFound: OciError(404, "MANIFEST_UNKNOWN", lambda _: "Requested image not found"),
    # status UNCONFIRMED (docs/behaviour/index.md#unconfirmed #9)
    errors.ImageTagAlreadyExists: OciError(400, "TAG_INVALID"),
    TagInvalid: OciError(400, "TAG_INVALID"),
    # ECR's code (docs/behaviour/registry.md#error-codes); status UNCONFIRMED
    errors.LayersNotFound: OciError(400, "BLOB_UPLOAD_UNKNOWN"),
    # UNCONFIRMED: missing child manifests of an index; OCI's code for a manifest naming unknown content.
    errors.ReferencedImagesNotFound: OciError(400, "MANIFEST_BLOB_UNKNOWN"),
    errors.ManifestInvalid: OciError(400, "UNSUPPORTED", _constraint),  # docs/behaviour/errors.md#messages #34
    # A descriptor breaking the image spec's rules: the distribution spec's MANIFEST_INVALID (UNCONFIRMED as ECR).
    errors.ManifestDescriptorInvalid: OciError(400, "MANIFEST_INVALID", _constraint),
    ManifestTooLarge: OciError(413, "MANIFEST_INVALID"),
    # A body that can't be read off the connection is a 400, a request the server can't parse (RFC 9110
    # §15.5.1); no OCI code names HTTP framing, so each is answered with its endpoint's: MANIFEST_INVALID, as
    # distribution answers a manifest body it can't read (registry/handlers/manifests.go, PutManifest) ...
    ManifestBodyUnreadable: OciError(400, "MANIFEST_INVALID"),
    errors.InvalidParameter: OciError(400, "MANIFEST_INVALID", _constraint),
    errors.ImageDigestDoesNotMatch: OciError(400, "DIGEST_INVALID"),
    errors.DigestInvalid: OciError(400, "DIGEST_INVALID"),
    # UNCONFIRMED: a digest DELETE of a manifest an index still lists; 409 as the state forbids it.
    ImageDeleteRefused: OciError(409, "DENIED"),
    # image quota reached (docs/behaviour/errors.md#messages #27); status UNCONFIRMED
    errors.LimitExceeded: OciError(403, "DENIED"),
    # fake-ecr's own registry limit (a push replicating to one registry too many): refused as ECR's limits are.
    errors.TooManyRegistries: OciError(403, "DENIED"),
    PageSizeInvalid: OciError(405, "UNSUPPORTED"),  # tags/list n > 1000 (docs/behaviour/errors.md#messages #33)
    # blobs and uploads (docs/behaviour/registry.md#error-codes; OCI spec "Pushing blobs")
    errors.LayerNotFound: OciError(404, "BLOB_UNKNOWN"),
    BlobRangeNotSatisfiable: OciError(416, "SIZE_INVALID", headers=_unsatisfiable),
    errors.UploadNotFound: OciError(404, "BLOB_UPLOAD_UNKNOWN"),
    # docs/behaviour/errors.md#messages #29
    errors.InvalidLayerPart: OciError(416, "BLOB_UPLOAD_INVALID", headers=_part_out_of_order),
    ContentRangeInvalid: OciError(416, "BLOB_UPLOAD_INVALID", headers=_bad_content_range),
    errors.InvalidLayer: OciError(400, "BLOB_UPLOAD_INVALID"),  # docs/behaviour/errors.md#messages #29
    # ECR stores no empty blobs (docs/behaviour/registry.md#push-flow); UNCONFIRMED
    errors.EmptyUpload: OciError(400, "BLOB_UPLOAD_INVALID"),
    # docs/behaviour/registry.md#endpoints PATCH, docs/behaviour/errors.md#messages #22; status UNCONFIRMED
    errors.LayerPartTooSmall: OciError(400, "BLOB_UPLOAD_INVALID"),
    # ... and BLOB_UPLOAD_INVALID on the upload endpoints, whose upload is dropped with it (blobs.patch_upload).
    errors.RequestBodyUnreadable: OciError(400, "BLOB_UPLOAD_INVALID"),
    # fake-ecr's own limits.  A chunk past Settings.upload_space_limit: 413 Content Too Large (RFC 9110 §15.5.14)
    # and BLOB_UPLOAD_INVALID, "the blob upload encountered an error and can no longer proceed" (OCI spec
    # "Error Codes"): the upload is dropped, its bytes freed, and the client starts over (no retry can fit).
    errors.UploadSpaceExhausted: OciError(413, "BLOB_UPLOAD_INVALID"),
    # A server at Settings.max_connections or max_request_threads: 503 (RFC 9110 §15.6.4) with UNAVAILABLE,
    # the code distribution pairs with 503 (registry/api/errcode/register.go) and containers/common's retry
    # package retries (pkg/retry); OCI's TOOMANYREQUESTS is a 429 for a client's own rate.  UNCONFIRMED as ECR.
    errors.ServerBusy: OciError(503, "UNAVAILABLE", headers=_retry_soon),
    # the URL space
    MethodNotAllowed: OciError(405, "UNSUPPORTED"),
    EndpointNotFound: OciError(404, "UNSUPPORTED"),
}


def rendering_of(error: errors.EcrError) -> OciError:
    """The table's entry for ``error``'s most specific class; LookupError for an error the registry can't raise."""
    for klass in type(error).__mro__:
        rendering = ERRORS.get(klass)
        if rendering is not None:
            return rendering
    raise LookupError(f"no registry rendering for {type(error).__name__}")


def error_response(error: errors.EcrError) -> Response:
    """The response a registry client gets for ``error``."""
    rendering = rendering_of(error)
    body = {"errors": [{"code": rendering.code, "message": rendering.message(error), "detail": None}]}
    return Response(
        json.dumps(body),
        status=rendering.status,
        headers=dict(rendering.headers(error)),
        content_type="application/json",
    )
