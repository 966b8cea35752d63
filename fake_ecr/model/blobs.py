"""Blob storage and upload sessions of one registry.

Owns the bytes: content-addressed blobs shared by the repositories of one
registry (one account in one region), and upload sessions that hash bodies as
they arrive and spill to a temporary file past a threshold, so a large layer is
never held twice nor wholly in memory.  Both the layer API (InitiateLayerUpload
... CompleteLayerUpload) and the registry's blob uploads use these sessions.

Locking: the registry's lock guards the maps; an upload's own lock serialises the
requests on it while a chunk streams in, so a long PATCH never blocks other calls;
a short body lock lets a force-deleted repository drop an upload mid-chunk.  A
collected blob is not closed under a reader still streaming it: its bytes go
when the last reference does.

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from fake_ecr.digest import DigestingWriter

#: Bodies larger than this go to an anonymous temporary file instead of memory.
SPILL_THRESHOLD = 4 * 1024 * 1024
#: Every part of an upload but the last must hold at least this much (§2.3 CompleteLayerUpload, §8).
MIN_PART_SIZE = 5 * 1024 * 1024
#: Size of the pieces a blob is read back in.
READ_CHUNK = 1024 * 1024


class StoredBlob:
    """One blob's bytes, in memory or in an anonymous temporary file."""

    __slots__ = ("_data", "_file", "digest", "size")

    def __init__(self, digest: str, size: int, data: bytes | None, file: IO[bytes] | None) -> None:
        self.digest = digest
        self.size = size
        self._data = data
        self._file = file

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield bytes ``start``..``end`` (inclusive, like HTTP ranges) in chunks."""
        last = self.size - 1 if end is None else min(end, self.size - 1)
        if self._data is not None:
            view = memoryview(self._data)
            for offset in range(start, last + 1, READ_CHUNK):
                yield bytes(view[offset : min(offset + READ_CHUNK, last + 1)])
            return
        assert self._file is not None
        fd = self._file.fileno()
        offset = start
        while offset <= last:
            # pread: no shared file position, so concurrent readers never interfere.
            chunk = os.pread(fd, min(READ_CHUNK, last + 1 - offset), offset)
            if not chunk:
                return
            yield chunk
            offset += len(chunk)

    def read_all(self) -> bytes:
        """The whole blob (for small blobs such as image configs)."""
        if self._data is not None:
            return self._data
        return b"".join(self.read())


class UploadSession:
    """An upload in progress: bytes so far, their running digest, and part count."""

    def __init__(self, upload_id: str, repository_name: str, started_at: float) -> None:
        self.upload_id = upload_id
        self.repository_name = repository_name
        self.started_at = started_at
        #: when a part last arrived (on the fake's clock): idle uploads expire
        self.last_active_at = started_at
        self.lock = threading.Lock()
        #: held while a chunk is written or the body closed: ``discard`` may come from another thread
        self._body_lock = threading.Lock()
        self.parts = 0
        self.part_sizes: list[int] = []
        self._writer = DigestingWriter()
        # The body outlives this call: seal() hands it on or discard() closes it.
        self._body: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPILL_THRESHOLD
        )

    @property
    def size(self) -> int:
        """Bytes received so far."""
        return self._writer.size

    @property
    def digest(self) -> str:
        return self._writer.digest

    def append(self, chunks: Iterable[bytes]) -> int:
        """Stream chunks onto the end of the body; returns how many bytes were added.

        A body without bytes is no part: a closing PUT with an empty body must not turn
        the chunk before it into a "non-final part" held to the 5 MiB minimum.  Once the
        upload is discarded (its repository force-deleted) the rest of the chunk is dropped.
        """
        added = 0
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                with self._body_lock:
                    if self._body.closed:
                        break
                    self._writer.update(chunk)
                    self._body.write(chunk)
                added += len(chunk)
        finally:  # a body cut short still counts for what arrived: part sizes always add up to ``size``
            if added:
                self.parts += 1
                self.part_sizes.append(added)
        return added

    @property
    def has_small_parts(self) -> bool:
        """Whether a part before the last is under the 5 MiB minimum (LayerPartTooSmall, §3 #22)."""
        return any(size < MIN_PART_SIZE for size in self.part_sizes[:-1])

    def seal(self) -> StoredBlob:
        """Turn the body into a stored blob (no copy when it already sits in a file)."""
        body = self._body
        if body._rolled:  # type: ignore[attr-defined]  # spilled: keep the file, it is the blob
            body.flush()
            # The spooled file itself, not the file inside it: on 3.11+ it is an IOBase that closes
            # what it holds when collected, which would close the blob with the upload session.
            return StoredBlob(self.digest, self.size, None, body)
        data = body._file.getvalue()  # type: ignore[attr-defined]  # the BytesIO it holds until it spills
        body.close()
        return StoredBlob(self.digest, self.size, bytes(data), None)

    def discard(self) -> None:
        """Drop the body: an abandoned or failed upload leaves nothing behind (safe while a chunk streams in)."""
        with self._body_lock:
            self._body.close()


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What the layer API reports of a blob present in a repository."""

    digest: str
    size: int
    media_type: str | None
