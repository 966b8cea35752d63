"""Settings of one fake: which account and region calls default to, and switches.

Owns the ``Settings`` value object and its defaults.  Settings are immutable;
a test that wants others makes a new object (``dataclasses.replace`` or
``Settings(...)``).  Must not import anything from fake_ecr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
#: Registries one fake holds (and extra ports a server opens): room for a few accounts in many regions,
#: far below a 1,024 open-file limit (each extra port is a socket and a thread).
DEFAULT_MAX_REGISTRIES = 64
#: Connections a server holds open (and as many again lingering after a refusal): together below a 1,024
#: open-file limit, far above what a test suite opens.
DEFAULT_MAX_CONNECTIONS = 256
#: Requests answered at once, a thread each (skopeo and docker push 3-6 layers in parallel per client).
DEFAULT_MAX_REQUEST_THREADS = 64
#: Seconds for a whole request head: a client on this machine sends one in microseconds.
DEFAULT_HEADER_TIMEOUT = 10.0
#: Seconds without progress on a body or a response (a client that stopped sending, or never reads).
DEFAULT_IDLE_TIMEOUT = 60.0
#: Upload bytes in memory over every upload of a fake (each upload also spills past 4 MiB of its own).
DEFAULT_UPLOAD_MEMORY_LIMIT = 64 * 1024 * 1024
#: Upload bytes in progress, memory and temporary files together: a few large layers pushed at once.
DEFAULT_UPLOAD_SPACE_LIMIT = 8 * 1024 * 1024 * 1024
#: Real seconds an upload may sit without a chunk (distribution purges after a week; tests never pause this long).
DEFAULT_UPLOAD_IDLE_TIMEOUT = 600.0
#: Uploads in progress that may each hold a temporary file (an open file descriptor): well under the 1,024
#: descriptors a process gets by default, which stored blobs and connections need too.
DEFAULT_UPLOAD_FILES_LIMIT = 256


def environment_region() -> str:
    """The region a boto3 client made without one uses, so the fake's default meets it.

    ``AWS_DEFAULT_REGION`` (the only variable botocore reads), else ``AWS_REGION`` (the AWS CLI
    v2's and other SDKs'), else ``us-east-1``.
    """
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION


@dataclass(frozen=True)
class Settings:
    """How a fake ECR behaves where a test may want to choose.

    - ``account_id``: the caller's account (moto's default, so tests move over unchanged).
    - ``region``: the region used when a request names none (moto's default).  Unless
      given, the environment's (``environment_region``: AWS_DEFAULT_REGION, else AWS_REGION,
      else us-east-1), read when the Settings are made, so boto3 clients made without a
      region meet the fake.
    - ``registry_auth``: the registry demands ECR's Basic credentials (docs/behaviour/auth.md#registry-credentials).
    - ``tls``: the server speaks HTTPS with a throwaway CA.
    - ``registry_addresses``: what ``repositoryUri`` and ``proxyEndpoint`` name.
      ``"ecr"``: ECR's own hosts (``<account>.dkr.ecr.<region>.amazonaws.com``),
      reached in-process through ``requests`` and, by subprocesses, through the
      running server as their HTTPS proxy (``env``'s ``HTTPS_PROXY``).
      ``"local"``: the running server's ``127.0.0.1:PORT`` addresses, for what
      can't use a proxy (a Docker daemon); ECR's hosts while no server runs.
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
    - ``enforce_policies``: evaluate repository and registry policies for the
      caller (``fake_ecr.model.policy_evaluation``) and refuse what they don't allow;
      off, they are stored and checked but grant and deny nothing.
    - ``allow_missing_layers``: PutImage stores a manifest whose blobs were never
      uploaded, as moto does, instead of refusing it (LayersNotFoundException); its
      size is the manifest's, and the registry answers BLOB_UNKNOWN for the missing
      blobs.  Only for suites moving over from moto; the registry's manifest PUT
      still refuses such a manifest.
    - ``max_registries``: how many registries (account and region pairs) one fake
      holds, and how many extra registry ports a server keeps open; one more is
      refused (LimitExceededException; 403 DENIED from the registry).
    - ``data_dir``: a directory that keeps the state across restarts: repositories,
      images, blobs, policies, scans, settings and the clock (docs/server.md#persistence);
      loaded when the fake starts, written after every request that changes it and
      on stop.  ``None``: the state lives in memory only.

    Resource limits (README "Settings"; each refusal names its field):

    - ``max_connections``: connections a server holds open at once, waiting for
      their request's head or being answered; at the limit the oldest one still
      sending its head is closed with 408 to make room for a new one.
    - ``max_request_threads``: requests a server answers at once, one thread
      each; a request whose head arrives beyond that is answered 503.  A
      connection gets its thread only once its head has arrived in full.
    - ``header_timeout``: seconds a connection has to send its whole request
      head (and finish a TLS handshake) before it is closed with 408.
    - ``idle_timeout``: seconds a request may go without a byte of its body
      arriving, or of its response being taken, before its connection is closed.
    - ``upload_memory_limit``: bytes of uploads in progress held in memory, over
      every upload of a fake; past it an upload's bytes go to a temporary file.
    - ``upload_space_limit``: bytes of uploads in progress, in memory and in
      temporary files together; a chunk that would pass it is refused and its
      upload dropped.
    - ``upload_idle_timeout``: real seconds an upload may go without a chunk
      before it is dropped and its bytes freed (also dropped after 24 hours idle
      on the fake's clock).
    - ``upload_files_limit``: uploads in progress that may hold a temporary file
      at once (each keeps a file descriptor open); an upload that would spill to
      one past it is refused and dropped.
    """

    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = field(default_factory=environment_region)
    registry_auth: bool = True
    tls: bool = False
    registry_addresses: Literal["ecr", "local"] = "ecr"
    scan_delay: float = 0.0
    lifecycle_on_clock: bool = False
    lifecycle_preview_delay: float = 0.0
    restore_delay: float = 0.0
    replication_backfill_delay: float = 0.0
    scan_size_limit: int | None = None
    vulnerability_table: str | None = None
    check_responses: bool = False
    enforce_policies: bool = False
    allow_missing_layers: bool = False
    max_registries: int = DEFAULT_MAX_REGISTRIES
    data_dir: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_request_threads: int = DEFAULT_MAX_REQUEST_THREADS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    upload_memory_limit: int = DEFAULT_UPLOAD_MEMORY_LIMIT
    upload_space_limit: int = DEFAULT_UPLOAD_SPACE_LIMIT
    upload_idle_timeout: float = DEFAULT_UPLOAD_IDLE_TIMEOUT
    upload_files_limit: int = DEFAULT_UPLOAD_FILES_LIMIT
