"""Helpers of the lifecycle tests: policies written as rule tables, images pushed at chosen ages.

Images get their ages the way a user's test would: by pinning the fake's clock in the past and
advancing it between PutImage calls, so ``imagePushedAt`` is exactly what the test says.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from fake_ecr import FakeEcr

from api.helpers import image_manifest, put

DAY = 86_400
#: "Now" of every lifecycle test: the clock stands here once the images are pushed.
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()

#: (label, tags, age in days at NOW)
AgedImage = tuple[str, Sequence[str], float]


def rule(
    priority: int,
    tag_status: str,
    count_type: str,
    count_number: int,
    *,
    prefixes: Sequence[str] = (),
    patterns: Sequence[str] = (),
    storage_class: str | None = None,
    action: str = "expire",
) -> dict[str, Any]:
    """One lifecycle rule; time-based count types count days (docs/behaviour/lifecycle.md#policy-grammar)."""
    selection: dict[str, Any] = {"tagStatus": tag_status}
    if prefixes:
        selection["tagPrefixList"] = list(prefixes)
    if patterns:
        selection["tagPatternList"] = list(patterns)
    if storage_class is not None:
        selection["storageClass"] = storage_class
    selection["countType"] = count_type
    if count_type != "imageCountMoreThan":
        selection["countUnit"] = "days"
    selection["countNumber"] = count_number
    actions = {"expire": {"type": "expire"}, "transition": {"type": "transition", "targetStorageClass": "archive"}}
    return {"rulePriority": priority, "selection": selection, "action": actions[action]}


def policy(*rules: dict[str, Any]) -> str:
    return json.dumps({"rules": list(rules)})


def push_aged(ecr: Any, fake_ecr: FakeEcr, repository_name: str, images: Sequence[AgedImage]) -> dict[str, str]:
    """Push each image (all its tags, or none) ``age`` days before NOW, oldest first; returns label -> digest.

    The clock is pinned and moved in whole seconds, so ages are exact; it is left standing at NOW.
    """
    ordered = sorted(images, key=lambda image: -image[2])
    fake_ecr.clock.set(round(NOW - ordered[0][2] * DAY))
    digests: dict[str, str] = {}
    for label, tags, age in ordered:
        fake_ecr.clock.advance(round(NOW - age * DAY) - fake_ecr.clock.now())
        manifest = image_manifest(fake_ecr, repository_name, label)
        for tag in tags or [None]:
            put(ecr, repository_name, manifest, tag)
        digests[label] = manifest.digest
    fake_ecr.clock.advance(NOW - fake_ecr.clock.now())
    return digests


def labels_of(digests: dict[str, str], found: Sequence[str]) -> list[str]:
    """The labels of the digests found, sorted."""
    by_digest = {digest: label for label, digest in digests.items()}
    return sorted(by_digest[digest] for digest in found)
