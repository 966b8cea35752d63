"""Helpers of the property tests: raw registry requests in-process, a pool of images that share layers,
what both planes say a registry holds, and a snapshot of the whole state.

Registry requests are werkzeug requests handed to ``FakeEcr.serve_registry`` with ECR's host name and Basic
credentials, as ``requests`` routed in-process would make them, so a property test pays no socket per request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from fake_ecr import FakeEcr
from fake_ecr.images import Blob, Image
from fake_ecr.model import RegistrySettings
from fake_ecr.model.tokens import issue_token
from fake_ecr.surfaces.handle import ecr_registry_host

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
#: Every manifest type the pool's images have: what a reader accepts to see them all.
ACCEPT = (DOCKER_MANIFEST, OCI_MANIFEST)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- registry requests in-process -------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A registry response, its body read."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """Raw requests to one registry of a fake (its account and the given region), answered in-process."""

    def __init__(self, fake: FakeEcr, region: str | None = None, *, authorized: bool = True) -> None:
        self.fake = fake
        self.account_id = fake.settings.account_id
        self.region = region or fake.settings.region
        self.host = ecr_registry_host(self.account_id, self.region)
        self.authorized = authorized

    def credentials(self) -> dict[str, str]:
        token = issue_token(self.account_id, self.region, self.fake.clock.now()).authorization_token
        return {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        query_string: str | None = None,
    ) -> Answer:
        sent = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if self.authorized and not any(name.lower() == "authorization" for name, _ in sent):
            sent.extend(self.credentials().items())
        builder = EnvironBuilder(
            method=method,
            base_url=f"https://{self.host}",
            path=path,
            query_string=query_string,
            headers=sent,
            data=body,
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        response = self.fake.serve_registry(Request(environ), None)
        chunks, status, response_headers = response.get_wsgi_response(environ)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Answer(int(status.split(" ", 1)[0]), dict(response_headers), data)

    def push_blob(self, repository: str, blob: Blob) -> Answer:
        """The monolithic upload: POST with ``?digest=`` and the body (OCI spec end-4b)."""
        return self.request(
            "POST", f"/v2/{repository}/blobs/uploads/", query_string=f"digest={blob.digest}", body=blob.data
        )

    def put_manifest(self, repository: str, reference: str, manifest: bytes, media_type: str) -> Answer:
        return self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", headers={"Content-Type": media_type}, body=manifest
        )


# --- a pool of images over shared layers --------------------------------------------------------------

#: Layers the pool's images are made of; several images share each, so deleting one image must leave
#: the others' blobs in place.
LAYERS = tuple(f"layer {n}\n".encode() * (40 * (n + 1)) for n in range(3))


@cache
def pool_image(n: int) -> Image:
    """Image ``n`` of the pool: its own config over one or two of the shared layers, Docker or OCI."""
    manifest_type, config_type, layer_type = (
        (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER) if n % 2 == 0 else (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER)
    )
    config = Blob(config_type, json.dumps({"architecture": "amd64", "os": "linux", "image": n}).encode())
    layers = tuple(Blob(layer_type, LAYERS[i % len(LAYERS)]) for i in range(n, n + 1 + n % 2))
    document = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config.descriptor(),
        "layers": [layer.descriptor() for layer in layers],
    }
    return Image(json.dumps(document, indent=n % 3).encode(), manifest_type, config, layers)


POOL_SIZE = 6
POOL = tuple(pool_image(n) for n in range(POOL_SIZE))
BY_DIGEST = {image.digest: image for image in POOL}


# --- what the two planes say ------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One image as a surface reports it."""

    tags: frozenset[str]
    size: int
    media_type: str


def repository_names(ecr: Any) -> set[str]:
    pages = ecr.get_paginator("describe_repositories").paginate()
    return {repository["repositoryName"] for page in pages for repository in page["repositories"]}


def described(ecr: Any, repository: str, page_size: int = 3) -> dict[str, Seen]:
    """DescribeImages, every page: digest -> tags, size and media type."""
    pages = ecr.get_paginator("describe_images").paginate(
        repositoryName=repository, PaginationConfig={"PageSize": page_size}
    )
    found: dict[str, Seen] = {}
    for page in pages:
        for detail in page["imageDetails"]:
            digest = detail["imageDigest"]
            assert digest not in found, f"DescribeImages lists {digest} twice"
            found[digest] = Seen(
                frozenset(detail.get("imageTags", ())), detail["imageSizeInBytes"], detail["imageManifestMediaType"]
            )
    return found


def listed(ecr: Any, repository: str) -> set[tuple[str, str | None]]:
    """ListImages, every page: (digest, tag) pairs, (digest, None) for an untagged image."""
    pages = ecr.get_paginator("list_images").paginate(repositoryName=repository, PaginationConfig={"PageSize": 2})
    pairs = [(i["imageDigest"], i.get("imageTag")) for page in pages for i in page["imageIds"]]
    assert len(pairs) == len(set(pairs)), f"ListImages repeats an id: {pairs}"
    return set(pairs)


def batch_got(ecr: Any, repository: str, image_ids: list[dict[str, str]]) -> dict[tuple[str, str], bytes]:
    """BatchGetImage of the ids: (id kind, value) -> manifest bytes; a failure for any id fails the check."""
    found: dict[tuple[str, str], bytes] = {}
    for start in range(0, len(image_ids), 100):
        answer = ecr.batch_get_image(
            repositoryName=repository, imageIds=image_ids[start : start + 100], acceptedMediaTypes=list(ACCEPT)
        )
        assert not answer["failures"], answer["failures"]
        for image in answer["images"]:
            image_id = image["imageId"]
            manifest = image["imageManifest"].encode()
            assert sha256(manifest) == image_id["imageDigest"], "BatchGetImage's manifest does not match its digest"
            found[("digest", image_id["imageDigest"])] = manifest
            if "imageTag" in image_id:
                found[("tag", image_id["imageTag"])] = manifest
    return found


def registry_tags(wire: Wire, repository: str) -> list[str]:
    """tags/list, followed page by page through its Link header."""
    tags: list[str] = []
    path, query = f"/v2/{repository}/tags/list", "n=2"
    while True:
        answer = wire.request("GET", path, query_string=query)
        assert answer.status == 200, (answer.status, answer.body)
        tags.extend(answer.json()["tags"] or [])
        link = answer.headers.get("Link")
        if link is None:
            return tags
        target = link.split(";")[0].strip("<>")
        path, _, query = target.partition("?")


def snapshot(fake: FakeEcr) -> list[Any]:
    """Everything the fake holds, as comparable values: a refused request must leave it equal.

    A registry is made empty the first time anything names it; an empty one holds nothing and is left out.
    """
    held = [
        (
            registry.registry_id,
            registry.region,
            registry.settings,
            registry.stored_bytes,
            [(record, registry.images(record.repository_name)) for record in registry.repositories()],
        )
        for registry in fake.backend.registries()
    ]
    return [state for state in held if state[2:] != (RegistrySettings(), 0, [])]
