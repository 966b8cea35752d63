"""Lifecycle policies: grammar, validation messages, ECR's evaluation rules, preview summary.

Worked examples are those of docs/behaviour/lifecycle.md#evaluation item 4 (UG23 lifecycle_policy_examples).  Time is
passed explicitly: every image age is relative to NOW.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from fake_ecr.errors import InvalidParameter
from fake_ecr.lifecycle.policy import (
    LifecycleAction,
    LifecycleImage,
    LifecyclePreviewSummary,
    evaluate_lifecycle_policy,
    normalize_lifecycle_policy_text,
    parse_lifecycle_policy,
    summarize_lifecycle_actions,
)

NOW = 1_750_000_000.0
DAY = 86_400.0
HOUR = 3_600.0


# --- builders ------------------------------------------------------------------------------


_NAMES: dict[str, str] = {}


def digest_of(name: str) -> str:
    """The digest of the image called ``name``; remembered so results can be shown by name."""
    digest = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
    _NAMES[digest] = name
    return digest


def image(
    name: str,
    *tags: str,
    age_days: float,
    pulled_days_ago: float | None = None,
    archived_days_ago: float | None = None,
) -> LifecycleImage:
    """An image called ``name`` pushed ``age_days`` before NOW."""
    return LifecycleImage(
        image_digest=digest_of(name),
        image_tags=tags,
        image_pushed_at=NOW - age_days * DAY,
        last_recorded_pull_time=None if pulled_days_ago is None else NOW - pulled_days_ago * DAY,
        storage_class="STANDARD" if archived_days_ago is None else "ARCHIVE",
        last_archived_at=None if archived_days_ago is None else NOW - archived_days_ago * DAY,
    )


def rule(
    priority: int,
    tag_status: str = "any",
    *,
    prefixes: list[str] | None = None,
    patterns: list[str] | None = None,
    keep: int | None = None,
    days: int | None = None,
    count_type: str = "sinceImagePushed",
    storage_class: str | None = None,
    action: str = "expire",
) -> dict[str, Any]:
    """A rule: ``keep=N`` is imageCountMoreThan N; ``days=N`` is ``count_type`` N days."""
    selection: dict[str, Any] = {"tagStatus": tag_status}
    if prefixes is not None:
        selection["tagPrefixList"] = prefixes
    if patterns is not None:
        selection["tagPatternList"] = patterns
    if storage_class is not None:
        selection["storageClass"] = storage_class
    if keep is not None:
        selection.update(countType="imageCountMoreThan", countNumber=keep)
    else:
        selection.update(countType=count_type, countUnit="days", countNumber=days)
    return {
        "rulePriority": priority,
        "selection": selection,
        "action": {"type": action, "targetStorageClass": "archive"} if action == "transition" else {"type": action},
    }


def policy_text(*rules: dict[str, Any]) -> str:
    return json.dumps({"rules": list(rules)})


def outcome(rules: list[dict[str, Any]], images: list[LifecycleImage], now: float = NOW) -> list[str]:
    """What the policy does, as ``"<image>:<priority>:<ACTION>"`` in the evaluator's order."""
    actions = evaluate_lifecycle_policy(parse_lifecycle_policy(policy_text(*rules)), images, now)
    return [f"{_NAMES[a.image_digest]}:{a.applied_rule_priority}:{a.action_type}" for a in actions]


def failure(detail: str) -> str:
    return (
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
        f"'Lifecycle policy validation failure: {detail}'"
    )


# --- worked examples (docs/behaviour/lifecycle.md#evaluation item 4)
# ------------------------------------------------------------

EX1_IMAGES = [
    image("A", "beta-1", "prod-1", age_days=10),
    image("B", "beta-2", "prod-2", age_days=9),
    image("C", "beta-3", age_days=8),
]
EX2_IMAGES = [
    image("A", "alpha-1", age_days=12),
    image("B", "beta-1", age_days=11),
    image("C", "alpha-2", "beta-2", age_days=10),
    image("D", "alpha-3", age_days=4),
    image("E", "beta-3", age_days=3),
    image("F", "alpha-4", "beta-4", age_days=2),
]
EX3_IMAGES = [
    image("A", "alpha-1", "beta-1", "gamma-1", age_days=10),
    image("B", "alpha-2", "beta-2", age_days=9),
    image("C", "alpha-3", "beta-3", "gamma-2", age_days=8),
]
EX4_IMAGES = [
    image("A", "alpha-1", age_days=4),
    image("B", "beta-1", age_days=3),
    image("C", age_days=2),
    image("D", "alpha-2", age_days=1),
]
# "1d" old D and E: E is the later push of the two and is under the 1-day limit of Rule 2.
EX5_IMAGES = [
    image("A", "alpha-1", "beta-1", age_days=4),
    image("B", age_days=3),
    image("C", "alpha-2", age_days=2),
    image("D", "git hash", age_days=1),
    image("E", age_days=1 - 1 / 24),
]


@pytest.mark.parametrize(
    ("rules", "images", "expected"),
    [
        pytest.param(
            [rule(1, "tagged", prefixes=["prod"], keep=1), rule(2, "tagged", prefixes=["beta"], keep=1)],
            EX1_IMAGES,
            ["A:1:EXPIRE"],
            id="ex1-prod-first-expires-only-A-B-protected-by-prod-rule",
        ),
        pytest.param(
            [rule(1, "tagged", prefixes=["beta"], keep=1), rule(2, "tagged", prefixes=["prod"], keep=1)],
            EX1_IMAGES,
            ["A:1:EXPIRE", "B:1:EXPIRE"],
            id="ex1-priorities-swapped-beta-first-expires-A-and-B",
        ),
        pytest.param(
            [rule(1, "tagged", prefixes=["alpha", "beta"], days=5)],
            EX2_IMAGES,
            ["C:1:EXPIRE"],
            id="ex2-two-prefixes-since-pushed-5-days-expires-C",
        ),
        pytest.param(
            [rule(1, "tagged", prefixes=["alpha", "beta"], keep=1)],
            EX3_IMAGES,
            ["A:1:EXPIRE", "B:1:EXPIRE"],
            id="ex3-image-with-all-prefixes-keep-1-expires-A-B",
        ),
        pytest.param(
            [rule(1, "any", keep=1)],
            EX4_IMAGES,
            ["A:1:EXPIRE", "B:1:EXPIRE", "C:1:EXPIRE"],
            id="ex4-any-keep-1-expires-A-B-C",
        ),
        pytest.param(
            [
                rule(1, "tagged", prefixes=["alpha"], keep=1),
                rule(2, "untagged", days=1),
                rule(3, "any", keep=1),
            ],
            EX5_IMAGES,
            ["A:1:EXPIRE", "B:2:EXPIRE", "D:3:EXPIRE"],
            id="ex5-tagged-untagged-any-expires-A-B-D",
        ),
    ],
)
def test_worked_examples(rules: list[dict[str, Any]], images: list[LifecycleImage], expected: list[str]) -> None:
    assert outcome(rules, images) == expected


# --- rule order and protection ------------------------------------------------------------------


def test_rules_apply_by_priority_not_by_position_in_the_document() -> None:
    rules = [rule(2, "tagged", prefixes=["prod"], keep=1), rule(1, "tagged", prefixes=["beta"], keep=1)]

    assert outcome(rules, EX1_IMAGES) == ["A:1:EXPIRE", "B:1:EXPIRE"]
    assert [r.rule_priority for r in parse_lifecycle_policy(policy_text(*rules)).rules] == [1, 2]


def test_listing_order_of_images_does_not_change_the_outcome() -> None:
    rules = [
        rule(1, "tagged", prefixes=["alpha"], keep=1),
        rule(2, "untagged", days=1),
        rule(3, "any", keep=1),
    ]

    assert outcome(rules, list(reversed(EX5_IMAGES))) == outcome(rules, EX5_IMAGES)


def test_identical_push_times_give_the_same_outcome_in_any_listing_order() -> None:
    # ECR's tie-break is UNCONFIRMED; the fake's must at least not depend on listing order.
    twins = [image("A", "v1", age_days=3), image("B", "v2", age_days=3), image("C", "v3", age_days=3)]
    rules = [rule(1, "any", keep=1)]

    results = {tuple(outcome(rules, order)) for order in (twins, twins[::-1], [twins[1], twins[0], twins[2]])}

    assert len(results) == 1
    assert len(results.pop()) == 2


def test_image_selected_by_higher_rule_is_protected_even_when_that_rule_keeps_it() -> None:
    images = [image("old", "prod-1", age_days=30), image("new", "dev-1", age_days=1)]
    rules = [rule(1, "tagged", prefixes=["prod"], keep=5), rule(2, "any", keep=1)]

    assert outcome(rules, images) == []


def test_protected_images_still_count_for_lower_rules() -> None:
    # P1 is protected by rule 1 but is still one of the 2 newest images rule 2 keeps, so only U2 goes.
    images = [
        image("P1", "prod-1", age_days=1),
        image("U1", age_days=2),
        image("U2", age_days=3),
    ]
    rules = [rule(1, "tagged", prefixes=["prod"], keep=5), rule(2, "any", keep=2)]

    assert outcome(rules, images) == ["U2:2:EXPIRE"]


def test_an_image_is_acted_on_by_one_rule_only() -> None:
    images = [image("A", "prod-1", age_days=40), image("B", "prod-2", age_days=1)]
    rules = [rule(1, "tagged", prefixes=["prod"], days=30), rule(2, "any", days=10)]

    assert outcome(rules, images) == ["A:1:EXPIRE"]


def test_actions_come_by_rule_priority_then_oldest_pushed_first() -> None:
    images = [
        image("A", "x-1", age_days=5),
        image("B", age_days=9),
        image("C", "x-2", age_days=7),
        image("D", age_days=8),
        image("E", "x-3", age_days=6),
    ]
    rules = [rule(1, "tagged", prefixes=["x"], keep=1), rule(2, "untagged", keep=1)]

    assert outcome(rules, images) == ["C:1:EXPIRE", "E:1:EXPIRE", "B:2:EXPIRE"]


# --- count types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "expired"),
    [
        pytest.param(14 - 1 / 24, False, id="13-days-23-hours-kept"),
        pytest.param(14, False, id="exactly-14-days-kept"),
        pytest.param(14 + 1 / DAY, True, id="14-days-and-a-second-expired"),
        pytest.param(400, True, id="400-days-expired"),
    ],
)
def test_since_image_pushed_counts_days_strictly(age_days: float, expired: bool) -> None:
    # Strictly more than N days (UNCONFIRMED; consistent with worked example 5).
    result = outcome([rule(1, "any", days=14)], [image("A", "v1", age_days=age_days)])

    assert result == (["A:1:EXPIRE"] if expired else [])


@pytest.mark.parametrize(
    ("pushed_days_ago", "pulled_days_ago", "transitioned"),
    [
        pytest.param(100, 1, False, id="old-push-pulled-yesterday-stays"),
        pytest.param(100, 60, True, id="old-push-pulled-60-days-ago-archived"),
        pytest.param(100, None, True, id="never-pulled-old-push-archived-by-push-time"),
        pytest.param(10, None, False, id="never-pulled-recent-push-stays"),
    ],
)
def test_since_image_pulled_measures_from_last_pull_or_else_from_push(
    pushed_days_ago: float, pulled_days_ago: float | None, transitioned: bool
) -> None:
    # Never-pulled images fall back to their push time (UNCONFIRMED).
    images = [image("A", "v1", age_days=pushed_days_ago, pulled_days_ago=pulled_days_ago)]
    rules = [rule(1, "any", days=30, count_type="sinceImagePulled", action="transition")]

    assert outcome(rules, images) == (["A:1:TRANSITION"] if transitioned else [])


def test_image_count_more_than_keeps_the_newest_n_by_push_time() -> None:
    images = [image(name, f"v{age}", age_days=age) for name, age in zip("ABCDE", [3, 1, 5, 2, 4], strict=True)]

    assert outcome([rule(1, "any", keep=3)], images) == ["C:1:EXPIRE", "E:1:EXPIRE"]


def test_image_count_more_than_with_fewer_images_than_the_count_marks_none() -> None:
    assert outcome([rule(1, "any", keep=10)], EX4_IMAGES) == []


# --- transitions and the archive storage class (docs/behaviour/images.md#archive-storage-class)
# --------------------------------------------


def test_transition_action_names_the_archive_target() -> None:
    policy = parse_lifecycle_policy(
        policy_text(rule(1, "any", days=30, count_type="sinceImagePulled", action="transition"))
    )
    actions = evaluate_lifecycle_policy(policy, [image("A", age_days=45, pulled_days_ago=40)], NOW)

    assert actions == [
        LifecycleAction(
            image_digest=digest_of("A"),
            applied_rule_priority=1,
            action_type="TRANSITION",
            target_storage_class="ARCHIVE",
        )
    ]


def test_standard_rules_do_not_see_archived_images_and_archive_rules_do_not_see_standard_ones() -> None:
    images = [
        image("A", "v1", age_days=300, archived_days_ago=200),
        image("B", "v2", age_days=300),
    ]
    rules = [
        rule(1, "any", days=30, count_type="sinceImagePulled", action="transition"),
        rule(2, "any", days=100, count_type="sinceImageTransitioned", storage_class="archive"),
    ]

    assert outcome(rules, images) == ["B:1:TRANSITION", "A:2:EXPIRE"]


@pytest.mark.parametrize(
    ("count_number", "archived_days_ago", "expired"),
    [
        pytest.param(30, 10, False, id="not-yet-30-days-archived"),
        pytest.param(30, 60, False, id="past-30-days-but-inside-90-day-minimum"),
        pytest.param(30, 89.9, False, id="just-short-of-90-days"),
        pytest.param(30, 90, True, id="90-days-archived-may-expire"),
        pytest.param(120, 100, False, id="past-90-but-not-past-rule-120"),
        pytest.param(120, 121, True, id="past-rule-120"),
    ],
)
def test_archived_images_expire_no_sooner_than_90_days_in_archive(
    count_number: int, archived_days_ago: float, expired: bool
) -> None:
    images = [image("A", "v1", age_days=400, archived_days_ago=archived_days_ago)]
    rules = [rule(1, "any", days=count_number, count_type="sinceImageTransitioned", storage_class="archive")]

    assert outcome(rules, images) == (["A:1:EXPIRE"] if expired else [])


def test_archived_image_without_archive_time_is_never_expired() -> None:
    archived = LifecycleImage(
        image_digest=digest_of("A"),
        image_tags=("v1",),
        image_pushed_at=NOW - 900 * DAY,
        last_recorded_pull_time=None,
        storage_class="ARCHIVE",
    )
    policy = parse_lifecycle_policy(
        policy_text(rule(1, "any", days=90, count_type="sinceImageTransitioned", storage_class="archive"))
    )

    assert evaluate_lifecycle_policy(policy, [archived], NOW) == []


@pytest.mark.parametrize("storage_class", ["ARCHIVED", "standard", "ACTIVE", ""])
def test_image_storage_class_uses_the_policy_storage_class_enum(storage_class: str) -> None:
    with pytest.raises(ValueError, match="storage_class"):
        LifecycleImage(digest_of("A"), (), NOW, None, storage_class)


# --- tag selection -------------------------------------------------------------------------------


def test_untagged_rule_selects_only_untagged_images_and_any_selects_all() -> None:
    images = [image("A", "v1", age_days=20), image("B", age_days=20)]

    assert outcome([rule(1, "untagged", days=10)], images) == ["B:1:EXPIRE"]
    assert outcome([rule(1, "any", days=10)], images) == ["A:1:EXPIRE", "B:1:EXPIRE"]


@pytest.mark.parametrize(
    ("tag_status", "prefixes", "patterns", "tags", "selected"),
    [
        pytest.param("tagged", ["prod"], None, ("production",), True, id="prefix-matches-start"),
        pytest.param("tagged", ["prod"], None, ("preprod",), False, id="prefix-not-in-the-middle"),
        pytest.param("tagged", ["Prod"], None, ("prod-1",), False, id="prefix-case-sensitive"),
        pytest.param("tagged", ["a", "b"], None, ("a-1", "b-1"), True, id="prefixes-each-match-a-tag"),
        pytest.param("tagged", ["a", "b"], None, ("a-1", "ab"), False, id="prefixes-all-must-match"),
        pytest.param("tagged", None, ["prod*"], ("prod",), True, id="trailing-star-matches-empty"),
        pytest.param("tagged", None, ["prod*"], ("prod-42",), True, id="trailing-star-matches-rest"),
        pytest.param("tagged", None, ["prod"], ("prod-1",), False, id="pattern-without-star-is-exact"),
        pytest.param("tagged", None, ["*-rc*"], ("1.2-rc3",), True, id="stars-both-sides"),
        pytest.param("tagged", None, ["v*.*.*"], ("v1.22.3",), True, id="dots-are-literal-semver"),
        pytest.param("tagged", None, ["v*.*.*"], ("v1x2x3",), False, id="dot-does-not-match-any-char"),
        pytest.param("tagged", None, ["*"], ("anything",), True, id="lone-star-matches-any-tag"),
        pytest.param("tagged", None, ["*test*1*2*3"], ("my-test-1-2-3",), True, id="four-wildcards"),
        pytest.param("tagged", None, ["a*", "*z"], ("a1", "9z"), True, id="patterns-match-different-tags"),
        pytest.param("tagged", None, ["a*", "*z"], ("a1",), False, id="patterns-all-must-match"),
        pytest.param("tagged", None, ["*"], (), False, id="tagged-never-selects-untagged"),
        pytest.param("any", None, None, (), True, id="any-selects-untagged"),
        pytest.param("untagged", None, None, ("v1",), False, id="untagged-skips-tagged"),
    ],
)
def test_tag_selection(
    tag_status: str,
    prefixes: list[str] | None,
    patterns: list[str] | None,
    tags: tuple[str, ...],
    selected: bool,
) -> None:
    images = [image("A", *tags, age_days=5)]

    result = outcome([rule(1, tag_status, prefixes=prefixes, patterns=patterns, days=1)], images)

    assert result == (["A:1:EXPIRE"] if selected else [])


# --- valid policies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param([rule(1, "untagged", keep=1)], id="minimal-untagged-count"),
        pytest.param([rule(1, "any", days=1, storage_class="standard")], id="explicit-standard-storage-class"),
        pytest.param(
            [rule(1, "tagged", patterns=["*test*1*2*3", "test*1*2*3*"], keep=1)],
            id="patterns-with-four-wildcards",
        ),
        pytest.param(
            [rule(1, "tagged", prefixes=["prod"], keep=1), rule(2, "tagged", prefixes=["prod", "v"], keep=1)],
            id="different-prefix-sets-sharing-one-prefix",
        ),
        pytest.param(
            [
                rule(
                    1,
                    "tagged",
                    prefixes=["prod"],
                    days=30,
                    count_type="sinceImagePulled",
                    action="transition",
                ),
                rule(
                    2,
                    "tagged",
                    prefixes=["prod"],
                    days=90,
                    count_type="sinceImageTransitioned",
                    storage_class="archive",
                ),
            ],
            id="same-prefixes-in-different-storage-classes",
        ),
        pytest.param(
            [
                rule(1, "untagged", days=30, count_type="sinceImagePulled", action="transition"),
                rule(2, "any", days=90, count_type="sinceImagePulled", action="transition"),
                rule(3, "untagged", days=90, count_type="sinceImageTransitioned", storage_class="archive"),
                rule(4, "any", days=180, count_type="sinceImageTransitioned", storage_class="archive"),
            ],
            id="untagged-and-any-once-per-storage-class",
        ),
        pytest.param(
            [
                rule(5, "any", days=30, count_type="sinceImageTransitioned", storage_class="archive"),
                rule(9, keep=3),
            ],
            id="any-rules-lowest-within-each-storage-class",
        ),
        pytest.param([rule(1, "any", keep=5, action="transition")], id="count-based-transition"),
        pytest.param([rule(1, "untagged", keep=1) | {"description": "ünïcode ok"}], id="description"),
        pytest.param([rule(1, "untagged", prefixes=[], patterns=[], keep=1)], id="empty-lists-count-as-no-lists"),
    ],
)
def test_valid_policies_parse(rules: list[dict[str, Any]]) -> None:
    policy = parse_lifecycle_policy(policy_text(*rules))

    assert [r.rule_priority for r in policy.rules] == sorted(r["rulePriority"] for r in rules)


# --- invalid policies: exact messages --------------------------------------------------------------

ONE_OF_SELECTION = "instance failed to match exactly one schema (matched 0 out of 4)"
ONE_OF_ACTION = "instance failed to match exactly one schema (matched 0 out of 2)"


_DROP = object()  # as a change: delete the member


def with_selection(**changes: Any) -> str:
    """A valid one-rule policy whose selection gets ``changes``."""
    base = rule(1, "any", keep=1)
    selection = {**base["selection"], **changes}
    return policy_text(base | {"selection": {k: v for k, v in selection.items() if v is not _DROP}})


def with_action(action: Any) -> str:
    """A valid one-rule policy whose action is ``action``."""
    return policy_text(rule(1, "any", keep=1) | {"action": action})


def with_rule(**changes: Any) -> str:
    """A valid one-rule policy whose rule gets ``changes``."""
    base = rule(1, "any", keep=1) | changes
    return policy_text({k: v for k, v in base.items() if v is not _DROP})


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        # JSON and top level (docs/behaviour/errors.md#messages #18).
        pytest.param('{"rules": [', "Could not map policyString into LifecyclePolicy.", id="json-syntax"),
        pytest.param("not json at all", "Could not map policyString into LifecyclePolicy.", id="not-json"),
        pytest.param("[]", "Could not map policyString into LifecyclePolicy.", id="top-level-array"),
        pytest.param('"rules"', "Could not map policyString into LifecyclePolicy.", id="top-level-string"),
        pytest.param(
            '{"rules": [{"rulePriority": NaN}]}', "Could not map policyString into LifecyclePolicy.", id="nan"
        ),
        pytest.param("{}", 'object has missing required properties (["rules"])', id="missing-rules"),
        pytest.param(
            '{"rules": [], "version": 1}',
            'object instance has properties which are not allowed by the schema: (["version"])',
            id="unknown-top-level-property",
        ),
        pytest.param(
            '{"rules": {}}',
            'instance type (object) does not match any allowed primitive type (allowed: ["array"])',
            id="rules-not-array",
        ),
        pytest.param(
            '{"rules": null}',
            'instance type (null) does not match any allowed primitive type (allowed: ["array"])',
            id="rules-null",
        ),
        pytest.param(
            '{"rules": []}',
            "array is too short: must have at least 1 elements but instance has 0 elements",
            id="rules-empty",
        ),
        # Rule objects.
        pytest.param(
            '{"rules": ["rule"]}',
            'instance type (string) does not match any allowed primitive type (allowed: ["object"])',
            id="rule-not-object",
        ),
        pytest.param(
            with_rule(name="r1", zone="z"),
            'object instance has properties which are not allowed by the schema: (["name","zone"])',
            id="unknown-rule-properties-sorted",
        ),
        pytest.param(
            with_rule(selection=_DROP, action=_DROP),
            'object has missing required properties (["action","selection"])',
            id="missing-rule-properties",
        ),
        pytest.param(
            with_rule(rulePriority="1"),
            'instance type (string) does not match any allowed primitive type (allowed: ["integer"])',
            id="priority-string",
        ),
        pytest.param(
            with_rule(rulePriority=1.5),
            'instance type (number) does not match any allowed primitive type (allowed: ["integer"])',
            id="priority-fraction",
        ),
        pytest.param(
            with_rule(rulePriority=True),
            'instance type (boolean) does not match any allowed primitive type (allowed: ["integer"])',
            id="priority-boolean",
        ),
        pytest.param(
            with_rule(rulePriority=None),
            'instance type (null) does not match any allowed primitive type (allowed: ["integer"])',
            id="priority-null",
        ),
        pytest.param(
            with_rule(rulePriority=0),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
            id="priority-zero",
        ),
        pytest.param(
            with_rule(rulePriority=-3),
            "numeric instance is lower than the required minimum (minimum: 1, found: -3)",
            id="priority-negative",
        ),
        pytest.param(
            with_rule(description=None),
            'instance type (null) does not match any allowed primitive type (allowed: ["string"])',
            id="description-null",
        ),
        pytest.param(
            with_rule(selection=[]),
            'instance type (array) does not match any allowed primitive type (allowed: ["object"])',
            id="selection-not-object",
        ),
        # Selection members outside the count-type oneOf.
        pytest.param(
            with_selection(tagStatus="TAGGED"),
            'instance value (TAGGED) not found in enum :(possible values: ["any","tagged","untagged"])',
            id="tag-status-upper-case",
        ),
        pytest.param(
            with_selection(tagStatus=None),
            'instance type (null) does not match any allowed primitive type (allowed: ["string"])',
            id="tag-status-null",
        ),
        pytest.param(
            with_selection(tagStatus=_DROP),
            'object has missing required properties (["tagStatus"])',
            id="tag-status-missing",
        ),
        pytest.param(
            with_selection(countType=_DROP, countNumber=_DROP),
            'object has missing required properties (["countNumber","countType"])',
            id="count-members-missing",
        ),
        pytest.param(
            with_selection(tagPrefix=["x"]),
            'object instance has properties which are not allowed by the schema: (["tagPrefix"])',
            id="unknown-selection-property",
        ),
        pytest.param(
            with_selection(tagPrefixList="prod"),
            'instance type (string) does not match any allowed primitive type (allowed: ["array"])',
            id="prefix-list-not-array",
        ),
        pytest.param(
            with_selection(tagPatternList=["ok", 7]),
            'instance type (integer) does not match any allowed primitive type (allowed: ["string"])',
            id="pattern-list-item-not-string",
        ),
        pytest.param(
            with_selection(tagPrefixList=None),
            'instance type (null) does not match any allowed primitive type (allowed: ["array"])',
            id="prefix-list-null",
        ),
        pytest.param(
            with_selection(countNumber=0),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
            id="count-number-zero",
        ),
        pytest.param(
            with_selection(countNumber="5"),
            'instance type (string) does not match any allowed primitive type (allowed: ["integer"])',
            id="count-number-string",
        ),
        # The count-type oneOf (docs/behaviour/errors.md#messages #17).
        pytest.param(with_selection(countType="sinceImageCreated"), ONE_OF_SELECTION, id="count-type-unknown"),
        pytest.param(with_selection(countType=None), ONE_OF_SELECTION, id="count-type-null"),
        pytest.param(with_selection(countUnit="days"), ONE_OF_SELECTION, id="count-unit-with-image-count"),
        pytest.param(with_selection(countUnit=None), ONE_OF_SELECTION, id="count-unit-null-with-image-count"),
        pytest.param(
            with_selection(countType="sinceImagePushed"),
            ONE_OF_SELECTION,
            id="count-unit-missing-since-pushed",
        ),
        pytest.param(
            with_selection(countType="sinceImagePushed", countUnit="hours"),
            ONE_OF_SELECTION,
            id="count-unit-hours",
        ),
        pytest.param(
            with_selection(countType="sinceImagePushed", countUnit="DAYS"),
            ONE_OF_SELECTION,
            id="count-unit-upper",
        ),
        pytest.param(
            policy_text(rule(1, days=90, count_type="sinceImageTransitioned")),
            ONE_OF_SELECTION,
            id="since-transitioned-needs-archive-class",
        ),
        pytest.param(
            policy_text(rule(1, days=90, count_type="sinceImageTransitioned", storage_class="standard")),
            ONE_OF_SELECTION,
            id="since-transitioned-with-standard-class",
        ),
        pytest.param(
            policy_text(rule(1, days=90, storage_class="archive")),
            ONE_OF_SELECTION,
            id="archive-class-with-since-pushed",
        ),
        pytest.param(with_selection(storageClass="archive"), ONE_OF_SELECTION, id="archive-class-with-count"),
        pytest.param(with_selection(storageClass="STANDARD"), ONE_OF_SELECTION, id="storage-class-upper-case"),
        pytest.param(with_selection(storageClass=None), ONE_OF_SELECTION, id="storage-class-null"),
        # The action oneOf (docs/behaviour/errors.md#messages #17, cloudposse#158).
        pytest.param(
            with_action({"type": "expire", "targetStorageClass": None}),
            ONE_OF_ACTION,
            id="expire-target-null",
        ),
        pytest.param(
            with_action({"type": "expire", "targetStorageClass": "archive"}),
            ONE_OF_ACTION,
            id="expire-with-target",
        ),
        pytest.param(with_action({"type": "transition"}), ONE_OF_ACTION, id="transition-without-target"),
        pytest.param(
            with_action({"type": "transition", "targetStorageClass": "standard"}),
            ONE_OF_ACTION,
            id="transition-to-standard",
        ),
        pytest.param(with_action({"type": "delete"}), ONE_OF_ACTION, id="action-type-unknown"),
        pytest.param(with_action({"type": "EXPIRE"}), ONE_OF_ACTION, id="action-type-upper-case"),
        pytest.param(with_action({"type": None}), ONE_OF_ACTION, id="action-type-null"),
        pytest.param(with_action({}), 'object has missing required properties (["type"])', id="action-type-missing"),
        pytest.param(
            with_action({"type": "expire", "after": 1}),
            'object instance has properties which are not allowed by the schema: (["after"])',
            id="unknown-action-property",
        ),
        pytest.param(
            with_action("expire"),
            'instance type (string) does not match any allowed primitive type (allowed: ["object"])',
            id="action-not-object",
        ),
        # ECR's own rules (docs/behaviour/errors.md#messages #19; other wordings UNCONFIRMED).
        pytest.param(
            policy_text(rule(1, "tagged", keep=1)),
            "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.",
            id="tagged-without-lists",
        ),
        pytest.param(
            policy_text(rule(1, "tagged", prefixes=[], keep=1)),
            "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.",
            id="tagged-with-empty-list",
        ),
        pytest.param(
            policy_text(rule(1, "tagged", prefixes=["a"], patterns=["b*"], keep=1)),
            "Cannot specify both tagPrefixList and tagPatternList when tagStatus=TAGGED.",
            id="tagged-with-both-lists",
        ),
        pytest.param(
            policy_text(rule(1, "untagged", prefixes=["a"], keep=1)),
            "Cannot specify tagPrefixList when tagStatus=UNTAGGED.",
            id="untagged-with-prefixes",
        ),
        pytest.param(
            policy_text(rule(1, "any", prefixes=["a"], patterns=["b*"], keep=1)),
            "Cannot specify tagPrefixList or tagPatternList when tagStatus=ANY.",
            id="any-with-both-lists",
        ),
        pytest.param(
            policy_text(rule(1, "tagged", patterns=["test*1*2*3*4*5*6"], keep=1)),
            "Tag pattern 'test*1*2*3*4*5*6' has more than 4 wildcards (*)",
            id="pattern-with-six-wildcards",
        ),
        pytest.param(
            policy_text(rule(1, "tagged", patterns=["*a*b*c*d*"], keep=1)),
            "Tag pattern '*a*b*c*d*' has more than 4 wildcards (*)",
            id="pattern-with-five-wildcards",
        ),
        pytest.param(
            policy_text(rule(1, "any", days=30, count_type="sinceImagePulled")),
            "Action type EXPIRE is not supported for countType=sinceImagePulled.",
            id="since-pulled-cannot-expire",
        ),
        pytest.param(
            policy_text(
                rule(
                    1,
                    "any",
                    days=90,
                    count_type="sinceImageTransitioned",
                    storage_class="archive",
                    action="transition",
                )
            ),
            "Action type TRANSITION is not supported for countType=sinceImageTransitioned.",
            id="archived-cannot-transition-again",
        ),
        pytest.param(
            policy_text(rule(3, "untagged", keep=1), rule(3, "tagged", prefixes=["a"], keep=1)),
            "Rule priority 3 is used by more than one rule",
            id="duplicate-priority",
        ),
        pytest.param(
            policy_text(rule(1, "any", keep=1), rule(2, "untagged", keep=1)),
            "Rule for tagStatus=ANY must have the lowest priority per storage class",
            id="any-before-untagged",
        ),
        pytest.param(
            policy_text(rule(1, "any", keep=5), rule(2, "any", days=30)),
            "Rule for tagStatus=ANY must have the lowest priority per storage class",
            id="two-any-rules-in-one-class",
        ),
        pytest.param(
            policy_text(rule(1, "untagged", keep=5), rule(2, "untagged", days=30)),
            "Only one rule can select Untagged images per storage class",
            id="two-untagged-rules-in-one-class",
        ),
        pytest.param(
            policy_text(
                rule(1, "tagged", prefixes=["prod", "v"], keep=5),
                rule(2, "tagged", prefixes=["v", "prod"], days=30),
            ),
            'Tag prefix list ["prod","v"] is used by more than one rule per storage class',
            id="same-prefix-set-twice-in-one-class",
        ),
    ],
)
def test_invalid_policies_are_refused_with_ecr_messages(text: str, detail: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_lifecycle_policy(text)

    assert refused.value.member == "LifecyclePolicyText"
    assert refused.value.message == failure(detail)


def test_schema_problems_are_reported_before_ecr_rules() -> None:
    text = policy_text(rule(1, "any", keep=1), rule(1, "tagged", keep=0))

    with pytest.raises(InvalidParameter) as refused:
        parse_lifecycle_policy(text)

    assert refused.value.message == failure(
        "numeric instance is lower than the required minimum (minimum: 1, found: 0)"
    )


# --- normalised text (docs/behaviour/lifecycle.md#lifecycle-operations PutLifecyclePolicy)
# -----------------------------------------------------

CLI_EXAMPLE_INPUT = """{
   "rules": [
       {
           "rulePriority": 1,
           "description": "Expire images older than 14 days",
           "selection": {
               "tagStatus": "untagged",
               "countType": "sinceImagePushed",
               "countUnit": "days",
               "countNumber": 14
           },
           "action": {
               "type": "expire"
           }
       }
   ]
}
"""
CLI_EXAMPLE_OUTPUT = (
    '{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":'
    '{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},'
    '"action":{"type":"expire"}}]}'
)


def test_pretty_policy_comes_back_as_compact_json() -> None:
    assert normalize_lifecycle_policy_text(CLI_EXAMPLE_INPUT) == CLI_EXAMPLE_OUTPUT


def test_normalised_text_orders_members_as_the_template_and_keeps_rule_order() -> None:
    text = json.dumps(
        {
            "rules": [
                {
                    "action": {"targetStorageClass": "archive", "type": "transition"},
                    "selection": {
                        "countNumber": 30,
                        "countUnit": "days",
                        "countType": "sinceImagePulled",
                        "tagPatternList": ["rel-*"],
                        "tagStatus": "tagged",
                    },
                    "description": "archive idle releases",
                    "rulePriority": 7,
                },
                {
                    "selection": {"countType": "imageCountMoreThan", "countNumber": 3, "tagStatus": "any"},
                    "rulePriority": 9,
                    "action": {"type": "expire"},
                },
            ]
        }
    )

    assert normalize_lifecycle_policy_text(text) == (
        '{"rules":[{"rulePriority":7,"description":"archive idle releases","selection":'
        '{"tagStatus":"tagged","tagPatternList":["rel-*"],"countType":"sinceImagePulled","countUnit":"days",'
        '"countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}},'
        '{"rulePriority":9,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},'
        '"action":{"type":"expire"}}]}'
    )


def test_normalised_text_keeps_non_ascii_unescaped() -> None:
    text = policy_text(rule(1, "untagged", keep=1) | {"description": "löschen"})

    assert '"description":"löschen"' in normalize_lifecycle_policy_text(text)


def test_normalising_refuses_invalid_policies() -> None:
    with pytest.raises(InvalidParameter):
        normalize_lifecycle_policy_text("{}")


def test_parsed_policy_carries_its_normalised_text_and_rule_fields() -> None:
    policy = parse_lifecycle_policy(CLI_EXAMPLE_INPUT)

    assert policy.lifecycle_policy_text == CLI_EXAMPLE_OUTPUT
    (only,) = policy.rules
    assert (only.tag_status, only.count_type, only.count_unit, only.count_number, only.storage_class) == (
        "untagged",
        "sinceImagePushed",
        "days",
        14,
        "standard",
    )
    assert (only.action_type, only.target_storage_class, only.description) == (
        "expire",
        None,
        "Expire images older than 14 days",
    )


# --- preview summary (docs/behaviour/lifecycle.md#preview)
# ------------------------------------------------------------------------


def test_summary_counts_expiring_and_transitioning_images() -> None:
    images = [
        image("A", age_days=200, archived_days_ago=100),
        image("B", "v1", age_days=50, pulled_days_ago=40),
        image("C", "v2", age_days=60),
    ]
    rules = [
        rule(1, "any", days=30, count_type="sinceImagePulled", action="transition"),
        rule(2, "any", days=90, count_type="sinceImageTransitioned", storage_class="archive"),
    ]
    actions = evaluate_lifecycle_policy(parse_lifecycle_policy(policy_text(*rules)), images, NOW)

    assert summarize_lifecycle_actions(actions) == LifecyclePreviewSummary(
        expiring_image_total_count=1, transitioning_image_total_counts=(("ARCHIVE", 2),)
    )


def test_summary_of_nothing_has_zero_expiring_and_no_transition_counts() -> None:
    assert summarize_lifecycle_actions([]) == LifecyclePreviewSummary(
        expiring_image_total_count=0, transitioning_image_total_counts=()
    )
