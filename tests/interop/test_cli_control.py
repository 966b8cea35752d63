"""The ``fake-ecr`` control subcommands as a shell runs them, against a running server.

Each command runs as ``python -m fake_ecr.surfaces.cli`` in a subprocess, pointed at the fixture's server
(``--endpoint`` or ``FAKE_ECR_ENDPOINT``); what it did is checked through the fixture's handle and boto3.
Exit status 0 with a line for a person (``--json``: the server's JSON), 1 with one line when the server
says no or nothing answers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr

FINDING = {"name": "CVE-2024-0001", "severity": "CRITICAL", "package_name": "openssl", "package_version": "3.0.11-1"}
KEEP_NEWEST = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        }
    ]
}


def fake_ecr_command(
    fake: FakeEcr | None, *args: str, endpoint: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``fake-ecr ARGS`` with FAKE_ECR_ENDPOINT naming ``fake``'s server (or ``endpoint``)."""
    if endpoint is None:
        assert fake is not None and fake.server is not None
        endpoint = fake.server.endpoint
    env = {**os.environ, "FAKE_ECR_ENDPOINT": endpoint}
    command = [sys.executable, "-m", "fake_ecr.surfaces.cli", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    return done.stdout.splitlines()


def seed(fake: FakeEcr, tags: tuple[str, ...] = ("v1",), **options: Any) -> Any:
    ecr = fake.client()
    ecr.create_repository(repositoryName="app", **options)
    for tag in tags:
        fake.push(f"app:{tag}", fake.image(files={"tag": tag}))
    return ecr


def test_clock_advance_set_resume_and_show(fake_ecr: FakeEcr) -> None:
    before = fake_ecr.clock.now()

    [advanced] = ok(fake_ecr_command(fake_ecr, "clock", "advance", "12h"))

    assert advanced.endswith("(running, 12h ahead of this machine's time)")
    assert fake_ecr.clock.now() - before >= 12 * 3600
    assert ok(fake_ecr_command(fake_ecr, "clock", "set", "2024-01-01T00:00:00Z")) == [
        "2024-01-01T00:00:00Z (stopped: `fake-ecr clock resume` lets it run)"
    ]
    assert fake_ecr.clock.now() == 1704067200.0
    ok(fake_ecr_command(fake_ecr, "clock", "resume"))
    shown = json.loads("\n".join(ok(fake_ecr_command(fake_ecr, "clock", "--json"))))
    assert shown["running"] is True
    assert shown["now"].startswith("2024-01-01T00:00:")


def test_reset_of_one_account_and_region(fake_ecr: FakeEcr) -> None:
    fake_ecr.registry("111122223333", "eu-west-1").create_repository("app")
    fake_ecr.registry().create_repository("app")

    lines = ok(fake_ecr_command(fake_ecr, "reset", "--account", "111122223333", "--region", "eu-west-1"))

    assert lines == ["reset: the registries of account 111122223333 in eu-west-1 hold nothing now"]
    assert [(r.registry_id, r.region) for r in fake_ecr.backend.registries()] == [("123456789012", "us-east-1")]


def test_reset_empties_the_fake(fake_ecr: FakeEcr) -> None:
    ecr = seed(fake_ecr)

    assert ok(fake_ecr_command(fake_ecr, "reset")) == [
        "reset: the fake holds nothing now (its settings and clock stay)"
    ]

    assert ecr.describe_repositories()["repositories"] == []


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_findings_set_from_a_file(fake_ecr: FakeEcr, tmp_path: Path, source: str) -> None:
    ecr = seed(fake_ecr, imageScanningConfiguration={"scanOnPush": True})
    path = tmp_path / "findings.json"
    path.write_text(json.dumps([FINDING]))
    digest = ecr.list_images(repositoryName="app")["imageIds"][0]["imageDigest"]

    if source == "file":
        done = fake_ecr_command(fake_ecr, "findings", "set", "app:v1", str(path))
    else:
        done = fake_ecr_command(fake_ecr, "findings", "set", "app:v1", "-", stdin=path.read_text())

    assert ok(done) == [f"app:v1: 1 finding set (image {digest})"]
    scan = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert [f["name"] for f in scan["imageScanFindings"]["findings"]] == ["CVE-2024-0001"]


@pytest.mark.fake_ecr(scan_delay=3600)
def test_scans_complete(fake_ecr: FakeEcr) -> None:
    ecr = seed(fake_ecr, imageScanningConfiguration={"scanOnPush": True})

    assert ok(fake_ecr_command(fake_ecr, "scans", "complete")) == ["1 scan completed"]

    status = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})["imageScanStatus"]
    assert status["status"] != "IN_PROGRESS"


def test_lifecycle_run(fake_ecr: FakeEcr) -> None:
    ecr = seed(fake_ecr, tags=("v1", "v2"))
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(KEEP_NEWEST))
    expired = ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "v1"}])["imageDetails"][0]

    lines = ok(fake_ecr_command(fake_ecr, "lifecycle", "run"))

    assert lines == [
        "lifecycle policies applied in account 123456789012 in us-east-1:",
        "  app: 1 expired, 0 archived",
        f"    expired {expired['imageDigest'][:19]} (v1)",
    ]
    assert [i["imageTag"] for i in ecr.list_images(repositoryName="app")["imageIds"]] == ["v2"]


def test_status_for_a_person_and_as_json(fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(1704067200.0)
    ecr = seed(fake_ecr)
    digest = ecr.list_images(repositoryName="app")["imageIds"][0]["imageDigest"]
    upload = fake_ecr.registry().start_upload("app")

    lines = ok(fake_ecr_command(fake_ecr, "status"))
    state = json.loads(fake_ecr_command(fake_ecr, "status", "--json").stdout)

    assert fake_ecr.server is not None
    assert lines[0] == f"fake-ecr 0.1.0 at {fake_ecr.server.endpoint}, account 123456789012, region us-east-1"
    assert lines[1] == "clock 2024-01-01T00:00:00Z (stopped: `fake-ecr clock resume` lets it run)"
    assert lines[2].startswith("registry 123456789012 in us-east-1 at ")
    assert lines[3] == "  app: 1 image"
    assert lines[4].startswith(f"    {digest[:19]} (v1) ")
    assert lines[5] == f"    upload {upload.upload_id} in progress: 0 B since 2024-01-01T00:00:00Z"
    [registry] = state["registries"]
    assert [image["digest"] for image in registry["repositories"][0]["images"]] == [digest]


def test_status_shows_ecr_public_registries_after_the_private_ones(fake_ecr: FakeEcr) -> None:
    ecr_public = fake_ecr.client("ecr-public", region_name="us-east-1")
    ecr_public.create_repository(repositoryName="tools/hello", catalogData={"description": "Says hello"})
    alias = ecr_public.describe_registries()["registries"][0]["aliases"][0]["name"]

    lines = ok(fake_ecr_command(fake_ecr, "status"))

    assert "no registries yet" not in "\n".join(lines)
    assert lines[2] == f"public registry 123456789012, alias {alias} at public.ecr.aws/{alias}: 1 repository"
    assert lines[3] == "  tools/hello: 0 images - Says hello"


def test_the_server_saying_no_is_one_line_and_exit_status_1(fake_ecr: FakeEcr, tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text(json.dumps([{**FINDING, "severity": "DIRE"}]))

    done = fake_ecr_command(fake_ecr, "findings", "set", "app:v1", str(path))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("fake-ecr: finding 'CVE-2024-0001': severity must be one of")
    assert done.stderr.count("\n") == 1


def closed_endpoint() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{unused.getsockname()[1]}"


def test_nothing_answering_is_one_line_and_exit_status_1() -> None:
    endpoint = closed_endpoint()

    done = fake_ecr_command(None, "status", endpoint=endpoint)

    assert done.returncode == 1
    assert done.stderr == (
        f"fake-ecr: nothing answers at {endpoint}: start `fake-ecr serve`, or name its address with --endpoint "
        "or FAKE_ECR_ENDPOINT\n"
    )


def test_endpoint_flag_wins_over_the_variable(fake_ecr: FakeEcr) -> None:
    assert fake_ecr.server is not None

    done = fake_ecr_command(
        None, "clock", "--endpoint", fake_ecr.server.endpoint, "--json", endpoint="http://127.0.0.1:9"
    )

    assert json.loads("\n".join(ok(done)))["running"] is True


#: What a fake is made of.  A command that loads it takes about a second to start, as ``serve`` does.
LIBRARY = ("fake_ecr.model", "fake_ecr.surfaces.control", "fake_ecr.surfaces.server", "fake_ecr.surfaces.handle")


@pytest.mark.parametrize(
    ("args", "status", "not_loaded"),
    [
        pytest.param(("--help",), 0, (*LIBRARY, "requests"), id="help"),
        pytest.param(("status", "--help"), 0, (*LIBRARY, "requests"), id="status-help"),
        pytest.param(("status",), 1, LIBRARY, id="status"),
        pytest.param(("clock", "advance", "12h"), 1, LIBRARY, id="clock-advance"),
        pytest.param(("findings", "set", "app:v1"), 1, LIBRARY, id="findings-set"),
    ],
)
def test_help_and_the_control_subcommands_start_without_the_library(
    args: tuple[str, ...], status: int, not_loaded: tuple[str, ...]
) -> None:
    env = {**os.environ, "FAKE_ECR_ENDPOINT": closed_endpoint()}
    command = [sys.executable, "-X", "importtime", "-m", "fake_ecr.surfaces.cli", *args]

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    # -X importtime writes a line to stderr for each module the command loaded: "import time: ... | <name>".
    loaded = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert done.returncode == status, done.stderr
    assert "fake_ecr.surfaces.cli" in loaded
    assert sorted(name for name in loaded if name.startswith(tuple(f"{module}." for module in not_loaded))) == []
    assert sorted(loaded & set(not_loaded)) == []
