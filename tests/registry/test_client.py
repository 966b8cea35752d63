"""fake_ecr.client and FakeEcr.push/pull: images, indexes and artifacts round-trip through the registry byte
for byte, every digest checked (OCI distribution spec 1.1;
docs/behaviour/registry.md#endpoints, #push-flow and #manifest-formats;
docs/behaviour/clients.md#what-clients-need #6).

Each round trip runs twice: in-process (``fake_ecr.push``/``pull``, no socket) and over HTTP against the
session's server with a token from GetAuthorizationToken.  Refusals and corrupt content come from the fake
itself, or from a registry mocked with ``responses`` where the fake would never misbehave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses

from fake_ecr import FakeEcr, client, images
from fake_ecr.client import ContentDigestMismatch, ImageReference, RegistryRequestFailed, RegistrySession

from registry.helpers import REPO

Item = images.Image | images.ImageIndex
SBOM = "application/vnd.example.sbom.v1"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
LAYER = images.image(files={"shared.txt": "in both images"}).layers[0]

DOCKER_IMAGE = images.image(files={"app.txt": "docker"}, cmd=["cat", "/app.txt"])
OCI_IMAGE = images.image(layers=[{"etc/a": "1"}, {"usr/bin/b": "2"}], format="oci", labels={"team": "ecr"})
ITEMS = [
    pytest.param(DOCKER_IMAGE, id="docker-image"),
    pytest.param(OCI_IMAGE, id="oci-image"),
    pytest.param(images.image(layers=[{"same": "x"}, {"same": "x"}], format="oci"), id="a-layer-listed-twice"),
    pytest.param(
        images.index(
            [
                images.image(files={"arch": "amd64"}, format="oci"),
                images.image(files={"arch": "arm64"}, format="oci", architecture="arm64", variant="v8"),
            ]
        ),
        id="oci-index",
    ),
    pytest.param(
        images.index([DOCKER_IMAGE, images.image(files={"app.txt": "s390x"}, architecture="s390x")], format="docker"),
        id="docker-manifest-list",
    ),
    pytest.param(images.artifact(SBOM, [("application/spdx+json", b'{"spdxVersion": "SPDX-2.3"}')]), id="artifact"),
    pytest.param(
        images.artifact(
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            [("application/vnd.cncf.helm.chart.content.v1.tar+gzip", b"chart")],
            config_media_type=HELM_CONFIG,
            config_data=b'{"name": "chart", "version": "1.0.0"}',
        ),
        id="helm-chart",
    ),
    pytest.param(images.artifact("application/vnd.example.empty"), id="artifact-without-blobs"),
]


def contents(item: Item) -> list[tuple[str, bytes]]:
    """Everything a pull hands back, as (media type, bytes): manifest, then blobs or children, recursively."""
    if isinstance(item, images.ImageIndex):
        return [(item.media_type, item.manifest)] + [part for child in item.manifests for part in contents(child)]
    return [(item.media_type, item.manifest)] + [(blob.media_type, blob.data) for blob in (item.config, *item.layers)]


@dataclass(frozen=True)
class Transport:
    """Push and pull by ``repository[:tag][@digest]``."""

    push: Callable[[str, Item], str]
    pull: Callable[[str], Item]


def in_process(fake_ecr: FakeEcr, ecr: Any) -> Transport:
    return Transport(fake_ecr.push, fake_ecr.pull)


def over_http(fake_ecr: FakeEcr, ecr: Any) -> Transport:
    # The session server's own address (its main port serves the fake's registry): proxyEndpoint names ECR's
    # host, which ``requests`` would reach in-process, not over a socket.
    assert fake_ecr.server is not None
    endpoint = fake_ecr.server.endpoint
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]

    def push(reference: str, item: Item) -> str:
        target = ImageReference.parse(reference)
        return client.push(endpoint, target.repository, target.tag or target.digest, item, auth=token)

    def pull(reference: str) -> Item:
        target = ImageReference.parse(reference)
        return client.pull(endpoint, target.repository, target.digest or target.tag or "latest", auth=token)

    return Transport(push, pull)


@pytest.fixture(params=[in_process, over_http], ids=["in-process", "http"])
def transport(request: pytest.FixtureRequest, fake_ecr: FakeEcr, ecr: Any) -> Transport:
    make: Callable[[FakeEcr, Any], Transport] = request.param
    return make(fake_ecr, ecr)


def image_ids(ecr: Any, repository: str = REPO) -> set[tuple[str, str | None]]:
    return {(i["imageDigest"], i.get("imageTag")) for i in ecr.list_images(repositoryName=repository)["imageIds"]}


# --- round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ITEMS)
def test_a_pushed_item_pulls_back_byte_for_byte(transport: Transport, ecr: Any, repo: str, item: Item) -> None:
    digest = transport.push(f"{repo}:v1", item)
    pulled = transport.pull(f"{repo}:v1")

    assert digest == item.digest
    assert type(pulled) is type(item)
    assert pulled == item
    assert contents(pulled) == contents(item)
    (detail,) = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert (detail["imageDigest"], detail["imageManifestMediaType"]) == (item.digest, item.media_type)


@pytest.mark.parametrize("item", [p for p in ITEMS if isinstance(p.values[0], images.ImageIndex)])
def test_an_index_is_stored_tagged_and_its_children_untagged(
    transport: Transport, ecr: Any, repo: str, item: Item
) -> None:
    assert isinstance(item, images.ImageIndex)

    transport.push(f"{repo}:multi", item)

    # A multi-arch push stores each platform manifest as an untagged image
    # (docs/behaviour/registry.md#manifest-formats).
    assert image_ids(ecr) == {(item.digest, "multi")} | {(child.digest, None) for child in item.manifests}


def test_an_artifact_pushed_with_a_subject_is_its_referrer(transport: Transport, ecr: Any, repo: str) -> None:
    subject = transport.push(f"{repo}:v1", OCI_IMAGE)
    sbom = images.artifact(SBOM, [("application/spdx+json", b"{}")], subject=OCI_IMAGE)

    transport.push(repo, sbom)

    pulled = transport.pull(f"{repo}@{sbom.digest}")
    assert contents(pulled) == contents(sbom)
    assert json.loads(pulled.manifest)["subject"]["digest"] == subject
    data = ecr.get_authorization_token()["authorizationData"][0]
    referrers = requests.get(
        f"{data['proxyEndpoint']}/v2/{repo}/referrers/{subject}",
        headers={"Authorization": f"Basic {data['authorizationToken']}"},
        timeout=30,
    ).json()
    assert [(m["digest"], m["artifactType"]) for m in referrers["manifests"]] == [(sbom.digest, SBOM)]


def test_a_push_uploads_only_the_blobs_the_repository_lacks(fake_ecr: FakeEcr, ecr: Any, repo: str) -> None:
    data = ecr.get_authorization_token()["authorizationData"][0]
    first = images.image(layers=[{"base": "os"}, {"app": "v1"}])
    second = images.image(layers=[{"base": "os"}, {"app": "v2"}])
    client.push(data["proxyEndpoint"], repo, "v1", first, auth=data["authorizationToken"])
    seen: list[tuple[str, str]] = []
    session = RegistrySession(data["proxyEndpoint"])
    session.hooks["response"].append(lambda r, *_, **__: seen.append((r.request.method, urlsplit(r.request.url).path)))

    client.push(session, repo, "v2", second, auth=data["authorizationToken"])

    heads = [path.rsplit("/", 1)[1] for method, path in seen if method == "HEAD"]
    uploads = [method for method, _ in seen if method == "POST"]
    assert heads == [blob.digest for blob in second.blobs()]
    assert len(uploads) == len({blob.digest for blob in second.blobs()} - {blob.digest for blob in first.blobs()})
    assert seen[-1] == ("PUT", f"/v2/{repo}/manifests/v2")


def test_blobs_pushed_alone_let_put_image_store_their_manifest(fake_ecr: FakeEcr, ecr: Any, repo: str) -> None:
    assert fake_ecr.push_blobs(repo, DOCKER_IMAGE.blobs()) == [blob.digest for blob in DOCKER_IMAGE.blobs()]

    image = ecr.put_image(repositoryName=repo, imageManifest=DOCKER_IMAGE.manifest.decode(), imageTag="v1")["image"]

    assert image["imageId"] == {"imageDigest": DOCKER_IMAGE.digest, "imageTag": "v1"}
    assert contents(fake_ecr.pull(f"{repo}:v1")) == contents(DOCKER_IMAGE)


# --- references -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "tags"),
    [
        pytest.param(f"{REPO}:v1", ["v1"], id="repository:tag"),
        pytest.param(REPO, [], id="repository-alone-is-untagged"),
        pytest.param(f"{REPO}@{OCI_IMAGE.digest}", [], id="repository@digest"),
        pytest.param(f"{REPO}:v1@{OCI_IMAGE.digest}", ["v1"], id="repository:tag@digest"),
    ],
)
def test_fake_push_tags_as_its_reference_says(
    fake_ecr: FakeEcr, ecr: Any, repo: str, reference: str, tags: list[str]
) -> None:
    assert fake_ecr.push(reference, OCI_IMAGE) == OCI_IMAGE.digest

    (detail,) = ecr.describe_images(repositoryName=repo)["imageDetails"]
    assert (detail["imageDigest"], detail.get("imageTags", [])) == (OCI_IMAGE.digest, tags)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(REPO, id="repository-alone-pulls-latest"),
        pytest.param(f"{REPO}:latest", id="tag"),
        pytest.param(f"{REPO}@{DOCKER_IMAGE.digest}", id="digest"),
        pytest.param(f"{REPO}:gone@{DOCKER_IMAGE.digest}", id="the-digest-wins-over-the-tag"),
    ],
)
def test_fake_pull_finds_the_image_its_reference_names(fake_ecr: FakeEcr, repo: str, reference: str) -> None:
    fake_ecr.push(f"{repo}:latest", DOCKER_IMAGE)

    assert contents(fake_ecr.pull(reference)) == contents(DOCKER_IMAGE)


def test_fake_push_refuses_a_reference_with_another_images_digest(fake_ecr: FakeEcr, ecr: Any, repo: str) -> None:
    with pytest.raises(ValueError, match=f"names digest {DOCKER_IMAGE.digest}, the image's is {OCI_IMAGE.digest}"):
        fake_ecr.push(f"{repo}@{DOCKER_IMAGE.digest}", OCI_IMAGE)

    assert image_ids(ecr) == set()


def test_fake_push_and_pull_reach_the_registry_of_another_region(fake_ecr: FakeEcr, ecr: Any) -> None:
    fake_ecr.client(region_name="eu-west-1").create_repository(repositoryName="app")

    fake_ecr.push("app:v1", DOCKER_IMAGE, region="eu-west-1")

    assert contents(fake_ecr.pull("app:v1", region="eu-west-1")) == contents(DOCKER_IMAGE)
    listed = fake_ecr.client(region_name="eu-west-1").list_images(repositoryName="app")["imageIds"]
    assert listed == [{"imageDigest": DOCKER_IMAGE.digest, "imageTag": "v1"}]
    assert ecr.describe_repositories()["repositories"] == []


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param("app", ("app", None, None), id="name"),
        pytest.param("team/app:v1.2", ("team/app", "v1.2", None), id="name:tag"),
        pytest.param("app@sha256:" + "a" * 64, ("app", None, "sha256:" + "a" * 64), id="name@digest"),
        pytest.param("app:v1@sha256:" + "a" * 64, ("app", "v1", "sha256:" + "a" * 64), id="name:tag@digest"),
    ],
)
def test_image_references_split_into_repository_tag_and_digest(
    text: str, parts: tuple[str, str | None, str | None]
) -> None:
    reference = ImageReference.parse(text)

    assert (reference.repository, reference.tag, reference.digest) == parts


@pytest.mark.parametrize("text", [pytest.param("", id="empty"), pytest.param(":v1", id="tag-without-name")])
def test_a_reference_without_a_repository_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="names no repository"):
        ImageReference.parse(text)


def test_a_registry_session_needs_a_url_with_a_scheme() -> None:
    with pytest.raises(ValueError, match=r"http\(s\)://host\[:port\]"):
        RegistrySession("127.0.0.1:5000")


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        pytest.param(
            lambda t: t.push("missing:v1", DOCKER_IMAGE), 404, "NAME_UNKNOWN", id="push-to-a-missing-repository"
        ),
        pytest.param(lambda t: t.pull(f"{REPO}:missing"), 404, "MANIFEST_UNKNOWN", id="pull-of-a-missing-tag"),
        pytest.param(lambda t: t.pull("missing:v1"), 404, "NAME_UNKNOWN", id="pull-from-a-missing-repository"),
    ],
)
def test_a_refusal_raises_with_the_registrys_answer(
    transport: Transport, repo: str, action: Callable[[Transport], object], status: int, code: str
) -> None:
    with pytest.raises(RegistryRequestFailed) as excinfo:
        action(transport)

    assert excinfo.value.status == status
    assert json.loads(excinfo.value.body)["errors"][0]["code"] == code


def test_a_pull_that_accepts_no_stored_type_is_refused(fake_ecr: FakeEcr, repo: str) -> None:
    fake_ecr.push(f"{repo}:v1", OCI_IMAGE)

    with pytest.raises(RegistryRequestFailed) as excinfo:
        fake_ecr.pull(f"{repo}:v1", accept=[images.MEDIA_TYPES["docker"].manifest])

    assert excinfo.value.status == 404


def test_a_push_without_credentials_is_refused_with_the_challenge(fake_ecr: FakeEcr, ecr: Any, repo: str) -> None:
    endpoint = ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"]

    with pytest.raises(RegistryRequestFailed) as excinfo:
        client.push(endpoint, repo, "v1", DOCKER_IMAGE)

    assert excinfo.value.status == 401
    assert str(excinfo.value).startswith(f"HEAD {endpoint}/v2/{repo}/blobs/{DOCKER_IMAGE.config.digest} answered 401")


# --- digests are verified -------------------------------------------------------------------------

BASE = "https://registry.example"
OTHER = images.image(files={"other": "bytes"})


def _descriptor_size_plus_one(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "layers": [{**document["layers"][0], "size": document["layers"][0]["size"] + 1}]}


@dataclass(frozen=True)
class Corruption:
    """A registry that serves DOCKER_IMAGE wrongly in one way."""

    manifest: bytes = DOCKER_IMAGE.manifest
    digest_header: str | None = DOCKER_IMAGE.digest
    layer: bytes = DOCKER_IMAGE.layers[0].data


CORRUPTIONS = [
    pytest.param(
        Corruption(layer=OTHER.layers[0].data), "latest", f"blob {DOCKER_IMAGE.layers[0].digest}", id="blob-bytes"
    ),
    pytest.param(Corruption(digest_header=OTHER.digest), "latest", "manifest latest", id="docker-content-digest"),
    pytest.param(
        Corruption(manifest=OTHER.manifest, digest_header=None),
        DOCKER_IMAGE.digest,
        f"manifest {DOCKER_IMAGE.digest}",
        id="manifest-bytes-pulled-by-digest",
    ),
    pytest.param(
        Corruption(
            manifest=json.dumps(_descriptor_size_plus_one(json.loads(DOCKER_IMAGE.manifest))).encode(),
            digest_header=None,
        ),
        "latest",
        f"size of blob {DOCKER_IMAGE.layers[0].digest}",
        id="blob-size",
    ),
]


@pytest.fixture
def corrupt_registry() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize(("corruption", "reference", "what"), CORRUPTIONS)
def test_a_pull_refuses_content_that_is_not_what_its_digest_says(
    corrupt_registry: responses.RequestsMock, corruption: Corruption, reference: str, what: str
) -> None:
    headers = {} if corruption.digest_header is None else {"Docker-Content-Digest": corruption.digest_header}
    corrupt_registry.get(
        f"{BASE}/v2/app/manifests/{reference}",
        body=corruption.manifest,
        headers=headers,
        content_type=DOCKER_IMAGE.media_type,
    )
    corrupt_registry.get(f"{BASE}/v2/app/blobs/{DOCKER_IMAGE.config.digest}", body=DOCKER_IMAGE.config.data)
    corrupt_registry.get(f"{BASE}/v2/app/blobs/{DOCKER_IMAGE.layers[0].digest}", body=corruption.layer)

    with pytest.raises(ContentDigestMismatch) as excinfo:
        client.pull(BASE, "app", reference)

    assert excinfo.value.what == what


def test_a_push_refuses_a_registry_that_stores_the_manifest_under_another_digest(
    corrupt_registry: responses.RequestsMock,
) -> None:
    for blob in DOCKER_IMAGE.blobs():
        corrupt_registry.head(f"{BASE}/v2/app/blobs/{blob.digest}")
    corrupt_registry.put(f"{BASE}/v2/app/manifests/v1", status=201, headers={"Docker-Content-Digest": OTHER.digest})

    with pytest.raises(ContentDigestMismatch, match=f"expected {DOCKER_IMAGE.digest}, received {OTHER.digest}"):
        client.push(BASE, "app", "v1", DOCKER_IMAGE)
