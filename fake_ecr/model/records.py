"""Frozen records of the state: what model methods hand out.

Owns the immutable value types for repositories, images and tag-mutability
filters.  A record is never changed in place: the model swaps in a new one
(``dataclasses.replace``), so handing a record out of the lock needs no copy.

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

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


def registry_dns_suffix(region: str) -> str:
    """ECR's registry host suffix: amazonaws.com, or amazonaws.com.cn in China (§1.3)."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@dataclass(frozen=True, slots=True)
class TagMutabilityFilter:
    """One ImageTagMutabilityExclusionFilter: ``WILDCARD`` with ``*`` = any run of characters."""

    filter_type: str
    filter: str

    def matches(self, image_tag: str) -> bool:
        # A glob on the whole tag (§7.1; moto's prefix regex is not ECR's behaviour).
        # The filter grammar [0-9a-zA-Z._*-] has no other glob metacharacters.
        return fnmatchcase(image_tag, self.filter)


@dataclass(frozen=True, slots=True)
class LifecyclePreviewResult:
    """One image a lifecycle policy preview acts on (LifecyclePolicyPreviewResult, §6.4).

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
    """A repository's lifecycle policy preview (dry run, §6.4): the policy text as submitted,
    when the preview completes, and what the policy would do to the images."""

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
        return f"arn:{partition_of(self.region)}:ecr:{self.region}:{self.registry_id}:repository/{self.repository_name}"

    def tag_is_immutable(self, image_tag: str) -> bool:
        """Whether pushing ``image_tag`` again must fail (§7.1, exclusion filters included)."""
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
    """The last vulnerability scan of an image, basic or enhanced (ecr-behaviour §5.3).

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
    """A per-image failure of a batch call (ImageFailure, §2.2)."""

    image_id: ImageId
    failure_code: str
    failure_reason: str


@dataclass(frozen=True, slots=True)
class ScanningRule:
    """A registry scanning rule: a frequency for the repositories its WILDCARD filters match (§5.2)."""

    scan_frequency: str
    repository_filters: tuple[str, ...]


#: Account settings and their values on a new registry (§2.7, §7.6; BLOB_MOUNTING default UNCONFIRMED).
DEFAULT_ACCOUNT_SETTINGS = (
    ("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"),
    ("REGISTRY_POLICY_SCOPE", "V2"),
    ("BLOB_MOUNTING", "DISABLED"),
)


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """Registry-wide settings: permissions policy, scanning configuration, account settings."""

    policy_text: str | None = None
    scan_type: str = "BASIC"
    scanning_rules: tuple[ScanningRule, ...] = ()
    account_settings: tuple[tuple[str, str], ...] = DEFAULT_ACCOUNT_SETTINGS

    def account_setting(self, name: str) -> str | None:
        return dict(self.account_settings).get(name)
