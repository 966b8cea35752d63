"""Lifecycle policy previews: StartLifecyclePolicyPreview, GetLifecyclePolicyPreview and the
LifecyclePolicyPreviewComplete waiter (docs/behaviour/api.md#waiters, docs/behaviour/lifecycle.md#lifecycle-operations,
docs/behaviour/lifecycle.md#evaluation, docs/behaviour/lifecycle.md#preview), through boto3."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from fake_ecr import FakeEcr

from api.helpers import error_of
from api.lifecycle_helpers import NOW, AgedImage, labels_of, policy, push_aged, rule
from model_gates import modelled

ACCOUNT = "123456789012"
REPO = "app"
NO_DRY_RUN = "There is no dry run for this repository"
NOT_DONE = "The previous lifecycle policy preview request has not completed. Wait and try again."

#: Expire untagged images pushed more than 14 days ago; pretty-printed as a user's policy file is.
UNTAGGED_14_DAYS = json.dumps({"rules": [rule(1, "untagged", "sinceImagePushed", 14)]}, indent=4) + "\n"
KEEP_ONE = policy(rule(1, "any", "imageCountMoreThan", 1))


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


def preview(ecr: Any, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = ecr.get_lifecycle_policy_preview(repositoryName=REPO, **params)
    response.pop("ResponseMetadata")
    return response


def acted_on(digests: dict[str, str], response: dict[str, Any]) -> dict[str, int]:
    """label -> appliedRulePriority of the preview's results."""
    by_digest = {digest: label for label, digest in digests.items()}
    return {by_digest[r["imageDigest"]]: r["appliedRulePriority"] for r in response["previewResults"]}


# --- the worked examples of the user guide (docs/behaviour/lifecycle.md#evaluation item 4)
# ----------------------------------------

WORKED_EXAMPLES = [
    pytest.param(
        [("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8)],
        [
            rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["prod"]),
            rule(2, "tagged", "imageCountMoreThan", 1, prefixes=["beta"]),
        ],
        {"A": 1},
        id="prod-before-beta-protects-B",
    ),
    pytest.param(
        [("A", ["beta-1", "prod-1"], 10), ("B", ["beta-2", "prod-2"], 9), ("C", ["beta-3"], 8)],
        [
            rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["beta"]),
            rule(2, "tagged", "imageCountMoreThan", 1, prefixes=["prod"]),
        ],
        {"A": 1, "B": 1},
        id="beta-before-prod",
    ),
    pytest.param(
        [
            ("A", ["alpha-1"], 12),
            ("B", ["beta-1"], 11),
            ("C", ["alpha-2", "beta-2"], 10),
            ("D", ["alpha-3"], 4),
            ("E", ["beta-3"], 3),
            ("F", ["alpha-4", "beta-4"], 2),
        ],
        [rule(1, "tagged", "sinceImagePushed", 5, prefixes=["alpha", "beta"])],
        {"C": 1},
        id="every-prefix-must-match-a-tag",
    ),
    pytest.param(
        [
            ("A", ["alpha-1", "beta-1", "gamma-1"], 10),
            ("B", ["alpha-2", "beta-2"], 9),
            ("C", ["alpha-3", "beta-3", "gamma-2"], 8),
        ],
        [rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["alpha", "beta"])],
        {"A": 1, "B": 1},
        id="extra-tags-do-not-matter",
    ),
    pytest.param(
        [("A", ["alpha-1"], 4), ("B", ["beta-1"], 3), ("C", [], 2), ("D", ["alpha-2"], 1)],
        [rule(1, "any", "imageCountMoreThan", 1)],
        {"A": 1, "B": 1, "C": 1},
        id="any-keep-one",
    ),
    pytest.param(
        # D is pushed an hour before E, so "newest" is not left to a tie; E, exactly one day old,
        # is not "more than 1 day" old.
        [
            ("A", ["alpha-1", "beta-1"], 4),
            ("B", [], 3),
            ("C", ["alpha-2"], 2),
            ("D", ["githash"], 1 + 1 / 24),
            ("E", [], 1),
        ],
        [
            rule(1, "tagged", "imageCountMoreThan", 1, prefixes=["alpha"]),
            rule(2, "untagged", "sinceImagePushed", 1),
            rule(3, "any", "imageCountMoreThan", 1),
        ],
        {"A": 1, "B": 2, "D": 3},
        id="higher-rules-protect-what-they-select",
    ),
]


@pytest.mark.parametrize(("images", "rules", "expected"), WORKED_EXAMPLES)
def test_worked_examples(
    ecr: Any,
    fake_ecr: FakeEcr,
    repo: str,
    *,
    images: Sequence[AgedImage],
    rules: list[dict[str, Any]],
    expected: dict[str, int],
) -> None:
    digests = push_aged(ecr, fake_ecr, repo, images)

    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=policy(*rules))
    response = preview(ecr)

    assert response["status"] == "COMPLETE"
    assert acted_on(digests, response) == expected
    assert response["summary"] == {"expiringImageTotalCount": len(expected)}
    tags = {label: list(image_tags) for label, image_tags, _ in images}
    for result in response["previewResults"]:
        label = {digest: label for label, digest in digests.items()}[result["imageDigest"]]
        assert result["action"] == {"type": "EXPIRE"}
        assert modelled("LifecyclePolicyPreviewResult", storageClass="STANDARD").items() <= result.items()
        assert sorted(result.get("imageTags", [])) == sorted(tags[label])
    # The preview is a dry run: every image is still there.
    listed = [d["imageDigest"] for d in ecr.describe_images(repositoryName=repo)["imageDetails"]]
    assert labels_of(digests, listed) == sorted(digests)


def test_result_shape(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("old", ["v1", "stable"], 3), ("untagged", [], 2), ("new", ["v2"], 1)])
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    results = preview(ecr)["previewResults"]

    pushed = datetime.fromtimestamp(NOW - 3 * 86_400, tz=timezone.utc)
    assert results == [
        {
            "imageTags": ["v1", "stable"],
            "imageDigest": digests["old"],
            "imagePushedAt": pushed,
            "action": {"type": "EXPIRE"},
            "appliedRulePriority": 1,
            **modelled("LifecyclePolicyPreviewResult", storageClass="STANDARD"),
        },
        {
            "imageDigest": digests["untagged"],
            "imagePushedAt": datetime.fromtimestamp(NOW - 2 * 86_400, tz=timezone.utc),
            "action": {"type": "EXPIRE"},
            "appliedRulePriority": 1,
            **modelled("LifecyclePolicyPreviewResult", storageClass="STANDARD"),
        },
    ]


def test_transitions_are_counted_apart(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(
        ecr, fake_ecr, repo, [("A", ["old-1"], 40), ("B", ["old-2"], 35), ("C", [], 20), ("D", ["new"], 1)]
    )
    text = policy(
        rule(1, "untagged", "sinceImagePushed", 10),
        rule(2, "any", "sinceImagePushed", 30, action="transition"),
    )
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=text)

    response = preview(ecr)

    assert acted_on(digests, response) == {"A": 2, "B": 2, "C": 1}
    actions = {r["imageDigest"]: r["action"] for r in response["previewResults"]}
    assert actions[digests["A"]] == {
        "type": "TRANSITION",
        **modelled("LifecyclePolicyRuleAction", targetStorageClass="ARCHIVE"),
    }
    assert actions[digests["C"]] == {"type": "EXPIRE"}
    assert response["summary"] == {
        "expiringImageTotalCount": 1,
        **modelled(
            "LifecyclePolicyPreviewSummary",
            transitioningImageTotalCounts=[{"targetStorageClass": "ARCHIVE", "imageTotalCount": 2}],
        ),
    }


def test_policy_matching_nothing(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    push_aged(ecr, fake_ecr, repo, [("A", [], 2), ("B", ["v1"], 30)])
    start = ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=UNTAGGED_14_DAYS)
    start.pop("ResponseMetadata")

    # [CLI:start-lifecycle-policy-preview] and [CLI:get-lifecycle-policy-preview]: the text as
    # submitted, IN_PROGRESS at first, then no results and a zero count.
    assert start == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "lifecyclePolicyText": UNTAGGED_14_DAYS,
        "status": "IN_PROGRESS",
    }
    assert preview(ecr) == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "lifecyclePolicyText": UNTAGGED_14_DAYS,
        "status": "COMPLETE",
        "previewResults": [],
        "summary": {"expiringImageTotalCount": 0},
    }


# --- which policy: the stored one, or the text given ------------------------------------------


def test_stored_policy_is_previewed_when_no_text_is_given(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("A", ["v1"], 2), ("B", ["v2"], 1)])
    stored = ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)["lifecyclePolicyText"]

    start = ecr.start_lifecycle_policy_preview(repositoryName=repo)

    assert start["lifecyclePolicyText"] == stored
    response = preview(ecr)
    assert response["lifecyclePolicyText"] == stored
    assert acted_on(digests, response) == {"A": 1}


def test_given_text_wins_and_leaves_the_stored_policy_alone(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("A", [], 30), ("B", ["v1"], 20), ("C", ["v2"], 1)])
    stored = ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=UNTAGGED_14_DAYS)["lifecyclePolicyText"]

    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    response = preview(ecr)
    assert response["lifecyclePolicyText"] == KEEP_ONE
    assert acted_on(digests, response) == {"A": 1, "B": 1}
    assert ecr.get_lifecycle_policy(repositoryName=repo)["lifecyclePolicyText"] == stored


def test_a_new_preview_replaces_the_last(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("A", [], 30), ("B", ["v1"], 20), ("C", ["v2"], 1)])
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=UNTAGGED_14_DAYS)

    assert acted_on(digests, preview(ecr)) == {"A": 1}


# --- errors ----------------------------------------------------------------------------------


def repository_not_found(name: str) -> tuple[str, str]:
    return (
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'",
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda ecr: ecr.start_lifecycle_policy_preview(repositoryName="missing", lifecyclePolicyText=KEEP_ONE),
            repository_not_found("missing"),
            id="start-unknown-repository",
        ),
        pytest.param(
            lambda ecr: ecr.get_lifecycle_policy_preview(repositoryName="missing"),
            repository_not_found("missing"),
            id="get-unknown-repository",
        ),
        pytest.param(
            lambda ecr: ecr.start_lifecycle_policy_preview(repositoryName=REPO),
            (
                "LifecyclePolicyNotFoundException",
                f"Lifecycle policy does not exist for the repository with name '{REPO}' "
                f"in the registry with id '{ACCOUNT}'",
            ),
            id="start-without-text-or-stored-policy",
        ),
        pytest.param(
            lambda ecr: ecr.get_lifecycle_policy_preview(repositoryName=REPO),
            ("LifecyclePolicyPreviewNotFoundException", NO_DRY_RUN),
            id="get-never-started",
        ),
        pytest.param(
            lambda ecr: ecr.start_lifecycle_policy_preview(
                repositoryName=REPO, lifecyclePolicyText=policy(rule(1, "any", "imageCountMoreThan", 1), {"x": 1})
            ),
            (
                "InvalidParameterException",
                "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
                "validation failure: object instance has properties which are not allowed by the schema: "
                '(["x"])\'',
            ),
            id="start-invalid-text",
        ),
        pytest.param(
            lambda ecr: ecr.get_lifecycle_policy_preview(
                repositoryName=REPO, imageIds=[{"imageTag": "v1"}], maxResults=10
            ),
            (
                "InvalidParameterException",
                "Invalid parameter at 'maxResults' failed to satisfy constraint: "
                "'Cannot specify maxResults or nextToken with imageIds'",
            ),
            id="get-image-ids-with-paging",
        ),
        pytest.param(
            lambda ecr: ecr.get_lifecycle_policy_preview(repositoryName=REPO, maxResults=101),
            ("InvalidParameterException", None),
            id="get-max-results-over-100",
        ),
    ],
)
def test_errors(ecr: Any, repo: str, call: Any, expected: tuple[str, str | None]) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(ecr)
    code, message = error_of(excinfo)
    assert code == expected[0]
    if expected[1] is not None:
        assert message == expected[1]


def test_preview_goes_with_its_repository(ecr: Any, repo: str) -> None:
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr.delete_repository(repositoryName=repo, force=True)
    ecr.create_repository(repositoryName=repo)

    with pytest.raises(ClientError) as excinfo:
        preview(ecr)
    assert error_of(excinfo) == ("LifecyclePolicyPreviewNotFoundException", NO_DRY_RUN)


# --- IN_PROGRESS and the waiter (docs/behaviour/api.md#waiters)
# ------------------------------------------------------------


@pytest.mark.fake_ecr(lifecycle_preview_delay=30)
def test_in_progress_until_the_delay_has_passed(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    digests = push_aged(ecr, fake_ecr, repo, [("A", ["v1"], 2), ("B", ["v2"], 1)])
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    fake_ecr.clock.advance(seconds=29)
    assert preview(ecr) == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "lifecyclePolicyText": KEEP_ONE,
        "status": "IN_PROGRESS",
    }
    with pytest.raises(ClientError) as excinfo:
        ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert error_of(excinfo) == ("LifecyclePolicyPreviewInProgressException", NOT_DONE)

    fake_ecr.clock.advance(seconds=1)
    response = preview(ecr)
    assert response["status"] == "COMPLETE"
    assert acted_on(digests, response) == {"A": 1}
    assert (
        ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)["status"] == "IN_PROGRESS"
    )


def test_waiter_succeeds_once_complete(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    push_aged(ecr, fake_ecr, repo, [("A", ["v1"], 2), ("B", ["v2"], 1)])
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    ecr.get_waiter("lifecycle_policy_preview_complete").wait(
        repositoryName=repo, WaiterConfig={"Delay": 0, "MaxAttempts": 2}
    )


@pytest.mark.fake_ecr(lifecycle_preview_delay=30)
def test_waiter_polls_while_in_progress(ecr: Any, repo: str) -> None:
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)

    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        ecr.get_waiter("lifecycle_policy_preview_complete").wait(
            repositoryName=repo, WaiterConfig={"Delay": 0, "MaxAttempts": 2}
        )


def test_waiter_fails_at_once_without_a_preview(ecr: Any, repo: str) -> None:
    with pytest.raises(WaiterError, match="LifecyclePolicyPreviewNotFoundException"):
        ecr.get_waiter("lifecycle_policy_preview_complete").wait(
            repositoryName=repo, WaiterConfig={"Delay": 0, "MaxAttempts": 5}
        )


# --- paging, imageIds and filter --------------------------------------------------------------------

SEVEN_IMAGES: list[AgedImage] = [
    ("t1", ["v1"], 9),
    ("u1", [], 8),
    ("t2", ["v2"], 7),
    ("u2", [], 6),
    ("t3", ["v3", "stable"], 5),
    ("u3", [], 4),
    ("keep", ["v4"], 1),
]


@pytest.fixture
def seven(ecr: Any, fake_ecr: FakeEcr, repo: str) -> dict[str, str]:
    digests = push_aged(ecr, fake_ecr, repo, SEVEN_IMAGES)
    ecr.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    return digests


def test_pages(ecr: Any, seven: dict[str, str]) -> None:
    pages, token = [], None
    while True:
        response = preview(ecr, maxResults=4, **({"nextToken": token} if token else {}))
        pages.append([r["imageDigest"] for r in response["previewResults"]])
        # The summary is the whole preview's on every page.
        assert response["summary"] == {"expiringImageTotalCount": 6}
        token = response.get("nextToken")
        if token is None:
            break

    assert [len(page) for page in pages] == [4, 2]
    assert labels_of(seven, [d for page in pages for d in page]) == ["t1", "t2", "t3", "u1", "u2", "u3"]


def test_paginator(ecr: Any, seven: dict[str, str]) -> None:
    paginator = ecr.get_paginator("get_lifecycle_policy_preview")
    results = paginator.paginate(repositoryName=REPO, PaginationConfig={"PageSize": 5}).build_full_result()

    assert labels_of(seven, [r["imageDigest"] for r in results["previewResults"]]) == [
        "t1",
        "t2",
        "t3",
        "u1",
        "u2",
        "u3",
    ]


@pytest.mark.parametrize(
    ("image_ids", "expected"),
    [
        pytest.param([{"imageTag": "stable"}], ["t3"], id="by-tag"),
        pytest.param([{"imageDigest": "u2"}], ["u2"], id="by-digest"),
        pytest.param([{"imageDigest": "t1", "imageTag": "v1"}, {"imageTag": "v2"}], ["t1", "t2"], id="several"),
        pytest.param([{"imageDigest": "t1", "imageTag": "v2"}], [], id="digest-and-tag-disagree"),
        pytest.param([{"imageTag": "v4"}], [], id="image-not-acted-on"),
        pytest.param([{"imageTag": "nowhere"}], [], id="no-such-image"),
    ],
)
def test_image_ids(ecr: Any, seven: dict[str, str], image_ids: list[dict[str, str]], expected: list[str]) -> None:
    ids = [{k: seven[v] if k == "imageDigest" else v for k, v in image_id.items()} for image_id in image_ids]

    response = preview(ecr, imageIds=ids)

    assert labels_of(seven, [r["imageDigest"] for r in response["previewResults"]]) == expected
    assert "nextToken" not in response


@pytest.mark.parametrize(
    ("tag_status", "expected"),
    [
        pytest.param("TAGGED", ["t1", "t2", "t3"], id="tagged"),
        pytest.param("UNTAGGED", ["u1", "u2", "u3"], id="untagged"),
        pytest.param("ANY", ["t1", "t2", "t3", "u1", "u2", "u3"], id="any"),
    ],
)
def test_filter_tag_status(ecr: Any, seven: dict[str, str], tag_status: str, expected: list[str]) -> None:
    response = preview(ecr, filter={"tagStatus": tag_status})

    assert labels_of(seven, [r["imageDigest"] for r in response["previewResults"]]) == expected
    assert response["summary"] == {"expiringImageTotalCount": 6}
