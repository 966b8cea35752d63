"""No file is read or written where a repository name, tag, digest or upload id points.

fake-ecr touches the filesystem in few places, none named by what a client sends: blobs and uploads past 4 MiB
spill to anonymous temporary files (``fake_ecr.model.blobs``); registry logins and the throwaway CA live in
directories of their own with fixed file names (``fake_ecr.surfaces.environment``, ``fake_ecr.surfaces.tls``); and
the image helpers read and write OCI image layouts (``blobs/sha256/<hex>`` from a descriptor's digest) and read
``docker save`` tarballs (members named by manifest.json, read from the archive, never extracted). Each is tried
here with path traversal - ``../``, absolute paths, NUL, percent-encoded slashes and dots - and must answer an
error, serve nothing from outside, and leave the filesystem as it was.

Every test runs with its working directory and ``tempfile``'s directory two levels below a directory that holds
``outside/secret``, so a traversal that worked would read or write there; afterwards every file in that tree is
as it was, but for the image layout a test writes on purpose.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, FakeServer
from fake_ecr.images import InvalidImageSource, image, load_docker_archive, load_oci_layout, write_oci_layout
from fake_ecr.surfaces.environment import RegistryAuthFiles

from registry.helpers import REPO, RegistryClient, push_blob

SECRET = b"the contents of a file no client may reach"
#: The directory, under the working directory, where tests write image layouts on purpose.
LAYOUT = "layout"
MIB = 1024 * 1024
#: Traversals as they appear once a URL is decoded, or in a JSON document; {root} is the absolute directory
#: holding outside/secret.
TRAVERSALS = {
    "dot-dot": "../../outside/secret",
    "absolute": "{root}/outside/secret",
    "nul": "secret\x00",
    "dot-dot-nul": "../../outside/secret\x00.json",
}
#: The same, as sent in a URL: raw, and percent-encoded where a client may try to slip past path parsing.
URL_TRAVERSALS = {
    "dot-dot": "../../outside/secret",
    "absolute": "{root}/outside/secret",
    "nul": "secret%00",
    "encoded-slashes": "..%2F..%2Foutside%2Fsecret",
    "encoded-dots": "%2E%2E/%2E%2E/outside/secret",
}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path/outside/secret, with the working directory and tempfile's two levels below tmp_path."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_bytes(SECRET)
    below = tmp_path / "work" / "here"
    below.mkdir(parents=True)
    (tmp_path / "work" / "tmp").mkdir()
    monkeypatch.chdir(below)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "work" / "tmp"))
    before = snapshot(tmp_path)
    yield tmp_path
    assert snapshot(tmp_path) == before


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (as a relative path) and its contents, but for LAYOUT's."""
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else b"<dir>"
        for path in sorted(root.rglob("*"))
        if LAYOUT not in path.relative_to(root).parts
    }


def fill(template: str, root: Path) -> str:
    return template.replace("{root}", str(root))


# --- the registry, over raw sockets (no client-side normalisation of the path) ------------------------------


def exchange(
    server: FakeServer, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """Send one request exactly as written; (status, body)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": "x", **headers}.items())
    request = f"{method} {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(request.encode() + body)
        received = bytearray()
        while piece := connection.recv(65536):
            received += piece
    response = http.client.HTTPResponse(_Received(bytes(received)))  # type: ignore[arg-type]
    response.begin()
    return response.status, response.read()


class _Received:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_: Any) -> io.BytesIO:
        return io.BytesIO(self._data)


#: (method, path with {x} where the traversal goes); {upload} is an upload holding 5 MiB (spilled to a file).
ENDPOINTS = {
    "repository-name": ("GET", "/v2/{x}/tags/list"),
    "repository-name-push": ("POST", "/v2/{x}/blobs/uploads/"),
    "manifest-reference": ("GET", f"/v2/{REPO}/manifests/{{x}}"),
    "manifest-put-tag": ("PUT", f"/v2/{REPO}/manifests/{{x}}"),
    "blob-digest": ("GET", f"/v2/{REPO}/blobs/sha256:{{x}}"),
    "blob-bare": ("GET", f"/v2/{REPO}/blobs/{{x}}"),
    "referrers-digest": ("GET", f"/v2/{REPO}/referrers/sha256:{{x}}"),
    "upload-id": ("PATCH", f"/v2/{REPO}/blobs/uploads/{{x}}"),
    "closing-digest": ("PUT", "{upload}?digest=sha256:{x}"),
    "monolithic-digest": ("POST", f"/v2/{REPO}/blobs/uploads/?digest=sha256:{{x}}"),
}


@pytest.mark.parametrize("traversal", [pytest.param(value, id=key) for key, value in URL_TRAVERSALS.items()])
@pytest.mark.parametrize(("method", "path"), [pytest.param(*value, id=key) for key, value in ENDPOINTS.items()])
def test_registry_requests_naming_paths_reach_no_file(
    world: Path, fake_ecr: FakeEcr, registry: RegistryClient, repo: str, *, method: str, path: str, traversal: str
) -> None:
    assert fake_ecr.server is not None
    started = registry.request("POST", f"/v2/{REPO}/blobs/uploads/")
    upload = started.headers["Location"]
    assert registry.request("PATCH", upload, data=bytes(5 * MIB)).status_code == 201  # ECR's status for a chunk
    target = path.format(x=fill(traversal, world), upload=upload)

    status, body = exchange(fake_ecr.server, method, target, registry.headers, b"{}")

    assert 400 <= status < 500 or status == 308  # werkzeug folds "//" in a path with a redirect
    assert SECRET not in body
    assert fake_ecr.internal_errors == []


@pytest.mark.parametrize("traversal", [pytest.param(value, id=key) for key, value in URL_TRAVERSALS.items()])
def test_a_mount_from_a_path_mounts_nothing(
    world: Path, fake_ecr: FakeEcr, ecr: Any, registry: RegistryClient, repo: str, *, traversal: str
) -> None:
    assert fake_ecr.server is not None
    ecr.create_repository(repositoryName="team/other")
    digest = push_blob(registry, REPO, SECRET)
    path = f"/v2/team/other/blobs/uploads/?mount={digest}&from={fill(traversal, world)}"

    status, _ = exchange(fake_ecr.server, "POST", path, registry.headers)

    assert status in (202, 308)  # no such repository to mount from: a plain upload starts (OCI spec), or "//" folds
    assert fake_ecr.internal_errors == []


# --- the control plane ---------------------------------------------------------------------------------------


CALLS = {
    "create-repository": lambda ecr, x, _: ecr.create_repository(repositoryName=x),
    "initiate-layer-upload": lambda ecr, x, _: ecr.initiate_layer_upload(repositoryName=x),
    "upload-layer-part": lambda ecr, x, _: ecr.upload_layer_part(
        repositoryName=REPO, uploadId=x, partFirstByte=0, partLastByte=0, layerPartBlob=b"a"
    ),
    "complete-layer-upload-digest": lambda ecr, x, upload_id: ecr.complete_layer_upload(
        repositoryName=REPO, uploadId=upload_id, layerDigests=[f"sha256:{x}"]
    ),
    "put-image-tag": lambda ecr, x, _: ecr.put_image(repositoryName=REPO, imageManifest="{}", imageTag=x),
    "put-image-digest": lambda ecr, x, _: ecr.put_image(
        repositoryName=REPO, imageManifest="{}", imageDigest=f"sha256:{x}"
    ),
    "get-download-url-for-layer": lambda ecr, x, _: ecr.get_download_url_for_layer(
        repositoryName=REPO, layerDigest=f"sha256:{x}"
    ),
}


@pytest.mark.parametrize("traversal", [pytest.param(value, id=key) for key, value in TRAVERSALS.items()])
@pytest.mark.parametrize("call", [pytest.param(value, id=key) for key, value in CALLS.items()])
def test_api_calls_naming_paths_are_invalid_parameters(
    world: Path, ecr: Any, repo: str, call: Any, traversal: str
) -> None:
    upload_id = ecr.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=REPO, uploadId=upload_id, partFirstByte=0, partLastByte=5 * MIB - 1, layerPartBlob=bytes(5 * MIB)
    )
    with pytest.raises(ClientError) as refused:
        call(ecr, fill(traversal, world), upload_id)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


# --- the image helpers ------------------------------------------------------------------------------------------


def _layout_naming(digest: str) -> Path:
    """An OCI image layout whose index.json lists a manifest at ``digest``."""
    layout = Path(LAYOUT)
    write_oci_layout(layout, [])
    descriptor = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": len(SECRET)}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [descriptor]}))
    return layout


@pytest.mark.parametrize(
    "digest",
    [pytest.param(f"sha256:{value}", id=key) for key, value in TRAVERSALS.items()]
    + [pytest.param(f"sha256/../../../../outside/{key}", id=f"algorithm-{key}") for key in ("secret",)],
)
def test_an_oci_layout_reads_no_file_a_digest_points_to(world: Path, digest: str) -> None:
    layout = _layout_naming(fill(digest, world))
    with pytest.raises(InvalidImageSource, match="has no sha256 digest"):
        load_oci_layout(layout)


@pytest.mark.parametrize("ref", [pytest.param(value, id=key) for key, value in TRAVERSALS.items()])
def test_an_oci_layouts_ref_names_are_no_paths(world: Path, ref: str) -> None:
    layout = Path(LAYOUT)
    item = image(files={"app.txt": "v1"}, format="oci")
    write_oci_layout(layout, [(fill(ref, world), item)])
    assert {path.name for path in layout.iterdir()} == {"blobs", "index.json", "oci-layout"}
    assert [name for name, _ in load_oci_layout(layout)] == [fill(ref, world)]


@pytest.mark.parametrize("member", [pytest.param(value, id=key) for key, value in TRAVERSALS.items()])
def test_a_docker_archive_reads_no_file_its_manifest_points_to(world: Path, member: str) -> None:
    manifest = json.dumps([{"Config": fill(member, world), "Layers": [], "RepoTags": ["app:v1"]}]).encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    archive.seek(0)
    with pytest.raises(InvalidImageSource, match="the archive has no file"):
        load_docker_archive(archive)


# --- registry logins ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [pytest.param(value, id=key) for key, value in TRAVERSALS.items()])
def test_registry_login_files_have_fixed_names_whatever_the_address(world: Path, address: str) -> None:
    files = RegistryAuthFiles()
    try:
        env = files.write({fill(address, world): "QVdTOnBhc3N3b3Jk"})
        directory = Path(env["REGISTRY_AUTH_FILE"]).parent
        assert Path(env["DOCKER_CONFIG"]) == directory / "docker"
        found = sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))
        assert found == ["auth.json", "docker", os.path.join("docker", "config.json")]
        assert list(json.loads(Path(env["REGISTRY_AUTH_FILE"]).read_text())["auths"]) == [fill(address, world)]
    finally:
        files.remove()
    assert not directory.exists()
