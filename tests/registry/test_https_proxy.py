"""The server as the HTTPS proxy of client subprocesses (``env``'s HTTPS_PROXY; docs/behaviour/clients.md#https-proxy).

A ``CONNECT`` to ECR's API or registry hosts (port 443) is answered by the fake itself, over TLS with a
certificate for that host from the server's throwaway CA; a ``CONNECT`` to any other host is relayed untouched
(here: an echo server on this machine).  A malformed ``CONNECT`` gets 400, an unreachable host 502, a client
from another machine 403.  A relay holds a request thread, and ends when neither side has sent anything for
``idle_timeout`` seconds.

Requests go out with ``http.client`` or raw sockets: ``responses`` would answer a ``requests`` call to ECR's
hosts in-process, without the proxy.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fake_ecr import FakeEcr, Settings, images
from fake_ecr.surfaces.proxy import is_local_client

from registry.helpers import basic, through_proxy

ACCOUNT = "123456789012"
REGISTRY_HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
DESCRIBE = {
    "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
    "Content-Type": "application/x-amz-json-1.1",
}


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that sends back what it reads, until its client stops sending; its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            with connection:
                while data := connection.recv(4096):
                    connection.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def port_of(fake: FakeEcr) -> int:
    assert fake.server is not None
    return fake.server.port


def raw(port: int, request: bytes) -> bytes:
    """What the server answers ``request`` sent on a new connection, up to its first blank line or its close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (data := sock.recv(4096)):
            answer += data
    return answer


def open_tunnel(port: int, target: str) -> socket.socket:
    """A connection to the proxy on ``port`` whose ``CONNECT`` to ``target`` was answered 200."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    return sock


# --- ECR's hosts: answered by the fake --------------------------------------------------------------------


def test_a_registry_host_is_answered_by_the_fake_with_a_certificate_for_it(fake_ecr: FakeEcr, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    fake_ecr.push("app:v1", images.image(files={"a.txt": "through the proxy"}))
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]

    response = through_proxy(fake_ecr.env, "GET", REGISTRY_HOST, "/v2/app/tags/list", headers=basic(token))

    assert response.certificate_names == (REGISTRY_HOST,)
    assert (response.status, json.loads(response.body)) == (200, {"name": "app", "tags": ["v1"]})


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("api.ecr.eu-west-1.amazonaws.com", id="api"),
        pytest.param("ecr.eu-west-1.amazonaws.com", id="endpoints-table"),
        pytest.param("ecr-fips.eu-west-1.amazonaws.com", id="fips"),
        pytest.param("ecr.eu-west-1.api.aws", id="dual-stack"),
    ],
)
def test_an_api_host_is_answered_by_the_control_plane_for_its_region(fake_ecr: FakeEcr, host: str) -> None:
    fake_ecr.client(region_name="eu-west-1").create_repository(repositoryName="in-ireland")

    # Unsigned: the region comes from the host, as for a request botocore signed for it.
    response = through_proxy(fake_ecr.env, "POST", host, "/", headers=DESCRIBE, body=b"{}")

    assert response.certificate_names == (host,)
    assert response.status == 200
    assert [r["repositoryUri"] for r in json.loads(response.body)["repositories"]] == [
        f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/in-ireland"
    ]


def test_a_registry_of_another_account_is_answered_at_its_own_host(fake_ecr: FakeEcr) -> None:
    other = "111122223333.dkr.ecr.us-east-1.amazonaws.com"

    response = through_proxy(fake_ecr.env, "GET", other, "/v2/")

    assert response.certificate_names == (other,)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == f'Basic realm="https://{other}/",service="ecr.amazonaws.com"'


# --- other hosts: relayed untouched -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_another_host_is_relayed_both_ways_until_each_side_is_done(
    fake_ecr: FakeEcr, echo_server: int, name: str
) -> None:
    with open_tunnel(port_of(fake_ecr), f"{name}:{echo_server}") as tunnel:
        tunnel.sendall(b"\x16\x03\x01 not HTTP, not looked at\r\n\r\n")
        tunnel.shutdown(socket.SHUT_WR)  # passed on: the echo server ends, and so does the tunnel
        echoed = b""
        while data := tunnel.recv(4096):
            echoed += data

    assert echoed == b"\x16\x03\x01 not HTTP, not looked at\r\n\r\n"


def test_bytes_sent_right_after_the_connect_head_go_through(fake_ecr: FakeEcr, echo_server: int) -> None:
    with socket.create_connection(("127.0.0.1", port_of(fake_ecr)), timeout=10) as sock:
        sock.sendall(f"CONNECT 127.0.0.1:{echo_server} HTTP/1.0\r\n\r\nearly".encode())
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while data := sock.recv(4096):
            answer += data

    assert answer == b"HTTP/1.1 200 Connection established\r\n\r\nearly"


def test_a_host_that_cannot_be_reached_is_502(fake_ecr: FakeEcr) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    answer = raw(port_of(fake_ecr), f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())

    assert answer.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_head",
    [
        pytest.param(b"CONNECT example.com HTTP/1.1\r\n\r\n", id="no-port"),
        pytest.param(b"CONNECT :443 HTTP/1.1\r\n\r\n", id="no-host"),
        pytest.param(b"CONNECT example.com:0 HTTP/1.1\r\n\r\n", id="port-0"),
        pytest.param(b"CONNECT example.com:65536 HTTP/1.1\r\n\r\n", id="port-too-large"),
        pytest.param(b"CONNECT example.com:https HTTP/1.1\r\n\r\n", id="port-by-name"),
        pytest.param(b"CONNECT http://example.com:443/ HTTP/1.1\r\n\r\n", id="absolute-url"),
        pytest.param(b"CONNECT example.com:443\r\n\r\n", id="no-version"),
        pytest.param(b"CONNECT example.com:443 HTTP/2.0\r\n\r\n", id="unknown-version"),
        pytest.param(b"CONNECT ex\xe4mple.com:443 HTTP/1.1\r\n\r\n", id="not-ascii"),
        pytest.param(b"CONNECT exa mple.com:443 HTTP/1.1\r\n\r\n", id="space-in-host"),
    ],
)
def test_a_malformed_connect_is_400_and_the_server_serves_on(fake_ecr: FakeEcr, request_head: bytes) -> None:
    answer = raw(port_of(fake_ecr), request_head)

    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Traceback" not in answer
    assert raw(port_of(fake_ecr), b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 401 ")


@pytest.mark.parametrize(
    ("address", "local"),
    [
        pytest.param(("127.0.0.1", 50000), True, id="ipv4-loopback"),
        pytest.param(("127.8.9.10", 50000), True, id="ipv4-loopback-network"),
        pytest.param(("::1", 50000, 0, 0), True, id="ipv6-loopback"),
        pytest.param(("::ffff:127.0.0.1", 50000, 0, 0), True, id="ipv4-mapped-loopback"),
        pytest.param(("10.1.2.3", 50000), False, id="private-network"),
        pytest.param(("203.0.113.7", 50000), False, id="internet"),
        pytest.param(("::ffff:10.1.2.3", 50000, 0, 0), False, id="ipv4-mapped-private"),
        pytest.param("/run/some.sock", False, id="not-an-ip-address"),
    ],
)
def test_only_clients_on_this_machine_may_use_the_proxy(address: Any, local: bool) -> None:
    assert is_local_client(address) is local


# --- limits -----------------------------------------------------------------------------------------------


def test_a_relay_holds_a_request_thread_and_ends_when_idle(echo_server: int) -> None:
    settings = Settings(max_request_threads=1, idle_timeout=0.5)
    with FakeEcr(settings, server=True) as fake:
        assert fake.server is not None
        port = fake.server.port
        with open_tunnel(port, f"127.0.0.1:{echo_server}") as tunnel:
            busy = raw(port, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
            started = time.monotonic()
            ended = tunnel.recv(4096)  # nothing sent either way: the relay gives up after idle_timeout
            waited = time.monotonic() - started
        free = raw(port, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")

    assert busy.startswith(b"HTTP/1.1 503 ")
    assert ended == b""
    assert waited < 5
    assert free.startswith(b"HTTP/1.1 401 ")


def test_a_tunnel_to_an_ecr_host_that_never_shakes_hands_is_closed_after_header_timeout() -> None:
    with FakeEcr(Settings(header_timeout=0.3), server=True) as fake:
        assert fake.server is not None
        with open_tunnel(fake.server.port, f"{REGISTRY_HOST}:443") as tunnel:
            started = time.monotonic()
            ended = tunnel.recv(4096)
            waited = time.monotonic() - started

    assert ended == b""
    assert waited < 5
