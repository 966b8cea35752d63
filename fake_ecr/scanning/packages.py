"""The OS packages installed in an image, read from its layer blobs.

Owns: streaming an image's layers in order through the few files a package scan needs, with the
OCI image-spec's whiteouts (layer.md "Whiteouts": ``.wh.<name>`` deletes ``<name>`` from lower layers,
``.wh..wh..opq`` hides everything a lower layer put in its directory; neither touches files of its
own layer), and parsing what is left:

- dpkg's ``var/lib/dpkg/status`` (Debian, Ubuntu): paragraphs whose ``Status`` ends in
  ``installed`` (``install ok installed``, also ``hold ok installed``);
- apk's ``lib/apk/db/installed`` (Alpine): ``P:`` name, ``V:`` version, ``A:`` arch, ``o:`` origin;
- ``os-release``(5): ``etc/os-release``, falling back to ``usr/lib/os-release`` as the man page says
  (on Debian ``etc/os-release`` is a symlink to the latter, so only the fallback holds the data).

Each package records the layer that installed it: the first layer whose copy of the database lists
it with that version (a later layer that rewrites the database, e.g. another ``apt-get install``,
keeps the packages it did not change attributed to the earlier layer).

Layers are gzip, bzip2, xz or plain tar (tarfile's stream mode ``r|*`` tells them apart by their
magic bytes and never seeks or holds a layer in memory).  Not read, and why:
- zstd layers: Python 3.10's stdlib has no zstd; they raise ``LayerNotReadable``.
- rpm databases: ``rpmdb.sqlite`` needs a temporary copy (sqlite cannot read a stream), a parser for
  rpm's binary headers and rpm's own version order, and older images (Amazon Linux 2, UBI 8) keep
  a Berkeley DB the stdlib cannot read at all.
- distroless's ``var/lib/dpkg/status.d/`` and language packages (pip, npm, jar, ...).

Must not import anything from fake_ecr but ``errors``; never HTTP or botocore.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from fake_ecr.errors import EcrError

#: A layer blob, opened afresh on each call.
LayerOpener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class InstalledPackage:
    """One package an OS package manager lists as installed."""

    name: str
    version: str
    architecture: str | None
    #: ``"dpkg"`` or ``"apk"`` (the keys of ``fake_ecr.scanning.versions``).
    ecosystem: str
    #: dpkg's ``Source`` package or apk's origin (``o:``); ``None`` when the database names none.
    source_name: str | None
    #: Digest of the layer that installed the package, when the caller gave layer digests.
    layer_digest: str | None


@dataclass(frozen=True)
class OsRelease:
    """The operating system an image says it is (``os-release``(5) ``ID`` and ``VERSION_ID``)."""

    id: str
    version_id: str | None


@dataclass(frozen=True)
class ImagePackages:
    """What a package scan of one image found: its OS, if it names one, and its installed packages."""

    os_release: OsRelease | None
    packages: tuple[InstalledPackage, ...]


@dataclass(eq=False)
class LayerNotReadable(EcrError):
    """A layer blob that is not a tar archive this scanner can read."""

    #: The layer's digest, or ``#<position>`` when the caller gave no digests.
    layer: str
    reason: str

    @property
    def message(self) -> str:
        # UNCONFIRMED wording: ECR publishes no text for a layer its scanner cannot open; the scan
        # state machine shows it as the FAILED scan's description.
        return f"The layer {self.layer} cannot be read as a tar archive: {self.reason}"


# --- parsers ----------------------------------------------------------------------------------------


def _paragraphs(text: str) -> Iterator[dict[str, str]]:
    """Blank-line separated ``Key: value`` paragraphs (dpkg status; apk's ``K:value`` lines too).

    Continuation lines (leading blank) carry only long descriptions and file lists, which no field
    read here spans; a key that repeats (apk's ``F:``/``R:`` per file) keeps its first value.
    """
    for paragraph in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            key, colon, value = line.partition(":")
            if colon and not line[:1].isspace():
                fields.setdefault(key, value.strip())
        yield fields


def _dpkg_status(text: str) -> Iterator[InstalledPackage]:
    for fields in _paragraphs(text):
        # Status is "<want> <error> <status>" (dpkg-query(1)); only the last word says installed.
        if fields.get("Status", "").split()[2:] != ["installed"] or not {"Package", "Version"} <= fields.keys():
            continue
        # "Source: openssl (3.0.11-1~deb12u2)": the parenthesised source version appears when it
        # differs from the binary's (e.g. a binNMU); only the name is kept.
        source_name = fields.get("Source", "").split(" ")[0] or None
        yield InstalledPackage(
            fields["Package"], fields["Version"], fields.get("Architecture"), "dpkg", source_name, None
        )


def _apk_installed(text: str) -> Iterator[InstalledPackage]:
    for fields in _paragraphs(text):
        if "P" in fields and "V" in fields:
            yield InstalledPackage(fields["P"], fields["V"], fields.get("A"), "apk", fields.get("o"), None)


def _os_release(text: str) -> OsRelease:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.strip().partition("=")
        if not equals or key.startswith("#"):
            continue
        try:
            # os-release(5): shell-compatible assignments, so shell quoting and escapes apply.
            fields[key] = " ".join(shlex.split(value, comments=True))
        except ValueError:  # an unbalanced quote: not an assignment a shell would accept
            continue
    # os-release(5): ID defaults to "linux" when the file has none.
    return OsRelease(fields.get("ID", "linux"), fields.get("VERSION_ID"))


_DATABASES: dict[str, Callable[[str], Iterator[InstalledPackage]]] = {
    "var/lib/dpkg/status": _dpkg_status,
    "lib/apk/db/installed": _apk_installed,
}
_OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
_WANTED_PATHS = frozenset(_DATABASES) | frozenset(_OS_RELEASE_PATHS)


# --- layers -------------------------------------------------------------------------------------------

_WHITEOUT_PREFIX = ".wh."
_OPAQUE_WHITEOUT = ".wh..wh..opq"
#: Zstandard frame magic (RFC 8878 §3.1.1).
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class _LayerChanges:
    """What one layer does to the wanted files: paths it hides below it, and files it writes."""

    #: Whiteout targets: a path hides itself and everything under it.
    hidden: list[str] = field(default_factory=list)
    #: Wanted paths this layer writes; ``None`` where it puts a non-file there (e.g. a symlink).
    written: dict[str, bytes | None] = field(default_factory=dict)


def _image_path(member_name: str) -> str:
    """A tar member's path relative to the image root ('./etc/x', '/etc/x' and 'etc/x' are one)."""
    return posixpath.normpath("/" + member_name).lstrip("/")


def _hides(whiteout: str, path: str) -> bool:
    return path == whiteout or path.startswith(whiteout + "/")


def _read_layer(open_layer: LayerOpener, layer: str) -> _LayerChanges:
    with open_layer() as head:
        if head.read(len(_ZSTD_MAGIC)) == _ZSTD_MAGIC:
            raise LayerNotReadable(layer, "zstd-compressed layers are not supported by fake-ecr's scanner")
    changes = _LayerChanges()
    try:
        with open_layer() as blob, tarfile.open(fileobj=blob, mode="r|*") as archive:
            for member in archive:
                path = _image_path(member.name)
                directory, name = posixpath.split(path)
                if name == _OPAQUE_WHITEOUT:
                    changes.hidden.append(directory)
                elif name.startswith(_WHITEOUT_PREFIX):
                    changes.hidden.append(posixpath.join(directory, name[len(_WHITEOUT_PREFIX) :]))
                elif path in _WANTED_PATHS:
                    content = archive.extractfile(member) if member.isreg() else None
                    changes.written[path] = content.read() if content else None
    except tarfile.TarError as error:
        raise LayerNotReadable(layer, str(error)) from error
    return changes


def read_installed_packages(layers: Sequence[LayerOpener], layer_digests: Sequence[str] | None = None) -> ImagePackages:
    """The OS and OS packages of an image whose layers (bottom first) ``layers`` open.

    ``layer_digests``, when given, names each layer (same order) and is recorded as the
    ``layer_digest`` of the packages it installed.  Raises ``LayerNotReadable`` for a layer that is
    not a readable tar archive, ``ValueError`` when the two sequences differ in length.
    """
    if layer_digests is not None and len(layer_digests) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(layer_digests)} layer digests")
    names: Sequence[str | None] = layer_digests or [None] * len(layers)
    files: dict[str, bytes] = {}
    installed: dict[str, tuple[InstalledPackage, ...]] = {}
    for position, (open_layer, layer_digest) in enumerate(zip(layers, names, strict=True)):
        changes = _read_layer(open_layer, layer_digest or f"#{position}")
        changed = {path for path in files if any(_hides(hidden, path) for hidden in changes.hidden)}
        changed |= changes.written.keys()
        for path in changed:
            content = changes.written.get(path)
            if content is None:
                files.pop(path, None)
            else:
                files[path] = content
        for path in changed & _DATABASES.keys():
            # A package keeps the layer of the database copy that first listed it at this version.
            earlier = {(p.name, p.version, p.architecture): p for p in installed.get(path, ())}
            parsed = _DATABASES[path](files[path].decode("utf-8", "replace")) if path in files else ()
            installed[path] = tuple(
                earlier.get((p.name, p.version, p.architecture), dataclasses.replace(p, layer_digest=layer_digest))
                for p in parsed
            )
    os_release_path = next((path for path in _OS_RELEASE_PATHS if path in files), None)
    return ImagePackages(
        _os_release(files[os_release_path].decode("utf-8", "replace")) if os_release_path else None,
        tuple(package for path in _DATABASES for package in installed.get(path, ())),
    )
