"""Amazon ECR Public's registries: one public registry per account, beside (never inside) its private ones.

Owns what a public registry holds beyond a private one: its default alias (the ``<alias>`` of
``public.ecr.aws/<alias>/<name>``), its display name (registry catalog data) and each repository's
catalog data.  Repositories, images, tags, blobs and uploads are ``Registry``'s, with its one write
path for images, so the API's PutImage and the registry's manifest PUT share it here too.

ECR Public is one global registry per account, served from us-east-1 only ("Amazon ECR Public
service endpoints", https://docs.aws.amazon.com/general/latest/gr/ecr-public.html, which also lists
us-west-2: docs/behaviour/public.md#public-operations): a public registry is keyed by its account alone,
and the private registry of the same account in us-east-1 is another namespace.  Nothing listens to its
pushes and deletions: replication, scanning and lifecycle policies are private-registry features ECR Public
does not have (its API offers none of them).

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from fake_ecr.model.blobs import UploadSpace
from fake_ecr.model.clock import Clock
from fake_ecr.model.records import RepositoryRecord
from fake_ecr.model.registry import Registry

#: The one region ECR Public's API is served from (https://docs.aws.amazon.com/general/latest/gr/ecr-public.html).
PUBLIC_REGION = "us-east-1"
#: The registry host of every public repository (ECR Public User Guide, "Amazon ECR public registries").
PUBLIC_REGISTRY_HOST = "public.ecr.aws"
_ALIAS_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ALIAS_CHARACTERS = _ALIAS_LETTERS + "0123456789"


def default_alias(account_id: str) -> str:
    """The default alias of an account's public registry: 8 characters, a letter first.

    ECR Public gives a registry a random alias when its first repository is created (the API
    reference's RegistryAlias, ``defaultRegistryAlias``), of the form ``[a-z][a-z0-9]+`` (its pattern);
    the length of 8 is UNCONFIRMED (docs/behaviour/public.md#public-registry).  fake-ecr derives it from
    the account, so a test can name it before creating anything, and two accounts' aliases differ.
    """
    digest = hashlib.sha256(f"ecr-public:{account_id}".encode()).digest()
    return _ALIAS_LETTERS[digest[0] % 26] + "".join(_ALIAS_CHARACTERS[byte % 36] for byte in digest[1:8])


def public_repository_arn(registry_id: str, repository_name: str) -> str:
    """``arn:aws:ecr-public::<account>:repository/<name>``: no region, ECR Public being global
    (Service Authorization Reference, "Resource types defined by Amazon Elastic Container Registry Public")."""
    return f"arn:aws:ecr-public::{registry_id}:repository/{repository_name}"


def public_registry_arn(registry_id: str) -> str:
    """``arn:aws:ecr-public::<account>:registry/<account>`` (the same reference's ``registry`` resource type)."""
    return f"arn:aws:ecr-public::{registry_id}:registry/{registry_id}"


@dataclass(frozen=True, slots=True)
class RepositoryCatalogData:
    """A public repository's catalog data, as stored (the logo as the bytes sent)."""

    description: str | None = None
    architectures: tuple[str, ...] | None = None
    operating_systems: tuple[str, ...] | None = None
    logo_image: bytes | None = None
    about_text: str | None = None
    usage_text: str | None = None


class PublicRegistry(Registry):
    """An account's public registry: a ``Registry`` with an alias and catalog data."""

    def __init__(self, registry_id: str, lock: threading.RLock, clock: Clock, upload_space: UploadSpace) -> None:
        super().__init__(registry_id, PUBLIC_REGION, lock, clock, upload_space=upload_space)
        self.alias = default_alias(registry_id)
        self._display_name: str | None = None
        self._catalog: dict[str, RepositoryCatalogData] = {}

    def repository_arn(self, repository_name: str) -> str:
        return public_repository_arn(self.registry_id, repository_name)

    @property
    def display_name(self) -> str | None:
        """The registry catalog data's displayName; None until one is put."""
        with self._lock:
            return self._display_name

    def set_display_name(self, display_name: str) -> str:
        with self._lock:
            self._display_name = display_name
            return display_name

    def create_repository(self, repository_name: str, **settings: object) -> RepositoryRecord:
        """Create a repository; ``catalog_data`` (a ``RepositoryCatalogData``) is stored with it, in one step."""
        catalog = settings.pop("catalog_data", None)
        with self._lock:
            record = super().create_repository(repository_name, **settings)
            if isinstance(catalog, RepositoryCatalogData):
                self._catalog[repository_name] = catalog
            return record

    def catalog_data(self, repository_name: str) -> RepositoryCatalogData:
        """A repository's catalog data (empty until some is put); RepositoryNotFound for no repository."""
        with self._lock:
            self.repository(repository_name)
            return self._catalog.get(repository_name, RepositoryCatalogData())

    def put_catalog_data(self, repository_name: str, catalog: RepositoryCatalogData) -> RepositoryCatalogData:
        with self._lock:
            self.repository(repository_name)
            self._catalog[repository_name] = catalog
            return catalog

    def catalog(self) -> tuple[str | None, tuple[tuple[str, RepositoryCatalogData], ...]]:
        """What the registry holds beyond a private one: its display name and each repository's catalog data."""
        with self._lock:
            return self._display_name, tuple(self._catalog.items())

    def restore_catalog(self, display_name: str | None, catalog: tuple[tuple[str, RepositoryCatalogData], ...]) -> None:
        """Take up a ``catalog`` saved earlier (after ``restore``)."""
        with self._lock:
            self._display_name = display_name
            self._catalog = {name: data for name, data in catalog if name in self._repositories}

    def delete_repository(self, repository_name: str, force: bool) -> RepositoryRecord:
        with self._lock:
            record = super().delete_repository(repository_name, force)
            self._catalog.pop(repository_name, None)
            return record
