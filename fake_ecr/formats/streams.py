"""Byte streams over iterables of chunks.

Owns ``ChunkReader``: a raw binary stream that reads an iterable of byte chunks (a blob's
``StoredBlob.read()``, a chunked request body, a WSGI response iterator) without joining them, so a
large body is never held whole.  Must not import anything from fake_ecr.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class ChunkReader(io.RawIOBase):
    """A read-once raw stream over byte (or text) chunks; closing it closes the iterable when it can."""

    def __init__(self, chunks: Iterable[bytes | str]) -> None:
        super().__init__()
        self._source = chunks
        self._chunks: Iterator[bytes | str] = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk.encode() if isinstance(chunk, str) else chunk).cast("B")
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(self._pending))
        target[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            close = getattr(self._source, "close", None)
            if callable(close):
                close()  # e.g. a werkzeug response iterator releases what it holds
        super().close()
