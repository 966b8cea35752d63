"""The fake's one clock.

Owns the notion of "now" for everything time-dependent in the fake: token
expiry (12 h), ``sinceImagePushed``/``sinceImagePulled`` (days), the 24-hour
scan quota, scan completion and preview timestamps.  Time is epoch seconds as a
float, which is also what ECR's JSON protocol puts on the wire (docs/behaviour/index.md#sources conventions).

By default the clock follows ``time.time()`` plus an offset, so it moves on
its own and also moves with freezegun or time-machine, which patch
``time.time``.  ``advance`` adds to the offset; ``set`` pins an absolute time
(the clock then stands still until ``resume``).

Must not import anything from fake_ecr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

Seconds = float


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _system_time() -> float:
    return time.time()


class Clock:
    """A clock tests steer: ``advance(hours=12)``, ``set(datetime(...))``."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        # Look time.time up at every call: freezegun and time-machine patch the attribute.
        self._source = source if source is not None else _system_time
        self._offset = 0.0
        self._pinned: float | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        """The current time, epoch seconds."""
        pinned = self._pinned
        return pinned if pinned is not None else self._source() + self._offset

    def advance(
        self,
        delta: float | timedelta = 0.0,
        *,
        days: float = 0.0,
        hours: float = 0.0,
        minutes: float = 0.0,
        seconds: float = 0.0,
    ) -> float:
        """Move time forward (a number is seconds); returns the new now."""
        step = _seconds(delta) + days * 86400 + hours * 3600 + minutes * 60 + seconds
        if step < 0:
            raise ValueError("the clock only moves forward; use set() to go back")
        with self._lock:
            if self._pinned is not None:
                self._pinned += step
            else:
                self._offset += step
        return self._notify()

    def set(self, when: float | datetime) -> float:
        """Pin the clock at ``when`` (epoch seconds or an aware datetime); it then stands still."""
        value = when.timestamp() if isinstance(when, datetime) else float(when)
        with self._lock:
            self._pinned = value
        return self._notify()

    def resume(self) -> None:
        """Let a pinned clock run again from where it stands."""
        with self._lock:
            if self._pinned is not None:
                self._offset = self._pinned - self._source()
                self._pinned = None

    @property
    def pinned(self) -> bool:
        """Whether the clock stands still (``set``, until ``resume``)."""
        return self._pinned is not None

    @property
    def setting(self) -> tuple[float, float | None]:
        """(offset from the source, pinned time or None): all a restart needs to give the same now."""
        with self._lock:
            return self._offset, self._pinned

    def restore(self, offset: float, pinned: float | None) -> None:
        """Take up a ``setting`` saved earlier (a data dir's clock), without telling the listeners."""
        with self._lock:
            self._offset, self._pinned = float(offset), None if pinned is None else float(pinned)

    def on_change(self, listener: Callable[[float], None]) -> None:
        """Call ``listener(now)`` after every ``advance``/``set`` (scans, lifecycle)."""
        self._listeners.append(listener)

    def _notify(self) -> float:
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        return now
