"""Bounded resources (README "Settings"): a server under abuse keeps answering a healthy client, refuses what
is past its limits in each surface's format, holds no more memory than its settings allow, and gives its
threads, memory and temporary files back.

Each test runs its own server with small limits (``FakeEcr(Settings(...), server=True)``), drives it over
loopback with raw sockets (slow clients) and ``requests`` (the healthy one), and waits for what the server
does on its own (timeouts, the upload reaper) in bounded polling loops, never asserting how long anything took.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import json
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace

import botocore.config
import botocore.exceptions
import pytest
import requests

from fake_ecr import FakeEcr, Settings, images
from fake_ecr.api.core import MAX_REQUEST_BODY

REPOSITORY = "app"
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
KIB = 1024
MIB = 1024 * KIB
#: Small limits, as a CI machine runs them.
LIMITS = Settings(
    registry_auth=False,
    max_connections=16,
    max_request_threads=8,
    header_timeout=0.5,
    idle_timeout=0.5,
    upload_memory_limit=1 * MIB,
    upload_space_limit=8 * MIB,
    upload_idle_timeout=60.0,
)
#: How long a polling loop waits at most for what the server does by itself (its timeouts are 0.5 s).
PATIENCE = 30.0


def eventually(check: Callable[[], bool]) -> bool:
    """Whether ``check`` came true within PATIENCE seconds (polled; a bounded loop)."""
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def request_threads(fake: FakeEcr) -> int:
    """Threads answering requests on the fake's server now."""
    assert fake.server is not None
    return sum(1 for t in threading.enumerate() if t.name == f"fake-ecr:{fake.server.port}:request")


def temporary_files() -> int:
    """Open descriptors of this process on deleted files: spilled upload bodies among them."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").endswith("(deleted)")
        except OSError:  # closed since listed
            continue
    return count


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakeEcr]:
    settings = getattr(request, "param", LIMITS)
    with FakeEcr(settings, server=True) as fake:
        fake.client().create_repository(repositoryName=REPOSITORY)
        yield fake


def address(fake: FakeEcr) -> tuple[str, int]:
    assert fake.server is not None
    return fake.server.host, fake.server.port


def connect(fake: FakeEcr, stack: ExitStack) -> socket.socket:
    sock = stack.enter_context(socket.create_connection(address(fake), timeout=PATIENCE))
    return sock


def answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of the response on ``sock`` (read to its end)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def start_upload(fake: FakeEcr) -> str:
    assert fake.server is not None
    response = requests.post(f"{fake.server.endpoint}/v2/{REPOSITORY}/blobs/uploads/", timeout=PATIENCE)
    assert response.status_code == 202
    return f"{fake.server.endpoint}{response.headers['Location']}"


def healthy_client_is_answered(fake: FakeEcr) -> bool:
    """A registry request and a control-plane call both answered as usual."""
    assert fake.server is not None
    registry = requests.get(f"{fake.server.endpoint}/v2/{REPOSITORY}/tags/list", timeout=PATIENCE)
    ecr = fake.client(http=True, config=botocore.config.Config(retries={"max_attempts": 1}))
    repositories = ecr.describe_repositories()["repositories"]
    return registry.status_code == 200 and [r["repositoryName"] for r in repositories] == [REPOSITORY]


# --- the control plane's body limit ---------------------------------------------------------------


def test_a_content_length_past_the_largest_ecr_request_is_refused_before_any_body_arrives(fake: FakeEcr) -> None:
    with ExitStack() as stack:
        sock = connect(fake, stack)
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET}\r\nContent-Type: application/x-amz-json-1.1\r\n"
            f"Content-Length: {MAX_REQUEST_BODY + 1}\r\n\r\n".encode()
        )
        status, body = answer(sock)  # not one byte of the body was sent

    assert status == 413
    error = json.loads(body)
    assert error["__type"] == "RequestEntityTooLargeException"
    assert f"({MAX_REQUEST_BODY} bytes" in error["message"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit_without_being_kept(fake: FakeEcr) -> None:
    assert fake.server is not None
    piece = b" " * MIB
    pieces = MAX_REQUEST_BODY // MIB + 2  # one byte over is enough; whole pieces keep it simple

    connection = http.client.HTTPConnection(*address(fake), timeout=PATIENCE)
    gc.collect()
    tracemalloc.start()
    try:
        connection.request(
            "POST", "/", body=(piece for _ in range(pieces)), headers={"X-Amz-Target": TARGET}, encode_chunked=True
        )
        response = connection.getresponse()
        status, body = response.status, response.read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        connection.close()

    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
    # What the server read, in pieces, up to the limit: never the whole body, never a second copy of it.
    assert peak < MAX_REQUEST_BODY + 16 * MIB


def test_a_body_of_the_largest_size_is_still_read(fake: FakeEcr) -> None:
    with ExitStack() as stack:
        sock = connect(fake, stack)
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET}\r\n"
            f"Content-Length: {MAX_REQUEST_BODY}\r\n\r\n".encode()
            + b" " * (MAX_REQUEST_BODY - 2)
            + b"{}"
        )
        status, body = answer(sock)

    assert status == 200, body  # whitespace and an empty object: a valid DescribeRepositories request
    assert [r["repositoryName"] for r in json.loads(body)["repositories"]] == [REPOSITORY]


def test_bodies_refused_unread_hold_little_memory_while_their_clients_keep_sending(fake: FakeEcr) -> None:
    # What a client sends after its answer (413 here, 401 alike) is read and dropped before its connection
    # closes; werkzeug reads it 10 MB at a time, which held 10 MB per thread: 64 clients took the server to
    # 1.2 GB.  Each of max_request_threads clients sends 8 MiB at once; the server holds a 1 MiB piece or two of each.
    piece = b" " * MIB
    statuses: list[int] = []

    def send_and_read_the_answer() -> None:
        with ExitStack() as stack:
            sock = connect(fake, stack)
            sock.sendall(
                f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET}\r\n"
                f"Content-Length: {MAX_REQUEST_BODY + 8 * MIB}\r\n\r\n".encode()
            )
            with contextlib.suppress(OSError):  # answered, the server drops the rest and closes in the end
                for _ in range(8):
                    sock.sendall(piece)
            statuses.append(answer(sock)[0])

    clients = [threading.Thread(target=send_and_read_the_answer) for _ in range(LIMITS.max_request_threads)]
    gc.collect()
    tracemalloc.start()
    try:
        for client in clients:
            client.start()
        for client in clients:
            client.join(PATIENCE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert statuses == [413] * len(clients)
    assert peak < LIMITS.max_request_threads * 4 * MIB
    assert healthy_client_is_answered(fake)


# --- upload bytes ------------------------------------------------------------------------------


def test_abandoned_uploads_hold_at_most_the_memory_limit_and_spill_the_rest(fake: FakeEcr) -> None:
    space = fake.backend.upload_space
    chunk = os.urandom(300 * KIB)
    tracemalloc.start()
    try:
        for _ in range(20):  # abandoned mid-PATCH: a chunk each, then nothing
            assert requests.patch(start_upload(fake), data=chunk, timeout=PATIENCE).status_code == 201
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*/fake_ecr/*")])
    finally:
        tracemalloc.stop()
    held_by_the_fake = sum(statistic.size for statistic in snapshot.statistics("filename"))

    assert space.held == 20 * len(chunk)
    assert space.in_memory <= LIMITS.upload_memory_limit
    # 6,000 KiB of uploads; what the fake allocated meanwhile and still holds is the memory limit and change.
    assert held_by_the_fake < LIMITS.upload_memory_limit + MIB


def test_a_chunk_past_the_space_limit_is_refused_naming_the_setting_and_its_upload_dropped(fake: FakeEcr) -> None:
    kept = start_upload(fake)
    assert requests.patch(kept, data=os.urandom(5 * MIB), timeout=PATIENCE).status_code == 201
    refused = start_upload(fake)

    response = requests.patch(refused, data=os.urandom(4 * MIB), timeout=PATIENCE)

    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["code"] == "BLOB_UPLOAD_INVALID"
    assert "Settings.upload_space_limit" in error["message"]
    assert requests.get(refused, timeout=PATIENCE).status_code == 404  # dropped: its bytes are free again
    assert fake.backend.upload_space.held == 5 * MIB
    assert requests.get(kept, timeout=PATIENCE).status_code == 204  # the others go on


@pytest.mark.parametrize("fake", [replace(LIMITS, upload_memory_limit=0, upload_files_limit=3)], indirect=True)
def test_uploads_past_the_files_limit_are_refused_naming_the_setting_so_descriptors_never_run_out(
    fake: FakeEcr,
) -> None:
    # Each upload that spills holds a file descriptor: abandoned ones must not run a server out of them.
    kept = [start_upload(fake) for _ in range(3)]
    for location in kept:
        assert requests.patch(location, data=b"layer bytes", timeout=PATIENCE).status_code == 201
    refused = start_upload(fake)

    response = requests.patch(refused, data=b"layer bytes", timeout=PATIENCE)

    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert (error["code"], "Settings.upload_files_limit" in error["message"]) == ("BLOB_UPLOAD_INVALID", True)
    assert requests.get(refused, timeout=PATIENCE).status_code == 404
    assert requests.delete(kept[0], timeout=PATIENCE).status_code == 204  # a cancelled upload frees its file
    assert requests.patch(start_upload(fake), data=b"layer bytes", timeout=PATIENCE).status_code == 201


def test_the_layer_api_is_refused_past_the_space_limit_with_limit_exceeded(fake: FakeEcr) -> None:
    ecr = fake.client()
    upload_id = ecr.initiate_layer_upload(repositoryName=REPOSITORY)["uploadId"]
    part = os.urandom(9 * MIB)

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        ecr.upload_layer_part(
            repositoryName=REPOSITORY,
            uploadId=upload_id,
            partFirstByte=0,
            partLastByte=len(part) - 1,
            layerPartBlob=part,
        )

    assert refused.value.response["Error"]["Code"] == "LimitExceededException"
    assert fake.backend.upload_space.held == 0


# Idle for 3 s, not less: the 20 PATCHes must all land before the first is reaped, also on a loaded CI machine
# (at 0.5 s a busy machine reaped the first ones while the last were still being sent).
@pytest.mark.parametrize("fake", [replace(LIMITS, upload_idle_timeout=3.0)], indirect=True)
def test_abandoned_uploads_are_reaped_in_real_time_without_another_upload(fake: FakeEcr) -> None:
    files = temporary_files()
    for _ in range(20):
        requests.patch(start_upload(fake), data=os.urandom(200 * KIB), timeout=PATIENCE)
    space = fake.backend.upload_space
    assert space.held == 20 * 200 * KIB
    assert temporary_files() > files  # past the 1 MiB memory limit, bodies went to temporary files

    # Nothing more is sent: the server's own timer drops them once idle for upload_idle_timeout.
    assert eventually(lambda: space.held == 0)
    assert space.in_memory == 0
    gc.collect()
    assert temporary_files() == files


def test_uploads_idle_a_day_on_the_fakes_clock_are_reaped_too(fake: FakeEcr) -> None:
    requests.patch(start_upload(fake), data=b"layer", timeout=PATIENCE)
    space = fake.backend.upload_space

    fake.clock.advance(hours=25)

    assert eventually(lambda: space.held == 0)


# --- connections and threads ------------------------------------------------------------------


def test_slow_headers_take_no_thread_and_a_healthy_client_is_answered(fake: FakeEcr) -> None:
    with ExitStack() as stack:
        slow = [connect(fake, stack) for _ in range(50)]
        for sock in slow:  # a request line and a field, then nothing: a slowloris client
            sock.sendall(f"PATCH /v2/{REPOSITORY}/blobs/uploads/x HTTP/1.1\r\nHost: x\r\n".encode())

        assert healthy_client_is_answered(fake)
        assert request_threads(fake) <= LIMITS.max_request_threads

        # Past max_connections the oldest slow ones made room; the rest go at header_timeout: all get 408.
        statuses = [answer(sock)[0] for sock in slow]

    assert statuses == [408] * 50
    assert eventually(lambda: request_threads(fake) == 0)


@pytest.mark.parametrize("fake", [replace(LIMITS, idle_timeout=PATIENCE)], indirect=True)
def test_past_max_request_threads_each_surface_answers_503_and_threads_come_back(fake: FakeEcr) -> None:
    endpoint = f"http://{fake.server.host}:{fake.server.port}"  # type: ignore[union-attr]
    paths = [start_upload(fake).removeprefix(endpoint) for _ in range(LIMITS.max_request_threads)]
    assert eventually(lambda: request_threads(fake) == 0)  # the POSTs' threads are done
    with ExitStack() as holders, ExitStack() as stack:
        for path in paths:  # each holds a thread: its chunk's body does not come
            connect(fake, holders).sendall(f"PATCH {path} HTTP/1.1\r\nContent-Length: 100\r\n\r\n".encode())
        assert eventually(lambda: request_threads(fake) == LIMITS.max_request_threads)

        registry = connect(fake, stack)
        registry.sendall(f"GET /v2/{REPOSITORY}/tags/list HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        api = connect(fake, stack)
        api.sendall(f"POST / HTTP/1.1\r\nX-Amz-Target: {TARGET}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        registry_status, registry_body = answer(registry)
        api_status, api_body = answer(api)
        with pytest.raises(botocore.exceptions.ClientError) as throttled:
            fake.client(http=True, config=botocore.config.Config(retries={"max_attempts": 1})).describe_repositories()

        assert (registry_status, api_status) == (503, 503)
        [error] = json.loads(registry_body)["errors"]
        assert error["code"] == "UNAVAILABLE"
        assert "Settings.max_request_threads" in error["message"]
        assert json.loads(api_body)["__type"] == "ThrottlingException"
        assert throttled.value.response["Error"]["Code"] == "ThrottlingException"

        holders.close()  # the stalled chunks end: their threads answer and go, and the healthy client gets in
        assert eventually(lambda: request_threads(fake) == 0)
        assert healthy_client_is_answered(fake)


def test_a_body_that_stops_arriving_times_out_and_drops_its_upload(fake: FakeEcr) -> None:
    upload = start_upload(fake)
    path = upload.removeprefix(f"http://{fake.server.host}:{fake.server.port}")  # type: ignore[union-attr]
    with ExitStack() as stack:
        sock = connect(fake, stack)
        sock.sendall(f"PATCH {path} HTTP/1.1\r\nContent-Length: 100\r\n\r\n".encode() + b"x" * 10)
        status, body = answer(sock)  # after idle_timeout without a byte

    assert status == 400
    assert json.loads(body)["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    assert requests.get(upload, timeout=PATIENCE).status_code == 404
    assert eventually(lambda: request_threads(fake) == 0)


@pytest.mark.parametrize("fake", [replace(LIMITS, upload_space_limit=64 * MIB)], indirect=True)
def test_a_client_that_never_reads_its_response_loses_its_thread(fake: FakeEcr) -> None:
    blob = images.Blob("application/octet-stream", os.urandom(32 * MIB))
    [digest] = fake.push_blobs(REPOSITORY, [blob])
    with ExitStack() as stack:
        sock = stack.enter_context(socket.socket())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(PATIENCE)
        sock.connect(address(fake))
        sock.sendall(f"GET /v2/{REPOSITORY}/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

        assert eventually(lambda: request_threads(fake) == 0)  # not reading: the server's send timed out
        received = b""
        with contextlib.suppress(ConnectionError):
            while chunk := sock.recv(MIB):
                received += chunk

    assert len(received) < blob.size  # cut off, not sent whole
    assert healthy_client_is_answered(fake)
