"""fake_ecr.images: built images, indexes and artifacts, and images read from and written to disk."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import images
from fake_ecr.images import Blob, Image, ImageIndex, InvalidImageSource

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def document(data: bytes) -> Any:
    return json.loads(data)


def uncompressed(layer: Blob) -> bytes:
    return gzip.decompress(layer.data) if layer.media_type.endswith("gzip") else layer.data


def tar_members(tar_bytes: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        return archive.getmembers()


def tar_file(tar_bytes: bytes, path: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        stream = archive.extractfile(path)
        assert stream is not None
        return stream.read()


# --- building images --------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["docker", "oci"])
def test_equal_files_give_equal_digests_whatever_their_order(format: images.ImageFormat) -> None:
    first = images.image({"b/two.txt": "2", "a.txt": b"1"}, format=format)
    second = images.image({"a.txt": "1", "b/two.txt": b"2"}, format=format)
    other = images.image({"a.txt": "1", "b/two.txt": b"3"}, format=format)

    assert first.digest == second.digest
    assert first.manifest == second.manifest
    assert other.digest != first.digest


@pytest.mark.parametrize(
    "built",
    [
        pytest.param(lambda: images.image({"f": "x"}), id="docker-image"),
        pytest.param(lambda: images.image({"f": "x"}, format="oci"), id="oci-image"),
        pytest.param(lambda: images.index([images.image({"f": "x"})]), id="oci-index"),
        pytest.param(lambda: images.index([images.image({"f": "x"})], format="docker"), id="docker-list"),
        pytest.param(lambda: images.artifact("application/vnd.example+type"), id="artifact"),
        pytest.param(lambda: images.random_layer_image(1000), id="random-layer-image"),
    ],
)
def test_digest_is_the_sha256_of_the_manifest_bytes(built: Any) -> None:
    manifest = built()

    assert manifest.digest == sha256(manifest.manifest)
    assert manifest.descriptor() == {
        "mediaType": manifest.media_type,
        "digest": manifest.digest,
        "size": len(manifest.manifest),
    }
    assert document(manifest.manifest)["schemaVersion"] == 2
    assert document(manifest.manifest)["mediaType"] == manifest.media_type


@pytest.mark.parametrize(
    ("format", "compress", "manifest_type", "config_type", "layer_type"),
    [
        pytest.param("docker", True, DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER, id="docker-gzip"),
        pytest.param(
            "docker",
            False,
            DOCKER_MANIFEST,
            DOCKER_CONFIG,
            "application/vnd.docker.image.rootfs.diff.tar",
            id="docker-tar",
        ),
        pytest.param(
            "oci",
            True,
            OCI_MANIFEST,
            OCI_CONFIG,
            "application/vnd.oci.image.layer.v1.tar+gzip",
            id="oci-gzip",
        ),
        pytest.param("oci", False, OCI_MANIFEST, OCI_CONFIG, "application/vnd.oci.image.layer.v1.tar", id="oci-tar"),
    ],
)
def test_media_types_follow_the_format(
    format: images.ImageFormat, compress: bool, manifest_type: str, config_type: str, layer_type: str
) -> None:
    built = images.image(layers=[{"a": "1"}, {"b": "2"}], format=format, compress=compress)
    manifest = document(built.manifest)

    assert (built.media_type, built.config.media_type) == (manifest_type, config_type)
    assert [layer.media_type for layer in built.layers] == [layer_type, layer_type]
    assert manifest["config"] == built.config.descriptor()
    assert manifest["layers"] == [layer.descriptor() for layer in built.layers]


@pytest.mark.parametrize("compress", [pytest.param(True, id="gzip"), pytest.param(False, id="tar")])
def test_diff_ids_are_the_digests_of_the_uncompressed_layers(compress: bool) -> None:
    built = images.image(layers=[{"a": "1"}, {"b": "2"}, {}], format="oci", compress=compress)
    config = document(built.config.data)

    assert config["rootfs"] == {
        "type": "layers",
        "diff_ids": [sha256(uncompressed(layer)) for layer in built.layers],
    }
    assert len(config["history"]) == 3


def test_size_in_bytes_is_config_plus_layers_as_describe_images_reports() -> None:
    built = images.image(layers=[{"a": "1" * 5000}, {"b": "2"}])
    manifest = document(built.manifest)

    assert built.size_in_bytes == manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
    assert built.size_in_bytes == len(built.config.data) + sum(len(layer.data) for layer in built.layers)


def test_layer_tar_is_deterministic_with_parent_directories_first() -> None:
    built = images.image({"/usr/bin/app": b"\x7fELF", "etc/app.conf": "x=1", "usr/share/doc": ""})
    layer_tar = uncompressed(built.layers[0])
    members = tar_members(layer_tar)

    assert [(member.name, member.isdir()) for member in members] == [
        ("etc", True),
        ("etc/app.conf", False),
        ("usr", True),
        ("usr/bin", True),
        ("usr/bin/app", False),
        ("usr/share", True),
        ("usr/share/doc", False),
    ]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    assert {m.name: oct(m.mode) for m in members}["usr/bin"] == "0o755"
    assert tar_file(layer_tar, "usr/bin/app") == b"\x7fELF"
    # gzip header (RFC 1952): no flags (so no file name) and mtime 0, so the blob depends on the files alone.
    assert built.layers[0].data[3:8] == bytes(5)


def test_config_carries_platform_and_container_settings() -> None:
    built = images.image(
        {"f": "x"},
        architecture="arm",
        variant="v7",
        os="linux",
        env={"PATH": "/bin", "MODE": "test"},
        entrypoint=["/app"],
        cmd=["--serve"],
        labels={"team": "ecr"},
    )
    config = document(built.config.data)

    assert config["architecture"] == "arm"
    assert config["variant"] == "v7"
    assert config["os"] == "linux"
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert config["config"] == {
        "Env": ["PATH=/bin", "MODE=test"],
        "Entrypoint": ["/app"],
        "Cmd": ["--serve"],
        "Labels": {"team": "ecr"},
    }


def test_created_none_leaves_created_out() -> None:
    config = document(images.image({"f": "x"}, created=None).config.data)

    assert "created" not in config
    assert all("created" not in entry for entry in config["history"])


def test_an_image_without_files_has_one_empty_layer() -> None:
    built = images.image()

    assert len(built.layers) == 1
    assert tar_members(uncompressed(built.layers[0])) == []


def test_blobs_lists_each_distinct_blob_once_config_first() -> None:
    built = images.image(layers=[{"a": "1"}, {"b": "2"}, {"a": "1"}])

    assert built.layers[0] == built.layers[2]
    assert built.blobs() == (built.config, built.layers[0], built.layers[1])


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"annotations": {"k": "v"}}, id="annotations"),
        pytest.param({"subject": images.image()}, id="subject"),
        pytest.param({"artifact_type": "application/vnd.example"}, id="artifact-type"),
    ],
)
def test_docker_format_refuses_oci_only_fields(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="use format='oci'"):
        images.image({"f": "x"}, format="docker", **arguments)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"../escape": "x"}, id="parent-reference"),
        pytest.param({"/": "x"}, id="root"),
        pytest.param({"a": "x", "/a": "y"}, id="same-path-twice"),
        pytest.param({"a": "x", "a/b": "y"}, id="file-and-directory"),
    ],
)
def test_bad_layer_paths_are_refused(files: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="layer"):
        images.image(files)


def test_files_and_layers_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        images.image({"a": "1"}, layers=[{"b": "2"}])


def test_oci_image_annotations_subject_and_artifact_type_land_in_the_manifest() -> None:
    base = images.image({"f": "x"}, format="oci")
    built = images.image(
        {"sig": "s"},
        format="oci",
        annotations={"k": "v"},
        subject=base,
        artifact_type="application/vnd.example",
    )
    manifest = document(built.manifest)

    assert list(manifest) == [
        "schemaVersion",
        "mediaType",
        "artifactType",
        "config",
        "layers",
        "subject",
        "annotations",
    ]
    assert manifest["subject"] == base.descriptor()
    assert manifest["annotations"] == {"k": "v"}
    assert manifest["artifactType"] == "application/vnd.example"


# --- random layer images ------------------------------------------------------------------------------


def test_random_layer_image_is_incompressible_and_repeatable() -> None:
    size = 300_000
    built = images.random_layer_image(size, seed=7)
    layer_tar = uncompressed(built.layers[0])

    assert images.random_layer_image(size, seed=7).digest == built.digest
    assert images.random_layer_image(size, seed=8).digest != built.digest
    assert size < built.layers[0].size < size + 4096
    assert len(tar_file(layer_tar, "random.bin")) == size
    assert document(built.config.data)["rootfs"]["diff_ids"] == [sha256(layer_tar)]


def test_random_layer_image_holds_the_layer_in_memory_about_once() -> None:
    size = 8 << 20
    tracemalloc.start()
    try:
        built = images.random_layer_image(size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert built.layers[0].size > size
    assert peak < 1.5 * size


# --- indexes and artifacts ----------------------------------------------------------------------------


def test_index_entries_carry_each_image_platform() -> None:
    amd64 = images.image({"f": "x"}, format="oci")
    arm64 = images.image({"f": "x"}, format="oci", architecture="arm64", variant="v8")
    signature = images.artifact("application/vnd.example.sig", [("application/octet-stream", b"sig")])
    built = images.index([amd64, arm64, signature], annotations={"k": "v"})
    manifest = document(built.manifest)

    assert built.media_type == OCI_INDEX
    assert built.manifests == (amd64, arm64, signature)
    assert manifest["manifests"] == [
        {**amd64.descriptor(), "platform": {"architecture": "amd64", "os": "linux"}},
        {**arm64.descriptor(), "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        signature.descriptor(),
    ]
    assert manifest["annotations"] == {"k": "v"}


@pytest.mark.parametrize(
    ("children", "arguments"),
    [
        pytest.param([images.image(format="oci")], {}, id="oci-child"),
        pytest.param([images.image()], {"annotations": {"k": "v"}}, id="annotations"),
    ],
)
def test_docker_manifest_list_refuses_what_schema2_cannot_hold(children: list[Image], arguments: Any) -> None:
    with pytest.raises(ValueError):
        images.index(children, format="docker", **arguments)


def test_docker_manifest_list_of_docker_images() -> None:
    built = images.index([images.image(), images.image(architecture="arm64")], format="docker")

    assert built.media_type == DOCKER_LIST
    assert [entry["platform"]["architecture"] for entry in document(built.manifest)["manifests"]] == [
        "amd64",
        "arm64",
    ]


def test_artifact_without_blobs_uses_the_empty_descriptor_and_points_at_its_subject() -> None:
    subject = images.image({"f": "x"}, format="oci")
    built = images.artifact("application/vnd.example+type", subject=subject, annotations={"k": "v"})
    manifest = document(built.manifest)

    assert built.media_type == OCI_MANIFEST
    assert manifest["artifactType"] == "application/vnd.example+type"
    assert manifest["config"] == {"mediaType": EMPTY, "digest": EMPTY_DIGEST, "size": 2}
    assert manifest["layers"] == [{"mediaType": EMPTY, "digest": EMPTY_DIGEST, "size": 2}]
    assert manifest["subject"] == subject.descriptor()
    assert manifest["annotations"] == {"k": "v"}
    assert built.config.data == b"{}"
    assert built.blobs() == (built.config,)


def test_artifact_with_blobs_and_a_typed_config() -> None:
    built = images.artifact(
        "application/vnd.cncf.helm.chart",
        [("application/vnd.cncf.helm.chart.content.v1.tar+gzip", b"chart")],
        config_media_type="application/vnd.cncf.helm.config.v1+json",
        config_data=b'{"name":"app","version":"1.0.0"}',
    )

    assert built.config.media_type == "application/vnd.cncf.helm.config.v1+json"
    assert built.config.data == b'{"name":"app","version":"1.0.0"}'
    assert [(layer.media_type, layer.data) for layer in built.layers] == [
        ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", b"chart")
    ]
    assert built.size_in_bytes == len(b'{"name":"app","version":"1.0.0"}') + len(b"chart")


def test_artifact_config_data_needs_a_config_media_type() -> None:
    with pytest.raises(ValueError, match="config_media_type"):
        images.artifact("application/vnd.example", config_data=b"{}")


# --- OCI image layouts --------------------------------------------------------------------------------


def test_oci_layout_round_trip_keeps_refs_manifests_and_blobs(tmp_path: Path) -> None:
    amd64 = images.image({"f": "x"}, format="oci")
    arm64 = images.image({"f": "x"}, format="oci", architecture="arm64")
    multi = images.index([amd64, arm64])
    docker = images.image({"d": "1"})
    items: list[tuple[str, Image | ImageIndex]] = [
        ("docker", docker),
        ("multi", multi),
        ("sig", images.artifact("application/vnd.example.sig", subject=multi)),
    ]
    images.write_oci_layout(tmp_path, items)
    loaded = images.load_oci_layout(tmp_path)

    assert loaded == items
    assert [item.manifest for _, item in loaded] == [item.manifest for _, item in items]
    loaded_docker = loaded[0][1]
    assert isinstance(loaded_docker, Image)
    assert [blob.data for blob in loaded_docker.blobs()] == [blob.data for blob in docker.blobs()]
    assert document((tmp_path / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    index_json = document((tmp_path / "index.json").read_bytes())
    assert index_json["mediaType"] == OCI_INDEX
    assert [entry["annotations"] for entry in index_json["manifests"]] == [
        {"org.opencontainers.image.ref.name": ref} for ref, _ in items
    ]


def test_oci_layout_entry_without_ref_name_loads_with_none(tmp_path: Path) -> None:
    built = images.image(format="oci")
    images.write_oci_layout(tmp_path, [("x", built)])
    index_json = document((tmp_path / "index.json").read_bytes())
    del index_json["manifests"][0]["annotations"]
    (tmp_path / "index.json").write_text(json.dumps(index_json))

    assert images.load_oci_layout(tmp_path) == [(None, built)]


def corrupt_layer(layout: Path, built: Image) -> None:
    (layout / "blobs" / "sha256" / built.layers[0].digest.removeprefix("sha256:")).write_bytes(b"other")


def remove_layer(layout: Path, built: Image) -> None:
    (layout / "blobs" / "sha256" / built.layers[0].digest.removeprefix("sha256:")).unlink()


def remove_index(layout: Path, built: Image) -> None:
    (layout / "index.json").unlink()


def nest_index(layout: Path, built: Image) -> None:
    images.write_oci_layout(layout, [("nested", images.index([]))])
    inner = images.index([built])
    outer_manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [inner.descriptor()]})
    outer = ImageIndex(outer_manifest.encode(), OCI_INDEX, ())
    for item in (inner, outer):
        (layout / "blobs" / "sha256" / item.digest.removeprefix("sha256:")).write_bytes(item.manifest)
    index_json = {"schemaVersion": 2, "manifests": [outer.descriptor()]}
    (layout / "index.json").write_text(json.dumps(index_json))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(corrupt_layer, "holds content with digest", id="corrupt-blob"),
        pytest.param(remove_layer, "is missing", id="missing-blob"),
        pytest.param(remove_index, "no index.json", id="no-index-json"),
        pytest.param(nest_index, "lists another index", id="nested-index"),
    ],
)
def test_damaged_oci_layouts_are_refused(tmp_path: Path, damage: Any, reason: str) -> None:
    built = images.image({"f": "x"}, format="oci")
    images.write_oci_layout(tmp_path, [("x", built)])
    damage(tmp_path, built)

    with pytest.raises(InvalidImageSource, match=reason) as raised:
        images.load_oci_layout(tmp_path)
    assert raised.value.source == str(tmp_path)


# --- docker save archives -----------------------------------------------------------------------------


def docker_save(entries: list[dict[str, Any]], files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A tarball shaped like `docker save` output: manifest.json, <hex>.json configs, <id>/layer.tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in {"manifest.json": json.dumps(entries).encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return out.getvalue()


def saved_image(layer_tars: list[bytes]) -> tuple[str, bytes]:
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(tar) for tar in layer_tars]},
        }
    ).encode()
    return sha256(config).removeprefix("sha256:") + ".json", config


def test_docker_save_tarball_loads_as_docker_would_push_it(tmp_path: Path) -> None:
    base_tar = uncompressed(images.image({"etc/os-release": "fake"}, compress=False).layers[0])
    app_tar = uncompressed(images.image({"app/run": "#!/bin/sh"}, compress=False).layers[0])
    app_config_name, app_config = saved_image([base_tar, app_tar])
    base_config_name, base_config = saved_image([base_tar])
    archive = docker_save(
        [
            {
                "Config": app_config_name,
                "RepoTags": ["app:1", "app:latest"],
                "Layers": ["b/layer.tar", "a/layer.tar"],
            },
            {"Config": base_config_name, "RepoTags": None, "Layers": ["c/layer.tar"]},
        ],
        {
            app_config_name: app_config,
            base_config_name: base_config,
            "b/layer.tar": base_tar,
            "a/layer.tar": app_tar,
        },
        links={"c/layer.tar": "../b/layer.tar"},  # docker save links a layer two images share
    )
    (tmp_path / "save.tar").write_bytes(archive)

    (app_tags, app), (base_tags, base) = images.load_docker_archive(tmp_path / "save.tar")

    assert (app_tags, base_tags) == (["app:1", "app:latest"], [])
    assert (app.media_type, app.config.media_type) == (DOCKER_MANIFEST, DOCKER_CONFIG)
    assert app.config.data == app_config
    assert [layer.media_type for layer in app.layers] == [DOCKER_LAYER, DOCKER_LAYER]
    assert [gzip.decompress(layer.data) for layer in app.layers] == [base_tar, app_tar]
    assert base.layers == app.layers[:1]
    assert document(app.manifest)["layers"] == [layer.descriptor() for layer in app.layers]
    assert images.load_docker_archive(io.BytesIO(archive)) == [(app_tags, app), (base_tags, base)]


def test_docker_save_keeps_already_gzipped_layers() -> None:
    layer_tar = uncompressed(images.image({"f": "x"}, compress=False).layers[0])
    layer_gzip = gzip.compress(layer_tar, mtime=0)
    config_name, config = saved_image([layer_tar])
    archive = docker_save(
        [{"Config": "blobs/sha256/" + config_name, "RepoTags": ["x:1"], "Layers": ["blobs/sha256/layer"]}],
        {"blobs/sha256/" + config_name: config, "blobs/sha256/layer": layer_gzip},
    )

    [(_, loaded)] = images.load_docker_archive(io.BytesIO(archive))

    assert loaded.layers == (Blob(DOCKER_LAYER, layer_gzip),)


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        pytest.param([{"Config": "c.json", "RepoTags": [], "Layers": ["l.tar"]}], "config says", id="diff-id-mismatch"),
        pytest.param(
            [{"Config": "c.json", "RepoTags": [], "Layers": ["l.tar", "l.tar"]}],
            "diff_ids",
            id="too-many-layers",
        ),
        pytest.param([{"Config": "missing.json", "Layers": []}], "no file 'missing.json'", id="missing-config"),
        pytest.param([{"RepoTags": []}], "no Config and Layers", id="entry-without-config"),
    ],
)
def test_broken_docker_save_tarballs_are_refused(entries: list[dict[str, Any]], reason: str) -> None:
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [sha256(b"something else")]}}).encode()
    archive = docker_save(entries, {"c.json": config, "l.tar": bytes(1024)})

    with pytest.raises(InvalidImageSource, match=reason):
        images.load_docker_archive(io.BytesIO(archive))
