"""Repositories ECR creates on its own: namespace prefixes, creation templates, create on push
(docs/behaviour/cross-repository.md#repository-creation-templates).

Owns matching a repository name against the namespace prefixes of repository creation templates
and pull through cache rules (an implied trailing ``/``, ``ROOT`` as the fallback, the most
specific prefix winning), the settings a creation template gives a repository ECR creates, and
the create-on-push decision: a push to a repository that does not exist creates it when a
CREATE_ON_PUSH template covers its name.  The registry's push endpoints ask before they run;
replication (``fake_ecr.model.replication``) creates its destination repositories here too.

Must not import werkzeug, botocore, ``fake_ecr.api`` or ``fake_ecr.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TypeVar

from fake_ecr import errors
from fake_ecr.formats.digest import is_valid_repository_name
from fake_ecr.model import Registry, RegistrySettings, RepositoryRecord
from fake_ecr.model.records import PullThroughCacheRule, RepositoryCreationTemplate, aws_managed_key_arn

#: The prefix of the template (or pull through cache rule) for every name no other one covers
#: (docs/behaviour/cross-repository.md#pull-through-cache,
#: docs/behaviour/cross-repository.md#repository-creation-templates).
ROOT = "ROOT"
#: RCTAppliedFor: what a repository creation template applies to
#: (docs/behaviour/cross-repository.md#repository-creation-templates).
CREATE_ON_PUSH = "CREATE_ON_PUSH"
REPLICATION = "REPLICATION"
PULL_THROUGH_CACHE = "PULL_THROUGH_CACHE"

T = TypeVar("T")


def prefix_key(prefix: str) -> str:
    """A namespace prefix as ECR tells prefixes apart: ``prod`` and ``prod/`` are one namespace,
    since ECR always implies the trailing ``/`` [M:doc Prefix] (UNCONFIRMED that it refuses the
    second as a duplicate of the first)."""
    return prefix.rstrip("/")


def coverage(prefix: str, repository_name: str) -> int | None:
    """How specifically ``prefix`` covers ``repository_name``: the length of the namespace it names,
    0 for ``ROOT``, None when it does not cover the name.

    ``prod`` covers ``prod/app`` and ``prod/team/app`` but not ``prod`` itself nor ``production``
    (the implied ``/``, [M:doc Prefix]).
    """
    if prefix == ROOT:
        return 0
    namespace = prefix_key(prefix) + "/"
    return len(namespace) if repository_name.startswith(namespace) else None


def most_specific(items: Iterable[T], prefix_of: Callable[[T], str], repository_name: str) -> T | None:
    """The item whose prefix covers the name most specifically: the longest namespace, else ``ROOT``.

    That the longest prefix wins is inferred from ``ROOT`` being the fallback "for any repository
    with no more specific template" [M:doc Prefix] (UNCONFIRMED,
    docs/behaviour/cross-repository.md#repository-creation-templates).
    """
    best: T | None = None
    best_coverage = -1
    for item in items:
        covered = coverage(prefix_of(item), repository_name)
        if covered is not None and covered > best_coverage:
            best, best_coverage = item, covered
    return best


def template_for(
    settings: RegistrySettings, repository_name: str, applied_for: str
) -> RepositoryCreationTemplate | None:
    """The creation template ECR applies to a repository it creates for ``applied_for``.

    Only templates applied for that scenario compete (UNCONFIRMED: a more specific template for
    another scenario does not hide a ``ROOT`` one for this scenario).
    """
    candidates = (t for t in settings.repository_creation_templates if applied_for in t.applied_for)
    return most_specific(candidates, lambda template: template.prefix, repository_name)


def pull_through_cache_rule_for(settings: RegistrySettings, repository_name: str) -> PullThroughCacheRule | None:
    """The pull through cache rule whose namespace holds the repository, if any
    (docs/behaviour/cross-repository.md#pull-through-cache)."""
    return most_specific(settings.pull_through_cache_rules, lambda rule: rule.ecr_repository_prefix, repository_name)


def create_repository(
    registry: Registry, repository_name: str, template: RepositoryCreationTemplate | None
) -> RepositoryRecord:
    """Create a repository as ECR does on its own: with the template's settings, else with the defaults
    (mutable tags, AES256, no policies, no resource tags; docs/behaviour/cross-repository.md#replication,
    docs/behaviour/cross-repository.md#pull-through-cache).

    Raises RepositoryAlreadyExists when the name is taken.  KMS encryption without a key uses the
    registry's AWS-managed key, as CreateRepository does (docs/behaviour/repositories.md#encryption).  Scanning on push
    is the registry's scanning configuration's business: templates have no scanning settings
    (docs/behaviour/cross-repository.md#repository-creation-templates).
    """
    if template is None:
        return registry.create_repository(repository_name)
    kms_key = template.kms_key
    if template.encryption_type != "AES256" and kms_key is None:
        kms_key = aws_managed_key_arn(registry.registry_id, registry.region)
    return registry.create_repository(
        repository_name,
        image_tag_mutability=template.image_tag_mutability,
        image_tag_mutability_exclusion_filters=template.image_tag_mutability_exclusion_filters,
        encryption_type=template.encryption_type,
        kms_key=kms_key,
        resource_tags=template.resource_tags,
        policy_text=template.repository_policy_text,
        lifecycle_policy_text=template.lifecycle_policy_text,
    )


def creates_on_push(registry: Registry, repository_name: str) -> bool:
    """Whether a push to ``repository_name`` would create it (``create_on_push``): a CREATE_ON_PUSH template
    covers its name, which is valid, and no such repository exists."""
    if template_for(registry.settings, repository_name, CREATE_ON_PUSH) is None:
        return False
    if not is_valid_repository_name(repository_name):
        return False
    try:
        registry.repository(repository_name)
    except errors.RepositoryNotFound:
        return True
    return False


def create_on_push(registry: Registry, repository_name: str) -> None:
    """Before a push to the registry: create the repository if it does not exist and a CREATE_ON_PUSH
    template covers its name (docs/behaviour/cross-repository.md#repository-creation-templates); without one the push
    goes on to fail with NAME_UNKNOWN (docs/behaviour/registry.md#push-flow).

    A name outside ECR's repository name grammar is never created: the push fails as before.
    The control plane's PutImage and InitiateLayerUpload do not create repositories: ECR announced
    creation on push for pushes to the registry (UNCONFIRMED for the API calls behind them).
    """
    template = template_for(registry.settings, repository_name, CREATE_ON_PUSH)
    if template is None or not is_valid_repository_name(repository_name):
        return
    # Concurrent pushes to a new repository: the first creates it, the others find it there.
    with suppress(errors.RepositoryAlreadyExists):
        create_repository(registry, repository_name, template)
