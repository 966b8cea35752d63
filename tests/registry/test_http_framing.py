"""Request bodies over the server's sockets (RFC 9112 §6, §7.1), on every endpoint that reads one: the control
plane's POST, an upload's PATCH and closing PUT, the monolithic POST, a manifest PUT.

Raw sockets send what well-behaved clients never do: chunk sizes that promise gigabytes and send three bytes,
malformed chunk-size lines, chunk data without its CRLF, a Content-Length longer than the body with the client
half-closed.  Each is a 400 with its surface's error body, nothing kept as an internal error and nothing logged,
the state as it was (an upload the body was for is dropped), no allocation that follows the claimed length, and
a server that answers the next connection.  Chunk extensions and trailer fields are legal and are served."""

from __future__ import annotations

import http.client
import io
import json
import logging
import socket
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from fake_ecr import FakeEcr, FakeServer

from registry.helpers import OCI_MANIFEST, REPO, RegistryClient, build_image, oci_error, push_blob, sha256

TARGET = "AmazonEC2ContainerRegistry_V20150921."
MIB = 1024 * 1024
#: What the server may allocate at its peak while it serves one such request.  werkzeug 3.1's decoder allocated
#: the 4 GiB a chunk size claimed; this leaves room for werkzeug's own 10 MB read when it drains a connection
#: after the response, and fake-ecr's pieces of at most 1 MiB.
ALLOCATION_BOUND = 64 * MIB
#: What an upload holds before the request under test: dropped with the upload when the request fails.
EARLIER_PART = b"0123456789"
DIGEST = "sha256:" + "a" * 64
CHUNKED = {"Transfer-Encoding": "chunked"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def error(self) -> tuple[str, str]:
        """(code, message) of an OCI error body or an AWS JSON one."""
        document = json.loads(self.body)
        if "errors" in document:
            first = document["errors"][0]
            return first["code"], first["message"]
        return document["__type"], document["message"]


class _Received:
    """What came back on a socket, as http.client reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_: Any) -> io.BytesIO:
        return io.BytesIO(self._data)


def exchange(server: FakeServer, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
    """Send one request as raw bytes, half-close (the client sends nothing more), read the answer to EOF."""
    head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": "x", **headers}.items())
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body)
        connection.shutdown(socket.SHUT_WR)
        received = bytearray()
        while piece := connection.recv(65536):
            received += piece
    response = http.client.HTTPResponse(_Received(bytes(received)))  # type: ignore[arg-type]
    response.begin()
    return Answer(response.status, response.headers, response.read())


def peak_allocation(send: Callable[[], Answer]) -> tuple[Answer, int]:
    """``send()``'s answer, and the most this process (every thread: the server's too) held on top of what it
    held before, at any moment until the answer was read to its end."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        answer = send()
        return answer, tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()


@dataclass(frozen=True)
class Surface:
    """An endpoint that reads a body (``{upload}`` in its path: an upload already holding EARLIER_PART), and the
    (status, code) it answers a body it can't read."""

    method: str
    path: str
    refusal: tuple[int, str]
    headers: dict[str, str] = field(default_factory=dict)
    registry: bool = True


#: A body the control plane can't read is a SerializationException, as AWS's JSON services answer a body they
#: can't deserialize; the registry answers with the endpoint's OCI code.
SURFACES = {
    # The bug report's request: no credentials, no Content-Type, only the target.
    "api": Surface(
        "POST", "/", (400, "SerializationException"), {"X-Amz-Target": TARGET + "DescribeRepositories"}, registry=False
    ),
    "upload-patch": Surface("PATCH", "{upload}", (400, "BLOB_UPLOAD_INVALID")),
    "upload-put": Surface("PUT", "{upload}?digest=" + DIGEST, (400, "BLOB_UPLOAD_INVALID")),
    "monolithic-post": Surface("POST", f"/v2/{REPO}/blobs/uploads/?digest={DIGEST}", (400, "BLOB_UPLOAD_INVALID")),
    "manifest-put": Surface(
        "PUT", f"/v2/{REPO}/manifests/v1", (400, "MANIFEST_INVALID"), {"Content-Type": OCI_MANIFEST}
    ),
}


def _start_upload(registry: RegistryClient) -> str:
    location = registry.request("POST", f"/v2/{REPO}/blobs/uploads/").headers["Location"]
    assert registry.request("PATCH", location, data=EARLIER_PART).status_code == 201
    return location


def _send(
    fake_ecr: FakeEcr, registry: RegistryClient, surface: Surface, headers: Mapping[str, str], body: bytes
) -> tuple[Answer, int, str | None]:
    """(answer, peak allocation, the upload's location when the surface needed one)."""
    assert fake_ecr.server is not None
    server = fake_ecr.server
    location = _start_upload(registry) if "{upload}" in surface.path else None
    path = surface.path.replace("{upload}", location or "")
    credentials = registry.headers if surface.registry else {}
    answer, peak = peak_allocation(
        lambda: exchange(server, surface.method, path, {**credentials, **surface.headers, **headers}, body)
    )
    return answer, peak, location


def _serves_the_next_connection(fake_ecr: FakeEcr, registry: RegistryClient) -> None:
    assert fake_ecr.server is not None
    assert registry.request("GET", "/v2/").status_code == 200
    listed = exchange(fake_ecr.server, "POST", "/", {"X-Amz-Target": TARGET + "DescribeRepositories"}, b"")
    assert listed.status == 200
    assert [r["repositoryName"] for r in json.loads(listed.body)["repositories"]] == [REPO]


# --- bodies that can't be read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        pytest.param(CHUNKED, b"ffffffff\r\nabc", "ended inside its chunked encoding", id="claims-4-gib-sends-3-bytes"),
        pytest.param(
            CHUNKED,
            b"ffffffffffffffff\r\nabc",
            "chunk size ffffffffffffffff (18446744073709551615 bytes) is larger than the largest body accepted",
            id="claims-16-eib",
        ),
        pytest.param(
            CHUNKED, b"zz\r\n{}\r\n0\r\n\r\n", "chunk size line 'zz\\r\\n' is not a hexadecimal", id="bad-hex"
        ),
        pytest.param(CHUNKED, b"-2\r\n{}\r\n0\r\n\r\n", "chunk size line '-2\\r\\n' is not", id="negative-size"),
        pytest.param(CHUNKED, b"2\r\n{}XX0\r\n\r\n", "followed by 'XX' where its size says CRLF", id="missing-crlf"),
        pytest.param(
            {"Content-Length": "100"},
            b"{}",
            "ended after 2 of the 100 bytes its Content-Length announced",
            id="short-content-length",
        ),
    ],
)
@pytest.mark.parametrize("surface", list(SURFACES))
def test_a_body_that_cant_be_read_is_a_400_that_changes_nothing(
    fake_ecr: FakeEcr,
    registry: RegistryClient,
    repo: str,
    caplog: pytest.LogCaptureFixture,
    *,
    surface: str,
    headers: dict[str, str],
    body: bytes,
    reason: str,
) -> None:
    calls = list(fake_ecr.calls)

    answer, peak, location = _send(fake_ecr, registry, SURFACES[surface], headers, body)

    code, message = answer.error()
    assert (answer.status, code) == SURFACES[surface].refusal, answer.body
    assert reason in message
    assert fake_ecr.internal_errors == []
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert peak < ALLOCATION_BOUND
    # Nothing stored, nothing called; the upload the body was for is over (BLOB_UPLOAD_INVALID).
    assert fake_ecr.calls == calls
    assert fake_ecr.registry().stored_bytes == 0
    assert fake_ecr.registry().images(REPO) == []
    if location is not None:
        status = registry.request("GET", location)
        assert (status.status_code, oci_error(status)[0]) == (404, "BLOB_UPLOAD_UNKNOWN")
    _serves_the_next_connection(fake_ecr, registry)


# --- chunk extensions and trailers are HTTP/1.1 ------------------------------------------------------------


def chunked(data: bytes) -> bytes:
    """``data`` in two chunks with extensions, then the last chunk with one and a trailer field."""
    half = len(data) // 2
    return (
        b"%x;name=value\r\n%s\r\n" % (half, data[:half])
        + b'%x ; quoted="a b" ; flag\r\n%s\r\n' % (len(data) - half, data[half:])
        + b"0;last\r\nX-Trailer: ignored\r\n\r\n"
    )


LAYER = b"layer bytes " * 100


def test_the_api_reads_a_chunked_body_with_extensions(fake_ecr: FakeEcr, registry: RegistryClient, repo: str) -> None:
    answer, _, _ = _send(fake_ecr, registry, SURFACES["api"], CHUNKED, chunked(b'{"maxResults": 5}'))
    assert answer.status == 200, answer.body
    assert [r["repositoryName"] for r in json.loads(answer.body)["repositories"]] == [REPO]


def test_a_patch_reads_a_chunked_body_with_extensions(fake_ecr: FakeEcr, registry: RegistryClient, repo: str) -> None:
    patched, _, _ = _send(fake_ecr, registry, SURFACES["upload-patch"], CHUNKED, chunked(LAYER))
    assert patched.status == 201, patched.body
    assert patched.headers["Range"] == f"0-{len(EARLIER_PART) + len(LAYER) - 1}"
    assert fake_ecr.registry().stored_bytes == len(EARLIER_PART) + len(LAYER)


@pytest.mark.parametrize("fresh_upload", [pytest.param(True, id="closing-put"), pytest.param(False, id="single-post")])
def test_a_blob_sent_in_one_chunked_body_with_extensions_is_stored(
    fake_ecr: FakeEcr, registry: RegistryClient, repo: str, *, fresh_upload: bool
) -> None:
    assert fake_ecr.server is not None
    uploads = f"/v2/{REPO}/blobs/uploads/"
    method, path = ("PUT", registry.request("POST", uploads).headers["Location"]) if fresh_upload else ("POST", uploads)
    headers = {**registry.headers, **CHUNKED}
    answer = exchange(fake_ecr.server, method, f"{path}?digest={sha256(LAYER)}", headers, chunked(LAYER))
    assert answer.status == 201, answer.body
    assert registry.request("GET", f"/v2/{REPO}/blobs/{sha256(LAYER)}").content == LAYER


def test_a_manifest_put_reads_a_chunked_body_with_extensions(
    fake_ecr: FakeEcr, registry: RegistryClient, repo: str
) -> None:
    image = build_image()
    for blob in (image.config, *image.layers):
        push_blob(registry, REPO, blob)
    answer, _, _ = _send(fake_ecr, registry, SURFACES["manifest-put"], CHUNKED, chunked(image.manifest))
    assert answer.status == 201, answer.body
    assert answer.headers["Docker-Content-Digest"] == image.digest
    fetched = registry.request("GET", f"/v2/{REPO}/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert fetched.content == image.manifest
