"""What the control API's server (``fake_ecr.surfaces.control``) and its client (the ``fake-ecr`` control
subcommands) share: the prefix of its routes, and the reading of the values a request carries: durations,
times and image references (docs/control-api.md).

Owns only text in, values out.  Imports the standard library alone, so that ``fake-ecr status`` and the
other control subcommands start without the library (the state, the server, werkzeug, botocore).
"""

from __future__ import annotations

import math
import re
from datetime import datetime

#: Every control route starts here (``fake_ecr.surfaces.control`` says why it can't collide).
PREFIX = "/_fake-ecr/"
#: A duration: a number of seconds, or amounts with units, largest first (``1d12h``, ``90m``, ``1.5h``).
_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)w)?(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?"
    r"(?:(\d+(?:\.\d+)?)s)?"
)
_UNIT_SECONDS = (7 * 86400, 86400, 3600, 60, 1)


def parse_duration(text: str) -> float:
    """Seconds in ``12h``, ``1d12h``, ``90m``, ``30s``, ``1w`` or a plain number of seconds; ``ValueError`` else."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        match = _DURATION.fullmatch(text)
        if not text or match is None:
            raise ValueError(f"{text!r} is no duration: write seconds, or e.g. 12h, 1d12h, 90m, 30s") from None
        seconds = sum(
            float(amount) * unit for amount, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if amount
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is no duration: the clock only moves forward (set it to go back)")
    return seconds


def parse_time(text: str) -> float:
    """Epoch seconds of an ISO 8601 time with a zone (``2024-01-01T00:00:00Z``); ``ValueError`` else."""
    try:
        # Python 3.10's fromisoformat does not read "Z".
        when = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text.strip()))
    except ValueError:
        raise ValueError(f"{text!r} is no ISO 8601 time: write e.g. 2024-01-01T00:00:00Z") from None
    if when.tzinfo is None:
        raise ValueError(f"{text!r} names no time zone: add Z (UTC) or an offset such as +02:00")
    return when.timestamp()


def split_reference(reference: str) -> tuple[str, str | None, str | None]:
    """``repo:tag`` -> (repository name, tag, None); ``repo@sha256:...`` -> (repository name, None, digest);
    ``ValueError`` for anything else."""
    name, at, digest = reference.partition("@")
    if at:
        return name, None, digest
    name, colon, tag = reference.rpartition(":")
    if not colon or not name or "/" in tag:
        raise ValueError(f"{reference!r} names no image: use 'repository:tag' or 'repository@sha256:<hex>'")
    return name, tag, None
