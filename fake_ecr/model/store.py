"""A data dir: the on-disk store of ``fake-ecr serve --data-dir DIR`` (docs/server.md#persistence).

Owns the layout and its two write paths, and the record codec:

- ``DIR/blobs/<algorithm>/<hex>``: each blob's bytes, in a file named by its digest.  ``keep_blob`` writes
  a blob to a temporary file in ``DIR/blobs/tmp``, checks its digest, fsyncs it, renames it into place
  (``os.replace``, atomic) and fsyncs the directory; a blob an upload spilled to a file in ``DIR/blobs/tmp``
  (``spill_directory``) is digested as it arrives, so it is only fsynced and renamed; a ``DurableBlob``
  then reads from that file, holding no bytes in memory.  ``DIR/blobs/tmp`` is emptied whenever the store
  opens: what a crash (or an upload in progress) left there was never named by a record.
- ``DIR/state.db``: SQLite (stdlib ``sqlite3``, write-ahead log, ``synchronous=FULL``), one table of
  records, key -> JSON text.  ``write`` changes any number of rows, and drops every row under a key
  prefix, in one transaction.
- ``Codec``: frozen dataclasses, tuples, bytes and JSON's own values to JSON text and back.  It decodes
  only the dataclasses it was given (by class name): a record can't make it build anything else.

Why a crash (``kill -9`` mid-push) leaves nothing torn visible: a blob file appears under its name only
complete and verified (rename after fsync), and a record that names a blob is committed only after that
blob's rename is durable; a transaction is all or nothing (SQLite's journal), so after a crash the records
are those of the last committed write, each naming only blobs already in place.  Files no record names
(a blob renamed in place just before the crash, or one whose images were deleted) are removed by
``collect`` when the next owner loads the records.

One process uses a data dir at a time: opening takes an exclusive ``flock`` on ``DIR/lock``
(``StoreBusy`` otherwise).

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from fake_ecr.model.blobs import SpilledBlob, StoredBlob, pread_chunks

#: The digest algorithms a blob file can be named by (OCI image-spec "Digests": sha256 and sha512 are registered).
_DIGEST = re.compile(r"(sha256|sha512):([0-9a-f]{64}|[0-9a-f]{128})")
_COPY_CHUNK = 1024 * 1024


class StoreError(Exception):
    """A data dir that can't be used as it is (its message says why)."""


class StoreBusy(StoreError):
    """Another process (or fake) uses the data dir."""


class DurableBlob(StoredBlob):
    """A blob whose bytes are in its file in a data dir; each read opens the file (no descriptor is held)."""

    __slots__ = ("path",)

    def __init__(self, digest: str, size: int, path: Path) -> None:
        super().__init__(digest, size, None, None)
        self.path = path

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        last = self.size - 1 if end is None else min(end, self.size - 1)
        with open(self.path, "rb") as file:
            yield from pread_chunks(file.fileno(), start, last)


class Codec:
    """Records to JSON text and back: dataclass instances of ``types`` (``{"$": name, field: value}``),
    tuples and lists (as lists, read back as tuples: records hold tuples), bytes (``{"$bytes": base64}``),
    and JSON's strings, numbers, booleans and null."""

    def __init__(self, types: Iterable[type]) -> None:
        self._types = {kind.__name__: kind for kind in types}

    def dumps(self, value: object) -> str:
        return json.dumps(self.encode(value), separators=(",", ":"))

    def loads(self, text: str) -> Any:
        return self.decode(json.loads(text))

    def encode(self, value: object) -> object:
        """``value`` as JSON's values (``dumps`` without the text)."""
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        if isinstance(value, (tuple, list)):
            return [self.encode(item) for item in value]
        if isinstance(value, bytes):
            return {"$bytes": base64.b64encode(value).decode()}
        kind = type(value)
        if dataclasses.is_dataclass(value) and self._types.get(kind.__name__) is kind:
            fields = {field.name: self.encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
            return {"$": kind.__name__, **fields}
        raise TypeError(f"the store keeps no {kind.__name__}")

    def decode(self, value: object) -> Any:
        """What ``encode`` gave, as it was."""
        if isinstance(value, list):
            return tuple(self.decode(item) for item in value)
        if not isinstance(value, dict):
            return value
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
        kind = self._types.get(str(value.get("$")))
        if kind is None:
            raise StoreError(f"a record of unknown type {value.get('$')!r}")
        names = {field.name for field in dataclasses.fields(kind)}
        return kind(**{name: self.decode(item) for name, item in value.items() if name in names})


class Store:
    """An open data dir: blob files and records (see the module's docstring)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._blobs = self.directory / "blobs"
        self._tmp = Path(spill_directory(self.directory))
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.directory / "lock", "a+b")  # noqa: SIM115  # held until ``close``
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreBusy(f"{self.directory} is in use by another fake-ecr") from None
        for leftover in self._tmp.iterdir():  # a write cut short by a crash: never named by a record
            leftover.unlink()
        # One connection, used under the caller's lock from whichever thread writes.
        self._db = sqlite3.connect(self.directory / "state.db", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def close(self) -> None:
        self._db.close()
        self._lock_file.close()  # and with it the flock

    # --- records ----------------------------------------------------------------------------

    def records(self) -> dict[str, str]:
        """Every record as last committed: key -> JSON text."""
        return dict(self._db.execute("SELECT key, value FROM records"))

    def write(self, changes: Mapping[str, str | None], dropped: Iterable[str] = ()) -> None:
        """Delete every record whose key starts with one of ``dropped``, then put each of ``changes`` (None:
        delete it), all in one transaction."""
        prefixes = list(dropped)
        if not changes and not prefixes:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for prefix in prefixes:  # a key range, so the primary key's index finds them
                following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                self._db.execute("DELETE FROM records WHERE key >= ? AND key < ?", (prefix, following))
            for key, value in changes.items():
                if value is None:
                    self._db.execute("DELETE FROM records WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO records (key, value) VALUES (?, ?)", (key, value))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- blobs ------------------------------------------------------------------------------

    def _path(self, digest: str) -> Path:
        match = _DIGEST.fullmatch(digest)
        if match is None:
            raise StoreError(f"no blob file can be named by digest {digest!r}")
        return self._blobs / match.group(1) / match.group(2)

    def blob(self, digest: str) -> DurableBlob | None:
        """The blob file of ``digest``, if the store holds it."""
        path = self._path(digest)
        try:
            return DurableBlob(digest, path.stat().st_size, path)
        except FileNotFoundError:
            return None

    def keep_blob(self, blob: StoredBlob) -> DurableBlob:
        """Put ``blob``'s bytes in its file (unless there already) and return it read from there: an upload's
        file in ``DIR/blobs/tmp`` (``spill_directory``) is renamed, other bytes are written and checked.

        StoreError when the bytes are not the digest's: nothing is then renamed into place.
        """
        path = self._path(blob.digest)
        held = self.blob(blob.digest)
        if held is not None and held.size == blob.size:
            return held
        if isinstance(blob, SpilledBlob) and Path(blob.path).parent == self._tmp:
            # An upload's file in ``DIR/blobs/tmp``: its digest was computed as its bytes were written, so it
            # is renamed into place as it is (``SpilledBlob.move`` fsyncs it first).
            path.parent.mkdir(exist_ok=True)
            blob.move(path)
            _fsync_directory(path.parent)
            return DurableBlob(blob.digest, blob.size, path)
        algorithm = blob.digest.partition(":")[0]
        hasher = hashlib.new(algorithm)
        fd, temporary = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in blob.read():
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if f"{algorithm}:{hasher.hexdigest()}" != blob.digest:
                raise StoreError(f"the bytes of blob {blob.digest} do not match its digest")
            path.parent.mkdir(exist_ok=True)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)
        return DurableBlob(blob.digest, blob.size, path)

    def collect(self, keep: Iterable[str]) -> int:
        """Remove every blob file whose digest is not in ``keep``; returns how many went."""
        wanted = {self._path(digest) for digest in keep}
        removed = 0
        for folder in self._blobs.iterdir():
            if folder == self._tmp or not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path not in wanted:
                    path.unlink()
                    removed += 1
        return removed


def spill_directory(directory: str | os.PathLike[str]) -> str:
    """Where the uploads of a fake on this data dir spill to (``UploadSpace.spill_dir``): ``DIR/blobs/tmp``,
    on the store's filesystem, so sealing an upload renames its file into place."""
    return str(Path(directory) / "blobs" / "tmp")


def _fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
