"""Request bodies read off an HTTP/1.1 connection, framed as RFC 9112 §6 and §7.1 say.

Owns ``body_reader``: the stream a WSGI app reads one request's body from, chosen by the request's framing
headers (RFC 9112 §6.3): ``ChunkedBody`` for ``Transfer-Encoding: chunked``, ``SizedBody`` for
``Content-Length``, an empty ``SizedBody`` without either, and a ``RefusedBody`` when the headers frame no
body that can be read.  The server (``fake_ecr.surfaces.server``) puts it in ``environ["wsgi.input"]`` in place of
werkzeug's ``DechunkedInput``, whose ``readinto`` shrinks the caller's buffer on a short read at the end of
the stream, so that ``RawIOBase.read`` copies the claimed length out of the shrunken buffer (the class of
bug of pallets/werkzeug#2021: gigabytes allocated for a claimed chunk size, or heap bytes in the body).

Two properties hold by construction:

- A body never reads a byte past its own end: chunk data is read into a view of exactly the bytes still
  owed by the current chunk (or by Content-Length), lines with a bounded ``readline``, a chunk's closing
  CRLF as two bytes.
- A length a client claims allocates nothing: each read takes at most ``MAX_READ`` bytes (or a line of
  ``MAX_LINE``), however large the chunk size or Content-Length.

What a client still sends after its response (a body refused unread: 413, 401) is dropped through
``LeftoverInput``, which holds at most ``MAX_READ`` bytes of it at a time: werkzeug drains a connection after every
response with reads of 10 MB, so that each of ``max_request_threads`` clients sending a large body would
hold 10 MB of the server's memory, and gigabytes between them (``tests/registry/test_resource_limits.py``).

A body whose framing is malformed, that ends before its framing says it does (the client closed the
connection early), or that stops arriving for the server's idle timeout (a socket timeout) raises
``errors.RequestBodyUnreadable``; each surface renders it as a 400.  ``read_at_most`` reads a whole body
up to a limit, counting, for the control plane (whose bodies are parsed whole).

Must not import werkzeug, nor anything from fake_ecr but ``fake_ecr.errors``.
"""

from __future__ import annotations

import io
import re
from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from fake_ecr import errors

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: The most bytes one read takes from the connection, whatever length the client claims.
MAX_READ = 1024 * 1024
#: The longest chunk-size line or trailer field line taken, CRLF included (chunk extensions count here:
#: RFC 9112 §7.1.1 asks a server to limit their length).
MAX_LINE = 8 * 1024
#: The most trailer fields taken after the last chunk (http.client's limit on header fields).
MAX_TRAILER_FIELDS = 100
#: The largest chunk or Content-Length taken: ECR's largest layer, 52,000 MiB (AWS docs, "Amazon ECR service
#: quotas"); no request ECR serves carries more.  RFC 9112 §7.1 asks recipients to anticipate large numerals.
MAX_BODY_SIZE = 52_000 * 1024 * 1024

CRLF = b"\r\n"
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # RFC 9110 §5.6.2
_QUOTED_STRING = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'  # RFC 9110 §5.6.4
_BWS = rb"[ \t]*"
#: chunk-size [ chunk-ext ] CRLF, with chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) (RFC 9112 §7.1.1)
_CHUNK_SIZE_LINE = re.compile(
    rb"([0-9A-Fa-f]+)"
    rb"(?:" + _BWS + rb";" + _BWS + _TOKEN + rb"(?:" + _BWS + rb"=" + _BWS
    + rb"(?:" + _TOKEN + rb"|" + _QUOTED_STRING + rb"))?)*"
    rb"\r\n"
)  # fmt: skip
#: field-name ":" OWS field-value OWS CRLF (RFC 9112 §5, §7.1.2)
_FIELD_LINE = re.compile(_TOKEN + rb":[\t \x21-\x7e\x80-\xff]*\r\n")


class Source(Protocol):
    """The connection's buffered input (``BaseHTTPRequestHandler.rfile``)."""

    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...

    def readinto(self, buffer: WriteableBuffer, /) -> int: ...

    def close(self) -> None: ...


class LeftoverInput:
    """The connection's input once its request's body is read or refused, as the server drains and closes it."""

    def __init__(self, source: Source) -> None:
        self._source = source

    def read(self, size: int, /) -> bytes:
        """Drop ``size`` bytes as they arrive (fewer at the end of the stream), holding at most ``MAX_READ`` of
        them at a time; the last piece read is returned, empty at the end, so a reader that drains sees when
        it is over (as werkzeug's does: a client still sending a body it was answered for waits as long as
        with werkzeug's own reads, and reads its answer)."""
        piece = b""
        while size > 0:
            piece = self._source.read(min(size, MAX_READ))
            if len(piece) < min(size, MAX_READ):
                break  # the end of the stream
            size -= len(piece)
        return piece

    def close(self) -> None:
        self._source.close()


def _shown(value: bytes | str) -> str:
    """A value as an error message quotes it: its first 40 characters, control characters escaped."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return text[:40].encode("unicode_escape").decode("ascii") + ("..." if len(text) > 40 else "")


class _FramedBody(io.RawIOBase):
    """A body read from ``source`` in pieces its framing allows; ``readinto`` is the one way in."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        try:
            return self._readinto(buffer)
        except TimeoutError:  # the server's socket timeout (Settings.idle_timeout): the client stopped sending
            raise errors.RequestBodyUnreadable(
                "The request body stopped arriving: no byte of it came within the server's idle timeout"
            ) from None

    def _readinto(self, buffer: WriteableBuffer) -> int:
        # The caller's buffer is only ever written through a view of it: it can't change size, and the
        # count returned is what the connection wrote into it.
        with memoryview(buffer) as view, view.cast("B") as target:
            size = min(len(target), MAX_READ, self._available())
            if size == 0:
                return 0
            with target[:size] as piece:
                count = self._source.readinto(piece)
        if not count:
            raise errors.RequestBodyUnreadable(self._ended_early())
        self._received(count)
        return count

    @abstractmethod
    def _available(self) -> int:
        """Bytes of the body that may be read next, before any more framing (0: the body is over)."""

    @abstractmethod
    def _received(self, count: int) -> None:
        """``count`` bytes of the body were read."""

    @abstractmethod
    def _ended_early(self) -> str:
        """Why a body the connection ended inside of is unreadable."""


class SizedBody(_FramedBody):
    """A body of ``length`` bytes, as ``Content-Length`` says (RFC 9112 §6.2)."""

    def __init__(self, source: Source, length: int) -> None:
        super().__init__(source)
        self._length = length
        self._left = length

    def _available(self) -> int:
        return self._left

    def _received(self, count: int) -> None:
        self._left -= count

    def _ended_early(self) -> str:
        return (
            f"The request body ended after {self._length - self._left} of the {self._length} bytes its "
            "Content-Length announced: the client closed the connection"
        )


class ChunkedBody(_FramedBody):
    """A body with chunked transfer coding (RFC 9112 §7.1): chunk extensions and trailer fields are read,
    checked against the grammar and ignored."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self._left = 0  # bytes of the current chunk's data not yet read
        self._in_chunk = False  # a chunk's data was read and its closing CRLF is due
        self._over = False

    def _available(self) -> int:
        if self._left == 0 and not self._over:
            if self._in_chunk:  # read only now, so a chunk's data reaches the caller as soon as it arrives
                self._chunk_end()
            size = self._chunk_size()
            if size == 0:
                self._trailer_section()
                self._over = True
            self._left, self._in_chunk = size, size > 0
        return self._left

    def _received(self, count: int) -> None:
        self._left -= count

    def _ended_early(self) -> str:
        return "The request body ended inside its chunked encoding: the client closed the connection"

    def _line(self, what: str) -> bytes:
        line = self._source.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise errors.RequestBodyUnreadable(f"The request body's {what} is longer than {MAX_LINE} bytes")
        if not line.endswith(b"\n"):
            raise errors.RequestBodyUnreadable(self._ended_early())
        return line

    def _chunk_size(self) -> int:
        line = self._line("chunk size line")
        match = _CHUNK_SIZE_LINE.fullmatch(line)
        if match is None:
            raise errors.RequestBodyUnreadable(
                f"The request body's chunk size line '{_shown(line)}' is not a hexadecimal chunk size, optional "
                "chunk extensions and CRLF (RFC 9112 §7.1)"
            )
        size = int(match[1], 16)
        if size > MAX_BODY_SIZE:
            raise errors.RequestBodyUnreadable(
                f"The request body's chunk size {match[1].decode()} ({size} bytes) is larger than the "
                f"largest body accepted, {MAX_BODY_SIZE} bytes"
            )
        return size

    def _chunk_end(self) -> None:
        end = self._source.read(2)
        if end == CRLF:
            return
        if CRLF.startswith(end):
            raise errors.RequestBodyUnreadable(self._ended_early())
        raise errors.RequestBodyUnreadable(
            f"The request body's chunk data is followed by '{_shown(end)}' where its size says CRLF comes "
            "(RFC 9112 §7.1)"
        )

    def _trailer_section(self) -> None:
        fields = 0
        while (line := self._line("trailer field line")) != CRLF:
            fields += 1
            if fields > MAX_TRAILER_FIELDS:
                raise errors.RequestBodyUnreadable(
                    f"The request body has more than {MAX_TRAILER_FIELDS} trailer fields"
                )
            if _FIELD_LINE.fullmatch(line) is None:
                raise errors.RequestBodyUnreadable(
                    f"The request body's trailer field line '{_shown(line)}' is not a field name, ':', "
                    "a field value and CRLF (RFC 9112 §7.1.2)"
                )


class RefusedBody(io.RawIOBase):
    """A body whose framing headers frame nothing readable: every read says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        raise errors.RequestBodyUnreadable(self.reason)


def read_at_most(body: io.RawIOBase, limit: int) -> bytes:
    """The whole of ``body``, counted as it arrives: ``errors.RequestBodyTooLarge`` as soon as it passes
    ``limit`` bytes, so a chunked body claims no more memory than a sized one may."""
    pieces, size = [], 0
    while piece := body.read(min(MAX_READ, limit + 1 - size)):
        size += len(piece)
        if size > limit:
            raise errors.RequestBodyTooLarge(limit, None)
        pieces.append(piece)
    return b"".join(pieces)


def _list_elements(values: Sequence[str]) -> list[str]:
    """The elements of a list-valued field sent in one or more field lines (RFC 9110 §5.3, §5.6.1)."""
    return [element.strip() for value in values for element in value.split(",") if element.strip()]


def body_reader(
    source: Source, version: str, transfer_encoding: Sequence[str], content_length: Sequence[str]
) -> io.RawIOBase:
    """The body of a request read from ``source``, framed by its ``Transfer-Encoding`` and ``Content-Length``
    field lines (RFC 9112 §6.3); ``version`` is the request line's protocol, e.g. "HTTP/1.1"."""
    if transfer_encoding:
        if version == "HTTP/1.0":
            return RefusedBody("An HTTP/1.0 request can't have a Transfer-Encoding (RFC 9112 §6.1)")
        if [coding.lower() for coding in _list_elements(transfer_encoding)] != ["chunked"]:
            # chunked not last is a 400 (RFC 9112 §6.3); fake-ecr decodes no other coding (gzip, ...).
            return RefusedBody(
                f"The request's Transfer-Encoding '{_shown(', '.join(transfer_encoding))}' is not supported: "
                "fake-ecr reads request bodies that are chunked and nothing else"
            )
        # Transfer-Encoding overrides a Content-Length sent with it (RFC 9112 §6.3); werkzeug closes every
        # connection after its response, so no second request is read after this body either way.
        return ChunkedBody(source)
    if not content_length:
        return SizedBody(source, 0)  # neither: a request without a body (RFC 9112 §6.3)
    lengths = set(_list_elements(content_length))
    value = lengths.pop() if len(lengths) == 1 else ""  # a list of one value repeated is that value (RFC 9110 §8.6)
    if not (value.isascii() and value.isdigit()):
        return RefusedBody(
            f"The request's Content-Length '{_shown(', '.join(content_length))}' is not one decimal number "
            "(RFC 9110 §8.6)"
        )
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(MAX_BODY_SIZE)) or int(digits) > MAX_BODY_SIZE:
        return RefusedBody(
            f"The request's Content-Length {_shown(digits)} is larger than the largest body accepted, "
            f"{MAX_BODY_SIZE} bytes"
        )
    return SizedBody(source, int(digits))
