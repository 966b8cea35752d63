"""GetAuthorizationToken and the registry credentials it issues (ecr-behaviour §2.4, §4.1).

Owns the token format: ``base64("AWS:" + password)`` where the password is an
opaque base64 blob naming the account, region and expiry, sealed with a
per-process HMAC key, so the registry can tell a genuine, unexpired token for
its own account and region from anything else.  Tokens last 12 hours on the
fake's clock.  Must not import werkzeug or ``fake_ecr.registry`` (the
registry imports ``verify_password`` from here through ``fake_ecr.tokens``).
"""

from __future__ import annotations

from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.tokens import issue_token


@operation("GetAuthorizationToken")
def get_authorization_token(call: Call, params: Params) -> Response:
    # registryIds is deprecated: the token works for every registry the caller can reach (§2.4).
    # One authorizationData per requested registry, else one for the caller's own.
    region = call.caller.region
    registry_ids = params.get("registryIds") or [call.caller.account_id]
    data = []
    for registry_id in dict.fromkeys(registry_ids):
        token = issue_token(call.caller.account_id, region, call.now)
        host = call.fake.registry_host(registry_id, region)
        scheme = "https" if call.fake.settings.tls or "amazonaws.com" in host else "http"
        data.append(
            {
                "authorizationToken": token.authorization_token,
                "expiresAt": token.expires_at,
                "proxyEndpoint": f"{scheme}://{host}",
            }
        )
    return {"authorizationData": data}
