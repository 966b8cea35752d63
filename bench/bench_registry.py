"""Registry throughput: skopeo pushes and pulls one big image to fake-ecr and to a reference registry.

The image has one incompressible layer (``fake_ecr.images.random_layer_image``, 512 MiB by default),
written once as an OCI image layout in /tmp.  In every round each side gets a fresh server: fake-ecr as
``fake-ecr serve`` in a subprocess (so its memory is its own), the reference as CNCF distribution (Debian
``docker-registry``) with a config written here, storing in /tmp.  skopeo pushes the layout to it and pulls
it back into a new layout; the rounds alternate which side goes first, so a change in machine load hits
both alike.  Prints the median throughput on each side, the ratio fake-ecr / reference with its target,
and fake-ecr's peak RSS during the push above its idle RSS; exits 1 when a target is missed.

    python bench/bench_registry.py              # 512 MiB, 3 rounds
    python bench/bench_registry.py --size 64    # a quick run
    python bench/bench_registry.py --data-dir   # also fake-ecr serve --data-dir, against itself in memory

With ``--data-dir`` a third side is ``fake-ecr serve --data-dir`` (a fresh data dir in /tmp each round,
docs/server.md#persistence); its push and pull are printed against the in-memory server's of the same run.

Compare only within one run (docs/behaviour/clients.md "Measuring against the reference").
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import boto3

from fake_ecr import images

MIB = 1024 * 1024
REPOSITORY = "bench"
TAG = "latest"
STARTUP_TIMEOUT = 20.0
#: skopeo copies of this size take seconds; a copy that takes this long has hung.
COPY_TIMEOUT = 600.0
#: Throughput targets, fake-ecr / reference (at least), and the memory budget above idle (at most).
THROUGHPUT_TARGET = 1.0
RSS_BUDGET_MIB = 150.0
#: What to install when a program is missing (Debian package names).
REQUIRED_PROGRAMS = {"skopeo": "apt-get install skopeo", "docker-registry": "apt-get install docker-registry"}


@dataclass
class RunningRegistry:
    """A registry serving in a subprocess: where it listens and the auth file skopeo uses for it."""

    host: str
    auth_file: Path
    process: subprocess.Popen[str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_auth_file(path: Path, host: str, password: str | None) -> Path:
    # containers-auth.json(5): the file skopeo reads with --authfile; no entry means anonymous.
    auths = {} if password is None else {host: {"auth": base64.b64encode(f"AWS:{password}".encode()).decode()}}
    path.write_text(json.dumps({"auths": auths}))
    return path


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STARTUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _banner_exports(stdout: IO[str]) -> dict[str, str]:
    """The ``export NAME=value`` lines ``fake-ecr serve`` prints, up to the last one it needs."""
    exports: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while "AWS_SESSION_TOKEN" not in exports and time.monotonic() < deadline:
        line = stdout.readline()
        if not line:
            break
        words = line.split()
        if len(words) == 2 and words[0] == "export":
            name, _, value = words[1].partition("=")
            exports[name] = value
    return exports


@contextmanager
def _server_process(command: list[str], log: Path, *, pipe_stdout: bool) -> Iterator[subprocess.Popen[str]]:
    """A server in a subprocess writing to ``log`` (stdout too, unless piped), stopped at the end."""
    with log.open("w") as output:
        stdout = subprocess.PIPE if pipe_stdout else output
        process = subprocess.Popen(command, stdout=stdout, stderr=output, text=True)
        try:
            yield process
        finally:
            _stop(process)


def _failed_start(what: str, process: subprocess.Popen[str], log: Path) -> RuntimeError:
    return RuntimeError(f"{what} (exit status {process.poll()}); its output: {log.read_text().strip()}")


@contextmanager
def fake_ecr_registry(workdir: Path, *, data_dir: bool = False) -> Iterator[RunningRegistry]:
    """``fake-ecr serve`` on a free port, holding the benchmark's repository; credentials from its API.

    ``data_dir``: with ``--data-dir`` (a new one under ``workdir``)."""
    command = [sys.executable, "-m", "fake_ecr.surfaces.cli", "serve", "--port", "0"]
    if data_dir:
        command += ["--data-dir", tempfile.mkdtemp(prefix="data-", dir=workdir)]
    log = workdir / "fake-ecr.log"
    with _server_process(command, log, pipe_stdout=True) as process:
        assert process.stdout is not None
        exports = _banner_exports(process.stdout)
        if "AWS_ENDPOINT_URL_ECR" not in exports:
            raise _failed_start("fake-ecr serve printed no endpoint", process, log)
        ecr = boto3.client(
            "ecr",
            endpoint_url=exports["AWS_ENDPOINT_URL_ECR"],
            region_name=exports["AWS_DEFAULT_REGION"],
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=exports["AWS_SESSION_TOKEN"],
        )
        ecr.create_repository(repositoryName=REPOSITORY)
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        password = base64.b64decode(token).decode().partition(":")[2]
        host = exports["AWS_ENDPOINT_URL_ECR"].removeprefix("http://")
        yield RunningRegistry(host, _write_auth_file(workdir / "fake-ecr-auth.json", host, password), process)


def _wait_until_serving(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise _failed_start(f"the reference registry did not answer {url}", process, log)


@contextmanager
def reference_registry(workdir: Path) -> Iterator[RunningRegistry]:
    """CNCF distribution on a free port of 127.0.0.1, with fresh storage under ``workdir``."""
    port = _free_port()
    storage = workdir / "distribution"
    config = workdir / "distribution.yml"
    # distribution's configuration is YAML, of which JSON is a subset.
    settings = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    config.write_text(json.dumps(settings))
    log = workdir / "reference.log"
    try:
        with _server_process(["docker-registry", "serve", str(config)], log, pipe_stdout=False) as process:
            _wait_until_serving(f"http://127.0.0.1:{port}/v2/", process, log)
            host = f"127.0.0.1:{port}"
            yield RunningRegistry(host, _write_auth_file(workdir / "reference-auth.json", host, None), process)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


Side = Callable[[Path], AbstractContextManager[RunningRegistry]]
SIDES: Mapping[str, Side] = {"fake-ecr": fake_ecr_registry, "reference": reference_registry}
DATA_DIR_SIDE = "fake-ecr --data-dir"


def _proc_status_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field_name}")


@dataclass(frozen=True)
class Copy:
    """One ``skopeo copy``: its wall time, and the CPU time skopeo and the server spent on it."""

    seconds: float
    skopeo_cpu: float
    server_cpu: float


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (proc(5) /proc/pid/stat, utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _skopeo_copy(source: str, destination: str, registry: RunningRegistry) -> Copy:
    """One ``skopeo copy`` to or from ``registry`` (plain http: both TLS checks off), measured."""
    command = ["skopeo", "copy", "--quiet", "--authfile", str(registry.auth_file)]
    command += ["--src-tls-verify=false", "--dest-tls-verify=false", source, destination]
    server_cpu, skopeo_cpu = _cpu_seconds(registry.process.pid), _children_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=COPY_TIMEOUT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    # No other child ends while skopeo runs (servers stop between copies), so the children's time is skopeo's.
    return Copy(elapsed, _children_cpu_seconds() - skopeo_cpu, _cpu_seconds(registry.process.pid) - server_cpu)


@dataclass
class Measurements:
    """Every round's push and pull, and (read for fake-ecr) the server's RSS in KiB: idle, and peak in a push."""

    push: list[Copy] = field(default_factory=list)
    pull: list[Copy] = field(default_factory=list)
    idle_rss: list[int] = field(default_factory=list)
    peak_rss: list[int] = field(default_factory=list)


def _pulled_manifest_digest(layout: Path) -> str:
    entries = json.loads((layout / "index.json").read_text())["manifests"]
    digest: str = entries[0]["digest"]
    return digest


def measure_round(side: Side, layout: Path, image_digest: str, workdir: Path, results: Measurements) -> None:
    """One push and one pull against a fresh server of one side."""
    with side(workdir) as registry:
        pid = registry.process.pid
        results.idle_rss.append(_proc_status_kib(pid, "VmRSS"))
        # "5" resets the peak RSS (VmHWM) to the current RSS (proc(5), /proc/pid/clear_refs).
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        remote = f"docker://{registry.host}/{REPOSITORY}:{TAG}"
        results.push.append(_skopeo_copy(f"oci:{layout}:{TAG}", remote, registry))
        results.peak_rss.append(_proc_status_kib(pid, "VmHWM"))
        pulled = workdir / "pulled"
        try:
            results.pull.append(_skopeo_copy(remote, f"oci:{pulled}:{TAG}", registry))
            # skopeo checks every blob's digest as it pulls; the manifest must be the one pushed.
            if (pulled_digest := _pulled_manifest_digest(pulled)) != image_digest:
                raise RuntimeError(f"pulled {pulled_digest}, pushed {image_digest}")
        finally:
            shutil.rmtree(pulled, ignore_errors=True)


def _median(copies: list[Copy], measure: Callable[[Copy], float]) -> float:
    return statistics.median(measure(copy) for copy in copies)


def report(size: int, rounds: int, results: Mapping[str, Measurements]) -> int:
    fake, reference = results["fake-ecr"], results["reference"]
    header = f"{'measurement':<24}{'fake-ecr':>14}{'reference':>14}{'ratio':>9}{'target':>12}  met"
    print(header)
    print("-" * len(header))
    missed = 0
    for direction, fake_copies, reference_copies in (
        ("push", fake.push, reference.push),
        ("pull", fake.pull, reference.pull),
    ):
        fake_rate, reference_rate = _rate(size, fake_copies), _rate(size, reference_copies)
        ratio = fake_rate / reference_rate
        met = ratio >= THROUGHPUT_TARGET
        missed += not met
        target = f">= {THROUGHPUT_TARGET:.1f}x"
        print(
            f"{'skopeo ' + direction:<24}{fake_rate:>9.0f} MB/s{reference_rate:>9.0f} MB/s{ratio:>8.2f}x{target:>12}  "
            f"{'yes' if met else 'NO'}"
        )
        for whose, measure in (("server", lambda copy: copy.server_cpu), ("skopeo", lambda copy: copy.skopeo_cpu)):
            print(
                f"{'  ' + whose + ' CPU':<24}{_median(fake_copies, measure):>12.2f} s"
                f"{_median(reference_copies, measure):>12.2f} s"
            )
    above_idle = max(peak - idle for peak, idle in zip(fake.peak_rss, fake.idle_rss, strict=True)) / 1024
    met = above_idle <= RSS_BUDGET_MIB
    missed += not met
    target = f"<= {RSS_BUDGET_MIB:.0f} MiB"
    print(f"{'peak RSS during push':<24}{above_idle:>10.0f} MiB{'':>23}{target:>12}  {'yes' if met else 'NO'}")
    print(
        f"\n{size / MIB:.0f} MiB single-layer image, {rounds} alternating rounds, medians.  Throughput: the layer's"
        f" size over\nthe wall time of `skopeo copy`; CPU: user + system time of the server process and of skopeo"
        f" during it.\nPeak RSS: fake-ecr's worst round, VmHWM (reset before the push) minus its idle RSS"
        f" ({statistics.median(fake.idle_rss) / 1024:.0f} MiB).  {missed} target(s) missed."
    )
    return 1 if missed else 0


def _rate(size: int, copies: list[Copy]) -> float:
    """Throughput: MB/s (10^6 bytes) of the median copy."""
    return size / _median(copies, lambda copy: copy.seconds) / 1e6


def report_data_dir(size: int, results: Mapping[str, Measurements]) -> None:
    """``fake-ecr serve --data-dir`` against the in-memory server of the same run (no target: a cost)."""
    with_dir, in_memory = results[DATA_DIR_SIDE], results["fake-ecr"]
    print(f"\n{'--data-dir':<24}{'with':>14}{'in memory':>14}{'ratio':>9}")
    for direction, with_copies, memory_copies in (
        ("push", with_dir.push, in_memory.push),
        ("pull", with_dir.pull, in_memory.pull),
    ):
        with_rate, memory_rate = _rate(size, with_copies), _rate(size, memory_copies)
        ratio = with_rate / memory_rate
        print(f"{'skopeo ' + direction:<24}{with_rate:>9.0f} MB/s{memory_rate:>9.0f} MB/s{ratio:>8.2f}x")
    above_idle = max(peak - idle for peak, idle in zip(with_dir.peak_rss, with_dir.idle_rss, strict=True)) / 1024
    print(f"{'peak RSS during push':<24}{above_idle:>10.0f} MiB")


# --- raw HTTP: curl against fake-ecr's registry, next to the machine's floors ---------------------------------


@dataclass
class RawRound:
    """Seconds for one blob: curl's monolithic PUT and GET against fake-ecr, sha256 over it, curl from a file server."""

    push: float
    pull: float
    sha256: float
    file_server: float
    new_file: float


def _curl(*arguments: str) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-sSf", "-o", "/dev/null", *arguments], check=True, timeout=COPY_TIMEOUT)
    return time.perf_counter() - start


def _sha256_seconds(path: Path) -> float:
    start = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as blob:
        while chunk := blob.read(4 * MIB):
            digest.update(chunk)
    return time.perf_counter() - start


class _SendfileHandler(http.server.BaseHTTPRequestHandler):
    """GET of the one file the server serves, sent with sendfile(2): the loopback's own speed."""

    path_served: Path

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(self.path_served.stat().st_size))
        self.end_headers()
        with self.path_served.open("rb") as served:
            self.request.sendfile(served)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _new_file_seconds(path: Path, workdir: Path) -> float:
    """Seconds to write the bytes (already read) to a new file in ``workdir``, the page cache's part of storing
    them: on a VM it moves several-fold from run to run, and a registry that keeps a blob in a file pays it."""
    data = path.read_bytes()
    start = time.perf_counter()
    with tempfile.TemporaryFile(dir=workdir) as copy:
        view = memoryview(data)
        for offset in range(0, len(data), MIB):
            copy.write(view[offset : offset + MIB])
        copy.flush()
        return time.perf_counter() - start


def _file_server_seconds(path: Path) -> float:
    handler = type("Handler", (_SendfileHandler,), {"path_served": path})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            return _curl(f"http://127.0.0.1:{server.server_address[1]}/blob")
        finally:
            server.shutdown()


def raw_round(blob: Path, digest: str, workdir: Path) -> RawRound:
    with fake_ecr_registry(workdir) as registry:
        basic = json.loads(registry.auth_file.read_text())["auths"][registry.host]["auth"]
        authorization = f"Authorization: Basic {basic}"
        base = f"http://{registry.host}/v2/{REPOSITORY}/blobs"
        started = subprocess.run(
            ["curl", "-sSf", "-X", "POST", "-H", authorization, "-D", "-", "-o", "/dev/null", f"{base}/uploads/"],
            check=True,
            capture_output=True,
            text=True,
        )
        location = next(
            line.split(":", 1)[1].strip()
            for line in started.stdout.splitlines()
            if line.lower().startswith("location:")
        )
        separator = "&" if "?" in location else "?"
        upload = f"http://{registry.host}{location}{separator}digest={digest}"
        push = _curl(
            "-X", "PUT", "-H", authorization, "-H", "Content-Type: application/octet-stream", "-T", str(blob), upload
        )
        pull = _curl("-H", authorization, f"{base}/{digest}")
    return RawRound(push, pull, _sha256_seconds(blob), _file_server_seconds(blob), _new_file_seconds(blob, workdir))


def report_raw(size: int, rounds: list[RawRound]) -> None:
    def rate(seconds: Callable[[RawRound], float]) -> float:
        return size / statistics.median(seconds(one) for one in rounds) / 1e6

    print(f"\n{'raw HTTP (curl)':<24}{'fake-ecr':>14}{'floor':>14}{'ratio':>9}  floor")
    for name, ours, floor, floor_name in (
        ("monolithic PUT", rate(lambda one: one.push), rate(lambda one: one.sha256), "hashlib.sha256 over the bytes"),
        ("GET", rate(lambda one: one.pull), rate(lambda one: one.file_server), "curl from a sendfile server"),
        ("monolithic PUT", rate(lambda one: one.push), rate(lambda one: one.new_file), "writing a new file"),
    ):
        print(f"{name:<24}{ours:>9.0f} MB/s{floor:>9.0f} MB/s{ours / floor:>8.2f}x  {floor_name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=512, help="layer size in MiB (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (default: %(default)s)")
    parser.add_argument("--raw-only", action="store_true", help="only the raw HTTP rows (curl), no skopeo")
    parser.add_argument("--data-dir", action="store_true", help="also fake-ecr serve --data-dir, against in memory")
    options = parser.parse_args(argv)
    for program, install in REQUIRED_PROGRAMS.items():
        if shutil.which(program) is None:
            print(f"{program} is missing: {install}", file=sys.stderr)
            return 2
    size = options.size * MIB
    with tempfile.TemporaryDirectory(prefix="fake-ecr-bench-", dir="/tmp") as temporary:
        workdir = Path(temporary)
        layout = workdir / "layout"
        image = images.random_layer_image(size, format="oci")
        images.write_oci_layout(layout, [(TAG, image)])
        layer_size, layer_digest, image_digest = image.layers[0].size, image.layers[0].digest, image.digest
        del image  # the layout holds it now; keep this process small while skopeo runs
        blob = layout / "blobs" / "sha256" / layer_digest.removeprefix("sha256:")
        raw = [raw_round(blob, layer_digest, workdir) for _ in range(options.rounds)]
        status = 0
        if not options.raw_only:
            sides = dict(SIDES)
            if options.data_dir:
                sides[DATA_DIR_SIDE] = functools.partial(fake_ecr_registry, data_dir=True)
            results = {name: Measurements() for name in sides}
            for round_number in range(options.rounds):
                for name in list(sides)[:: 1 if round_number % 2 == 0 else -1]:
                    measure_round(sides[name], layout, image_digest, workdir, results[name])
                print(f"round {round_number + 1}/{options.rounds} done", file=sys.stderr, flush=True)
            status = report(layer_size, options.rounds, results)
            if options.data_dir:
                report_data_dir(layer_size, results)
        report_raw(layer_size, raw)
        return status


if __name__ == "__main__":
    sys.exit(main())
