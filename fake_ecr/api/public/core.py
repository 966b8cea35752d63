"""ECR Public's side of the protocol core: its ``Service``, how its calls reach the public registries,
its error table and the wire shapes only it has.

ECR Public (botocore's ``ecr-public`` model, X-Amz-Target prefix ``SpencerFrontendService.``) is
served in us-east-1 only (https://docs.aws.amazon.com/general/latest/gr/ecr-public.html); its calls
reach the account's public registry (``fake_ecr.model.public``), never a private one, and a
``registryId`` may be the registry's alias where the model says ``RegistryIdOrAlias``.

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import re
from typing import Any

from fake_ecr import errors
from fake_ecr.api.core import ERROR_CODES, READ_OPERATION_PREFIXES, SERVICES, Call, Service
from fake_ecr.formats.service_model import ECR_PUBLIC
from fake_ecr.model import RepositoryRecord
from fake_ecr.model.public import (
    PUBLIC_REGION,
    PublicRegistry,
    RepositoryCatalogData,
    default_alias,
    public_repository_arn,
)

#: A repository's ARN in ECR Public: no region (``public_repository_arn``).
_PUBLIC_REPOSITORY_ARN = re.compile(r"arn:aws:ecr-public::(\d{12}):repository/(.+)")
_ACCOUNT_ID = re.compile(r"\d{12}")


class PublicCall(Call):
    """A call of ECR Public: it reaches the public registry of the account (or alias) it names."""

    def registry_of(self, registry_id: str, region: str) -> PublicRegistry:
        """The public registry of an account or alias (``region`` is us-east-1, the only one served).

        An alias that names no public registry is RegistryNotFoundException (the exception the layer
        operations and PutImage model for their ``RegistryIdOrAlias``).
        """
        account_id = registry_id
        if _ACCOUNT_ID.fullmatch(registry_id) is None:
            found = self.fake.backend.public_registry_by_alias(registry_id)
            if found is not None:
                account_id = found.registry_id
            elif registry_id == default_alias(self.caller.account_id):
                account_id = self.caller.account_id
            else:
                raise errors.RegistryNotFound(registry_id)
        backend = self.fake.backend
        if self.operation.startswith(READ_OPERATION_PREFIXES):  # as ECR's reads: nothing stored
            return backend.public_registry_or_empty(account_id)
        return backend.public_registry(account_id)

    @property
    def own_registry(self) -> PublicRegistry:
        return self.registry_of(self.caller.account_id, PUBLIC_REGION)

    def registry(self, params: Any) -> PublicRegistry:
        return self.registry_of(params.get("registryId") or self.caller.account_id, PUBLIC_REGION)

    def repository_of_arn(self, resource_arn: str) -> tuple[str, str, str] | None:
        match = _PUBLIC_REPOSITORY_ARN.fullmatch(resource_arn)
        return None if match is None else (match[1], PUBLIC_REGION, match[2])

    def iam_action(self) -> str:
        """``ecr-public:`` and the operation's name (Service Authorization Reference, "Actions defined by
        Amazon Elastic Container Registry Public")."""
        return f"ecr-public:{self.operation}"


#: ECR Public's exception names: ECR's where the two models share one (the same names, the same
#: meanings), and its own for a region it is not served in and a registry that does not exist.
PUBLIC_ERROR_CODES: dict[type[errors.EcrError], str] = {
    **ERROR_CODES,
    errors.RegionNotServed: "UnsupportedCommandException",
    errors.RegistryNotFound: "RegistryNotFoundException",
}

SERVICES[ECR_PUBLIC] = Service(ECR_PUBLIC, PublicCall, PUBLIC_ERROR_CODES, regions=frozenset({PUBLIC_REGION}))


# --- wire shapes --------------------------------------------------------------------


def repository_uri(call: Call, registry: PublicRegistry, repository_name: str) -> str:
    """``public.ecr.aws/<alias>/<name>`` (or the running server's address for the public registry)."""
    return f"{call.fake.public_registry_host()}/{registry.alias}/{repository_name}"


def repository(call: Call, registry: PublicRegistry, record: RepositoryRecord) -> dict[str, Any]:
    """ECR Public's Repository shape: fewer members than ECR's (no settings a public repository lacks)."""
    return {
        "repositoryArn": public_repository_arn(record.registry_id, record.repository_name),
        "registryId": record.registry_id,
        "repositoryName": record.repository_name,
        "repositoryUri": repository_uri(call, registry, record.repository_name),
        "createdAt": record.created_at,
    }


def logo_url(call: Call, registry: PublicRegistry, repository_name: str) -> str:
    """Where the fake serves a repository's logo (``fake_ecr.registry.public``): ECR Public's logoUrl points
    to a CloudFront address instead (docs/behaviour/public.md#catalog-data)."""
    return f"{call.fake.public_registry_url()}/logos/{registry.alias}/{repository_name}"


def catalog_data(call: Call, registry: PublicRegistry, name: str, catalog: RepositoryCatalogData) -> dict[str, Any]:
    """The RepositoryCatalogData shape: the members set, and ``marketplaceCertified`` (false: the fake certifies
    nothing).  UNCONFIRMED: whether ECR Public leaves unset members out (a created repository's
    ``catalogData`` is ``{}`` in the AWS CLI's create-repository example, which sets none;
    docs/behaviour/public.md#catalog-data)."""
    wire: dict[str, Any] = {}
    if catalog.description is not None:
        wire["description"] = catalog.description
    if catalog.architectures is not None:
        wire["architectures"] = list(catalog.architectures)
    if catalog.operating_systems is not None:
        wire["operatingSystems"] = list(catalog.operating_systems)
    if catalog.logo_image is not None:
        wire["logoUrl"] = logo_url(call, registry, name)
    if catalog.about_text is not None:
        wire["aboutText"] = catalog.about_text
    if catalog.usage_text is not None:
        wire["usageText"] = catalog.usage_text
    if wire:
        wire["marketplaceCertified"] = False
    return wire
