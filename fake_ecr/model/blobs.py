"""Blob storage and upload sessions of one registry.

Owns the bytes: content-addressed blobs shared by the repositories of one
registry (one account in one region), and upload sessions that hash bodies as
they arrive and spill to a temporary file past a threshold, so a large layer is
never held twice nor wholly in memory.  Both the layer API (InitiateLayerUpload
... CompleteLayerUpload) and the registry's blob uploads use these sessions.

``UploadSpace`` counts the bytes of every upload in progress of one fake
(``Settings.upload_memory_limit``, ``upload_space_limit``) and the temporary
files they hold (``upload_files_limit``: each is an open file descriptor): an
upload spills to its temporary file past 4 MiB of its own or once the uploads
together hold the memory limit, and a chunk past the space limit, or a spill
past the files limit, is refused.  Bytes and files are counted back when an
upload is sealed into a blob or discarded.  With a data dir (``spill_dir``) an upload spills to a named
file there instead, so its blob moves into the store by a rename (``SpilledBlob``), not a copy.

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
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fake_ecr import errors
from fake_ecr.formats.digest import DigestingWriter
from fake_ecr.settings import (
    DEFAULT_UPLOAD_FILES_LIMIT,
    DEFAULT_UPLOAD_IDLE_TIMEOUT,
    DEFAULT_UPLOAD_MEMORY_LIMIT,
    DEFAULT_UPLOAD_SPACE_LIMIT,
)

#: Bodies larger than this go to an anonymous temporary file instead of memory.
SPILL_THRESHOLD = 4 * 1024 * 1024
#: Every part of an upload but the last must hold at least this much (docs/behaviour/registry.md#layer-api
#: CompleteLayerUpload, docs/behaviour/limits.md#service-quotas).
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
        yield from pread_chunks(self._file.fileno(), start, last)

    def read_all(self) -> bytes:
        """The whole blob (for small blobs such as image configs)."""
        if self._data is not None:
            return self._data
        return b"".join(self.read())


class SpilledBlob(StoredBlob):
    """A blob in the named file its upload spilled to (``UploadSpace.spill_dir``): ``move`` renames that file
    into a data dir's store, so the bytes are not copied; dropped before that, the blob removes its file."""

    __slots__ = ("__weakref__", "_removal", "path")

    def __init__(self, digest: str, size: int, file: IO[bytes], path: str) -> None:
        super().__init__(digest, size, None, file)
        self.path = path
        self._removal = weakref.finalize(self, Path(path).unlink, missing_ok=True)

    def move(self, target: str | os.PathLike[str]) -> None:
        """Make the file durable (fsync) and rename it to ``target``, on the same filesystem; the rename's own
        durability is the caller's (fsync the directory)."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        os.replace(self.path, target)
        self._removal.detach()  # the file is the store's now


class _NamedSpool(tempfile.SpooledTemporaryFile[bytes]):
    """An upload body that rolls over to a named file in ``directory`` rather than an anonymous one, so that
    sealing it can rename the file (``SpilledBlob``)."""

    def __init__(self, directory: str) -> None:
        super().__init__(max_size=0)
        self.directory = directory
        self.path: str | None = None

    def rollover(self) -> None:
        if self._rolled:  # type: ignore[has-type]
            return
        fd, path = tempfile.mkstemp(dir=self.directory)
        memory = self._file
        self._file = os.fdopen(fd, "w+b")
        self.path = path
        self._file.write(memory.getvalue())  # type: ignore[attr-defined]  # a BytesIO until it rolls over
        self._rolled = True


def pread_chunks(fd: int, start: int, last: int) -> Iterator[bytes]:
    """Bytes ``start``..``last`` (inclusive) of an open file, in chunks."""
    offset = start
    while offset <= last:
        # pread: no shared file position, so concurrent readers never interfere.
        chunk = os.pread(fd, min(READ_CHUNK, last + 1 - offset), offset)
        if not chunk:
            return
        yield chunk
        offset += len(chunk)


class UploadSpace:
    """The bytes every upload in progress of one fake holds: in memory, and in all (with temporary files)."""

    def __init__(
        self,
        memory_limit: int = DEFAULT_UPLOAD_MEMORY_LIMIT,
        space_limit: int = DEFAULT_UPLOAD_SPACE_LIMIT,
        idle_timeout: float = DEFAULT_UPLOAD_IDLE_TIMEOUT,
        files_limit: int = DEFAULT_UPLOAD_FILES_LIMIT,
        spill_dir: str | None = None,
    ) -> None:
        self.memory_limit = memory_limit
        #: where uploads spill to named files (a data dir's, ``fake_ecr.model.store.spill_directory``); None:
        #: anonymous temporary files
        self.spill_dir = spill_dir
        self.space_limit = space_limit
        self.files_limit = files_limit
        #: real seconds an upload may go without a chunk before it is dropped
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self.in_memory = 0
        self.held = 0
        #: uploads holding a temporary file
        self.files = 0

    def take(self, size: int, in_memory: bool) -> bool:
        """Count ``size`` more bytes; whether they may stay in memory.  UploadSpaceExhausted past the space limit."""
        with self._lock:
            if self.held + size > self.space_limit:
                raise errors.UploadSpaceExhausted(self.space_limit)
            self.held += size
            if in_memory and self.in_memory + size <= self.memory_limit:
                self.in_memory += size
                return True
            return False

    def moved_to_disk(self, size: int) -> None:
        """``size`` bytes counted in memory go to a new temporary file.  UploadFilesExhausted past the files
        limit (the bytes stay counted as in memory until the upload is dropped)."""
        with self._lock:
            if self.files >= self.files_limit:
                raise errors.UploadFilesExhausted(self.files_limit)
            self.files += 1
            self.in_memory -= size

    def give_back(self, held: int, in_memory: int, file: bool) -> None:
        with self._lock:
            self.held -= held
            self.in_memory -= in_memory
            self.files -= file


class UploadSession:
    """An upload in progress: bytes so far, their running digest, and part count."""

    def __init__(
        self, upload_id: str, repository_name: str, started_at: float, space: UploadSpace | None = None
    ) -> None:
        self.upload_id = upload_id
        self.repository_name = repository_name
        self.started_at = started_at
        #: when a part last arrived (on the fake's clock): idle uploads expire
        self.last_active_at = started_at
        #: when a chunk last arrived, in real seconds (``time.monotonic``): idle uploads expire on it too
        self.last_active_monotonic = time.monotonic()
        self._space = space if space is not None else UploadSpace()
        self._held = 0  # bytes counted in ``_space``
        self._in_memory = 0  # of which in memory
        self._holds_file = False  # counted among the space's files
        self.lock = threading.Lock()
        #: held while a chunk is written or the body closed: ``discard`` may come from another thread
        self._body_lock = threading.Lock()
        self.parts = 0
        self.part_sizes: list[int] = []
        self._writer = DigestingWriter()
        # The body outlives this call: seal() hands it on or discard() closes it.  It never spills by itself
        # (max_size 0): ``_count`` rolls it over past SPILL_THRESHOLD or the fake's memory limit.
        self._body: tempfile.SpooledTemporaryFile[bytes] = (
            tempfile.SpooledTemporaryFile(max_size=0)  # noqa: SIM115
            if self._space.spill_dir is None
            else _NamedSpool(self._space.spill_dir)
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
                    self._count(len(chunk))
                    self._writer.update(chunk)
                    self._body.write(chunk)
                added += len(chunk)
                self.last_active_monotonic = time.monotonic()
        finally:  # a body cut short still counts for what arrived: part sizes always add up to ``size``
            if added:
                self.parts += 1
                self.part_sizes.append(added)
        return added

    def _count(self, size: int) -> None:
        """Count ``size`` bytes about to be written, spilling the body to its file when memory is spent."""
        in_memory = not self._body._rolled  # type: ignore[attr-defined]
        keep = self._space.take(size, in_memory and self._in_memory + size <= SPILL_THRESHOLD)
        self._held += size
        if keep:
            self._in_memory += size
        elif in_memory:
            self._space.moved_to_disk(self._in_memory)
            self._holds_file = True
            self._body.rollover()
            self._in_memory = 0

    def _uncount(self) -> None:
        """The body's bytes are no upload's any more (sealed into a blob, or dropped)."""
        self._space.give_back(self._held, self._in_memory, self._holds_file)
        self._held = self._in_memory = 0
        self._holds_file = False

    @property
    def has_small_parts(self) -> bool:
        """Whether a part before the last is under the 5 MiB minimum (LayerPartTooSmall,
        docs/behaviour/errors.md#messages #22)."""
        return any(size < MIN_PART_SIZE for size in self.part_sizes[:-1])

    def seal(self) -> StoredBlob:
        """Turn the body into a stored blob (no copy when it already sits in a file)."""
        body = self._body
        with self._body_lock:
            self._uncount()
        if isinstance(body, _NamedSpool) and body.path is not None:  # spilled to a named file: it is the blob
            body.flush()
            return SpilledBlob(self.digest, self.size, body, body.path)
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
            if isinstance(self._body, _NamedSpool) and self._body.path is not None:
                Path(self._body.path).unlink(missing_ok=True)
            self._uncount()


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What the layer API reports of a blob present in a repository."""

    digest: str
    size: int
    media_type: str | None
