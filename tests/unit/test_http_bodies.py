"""Request bodies off the connection (RFC 9112 §6.3, §7.1): chunked and sized bodies decode to their bytes,
bad framing and bodies cut short raise RequestBodyUnreadable, a body never reads past its own end, and no
length a client claims is ever asked of the connection in one read (the class of pallets/werkzeug#2021)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest

from fake_ecr import errors
from fake_ecr.surfaces.http_bodies import MAX_BODY_SIZE, MAX_LINE, MAX_READ, MAX_TRAILER_FIELDS, body_reader

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: What follows a body on the connection: a body must leave it unread.
AFTER = b"NEXT REQUEST"
MIB = 1024 * 1024
CUT_SHORT = "ended inside its chunked encoding"


class Connection(io.BytesIO):
    """A connection's input: records the largest read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest_ask = 0

    def _asked(self, size: int | None) -> None:
        assert size is not None
        assert size >= 0, "an unbounded read"
        self.largest_ask = max(self.largest_ask, size)

    def read(self, size: int | None = -1, /) -> bytes:
        self._asked(size)
        return super().read(size)

    def readline(self, size: int | None = -1, /) -> bytes:
        self._asked(size)
        return super().readline(size)

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        with memoryview(buffer) as view:
            self._asked(view.nbytes)
        return super().readinto(buffer)

    def rest(self) -> bytes:
        return self.getvalue()[self.tell() :]


def chunked(data: bytes) -> tuple[Connection, io.RawIOBase]:
    connection = Connection(data)
    return connection, body_reader(connection, "HTTP/1.1", ["chunked"], [])


# --- chunked bodies that decode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        pytest.param(b"3\r\nabc\r\n0\r\n\r\n", b"abc", id="one-chunk"),
        pytest.param(b"3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n", b"abcdef", id="several-chunks"),
        pytest.param(b"0\r\n\r\n", b"", id="empty"),
        pytest.param(b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", id="uppercase-hex"),
        pytest.param(b"0003\r\nabc\r\n000\r\n\r\n", b"abc", id="leading-zeros"),
        pytest.param(b"1a;name=value\r\n" + b"z" * 26 + b"\r\n0\r\n\r\n", b"z" * 26, id="extension"),
        pytest.param(b'3;name="a \\"quoted\\" value"\r\nabc\r\n0\r\n\r\n', b"abc", id="extension-quoted-value"),
        pytest.param(b"3;flag\r\nabc\r\n0\r\n\r\n", b"abc", id="extension-without-value"),
        pytest.param(b"3 ; a = b;c\t;d=e\r\nabc\r\n0\r\n\r\n", b"abc", id="extensions-with-whitespace"),
        pytest.param(b"3\r\nabc\r\n0;last=yes\r\n\r\n", b"abc", id="extension-on-the-last-chunk"),
        pytest.param(b"3\r\nabc\r\n0\r\nDigest: sha-256=x\r\nX-Empty:\r\n\r\n", b"abc", id="trailer-fields"),
        pytest.param(b"3\r\n\r\n\n\r\n0\r\n\r\n", b"\r\n\n", id="data-holding-line-ends"),
        pytest.param(
            b"%x\r\n" % (3 * MIB) + b"x" * 3 * MIB + b"\r\n0\r\n\r\n", b"x" * 3 * MIB, id="chunk-over-one-read"
        ),
    ],
)
def test_a_chunked_body_decodes_to_its_data_and_reads_no_further(wire: bytes, body: bytes) -> None:
    connection, reader = chunked(wire + AFTER)
    assert reader.read() == body
    assert reader.read() == b""
    assert connection.rest() == AFTER
    assert connection.largest_ask <= MAX_READ


def test_a_chunk_reaches_the_reader_before_its_closing_crlf_is_read() -> None:
    # A client streaming a chunk may send its CRLF with the next one: the data must not wait for it.
    connection, reader = chunked(b"3\r\nabc")
    assert reader.read(10) == b"abc"
    assert connection.rest() == b""


# --- chunked bodies that can't be read -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        pytest.param(b"zz\r\nabc\r\n0\r\n\r\n", "chunk size line 'zz\\\\r\\\\n' is not a hexadecimal", id="bad-hex"),
        pytest.param(b"-3\r\nabc\r\n0\r\n\r\n", "chunk size line '-3", id="negative-size"),
        pytest.param(b"0x3\r\nabc\r\n0\r\n\r\n", "chunk size line '0x3", id="hex-prefix"),
        pytest.param(b"+3\r\nabc\r\n0\r\n\r\n", "chunk size line '\\+3", id="plus-sign"),
        pytest.param(b"\r\nabc\r\n0\r\n\r\n", "chunk size line '\\\\r\\\\n'", id="empty-size-line"),
        pytest.param(b"3 abc\r\nabc\r\n0\r\n\r\n", "chunk size line '3 abc", id="junk-after-size"),
        pytest.param(b"3;\r\nabc\r\n0\r\n\r\n", "chunk size line '3;", id="extension-without-name"),
        pytest.param(b"3;a=b c\r\nabc\r\n0\r\n\r\n", "chunk size line '3;a=b c", id="extension-value-with-space"),
        pytest.param(b'3;a="open\r\nabc\r\n0\r\n\r\n', "chunk size line '3;a=\"open", id="extension-unclosed-quote"),
        pytest.param(b"3\nabc\r\n0\r\n\r\n", "chunk size line '3\\\\n'", id="size-line-ends-in-bare-lf"),
        pytest.param(b"3\rabc\r\n0\r\n\r\n", "chunk size line '3\\\\rabc", id="size-line-ends-in-bare-cr"),
        pytest.param(b"3\r\nabcXY0\r\n\r\n", "followed by 'XY' where its size says CRLF", id="missing-crlf"),
        pytest.param(b"3\r\nabc\n0\r\n\r\n", "followed by '\\\\n0' where", id="bare-lf-after-data"),
        pytest.param(b"2\r\nabc\r\n0\r\n\r\n", "followed by 'c\\\\r' where", id="data-longer-than-its-size"),
        pytest.param(
            b"ffffffffffffffff\r\nabc",
            f"chunk size ffffffffffffffff \\(18446744073709551615 bytes\\) is larger than .* {MAX_BODY_SIZE} bytes",
            id="size-over-the-limit",
        ),
        pytest.param(b"%x\r\nabc" % (MAX_BODY_SIZE + 1), "is larger than the largest body", id="one-over-the-limit"),
        pytest.param(b"1" + b"0" * 10_000 + b"\r\n", f"chunk size line is longer than {MAX_LINE}", id="long-size"),
        pytest.param(b"3;a=" + b"b" * MAX_LINE + b"\r\n", "chunk size line is longer", id="long-extension"),
        pytest.param(b"0\r\nno colon\r\n\r\n", "trailer field line 'no colon", id="trailer-without-colon"),
        pytest.param(b"0\r\n: empty name\r\n\r\n", "trailer field line ': empty name", id="trailer-without-name"),
        pytest.param(b"0\r\nX: a\nb\r\n\r\n", "trailer field line 'X: a\\\\n'", id="trailer-bare-lf"),
        pytest.param(
            b"0\r\n" + b"X: y\r\n" * (MAX_TRAILER_FIELDS + 1) + b"\r\n",
            f"more than {MAX_TRAILER_FIELDS} trailer fields",
            id="too-many-trailer-fields",
        ),
        pytest.param(b"0\r\nX: " + b"y" * MAX_LINE + b"\r\n\r\n", "trailer field line is longer", id="long-trailer"),
    ],
)
def test_a_malformed_chunked_body_is_unreadable(wire: bytes, reason: str) -> None:
    connection, reader = chunked(wire + AFTER)
    with pytest.raises(errors.RequestBodyUnreadable, match=reason):
        reader.read()
    assert connection.largest_ask <= MAX_READ


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"ffffffff\r\nabc", id="claims-4-gib-sends-3-bytes"),
        pytest.param(b"", id="nothing"),
        pytest.param(b"3", id="inside-the-size-line"),
        pytest.param(b"3;name=val", id="inside-an-extension"),
        pytest.param(b"3\r\nab", id="inside-the-data"),
        pytest.param(b"3\r\nabc", id="before-the-crlf"),
        pytest.param(b"3\r\nabc\r", id="between-cr-and-lf"),
        pytest.param(b"3\r\nabc\r\n", id="before-the-last-chunk"),
        pytest.param(b"3\r\nabc\r\n0\r\n", id="before-the-final-crlf"),
        pytest.param(b"3\r\nabc\r\n0\r\nX: y\r\n", id="inside-the-trailer-section"),
    ],
)
def test_a_chunked_body_cut_short_is_unreadable(wire: bytes) -> None:
    connection, reader = chunked(wire)
    with pytest.raises(errors.RequestBodyUnreadable, match=CUT_SHORT):
        reader.read()
    assert connection.largest_ask <= MAX_READ


def test_no_read_asks_the_connection_for_a_claimed_length() -> None:
    # The largest chunk size taken, then 3 MiB of it: read 16 MiB at a time, it comes in pieces of MAX_READ.
    connection, reader = chunked(b"%x\r\n" % MAX_BODY_SIZE + b"x" * (3 * MIB))
    pieces = []
    with pytest.raises(errors.RequestBodyUnreadable, match=CUT_SHORT):
        while piece := reader.read(16 * MIB):
            pieces.append(piece)
    assert [len(piece) for piece in pieces] == [MAX_READ] * 3
    assert connection.largest_ask == MAX_READ


def test_readinto_writes_what_it_reports_and_never_resizes_the_buffer() -> None:
    # werkzeug's DechunkedInput shrank the caller's bytearray on a short read at EOF, and RawIOBase.read then
    # copied the claimed length out of the shrunken buffer (heap bytes in the body).
    _, reader = chunked(b"ffffffff\r\nabc")
    buffer = bytearray(b"\x00" * 64)
    assert reader.readinto(buffer) == 3
    assert (len(buffer), bytes(buffer[:3]), bytes(buffer[3:])) == (64, b"abc", b"\x00" * 61)
    with pytest.raises(errors.RequestBodyUnreadable, match=CUT_SHORT):
        reader.readinto(buffer)
    assert len(buffer) == 64


# --- sized bodies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "wire", "body"),
    [
        pytest.param("3", b"abc", b"abc", id="exact"),
        pytest.param("0", b"", b"", id="empty"),
        pytest.param("00003", b"abc", b"abc", id="leading-zeros"),
        pytest.param("3, 3", b"abc", b"abc", id="one-value-repeated"),
        pytest.param(str(3 * MIB), b"y" * (3 * MIB), b"y" * (3 * MIB), id="over-one-read"),
    ],
)
def test_a_sized_body_is_its_content_length_and_reads_no_further(length: str, wire: bytes, body: bytes) -> None:
    connection = Connection(wire + AFTER)
    reader = body_reader(connection, "HTTP/1.1", [], [length])
    assert reader.read() == body
    assert connection.rest() == AFTER
    assert connection.largest_ask <= MAX_READ


@pytest.mark.parametrize(
    ("length", "wire", "received"),
    [
        pytest.param(100, b"{}", 2, id="short"),
        pytest.param(1, b"", 0, id="nothing"),
        pytest.param(MAX_BODY_SIZE, b"z" * (2 * MIB), 2 * MIB, id="claims-the-most-sends-less"),
    ],
)
def test_a_sized_body_cut_short_is_unreadable(length: int, wire: bytes, received: int) -> None:
    connection = Connection(wire)
    reader = body_reader(connection, "HTTP/1.1", [], [str(length)])
    message = f"ended after {received} of the {length} bytes its Content-Length announced"
    with pytest.raises(errors.RequestBodyUnreadable, match=message):
        reader.read()
    assert connection.largest_ask <= MAX_READ


# --- which framing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "transfer_encoding", "content_length", "body"),
    [
        pytest.param("HTTP/1.1", ["chunked"], [], b"abc", id="chunked"),
        pytest.param("HTTP/1.1", ["Chunked"], [], b"abc", id="chunked-any-case"),
        pytest.param("HTTP/1.1", ["chunked"], ["1"], b"abc", id="transfer-encoding-overrides-content-length"),
        pytest.param("HTTP/1.1", [], ["3"], b"3\r\n", id="content-length"),
        pytest.param("HTTP/1.1", [], [], b"", id="neither-is-no-body"),
        pytest.param("HTTP/1.0", [], ["3"], b"3\r\n", id="http-1.0-content-length"),
    ],
)
def test_the_framing_headers_choose_the_body(
    version: str, transfer_encoding: list[str], content_length: list[str], body: bytes
) -> None:
    connection = Connection(b"3\r\nabc\r\n0\r\n\r\n")
    assert body_reader(connection, version, transfer_encoding, content_length).read() == body


@pytest.mark.parametrize(
    ("version", "transfer_encoding", "content_length", "reason"),
    [
        pytest.param("HTTP/1.1", ["gzip, chunked"], [], "Transfer-Encoding 'gzip, chunked' is not", id="gzip"),
        pytest.param("HTTP/1.1", ["chunked", "gzip"], [], "'chunked, gzip' is not supported", id="chunked-not-last"),
        pytest.param("HTTP/1.1", ["chunked, chunked"], [], "'chunked, chunked' is not", id="chunked-twice"),
        pytest.param("HTTP/1.1", [""], [], "Transfer-Encoding '' is not supported", id="empty-transfer-encoding"),
        pytest.param("HTTP/1.0", ["chunked"], [], "HTTP/1.0 request can't have a Transfer-Encoding", id="http-1.0"),
        pytest.param("HTTP/1.1", [], ["abc"], "Content-Length 'abc' is not one decimal number", id="not-a-number"),
        pytest.param("HTTP/1.1", [], ["-1"], "Content-Length '-1' is not one", id="negative"),
        pytest.param("HTTP/1.1", [], ["+3"], "Content-Length '\\+3' is not one", id="plus-sign"),
        pytest.param("HTTP/1.1", [], [""], "Content-Length '' is not one", id="empty"),
        pytest.param("HTTP/1.1", [], ["\u0663"], "Content-Length '\\\\u0663' is not one", id="non-ascii-digit"),
        pytest.param("HTTP/1.1", [], ["3", "4"], "Content-Length '3, 4' is not one", id="two-lengths"),
        pytest.param(
            "HTTP/1.1", [], [str(MAX_BODY_SIZE + 1)], f"{MAX_BODY_SIZE + 1} is larger than", id="over-the-limit"
        ),
        pytest.param("HTTP/1.1", [], ["9" * 5000], "is larger than the largest body", id="five-thousand-digits"),
    ],
)
def test_framing_headers_that_frame_no_readable_body(
    version: str, transfer_encoding: list[str], content_length: list[str], reason: str
) -> None:
    connection = Connection(b"3\r\nabc\r\n0\r\n\r\n")
    reader = body_reader(connection, version, transfer_encoding, content_length)
    with pytest.raises(errors.RequestBodyUnreadable, match=reason):
        reader.read()
    assert connection.rest() == connection.getvalue()  # nothing was read


def test_a_long_value_is_quoted_in_part() -> None:
    reader = body_reader(Connection(b""), "HTTP/1.1", [], ["x" * 60_000])
    with pytest.raises(errors.RequestBodyUnreadable) as raised:
        reader.read()
    assert (
        raised.value.message
        == f"The request's Content-Length '{'x' * 40}...' is not one decimal number (RFC 9110 §8.6)"
    )
