"""Manifests, tags and referrers through the registry, and the one model they share with the control plane
(OCI distribution spec 1.1; docs/behaviour/registry.md#endpoints, docs/behaviour/registry.md#manifest-formats,
docs/behaviour/registry.md#error-codes, docs/behaviour/images.md#referrers)."""

from __future__ import annotations

import http.client
import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest

from fake_ecr import FakeEcr

from registry.helpers import (
    DOCKER_MANIFEST,
    FORBIDDEN_DESCRIPTORS,
    OCI_INDEX,
    OCI_MANIFEST,
    REPO,
    Image,
    RegistryClient,
    build_image,
    oci_error,
    push_blob,
    push_image,
    put_manifest,
    sha256,
)

ACCOUNT = "123456789012"
PUSHED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
NOT_FOUND = "Requested image not found"


def manifest_path(reference: str, repository: str = REPO) -> str:
    return f"/v2/{repository}/manifests/{reference}"


def detail(ecr: Any, digest: str) -> dict[str, Any]:
    details = ecr.describe_images(repositoryName=REPO, imageIds=[{"imageDigest": digest}])["imageDetails"]
    return details[0]  # type: ignore[no-any-return]


# --- push and pull ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, DOCKER_MANIFEST], ids=["oci", "docker"])
def test_push_by_tag_then_pull_the_exact_bytes(registry: RegistryClient, repo: str, media_type: str) -> None:
    image = build_image(media_type=media_type)
    pushed = push_image(registry, REPO, image, "v1")
    assert pushed.status_code == 201
    assert pushed.headers["Docker-Content-Digest"] == image.digest
    assert pushed.headers["Location"] == manifest_path(image.digest)
    for reference in ("v1", image.digest):
        pulled = registry.request("GET", manifest_path(reference), headers={"Accept": media_type})
        assert pulled.content == image.manifest
        assert pulled.headers["Content-Type"] == media_type
        assert pulled.headers["Docker-Content-Digest"] == image.digest == sha256(pulled.content)


def test_push_by_digest_stores_an_untagged_image(registry: RegistryClient, repo: str, ecr: Any) -> None:
    image = build_image()
    assert push_image(registry, REPO, image, image.digest).status_code == 201
    assert "imageTags" not in detail(ecr, image.digest)


def test_push_to_a_digest_other_than_the_manifests(registry: RegistryClient, repo: str) -> None:
    image = build_image()
    refused = push_image(registry, REPO, image, sha256(b"other"))
    assert refused.status_code == 400
    assert oci_error(refused)[0] == "DIGEST_INVALID"


def test_pushed_image_shows_in_describe_images(
    registry: RegistryClient, repo: str, ecr: Any, fake_ecr: FakeEcr
) -> None:
    fake_ecr.clock.set(PUSHED_AT)
    image = build_image(layer_count=2)
    push_image(registry, REPO, image, "v1")
    shown = detail(ecr, image.digest)
    assert shown["imageTags"] == ["v1"]
    assert shown["imageSizeInBytes"] == len(image.config) + sum(len(layer) for layer in image.layers)
    assert shown["imagePushedAt"] == PUSHED_AT
    assert shown["imageManifestMediaType"] == OCI_MANIFEST
    assert "lastRecordedPullTime" not in shown


def test_a_get_is_a_pull_a_head_is_not(registry: RegistryClient, repo: str, ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(PUSHED_AT)
    image = build_image()
    push_image(registry, REPO, image, "v1")
    fake_ecr.clock.advance(days=3)
    registry.request("HEAD", manifest_path("v1"))
    assert "lastRecordedPullTime" not in detail(ecr, image.digest)
    registry.request("GET", manifest_path("v1"))
    assert detail(ecr, image.digest)["lastRecordedPullTime"] == datetime(2024, 5, 4, 12, 0, tzinfo=timezone.utc)


def test_an_image_put_with_put_image_is_pullable(
    registry: RegistryClient, repo: str, ecr: Any, fake_ecr: FakeEcr
) -> None:
    image = build_image()
    for blob in (image.config, *image.layers):  # blobs through the layer API's store
        upload = ecr.initiate_layer_upload(repositoryName=REPO)["uploadId"]
        ecr.upload_layer_part(
            repositoryName=REPO, uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1, layerPartBlob=blob
        )
        ecr.complete_layer_upload(repositoryName=REPO, uploadId=upload, layerDigests=[sha256(blob)])
    ecr.put_image(repositoryName=REPO, imageManifest=image.manifest.decode(), imageTag="api")
    pulled = registry.request("GET", manifest_path("api"))
    assert (pulled.status_code, pulled.content) == (200, image.manifest)
    for blob in (image.config, *image.layers):
        assert registry.request("GET", f"/v2/{REPO}/blobs/{sha256(blob)}").content == blob


def test_batch_delete_image_makes_it_unpullable(registry: RegistryClient, repo: str, ecr: Any) -> None:
    image = build_image()
    push_image(registry, REPO, image, "v1")
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": image.digest}])
    for reference in ("v1", image.digest):
        gone = registry.request("GET", manifest_path(reference))
        assert gone.status_code == 404
        assert oci_error(gone) == ("MANIFEST_UNKNOWN", NOT_FOUND)


def test_the_same_manifest_pushed_again_is_success(registry: RegistryClient, repo: str) -> None:
    # docker re-pushes; the registry answers 201 where PutImage would say ImageAlreadyExists
    # (docs/behaviour/errors.md#messages #5).
    image = build_image()
    assert push_image(registry, REPO, image, "v1").status_code == 201
    assert put_manifest(registry, REPO, image, "v1").status_code == 201


# --- refused pushes (docs/behaviour/registry.md#error-codes)
# ----------------------------------------------------------------------------


def test_push_to_a_missing_repository(registry: RegistryClient, repo: str) -> None:
    refused = put_manifest(registry, "team/missing", build_image(), "v1")
    assert refused.status_code == 404
    assert oci_error(refused) == (
        "NAME_UNKNOWN",
        f"The repository with name 'team/missing' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_an_immutable_tag_is_not_overwritten(registry: RegistryClient, ecr: Any) -> None:
    ecr.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    push_image(registry, REPO, build_image("first"), "v1")
    refused = push_image(registry, REPO, build_image("second"), "v1")
    assert refused.status_code == 400
    assert oci_error(refused) == (
        "TAG_INVALID",
        f"The image tag 'v1' already exists in the '{REPO}' repository and cannot be overwritten "
        "because the repository is immutable.",
    )


def test_a_manifest_naming_missing_blobs_is_rejected(registry: RegistryClient, repo: str, ecr: Any) -> None:
    image = build_image()
    refused = put_manifest(registry, REPO, image, "v1")  # no blob pushed
    assert refused.status_code == 400
    missing = ", ".join(sha256(blob) for blob in (image.config, *image.layers))
    assert oci_error(refused) == (
        "BLOB_UPLOAD_UNKNOWN",
        f"Layers with digests '[{missing}]' required for pushing image into repository with name '{REPO}' "
        f"in the registry with id '{ACCOUNT}' do not exist",
    )
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"{not json", OCI_MANIFEST, id="not-json"),
        pytest.param(json.dumps({"schemaVersion": 2, "config": {}, "layers": []}).encode(), None, id="no-media-type"),
    ],
)
def test_a_manifest_ecr_cannot_read(registry: RegistryClient, repo: str, body: bytes, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    refused = registry.request("PUT", manifest_path("v1"), data=body, headers=headers)
    assert refused.status_code == 400
    assert oci_error(refused) == ("UNSUPPORTED", "Invalid JSON syntax")  # docs/behaviour/errors.md#messages #34


@pytest.mark.parametrize("document", FORBIDDEN_DESCRIPTORS)
def test_a_descriptor_the_image_spec_forbids_is_manifest_invalid(
    registry: RegistryClient, repo: str, ecr: Any, document: dict[str, Any]
) -> None:
    body, headers = json.dumps(document).encode(), {"Content-Type": document["mediaType"]}
    refused = registry.request("PUT", manifest_path("v1"), data=body, headers=headers)
    assert refused.status_code == 400
    assert oci_error(refused) == ("MANIFEST_INVALID", "Invalid JSON syntax")
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == []


def test_a_manifest_over_four_mib_is_too_large(registry: RegistryClient, repo: str) -> None:
    refused = registry.request("PUT", manifest_path("v1"), data=b" " * (4 * 1024 * 1024 + 1))
    assert refused.status_code == 413
    assert oci_error(refused)[0] == "MANIFEST_INVALID"


# --- Accept negotiation ------------------------------------------------------------------------------


def fetch(registry: RegistryClient, method: str, path: str, accept_lines: list[str]) -> tuple[int, bytes]:
    """A request with each Accept value on its own header line, as Go clients send them."""
    address = urlsplit(registry.endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in [*registry.headers.items(), *(("Accept", line) for line in accept_lines)]:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("accept_lines", "status"),
    [
        pytest.param([OCI_MANIFEST], 200, id="the-stored-type"),
        pytest.param([DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST], 200, id="several-lines-stored-type-last"),
        pytest.param([f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"], 200, id="comma-separated"),
        pytest.param([f"{DOCKER_MANIFEST};q=0.9", f"{OCI_MANIFEST}; q=0.5"], 200, id="with-quality-parameters"),
        pytest.param([], 200, id="no-accept"),
        pytest.param(["*/*"], 200, id="anything"),
        pytest.param([DOCKER_MANIFEST], 404, id="another-type-only"),
        pytest.param([DOCKER_MANIFEST, OCI_INDEX], 404, id="several-lines-without-the-stored-type"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("by", ["tag", "digest"])
def test_accept_negotiation_reads_every_accept_line(
    registry: RegistryClient, repo: str, *, accept_lines: list[str], status: int, method: str, by: str
) -> None:
    # fake-ecr converts no manifests: a client that does not take the stored type gets MANIFEST_UNKNOWN
    # (docs/behaviour/registry.md#manifest-formats).
    image = build_image()
    push_image(registry, REPO, image, "v1")
    got_status, body = fetch(registry, method, manifest_path("v1" if by == "tag" else image.digest), accept_lines)
    assert got_status == status
    if method == "GET":
        assert body == image.manifest if status == 200 else json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"


# --- delete ----------------------------------------------------------------------------------------------


def test_delete_by_digest_removes_the_image_and_its_tags(registry: RegistryClient, repo: str, ecr: Any) -> None:
    image = build_image()
    push_image(registry, REPO, image, "v1")
    assert registry.request("DELETE", manifest_path(image.digest)).status_code == 202
    assert registry.request("GET", manifest_path("v1")).status_code == 404
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == []


def test_delete_by_tag_removes_the_tag(registry: RegistryClient, repo: str, ecr: Any) -> None:
    image = build_image()
    push_image(registry, REPO, image, "v1")
    put_manifest(registry, REPO, image, "v2")
    assert registry.request("DELETE", manifest_path("v1")).status_code == 202
    assert registry.request("GET", manifest_path("v1")).status_code == 404
    assert registry.request("GET", manifest_path("v2")).status_code == 200


def test_delete_of_a_manifest_an_index_lists_is_refused(registry: RegistryClient, repo: str) -> None:
    child = build_image()
    push_image(registry, REPO, child, child.digest)
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": OCI_MANIFEST, "digest": child.digest, "size": len(child.manifest)}],
        }
    ).encode()
    put_manifest(registry, REPO, Image(index, OCI_INDEX, b"", ()), "multi")
    refused = registry.request("DELETE", manifest_path(child.digest))
    assert refused.status_code == 409
    assert oci_error(refused)[0] == "DENIED"
    assert registry.request("GET", manifest_path("multi")).content == index


# --- tags/list -----------------------------------------------------------------------------------------

TAGS = ["v10", "v2", "Latest", "beta", "v1"]


@pytest.fixture
def tagged(registry: RegistryClient, repo: str) -> list[str]:
    image = build_image()
    push_image(registry, REPO, image, image.digest)
    for tag in TAGS:
        put_manifest(registry, REPO, image, tag)
    return sorted(TAGS)


def test_tags_come_in_lexical_order(registry: RegistryClient, tagged: list[str]) -> None:
    listed = registry.request("GET", f"/v2/{REPO}/tags/list")
    assert listed.json() == {"name": REPO, "tags": ["Latest", "beta", "v1", "v10", "v2"]}
    assert "Link" not in listed.headers


def test_tags_page_by_n_and_link(registry: RegistryClient, tagged: list[str]) -> None:
    pages, link, path = [], "", f"/v2/{REPO}/tags/list?n=2"
    while path:
        response = registry.request("GET", path)
        pages.append(response.json()["tags"])
        link = response.headers.get("Link", "")
        path = link[1 : link.index(">")] if link else ""
    assert pages == [["Latest", "beta"], ["v1", "v10"], ["v2"]]


@pytest.mark.parametrize(
    ("query", "tags", "link"),
    [
        pytest.param("?last=v1", ["v10", "v2"], None, id="last"),
        pytest.param("?n=1&last=beta", ["v1"], f'</v2/{REPO}/tags/list?n=1&last=v1>; rel="next"', id="n-and-last"),
        pytest.param("?n=0", [], None, id="n-zero"),
        pytest.param("?n=5", ["Latest", "beta", "v1", "v10", "v2"], None, id="n-exactly-all"),
        pytest.param("?last=zzz", [], None, id="last-past-the-end"),
    ],
)
def test_tags_paging(
    registry: RegistryClient, tagged: list[str], query: str, tags: list[str], link: str | None
) -> None:
    response = registry.request("GET", f"/v2/{REPO}/tags/list{query}")
    assert response.json()["tags"] == tags
    assert response.headers.get("Link") == link


def test_a_page_over_1000_is_405(registry: RegistryClient, repo: str) -> None:
    # Clients such as renovate look for exactly this answer and retry with n=1000 (docs/behaviour/errors.md#messages
    # #33).
    refused = registry.request("GET", f"/v2/{REPO}/tags/list?n=1001")
    assert refused.status_code == 405
    assert refused.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert "Member must have value less than or equal to 1000" in oci_error(refused)[1]
    assert registry.request("GET", f"/v2/{REPO}/tags/list?n=1000").status_code == 200


@pytest.mark.parametrize(
    "page_size",
    [
        pytest.param("abc", id="letters"),
        pytest.param("-1", id="negative"),
        pytest.param("\u00b2", id="superscript-two"),
        pytest.param("\u0661", id="arabic-indic-one"),
    ],
)
def test_a_page_size_that_is_no_integer_is_405(registry: RegistryClient, repo: str, page_size: str) -> None:
    refused = registry.request("GET", f"/v2/{REPO}/tags/list", params={"n": page_size})
    assert refused.status_code == 405
    assert oci_error(refused)[0] == "UNSUPPORTED"
    assert "Member must be an integer" in oci_error(refused)[1]


# --- referrers (OCI 1.1) ------------------------------------------------------------------------------

SBOM = "application/vnd.example.sbom.v1"
SIGNATURE_CONFIG = "application/vnd.example.signature.config.v1+json"


def referrer(subject: Image, seed: str, **extra: Any) -> Image:
    descriptor = {"mediaType": subject.media_type, "digest": subject.digest, "size": len(subject.manifest)}
    return build_image(seed, extra={"subject": descriptor, **extra})


def test_referrers_list_the_manifests_whose_subject_it_is(registry: RegistryClient, repo: str) -> None:
    subject = build_image("subject")
    push_image(registry, REPO, subject, "v1")
    sbom = referrer(subject, "sbom", artifactType=SBOM, annotations={"org.example.format": "spdx"})
    pushed = push_image(registry, REPO, sbom, sbom.digest)
    assert pushed.headers["OCI-Subject"] == subject.digest
    signature = referrer(subject, "signature")
    push_image(registry, REPO, signature, signature.digest)
    push_image(registry, REPO, build_image("unrelated"), "v2")

    listed = registry.request("GET", f"/v2/{REPO}/referrers/{subject.digest}")
    assert listed.headers["Content-Type"] == OCI_INDEX
    assert "OCI-Filters-Applied" not in listed.headers
    index = listed.json()
    assert (index["schemaVersion"], index["mediaType"]) == (2, OCI_INDEX)
    assert sorted(index["manifests"], key=lambda d: d["digest"]) == sorted(
        [
            {
                "mediaType": OCI_MANIFEST,
                "digest": sbom.digest,
                "size": len(sbom.manifest),
                "artifactType": SBOM,
                "annotations": {"org.example.format": "spdx"},
            },
            # without artifactType, an image manifest's config media type stands in (OCI spec)
            {
                "mediaType": OCI_MANIFEST,
                "digest": signature.digest,
                "size": len(signature.manifest),
                "artifactType": "application/vnd.oci.image.config.v1+json",
            },
        ],
        key=lambda d: d["digest"],
    )


def test_referrers_filtered_by_artifact_type(registry: RegistryClient, repo: str) -> None:
    subject = build_image("subject")
    push_image(registry, REPO, subject, "v1")
    for seed, artifact_type in (("sbom", SBOM), ("other", "application/vnd.example.other")):
        image = referrer(subject, seed, artifactType=artifact_type)
        push_image(registry, REPO, image, image.digest)
    listed = registry.request("GET", f"/v2/{REPO}/referrers/{subject.digest}", params={"artifactType": SBOM})
    assert listed.headers["OCI-Filters-Applied"] == "artifactType"
    assert [d["artifactType"] for d in listed.json()["manifests"]] == [SBOM]


def test_a_referrer_may_come_before_its_subject(registry: RegistryClient, repo: str) -> None:
    # OCI spec: a manifest whose subject is not (yet) there is accepted, and listed.
    subject = build_image("later")
    early = referrer(subject, "early", artifactType=SBOM)
    assert push_image(registry, REPO, early, early.digest).status_code == 201
    listed = registry.request("GET", f"/v2/{REPO}/referrers/{subject.digest}").json()
    assert [d["digest"] for d in listed["manifests"]] == [early.digest]


def test_push_without_a_subject_has_no_oci_subject_header(registry: RegistryClient, repo: str) -> None:
    assert "OCI-Subject" not in push_image(registry, REPO, build_image(), "v1").headers


def test_referrers_follow_put_image_and_batch_delete_image(registry: RegistryClient, repo: str, ecr: Any) -> None:
    subject = build_image("subject")
    push_image(registry, REPO, subject, "v1")
    sbom = referrer(subject, "sbom", artifactType=SBOM)
    for blob in (sbom.config, *sbom.layers):
        push_blob(registry, REPO, blob)
    ecr.put_image(repositoryName=REPO, imageManifest=sbom.manifest.decode())
    path = f"/v2/{REPO}/referrers/{subject.digest}"
    assert [d["digest"] for d in registry.request("GET", path).json()["manifests"]] == [sbom.digest]
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": sbom.digest}])
    assert registry.request("GET", path).json()["manifests"] == []


def test_an_archived_image_is_not_pullable(registry: RegistryClient, repo: str, fake_ecr: FakeEcr) -> None:
    # "Requests to pull the archived image will fail with a 404 error" (docs/behaviour/registry.md#endpoints,
    # docs/behaviour/images.md#archive-storage-class).
    subject = build_image("subject")
    push_image(registry, REPO, subject, "v1")
    sbom = referrer(subject, "sbom", artifactType=SBOM)
    push_image(registry, REPO, sbom, "sbom")
    model = fake_ecr.registry()
    for view in model.images(REPO):
        model.replace_image(REPO, replace(view.image, image_status="ARCHIVED"))
    for method in ("GET", "HEAD"):
        assert registry.request(method, manifest_path("v1")).status_code == 404
    assert registry.request("GET", f"/v2/{REPO}/referrers/{subject.digest}").json()["manifests"] == []
