"""Frozen records of the state: what model methods hand out.

Owns the immutable value types for repositories, images and tag-mutability
filters.  A record is never changed in place: the model swaps in a new one
(``dataclasses.replace``), so handing a record out of the lock needs no copy.

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase

MUTABLE = "MUTABLE"
IMMUTABLE = "IMMUTABLE"
IMMUTABLE_WITH_EXCLUSION = "IMMUTABLE_WITH_EXCLUSION"
MUTABLE_WITH_EXCLUSION = "MUTABLE_WITH_EXCLUSION"


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to (aws, aws-cn, aws-us-gov)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def repository_arn(registry_id: str, region: str, repository_name: str) -> str:
    """``arn:<partition>:ecr:<region>:<account>:repository/<name>`` (docs/behaviour/api.md#shared-structures)."""
    return f"arn:{partition_of(region)}:ecr:{region}:{registry_id}:repository/{repository_name}"


def registry_dns_suffix(region: str) -> str:
    """ECR's registry host suffix: amazonaws.com, or amazonaws.com.cn in China
    (docs/behaviour/api.md#shared-structures)."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def ecr_registry_host(account_id: str, region: str) -> str:
    """ECR's own registry host name (docs/behaviour/api.md#shared-structures)."""
    return f"{account_id}.dkr.ecr.{region}.{registry_dns_suffix(region)}"


def aws_managed_key_arn(registry_id: str, region: str) -> str:
    """The ARN of the AWS-managed ``aws/ecr`` key KMS encryption uses when no key is named
    (docs/behaviour/repositories.md#repository-operations, docs/behaviour/repositories.md#encryption).

    That key is one per account and region, so every repository of a registry shows the same ARN;
    its id is derived from the registry (UNCONFIRMED: moto draws a new id per repository).
    """
    key_id = uuid.uuid5(uuid.NAMESPACE_URL, f"aws/ecr:{registry_id}:{region}")
    return f"arn:{partition_of(region)}:kms:{region}:{registry_id}:key/{key_id}"


def wildcard_matches(pattern: str, text: str) -> bool:
    """ECR's wildcard filters: ``*`` matches any run of characters (``/`` too), the rest matches itself.

    A glob on the whole text.  The filter grammars that use it (tag mutability exclusions, signing
    repository filters) hold no glob metacharacter but ``*``.
    """
    return fnmatchcase(text, pattern)


@dataclass(frozen=True, slots=True)
class TagMutabilityFilter:
    """One ImageTagMutabilityExclusionFilter: ``WILDCARD`` with ``*`` = any run of characters."""

    filter_type: str
    filter: str

    def matches(self, image_tag: str) -> bool:
        # A glob on the whole tag (docs/behaviour/repositories.md#tag-mutability; moto's prefix regex is not ECR's
        # behaviour).
        return wildcard_matches(self.filter, image_tag)


@dataclass(frozen=True, slots=True)
class LifecyclePreviewResult:
    """One image a lifecycle policy preview acts on (LifecyclePolicyPreviewResult, docs/behaviour/lifecycle.md#preview).

    ``action_type`` is ``EXPIRE`` or ``TRANSITION`` (with ``target_storage_class`` ``ARCHIVE``);
    ``storage_class`` is the image's class when the preview ran (``STANDARD`` or ``ARCHIVE``).
    """

    image_digest: str
    image_tags: tuple[str, ...]
    image_pushed_at: float
    action_type: str
    target_storage_class: str | None
    applied_rule_priority: int
    storage_class: str


@dataclass(frozen=True, slots=True)
class LifecyclePolicyPreview:
    """A repository's lifecycle policy preview (dry run, docs/behaviour/lifecycle.md#preview): the policy text as
    submitted, when the preview completes, and what the policy would do to the images."""

    lifecycle_policy_text: str
    completes_at: float
    results: tuple[LifecyclePreviewResult, ...]


@dataclass(frozen=True, slots=True)
class RepositoryRecord:
    """A repository's settings (its images live beside it in the registry)."""

    registry_id: str
    region: str
    repository_name: str
    created_at: float
    image_tag_mutability: str = MUTABLE
    image_tag_mutability_exclusion_filters: tuple[TagMutabilityFilter, ...] = ()
    scan_on_push: bool = False
    encryption_type: str = "AES256"
    kms_key: str | None = None
    resource_tags: tuple[tuple[str, str], ...] = ()
    policy_text: str | None = None
    lifecycle_policy_text: str | None = None
    lifecycle_last_evaluated_at: float | None = None
    lifecycle_policy_preview: LifecyclePolicyPreview | None = None

    @property
    def repository_arn(self) -> str:
        return repository_arn(self.registry_id, self.region, self.repository_name)

    def tag_is_immutable(self, image_tag: str) -> bool:
        """Whether pushing ``image_tag`` again must fail (docs/behaviour/repositories.md#tag-mutability, exclusion
        filters included)."""
        mutability = self.image_tag_mutability
        if mutability == MUTABLE:
            return False
        if mutability == IMMUTABLE:
            return True
        excluded = any(f.matches(image_tag) for f in self.image_tag_mutability_exclusion_filters)
        # IMMUTABLE_WITH_EXCLUSION: the filters name the mutable tags; MUTABLE_WITH_EXCLUSION: the immutable ones.
        return not excluded if mutability == IMMUTABLE_WITH_EXCLUSION else excluded


@dataclass(frozen=True, slots=True)
class ImageScan:
    """The last vulnerability scan of an image, basic or enhanced (docs/behaviour/scanning.md#scan-statuses).

    ``completed_at`` is ``None`` while the scan runs; then ``status``/``description``/``findings`` are
    its result.  ``findings`` holds the scanner's finding objects, opaque to the model (the model
    never imports ``fake_ecr.scanning``; its engine reads them back).
    """

    status: str
    started_at: float
    #: What started the scan: ``MANUAL`` (StartImageScan), ``SCAN_ON_PUSH`` or ``CONTINUOUS_SCAN``.
    scan_frequency: str
    #: Made by enhanced scanning (Amazon Inspector) rather than basic scanning.
    enhanced: bool = False
    description: str | None = None
    completed_at: float | None = None
    findings: tuple[object, ...] = ()


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One image (manifest) in a repository, as pushed."""

    image_digest: str
    image_manifest: bytes
    image_manifest_media_type: str
    image_size_in_bytes: int
    image_pushed_at: float
    blob_digests: tuple[str, ...]
    child_digests: tuple[str, ...]
    artifact_media_type: str | None = None
    artifact_type: str | None = None
    subject_digest: str | None = None
    last_recorded_pull_time: float | None = None
    image_status: str = "ACTIVE"
    last_archived_at: float | None = None
    #: The image's last scan; ``None`` until one starts (a re-pushed image starts unscanned).
    image_scan: ImageScan | None = None
    #: The manifest's own ``annotations`` (OCI image-spec), as the referrers listings show them
    #: (docs/behaviour/images.md#referrers).
    annotations: tuple[tuple[str, str], ...] = ()
    #: The signing profiles managed signing signed the image with when it was pushed
    #: (docs/behaviour/images.md#managed-signing).
    signing_profile_arns: tuple[str, ...] = ()
    #: When the image last came back from the archive to standard (lastActivatedAt,
    #: docs/behaviour/images.md#archive-storage-class).
    last_activated_at: float | None = None
    #: While the image is ``ACTIVATING``: when its restore completes and it becomes ``ACTIVE``
    #: (docs/behaviour/images.md#archive-storage-class).
    restore_completes_at: float | None = None
    #: The registries replication copied the image to since it was pushed (DescribeImageReplicationStatus,
    #: docs/behaviour/cross-repository.md#replication).
    replication_destinations: tuple[ReplicationDestination, ...] = ()

    @property
    def oci_artifact_type(self) -> str | None:
        """The artifactType the OCI referrers listings give: the manifest's own ``artifactType``, else its
        config's media type; an index without one has none (OCI distribution spec "Listing Referrers")."""
        return self.artifact_type or self.artifact_media_type or None


@dataclass(frozen=True, slots=True)
class ImageView:
    """An image together with its tags at the moment it was read."""

    image: ImageRecord
    image_tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImageId:
    """An ImageIdentifier as a request gave it: a digest, a tag, or both."""

    image_digest: str | None = None
    image_tag: str | None = None


@dataclass(frozen=True, slots=True)
class ImageFailure:
    """A per-image failure of a batch call (ImageFailure, docs/behaviour/images.md#image-operations)."""

    image_id: ImageId
    failure_code: str
    failure_reason: str


@dataclass(frozen=True, slots=True)
class SigningRule:
    """A managed-signing rule: a signing profile for the repositories its WILDCARD_MATCH filters match
    (docs/behaviour/images.md#managed-signing)."""

    signing_profile_arn: str
    #: Empty: every repository (a rule without filters signs every image pushed).
    repository_filters: tuple[str, ...] = ()

    def applies_to(self, repository_name: str) -> bool:
        filters = self.repository_filters
        return not filters or any(wildcard_matches(f, repository_name) for f in filters)


@dataclass(frozen=True, slots=True)
class PullTimeUpdateExclusion:
    """An IAM principal whose pulls leave ``lastRecordedPullTime`` as it is
    (docs/behaviour/images.md#pull-time-update-exclusions)."""

    principal_arn: str
    created_at: float


@dataclass(frozen=True, slots=True)
class ScanningRule:
    """A registry scanning rule: a frequency for the repositories its WILDCARD filters match
    (docs/behaviour/scanning.md#registry-scanning-configuration)."""

    scan_frequency: str
    repository_filters: tuple[str, ...]


#: Account settings and their values on a new registry (docs/behaviour/cross-repository.md#registry-settings,
#: docs/behaviour/cross-repository.md#account-settings; BLOB_MOUNTING default UNCONFIRMED).
DEFAULT_ACCOUNT_SETTINGS = (
    ("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"),
    ("REGISTRY_POLICY_SCOPE", "V2"),
    ("BLOB_MOUNTING", "DISABLED"),
)


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """Registry-wide settings: permissions policy, scanning configuration, account settings, managed
    signing, pull-time update exclusions, replication (and its backfills), templates, pull through cache."""

    policy_text: str | None = None
    scan_type: str = "BASIC"
    scanning_rules: tuple[ScanningRule, ...] = ()
    account_settings: tuple[tuple[str, str], ...] = DEFAULT_ACCOUNT_SETTINGS
    #: The signing configuration's rules; ``None``: the registry has no signing configuration
    #: (docs/behaviour/images.md#managed-signing).
    signing_rules: tuple[SigningRule, ...] | None = None
    #: In registration order (docs/behaviour/images.md#pull-time-update-exclusions).
    pull_time_update_exclusions: tuple[PullTimeUpdateExclusion, ...] = ()
    #: The replication configuration's rules (docs/behaviour/cross-repository.md#replication), in the order they were
    #: put.
    replication_rules: tuple[ReplicationRule, ...] = ()
    #: Repository creation templates (docs/behaviour/cross-repository.md#repository-creation-templates), in creation
    #: order.
    repository_creation_templates: tuple[RepositoryCreationTemplate, ...] = ()
    #: Pull through cache rules (docs/behaviour/cross-repository.md#pull-through-cache), in creation order.
    pull_through_cache_rules: tuple[PullThroughCacheRule, ...] = ()
    #: Replication backfills, in the order they were started (``fake_ecr.model.replication`` runs them).
    replication_backfills: tuple[ReplicationBackfill, ...] = ()

    def account_setting(self, name: str) -> str | None:
        return dict(self.account_settings).get(name)

    def signing_profiles_for(self, repository_name: str) -> tuple[str, ...]:
        """The signing profiles an image pushed to the repository is signed with, each once
        (docs/behaviour/images.md#managed-signing)."""
        rules = self.signing_rules or ()
        return tuple(dict.fromkeys(r.signing_profile_arn for r in rules if r.applies_to(repository_name)))

    def records_pulls_by(self, principal_arn: str | None) -> bool:
        """Whether a pull by the principal records lastRecordedPullTime (an unknown principal's does,
        docs/behaviour/images.md#pull-time-update-exclusions)."""
        return all(e.principal_arn != principal_arn for e in self.pull_time_update_exclusions)


@dataclass(frozen=True, slots=True)
class ReplicationDestination:
    """A registry (account and region) images are replicated to (ReplicationDestination,
    docs/behaviour/cross-repository.md#replication)."""

    region: str
    registry_id: str


@dataclass(frozen=True, slots=True)
class ReplicationRule:
    """A replication rule: where the images of the repositories its PREFIX_MATCH filters match go
    (docs/behaviour/cross-repository.md#replication)."""

    destinations: tuple[ReplicationDestination, ...]
    #: Repository name prefixes; empty: every repository.
    repository_filters: tuple[str, ...] = ()
    #: ``deleteReplication.enabled`` as put: whether the rule also replicates image deletions and tag
    #: removals (``fake_ecr.model.replication``); ``None`` when the rule was put without it, which does not.
    delete_replication: bool | None = None

    def applies_to(self, repository_name: str) -> bool:
        # PREFIX_MATCH is a prefix of the whole name, not of its path components [M:doc RepositoryFilter].
        filters = self.repository_filters
        return not filters or any(repository_name.startswith(f) for f in filters)


@dataclass(frozen=True, slots=True)
class BackfillReplication:
    """One replication of a replication backfill: an image with one of its tags, or untagged.

    ``due_at`` is when the backfill carries it out on the fake's clock; ``status`` is ``None`` until
    then, and ``COMPLETE`` or ``FAILED`` (with ``failure_code``) after.
    """

    repository_name: str
    image_digest: str
    image_tag: str | None
    due_at: float
    status: str | None = None
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class ReplicationBackfill:
    """A replication backfill of a registry's existing images to one destination
    (StartReplicationBackfill): the replications it was given at its start, each with its outcome.

    ``status`` is ``IN_PROGRESS`` until it ends ``COMPLETE``, ``FAILED`` or ``STOPPED`` at ``ended_at``.
    """

    replication_backfill_id: str
    destination: ReplicationDestination
    started_at: float
    #: When the last replication is due (the start plus ``Settings.replication_backfill_delay``).
    completes_at: float
    replications: tuple[BackfillReplication, ...]
    status: str = "IN_PROGRESS"
    ended_at: float | None = None
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class RepositoryCreationTemplate:
    """The settings ECR gives the repositories it creates itself under a namespace prefix
    (docs/behaviour/cross-repository.md#repository-creation-templates).

    ``prefix`` is as given (``ROOT``, or a namespace with an optional trailing ``/``); the policies are
    kept in the layouts ECR stores them in, ready to be given to a repository.
    """

    prefix: str
    applied_for: tuple[str, ...]
    created_at: float
    updated_at: float
    description: str | None = None
    encryption_type: str = "AES256"
    kms_key: str | None = None
    resource_tags: tuple[tuple[str, str], ...] = ()
    image_tag_mutability: str = MUTABLE
    image_tag_mutability_exclusion_filters: tuple[TagMutabilityFilter, ...] = ()
    repository_policy_text: str | None = None
    lifecycle_policy_text: str | None = None
    custom_role_arn: str | None = None


@dataclass(frozen=True, slots=True)
class PullThroughCacheRule:
    """A pull through cache rule: a namespace of the registry that caches an upstream registry
    (docs/behaviour/cross-repository.md#pull-through-cache)."""

    ecr_repository_prefix: str
    upstream_registry_url: str
    #: The UpstreamRegistry enum value the URL names (``docker-hub``, ``ecr``, ...).
    upstream_registry: str
    upstream_repository_prefix: str
    created_at: float
    updated_at: float
    credential_arn: str | None = None
    custom_role_arn: str | None = None
