"""The server's connections, bounded: how many are open, how many have a thread, how long each may dawdle.

Owns ``LimitedWSGIServer``, werkzeug's ``BaseWSGIServer`` with an accept loop of its own in place of
``socketserver.ThreadingMixIn`` (a thread for every connection, however slow: 3,000 clients sending their
headers a byte at a time made 3,000 threads and stalled every other client).  One thread per listener runs
a selector loop that:

- accepts connections and reads each one's request head (request line and header fields) without blocking,
  finishing the TLS handshake there too with ``Settings.tls`` (werkzeug's TLS listener shakes hands inside
  ``accept``, where one silent client would hold up every other);
- gives a connection a thread only once its whole head has arrived, at most ``max_request_threads`` at a
  time; a request beyond that is answered 503 at once, from the loop, in its surface's error format (the
  server's ``Refusal``: the control plane's for a request with ``X-Amz-Target``, else the registry's);
- holds at most ``max_connections`` connections open (heads being read, and requests with a thread): at the
  limit the oldest connection still sending its head is closed with 408 to make room, so a burst of slow
  clients can't keep out a client whose head arrives in one piece;
- closes with 408 a connection whose head (and handshake) took longer than ``header_timeout``;
- lingers after a refusal: the response is sent, the sending side shut, and whatever body the client still
  sends is read and dropped for up to ``LINGER`` seconds, so the client reads the 503 instead of a reset;
- calls ``housekeeping`` (the fake's reaper of abandoned uploads) on every round, which it rate-limits itself;
- with a ``Tunnels`` hook, is an HTTPS proxy (``fake_ecr.surfaces.proxy``): a ``CONNECT`` from this machine to a
  host the hook has a TLS context for (ECR's) is answered 200 in the loop, and the connection goes on as a new
  one over TLS with that context (handshake and head read in the loop, a thread for its request, the same
  limits); a ``CONNECT`` to any other host gets a thread, like a request, that relays its tunnel untouched.
  A malformed ``CONNECT`` is answered 400, one from another machine 403, an unreachable host 502.

A request's thread reads its body and writes its response with a socket timeout of ``idle_timeout``: a
client that stops sending or never reads loses its connection, and the thread is free again.  werkzeug
closes every connection after one response, so there are no idle keep-alive connections to bound.

Must not import ``fake_ecr.surfaces.handle``, ``fake_ecr.api`` or ``fake_ecr.registry``: the server hands in how a
refusal reads.
"""

from __future__ import annotations

import contextlib
import http
import io
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from fake_ecr import errors
from fake_ecr.settings import Settings
from fake_ecr.surfaces import proxy

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("fake_ecr")

#: (is a control-plane request, why) -> (status, headers, body) of the answer the loop sends.
Refusal = Callable[[bool, errors.EcrError], tuple[int, Mapping[str, str], bytes]]
#: (host, port) of a ``CONNECT`` -> the TLS context to answer its tunnel with as that host, or None to relay it.
Tunnels = Callable[[str, int], ssl.SSLContext | None]

#: The most of a request head read before it is handed to a thread anyway (``http.server`` answers a
#: longer line or too many fields itself: 414, 431).
MAX_HEAD = 64 * 1024 + 2
#: Bytes taken off a connection by one read in the loop.
READ_SIZE = 16 * 1024
#: Seconds a refused connection is kept to read and drop what its client still sends.
LINGER = 1.0
#: Reads of a lingering connection's input per round of the loop.
DRAIN_READS = 16
#: Connections accepted in one round of the loop, so a flood can't starve the others.
ACCEPTS_PER_ROUND = 64
#: A 408 for a head that did not arrive in time (RFC 9110 §15.5.9): sent if it fits, never waited on.
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#: The bytes an HTTP method starts with: anything else (a TLS hello sent to plain HTTP) goes to a thread
#: at once, whose ``http.server`` answers with a status line the client can read.
_METHOD_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Limits:
    """What a listener allows (``Settings``: max_connections, max_request_threads, header_timeout, idle_timeout)."""

    max_connections: int
    max_request_threads: int
    header_timeout: float
    idle_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The settings' limits; max_connections is at least max_request_threads + 1, so that a connection
        can always be taken in to read its head (and be refused, if need be)."""
        return cls(
            max(settings.max_connections, settings.max_request_threads + 1),
            settings.max_request_threads,
            settings.header_timeout,
            settings.idle_timeout,
        )


class _Pending:
    """A connection whose request head is being read, or whose refusal is lingering."""

    __slots__ = ("address", "deadline", "handshaking", "head", "sniffing", "sock")

    def __init__(
        self, sock: socket.socket, address: Any, deadline: float, *, handshaking: bool = False, sniffing: bool = False
    ) -> None:
        self.sock = sock
        self.address = address
        self.deadline = deadline
        self.handshaking = handshaking
        #: On a TLS listener, before its first byte: a TLS hello, or a proxy's CONNECT in the clear?
        self.sniffing = sniffing
        self.head = b""


def head_is_complete(head: bytes, searched_from: int) -> bool:
    """Whether ``head`` holds a whole request head, or enough to hand it to ``http.server`` now: a blank line
    after the fields, a request line of HTTP/0.9 (no version), a first byte no method starts with, or
    ``MAX_HEAD`` bytes.  ``searched_from``: how much of ``head`` was looked at before."""
    if head[0] not in _METHOD_START or len(head) >= MAX_HEAD:
        return True
    start = max(0, searched_from - 3)
    if head.find(b"\n\r\n", start) >= 0 or head.find(b"\n\n", start) >= 0:
        return True
    line_end = head.find(b"\n")
    return line_end >= 0 and len(head[:line_end].split()) < 3


class _HeadFirst(io.RawIOBase):
    """A connection's input: the head the loop read, then the socket."""

    def __init__(self, head: bytes, rest: io.RawIOBase) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._head:
            with memoryview(buffer) as view, view.cast("B") as target:
                count = min(len(target), len(self._head))
                target[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        return self._rest.readinto(buffer)


class _Connection:
    """The socket as a request handler sees it: its input starts with the head the loop already read."""

    def __init__(self, sock: socket.socket, head: bytes) -> None:
        self._sock = sock
        self._head = head

    def makefile(self, mode: str = "r", buffering: int | None = None) -> io.BufferedIOBase:
        if mode != "rb":
            raise ValueError(f"only the input is made a file here, not {mode!r}")
        return io.BufferedReader(_HeadFirst(self._head, socket.SocketIO(self._sock, "rb")))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class LimitedWSGIServer(BaseWSGIServer):
    """A threaded WSGI server whose connections and threads are bounded (see the module's docstring)."""

    multithread = True

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        handler: type[WSGIRequestHandler],
        ssl_context: ssl.SSLContext | None,
        *,
        limits: Limits,
        refusal: Refusal,
        housekeeping: Callable[[], None] | None = None,
        tunnels: Tunnels | None = None,
    ) -> None:
        super().__init__(host, port, app, handler)
        # Handshakes happen in the loop (werkzeug would wrap the listener and shake hands inside accept).
        self.ssl_context = ssl_context
        self.limits = limits
        self._refusal = refusal
        self._housekeeping = housekeeping
        self._tunnels = tunnels
        self._selector = selectors.DefaultSelector()
        self._pending: dict[int, _Pending] = {}  # fd -> connection reading its head, oldest first
        self._lingering: dict[int, _Pending] = {}  # fd -> refused connection being drained, oldest first
        self._threads = 0
        self._threads_lock = threading.Lock()
        self._accept_paused_until = 0.0
        self._stop = threading.Event()
        self._stopped = threading.Event()

    # --- the loop -------------------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.socket.setblocking(False)
        self._selector.register(self.socket, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                try:
                    self._round(poll_interval)
                except Exception:  # a bug of the fake's, or of one connection: logged, and every other served on
                    log.exception("fake-ecr's connection loop failed")
        finally:
            for connection in [*self._pending.values(), *self._lingering.values()]:
                connection.sock.close()
            self._pending.clear()
            self._lingering.clear()
            self._selector.close()
            self.server_close()
            self._stopped.set()

    def _round(self, poll_interval: float) -> None:
        for key, _ in self._selector.select(poll_interval):
            if key.data is None:
                self._accept()
            else:
                self._progress(key.data)
        self._expire(time.monotonic())
        if self._housekeeping is not None:
            self._housekeeping()

    def shutdown(self) -> None:
        """Stop the loop and wait until it has (requests being answered finish on their own threads)."""
        self._stop.set()
        self._stopped.wait()

    def _accept(self) -> None:
        now = time.monotonic()
        for _ in range(ACCEPTS_PER_ROUND):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors, say: stop accepting for a moment instead of spinning
                self._selector.unregister(self.socket)
                self._accept_paused_until = now + LINGER
                return
            if len(self._pending) + self._threads >= self.limits.max_connections and self._pending:
                self._time_out(next(iter(self._pending.values())))
            sock.setblocking(False)
            connection = _Pending(
                sock, address, now + self.limits.header_timeout, sniffing=self.ssl_context is not None
            )
            self._pending[sock.fileno()] = connection
            self._selector.register(sock, selectors.EVENT_READ, connection)
            self._progress(connection)  # the head is often there already

    def _progress(self, connection: _Pending) -> None:
        if connection.sock.fileno() < 0:  # closed earlier in this round (made room for a newer one)
            return
        if connection.sock.fileno() in self._lingering:
            self._drain(connection)
            return
        if connection.sniffing and not self._sniff(connection):
            return
        if connection.handshaking and not self._shake_hands(connection):
            return
        while True:
            try:
                data = connection.sock.recv(READ_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return
            except OSError:
                self._close(connection)
                return
            if not data:  # the client went away before its head was complete
                self._close(connection)
                return
            searched = len(connection.head)
            connection.head += data
            if head_is_complete(connection.head, searched):
                self._dispatch(connection)
                return

    def _sniff(self, connection: _Pending) -> bool:
        """On a TLS listener, look at a connection's first byte: a proxy's ``CONNECT`` in the clear is read as it
        is (HTTPS_PROXY=http://...), anything else is TLS, to shake hands for.  Whether the connection goes on."""
        try:
            first = connection.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return False
        except OSError:
            self._close(connection)
            return False
        if not first:
            self._close(connection)
            return False
        connection.sniffing = False
        if self._tunnels is not None and first[0] in _METHOD_START:
            return True
        assert self.ssl_context is not None
        self._selector.unregister(connection.sock)
        fd = connection.sock.fileno()
        try:
            connection.sock = self.ssl_context.wrap_socket(
                connection.sock, server_side=True, do_handshake_on_connect=False
            )
        except OSError:  # gone already
            del self._pending[fd]
            connection.sock.close()
            return False
        connection.handshaking = True
        self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        return True

    def _shake_hands(self, connection: _Pending) -> bool:
        """Go on with a TLS handshake; whether it is done."""
        sock = connection.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._selector.modify(sock, selectors.EVENT_READ, connection)
            return False
        except ssl.SSLWantWriteError:
            self._selector.modify(sock, selectors.EVENT_WRITE, connection)
            return False
        except OSError:  # ssl.SSLError included: not TLS, or not a certificate the client takes
            self._close(connection)
            return False
        connection.handshaking = False
        self._selector.modify(sock, selectors.EVENT_READ, connection)
        return True

    def _dispatch(self, connection: _Pending) -> None:
        """Hand a connection whose head arrived to a thread of its own, or refuse it with 503."""
        sock = connection.sock
        self._selector.unregister(sock)
        del self._pending[sock.fileno()]
        if self._tunnels is not None and proxy.is_connect(connection.head):
            self._connect(connection, self._tunnels)
            return
        if self.ssl_context is not None and not isinstance(sock, ssl.SSLSocket):
            self._linger(connection, proxy.BAD_REQUEST)  # only a CONNECT is taken in the clear
            return
        self._start(connection, self._answer, (sock, connection.head, connection.address))

    def _connect(self, connection: _Pending, tunnels: Tunnels) -> None:
        """A ``CONNECT``: refused, answered as its host over TLS from here on, or relayed by a thread."""
        request = proxy.read_connect(connection.head)
        if request is None:
            self._linger(connection, proxy.BAD_REQUEST)
            return
        if not proxy.is_local_client(connection.address):
            self._linger(connection, proxy.FORBIDDEN)
            return
        try:
            context = tunnels(request.host, request.port)
        except Exception:  # a bug of the fake's: logged, and the client told, not left waiting
            log.exception("fake-ecr could not open a tunnel to %s:%d", request.host, request.port)
            self._linger(connection, proxy.BAD_GATEWAY)
            return
        if context is None:
            self._start(connection, self._relay, (connection.sock, request, connection.address))
            return
        if request.early_data or isinstance(connection.sock, ssl.SSLSocket):
            # TLS bytes sent before our 200 can't be handed to the handshake; a CONNECT that came over TLS
            # would need TLS inside TLS.  The proxy is plain HTTP: HTTPS_PROXY=http://...
            self._linger(connection, proxy.BAD_REQUEST)
            return
        try:
            connection.sock.send(proxy.ESTABLISHED)  # a few bytes into an empty buffer: they fit
            # A response goes out as several small TLS records: with Nagle's algorithm, each after the last one's
            # delayed ACK (about 12 ms a request on Linux, against under 2 ms without).
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = context.wrap_socket(connection.sock, server_side=True, do_handshake_on_connect=False)
        except OSError:
            connection.sock.close()
            return
        tunnelled = _Pending(sock, connection.address, time.monotonic() + self.limits.header_timeout, handshaking=True)
        self._pending[sock.fileno()] = tunnelled
        self._selector.register(sock, selectors.EVENT_READ, tunnelled)
        self._progress(tunnelled)

    def _start(self, connection: _Pending, work: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Run ``work(*args)`` on a thread of its own for a connection the loop let go, or refuse it with 503."""
        sock = connection.sock
        with self._threads_lock:
            busy = self._threads >= self.limits.max_request_threads
            if not busy:
                self._threads += 1
        if busy:
            self._refuse(connection, errors.ServerBusy("max_request_threads", self.limits.max_request_threads))
            return
        sock.setblocking(True)
        sock.settimeout(self.limits.idle_timeout)
        try:
            threading.Thread(
                target=work,
                args=args,
                name=f"fake-ecr:{self.server_port}:request",
                daemon=True,
            ).start()
        except RuntimeError:  # the system has no thread to give: a refusal, like one past the limit
            with self._threads_lock:
                self._threads -= 1
            sock.setblocking(False)
            self._refuse(connection, errors.ServerBusy("max_request_threads", self.limits.max_request_threads))

    def _answer(self, sock: socket.socket, head: bytes, address: Any) -> None:
        """A request's thread: werkzeug's handler on the connection, then the connection closed."""
        try:
            self.finish_request(_Connection(sock, head), address)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - as socketserver's ThreadingMixIn: reported, and the loop serves on
            self.handle_error(sock, address)
        finally:
            self._release(sock)

    def _relay(self, sock: socket.socket, request: proxy.ConnectRequest, address: Any) -> None:
        """A tunnel's thread: connect to its host, answer 200 (or 502), relay, then close both connections."""
        try:
            try:
                upstream = socket.create_connection((request.host, request.port), self.limits.header_timeout)
            except OSError:
                sock.sendall(proxy.BAD_GATEWAY)
                return
            with upstream:
                upstream.settimeout(self.limits.idle_timeout)
                sock.sendall(proxy.ESTABLISHED)
                proxy.relay(sock, upstream, request.early_data, self.limits.idle_timeout)
        except OSError:  # either side reset, or stopped taking bytes for idle_timeout: the tunnel ends
            pass
        except Exception:  # noqa: BLE001 - as socketserver's ThreadingMixIn: reported, and the loop serves on
            self.handle_error(sock, address)
        finally:
            self._release(sock)

    def _release(self, sock: socket.socket) -> None:
        """End a request's or a tunnel's thread: its thread is counted free first, so a request the client sends
        as soon as it sees the connection end is not refused for a thread that is only closing a socket."""
        with self._threads_lock:
            self._threads -= 1
        self.shutdown_request(sock)

    def _refuse(self, connection: _Pending, error: errors.EcrError) -> None:
        """Answer from the loop in the request's surface's format, then linger."""
        api = b"\nx-amz-target:" in connection.head.lower()
        status, headers, body = self._refusal(api, error)
        lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}"]
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        self._linger(connection, "\r\n".join(lines).encode("latin-1") + body)

    def _linger(self, connection: _Pending, response: bytes) -> None:
        """Send ``response`` (a few hundred bytes: they fit in the socket's buffer, or are dropped), shut the
        sending side, and read what the client still sends until it is done or LINGER is over, so its own
        unread bytes don't turn the close into a reset before it read the response.  A TLS connection, or one
        past max_connections lingering already, is closed at once."""
        sock = connection.sock
        try:
            sock.send(response)
            if len(self._lingering) >= self.limits.max_connections or isinstance(sock, ssl.SSLSocket):
                _close_quietly(sock)
                return
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        connection.deadline = time.monotonic() + LINGER
        self._lingering[sock.fileno()] = connection
        self._selector.register(sock, selectors.EVENT_READ, connection)

    def _drain(self, connection: _Pending) -> None:
        """Read and drop what a refused client still sends (a few reads a round, so one client sending fast
        can't hold up the loop); close at its end."""
        try:
            for _ in range(DRAIN_READS):
                if not connection.sock.recv(READ_SIZE):
                    break
            else:
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self._close(connection)

    def _expire(self, now: float) -> None:
        """Close connections past their deadline (all share one timeout, so the oldest come first)."""
        while self._pending and (oldest := next(iter(self._pending.values()))).deadline <= now:
            self._time_out(oldest)
        while self._lingering and (oldest := next(iter(self._lingering.values()))).deadline <= now:
            self._close(oldest)
        if self._accept_paused_until and now >= self._accept_paused_until:
            self._accept_paused_until = 0.0
            self._selector.register(self.socket, selectors.EVENT_READ)

    def _time_out(self, connection: _Pending) -> None:
        """A connection whose head is late (or that makes room for a newer one): 408, then linger."""
        if connection.handshaking:
            self._close(connection)
            return
        del self._pending[connection.sock.fileno()]
        self._selector.unregister(connection.sock)
        self._linger(connection, REQUEST_TIMEOUT)

    def _close(self, connection: _Pending) -> None:
        """Close a connection the loop holds."""
        sock = connection.sock
        fd = sock.fileno()
        self._pending.pop(fd, None)
        self._lingering.pop(fd, None)
        self._selector.unregister(sock)
        _close_quietly(sock)


def _close_quietly(sock: socket.socket) -> None:
    """Close a non-blocking socket after dropping what its client sent that is still unread (a few reads'
    worth): unread input would turn the close into a reset, and the client could lose our last response."""
    with contextlib.suppress(OSError):  # BlockingIOError and SSLWantReadError included: nothing more to read
        for _ in range(4):
            if not sock.recv(READ_SIZE):
                break
    sock.close()
