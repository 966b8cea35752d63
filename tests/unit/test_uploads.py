"""Abandoned uploads give their space back (registry issue: "Abandoned or failed uploads leave nothing
visible, and their space is reclaimed")."""

from __future__ import annotations

import pytest

from fake_ecr import errors
from fake_ecr.model import Backend
from fake_ecr.model.clock import Clock
from fake_ecr.model.registry import UPLOAD_EXPIRY, Registry


@pytest.fixture
def clock() -> Clock:
    return Clock(source=lambda: 1_700_000_000.0)  # stands still unless a test advances it


@pytest.fixture
def registry(clock: Clock) -> Registry:
    registry = Backend(clock).registry("123456789012", "us-east-1")
    registry.create_repository("app")
    return registry


@pytest.mark.parametrize(
    ("idle", "expired"),
    [
        pytest.param(UPLOAD_EXPIRY - 1, False, id="still-fresh"),
        pytest.param(UPLOAD_EXPIRY + 1, True, id="idle-past-expiry"),
    ],
)
def test_an_abandoned_upload_expires_and_frees_its_bytes(
    registry: Registry, clock: Clock, idle: float, expired: bool
) -> None:
    abandoned = registry.start_upload("app")
    registry.append_upload("app", abandoned.upload_id, [b"x" * 1000])
    clock.advance(idle)

    registry.start_upload("app")  # any new upload sweeps the expired ones

    assert registry.stored_bytes == (0 if expired else 1000)
    if expired:
        with pytest.raises(errors.UploadNotFound):
            registry.append_upload("app", abandoned.upload_id, [b"more"])
    else:
        registry.append_upload("app", abandoned.upload_id, [b"more"])


def test_an_upload_that_keeps_receiving_parts_stays(registry: Registry, clock: Clock) -> None:
    upload = registry.start_upload("app")
    for _ in range(3):
        clock.advance(UPLOAD_EXPIRY - 1)
        registry.append_upload("app", upload.upload_id, [b"part"])
    registry.collect_garbage()
    assert registry.stored_bytes == 12
