"""What a fake keeps in its data dir (``Settings.data_dir``, ``fake-ecr serve --data-dir``), and when.

Owns the records a fake's state becomes in a ``fake_ecr.model.store.Store`` (docs/server.md#persistence):

- each registry as records of four kinds, keyed ``["registry", where]``, ``["repository", where, name]``,
  ``["image", where, name, digest]`` and ``["blob-link", where, name, digest]`` (where: ``account/region``, or
  ``public/account`` for ECR Public's): the registry's settings (policy, scanning, replication, templates,
  pull through cache and the rest) and a public registry's catalog data; a repository's record (policies,
  lifecycle policy and preview, settings) and place in creation order; an image's record (scan and findings
  included) with its tags and place in push order; a blob link's media type.  Blobs are the store's files;
- ``clock``: its offset and pin; ``scan-results``: the findings tests set (``fake-ecr findings set``);
- ``settings``: the fake's settings; ``signing-key``: the key ``serve`` signs credentials under.

``Persistence.save`` writes what changed since the last save, as the registries marked it on their write paths
(``Registry.take_changes``): blobs first (each renamed into place once verified), then every changed record in
one transaction, so a record only names blobs already on disk; a save costs what changed, not what is held.  The
handle calls it after each request that may have written (``writes``) and on ``stop``; a read that moves
state (a pull's ``lastRecordedPullTime``, a scan finished when read) reaches the disk with the next write.
Uploads in progress are not kept.  Must not import ``fake_ecr.surfaces.handle``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from fake_ecr.model import Backend, ImageView, records
from fake_ecr.model.public import PublicRegistry, RepositoryCatalogData
from fake_ecr.model.records import RepositoryRecord
from fake_ecr.model.registry import Registry, RegistryChanges, RegistrySnapshot, RepositorySnapshot
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


@dataclass(slots=True)
class _Order:
    """A repository's place in its registry's creation order, and its images' places in its push order."""

    seq: int
    images: dict[str, int] = field(default_factory=dict)


class Persistence:
    """A fake's data dir, open: ``load`` once, then ``save`` after writes; ``close`` at the end.

    A registry is four kinds of records: ``registry`` (its settings, a public registry's catalog data),
    ``repository`` (its record), ``image`` (one image with its tags) and ``blob-link`` (one blob a repository
    links, with its media type).  Repositories and images carry a sequence number: creation and push order.
    A save writes only what the registries marked as changed since the last (``Registry.take_changes``):
    its cost follows what changed, not what the fake holds.
    """

    def __init__(self, data_dir: str) -> None:
        self.store = Store(data_dir)
        self._lock = threading.Lock()
        #: the records outside the registries as last written (key -> JSON text)
        self._written: dict[str, str] = {}
        #: where -> the registry its records were written from (another one there: write it afresh)
        self._registries: dict[str, Registry] = {}
        #: where -> (its settings, a public registry's catalog data) as last written, encoded
        self._registry_parts: dict[str, tuple[object, object]] = {}
        #: where -> repository name -> its sequence number and those of its images
        self._order: dict[str, dict[str, _Order]] = {}
        self._next_seq = 0
        #: whether a save failed (or is under way): the next writes every registry afresh
        self._failed = False

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
        repositories: dict[str, list[tuple[int, str, RepositoryRecord]]] = {}
        images: dict[tuple[str, str], list[tuple[int, ImageView]]] = {}
        links: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for key, text in rows.items():
            if not key.startswith("["):
                self._written[key] = text
                continue
            kind, where, *names = json.loads(key)
            saved = json.loads(text)
            if kind == "registry":
                registries[where] = saved
            elif kind == "repository":
                repositories.setdefault(where, []).append((saved["seq"], names[0], _CODEC.decode(saved["record"])))
            elif kind == "image":
                images.setdefault((where, names[0]), []).append((saved["seq"], _CODEC.decode(saved["view"])))
            elif kind == "blob-link":
                links.setdefault((where, names[0]), []).append((str(names[1]), saved))
        kept: set[str] = set()
        seqs = [0]
        for where, saved in registries.items():
            owner, _, region = where.partition("/")
            registry: Registry = (
                backend.public_registry(region) if owner == "public" else backend.registry(owner, region)
            )
            order = self._order[where] = {}
            snapshot: list[RepositorySnapshot] = []
            for seq, name, record in sorted(repositories.get(where, [])):
                views = sorted(images.get((where, name), []), key=lambda item: item[0])
                order[name] = _Order(seq, {view.image.image_digest: image_seq for image_seq, view in views})
                seqs += [seq, *order[name].images.values()]
                snapshot.append(
                    RepositorySnapshot(record, tuple(view for _, view in views), tuple(links.get((where, name), ())))
                )
            kept.update(self._restore(registry, RegistrySnapshot(_CODEC.decode(saved["settings"]), tuple(snapshot))))
            if isinstance(registry, PublicRegistry):
                registry.restore_catalog(*_CODEC.decode(saved["catalog"]))
            self._registries[where] = registry
            self._registry_parts[where] = (saved["settings"], saved["catalog"])
        self._next_seq = max(seqs) + 1
        if "clock" in rows:
            offset, pinned = json.loads(rows["clock"])
            backend.clock.restore(offset, pinned)
        if "scan-results" in rows:
            engine.restore_results(dict(_CODEC.loads(rows["scan-results"])))
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
                present: dict[str, Registry] = {f"{r.registry_id}/{r.region}": r for r in backend.registries()}
                catalogs: dict[str, object] = {}
                for public in backend.public_registries():
                    present[f"public/{public.registry_id}"] = public
                    catalogs[f"public/{public.registry_id}"] = public.catalog()
                afresh = self._failed  # the last save's changes may not have reached the disk: write all again
                gone = [w for w, registry in self._registries.items() if afresh or present.get(w) is not registry]
                taken = {where: registry.take_changes(everything=afresh) for where, registry in present.items()}
                clock = backend.clock.setting
                results = engine.results
            self._failed = True  # until the write below commits
            durable: dict[str, DurableBlob] = {}
            for changes in taken.values():
                for digest, blob in changes.blobs.items():
                    if not isinstance(blob, DurableBlob) and digest not in durable:
                        durable[digest] = self.store.keep_blob(blob)
            rows: dict[str, str | None] = {}
            dropped: list[str] = []
            for where in gone:  # forgotten (``reset``), or forgotten and made anew: its records go
                dropped += [_prefix(kind, where) for kind in ("repository", "image", "blob-link")]
                rows[_key("registry", where)] = None
                self._order.pop(where, None)
                self._registry_parts.pop(where, None)
            for where, changes in taken.items():
                self._registry_rows(where, changes, catalogs.get(where), rows, dropped)
            kept = {"clock": json.dumps(clock), "scan-results": _CODEC.dumps(list(results.items()))}
            rows.update({key: text for key, text in kept.items() if afresh or self._written.get(key) != text})
            self.store.write(rows, dropped)
            self._failed = False
            self._written.update(kept)
            self._registries = present
            if durable:  # the bytes are on disk now: drop them from memory
                for registry in present.values():
                    registry.replace_blobs(durable)

    def _registry_rows(
        self, where: str, changes: RegistryChanges, catalog: object, rows: dict[str, str | None], dropped: list[str]
    ) -> None:
        """The records one registry's changes make into ``rows`` (None: delete), and the key prefixes of the
        repositories it deleted into ``dropped``."""
        order = self._order.setdefault(where, {})
        parts = self._registry_parts.get(where, (None, None))
        settings = parts[0] if changes.settings is None else _CODEC.encode(changes.settings)
        encoded = (settings, None if catalog is None else _CODEC.encode(catalog))
        if encoded != parts:
            rows[_key("registry", where)] = json.dumps({"settings": encoded[0], "catalog": encoded[1]})
            self._registry_parts[where] = encoded
        for name in changes.dropped:
            dropped += [_prefix("image", where, name), _prefix("blob-link", where, name)]
            rows[_key("repository", where, name)] = None
            order.pop(name, None)
        for name, record, created in changes.repositories:
            held = order.get(name)
            if record is None:
                continue  # deleted since: ``dropped`` names it
            if created or held is None:
                held = order[name] = _Order(self._take_seq())
            rows[_key("repository", where, name)] = json.dumps({"seq": held.seq, "record": _CODEC.encode(record)})
        for name, digest, view, added in changes.images:
            key = _key("image", where, name, digest)
            held = order.get(name)
            if view is None or held is None:
                rows[key] = None
                if held is not None:
                    held.images.pop(digest, None)
                continue
            seq = None if added else held.images.get(digest)
            if seq is None:
                seq = held.images[digest] = self._take_seq()
            rows[key] = json.dumps({"seq": seq, "view": _CODEC.encode(view)})
        for name, digest, linked, media_type in changes.blob_links:
            rows[_key("blob-link", where, name, digest)] = json.dumps(media_type) if linked else None

    def _take_seq(self) -> int:
        self._next_seq += 1
        return self._next_seq - 1


def _prefix(*parts: str) -> str:
    """The start every key under ``parts`` shares (``_key(*parts, ...)``)."""
    return _key(*parts)[:-1] + ","


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
