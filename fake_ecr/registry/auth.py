"""Who may use a registry: ECR's Basic credentials, and which registry an ECR host name means.

Owns the registry's side of ecr-behaviour §4.1: every request carries
``Authorization: Basic base64("AWS:" + password)`` with a password from
GetAuthorizationToken; without it the answer is 401 with ECR's challenge; a
token that has expired on the fake's clock, or that was issued for another
account or region, is refused with 403 DENIED (the status docker reports as
"denied: Your authorization token has expired...", aws/aws-cli#6580).

GetDownloadUrlForLayer's URLs stand in for S3 presigned URLs, which work without
an Authorization header (§2.3, §4.2 blob GET): they carry the password in the
``X-Amz-Security-Token`` query parameter, accepted on blob reads only.

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from fake_ecr.model import Registry
from fake_ecr.registry.oci_errors import AuthorizationTokenExpired, AuthorizationTokenInvalid, CredentialsRequired
from fake_ecr.tokens import PRESIGNED_CREDENTIAL, USERNAME, read_password

#: ECR's registry host names (§1.3): <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn][:port]
_ECR_HOST = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?")


def registry_of_host(host: str) -> tuple[str, str] | None:
    """(account, region) when ``host`` is an ECR registry host name, else None."""
    match = _ECR_HOST.fullmatch(host.lower())
    return (match.group(1), match.group(2)) if match else None


def authenticate(request: Request, registry: Registry, now: float, *, presigned: bool) -> None:
    """Return when the request may use ``registry``; raise the refusal otherwise.

    ``presigned``: the endpoint also takes a download URL's query credential.
    """
    password = request.args.get(PRESIGNED_CREDENTIAL) if presigned else None
    if password is None:
        authorization = request.authorization
        if authorization is None or authorization.type != "basic":
            raise CredentialsRequired(request.host)
        if authorization.username != USERNAME:
            raise AuthorizationTokenInvalid()
        password = authorization.password or ""
    claims = read_password(password)
    # Tokens are region-scoped (§2.4) and name the account they were issued to.
    if claims is None or (claims.account_id, claims.region) != (registry.registry_id, registry.region):
        raise AuthorizationTokenInvalid()
    if claims.expires_at <= now:
        raise AuthorizationTokenExpired()
