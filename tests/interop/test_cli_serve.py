"""The ``fake-ecr`` command as a user runs it: ``serve`` in the background, ``demo`` in a terminal.

``serve`` is started as a subprocess; the test reads the endpoint and environment it prints, calls it
with boto3 configured from those lines alone, and stops it with a signal.  ``demo`` runs to the end.
"""

from __future__ import annotations

import contextlib
import os
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
import requests

from fake_ecr import client, images
from fake_ecr.surfaces import cli
from fake_ecr.surfaces.cli import demo as cli_demo

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
    steps = len(cli_demo.DEMO_STEPS)
    for number, step in enumerate(cli_demo.DEMO_STEPS, start=1):
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
    def fail(demo: cli_demo.Demo) -> list[str]:
        raise cli_demo.DemoStepFailed("the repository is not listed")

    first, last = cli_demo.DEMO_STEPS[0], cli_demo.DEMO_STEPS[-1]
    failing = cli_demo.DemoStep("Look for something that is not there", ("aws ecr describe-repositories",), fail)
    monkeypatch.setattr(cli_demo, "DEMO_STEPS", [first, failing, last])

    status = cli.main(["demo"])

    out = capsys.readouterr().out
    assert status == 1
    assert "[2/3] Look for something that is not there\n" in out
    assert "  FAILED: DemoStepFailed: the repository is not listed\n" in out
    assert "[3/3]" not in out
    assert out.endswith("step 2 of 3 failed\n")


def _endpoint_of(lines: queue.Queue[str | None]) -> str:
    """The endpoint the banner's first line names."""
    first = lines.get(timeout=STARTUP_TIMEOUT)
    assert first is not None
    match = re.search(r"at (http://127\.0\.0\.1:\d+)$", first.strip())
    assert match is not None, first
    return match.group(1)


def test_serve_takes_settings_from_flags_and_variables(fake_ecr_command: str) -> None:
    env = {**os.environ, "FAKE_ECR_REGISTRY_AUTH": "false", "FAKE_ECR_SCAN_DELAY": "30"}
    command = [fake_ecr_command, "serve", "--port", "0", "--account-id", ACCOUNT, "--scan-delay", "60"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        endpoint = _endpoint_of(_lines(process.stdout))
        # The variable turned the registry's auth off: no challenge.
        assert requests.get(f"{endpoint}/v2/", timeout=30).status_code == 200
        health = requests.get(f"{endpoint}/_fake-ecr/health", timeout=30).json()
        assert health["account_id"] == ACCOUNT
        ecr: Any = boto3.client(
            "ecr", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        ecr.create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
        image = images.image(files={"app.txt": "v1"})
        client.push(endpoint, "app", "v1", image)
        requests.post(f"{endpoint}/_fake-ecr/clock/advance", json={"by": 45}, timeout=30).raise_for_status()
        # The flag (60 s) won over the variable (30 s): 45 s on, the scan still runs.
        scan = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
        assert scan["imageScanStatus"]["status"] == "IN_PROGRESS"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STARTUP_TIMEOUT) == 0


@pytest.mark.parametrize(
    "stop_signal", [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]
)
def test_serve_piped_into_head_keeps_serving_and_stops_quietly(
    fake_ecr_command: str, stop_signal: signal.Signals
) -> None:
    # `fake-ecr serve | head -1`: head takes the first line and exits; the server keeps serving, and
    # when it stops, its last line meets the closed pipe: no traceback, exit status 0.
    serve = subprocess.Popen(
        [fake_ecr_command, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        head = subprocess.Popen(["head", "-1"], stdin=serve.stdout, stdout=subprocess.PIPE, text=True)
        assert serve.stdout is not None
        serve.stdout.close()  # head holds the pipe's reading end alone
        first, _ = head.communicate(timeout=STARTUP_TIMEOUT)
        endpoint = re.search(r"at (http://127\.0\.0\.1:\d+)$", first.strip())
        assert endpoint is not None, first
        assert requests.get(f"{endpoint.group(1)}/_fake-ecr/health", timeout=30).json()["status"] == "ok"

        serve.send_signal(stop_signal)
        status = serve.wait(timeout=STARTUP_TIMEOUT)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=STARTUP_TIMEOUT)
    assert serve.stderr is not None
    assert serve.stderr.read() == ""
    assert status == 0


@pytest.mark.parametrize(
    "stop_signal", [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]
)
def test_serve_stops_cleanly_with_an_upload_in_flight(fake_ecr_command: str, stop_signal: signal.Signals) -> None:
    env = {**os.environ, "FAKE_ECR_REGISTRY_AUTH": "false"}
    command = [fake_ecr_command, "serve", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = _lines(process.stdout)
        endpoint = _endpoint_of(lines)
        ecr: Any = boto3.client(
            "ecr", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        ecr.create_repository(repositoryName="app")
        started = requests.post(f"{endpoint}/v2/app/blobs/uploads/", timeout=30)
        assert started.status_code == 202
        host, port = endpoint.removeprefix("http://").split(":")
        # A PATCH whose chunked body stops after its first chunk: the upload is in flight.
        with socket.create_connection((host, int(port)), timeout=STARTUP_TIMEOUT) as upload:
            upload.sendall(
                f"PATCH {started.headers['Location']} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
                + b"400\r\n"
                + b"x" * 1024
                + b"\r\n"
            )
            status = requests.get(f"{endpoint}/_fake-ecr/state", timeout=30).json()
            [uploads] = [repository["uploads"] for repository in status["registries"][0]["repositories"]]
            assert [u["bytes"] for u in uploads] in ([0], [1024])  # the chunk may still be on its way

            process.send_signal(stop_signal)
            assert process.wait(timeout=STARTUP_TIMEOUT) == 0
            # The connection ends with the server: no answer, and no hang.
            with contextlib.suppress(ConnectionResetError):  # a reset ends it as well as a close
                assert upload.recv(1024) == b""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STARTUP_TIMEOUT)
    assert process.stderr is not None
    assert process.stderr.read() == ""
    assert "".join(iter(lines.get, None)).endswith(f"fake-ecr: {stop_signal.name}, stopped\n")
