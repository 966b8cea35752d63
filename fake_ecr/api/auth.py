"""GetAuthorizationToken: registry credentials for docker and the AWS CLI (docs/behaviour/auth.md#authorization-tokens,
docs/behaviour/auth.md#registry-credentials, docs/behaviour/api.md#cli-tutorial).

Owns the operation's response: one ``authorizationData`` per requested registry,
each with a token ``base64("AWS:" + password)`` that lasts 12 hours on the fake's
clock and the ``proxyEndpoint`` where that registry is reached (ECR's host, or
the running server's address).  The token format itself is ``fake_ecr.model.tokens``'s,
so the registry can check a password without importing the control plane.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.model.policy_evaluation import root_arn
from fake_ecr.model.tokens import issue_token


@operation("GetAuthorizationToken")
def get_authorization_token(call: Call, params: Params) -> Response:
    # registryIds is deprecated: the token works for every registry the caller can reach
    # (docs/behaviour/auth.md#authorization-tokens). One authorizationData per requested registry, else one for the
    # caller's own.
    region = call.caller.region
    registry_ids = params.get("registryIds") or [call.caller.account_id]
    # The token is the caller's credential: with policies enforced, the registry checks them for this principal.
    principal = call.caller.principal_arn or root_arn(call.caller.account_id, region)
    data = []
    for registry_id in dict.fromkeys(registry_ids):
        # A token is bound to the registry it is issued for; the registry refuses it elsewhere
        # (docs/behaviour/auth.md#registry-credentials), unless policies are enforced: then it is good in every registry
        # of its region that allows it.
        token = issue_token(registry_id, region, call.now, principal)
        data.append(
            {
                "authorizationToken": token.authorization_token,
                "expiresAt": token.expires_at,
                "proxyEndpoint": call.fake.registry_url(registry_id, region),
            }
        )
    return {"authorizationData": data}
