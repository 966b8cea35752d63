"""One clock for everything time-based, steered by tests directly or through freezegun."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from freezegun import freeze_time

from fake_ecr import mock_ecr
from fake_ecr.model.clock import Clock

NEW_YEAR = datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_token_expiry_follows_freezegun() -> None:
    with freeze_time(NEW_YEAR), mock_ecr():
        data = boto3.client("ecr", region_name="us-east-1").get_authorization_token()["authorizationData"][0]
    assert data["expiresAt"] == NEW_YEAR + timedelta(hours=12)


@pytest.mark.parametrize(
    ("steps", "moved"),
    [
        pytest.param({"hours": 12}, 12 * 3600, id="hours"),
        pytest.param({"days": 1, "minutes": 1}, 86460, id="days-and-minutes"),
        pytest.param({"delta": timedelta(seconds=5)}, 5, id="timedelta"),
    ],
)
def test_advance_moves_a_running_clock(steps: dict[str, object], moved: float) -> None:
    clock = Clock(source=lambda: 1000.0)
    assert clock.advance(**steps) == 1000.0 + moved  # type: ignore[arg-type]


def test_set_pins_and_resume_lets_it_run() -> None:
    now = [1000.0]
    clock = Clock(source=lambda: now[0])
    clock.set(NEW_YEAR)
    now[0] += 50
    assert clock.now() == NEW_YEAR.timestamp()
    clock.resume()
    now[0] += 7
    assert clock.now() == NEW_YEAR.timestamp() + 7


def test_the_clock_never_goes_back_by_advance() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        Clock().advance(-1)
