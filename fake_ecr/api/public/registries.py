"""ECR Public's registry-wide operations: DescribeRegistries, GetRegistryCatalogData,
PutRegistryCatalogData and GetAuthorizationToken
(https://docs.aws.amazon.com/AmazonECRPublic/latest/APIReference/API_Operations.html).

An account has one public registry, with a default alias it gets when its first repository is
created (the API reference's RegistryAlias, ``defaultRegistryAlias``): DescribeRegistries lists it
once anything was written to it, with that alias as its only one, ACTIVE, primary and default, and
``verified`` false (verification is a console process the API cannot start).  UNCONFIRMED: that
DescribeRegistries lists no registry before then (docs/behaviour/public.md#public-registry).

GetAuthorizationToken answers one ``authorizationData`` (no ``proxyEndpoint``: ECR Public has one
registry host), a token ``base64("AWS:" + password)`` good for 12 hours ("Authorization tokens are
valid for 12 hours", the API reference's AuthorizationData) for pushes to public.ecr.aws, never for a
private registry (``fake_ecr.model.tokens`` records the service).

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from typing import Any

from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.formats.service_model import ECR_PUBLIC
from fake_ecr.model.policy_evaluation import root_arn
from fake_ecr.model.public import PUBLIC_REGION, PublicRegistry, public_registry_arn
from fake_ecr.model.tokens import issue_token


def _own(call: Call) -> PublicRegistry:
    registry = call.own_registry
    assert isinstance(registry, PublicRegistry)
    return registry


def registry(call: Call, public: PublicRegistry) -> dict[str, Any]:
    """The Registry shape."""
    return {
        "registryId": public.registry_id,
        "registryArn": public_registry_arn(public.registry_id),
        "registryUri": f"{call.fake.public_registry_host()}/{public.alias}",
        "verified": False,
        "aliases": [
            {"name": public.alias, "status": "ACTIVE", "primaryRegistryAlias": True, "defaultRegistryAlias": True}
        ],
    }


@operation("DescribeRegistries", ECR_PUBLIC)
def describe_registries(call: Call, params: Params) -> Response:
    stored = call.fake.backend.stored_public_registry(call.caller.account_id)
    registries = [] if stored is None else [stored]
    return render.page("DescribeRegistries", params, "registries", registries, lambda r: registry(call, r))


def _catalog(public: PublicRegistry) -> Response:
    display_name = public.display_name
    return {"registryCatalogData": {} if display_name is None else {"displayName": display_name}}


@operation("GetRegistryCatalogData", ECR_PUBLIC)
def get_registry_catalog_data(call: Call, params: Params) -> Response:
    return _catalog(_own(call))


@operation("PutRegistryCatalogData", ECR_PUBLIC)
def put_registry_catalog_data(call: Call, params: Params) -> Response:
    public = _own(call)
    if "displayName" in params:  # left out: unchanged (UNCONFIRMED, docs/behaviour/public.md#catalog-data)
        public.set_display_name(params["displayName"])
    return _catalog(public)


@operation("GetAuthorizationToken", ECR_PUBLIC)
def get_authorization_token(call: Call, params: Params) -> Response:
    caller = call.caller
    principal = caller.principal_arn or root_arn(caller.account_id, PUBLIC_REGION)
    token = issue_token(caller.account_id, PUBLIC_REGION, call.now, principal, service=ECR_PUBLIC)
    return {"authorizationData": {"authorizationToken": token.authorization_token, "expiresAt": token.expires_at}}
