"""Pull through cache rules: CreatePullThroughCacheRule, DescribePullThroughCacheRules,
UpdatePullThroughCacheRule, DeletePullThroughCacheRule, ValidatePullThroughCacheRule
(docs/behaviour/cross-repository.md#pull-through-cache), and BatchGetImage's answer for images such a rule would fetch
upstream.

Owns the upstream registries ECR supports (each one's URL form and whether it needs a Secrets
Manager credential), these operations' request rules and the rule's wire shapes (each operation's
output shape of botocore's model says which members it carries).

fake-ecr reaches no upstream registry and has no Secrets Manager: secrets are never read (so
SecretNotFound, UnableToAccessSecret and UnableToDecryptSecretValue never occur), validation
always succeeds, and nothing is ever fetched.  A pull through a rule's namespace of an image the
fake does not hold is answered as ECR answers when the upstream cannot be reached: BatchGetImage
with UnableToGetUpstreamImageException (docs/behaviour/cross-repository.md#pull-through-cache); the registry's manifest
GET, as for any missing image, with NAME_UNKNOWN (no repository) or MANIFEST_UNKNOWN (no such image).  Images pushed
into such a namespace are served like any other, as a cache would serve them.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.formats.service_model import operation_model
from fake_ecr.model import ImageId, Registry, RegistrySettings
from fake_ecr.model.records import PullThroughCacheRule
from fake_ecr.model.repository_creation import ROOT, prefix_key, pull_through_cache_rule_for

#: Rules per registry (docs/behaviour/limits.md#service-quotas; 10 until 2023).
MAX_RULES = 50


@dataclass(frozen=True)
class Upstream:
    """An upstream registry ECR can cache: its UpstreamRegistry name and its registry URL's form."""

    name: str
    url: re.Pattern[str]
    #: Docker Hub, GitHub, GitLab, Azure and Chainguard are reached with a Secrets Manager credential
    #: (docs/behaviour/cross-repository.md#pull-through-cache).
    needs_credential: bool


#: The upstream registries and their URLs [M:doc CreatePullThroughCacheRule.upstreamRegistryUrl], tried
#: in order.  Chainguard's ``cgr.dev`` is not in the model's list (its own registry host; UNCONFIRMED).
UPSTREAMS = (
    Upstream("ecr", re.compile(r"(?P<account>[0-9]{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?"), False),
    Upstream("ecr-public", re.compile(r"public\.ecr\.aws"), False),
    Upstream("docker-hub", re.compile(r"registry-1\.docker\.io"), True),
    Upstream("github-container-registry", re.compile(r"ghcr\.io"), True),
    Upstream("gitlab-container-registry", re.compile(r"registry\.gitlab\.com"), True),
    Upstream("k8s", re.compile(r"registry\.k8s\.io"), False),
    Upstream("azure-container-registry", re.compile(r"[a-z0-9]+\.azurecr\.io"), True),
    Upstream("quay", re.compile(r"quay\.io"), False),
    Upstream("chainguard", re.compile(r"cgr\.dev"), True),
)


# --- checking a rule --------------------------------------------------------------------------------


def _upstream(url: str, upstream_registry: str | None) -> tuple[Upstream, re.Match[str]]:
    """The upstream registry a URL names; one that contradicts ``upstreamRegistry`` is refused alike
    (UNCONFIRMED: ECR's answer to the contradiction)."""
    for upstream in UPSTREAMS:
        match = upstream.url.fullmatch(url)
        if match is not None and upstream_registry in (None, upstream.name):
            return upstream, match
    raise errors.UnsupportedUpstreamRegistry(url)


def _check(rule: PullThroughCacheRule, registry_id: str) -> None:
    """What a rule must hold beyond its members' own constraints
    (docs/behaviour/cross-repository.md#pull-through-cache).

    Wording of the InvalidParameterException texts UNCONFIRMED.  Beyond these, credentials and roles
    are taken as given: a credential for an upstream that needs none (ECR Public accepts one), a role
    for an upstream other than ECR (UNCONFIRMED whether ECR refuses those).
    """
    upstream, match = _upstream(rule.upstream_registry_url, rule.upstream_registry)
    if upstream.needs_credential and rule.credential_arn is None:
        raise errors.UnsupportedUpstreamRegistry(rule.upstream_registry_url, credential_missing=True)
    if upstream.name == "ecr" and match["account"] != registry_id and rule.custom_role_arn is None:
        # An ECR upstream in another account is reached through an IAM role of this account [M:doc customRoleArn].
        raise errors.InvalidParameter(
            "customRoleArn", "A custom role is required for an upstream Amazon ECR registry in another account"
        )
    if prefix_key(rule.ecr_repository_prefix) == ROOT and prefix_key(rule.upstream_repository_prefix) != ROOT:
        # "You can set the upstream repository prefix only when the Amazon ECR repository prefix has a
        # non-ROOT value" [DOC pull-through-cache-private-wildcards].
        raise errors.InvalidParameter(
            "upstreamRepositoryPrefix",
            "The upstream repository prefix can only be set when the ECR repository prefix is not ROOT",
        )


def _find(settings: RegistrySettings, ecr_repository_prefix: str) -> PullThroughCacheRule | None:
    key = prefix_key(ecr_repository_prefix)
    return next((r for r in settings.pull_through_cache_rules if prefix_key(r.ecr_repository_prefix) == key), None)


def _existing(settings: RegistrySettings, ecr_repository_prefix: str) -> PullThroughCacheRule:
    rule = _find(settings, ecr_repository_prefix)
    if rule is None:
        raise errors.PullThroughCacheRuleNotFound(ecr_repository_prefix)
    return rule


def _replacing(settings: RegistrySettings, old: PullThroughCacheRule, new: PullThroughCacheRule) -> RegistrySettings:
    rules = tuple(new if rule is old else rule for rule in settings.pull_through_cache_rules)
    return replace(settings, pull_through_cache_rules=rules)


# --- wire shapes ------------------------------------------------------------------------------------


def _rule(rule: PullThroughCacheRule, registry_id: str) -> dict[str, Any]:
    """The PullThroughCacheRule shape: every member a rule has."""
    wire: dict[str, Any] = {
        "ecrRepositoryPrefix": rule.ecr_repository_prefix,
        "upstreamRegistryUrl": rule.upstream_registry_url,
        "createdAt": rule.created_at,
        "registryId": registry_id,
        "upstreamRegistry": rule.upstream_registry,
        "upstreamRepositoryPrefix": rule.upstream_repository_prefix,
        "updatedAt": rule.updated_at,
    }
    for member, value in (("credentialArn", rule.credential_arn), ("customRoleArn", rule.custom_role_arn)):
        if value is not None:
            wire[member] = value
    return wire


def _answer(call: Call, rule: PullThroughCacheRule, registry_id: str, **extra: Any) -> Response:
    """The rule as this operation's output shape carries it (each operation's shape holds other members)."""
    members = operation_model(call.operation).output_shape.members
    return {k: v for k, v in {**_rule(rule, registry_id), **extra}.items() if k in members}


# --- the operations ---------------------------------------------------------------------------------


@operation("CreatePullThroughCacheRule")
def create_pull_through_cache_rule(call: Call, params: Params) -> Response:
    registry, now = call.registry(params), call.now
    url = params["upstreamRegistryUrl"]
    upstream, _ = _upstream(url, params.get("upstreamRegistry"))
    rule = PullThroughCacheRule(
        ecr_repository_prefix=params["ecrRepositoryPrefix"],
        upstream_registry_url=url,
        upstream_registry=upstream.name,
        # Without one, the upstream prefix is ROOT [M:doc upstreamRepositoryPrefix].
        upstream_repository_prefix=params.get("upstreamRepositoryPrefix") or ROOT,
        created_at=now,
        updated_at=now,
        credential_arn=params.get("credentialArn"),
        custom_role_arn=params.get("customRoleArn") or None,
    )
    _check(rule, registry.registry_id)

    def with_rule(settings: RegistrySettings) -> RegistrySettings:
        if _find(settings, rule.ecr_repository_prefix) is not None:
            raise errors.PullThroughCacheRuleAlreadyExists(rule.ecr_repository_prefix)
        if len(settings.pull_through_cache_rules) >= MAX_RULES:
            # UNCONFIRMED wording, modelled on the tag limit's.
            raise errors.LimitExceeded(
                f"Pull through cache rule limit of {MAX_RULES} exceeded for the registry with id "
                f"'{registry.registry_id}'"
            )
        return replace(settings, pull_through_cache_rules=(*settings.pull_through_cache_rules, rule))

    registry.modify_settings(with_rule)
    return _answer(call, rule, registry.registry_id)


@operation("DescribePullThroughCacheRules")
def describe_pull_through_cache_rules(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    settings = registry.settings
    rules: Sequence[PullThroughCacheRule] = settings.pull_through_cache_rules
    prefixes = params.get("ecrRepositoryPrefixes")
    if prefixes is not None:
        # Every prefix asked for must have a rule (inferred from the model's errors, UNCONFIRMED).
        wanted = [_existing(settings, prefix) for prefix in prefixes]
        rules = [rule for rule in rules if rule in wanted]
    return render.page(
        "DescribePullThroughCacheRules",
        params,
        "pullThroughCacheRules",
        rules,
        lambda rule: _rule(rule, registry.registry_id),
    )


@operation("UpdatePullThroughCacheRule")
def update_pull_through_cache_rule(call: Call, params: Params) -> Response:
    """Set a rule's credential and/or role; members left out keep their values, an empty role clears it."""
    registry, now = call.registry(params), call.now
    prefix = params["ecrRepositoryPrefix"]
    changes: dict[str, Any] = {"updated_at": now}
    if "credentialArn" in params:
        changes["credential_arn"] = params["credentialArn"]
    if "customRoleArn" in params:
        changes["custom_role_arn"] = params["customRoleArn"] or None

    def with_update(settings: RegistrySettings) -> RegistrySettings:
        old = _existing(settings, prefix)
        new = replace(old, **changes)
        _check(new, registry.registry_id)
        return _replacing(settings, old, new)

    _, settings = registry.modify_settings(with_update)
    return _answer(call, _existing(settings, prefix), registry.registry_id)


@operation("DeletePullThroughCacheRule")
def delete_pull_through_cache_rule(call: Call, params: Params) -> Response:
    """Delete a rule; the repositories cached under it stay (inferred, UNCONFIRMED)."""
    registry, prefix = call.registry(params), params["ecrRepositoryPrefix"]

    def without_rule(settings: RegistrySettings) -> RegistrySettings:
        old = _existing(settings, prefix)
        return replace(
            settings, pull_through_cache_rules=tuple(r for r in settings.pull_through_cache_rules if r is not old)
        )

    settings, _ = registry.modify_settings(without_rule)
    return _answer(call, _existing(settings, prefix), registry.registry_id)


@operation("ValidatePullThroughCacheRule")
def validate_pull_through_cache_rule(call: Call, params: Params) -> Response:
    # fake-ecr has no upstream to authenticate to: every rule is valid, and ``failure`` is absent
    # (docs/behaviour/cross-repository.md#pull-through-cache).
    registry = call.registry(params)
    rule = _existing(registry.settings, params["ecrRepositoryPrefix"])
    return _answer(call, rule, registry.registry_id, isValid=True)


# --- pulls through a rule ---------------------------------------------------------------------------


def refuse_upstream_pulls(registry: Registry, repository_name: str, image_ids: Sequence[ImageId]) -> None:
    """Before BatchGetImage: UnableToGetUpstreamImage when a pull through cache rule covers the repository
    and the fake lacks the repository or one of the images, which ECR would fetch upstream
    (docs/behaviour/cross-repository.md#pull-through-cache).

    Ids that name no image at all (no digest nor tag, a malformed digest) are left to BatchGetImage's
    failures.  Nothing is pulled before the answer, so no pull time is recorded.
    """
    rule = pull_through_cache_rule_for(registry.settings, repository_name)
    if rule is None:
        return
    for image_id in image_ids:
        try:
            registry.resolve_image(repository_name, image_id)
        except errors.InvalidParameter:
            continue
        except (errors.RepositoryNotFound, errors.ImageNotFound):
            raise errors.UnableToGetUpstreamImage(repository_name, rule.upstream_registry_url) from None
