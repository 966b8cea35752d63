"""Abuse: a fake-ecr server under slow connections, an oversized body, abandoned uploads and clients that never
read, next to a baseline.

Starts fake-ecr's server in a subprocess (so its memory and threads are its own; default Settings but for
``registry_auth=False`` and short ``upload_idle_timeout`` and ``idle_timeout``), then, on 127.0.0.1 only, with
loops that end by themselves:

1. baseline: a healthy client's latency (a registry ``tags/list`` and a control-plane DescribeRepositories
   over HTTP), the server's RSS and threads;
2. slow connections (3,000 by default): each sends a request line, then one header byte per round for
   ``--slow-rounds`` rounds; meanwhile the healthy client is timed and the server's threads sampled;
3. an oversized control-plane body (300 MiB by default): once with Content-Length (refused unread), once
   chunked (refused once it passes ECR's largest request); the server's peak RSS (VmHWM) after;
4. abandoned uploads (300 of ~1 MiB by default): POST, one PATCH, never finished; RSS after, then again
   once the reaper has dropped them (``upload_idle_timeout``);
5. clients that never read (300 by default): each asks for a 32 MiB blob with a 4 KiB receive buffer and reads
   nothing; RSS and the healthy client while they hang (past ``max_request_threads`` it gets 503), then again
   once the server's send timed out (``idle_timeout``).

Prints one table: per phase the server's RSS, peak RSS, threads (now and the most seen), open file
descriptors, and the healthy client's median and worst latency.  Nothing is asserted: it reports.

    python bench/bench_abuse.py
    python bench/bench_abuse.py --slow 300 --uploads 30 --body-mib 40 --never-reading 30    # a quick run
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass

REPOSITORY = "app"
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
MIB = 1024 * 1024
#: The server, in a subprocess: prints its port, serves until its stdin closes.
SERVER = """
import sys
from fake_ecr import FakeEcr, Settings
with FakeEcr(Settings(registry_auth=False, upload_idle_timeout={idle}, idle_timeout={send}), server=True) as fake:
    fake.client().create_repository(repositoryName="app")
    print(fake.server.port, flush=True)
    sys.stdin.read()
"""


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM (KiB), Threads and open file descriptors of the server process."""
        found = {"fds": len(os.listdir(f"/proc/{self.process.pid}/fd"))}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM", "Threads"):
                    found[name] = int(value.split()[0])
        return found


@contextmanager
def server(idle: float, send: float) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(idle=idle, send=send)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield Server(process, int(process.stdout.readline()))
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def healthy_latencies(port: int, count: int) -> list[float]:
    """Seconds each of ``count`` healthy requests took (alternately registry and control plane)."""
    took = []
    for n in range(count):
        start = time.perf_counter()
        if n % 2:
            status = request(port, "POST", "/", b"{}", {"X-Amz-Target": TARGET})
        else:
            status = request(port, "GET", f"/v2/{REPOSITORY}/tags/list")
        took.append(time.perf_counter() - start)
        if status != 200:
            took[-1] = float("inf")  # refused: shown as such, not as fast
    return took


class ThreadSampler:
    """The most threads the server had, sampled every 10 ms while it runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.most = max(self.most, self.server.status()["Threads"])

    def __enter__(self) -> ThreadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def row(name: str, server: Server, latencies: list[float], most_threads: int | None = None) -> None:
    status = server.status()
    finite = [t for t in latencies if t != float("inf")]
    median = f"{statistics.median(finite) * 1000:8.2f} ms" if finite else "       -   "
    worst = f"{max(latencies) * 1000:8.2f} ms" if latencies else "       -   "
    refused = len(latencies) - len(finite)
    print(
        f"{name:<44} {status['VmRSS'] / 1024:8.1f} {status['VmHWM'] / 1024:8.1f} {status['Threads']:8d} "
        f"{most_threads if most_threads is not None else status['Threads']:8d} {status['fds']:6d} {median} {worst} "
        f"{refused:8d}"
    )


def slow_connections(server: Server, count: int, rounds: int, healthy: int) -> None:
    with ExitStack() as stack, ThreadSampler(server) as sampler:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", server.port)))
            sock.setblocking(False)
            with suppress(OSError):
                sock.send(b"PATCH /v2/app/blobs/uploads/x HTTP/1.1\r\n")
            sockets.append(sock)
        latencies: list[float] = []
        for _ in range(rounds):  # one header byte per connection per round: slowloris
            for sock in sockets:
                with suppress(OSError):
                    sock.send(b"X")
            latencies += healthy_latencies(server.port, healthy)
            time.sleep(0.1)
        row(f"{count} slow connections (during)", server, latencies, sampler.most)
    time.sleep(1.0)
    row(f"{count} slow connections (closed, 1 s later)", server, healthy_latencies(server.port, healthy))


def abandoned_uploads(server: Server, count: int, size: int, healthy: int, idle: float) -> None:
    chunk = os.urandom(size)
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", f"/v2/{REPOSITORY}/blobs/uploads/")
        response = connection.getresponse()
        response.read()
        location = response.getheader("Location")
        connection.close()
        assert location is not None
        request(server.port, "PATCH", location, chunk)
    row(f"{count} abandoned uploads of {size // 1024} KiB", server, healthy_latencies(server.port, healthy))
    time.sleep(idle + 2.0)  # the reaper runs on the server's own timer: no request needed
    row(f"  ... {idle + 2.0:.0f} s later (reaped)", server, healthy_latencies(server.port, healthy))


def oversized_body(server: Server, mib: int, healthy: int) -> None:
    piece = b" " * MIB

    def send(chunked: bool) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        headers = {"X-Amz-Target": TARGET}
        if not chunked:
            headers["Content-Length"] = str(mib * MIB)
        try:
            connection.request("POST", "/", body=(piece for _ in range(mib)), headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            response.read()
            return response.status
        except OSError:  # the server answered early and closed while the rest was still being sent
            return -1
        finally:
            connection.close()

    for chunked in (False, True):
        status = send(chunked)
        framing = "chunked" if chunked else "Content-Length"
        row(f"{mib} MiB body, {framing}: {status}", server, healthy_latencies(server.port, healthy))


def never_reading_clients(server: Server, count: int, blob_mib: int, healthy: int, send: float) -> None:
    blob = os.urandom(blob_mib * MIB)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    assert request(server.port, "POST", f"/v2/{REPOSITORY}/blobs/uploads/?digest={digest}", blob) == 201
    del blob
    with ExitStack() as stack, ThreadSampler(server) as sampler:
        for _ in range(count):  # each asks for the blob, then never reads a byte of the answer
            sock = stack.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(f"GET /v2/{REPOSITORY}/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(1.0)
        latencies = healthy_latencies(server.port, healthy)
        row(f"{count} never-reading clients, {blob_mib} MiB blob", server, latencies, sampler.most)
        time.sleep(send + 2.0)  # the server's send times out after idle_timeout: their threads are free again
        row(
            f"  ... {send + 2.0:.0f} s later (still open)",
            server,
            healthy_latencies(server.port, healthy),
            sampler.most,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=3000, help="slow connections (default 3000)")
    parser.add_argument("--slow-rounds", type=int, default=20, help="header bytes each sends (default 20)")
    parser.add_argument("--uploads", type=int, default=300, help="abandoned uploads (default 300)")
    parser.add_argument("--upload-kib", type=int, default=1024, help="bytes of each, KiB (default 1024)")
    parser.add_argument("--body-mib", type=int, default=300, help="the oversized body, MiB (default 300)")
    parser.add_argument("--healthy", type=int, default=10, help="healthy requests per measurement (default 10)")
    parser.add_argument("--idle", type=float, default=5.0, help="upload_idle_timeout, seconds (default 5)")
    parser.add_argument("--never-reading", type=int, default=300, help="clients that never read (default 300)")
    parser.add_argument("--blob-mib", type=int, default=32, help="the blob they ask for, MiB (default 32)")
    parser.add_argument("--send-timeout", type=float, default=5.0, help="idle_timeout, seconds (default 5)")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.slow + 256)), hard))

    with server(args.idle, args.send_timeout) as served:
        print(f"fake-ecr server pid {served.process.pid} on 127.0.0.1:{served.port}: default Settings but")
        print(
            f"registry_auth=False, upload_idle_timeout={args.idle}, idle_timeout={args.send_timeout}; "
            "healthy latency per request, 'not 200' counted"
        )
        print(
            f"{'phase':<44} {'RSS MiB':>8} {'peak MiB':>8} {'threads':>8} {'most':>8} {'fds':>6} "
            f"{'median':>11} {'worst':>11} {'not 200':>8}"
        )
        healthy_latencies(served.port, args.healthy)  # warm up
        row("baseline", served, healthy_latencies(served.port, args.healthy * 5))
        slow_connections(served, args.slow, args.slow_rounds, args.healthy)
        oversized_body(served, args.body_mib, args.healthy)
        abandoned_uploads(served, args.uploads, args.upload_kib * 1024, args.healthy, args.idle)
        never_reading_clients(served, args.never_reading, args.blob_mib, args.healthy, args.send_timeout)
        row("after everything", served, healthy_latencies(served.port, args.healthy * 5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
