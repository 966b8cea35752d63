"""Lifecycle policies: the policy grammar, ECR's evaluation of it, and the preview summary.

Owns parsing and validating ``lifecyclePolicyText`` (docs/behaviour/lifecycle.md#policy-grammar,
docs/behaviour/lifecycle.md#validation, docs/behaviour/errors.md#messages #17-#19), the compact re-serialisation ECR
stores and returns (docs/behaviour/lifecycle.md#lifecycle-operations PutLifecyclePolicy), deciding which images a policy
expires or moves to the archive storage class (docs/behaviour/lifecycle.md#evaluation,
docs/behaviour/images.md#archive-storage-class), and the counts of a preview summary
(docs/behaviour/lifecycle.md#preview).  It is pure domain logic: it neither stores policies nor touches images; callers
pass a snapshot of the repository's images and the current time, and apply the actions themselves.

Must not import anything from fake_ecr but ``errors``; never HTTP, werkzeug or botocore.

How validation is layered.  ECR checks the text with a JSON-schema validator (its messages are
the java json-schema-validator's, docs/behaviour/errors.md#messages #17/#18) and then with rules of its own
(docs/behaviour/errors.md#messages #19).  This module does the same, in this order, and reports the first failure only:

1. the text must be JSON mapping onto a policy object (else ``Could not map policyString ...``);
2. the schema, object by object in document order: unknown members, missing members, member
   types, ``tagStatus`` enum, minimum 1 for ``rulePriority``/``countNumber``, then two
   ``oneOf`` groups: the selection has one branch per ``countType`` (each fixing whether
   ``countUnit`` and which ``storageClass`` it takes), the action one branch per action type
   (each fixing ``targetStorageClass``).  A selection or action that fits no branch - including
   a JSON ``null`` in one of those members - fails with ``instance failed to match exactly one
   schema (matched 0 out of N)``, which is the only schema message seen from real ECR
   (cloudposse/terraform-aws-ecr#132, #158 with N=2; hashicorp/terraform-provider-aws#45909 with
   N=4 once the four count types existed);
3. ECR's own rules per rule (tag lists vs ``tagStatus``, wildcards, action vs count type), then
   across rules (unique priorities, ``any`` last and a single ``untagged`` rule per storage class,
   unique tag prefix lists).

Which member's failure ECR reports first when there are several is UNCONFIRMED.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from fake_ecr.errors import InvalidParameter

SECONDS_PER_DAY = 86_400.0
#: Archived images are kept at least this long; lifecycle cannot expire them earlier
#: (docs/behaviour/images.md#archive-storage-class, docs/behaviour/limits.md#service-quotas).
ARCHIVE_MINIMUM_DAYS = 90
#: Most ``*`` wildcards one tagPatternList entry may hold [DOC lifecycle_policy_parameters]
#: (docs/behaviour/lifecycle.md#policy-grammar).
MAX_TAG_PATTERN_WILDCARDS = 4

#: ``LifecycleImage.storage_class`` values: the model's LifecyclePolicyStorageClass enum, which is
#: also what a preview result reports as ``storageClass`` (docs/behaviour/lifecycle.md#lifecycle-operations
#: GetLifecyclePolicyPreview).
STANDARD = "STANDARD"
ARCHIVE = "ARCHIVE"

_T = TypeVar("_T")

_MEMBER = "LifecyclePolicyText"
_FAILURE_PREFIX = "Lifecycle policy validation failure: "

# Members of each policy object, in the order ECR writes them back.  The order is that of the
# documented policy template (docs/behaviour/lifecycle.md#policy-grammar); UNCONFIRMED beyond the one example pair we
# have ([CLI:put-lifecycle-policy], whose input already uses this order).
_POLICY_MEMBERS = ("rules",)
_RULE_MEMBERS = ("rulePriority", "description", "selection", "action")
_SELECTION_MEMBERS = (
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
)
_ACTION_MEMBERS = ("type", "targetStorageClass")

_RULE_REQUIRED = ("rulePriority", "selection", "action")
# moto requires these three at selection level (docs/behaviour/errors.md#messages #18 source); countUnit/storageClass
# live in the per-countType branches instead (a null countUnit gives the oneOf message, cloudposse#132).
_SELECTION_REQUIRED = ("tagStatus", "countType", "countNumber")
_ACTION_REQUIRED = ("type",)

_TAG_STATUSES = ("any", "tagged", "untagged")

# JSON-schema type names of parsed JSON values; bool before int because bool is an int in Python.
_JSON_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


class _Absent:
    """Marks a member that must not appear at all (not even as JSON ``null``)."""


_ABSENT = _Absent()


# --- images and actions ---------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleImage:
    """What the evaluator needs to know of one image of the repository.

    ``storage_class`` is ``"STANDARD"`` or ``"ARCHIVE"`` (the model's LifecyclePolicyStorageClass
    wording, not ImageStatus's ``ACTIVE``/``ARCHIVED``).  An image being restored (ImageStatus
    ``ACTIVATING``) is still archived until the restore completes; which class the caller passes
    for it is the caller's call.  ``last_archived_at`` is when it last moved to the archive
    (``lastArchivedAt``); an archived image without it is never expired by lifecycle, because its
    90-day minimum cannot be shown to have passed (docs/behaviour/images.md#archive-storage-class).
    """

    image_digest: str
    image_tags: tuple[str, ...]
    image_pushed_at: float
    last_recorded_pull_time: float | None
    storage_class: str
    last_archived_at: float | None = None

    def __post_init__(self) -> None:
        if self.storage_class not in (STANDARD, ARCHIVE):
            raise ValueError(f"storage_class must be {STANDARD!r} or {ARCHIVE!r}, not {self.storage_class!r}")


@dataclass(frozen=True)
class LifecycleAction:
    """One image a policy acts on, as a preview result reports it (docs/behaviour/lifecycle.md#preview)."""

    image_digest: str
    applied_rule_priority: int
    action_type: str  # "EXPIRE" | "TRANSITION" (the model's ImageActionType)
    target_storage_class: str | None  # "ARCHIVE" for TRANSITION, else None


@dataclass(frozen=True)
class LifecyclePreviewSummary:
    """``summary`` of GetLifecyclePolicyPreview (docs/behaviour/lifecycle.md#preview).

    ``transitioning_image_total_counts`` holds ``(targetStorageClass, imageTotalCount)`` pairs and
    is empty when nothing transitions (the model omits the member then).
    """

    expiring_image_total_count: int
    transitioning_image_total_counts: tuple[tuple[str, int], ...]


# --- count types and actions: one table row each ---------------------------------------


def _pushed_at(image: LifecycleImage) -> float | None:
    return image.image_pushed_at


def _pulled_at(image: LifecycleImage) -> float | None:
    # UNCONFIRMED: ECR does not say how sinceImagePulled treats an image never pulled
    # (no lastRecordedPullTime).  Most plausible: it has been idle since its push.
    return image.image_pushed_at if image.last_recorded_pull_time is None else image.last_recorded_pull_time


def _archived_at(image: LifecycleImage) -> float | None:
    return image.last_archived_at


@dataclass(frozen=True)
class _CountType:
    """One ``oneOf`` branch of the selection schema, and how the rule counts.

    ``reference_time`` is the moment a time-based count type measures from; None marks
    ``imageCountMoreThan``, which counts images instead and takes no ``countUnit``
    (docs/behaviour/lifecycle.md#policy-grammar).
    ``actions`` are the action types ECR accepts with this count type.
    """

    reference_time: Callable[[LifecycleImage], float | None] | None
    storage_class: str
    actions: frozenset[str]

    @property
    def count_unit(self) -> object:
        return _ABSENT if self.reference_time is None else "days"

    def fits(self, selection: Mapping[str, object]) -> bool:
        return (
            selection.get("countUnit", _ABSENT) == self.count_unit
            and selection.get("storageClass", "standard") == self.storage_class
        )


_EXPIRE_OR_TRANSITION = frozenset({"expire", "transition"})
_COUNT_TYPES: Mapping[str, _CountType] = {
    "imageCountMoreThan": _CountType(None, "standard", _EXPIRE_OR_TRANSITION),
    "sinceImagePushed": _CountType(_pushed_at, "standard", _EXPIRE_OR_TRANSITION),
    # sinceImagePulled only archives, it never expires: ECR pairs it with the archive class so an
    # unpulled image stays recoverable (aws/containers-roadmap#921 maintainer comment, #2728;
    # cloud-gov/terraform-provision#2353).  Transition with the other standard count types is
    # allowed here as in the documented grammar (docs/behaviour/lifecycle.md#policy-grammar) - UNCONFIRMED.
    "sinceImagePulled": _CountType(_pulled_at, "standard", frozenset({"transition"})),
    # storageClass archive <=> sinceImageTransitioned (docs/behaviour/lifecycle.md#policy-grammar;
    # cloudposse/terraform-aws-ecr#159); archived images can only be expired, there is nothing further to transition
    # them to.
    "sinceImageTransitioned": _CountType(_archived_at, "archive", frozenset({"expire"})),
}

#: The action ``oneOf``: action type -> the targetStorageClass it takes (docs/behaviour/lifecycle.md#policy-grammar; an
#: expire with ``"targetStorageClass": null`` fails, cloudposse/terraform-aws-ecr#158).
_ACTION_TARGETS: Mapping[str, object] = {"expire": _ABSENT, "transition": "archive"}


# --- the parsed policy -----------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleRule:
    """One validated rule, in the policy's own lower-case words (``tagged``, ``archive``, ...)."""

    rule_priority: int
    description: str | None
    tag_status: str
    tag_prefix_list: tuple[str, ...]
    tag_pattern_list: tuple[str, ...]
    storage_class: str
    count_type: str
    count_unit: str | None
    count_number: int
    action_type: str
    target_storage_class: str | None


@dataclass(frozen=True)
class LifecyclePolicy:
    """A validated policy: ``rules`` sorted by ``rulePriority``; ``lifecycle_policy_text`` is the
    compact JSON ECR stores and returns for it (docs/behaviour/lifecycle.md#lifecycle-operations)."""

    rules: tuple[LifecycleRule, ...]
    lifecycle_policy_text: str


def parse_lifecycle_policy(text: str) -> LifecyclePolicy:
    """Validate ``text`` as ECR does on PutLifecyclePolicy/StartLifecyclePolicyPreview
    (docs/behaviour/lifecycle.md#validation).

    Raises InvalidParameter at ``LifecyclePolicyText`` with ``Lifecycle policy validation
    failure: <detail>`` for the first problem found.  The 100..30720 length bounds are the
    request validator's business, not this function's.
    """
    document = _checked_object(_json_document(text), _POLICY_MEMBERS, _POLICY_MEMBERS)
    raw_rules = _checked_type(document["rules"], "array", list)
    if not raw_rules:
        # UNCONFIRMED that ECR demands a rule; the wording is the schema validator's minItems.
        raise _failure("array is too short: must have at least 1 elements but instance has 0 elements")
    checked = [_checked_rule(raw_rule) for raw_rule in raw_rules]
    rules = tuple(rule for rule, _ in checked)
    for rule_check in _RULE_CHECKS:
        for rule in rules:
            _raise_if(rule_check(rule))
    for policy_check in _POLICY_CHECKS:
        _raise_if(policy_check(rules))
    normalized = {"rules": [ordered for _, ordered in checked]}
    return LifecyclePolicy(
        rules=tuple(sorted(rules, key=lambda rule: rule.rule_priority)),
        lifecycle_policy_text=json.dumps(normalized, separators=(",", ":"), ensure_ascii=False),
    )


def normalize_lifecycle_policy_text(text: str) -> str:
    """The text ECR stores for a valid policy: compact JSON, members in template order
    (docs/behaviour/lifecycle.md#lifecycle-operations).

    Pretty input comes back minified [CLI:put-lifecycle-policy]; non-ASCII stays unescaped.
    Raises like ``parse_lifecycle_policy``.
    """
    return parse_lifecycle_policy(text).lifecycle_policy_text


# --- schema checks ---------------------------------------------------------------------


def _failure(detail: str) -> InvalidParameter:
    return InvalidParameter(member=_MEMBER, constraint=_FAILURE_PREFIX + detail)


def _raise_if(detail: str | None) -> None:
    if detail is not None:
        raise _failure(detail)


def _json_list(names: Iterable[str]) -> str:
    return json.dumps(list(names), separators=(",", ":"))


def _json_type_name(value: object) -> str:
    return next((name for python_type, name in _JSON_TYPE_NAMES if isinstance(value, python_type)), "null")


def _reject_constant(constant: str) -> object:
    # Python's json accepts NaN/Infinity; a strict JSON mapper (ECR's) does not.
    raise ValueError(f"not JSON: {constant}")


def _json_document(text: str) -> object:
    try:
        document: object = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        document = None
    if not isinstance(document, dict):
        # moto's wording for text that does not map onto a policy object (docs/behaviour/errors.md#messages #18).
        raise _failure("Could not map policyString into LifecyclePolicy.")
    return document


def _checked_type(value: object, json_type: str, python_type: type[_T]) -> _T:
    if _json_type_name(value) != json_type or not isinstance(value, python_type):
        raise _failure(
            f"instance type ({_json_type_name(value)}) does not match any allowed primitive type "
            f"(allowed: {_json_list([json_type])})"
        )
    return value


def _checked_object(value: object, members: tuple[str, ...], required: tuple[str, ...]) -> dict[str, object]:
    checked: dict[str, object] = _checked_type(value, "object", dict)
    unknown = sorted(set(checked) - set(members))
    if unknown:
        raise _failure(f"object instance has properties which are not allowed by the schema: ({_json_list(unknown)})")
    missing = sorted(set(required) - set(checked))
    if missing:
        raise _failure(f"object has missing required properties ({_json_list(missing)})")
    return {name: checked[name] for name in members if name in checked}


def _checked_positive_integer(value: object) -> int:
    number = _checked_type(value, "integer", int)
    if number < 1:
        raise _failure(f"numeric instance is lower than the required minimum (minimum: 1, found: {number})")
    return number


def _checked_strings(value: object) -> tuple[str, ...]:
    return tuple(_checked_type(item, "string", str) for item in _checked_type(value, "array", list))


def _checked_tag_status(value: object) -> str:
    tag_status = _checked_type(value, "string", str)
    if tag_status not in _TAG_STATUSES:
        # moto's rendering of the validator's enum message, verbatim (docs/behaviour/errors.md#messages #18).
        raise _failure(
            f"instance value ({tag_status}) not found in enum :(possible values: {_json_list(_TAG_STATUSES)})"
        )
    return tag_status


def _one_of_failure(branches: int) -> InvalidParameter:
    return _failure(f"instance failed to match exactly one schema (matched 0 out of {branches})")


def _checked_rule(value: object) -> tuple[LifecycleRule, dict[str, object]]:
    rule = _checked_object(value, _RULE_MEMBERS, _RULE_REQUIRED)
    rule_priority = _checked_positive_integer(rule["rulePriority"])
    description = None if "description" not in rule else _checked_type(rule["description"], "string", str)
    selection = _checked_object(rule["selection"], _SELECTION_MEMBERS, _SELECTION_REQUIRED)
    tag_status = _checked_tag_status(selection["tagStatus"])
    tag_pattern_list = _checked_strings(selection.get("tagPatternList", []))
    tag_prefix_list = _checked_strings(selection.get("tagPrefixList", []))
    count_number = _checked_positive_integer(selection["countNumber"])
    count_type = selection["countType"]
    if not (isinstance(count_type, str) and count_type in _COUNT_TYPES and _COUNT_TYPES[count_type].fits(selection)):
        raise _one_of_failure(len(_COUNT_TYPES))
    action = _checked_object(rule["action"], _ACTION_MEMBERS, _ACTION_REQUIRED)
    action_type = action["type"]
    if not (
        isinstance(action_type, str)
        and action_type in _ACTION_TARGETS
        and action.get("targetStorageClass", _ABSENT) == _ACTION_TARGETS[action_type]
    ):
        raise _one_of_failure(len(_ACTION_TARGETS))
    parsed = LifecycleRule(
        rule_priority=rule_priority,
        description=description,
        tag_status=tag_status,
        tag_prefix_list=tag_prefix_list,
        tag_pattern_list=tag_pattern_list,
        storage_class=_COUNT_TYPES[count_type].storage_class,
        count_type=count_type,
        count_unit="days" if "countUnit" in selection else None,  # the branch allowed "days" only
        count_number=count_number,
        action_type=action_type,
        target_storage_class="archive" if "targetStorageClass" in action else None,
    )
    return parsed, {**rule, "selection": selection, "action": action}


# --- ECR's own rules (docs/behaviour/lifecycle.md#policy-grammar field rules, docs/behaviour/lifecycle.md#evaluation
# item 5, docs/behaviour/errors.md#messages #19) --------------------------- Wordings quoted in
# docs/behaviour/errors.md#messages #19 are used as given (they come from third-party notes, so they are UNCONFIRMED
# themselves); every other wording below is invented and marked so. An empty tag list counts as no list (UNCONFIRMED).


def _tag_lists_fit_tag_status(rule: LifecycleRule) -> str | None:
    given = [name for name, values in _tag_lists(rule) if values]
    if rule.tag_status != "tagged":
        # UNCONFIRMED wording.
        return f"Cannot specify {' or '.join(given)} when tagStatus={rule.tag_status.upper()}." if given else None
    if not given:
        return "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."
    # UNCONFIRMED wording.
    return "Cannot specify both tagPrefixList and tagPatternList when tagStatus=TAGGED." if len(given) > 1 else None


def _tag_lists(rule: LifecycleRule) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return (("tagPrefixList", rule.tag_prefix_list), ("tagPatternList", rule.tag_pattern_list))


def _wildcards_within_limit(rule: LifecycleRule) -> str | None:
    too_many = [pattern for pattern in rule.tag_pattern_list if pattern.count("*") > MAX_TAG_PATTERN_WILDCARDS]
    # UNCONFIRMED wording.
    return f"Tag pattern '{too_many[0]}' has more than {MAX_TAG_PATTERN_WILDCARDS} wildcards (*)" if too_many else None


def _action_fits_count_type(rule: LifecycleRule) -> str | None:
    if rule.action_type in _COUNT_TYPES[rule.count_type].actions:
        return None
    # UNCONFIRMED wording.
    return f"Action type {rule.action_type.upper()} is not supported for countType={rule.count_type}."


def _unique_priorities(rules: Sequence[LifecycleRule]) -> str | None:
    repeated = sorted(priority for priority, n in Counter(rule.rule_priority for rule in rules).items() if n > 1)
    # UNCONFIRMED wording.
    return f"Rule priority {repeated[0]} is used by more than one rule" if repeated else None


def _by_storage_class(rules: Sequence[LifecycleRule]) -> dict[str, list[LifecycleRule]]:
    groups: dict[str, list[LifecycleRule]] = {}
    for rule in rules:
        groups.setdefault(rule.storage_class, []).append(rule)
    return groups


def _any_rule_last(rules: Sequence[LifecycleRule]) -> str | None:
    # "lowest priority" = the highest rulePriority number, evaluated last (docs/behaviour/lifecycle.md#evaluation item
    # 5).
    misplaced = any(
        rule.tag_status == "any" and rule.rule_priority != max(other.rule_priority for other in group)
        for group in _by_storage_class(rules).values()
        for rule in group
    )
    return "Rule for tagStatus=ANY must have the lowest priority per storage class" if misplaced else None


def _single_untagged_rule(rules: Sequence[LifecycleRule]) -> str | None:
    # Only tagStatus=untagged counts: untagged next to an ``any`` rule is the documented example
    # (docs/behaviour/lifecycle.md#evaluation item 4, last example).
    repeated = any(
        sum(rule.tag_status == "untagged" for rule in group) > 1 for group in _by_storage_class(rules).values()
    )
    return "Only one rule can select Untagged images per storage class" if repeated else None


def _unique_tag_prefix_lists(rules: Sequence[LifecycleRule]) -> str | None:
    # "The set of rules must contain a unique set of tag prefixes" (docs/behaviour/lifecycle.md#evaluation item 5,
    # UG23): read as no two rules of one storage class selecting the same set of prefixes, which would leave the
    # later rule nothing to act on.  The reading and the wording are UNCONFIRMED.
    for group in _by_storage_class(rules).values():
        prefix_sets = Counter(frozenset(rule.tag_prefix_list) for rule in group if rule.tag_prefix_list)
        repeated = sorted(sorted(prefixes) for prefixes, n in prefix_sets.items() if n > 1)
        if repeated:
            return f"Tag prefix list {_json_list(repeated[0])} is used by more than one rule per storage class"
    return None


_RULE_CHECKS: tuple[Callable[[LifecycleRule], str | None], ...] = (
    _tag_lists_fit_tag_status,
    _wildcards_within_limit,
    _action_fits_count_type,
)
_POLICY_CHECKS: tuple[Callable[[Sequence[LifecycleRule]], str | None], ...] = (
    _unique_priorities,
    _any_rule_last,
    _single_untagged_rule,
    _unique_tag_prefix_lists,
)


# --- evaluation (docs/behaviour/lifecycle.md#evaluation)
# -----------------------------------------------------------------


@lru_cache(maxsize=256)
def _tag_pattern(pattern: str) -> re.Pattern[str]:
    # ``*`` matches any sequence (also an empty one); everything else is literal
    # (docs/behaviour/lifecycle.md#policy-grammar).
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _prefix_matches(prefix: str, tag: str) -> bool:
    return tag.startswith(prefix)


def _pattern_matches(pattern: str, tag: str) -> bool:
    return _tag_pattern(pattern).fullmatch(tag) is not None


def _every_entry_matches_a_tag(
    entries: tuple[str, ...], tags: tuple[str, ...], matches: Callable[[str, str], bool]
) -> bool:
    # Every listed prefix/pattern must match some tag of the image (docs/behaviour/lifecycle.md#policy-grammar, UG23
    # "multiple tags").
    return all(any(matches(entry, tag) for tag in tags) for entry in entries)


_TAG_SELECTIONS: Mapping[str, Callable[[LifecycleRule, LifecycleImage], bool]] = {
    "any": lambda rule, image: True,
    "untagged": lambda rule, image: not image.image_tags,
    "tagged": lambda rule, image: (
        bool(image.image_tags)
        and _every_entry_matches_a_tag(rule.tag_prefix_list, image.image_tags, _prefix_matches)
        and _every_entry_matches_a_tag(rule.tag_pattern_list, image.image_tags, _pattern_matches)
    ),
}


def _selects(rule: LifecycleRule, image: LifecycleImage) -> bool:
    """The rule's candidate test: its storage class and its tag selection."""
    return image.storage_class == rule.storage_class.upper() and _TAG_SELECTIONS[rule.tag_status](rule, image)


def _oldest_first_key(image: LifecycleImage) -> tuple[float, str]:
    # ECR orders by push time only; ties (identical imagePushedAt) are broken by digest here so the
    # result does not depend on listing order - UNCONFIRMED (docs/behaviour/index.md#unconfirmed item 7).
    return (image.image_pushed_at, image.image_digest)


def _marked(rule: LifecycleRule, candidates: Sequence[LifecycleImage], now: float) -> list[LifecycleImage]:
    """The candidates the rule's count criterion marks, oldest pushed first (docs/behaviour/lifecycle.md#evaluation item
    2)."""
    oldest_first = sorted(candidates, key=_oldest_first_key)
    reference_time = _COUNT_TYPES[rule.count_type].reference_time
    if reference_time is None:
        # imageCountMoreThan N: keep the N most recently pushed, mark the rest.
        return oldest_first[: max(len(oldest_first) - rule.count_number, 0)]
    # since* N days: marked once strictly more than N days have passed.  Strict: in the last worked
    # example an untagged image pushed 1 day ago survives a "more than 1 day" rule
    # (docs/behaviour/lifecycle.md#evaluation item 4).
    limit = rule.count_number * SECONDS_PER_DAY
    return [image for image in oldest_first if (since := reference_time(image)) is not None and now - since > limit]


def _past_archive_minimum(image: LifecycleImage, now: float) -> bool:
    """Lifecycle may act on the image: standard, or archived for at least 90 days
    (docs/behaviour/images.md#archive-storage-class)."""
    return image.storage_class == STANDARD or (
        image.last_archived_at is not None and now - image.last_archived_at >= ARCHIVE_MINIMUM_DAYS * SECONDS_PER_DAY
    )


def evaluate_lifecycle_policy(
    policy: LifecyclePolicy, images: Sequence[LifecycleImage], now: float
) -> list[LifecycleAction]:
    """What ``policy`` does to ``images`` at ``now`` (epoch seconds), as ECR decides it
    (docs/behaviour/lifecycle.md#evaluation).

    Every rule marks images against the full image list; marks are then applied in ascending
    ``rulePriority``.  An image is acted on by one rule at most, and an image that a
    higher-priority rule's selection picked (marked or not) is never acted on by a lower rule,
    though the lower rule still counts it.  Archived images are not expired before 90 days in the
    archive (docs/behaviour/images.md#archive-storage-class).  Actions come ordered by applied rule priority, then
    oldest pushed first.
    """
    protected: set[str] = set()
    actions: list[LifecycleAction] = []
    for rule in policy.rules:
        candidates = [image for image in images if _selects(rule, image)]
        actions.extend(
            LifecycleAction(
                image_digest=image.image_digest,
                applied_rule_priority=rule.rule_priority,
                action_type=rule.action_type.upper(),
                target_storage_class=None if rule.target_storage_class is None else rule.target_storage_class.upper(),
            )
            for image in _marked(rule, candidates, now)
            if image.image_digest not in protected and _past_archive_minimum(image, now)
        )
        protected.update(image.image_digest for image in candidates)
    return actions


def summarize_lifecycle_actions(actions: Iterable[LifecycleAction]) -> LifecyclePreviewSummary:
    """The preview ``summary`` for these actions (docs/behaviour/lifecycle.md#preview)."""
    action_list = list(actions)
    transitioning = Counter(
        action.target_storage_class for action in action_list if action.target_storage_class is not None
    )
    return LifecyclePreviewSummary(
        expiring_image_total_count=sum(action.action_type == "EXPIRE" for action in action_list),
        transitioning_image_total_counts=tuple(sorted(transitioning.items())),
    )
