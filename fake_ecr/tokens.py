"""Registry credentials: issuing and checking ECR authorization tokens (ecr-behaviour §4.1).

Owns the token format.  ``authorizationToken`` = base64(``AWS:<password>``);
the password is base64 of a small JSON payload (account, region, expiry) and an
HMAC over it with a key made fresh for each process, so a token cannot be forged
or edited and is refused once expired or outside its account and region - as
ECR's tokens are region-scoped and last 12 hours (§2.4).

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

TOKEN_LIFETIME = 12 * 3600.0
#: The query parameter of a download URL that carries its credential (named as in S3 presigned URLs).
PRESIGNED_CREDENTIAL = "X-Amz-Security-Token"
USERNAME = "AWS"
_KEY = secrets.token_bytes(32)


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


def issue_token(account_id: str, region: str, now: float) -> IssuedToken:
    expires_at = now + TOKEN_LIFETIME
    payload = json.dumps({"account": account_id, "region": region, "expiration": expires_at}).encode()
    signature = hmac.new(_KEY, payload, hashlib.sha256).hexdigest()
    envelope = json.dumps({"payload": base64.b64encode(payload).decode(), "signature": signature, "version": "2"})
    password = base64.b64encode(envelope.encode()).decode()
    token = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
    return IssuedToken(token, password, expires_at)


def read_password(password: str) -> TokenClaims | None:
    """The claims of a password this process issued, or None for anything else."""
    try:
        envelope = json.loads(base64.b64decode(password, validate=True))
        payload = base64.b64decode(envelope["payload"], validate=True)
        expected = hmac.new(_KEY, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, str(envelope["signature"])):
            return None
        claims = json.loads(payload)
        return TokenClaims(str(claims["account"]), str(claims["region"]), float(claims["expiration"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
