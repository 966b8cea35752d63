"""The server as an HTTPS proxy: ``CONNECT`` requests, read and answered (docs/behaviour/clients.md#https-proxy).

Owns what the connection loop (``fake_ecr.surfaces.connections``) needs to be the ``HTTPS_PROXY`` of client
subprocesses: reading a ``CONNECT`` request's target (RFC 9110 §9.3.6: ``CONNECT host:port HTTP/1.x``, the
authority form of RFC 9112 §3.2.3), which targets are ECR's own API hosts (``ECR_API_HOST``; the registry hosts
are ``fake_ecr.registry.registry_of_host``'s), who may use the proxy (clients on this machine), the status lines
a proxy answers with, and the relay of a tunnel to any other host: bytes copied both ways, untouched, until
both sides are done or neither has sent anything for ``idle_timeout`` seconds.

A tunnel to an ECR host is not relayed: the server answers it itself, over TLS with a certificate for that
host (``fake_ecr.surfaces.tls``), as if it were ECR.

Must not import anything from fake_ecr.
"""

from __future__ import annotations

import ipaddress
import re
import selectors
import socket
from dataclasses import dataclass
from typing import Any

#: ECR's API host names, as botocore's endpoint rules spell them (``api.ecr[-fips].<region>.<suffix>``) and as
#: the endpoints table still lists them (``ecr[-fips].<region>.<suffix>``), dual-stack (``api.aws``) included.
ECR_API_HOST = re.compile(
    r"(?:api\.)?ecr(?:-public)?(?:-fips)?\.[a-z0-9-]+\.(?:amazonaws\.com(?:\.cn)?|api\.aws)", re.IGNORECASE
)
#: What a proxy answers a ``CONNECT`` it takes: the tunnel is open from the next byte on.
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
#: A malformed ``CONNECT``, or another request sent in the clear to an HTTPS server's port.
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#: A ``CONNECT`` from another machine: the proxy is for clients on this one.
FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#: The host asked for could not be reached (RFC 9110 §15.6.3).
BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#: Bytes moved by one read of a relay.
RELAY_READ = 64 * 1024

_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+)):(?P<port>\d{1,5})")


@dataclass(frozen=True)
class ConnectRequest:
    """A ``CONNECT``'s target, and what its client sent after the request head (the tunnel's first bytes)."""

    host: str
    port: int
    early_data: bytes


def is_connect(head: bytes) -> bool:
    """Whether a request head is a ``CONNECT`` (methods are case-sensitive, RFC 9110 §9.1)."""
    return head.startswith(b"CONNECT ")


def read_connect(head: bytes) -> ConnectRequest | None:
    """The target of a whole ``CONNECT`` request head; None when it is not one a proxy can take (a 400)."""
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return None
    try:
        line = head[: head.index(b"\r\n")].decode("ascii")
    except UnicodeDecodeError:
        return None
    method, _, rest = line.partition(" ")
    target, _, version = rest.partition(" ")
    match = _AUTHORITY.fullmatch(target)
    if method != "CONNECT" or match is None or version not in ("HTTP/1.0", "HTTP/1.1"):
        return None
    port = int(match["port"])
    if not 0 < port < 65536:
        return None
    return ConnectRequest(match["ipv6"] or match["name"].lower(), port, head[end + 4 :])


def is_local_client(address: Any) -> bool:
    """Whether a connection's peer address (``socket.accept``'s) is on this machine's loopback."""
    try:
        ip = ipaddress.ip_address(address[0])
    except (TypeError, ValueError, IndexError):
        return False
    # A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d, which is_loopback does not look into.
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def relay(client: socket.socket, upstream: socket.socket, early_data: bytes, idle_timeout: float) -> None:
    """Copy bytes both ways between two blocking sockets until both have ended their sending, or until
    neither sent anything for ``idle_timeout`` seconds; a side's end is passed on as a shutdown of writing."""
    if early_data:
        upstream.sendall(early_data)
    peers = {client: upstream, upstream: client}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        open_sides = 2
        while open_sides:
            ready = selector.select(idle_timeout)
            if not ready:
                return
            for key, _ in ready:
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(RELAY_READ)
                if data:
                    peers[source].sendall(data)
                    continue
                selector.unregister(source)
                open_sides -= 1
                peers[source].shutdown(socket.SHUT_WR)
