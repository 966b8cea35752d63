"""The ``fake-ecr`` command as a user runs it: ``serve`` in the background, ``demo`` in a terminal.

``serve`` is started as a subprocess; the test reads the endpoint and environment it prints, calls it
with boto3 configured from those lines alone, and stops it with a signal.  ``demo`` runs to the end.
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from typing import IO, Any

import boto3
import pytest

from fake_ecr.surfaces import cli

pytestmark = pytest.mark.interop

ACCOUNT = "111122223333"
REGION = "eu-west-1"
STARTUP_TIMEOUT = 20.0
_EXPORT = re.compile(r"^\s*export (\w+)=(\S*)$")
#: What the banner must export for a client to reach and sign requests to the server, and to log in to
#: its registry (REGISTRY_AUTH_FILE for skopeo and podman, DOCKER_CONFIG for docker and oras).
BANNER_EXPORTS = {
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "REGISTRY_AUTH_FILE",
    "DOCKER_CONFIG",
}


@pytest.fixture(scope="module")
def fake_ecr_command() -> str:
    executable = shutil.which("fake-ecr")
    if executable is None:
        pytest.fail("install fake-ecr's console script: pip install -e .")
    return executable


def _lines(stream: IO[str]) -> queue.Queue[str | None]:
    """The stream's lines as they come (None at end of file), read by a thread so waits can time out."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_exports(lines: queue.Queue[str | None]) -> tuple[list[str], dict[str, str]]:
    """The banner's lines up to its last needed export line, and the variables its lines export."""
    seen: list[str] = []
    exports: dict[str, str] = {}
    while not exports.keys() >= BANNER_EXPORTS:
        line = lines.get(timeout=STARTUP_TIMEOUT)
        if line is None:
            break
        seen.append(line)
        if match := _EXPORT.match(line):
            exports[match.group(1)] = match.group(2)
    return seen, exports


@pytest.fixture
def serve(fake_ecr_command: str) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str | None]]]:
    command = [fake_ecr_command, "serve", "--port", "0", "--account-id", ACCOUNT, "--region", REGION]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process, _lines(process.stdout)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STARTUP_TIMEOUT)


@pytest.mark.parametrize(
    "stop_signal", [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]
)
def test_serve_prints_an_endpoint_boto3_can_use_and_exits_0_on_a_signal(
    serve: tuple[subprocess.Popen[str], queue.Queue[str | None]], stop_signal: signal.Signals
) -> None:
    process, lines = serve
    banner, exports = _read_exports(lines)
    assert exports.keys() >= BANNER_EXPORTS, f"the banner lacks exports: {''.join(banner)}"
    endpoint = exports["AWS_ENDPOINT_URL_ECR"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint)
    assert endpoint in banner[0]

    session = boto3.Session(
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=exports["AWS_SESSION_TOKEN"],
        region_name=exports["AWS_DEFAULT_REGION"],
    )
    ecr: Any = session.client("ecr", endpoint_url=endpoint)
    repository = ecr.create_repository(repositoryName="my-repository")["repository"]
    assert repository["repositoryArn"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/my-repository"
    assert repository["repositoryUri"] == f"{endpoint.removeprefix('http://')}/my-repository"

    process.send_signal(stop_signal)
    status = process.wait(timeout=STARTUP_TIMEOUT)

    assert process.stderr is not None
    stderr = process.stderr.read()
    assert status == 0, stderr
    assert "".join(iter(lines.get, None)) == f"fake-ecr: {stop_signal.name}, stopped\n"
    assert stderr == ""


def test_serve_on_a_port_in_use_exits_1_and_says_why(fake_ecr_command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [fake_ecr_command, "serve", "--port", str(port)]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=STARTUP_TIMEOUT)

    assert done.returncode == 1
    assert f"Port {port} is in use by another program" in done.stderr
    assert done.stderr.endswith(f"fake-ecr: cannot listen on 127.0.0.1:{port}\n")
    assert "Traceback" not in done.stderr


def test_demo_exits_0_and_prints_every_step_with_its_aws_cli_command(fake_ecr_command: str) -> None:
    done = subprocess.run([fake_ecr_command, "demo"], check=False, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stdout + done.stderr
    placeholders = {"repository": "my-repository", "region": "us-east-1", "host": "<host>"}
    steps = len(cli.DEMO_STEPS)
    for number, step in enumerate(cli.DEMO_STEPS, start=1):
        assert f"[{number}/{steps}] {step.title}\n" in done.stdout
        for command in step.commands:
            # The registry's address is the embedded server's, on a port of its choosing.
            line = re.escape(f"  $ {command.format_map(placeholders)}\n").replace("<host>", r"127\.0\.0\.1:\d+")
            assert re.search(line, done.stdout), line
    assert "FAILED" not in done.stdout
    assert done.stdout.endswith(f"all {steps} steps passed\n")


def test_demo_stops_at_a_failing_step_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(demo: cli.Demo) -> list[str]:
        raise cli.DemoStepFailed("the repository is not listed")

    first, last = cli.DEMO_STEPS[0], cli.DEMO_STEPS[-1]
    failing = cli.DemoStep("Look for something that is not there", ("aws ecr describe-repositories",), fail)
    monkeypatch.setattr(cli, "DEMO_STEPS", [first, failing, last])

    status = cli.main(["demo"])

    out = capsys.readouterr().out
    assert status == 1
    assert "[2/3] Look for something that is not there\n" in out
    assert "  FAILED: DemoStepFailed: the repository is not listed\n" in out
    assert "[3/3]" not in out
    assert out.endswith("step 2 of 3 failed\n")
