"""Settings of one fake: which account and region calls default to, and switches.

Owns the ``Settings`` value object and its defaults.  Settings are immutable;
a test that wants others makes a new object (``dataclasses.replace`` or
``Settings(...)``).  Must not import anything from fake_ecr.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Settings:
    """How a fake ECR behaves where a test may want to choose.

    - ``account_id``/``region``: the caller's account, and the region used when a
      request names none (moto's defaults, so tests move over unchanged).
    - ``registry_auth``: the registry demands ECR's Basic credentials (§4.1).
    - ``tls``: the server speaks HTTPS with a throwaway CA.
    - ``uri_style``: ``"auto"`` names repositories by the running server's
      address when there is one, else by ECR's host; ``"aws"`` always by ECR's host.
    - ``scan_delay``: seconds on the fake's clock from scan start to a result.
    - ``lifecycle_on_clock``: apply lifecycle policies when the clock passes the
      next evaluation (every 24 h), not only on ``run_lifecycle()``.
    - ``lifecycle_preview_delay``: seconds on the fake's clock from a lifecycle
      policy preview's start to its result (0: complete at the first look).
    - ``restore_delay``: seconds on the fake's clock an archived image stays
      ACTIVATING after UpdateImageStorageClass(STANDARD) (0: ACTIVE at the first look).
    - ``replication_backfill_delay``: seconds on the fake's clock from a replication
      backfill's start to its end; its replications are due one after another, evenly
      spread over it (0: all carried out at the start).
    - ``scan_size_limit``: images larger than this many bytes (``imageSizeInBytes``)
      are not scanned; their scans end ``IMAGE_SIZE_EXCEEDED``.  ``None``: no limit
      (ECR documents no figure).
    - ``check_responses``: check every control-plane response against botocore's
      output shape and fail loudly on a mismatch (fake-ecr's own test suite does).
    - ``vulnerability_table``: path of a vulnerability table for findings read
      from images; ``None`` uses the example table shipped with fake-ecr.
    """

    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    registry_auth: bool = True
    tls: bool = False
    uri_style: Literal["auto", "aws"] = "auto"
    scan_delay: float = 0.0
    lifecycle_on_clock: bool = False
    lifecycle_preview_delay: float = 0.0
    restore_delay: float = 0.0
    replication_backfill_delay: float = 0.0
    scan_size_limit: int | None = None
    vulnerability_table: str | None = None
    check_responses: bool = False
