"""What a fake keeps in its data dir (``Settings.data_dir``, ``fake-ecr serve --data-dir``), and when.

Owns the records a fake's state becomes in a ``fake_ecr.model.store.Store`` (docs/server.md#persistence):

- each registry (``Registry.snapshot``) as records of three kinds, keyed ``["registry", where]``,
  ``["repository", where, name]`` and ``["image", where, name, digest]`` (where: ``account/region``, or
  ``public/account`` for ECR Public's): the registry's settings (policy, scanning, replication, templates,
  pull through cache and the rest), its repositories in creation order and a public registry's catalog
  data; a repository's record (policies, lifecycle policy and preview, settings), blob links and images
  in push order; an image's record (scan and findings included) with its tags.  Blobs are the store's files;
- ``clock``: its offset and pin; ``scan-results``: the findings tests set (``fake-ecr findings set``);
- ``settings``: the fake's settings; ``signing-key``: the key ``serve`` signs credentials under.

``Persistence.save`` writes what changed since the last save: blobs first (each renamed into place once
verified), then every changed record in one transaction, so a record only names blobs already on disk.  The
handle calls it after each request that may have written (``writes``) and on ``stop``; a read that moves
state (a pull's ``lastRecordedPullTime``, a scan finished when read) reaches the disk with the next write.
Uploads in progress are not kept.  Must not import ``fake_ecr.surfaces.handle``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

from fake_ecr.model import Backend, ImageRecord, ImageView, records
from fake_ecr.model.blobs import StoredBlob
from fake_ecr.model.public import PublicRegistry, RepositoryCatalogData
from fake_ecr.model.registry import Registry, RegistrySnapshot, RepositorySnapshot
from fake_ecr.model.store import Codec, DurableBlob, Store, StoreError
from fake_ecr.model.tokens import signing_key, use_signing_key
from fake_ecr.scanning import packages, vulnerabilities
from fake_ecr.scanning.engine import ScanEngine, ScanResult
from fake_ecr.settings import Settings

#: Prefixes of control-plane operations that only read (BatchGetImage moves lastRecordedPullTime: that goes
#: to disk with the next write or the stop).
_READS = ("Describe", "List", "Get", "BatchGet", "BatchCheck")
#: Registry methods that may write (a PATCH only adds to an upload in progress, which is not kept).
_REGISTRY_WRITES = frozenset({"POST", "PUT", "DELETE"})
_CODEC = Codec(
    [
        *(value for value in vars(records).values() if isinstance(value, type) and dataclasses.is_dataclass(value)),
        RepositoryCatalogData,
        ScanResult,
        vulnerabilities.Finding,
        vulnerabilities.Vulnerability,
        vulnerabilities.AffectedRange,
        vulnerabilities.Cvss,
        packages.InstalledPackage,
        packages.OsRelease,
    ]
)
_KEPT_SETTINGS = tuple(field.name for field in dataclasses.fields(Settings) if field.name != "data_dir")


def api_call_writes(target: str) -> bool:
    """Whether a control-plane call (its ``X-Amz-Target``) may change the state."""
    return not target.rpartition(".")[2].startswith(_READS)


def registry_request_writes(method: str) -> bool:
    """Whether a registry request (its HTTP method) may change the state."""
    return method in _REGISTRY_WRITES


def _key(*parts: str) -> str:
    """A registry's record's key: a JSON list (repository names hold ``/``), so never one of the other keys."""
    return json.dumps(parts)


class Persistence:
    """A fake's data dir, open: ``load`` once, then ``save`` after writes; ``close`` at the end.

    A registry is three kinds of records: ``registry`` (its settings, its repositories in creation order, a public
    registry's catalog data), ``repository`` (its record, blob links and images in push order) and ``image`` (one
    image with its tags).  A save encodes only the images whose record or tags changed since the last (records are
    frozen and replaced on change, so the record's identity says), and writes only the records whose text changed.
    """

    def __init__(self, data_dir: str) -> None:
        self.store = Store(data_dir)
        self._lock = threading.Lock()
        #: what the store holds, as last written (key -> JSON text)
        self._written: dict[str, str] = {}
        #: image key -> (the record and tags its text was made from): unchanged images are not encoded again
        self._encoded: dict[str, tuple[ImageRecord, tuple[str, ...]]] = {}

    def close(self) -> None:
        self.store.close()

    # --- loading ------------------------------------------------------------------------------

    def load(self, backend: Backend, engine: ScanEngine, settings: Settings) -> None:
        """Fill an empty backend, its scan engine and clock from the store; keep ``settings`` there.

        StoreError when a record can't be read (a data dir written by hand, or by a later fake-ecr).
        """
        with self._lock:
            try:
                self._load(backend, engine)
            except (ValueError, KeyError, TypeError) as error:
                raise StoreError(f"{self.store.directory} holds a record that can't be read: {error!r}") from error
            self.store.write({"settings": json.dumps(_kept_settings(settings))})

    def _load(self, backend: Backend, engine: ScanEngine) -> None:
        rows = self.store.records()
        registries: dict[str, dict[str, Any]] = {}
        repositories: dict[tuple[str, str], dict[str, Any]] = {}
        views: dict[tuple[str, str, str], ImageView] = {}
        for key, text in rows.items():
            if not key.startswith("["):
                continue
            kind, where, *names = json.loads(key)
            if kind == "registry":
                registries[where] = json.loads(text)
            elif kind == "repository":
                repositories[where, names[0]] = json.loads(text)
            elif kind == "image":
                views[where, names[0], names[1]] = _CODEC.loads(text)
        kept: set[str] = set()
        for where, saved in registries.items():
            owner, _, region = where.partition("/")
            registry: Registry = (
                backend.public_registry(region) if owner == "public" else backend.registry(owner, region)
            )
            snapshot = RegistrySnapshot(
                _CODEC.decode(saved["settings"]),
                tuple(_repository(repositories[where, name], where, name, views) for name in saved["repositories"]),
            )
            kept.update(self._restore(registry, snapshot))
            if isinstance(registry, PublicRegistry):
                registry.restore_catalog(*_CODEC.decode(saved["catalog"]))
        if "clock" in rows:
            offset, pinned = json.loads(rows["clock"])
            backend.clock.restore(offset, pinned)
        if "scan-results" in rows:
            engine.restore_results(dict(_CODEC.loads(rows["scan-results"])))
        self._written = rows
        self._encoded = {}
        self.store.collect(kept)

    def _restore(self, registry: Registry, snapshot: RegistrySnapshot) -> set[str]:
        digests = {digest for repository in snapshot.repositories for digest, _ in repository.blob_links}
        blobs = {digest: blob for digest in digests if (blob := self.store.blob(digest)) is not None}
        registry.restore(snapshot, blobs)
        return set(blobs)

    # --- saving -------------------------------------------------------------------------------

    def save(self, backend: Backend, engine: ScanEngine) -> None:
        """Write what changed since the last save: blobs, then the records naming them, in one transaction."""
        with self._lock:
            with backend.lock:  # one consistent moment of every registry, the clock and the findings set
                taken = [_taken(f"{r.registry_id}/{r.region}", r) for r in backend.registries()]
                taken += [_taken(f"public/{r.registry_id}", r, r.catalog()) for r in backend.public_registries()]
                clock = backend.clock.setting
                results = engine.results
            durable: dict[str, DurableBlob] = {}
            for _, _, _, blobs, _ in taken:
                for digest, blob in blobs.items():
                    if not isinstance(blob, DurableBlob) and digest not in durable:
                        durable[digest] = self.store.keep_blob(blob)
            rows: dict[str, str] = {"clock": json.dumps(clock), "scan-results": _CODEC.dumps(list(results.items()))}
            encoded: dict[str, tuple[ImageRecord, tuple[str, ...]]] = {}
            for where, _, snapshot, _, catalog in taken:
                names = [repository.record.repository_name for repository in snapshot.repositories]
                rows[_key("registry", where)] = json.dumps(
                    {
                        "settings": _CODEC.encode(snapshot.settings),
                        "repositories": names,
                        "catalog": None if catalog is None else _CODEC.encode(catalog),
                    }
                )
                for repository in snapshot.repositories:
                    self._repository_rows(where, repository, rows, encoded)
            changes: dict[str, str | None] = {k: v for k, v in rows.items() if self._written.get(k) != v}
            changes.update({k: None for k in self._written if k.startswith("[") and k not in rows})
            self.store.write(changes)
            self._written = {**{k: v for k, v in self._written.items() if not k.startswith("[")}, **rows}
            self._encoded = encoded
            if durable:  # the bytes are on disk now: drop them from memory
                for _, registry, _, _, _ in taken:
                    registry.replace_blobs(durable)

    def _repository_rows(
        self,
        where: str,
        repository: RepositorySnapshot,
        rows: dict[str, str],
        encoded: dict[str, tuple[ImageRecord, tuple[str, ...]]],
    ) -> None:
        """The records of one repository and of its images into ``rows`` (an unchanged image's text as written)."""
        name = repository.record.repository_name
        digests = [view.image.image_digest for view in repository.images]
        rows[_key("repository", where, name)] = json.dumps(
            {"record": _CODEC.encode(repository.record), "blob_links": repository.blob_links, "images": digests}
        )
        for view in repository.images:
            key = _key("image", where, name, view.image.image_digest)
            seen = self._encoded.get(key)
            written = self._written.get(key)
            if seen is not None and written is not None and seen[0] is view.image and seen[1] == view.image_tags:
                rows[key] = written
            else:
                rows[key] = _CODEC.dumps(view)
            encoded[key] = (view.image, view.image_tags)


#: A registry as a save took it: (where, the registry, its snapshot, its blobs, a public registry's catalog data).
Taken = tuple[str, Registry, RegistrySnapshot, dict[str, StoredBlob], object]


def _taken(where: str, registry: Registry, catalog: object = None) -> Taken:
    snapshot, blobs = registry.snapshot()
    return where, registry, snapshot, blobs, catalog


def _repository(
    saved: dict[str, Any], where: str, name: str, views: dict[tuple[str, str, str], ImageView]
) -> RepositorySnapshot:
    """A repository's snapshot from its record and those of its images (an image without one is left out)."""
    images = tuple(views[where, name, digest] for digest in saved["images"] if (where, name, digest) in views)
    links = tuple((str(digest), media_type) for digest, media_type in saved["blob_links"])
    return RepositorySnapshot(_CODEC.decode(saved["record"]), images, links)


def _kept_settings(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in _KEPT_SETTINGS}


def prepare_serve(data_dir: str) -> dict[str, Any]:
    """Before ``fake-ecr serve --data-dir`` starts its fake: take up the data dir's signing key (or keep this
    process's there), so logins from before a restart still work; returns the settings kept there (empty
    for a new data dir), which flags and variables override."""
    store = Store(data_dir)
    try:
        rows = store.records()
        if "signing-key" in rows:
            use_signing_key(bytes.fromhex(json.loads(rows["signing-key"])))
        else:
            store.write({"signing-key": json.dumps(signing_key().hex())})
        kept = json.loads(rows.get("settings", "{}"))
        return {name: value for name, value in kept.items() if name in _KEPT_SETTINGS}
    finally:
        store.close()
