"""``fake-ecr serve --data-dir`` as a user runs it: a demo across a restart, and a restart after ``kill -9``.

The demo is a shell script (data_dir_demo.sh) using the AWS CLI, skopeo and the ``fake-ecr`` control
subcommands; the crash test kills the server with SIGKILL while a large blob streams in over HTTP.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fake_ecr import client, images
from fake_ecr.images import write_oci_layout

from interop.clients import require_program

pytestmark = pytest.mark.interop

SCRIPT = Path(__file__).with_name("data_dir_demo.sh")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_demo_survives_a_restart(tmp_path: Path) -> None:
    for program in ("skopeo", "aws", "jq"):
        require_program(program)
    assert shutil.which("fake-ecr"), "install fake-ecr's console script: pip install -e ."
    layout = tmp_path / "layout"
    built = {tag: images.image(files={"app": tag}, format="oci") for tag in ("v1", "v2")}
    write_oci_layout(layout, list(built.items()))

    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path), str(free_port()), str(layout)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr + _log(tmp_path)
    # What the script says of each step, among what the fake-ecr subcommands print.
    said = [line for line in done.stdout.splitlines() if line in DEMO_STEPS]
    assert said == DEMO_STEPS


#: What data_dir_demo.sh says of each of its steps, in order.
DEMO_STEPS = [
    "pushed v1 and v2 with skopeo",
    "stopped with SIGTERM",
    "images as they were: v2",
    "findings as they were: CVE-2024-0001",
    "clock still 2 days ahead",
    "status:   demo/app: 1 image, scan on push, lifecycle policy",
    "pulled v2 with the login from before the restart",
    "settings kept: a new push's scan waits for the scan delay",
    "demo state intact after restart",
]


def _log(work: Path) -> str:
    log = work / "serve.log"
    return log.read_text() if log.exists() else ""


class Served:
    """``fake-ecr serve --data-dir`` in a subprocess, on a port of its own."""

    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                ["fake-ecr", "serve", "--data-dir", str(data_dir), "--port", str(port), "--no-registry-auth"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.endpoint}/_fake-ecr/health", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.process.kill()
        raise AssertionError("fake-ecr serve did not start")

    def api(self, operation: str, **body: object) -> dict[str, object]:
        answer = requests.post(
            self.endpoint,
            json=body,
            headers={
                "X-Amz-Target": f"AmazonEC2ContainerRegistry_V20150921.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
            },
            timeout=30,
        )
        answer.raise_for_status()
        result: dict[str, object] = answer.json()
        return result


def test_a_restart_after_kill_9_mid_push_comes_up_clean(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    first = Served(data_dir, port, tmp_path / "first.log")
    first.api("CreateRepository", repositoryName="app")
    small = images.image(files={"app": "v1"})
    with client.RegistrySession(first.endpoint) as session:
        client.push(session, "app", "v1", small)
        start = session.post(f"{first.endpoint}/v2/app/blobs/uploads/")
        location = start.headers["Location"]

        def slowly() -> Iterator[bytes]:  # a large layer that is still streaming in when the server dies
            for _ in range(256):
                yield os.urandom(1024 * 1024)
                time.sleep(0.01)

        def kill_soon() -> None:
            time.sleep(0.5)
            first.process.send_signal(signal.SIGKILL)

        threading.Thread(target=kill_soon).start()
        with pytest.raises(requests.RequestException):
            session.patch(f"{first.endpoint}{location}" if location.startswith("/") else location, data=slowly())
    first.process.wait(timeout=10)
    assert first.process.returncode == -signal.SIGKILL

    again = Served(data_dir, port, tmp_path / "again.log")
    try:
        images_there = again.api("DescribeImages", repositoryName="app")["imageDetails"]
        assert [image["imageTags"] for image in images_there] == [["v1"]]  # type: ignore[index]
        with client.RegistrySession(again.endpoint) as session:
            assert client.pull(session, "app", "v1").digest == small.digest
            client.push(session, "app", "v2", images.image(files={"big": os.urandom(8 * 1024 * 1024)}))
        assert os.listdir(data_dir / "blobs" / "tmp") == []
    finally:
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(timeout=20)
    assert again.process.returncode == 0
    assert "Traceback" not in again.log.read_text()
