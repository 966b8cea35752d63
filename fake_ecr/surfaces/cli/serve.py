"""``fake-ecr serve``: a fake as a local service, ECR's API, its registry and the control API on one port.

Owns the serve loop: the settings a data dir kept (flags and variables given now win), the banner with the
environment clients need, and the stop: SIGINT or SIGTERM end it cleanly, a closed stdout is no error.

Imported only when ``serve`` runs (``fake_ecr.surfaces.cli.main``): it may import the whole library, never
pytest; nothing else in the command line imports it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from fake_ecr import __version__
from fake_ecr.formats.control_api import PREFIX
from fake_ecr.model.store import StoreError
from fake_ecr.surfaces import persistence
from fake_ecr.surfaces.cli.options import ENDPOINT_VARIABLE, settings_of
from fake_ecr.surfaces.cli.output import say
from fake_ecr.surfaces.handle import FakeEcr
from fake_ecr.surfaces.server import FakeServer

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _StopRequested(Exception):
    """Raised in the main thread by SIGINT or SIGTERM to end ``serve``."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    # One stop is enough: a second Ctrl+C while the server closes must not interrupt the closing.
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise _StopRequested(signal.Signals(signum).name)


def run(options: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; the exit status (1: the data dir or the address can't be used)."""
    settings = settings_of(options)
    if settings.data_dir is not None:
        # A data dir keeps the settings it was last served with; flags and variables given now win.
        try:
            settings = settings_of(options, persistence.prepare_serve(settings.data_dir))
        except (StoreError, OSError) as error:
            print(f"fake-ecr: --data-dir {settings.data_dir}: {error}", file=sys.stderr)
            return 1
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    # Handlers first: a client that reads the banner may signal at once, and so may a user at startup.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    server: FakeServer | None = None
    fake: FakeEcr | None = None
    try:
        try:
            server = FakeServer.for_settings(settings, options.host, options.port)
        except (OSError, ImportError) as error:
            # werkzeug has printed why (and a hint when the port is taken); say which address it was.
            print(f"fake-ecr: {error}", file=sys.stderr)
            return 1
        try:
            fake = FakeEcr(settings, server=server).start()
        except StoreError as error:
            print(f"fake-ecr: --data-dir {settings.data_dir}: {error}", file=sys.stderr)
            return 1
        exports = {**fake.env, ENDPOINT_VARIABLE: server.endpoint}
        say(
            f"fake-ecr {__version__} serving Amazon ECR's API and registry at {server.endpoint}",
            f"account {settings.account_id}, region {settings.region}; stop with Ctrl+C (SIGINT) or SIGTERM",
            f"control API at {server.endpoint}{PREFIX} (fake-ecr status, clock, reset, findings, scans, ...)",
            *([f"state kept in {settings.data_dir} across restarts"] if settings.data_dir is not None else []),
            "Point the AWS CLI and SDKs at it:",
            *(f"  export {name}={value}" for name, value in sorted(exports.items())),
        )
        threading.Event().wait()  # until a signal handler raises _StopRequested
    except _StopRequested as stop:
        say(f"fake-ecr: {stop}, stopped")
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if fake is not None:
            fake.stop()
        if server is not None:
            # Requests still being answered (an upload streaming in) end with the process: their threads
            # are daemons, and the sockets close with it.
            server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
