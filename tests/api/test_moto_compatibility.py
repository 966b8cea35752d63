"""``Settings.allow_missing_layers``: PutImage of a manifest whose blobs were never uploaded, as moto takes it.

Off (the default) PutImage refuses such a manifest as ECR does (LayersNotFoundException); on, it stores the
image with the manifest's declared sizes, and the registry answers BLOB_UNKNOWN for the missing blobs.
Nothing else is loosened, and the registry's own manifest PUT still refuses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import DOCKER_CONFIG, DOCKER_LAYER, FORMATS, OCI_INDEX, error_of, image_manifest, seed_blob, sha256
from api.replication_helpers import CROSS_REGION, OTHER_REGION, configure, rule
from registry.helpers import RegistryClient, logged_in, oci_error

REPO = "app"
MISSING_LAYERS = pytest.mark.fake_ecr(allow_missing_layers=True)


@dataclass(frozen=True)
class Hand:
    """A hand-written manifest, as moto-era tests make them: some of its blobs uploaded, the rest not."""

    image_format: str
    #: (blob bytes, uploaded?) for the config, then each layer
    blobs: tuple[tuple[bytes, bool], ...]
    #: sizes the manifest declares for the blobs never uploaded (nothing checks them)
    declared_missing_size: int = 7_340_032

    def size_of(self, data: bytes, uploaded: bool) -> int:
        return len(data) if uploaded else self.declared_missing_size

    def text(self, fake_ecr: FakeEcr) -> str:
        manifest_type, config_type, layer_type = FORMATS[self.image_format]
        for data, uploaded in self.blobs:
            if uploaded:
                seed_blob(fake_ecr, REPO, data)
        (config, config_uploaded), *layers = self.blobs
        document = {
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {
                "mediaType": config_type,
                "digest": sha256(config),
                "size": self.size_of(config, config_uploaded),
            },
            "layers": [
                {"mediaType": layer_type, "digest": sha256(data), "size": self.size_of(data, uploaded)}
                for data, uploaded in layers
            ],
        }
        return json.dumps(document)

    @property
    def size(self) -> int:
        return sum(self.size_of(data, uploaded) for data, uploaded in self.blobs)

    @property
    def missing(self) -> list[str]:
        return [sha256(data) for data, uploaded in self.blobs if not uploaded]

    @property
    def uploaded(self) -> list[str]:
        return [sha256(data) for data, uploaded in self.blobs if uploaded]


HANDS = [
    pytest.param(Hand("docker", ((b'{"os":"linux"}', False), (b"layer", False))), id="docker-nothing-uploaded"),
    pytest.param(
        Hand("oci", ((b'{"os":"linux"}', False), (b"one", False), (b"two", False))), id="oci-nothing-uploaded"
    ),
    pytest.param(
        Hand("docker", ((b'{"os":"linux"}', True), (b"uploaded", True), (b"never", False))), id="one-layer-missing"
    ),
]


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


@pytest.fixture
def registry(fake_ecr: FakeEcr, ecr: Any) -> RegistryClient:
    return logged_in(fake_ecr, ecr)


@pytest.mark.parametrize("hand", HANDS)
def test_by_default_put_image_refuses_missing_layers_as_ecr_does(
    ecr: Any, fake_ecr: FakeEcr, repo: str, hand: Hand
) -> None:
    with pytest.raises(ClientError) as refused:
        ecr.put_image(repositoryName=repo, imageManifest=hand.text(fake_ecr), imageTag="v1")

    code, message = error_of(refused)
    assert code == "LayersNotFoundException"
    assert f"'[{', '.join(hand.missing)}]'" in message
    assert ecr.describe_images(repositoryName=repo)["imageDetails"] == []


@MISSING_LAYERS
@pytest.mark.parametrize("hand", HANDS)
def test_with_the_setting_put_image_stores_the_image_with_the_manifests_sizes(
    ecr: Any, fake_ecr: FakeEcr, registry: RegistryClient, repo: str, hand: Hand
) -> None:
    text = hand.text(fake_ecr)

    image = ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")["image"]

    digest = sha256(text.encode())
    assert image["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    (detail,) = ecr.describe_images(repositoryName=repo)["imageDetails"]
    assert (detail["imageDigest"], detail["imageTags"], detail["imageSizeInBytes"]) == (digest, ["v1"], hand.size)
    assert ecr.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    (pulled,) = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]
    assert pulled["imageManifest"] == text
    for missing in hand.missing:
        answer = registry.request("GET", f"/v2/{repo}/blobs/{missing}")
        assert (answer.status_code, oci_error(answer)[0]) == (404, "BLOB_UNKNOWN")
    for uploaded in hand.uploaded:
        assert registry.request("GET", f"/v2/{repo}/blobs/{uploaded}").status_code == 200
    availability = ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=hand.missing)
    assert [f["failureCode"] for f in availability["failures"]] == ["MissingLayerDigest"] * len(hand.missing)


@MISSING_LAYERS
def test_with_the_setting_the_registrys_manifest_put_still_refuses_missing_blobs(
    ecr: Any, fake_ecr: FakeEcr, registry: RegistryClient, repo: str
) -> None:
    text = Hand("docker", ((b'{"os":"linux"}', False), (b"layer", False))).text(fake_ecr)
    stored = ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")["image"]["imageId"]
    # The same blobs, named again by other bytes: PutImage storing them without blobs linked nothing.
    again = json.dumps(json.loads(text), indent=1)

    answer = registry.request(
        "PUT", f"/v2/{repo}/manifests/v2", data=again, headers={"Content-Type": FORMATS["docker"][0]}
    )

    assert (answer.status_code, oci_error(answer)[0]) == (400, "BLOB_UPLOAD_UNKNOWN")  # ECR's code for it
    assert ecr.list_images(repositoryName=repo)["imageIds"] == [stored]


def _missing_layer_manifest(fake_ecr: FakeEcr) -> str:
    return Hand("docker", ((b'{"os":"linux"}', False), (b"layer", False))).text(fake_ecr)


def _invalid_json(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.put_image(repositoryName=REPO, imageManifest=_missing_layer_manifest(fake_ecr)[:-1], imageTag="v1")


def _layers_not_a_list(ecr: Any, fake_ecr: FakeEcr) -> None:
    document = json.loads(_missing_layer_manifest(fake_ecr))
    document["layers"] = {"mediaType": DOCKER_LAYER, "digest": sha256(b"layer"), "size": 5}
    ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(document), imageTag="v1")


def _config_without_digest(ecr: Any, fake_ecr: FakeEcr) -> None:
    document = json.loads(_missing_layer_manifest(fake_ecr))
    document["config"] = {"mediaType": DOCKER_CONFIG, "size": 5}
    ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(document), imageTag="v1")


def _digest_mismatch(ecr: Any, fake_ecr: FakeEcr) -> None:
    text = _missing_layer_manifest(fake_ecr)
    ecr.put_image(repositoryName=REPO, imageManifest=text, imageDigest=sha256(text.encode() + b" "), imageTag="v1")


def _immutable_tag(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.put_image_tag_mutability(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName=REPO, imageManifest=_missing_layer_manifest(fake_ecr), imageTag="v1")
    other = Hand("docker", ((b'{"os":"linux"}', False), (b"other layer", False))).text(fake_ecr)
    ecr.put_image(repositoryName=REPO, imageManifest=other, imageTag="v1")


def _index_of_missing_images(ecr: Any, fake_ecr: FakeEcr) -> None:
    child = image_manifest(fake_ecr, REPO, "never pushed")
    document = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [child.descriptor()]}
    ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(document), imageTag="multi")


@MISSING_LAYERS
@pytest.mark.parametrize(
    ("attempt", "code"),
    [
        pytest.param(_invalid_json, "InvalidParameterException", id="invalid-json"),
        pytest.param(_layers_not_a_list, "InvalidParameterException", id="layers-not-a-list"),
        pytest.param(_config_without_digest, "InvalidParameterException", id="config-without-digest"),
        pytest.param(_digest_mismatch, "ImageDigestDoesNotMatchException", id="image-digest-mismatch"),
        pytest.param(_immutable_tag, "ImageTagAlreadyExistsException", id="immutable-tag"),
        pytest.param(_index_of_missing_images, "ReferencedImagesNotFoundException", id="index-of-missing-images"),
    ],
)
def test_with_the_setting_everything_else_is_still_refused(
    ecr: Any, fake_ecr: FakeEcr, repo: str, attempt: Any, code: str
) -> None:
    with pytest.raises(ClientError) as refused:
        attempt(ecr, fake_ecr)

    assert error_of(refused)[0] == code


@MISSING_LAYERS
@pytest.mark.parametrize("hand", HANDS)
def test_with_the_setting_an_image_replicates_with_the_blobs_it_has(
    ecr: Any, fake_ecr: FakeEcr, repo: str, hand: Hand
) -> None:
    configure(ecr, rule(CROSS_REGION))
    text = hand.text(fake_ecr)

    ecr.put_image(repositoryName=repo, imageManifest=text, imageTag="v1")

    replica = fake_ecr.client(region_name=OTHER_REGION)
    (detail,) = replica.describe_images(repositoryName=repo)["imageDetails"]
    assert (detail["imageDigest"], detail["imageSizeInBytes"]) == (sha256(text.encode()), hand.size)
    availability = replica.batch_check_layer_availability(
        repositoryName=repo, layerDigests=hand.uploaded + hand.missing
    )
    assert [layer["layerDigest"] for layer in availability["layers"]] == hand.uploaded
    assert [failure["layerDigest"] for failure in availability["failures"]] == hand.missing
