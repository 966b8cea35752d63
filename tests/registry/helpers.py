"""Helpers of the registry tests: a `requests` client for the fake's registry, and images built and pushed
through the registry itself (blobs by POST then PUT, manifests by PUT)."""

from __future__ import annotations

import functools
import hashlib
import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

REPO = "team/app"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class RegistryClient:
    """`requests` against the fake's registry, with (or without) ECR's Basic credentials."""

    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        return requests.request(
            method, self.endpoint + path, headers={**self.headers, **(headers or {})}, timeout=30, **kwargs
        )

    def anonymous(self) -> RegistryClient:
        return RegistryClient(self.endpoint)


def basic(token: str) -> dict[str, str]:
    """The header docker sends after `docker login -u AWS -p <password>`: Basic <authorizationToken>."""
    return {"Authorization": f"Basic {token}"}


def logged_in(fake_ecr: Any, ecr: Any) -> RegistryClient:
    """A client of the fake's server holding ECR's Basic credentials from ``ecr``'s GetAuthorizationToken."""
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return RegistryClient(fake_ecr.server.endpoint, basic(token))


@dataclass(frozen=True)
class ProxiedResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    #: the DNS names of the certificate the server answered the tunnel with
    certificate_names: tuple[str, ...]


@functools.cache
def _trusting(ca_file: str) -> ssl.SSLContext:
    """A client context trusting ``ca_file`` (made once: loading the machine's CAs it holds takes a while)."""
    return ssl.create_default_context(cafile=ca_file)


def through_proxy(
    env: Mapping[str, str],
    method: str,
    host: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> ProxiedResponse:
    """A request to ``https://<host><path>`` as a subprocess given ``env`` makes it: a ``CONNECT`` to the proxy in
    HTTPS_PROXY, then TLS trusting only the CA in SSL_CERT_FILE.  http.client, not requests: ``responses`` would
    answer a requests call to ECR's hosts in-process."""
    proxy = urlsplit(env["HTTPS_PROXY"])
    assert proxy.hostname is not None
    context = _trusting(env["SSL_CERT_FILE"])
    connection = http.client.HTTPSConnection(proxy.hostname, proxy.port, timeout=30, context=context)
    connection.set_tunnel(host, 443)
    try:
        connection.connect()
        certificate = connection.sock.getpeercert()
        names = tuple(name for kind, name in certificate.get("subjectAltName", ()) if kind == "DNS")
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return ProxiedResponse(response.status, dict(response.headers), response.read(), names)
    finally:
        connection.close()


def oci_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of an OCI error body."""
    first = response.json()["errors"][0]
    return first["code"], first["message"]


def push_blob(registry: RegistryClient, repository: str, data: bytes) -> str:
    """POST then PUT with the body (oras-py's and python-dxf's way); returns the digest."""
    started = registry.request("POST", f"/v2/{repository}/blobs/uploads/")
    assert started.status_code == 202, started.text
    digest = sha256(data)
    finished = registry.request("PUT", started.headers["Location"], params={"digest": digest}, data=data)
    assert finished.status_code == 201, finished.text
    return digest


@dataclass(frozen=True)
class Image:
    """An image as pushed: its manifest bytes, media type and blobs."""

    manifest: bytes
    media_type: str
    config: bytes
    layers: tuple[bytes, ...]

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def build_image(
    seed: str = "image",
    *,
    media_type: str = OCI_MANIFEST,
    layer_count: int = 1,
    extra: Mapping[str, Any] | None = None,
) -> Image:
    """An image manifest (OCI or Docker schema 2) over distinct blobs; ``extra`` adds top-level fields."""
    config_type, layer_type = (OCI_CONFIG, OCI_LAYER) if media_type == OCI_MANIFEST else (DOCKER_CONFIG, DOCKER_LAYER)
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layers = tuple(f"{seed} layer {n}\n".encode() * (50 * (n + 1)) for n in range(layer_count))
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": config_type, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": sha256(layer), "size": len(layer)} for layer in layers],
        **(extra or {}),
    }
    return Image(json.dumps(document, indent=1).encode(), media_type, config, layers)


def push_image(registry: RegistryClient, repository: str, image: Image, reference: str) -> requests.Response:
    """Push the blobs, then PUT the manifest under ``reference`` (a tag or the digest)."""
    for blob in (image.config, *image.layers):
        push_blob(registry, repository, blob)
    return put_manifest(registry, repository, image, reference)


def put_manifest(registry: RegistryClient, repository: str, image: Image, reference: str) -> requests.Response:
    return registry.request(
        "PUT",
        f"/v2/{repository}/manifests/{reference}",
        data=image.manifest,
        headers={"Content-Type": image.media_type},
    )


def _descriptor(media_type: str, size: int, digest: str = "sha256:" + "a" * 64) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": size}


def _oci_manifest(**members: Any) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": _descriptor(OCI_CONFIG, 2),
        "layers": [_descriptor(OCI_LAYER, 3)],
        **members,
    }


#: Manifests with a descriptor the OCI image spec forbids (descriptor.md: ``size`` an int64 >= 0, ``digest``
#: of the digest grammar, a registered algorithm's encoding): both surfaces refuse each (ECR: UNCONFIRMED).
FORBIDDEN_DESCRIPTORS = [
    pytest.param(_oci_manifest(layers=[_descriptor(OCI_LAYER, -5)]), id="layer-size-negative"),
    pytest.param(_oci_manifest(layers=[_descriptor(OCI_LAYER, 10**300)]), id="layer-size-10e300"),
    pytest.param(_oci_manifest(config=_descriptor(OCI_CONFIG, 2**63)), id="config-size-past-int64"),
    pytest.param(_oci_manifest(subject=_descriptor(OCI_MANIFEST, 9, "not-a-digest")), id="subject-not-a-digest"),
    pytest.param(
        _oci_manifest(config=_descriptor(OCI_CONFIG, 2, "sha256:" + "A" * 64)), id="config-sha256-upper-case-hex"
    ),
    pytest.param(_oci_manifest(layers=[_descriptor(OCI_LAYER, 3, "SHA256:" + "a" * 64)]), id="layer-algorithm-case"),
    pytest.param(
        _oci_manifest(artifactType="application/x.sbom", layers=[_descriptor(OCI_LAYER, 3, "sha256:abc")]),
        id="artifact-blob-sha256-too-short",
    ),
    pytest.param(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [_descriptor(OCI_MANIFEST, -1)]},
        id="index-entry-size-negative",
    ),
]
