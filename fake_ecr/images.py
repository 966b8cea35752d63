"""Container images and OCI artifacts in memory, for tests and benchmarks.

Owns the value types a test pushes or pulls (``Blob``, ``Image``, ``ImageIndex``), the builders that make
them deterministically (``image``, ``index``, ``artifact``, ``random_layer_image``) and the readers and
writer of images on disk (``load_docker_archive``, ``load_oci_layout``, ``write_oci_layout``).  Manifests are
produced as compact JSON in the key order of the specs' own examples, so equal inputs give equal digests.

Must not import anything from fake_ecr but ``digest``, ``errors`` and ``manifests``; never HTTP, botocore or
registry code (a push/pull client builds on these types from its own module).
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import random
import tarfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike, fspath
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TypeVar

from fake_ecr.errors import EcrError
from fake_ecr.formats import manifests
from fake_ecr.formats.digest import SHA256_DIGEST_PATTERN, DigestingWriter, sha256_digest

ImageFormat = Literal["docker", "oci"]


@dataclass(frozen=True)
class MediaTypes:
    """The media types one manifest format uses (docs/behaviour/registry.md#manifest-formats)."""

    manifest: str
    index: str
    config: str
    layer: str
    uncompressed_layer: str


MEDIA_TYPES: Mapping[ImageFormat, MediaTypes] = {
    "docker": MediaTypes(
        manifest=manifests.DOCKER_SCHEMA2,
        index=manifests.DOCKER_MANIFEST_LIST,
        config=manifests.DOCKER_CONFIG,
        layer="application/vnd.docker.image.rootfs.diff.tar.gzip",
        # Not in ECR's list (docs/behaviour/registry.md#manifest-formats): distribution's schema2
        # `MediaTypeUncompressedLayer`, which docker itself compresses before a push.  Only used when a docker-format
        # image is built with compress=False.
        uncompressed_layer="application/vnd.docker.image.rootfs.diff.tar",
    ),
    "oci": MediaTypes(
        manifest=manifests.OCI_MANIFEST,
        index=manifests.OCI_INDEX,
        config=manifests.OCI_CONFIG,
        layer="application/vnd.oci.image.layer.v1.tar+gzip",
        uncompressed_layer="application/vnd.oci.image.layer.v1.tar",
    ),
}
#: image-spec manifest.md "Guidance for an Empty Descriptor": the blob ``{}`` stands for "no content".
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_DATA = b"{}"
#: image-spec annotations.md: the annotation an OCI layout's index.json uses as a "tag".
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
#: The ``created`` time built images get by default (OPTIONAL in image-spec config.md): fixed, so equal
#: inputs give equal digests.
EPOCH = "1970-01-01T00:00:00Z"

_INDEX_MEDIA_TYPES = frozenset(types.index for types in MEDIA_TYPES.values())
_IMAGE_CONFIG_MEDIA_TYPES = frozenset(types.config for types in MEDIA_TYPES.values())
#: image-spec descriptor.md "platform": the config keys an index copies, in the spec's order.
_PLATFORM_KEYS = ("architecture", "os", "os.version", "os.features", "variant")
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_LEVEL = 6  # zlib's default level
_CHUNK = 1 << 20
_TAR_BLOCK = 512


@dataclass(eq=False)
class InvalidImageSource(EcrError):
    """A docker-save archive or OCI image layout that does not hold the images its index describes."""

    source: str
    reason: str

    @property
    def message(self) -> str:
        """Which source could not be read, and why."""
        return f"Cannot read images from '{self.source}': {self.reason}"


def _descriptor(media_type: str, digest: str, size: int) -> dict[str, object]:
    # image-spec descriptor.md: the three REQUIRED properties, in the order its examples use.
    return {"mediaType": media_type, "digest": digest, "size": size}


def _canonical_json(document: Mapping[str, object]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Blob:
    """A content-addressed blob (an image config or a layer) with its media type."""

    media_type: str
    data: bytes = field(repr=False, compare=False)
    digest: str = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", sha256_digest(self.data))
        object.__setattr__(self, "size", len(self.data))

    def descriptor(self) -> dict[str, object]:
        """The OCI descriptor of this blob: ``{mediaType, digest, size}``."""
        return _descriptor(self.media_type, self.digest, self.size)


@dataclass(frozen=True)
class Image:
    """One image manifest (exact bytes) and the blobs it references."""

    manifest: bytes = field(repr=False, compare=False)
    media_type: str
    config: Blob
    layers: tuple[Blob, ...]
    digest: str = field(init=False)
    #: What DescribeImages reports: config size plus the (compressed) layer sizes
    #: (docs/behaviour/images.md#image-operations).
    size_in_bytes: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", sha256_digest(self.manifest))
        object.__setattr__(self, "size_in_bytes", self.config.size + sum(layer.size for layer in self.layers))

    def blobs(self) -> tuple[Blob, ...]:
        """Every distinct blob to push before the manifest, config first."""
        distinct: dict[str, Blob] = {}
        for blob in (self.config, *self.layers):
            distinct.setdefault(blob.digest, blob)
        return tuple(distinct.values())

    def descriptor(self) -> dict[str, object]:
        """The OCI descriptor of this manifest (for a subject, an index entry or an OCI layout)."""
        return _descriptor(self.media_type, self.digest, len(self.manifest))


@dataclass(frozen=True)
class ImageIndex:
    """A manifest list / OCI image index (exact bytes) and the image manifests it lists."""

    manifest: bytes = field(repr=False, compare=False)
    media_type: str
    manifests: tuple[Image, ...]
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", sha256_digest(self.manifest))

    def descriptor(self) -> dict[str, object]:
        """The OCI descriptor of this index."""
        return _descriptor(self.media_type, self.digest, len(self.manifest))


# --- building layers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    blob: Blob
    diff_id: str  # image-spec config.md rootfs.diff_ids: sha256 of the uncompressed tar


class _LayerWriter:
    """Takes a layer's uncompressed tar stream: digests it for the diff_id and keeps it, gzipped or not."""

    def __init__(self, gzip_level: int | None) -> None:
        self._diff_id = DigestingWriter()
        self._out = io.BytesIO()
        # mtime=0 and no file name in the gzip header: identical tars give identical blobs (on one zlib).
        self._gzip = (
            None
            if gzip_level is None
            else gzip.GzipFile(filename="", mode="wb", compresslevel=gzip_level, fileobj=self._out, mtime=0)
        )

    def write(self, chunk: bytes) -> None:
        self._diff_id.update(chunk)
        (self._out if self._gzip is None else self._gzip).write(chunk)

    def finish(self, media_type: str) -> _Layer:
        if self._gzip is not None:
            self._gzip.close()
        # getvalue() hands over BytesIO's buffer without a copy, so a big layer is held once.
        return _Layer(Blob(media_type, self._out.getvalue()), self._diff_id.digest)


def _write_tar(entries: Iterable[tuple[tarfile.TarInfo, Iterable[bytes]]], writer: _LayerWriter) -> None:
    for info, chunks in entries:
        # PAX headers only appear for names ustar cannot hold; utf-8 whatever the locale.
        writer.write(info.tobuf(tarfile.PAX_FORMAT, encoding="utf-8"))
        for chunk in chunks:
            writer.write(chunk)
        writer.write(bytes(-info.size % _TAR_BLOCK))
    writer.write(bytes(2 * _TAR_BLOCK))  # end of archive: two zero blocks


def _tar_info(name: str, kind: bytes, size: int) -> tarfile.TarInfo:
    # Fixed attributes (image-spec layer.md "File Attributes") so that equal files give equal layers.
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _layer_entries(files: Mapping[str, bytes | str]) -> list[tuple[tarfile.TarInfo, Iterable[bytes]]]:
    """Tar entries for ``files``, with a directory entry for every parent, in sorted order."""
    contents: dict[str, bytes] = {}
    for name, content in files.items():
        path = posixpath.normpath("/" + name).lstrip("/")
        if not path or path in contents or ".." in name.split("/"):
            raise ValueError(f"layer file name {name!r} is empty, outside the layer or given twice")
        contents[path] = content.encode() if isinstance(content, str) else content
    directories: set[str] = set()
    for path in contents:
        parent = posixpath.dirname(path)
        while parent and parent not in directories:
            directories.add(parent)
            parent = posixpath.dirname(parent)
    if clashes := directories & contents.keys():
        raise ValueError(f"layer paths {sorted(clashes)} are both files and directories")
    # A directory's path is a prefix of its contents', so plain sorting puts parents first.
    entries: dict[str, tuple[tarfile.TarInfo, Iterable[bytes]]] = {
        path: (_tar_info(path, tarfile.DIRTYPE, 0), ()) for path in directories
    }
    entries |= {path: (_tar_info(path, tarfile.REGTYPE, len(data)), (data,)) for path, data in contents.items()}
    return [entries[path] for path in sorted(entries)]


def _build_layer(
    entries: Iterable[tuple[tarfile.TarInfo, Iterable[bytes]]],
    media_types: MediaTypes,
    gzip_level: int | None,
) -> _Layer:
    writer = _LayerWriter(gzip_level)
    _write_tar(entries, writer)
    return writer.finish(media_types.uncompressed_layer if gzip_level is None else media_types.layer)


# --- building manifests ------------------------------------------------------------------------------


def _image_config(
    media_types: MediaTypes,
    layers: Sequence[_Layer],
    *,
    platform: Mapping[str, str | None],
    container_config: Mapping[str, object | None],
    created: str | None,
    created_by: str,
) -> Blob:
    """An image config (image-spec config.md; docker's is the same document), keys in the spec's order."""
    when: dict[str, object] = {} if created is None else {"created": created}
    history = when | {"created_by": created_by}
    document = dict(when)
    document |= {key: value for key, value in platform.items() if value is not None}
    document["config"] = {key: value for key, value in container_config.items() if value is not None}
    document["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]}
    document["history"] = [history for _ in layers]
    return Blob(media_types.config, _canonical_json(document))


def _image_manifest(
    media_types: MediaTypes,
    config: Blob,
    layers: Sequence[Blob],
    *,
    artifact_type: str | None = None,
    subject: Image | ImageIndex | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Image:
    # Key order of image-spec manifest.md's examples; mediaType is always written, since ECR cannot tell an
    # OCI manifest's type without it (docs/behaviour/images.md#image-operations PutImage).
    document: dict[str, object] = {"schemaVersion": 2, "mediaType": media_types.manifest}
    if artifact_type is not None:
        document["artifactType"] = artifact_type
    document["config"] = config.descriptor()
    document["layers"] = [layer.descriptor() for layer in layers]
    if subject is not None:
        document["subject"] = subject.descriptor()
    if annotations:
        document["annotations"] = dict(annotations)
    return Image(_canonical_json(document), media_types.manifest, config, tuple(layers))


def _require_oci(format: ImageFormat, **oci_only: object) -> MediaTypes:
    given = sorted(name for name, value in oci_only.items() if value)
    if format == "docker" and given:
        raise ValueError(f"docker schema 2 has no place for {', '.join(given)}: use format='oci'")
    return MEDIA_TYPES[format]


def image(
    files: Mapping[str, bytes | str] | None = None,
    *,
    layers: Sequence[Mapping[str, bytes | str]] | None = None,
    format: ImageFormat = "docker",
    architecture: str = "amd64",
    os: str = "linux",
    variant: str | None = None,
    env: Mapping[str, str] | None = None,
    cmd: Sequence[str] | None = None,
    entrypoint: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    created: str | None = EPOCH,
    compress: bool = True,
    subject: Image | ImageIndex | None = None,
    artifact_type: str | None = None,
) -> Image:
    """A container image whose layers hold ``files`` (one layer) or ``layers`` (one mapping per layer).

    Paths are relative to the image root; parent directories are added.  Equal arguments give equal
    digests.  ``annotations``, ``subject`` and ``artifact_type`` need ``format="oci"``.
    """
    media_types = _require_oci(format, annotations=annotations, subject=subject, artifact_type=artifact_type)
    if files is not None and layers is not None:
        raise ValueError("give either files (one layer) or layers, not both")
    gzip_level = _GZIP_LEVEL if compress else None
    layer_files = [files or {}] if layers is None else layers
    built = [_build_layer(_layer_entries(layer), media_types, gzip_level) for layer in layer_files]
    config = _image_config(
        media_types,
        built,
        platform={"architecture": architecture, "os": os, "variant": variant},
        # image-spec config.md "config" members, in the spec's order.
        container_config={
            "Env": None if env is None else [f"{name}={value}" for name, value in env.items()],
            "Entrypoint": None if entrypoint is None else list(entrypoint),
            "Cmd": None if cmd is None else list(cmd),
            "Labels": None if labels is None else dict(labels),
        },
        created=created,
        created_by="fake_ecr.images.image",
    )
    return _image_manifest(
        media_types,
        config,
        [layer.blob for layer in built],
        artifact_type=artifact_type,
        subject=subject,
        annotations=annotations,
    )


def _random_chunks(size: int, seed: int) -> Iterator[bytes]:
    generator = random.Random(seed)
    for start in range(0, size, _CHUNK):
        yield generator.randbytes(min(_CHUNK, size - start))


def random_layer_image(size: int, *, seed: int = 0, format: ImageFormat = "docker") -> Image:
    """An image with one incompressible layer: a tar of one file of ``size`` random bytes, gzip level 0.

    Made for throughput benchmarks (docs/behaviour/clients.md#measuring): the random bytes are generated,
    digested and stored chunk by chunk, so memory holds the layer blob once (about ``size`` bytes).
    The same ``size`` and ``seed`` give the same digest.
    """
    media_types = MEDIA_TYPES[format]
    entry = (_tar_info("random.bin", tarfile.REGTYPE, size), _random_chunks(size, seed))
    layer = _build_layer([entry], media_types, gzip_level=0)
    config = _image_config(
        media_types,
        [layer],
        platform={"architecture": "amd64", "os": "linux"},
        container_config={},
        created=EPOCH,
        created_by="fake_ecr.images.random_layer_image",
    )
    return _image_manifest(media_types, config, [layer.blob])


def _platform(image: Image) -> dict[str, object] | None:
    # Only image configs describe a platform; an artifact's config is opaque (image-spec manifest.md).
    if image.config.media_type not in _IMAGE_CONFIG_MEDIA_TYPES:
        return None
    config = json.loads(image.config.data)
    return {key: config[key] for key in _PLATFORM_KEYS if key in config}


def index(
    images: Sequence[Image], *, format: ImageFormat = "oci", annotations: Mapping[str, str] | None = None
) -> ImageIndex:
    """A multi-platform index of ``images``; each entry's platform comes from that image's config."""
    media_types = _require_oci(format, annotations=annotations)
    if format == "docker" and any(image.media_type != media_types.manifest for image in images):
        raise ValueError("a docker manifest list can only list docker schema 2 manifests")
    entries: list[dict[str, object]] = []
    for image in images:
        platform = _platform(image)
        entries.append(image.descriptor() if platform is None else {**image.descriptor(), "platform": platform})
    document: dict[str, object] = {"schemaVersion": 2, "mediaType": media_types.index, "manifests": entries}
    if annotations:
        document["annotations"] = dict(annotations)
    return ImageIndex(_canonical_json(document), media_types.index, tuple(images))


def artifact(
    artifact_type: str,
    blobs: Sequence[tuple[str, bytes]] = (),
    *,
    config_media_type: str | None = None,
    config_data: bytes | None = None,
    subject: Image | ImageIndex | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Image:
    """An OCI 1.1 artifact manifest: ``artifactType``, ``blobs`` as ``(media_type, data)`` layers.

    Without ``config_media_type`` the config is the empty descriptor's ``{}``; without blobs the one
    layer is that empty blob too (image-spec manifest.md "Guidelines for Artifact Usage").
    ``config_data`` (default ``{}``) is the config of a typed config, e.g. a Helm chart's metadata.
    """
    if config_media_type is None and config_data is not None:
        raise ValueError("config_data needs a config_media_type")
    config = Blob(config_media_type or EMPTY_MEDIA_TYPE, EMPTY_DATA if config_data is None else config_data)
    layers = [Blob(media_type, data) for media_type, data in blobs] or [Blob(EMPTY_MEDIA_TYPE, EMPTY_DATA)]
    return _image_manifest(
        MEDIA_TYPES["oci"],
        config,
        layers,
        artifact_type=artifact_type,
        subject=subject,
        annotations=annotations,
    )


# --- reading and writing images on disk --------------------------------------------------------------

_T = TypeVar("_T", list[Any], dict[str, Any])


def _parse_json(data: bytes, kind: type[_T], what: str, source: str) -> _T:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise InvalidImageSource(source, f"{what} is not JSON ({error})") from None
    if not isinstance(document, kind):
        raise InvalidImageSource(source, f"{what} is not a JSON {kind.__name__}")
    return document


def _source_name(source: str | PathLike[str] | BinaryIO) -> str:
    return fspath(source) if isinstance(source, (str, PathLike)) else str(getattr(source, "name", "<stream>"))


class _DockerArchiveReader:
    """Reads ``docker save``'s manifest.json and the configs and layer tars it names."""

    def __init__(self, archive: tarfile.TarFile, source: str) -> None:
        self._archive = archive
        self._source = source
        self._layers: dict[str, Blob] = {}  # images of one archive share layers

    def _fail(self, reason: str) -> InvalidImageSource:
        return InvalidImageSource(self._source, reason)

    def _open(self, path: str) -> IO[bytes]:
        try:
            stream = self._archive.extractfile(path)  # follows docker's symlinks between layer.tar files
        except KeyError:
            stream = None
        if stream is None:
            raise self._fail(f"the archive has no file '{path}'")
        return stream

    def _layer(self, path: str, diff_id: object) -> Blob:
        if path in self._layers:
            return self._layers[path]
        media_type = MEDIA_TYPES["docker"].layer
        with self._open(path) as stream:
            compressed = stream.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC
            stream.seek(0)
            if compressed:
                blob = Blob(media_type, stream.read())
            else:
                writer = _LayerWriter(_GZIP_LEVEL)
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    writer.write(chunk)
                layer = writer.finish(media_type)
                if layer.diff_id != diff_id:
                    raise self._fail(f"layer '{path}' has diff_id {layer.diff_id}, its config says {diff_id}")
                blob = layer.blob
        self._layers[path] = blob
        return blob

    def images(self) -> list[tuple[list[str], Image]]:
        with self._open("manifest.json") as stream:
            entries = _parse_json(stream.read(), list, "manifest.json", self._source)
        return [self._image(entry) for entry in entries]

    def _image(self, entry: object) -> tuple[list[str], Image]:
        if not (
            isinstance(entry, dict) and isinstance(entry.get("Config"), str) and isinstance(entry.get("Layers"), list)
        ):
            raise self._fail(f"manifest.json entry {entry!r} has no Config and Layers")
        config_path: str = entry["Config"]
        layer_paths: list[str] = entry["Layers"]
        with self._open(config_path) as stream:
            config = Blob(MEDIA_TYPES["docker"].config, stream.read())
        rootfs = _parse_json(config.data, dict, config_path, self._source).get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list) or len(diff_ids) != len(layer_paths):
            raise self._fail(f"{config_path} has no rootfs.diff_ids for its {len(layer_paths)} layers")
        layers = [self._layer(path, diff_id) for path, diff_id in zip(layer_paths, diff_ids, strict=True)]
        repo_tags = list(entry.get("RepoTags") or [])
        return repo_tags, _image_manifest(MEDIA_TYPES["docker"], config, layers)


def load_docker_archive(source: str | PathLike[str] | BinaryIO) -> list[tuple[list[str], Image]]:
    """The images of a ``docker save`` tarball (a path or a seekable binary file), with their RepoTags.

    Each comes out as ``docker push`` would send it: docker schema 2, config bytes as saved, uncompressed
    layer tars gzipped (and checked against the config's ``rootfs.diff_ids``), layers already gzipped
    (docker 25+ with the containerd image store) kept as they are.
    """
    path, stream = (source, None) if isinstance(source, (str, PathLike)) else (None, source)
    with tarfile.open(path, "r:*", stream) as archive:
        return _DockerArchiveReader(archive, _source_name(source)).images()


class _OciLayoutReader:
    """Reads an OCI image layout (image-spec image-layout.md): index.json and blobs/sha256/<hex>."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._blobs: dict[tuple[str, str], Blob] = {}  # manifests of one layout share blobs

    def fail(self, reason: str) -> InvalidImageSource:
        return InvalidImageSource(str(self._root), reason)

    def read_json(self, path: str, kind: type[_T]) -> _T:
        try:
            data = (self._root / path).read_bytes()
        except FileNotFoundError:
            raise self.fail(f"no {path}: not an OCI image layout") from None
        return _parse_json(data, kind, path, str(self._root))

    def blob(self, descriptor: object) -> Blob:
        if not (isinstance(descriptor, dict) and isinstance(descriptor.get("mediaType"), str)):
            raise self.fail(f"descriptor {descriptor!r} has no mediaType")
        media_type: str = descriptor["mediaType"]
        digest = descriptor.get("digest")
        # Only sha256 is computed here; the pattern also keeps a digest from naming a path outside blobs/.
        if not (isinstance(digest, str) and SHA256_DIGEST_PATTERN.fullmatch(digest)):
            raise self.fail(f"descriptor {descriptor!r} has no sha256 digest")
        if (digest, media_type) not in self._blobs:
            algorithm, encoded = digest.split(":")
            try:
                blob = Blob(media_type, (self._root / "blobs" / algorithm / encoded).read_bytes())
            except FileNotFoundError:
                raise self.fail(f"blob {digest} is missing") from None
            if blob.digest != digest:
                raise self.fail(f"blob {digest} holds content with digest {blob.digest}")
            self._blobs[digest, media_type] = blob
        return self._blobs[digest, media_type]

    def manifest(self, descriptor: object) -> Image | ImageIndex:
        blob = self.blob(descriptor)
        document = _parse_json(blob.data, dict, f"manifest {blob.digest}", str(self._root))
        if blob.media_type in _INDEX_MEDIA_TYPES:
            children = [self.manifest(child) for child in document.get("manifests", [])]
            images = tuple(child for child in children if isinstance(child, Image))
            if len(images) != len(children):
                raise self.fail(f"index {blob.digest} lists another index, which ImageIndex cannot hold")
            return ImageIndex(blob.data, blob.media_type, images)
        layers = tuple(self.blob(layer) for layer in document.get("layers", []))
        return Image(blob.data, blob.media_type, self.blob(document.get("config")), layers)


def load_oci_layout(path: str | PathLike[str]) -> list[tuple[str | None, Image | ImageIndex]]:
    """The manifests index.json of an OCI image layout lists, with their ref names (the layout's "tags").

    Manifest bytes are kept exactly; every blob is read and checked against its digest.
    """
    reader = _OciLayoutReader(Path(path))
    reader.read_json("oci-layout", dict)
    entries = reader.read_json("index.json", dict).get("manifests", [])
    loaded: list[tuple[str | None, Image | ImageIndex]] = []
    for entry in entries:
        annotations = entry.get("annotations", {}) if isinstance(entry, dict) else {}
        loaded.append((annotations.get(REF_NAME_ANNOTATION), reader.manifest(entry)))
    return loaded


def _layout_contents(item: Image | ImageIndex) -> Iterator[tuple[str, bytes]]:
    images = item.manifests if isinstance(item, ImageIndex) else (item,)
    for image in images:
        yield from ((blob.digest, blob.data) for blob in image.blobs())
        yield image.digest, image.manifest
    if isinstance(item, ImageIndex):
        yield item.digest, item.manifest


def write_oci_layout(path: str | PathLike[str], items: Sequence[tuple[str, Image | ImageIndex]]) -> None:
    """Write ``items`` as an OCI image layout, each under its ref name (``skopeo ... oci:DIR:ref``).

    The directory is created when missing; blobs already there are kept and index.json is replaced.
    skopeo 1.9 and umoci resolve ``oci:DIR:ref`` only to OCI manifests and indexes (seen here: a docker
    schema 2 manifest under a ref gives "no descriptor found for reference"), so interop tests should
    write ``format="oci"`` images or indexes; docker manifests inside an OCI index are read fine.
    """
    root = Path(path)
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for _, item in items:
        for digest, data in _layout_contents(item):
            blob_path = blobs / digest.removeprefix("sha256:")
            if not blob_path.exists():
                blob_path.write_bytes(data)
    entries = [{**item.descriptor(), "annotations": {REF_NAME_ANNOTATION: ref}} for ref, item in items]
    (root / "oci-layout").write_bytes(_canonical_json({"imageLayoutVersion": "1.0.0"}))
    index_document = {"schemaVersion": 2, "mediaType": MEDIA_TYPES["oci"].index, "manifests": entries}
    (root / "index.json").write_bytes(_canonical_json(index_document))
