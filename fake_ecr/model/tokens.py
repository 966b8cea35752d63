"""Registry credentials: issuing and checking ECR authorization tokens (docs/behaviour/auth.md#registry-credentials) and
download grants.

Owns the two credential formats.  ``authorizationToken`` = base64(``AWS:<password>``);
the password is base64 of a small JSON payload (account, region, expiry, and the
principal it was issued to when that is known) and an
HMAC over it with a key made fresh for each process (or taken up from a data dir), so a token cannot be forged
or edited and is refused once expired or outside its account and region - as
ECR's tokens are region-scoped and last 12 hours (docs/behaviour/auth.md#authorization-tokens).

A download grant is what a GetDownloadUrlForLayer URL carries in place of ECR's
presigned S3 URL: it names one blob (account, region, repository, digest) and an
expiry, and is signed with a key of its own, so it never reads as a password (nor
a password as a grant) - a URL that leaks lets its holder read that one blob until
it expires, and nothing else, as a presigned URL signs one object and one method
(AWS's S3 docs, "Sharing objects with presigned URLs").

Must not import anything from fake_ecr but ``errors``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

TOKEN_LIFETIME = 12 * 3600.0
#: The query parameter of a download URL that carries its credential (named as in S3 presigned URLs).
PRESIGNED_CREDENTIAL = "X-Amz-Security-Token"
USERNAME = "AWS"
#: What each kind of credential is signed with, each key derived from the process's signing key
#: (``use_signing_key``, kept under ``"signing"``), so a credential of one kind never verifies as another.
_KEYS: dict[str, bytes] = {}
_PURPOSES = {"password": b"registry password", "grant": b"download grant", "bearer": b"public registry bearer token"}


def signing_key() -> bytes:
    """The key every credential of this process is signed under (kept in ``fake-ecr serve --data-dir``'s store)."""
    return _KEYS["signing"]


def use_signing_key(key: bytes) -> None:
    """Sign and check every credential under ``key`` from now on: a restarted ``serve`` takes up its data dir's key,
    so logins from before the restart keep working until they expire.  Credentials signed under the key before
    stop verifying."""
    if len(key) < 32:
        raise ValueError("a signing key has at least 32 bytes")
    derived = {kind: hmac.new(key, purpose, hashlib.sha256).digest() for kind, purpose in _PURPOSES.items()}
    _KEYS.update(derived, signing=key)


use_signing_key(secrets.token_bytes(32))


@dataclass(frozen=True)
class IssuedToken:
    authorization_token: str
    password: str
    expires_at: float


@dataclass(frozen=True)
class TokenClaims:
    account_id: str
    region: str
    expires_at: float
    #: the IAM principal the token was issued to (GetAuthorizationToken's caller); None: not recorded
    principal_arn: str | None = None
    #: the service that issued it, ``ecr`` or ``ecr-public``: a token is good for its own service's registries only
    service: str = "ecr"


def issue_token(
    account_id: str, region: str, now: float, principal_arn: str | None = None, service: str = "ecr"
) -> IssuedToken:
    expires_at = now + TOKEN_LIFETIME
    claims: dict[str, object] = {"account": account_id, "region": region, "expiration": expires_at}
    if principal_arn is not None:
        claims["principal"] = principal_arn
    if service != "ecr":
        claims["service"] = service
    payload = json.dumps(claims).encode()
    signature = hmac.new(_KEYS["password"], payload, hashlib.sha256).hexdigest()
    envelope = json.dumps({"payload": base64.b64encode(payload).decode(), "signature": signature, "version": "2"})
    password = base64.b64encode(envelope.encode()).decode()
    token = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
    return IssuedToken(token, password, expires_at)


def read_password(password: str) -> TokenClaims | None:
    """The claims of a password this process issued, or None for anything else."""
    try:
        envelope = json.loads(base64.b64decode(password, validate=True))
        payload = base64.b64decode(envelope["payload"], validate=True)
        expected = hmac.new(_KEYS["password"], payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, str(envelope["signature"])):
            return None
        claims = json.loads(payload)
        principal = claims.get("principal")
        return TokenClaims(
            str(claims["account"]),
            str(claims["region"]),
            float(claims["expiration"]),
            None if principal is None else str(principal),
            str(claims.get("service", "ecr")),
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class DownloadGrant:
    """Leave to read one blob of one repository (GET or HEAD) until ``expires_at``."""

    account_id: str
    region: str
    repository_name: str
    digest: str
    expires_at: float


def _signed(key: bytes, claims: dict[str, object]) -> str:
    """``claims`` as URL-safe base64 JSON, a dot, and an HMAC over it under ``key``."""
    payload = json.dumps(claims).encode()
    return f"{base64.urlsafe_b64encode(payload).decode()}.{hmac.new(key, payload, hashlib.sha256).hexdigest()}"


def _verified(key: bytes, credential: str) -> dict[str, Any] | None:
    """The claims of a credential ``_signed`` under ``key``, or None for anything else."""
    encoded, _, signature = credential.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded.encode("ascii"))
        if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).hexdigest(), signature):
            return None
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def issue_download_grant(grant: DownloadGrant) -> str:
    """The URL-safe credential for ``grant``: its payload and an HMAC over it."""
    return _signed(
        _KEYS["grant"],
        {
            "account": grant.account_id,
            "region": grant.region,
            "repository": grant.repository_name,
            "digest": grant.digest,
            "expiration": grant.expires_at,
        },
    )


def read_download_grant(credential: str) -> DownloadGrant | None:
    """The grant a credential this process issued carries, or None for anything else (a password too)."""
    claims = _verified(_KEYS["grant"], credential)
    if claims is None:
        return None
    try:
        account, region, repository, digest = (
            str(claims[name]) for name in ("account", "region", "repository", "digest")
        )
        return DownloadGrant(account, region, repository, digest, float(claims["expiration"]))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class BearerClaims:
    """What a token of ECR Public's token endpoint carries: the account whose ``ecr-public get-login-password``
    credentials it was asked for with (None: anonymous, pulls only), and its expiry."""

    account_id: str | None
    expires_at: float


def issue_bearer_token(account_id: str | None, now: float) -> str:
    """A bearer token of public.ecr.aws's token endpoint, good for ``TOKEN_LIFETIME`` (UNCONFIRMED: ECR Public
    documents no lifetime for these; docs/behaviour/public.md#anonymous-pulls)."""
    return _signed(_KEYS["bearer"], {"account": account_id, "expiration": now + TOKEN_LIFETIME})


def read_bearer_token(token: str) -> BearerClaims | None:
    """The claims of a bearer token this process issued, or None for anything else (a password or grant too)."""
    claims = _verified(_KEYS["bearer"], token)
    if claims is None:
        return None
    try:
        account = claims["account"]
        return BearerClaims(None if account is None else str(account), float(claims["expiration"]))
    except (KeyError, TypeError, ValueError):
        return None
