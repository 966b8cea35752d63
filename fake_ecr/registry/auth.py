"""Who may use a registry: ECR's Basic credentials, and which registry an ECR host name means.

Owns the registry's side of docs/behaviour/auth.md#registry-credentials: every request carries
``Authorization: Basic base64("AWS:" + password)`` with a password from
GetAuthorizationToken; without it the answer is 401 with ECR's challenge; a
token that has expired on the fake's clock, or that was issued for another
account or region, is refused with 403 DENIED (the status docker reports as
"denied: Your authorization token has expired...", aws/aws-cli#6580).

GetDownloadUrlForLayer's URLs stand in for S3 presigned URLs, which work without
an Authorization header (docs/behaviour/registry.md#layer-api, docs/behaviour/registry.md#endpoints blob GET): they
carry a download grant (``fake_ecr.model.tokens``) in the ``X-Amz-Security-Token`` query parameter.  A grant is
no password: it is taken only on a blob read (GET or HEAD) of the one repository
and digest it names, until it expires, and never as Basic credentials.

Must not import ``fake_ecr.api``.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from fake_ecr.model import Registry
from fake_ecr.model.tokens import PRESIGNED_CREDENTIAL, USERNAME, TokenClaims, read_download_grant, read_password
from fake_ecr.registry.oci_errors import AuthorizationTokenExpired, AuthorizationTokenInvalid, CredentialsRequired

#: ECR's registry host names (docs/behaviour/api.md#shared-structures):
#: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn][:port]
_ECR_HOST = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?")


def registry_of_host(host: str) -> tuple[str, str] | None:
    """(account, region) when ``host`` is an ECR registry host name, else None."""
    match = _ECR_HOST.fullmatch(host.lower())
    return (match.group(1), match.group(2)) if match else None


def authenticate(
    request: Request, registry: Registry, now: float, *, blob_read: tuple[str, str] | None, any_account: bool
) -> TokenClaims | None:
    """The claims of the request's token when it may use ``registry`` (None: a download grant); else raise.

    ``blob_read``: (repository, digest) when the request reads a blob; a download grant for exactly
    that blob then stands in for credentials.  ``any_account`` (policies enforced): a token is its
    principal's credential for every registry of its region, as ECR's is ("the token works for every
    registry the principal can access", the deprecation note on GetAuthorizationToken's registryIds),
    and the registry's policies decide what it may do there.
    """
    if blob_read is not None and PRESIGNED_CREDENTIAL in request.args:
        _check_download_grant(request.args[PRESIGNED_CREDENTIAL], registry, blob_read, now)
        return None
    authorization = request.authorization
    if authorization is None or authorization.type != "basic":
        raise CredentialsRequired(request.host)
    if authorization.username != USERNAME:
        raise AuthorizationTokenInvalid()
    claims = read_password(authorization.password or "")
    # Tokens are region-scoped (docs/behaviour/auth.md#authorization-tokens) and name the account they were issued to;
    # ECR Public's (``ecr-public get-login-password``) are for public.ecr.aws only (``fake_ecr.registry.public``).
    if claims is None or claims.region != registry.region or claims.service != "ecr":
        raise AuthorizationTokenInvalid()
    if claims.account_id != registry.registry_id and not any_account:
        raise AuthorizationTokenInvalid()
    if claims.expires_at <= now:
        raise AuthorizationTokenExpired()
    return claims


def _check_download_grant(credential: str, registry: Registry, blob_read: tuple[str, str], now: float) -> None:
    grant = read_download_grant(credential)
    granted = None if grant is None else (grant.account_id, grant.region, grant.repository_name, grant.digest)
    if grant is None or granted != (registry.registry_id, registry.region, *blob_read):
        raise AuthorizationTokenInvalid()
    if grant.expires_at <= now:
        raise AuthorizationTokenExpired()
