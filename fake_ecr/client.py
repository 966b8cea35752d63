"""A small registry client over ``requests``: push and pull ``fake_ecr.images`` values to any OCI registry.

Owns the client side of the OCI distribution spec 1.1 for the images fake-ecr builds (``Image``,
``ImageIndex``, artifacts): a push HEADs every blob, uploads the missing ones (POST, then one PUT
with the body, as oras-py and python-dxf do, docs/behaviour/clients.md#what-clients-need #4), pushes an index's children
by digest before the index, and PUTs the manifest with its media type; a pull fetches a manifest and
everything it references, and checks every byte against its digest (docs/behaviour/clients.md#what-clients-need #6).
Credentials are ECR's: ``Authorization: Basic <authorizationToken>`` from GetAuthorizationToken
(docs/behaviour/auth.md#authorization-tokens, docs/behaviour/auth.md#registry-credentials).

It speaks plain HTTP to whatever URL it is given - a running fake-ecr server, or ECR's own host
names, which reach an active fake in-process (``fake_ecr.surfaces.requests_routing``).  Must not import
werkzeug, botocore, or fake_ecr's model, registry or control plane.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import urljoin, urlsplit

import requests

from fake_ecr.errors import EcrError
from fake_ecr.formats.digest import is_digest, sha256_digest
from fake_ecr.formats.manifests import (
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA2,
    IMAGE_MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
    parse_manifest,
)
from fake_ecr.images import Blob, Image, ImageIndex

#: What ``pull`` accepts by default: the manifest types ``Image`` and ``ImageIndex`` hold.
DEFAULT_ACCEPT = (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_SCHEMA2)
#: Seconds to wait for the registry's answer to one request.
TIMEOUT = 60.0
BLOB_TYPE = "application/octet-stream"


@dataclass(eq=False)
class RegistryRequestFailed(EcrError):
    """The registry answered a request with a status the client did not expect."""

    method: str
    url: str
    status: int
    body: str
    #: what the caller knows and the answer does not say (e.g. ``FakeEcr.push``: which registry it used)
    hint: str = ""

    @property
    def message(self) -> str:
        """The request, the registry's status and (the start of) its body, then the hint if there is one."""
        answer = f"{self.method} {self.url} answered {self.status}: {self.body[:500]}"
        return f"{answer}\n{self.hint}" if self.hint else answer


@dataclass(eq=False)
class ContentDigestMismatch(EcrError):
    """Content the registry served (or stored) is not what its digest or descriptor says."""

    what: str
    expected: str
    received: str

    template = "{what}: expected {expected}, received {received}"


class RegistrySession(requests.Session):
    """A ``requests`` session bound to one registry's base URL (``scheme://host[:port]``).

    Mount a transport adapter on it, or set ``verify`` to a CA bundle, as with any session.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"a registry base URL is http(s)://host[:port], not {base_url!r}")
        self.base_url = base_url.rstrip("/")


@dataclass(frozen=True)
class ImageReference:
    """``repository[:tag][@digest]`` split in its parts (the digest wins over the tag where both are given)."""

    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        """Read ``"repository"``, ``"repository:tag"``, ``"repository@digest"`` or ``"repository:tag@digest"``."""
        # Repository names hold no ':' (NAME_PATTERN), so the first one after the name starts the tag.
        name, _, digest = text.partition("@")
        repository, _, tag = name.partition(":")
        if not repository:
            raise ValueError(f"{text!r} names no repository")
        return cls(repository, tag or None, digest or None)


class _Connection:
    """One registry session plus the credentials every request carries."""

    def __init__(self, session: RegistrySession, authorization_token: str | None) -> None:
        self.session = session
        self.headers = {} if authorization_token is None else {"Authorization": f"Basic {authorization_token}"}

    def request(
        self,
        method: str,
        location: str,
        expected: Sequence[int],
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | IO[bytes] | None = None,
    ) -> requests.Response:
        # Locations the registry hands out may be relative (OCI spec; fake-ecr's are): resolve them here.
        url = urljoin(self.session.base_url + "/", location)
        response = self.session.request(
            method, url, headers={**self.headers, **(headers or {})}, params=params, data=data, timeout=TIMEOUT
        )
        if response.status_code not in expected:
            raise RegistryRequestFailed(method, url, response.status_code, response.text)
        return response

    def put_blob(self, repository: str, blob: Blob) -> str:
        """HEAD the blob; upload it when the repository lacks it (POST, then PUT ``?digest=`` with the body)."""
        found = self.request("HEAD", f"/v2/{repository}/blobs/{blob.digest}", (200, 404))
        if found.status_code == 200:
            return blob.digest
        started = self.request("POST", f"/v2/{repository}/blobs/uploads/", (202,))
        # A file-like body is sent in blocks with a Content-Length, never copied whole (BytesIO shares the bytes).
        finished = self.request(
            "PUT",
            started.headers["Location"],
            (201,),
            params={"digest": blob.digest},
            data=io.BytesIO(blob.data),
            headers={"Content-Type": BLOB_TYPE},
        )
        _check(f"blob {blob.digest} as stored", blob.digest, finished.headers.get("Docker-Content-Digest"))
        return blob.digest

    def put_manifest(self, repository: str, reference: str, item: Image | ImageIndex) -> str:
        stored = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            (201,),
            data=item.manifest,
            headers={"Content-Type": item.media_type},
        )
        _check(f"manifest {reference} as stored", item.digest, stored.headers.get("Docker-Content-Digest"))
        return item.digest


@contextmanager
def _connect(target: RegistrySession | str, auth: str | None) -> Iterator[_Connection]:
    if isinstance(target, RegistrySession):
        yield _Connection(target, auth)
        return
    with RegistrySession(target) as session:
        yield _Connection(session, auth)


def _check(what: str, expected: str, received: str | None) -> None:
    """Raise unless ``received`` (when the registry said anything) is what was ``expected``."""
    if received is not None and received != expected:
        raise ContentDigestMismatch(what, expected, received)


# --- push ------------------------------------------------------------------------------------------


class Pusher(Protocol):
    """Where a push writes: a registry over HTTP (``_Connection``), or one in this process (``FakeEcr``)."""

    def put_blob(self, repository: str, blob: Blob) -> str:
        """Store ``blob`` unless the repository holds it; returns its digest."""
        ...

    def put_manifest(self, repository: str, reference: str, item: Image | ImageIndex) -> str:
        """Store ``item``'s manifest under a tag or its digest; returns its digest."""
        ...


def push_to(pusher: Pusher, repository: str, reference: str, item: Image | ImageIndex) -> str:
    """Push ``item``: its blobs (an index: its children, each pushed whole), then its manifest."""
    if isinstance(item, ImageIndex):
        # An index may only name manifests the repository holds (docs/behaviour/registry.md#manifest-formats): children
        # first.
        for child in item.manifests:
            push_to(pusher, repository, child.digest, child)
    else:
        for blob in item.blobs():
            pusher.put_blob(repository, blob)
    return pusher.put_manifest(repository, reference, item)


def push(
    target: RegistrySession | str,
    repository: str,
    reference: str | None,
    image: Image | ImageIndex,
    *,
    auth: str | None = None,
) -> str:
    """Push ``image`` (blobs, an index's children, then the manifest) to ``repository``; returns its digest.

    ``target`` is a registry base URL or a ``RegistrySession``; ``reference`` a tag, the image's digest,
    or None to push it untagged (by digest).  ``auth`` is GetAuthorizationToken's ``authorizationToken``.
    """
    with _connect(target, auth) as connection:
        return push_to(connection, repository, reference or image.digest, image)


def push_blobs(
    target: RegistrySession | str, repository: str, blobs: Iterable[Blob], *, auth: str | None = None
) -> list[str]:
    """Upload blobs the repository lacks, as a push does before its manifest; returns their digests."""
    with _connect(target, auth) as connection:
        return [connection.put_blob(repository, blob) for blob in blobs]


# --- pull ------------------------------------------------------------------------------------------


def _pull_blob(connection: _Connection, repository: str, descriptor: Descriptor) -> Blob:
    # requests follows ECR's 307 to S3 and drops Authorization on the way, as S3 demands
    # (docs/behaviour/registry.md#endpoints).
    response = connection.request("GET", f"/v2/{repository}/blobs/{descriptor.digest}", (200,))
    blob = Blob(descriptor.media_type, response.content)
    _check(f"blob {descriptor.digest}", descriptor.digest, blob.digest)
    _check(f"size of blob {descriptor.digest}", str(descriptor.size), str(blob.size))
    return blob


def _pull_manifest(
    connection: _Connection, repository: str, reference: str, accept: Sequence[str]
) -> tuple[bytes, str]:
    """The manifest's exact bytes and media type, checked against the digest the registry and reference name."""
    response = connection.request(
        "GET", f"/v2/{repository}/manifests/{reference}", (200,), headers={"Accept": ", ".join(accept)}
    )
    manifest = response.content
    digest = sha256_digest(manifest)
    _check(f"manifest {reference}", digest, response.headers.get("Docker-Content-Digest"))
    if is_digest(reference):
        _check(f"manifest {reference}", reference, digest)
    return manifest, parse_manifest(manifest, response.headers.get("Content-Type")).media_type


def _pull_image(connection: _Connection, repository: str, manifest: bytes, media_type: str) -> Image:
    info = parse_manifest(manifest, media_type)
    if info.config is None:  # Docker schema 1 names no config: there is no Image to build from it
        raise ValueError(f"a {media_type} manifest has no config; fake_ecr.images.Image cannot hold it")
    pulled: dict[Descriptor, Blob] = {}
    for descriptor in (info.config, *info.layers):
        if descriptor not in pulled:  # a layer listed twice is fetched once
            pulled[descriptor] = _pull_blob(connection, repository, descriptor)
    return Image(manifest, info.media_type, pulled[info.config], tuple(pulled[layer] for layer in info.layers))


def _pull_child(connection: _Connection, repository: str, descriptor: Descriptor) -> Image:
    manifest, media_type = _pull_manifest(connection, repository, descriptor.digest, sorted(IMAGE_MANIFEST_TYPES))
    _check(f"size of manifest {descriptor.digest}", str(descriptor.size), str(len(manifest)))
    return _pull_image(connection, repository, manifest, media_type)


def pull(
    target: RegistrySession | str,
    repository: str,
    reference: str,
    *,
    accept: Sequence[str] = DEFAULT_ACCEPT,
    auth: str | None = None,
) -> Image | ImageIndex:
    """Pull a manifest by tag or digest with everything it references, every digest verified.

    An index comes back as an ``ImageIndex`` of its (image manifest) children, an image manifest or
    an artifact as an ``Image`` with its config and layers.
    """
    with _connect(target, auth) as connection:
        manifest, media_type = _pull_manifest(connection, repository, reference, accept)
        info = parse_manifest(manifest, media_type)
        if not info.is_index:
            return _pull_image(connection, repository, manifest, media_type)
        children = tuple(_pull_child(connection, repository, child) for child in info.manifests)
        return ImageIndex(manifest, info.media_type, children)
