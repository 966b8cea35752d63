"""skopeo against the fake's registry: copy (push and pull), inspect, list-tags and delete.

Images are written as OCI image layouts by fake_ecr.images (skopeo 1.9 finds only OCI manifests and
indexes by name in a layout), pushed with ``skopeo copy oci:DIR:TAG docker://HOST/REPO:TAG`` and pulled
back into a new layout; what a user sees is checked: DescribeImages, skopeo's own output, the bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, errors, images
from fake_ecr.model.tokens import TOKEN_LIFETIME
from fake_ecr.registry.oci_errors import AuthorizationTokenExpired, AuthorizationTokenInvalid

from interop.clients import Described, Program, RegistryLogin, write_auth_file

REPOSITORY = "team/app"
TAG = "latest"
IMAGE = images.image(
    layers=[{"etc/os-release": "ID=fake-ecr\n"}, {"app/hello.txt": "hello from skopeo\n"}],
    format="oci",
    labels={"team": "ecr"},
    cmd=["cat", "/app/hello.txt"],
)
INDEX = images.index(
    [
        images.image({"platform.txt": "amd64"}, format="oci"),
        images.image({"platform.txt": "arm64"}, format="oci", architecture="arm64", variant="v8"),
    ]
)


def contents(item: images.Image | images.ImageIndex) -> dict[str, bytes]:
    """Every manifest and blob of an image or index, by digest: what a round trip must keep byte for byte."""
    manifests = item.manifests if isinstance(item, images.ImageIndex) else (item,)
    found = {item.digest: item.manifest}
    for image in manifests:
        found[image.digest] = image.manifest
        found |= {blob.digest: blob.data for blob in image.blobs()}
    return found


def expected_details(item: images.Image | images.ImageIndex) -> dict[str, tuple[list[str], int]]:
    """(imageTags, imageSizeInBytes) by digest after a push of ``item`` tagged TAG: an index's children are
    untagged images of their own, and an index's size is its largest child's
    (docs/behaviour/images.md#image-operations)."""
    if isinstance(item, images.Image):
        return {item.digest: ([TAG], item.size_in_bytes)}
    children: dict[str, tuple[list[str], int]] = {child.digest: ([], child.size_in_bytes) for child in item.manifests}
    largest = max(child.size_in_bytes for child in item.manifests)
    return {**children, item.digest: ([TAG], largest)}


@pytest.mark.parametrize(
    ("item", "copy_options"),
    [
        pytest.param(IMAGE, (), id="oci-image"),
        pytest.param(INDEX, ("--all",), id="oci-index-all-platforms"),
    ],
)
def test_copy_pushes_a_layout_and_pulls_back_the_same_bytes(
    skopeo: Program,
    ecr: Any,
    login: RegistryLogin,
    described: Described,
    tmp_path: Path,
    *,
    item: images.Image | images.ImageIndex,
    copy_options: tuple[str, ...],
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    images.write_oci_layout(tmp_path / "source", [(TAG, item)])
    remote = f"docker://{login.host}/{REPOSITORY}:{TAG}"

    skopeo("copy", *copy_options, "--dest-tls-verify=false", f"oci:{tmp_path / 'source'}:{TAG}", remote)

    details = described(REPOSITORY)
    assert {digest: (d.get("imageTags", []), d["imageSizeInBytes"]) for digest, d in details.items()} == (
        expected_details(item)
    )
    assert "lastRecordedPullTime" not in details[item.digest]

    skopeo("copy", *copy_options, "--src-tls-verify=false", remote, f"oci:{tmp_path / 'pulled'}:{TAG}")

    [(ref_name, pulled)] = images.load_oci_layout(tmp_path / "pulled")
    assert ref_name == TAG
    assert contents(pulled) == contents(item)
    assert "lastRecordedPullTime" in described(REPOSITORY)[item.digest]


@pytest.mark.parametrize(
    "reference", [pytest.param(f":{TAG}", id="by-tag"), pytest.param(f"@{IMAGE.digest}", id="by-digest")]
)
def test_inspect_describes_the_image_and_raw_prints_the_pushed_bytes(
    skopeo: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin, reference: str
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)
    remote = f"docker://{login.host}/{REPOSITORY}{reference}"

    inspected = json.loads(skopeo("inspect", "--tls-verify=false", remote))

    assert inspected["Digest"] == IMAGE.digest
    assert inspected["RepoTags"] == [TAG]
    assert inspected["Layers"] == [layer.digest for layer in IMAGE.layers]
    assert (inspected["Architecture"], inspected["Os"], inspected["Labels"]) == ("amd64", "linux", {"team": "ecr"})
    assert skopeo("inspect", "--raw", "--tls-verify=false", remote).encode() == IMAGE.manifest
    assert skopeo("inspect", "--config", "--raw", "--tls-verify=false", remote).encode() == IMAGE.config.data


def test_inspect_raw_of_an_index_prints_the_pushed_index(
    skopeo: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", INDEX)

    raw = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{login.host}/{REPOSITORY}:{TAG}")

    assert raw.encode() == INDEX.manifest


def test_list_tags_lists_every_tag_in_lexical_order(
    skopeo: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:v2", IMAGE)
    for tag in ("latest", "v10", "v1"):
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=IMAGE.manifest.decode(), imageTag=tag)

    listed = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{login.host}/{REPOSITORY}"))

    assert listed == {"Repository": f"{login.host}/{REPOSITORY}", "Tags": ["latest", "v1", "v10", "v2"]}


def test_delete_by_tag_deletes_the_image_with_every_tag(
    skopeo: Program, ecr: Any, fake_ecr: FakeEcr, login: RegistryLogin
) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:v1", IMAGE)
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=IMAGE.manifest.decode(), imageTag=TAG)

    skopeo("delete", "--tls-verify=false", f"docker://{login.host}/{REPOSITORY}:v1")

    # skopeo resolves the tag and deletes the manifest by digest: the image goes, and "latest" with it.
    assert ecr.list_images(repositoryName=REPOSITORY)["imageIds"] == []


def test_copy_to_a_repository_that_does_not_exist_fails_with_ecr_message(
    skopeo: Program, fake_ecr: FakeEcr, login: RegistryLogin, tmp_path: Path
) -> None:
    images.write_oci_layout(tmp_path / "source", [(TAG, IMAGE)])

    stderr = skopeo.fails(
        "copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'source'}:{TAG}", f"docker://{login.host}/missing:v1"
    )

    # ECR never creates a repository on push (docs/behaviour/registry.md#push-flow).
    assert f"name unknown: {errors.RepositoryNotFound(fake_ecr.settings.account_id, 'missing').message}" in stderr


def expire_the_token(fake_ecr: FakeEcr, login: RegistryLogin, tmp_path: Path) -> dict[str, str]:
    fake_ecr.clock.advance(TOKEN_LIFETIME + 1)  # past the 12 hours of the token fake_ecr.env wrote
    return {}


def use_another_regions_token(fake_ecr: FakeEcr, login: RegistryLogin, tmp_path: Path) -> dict[str, str]:
    # Tokens are region-scoped (docs/behaviour/auth.md#authorization-tokens): one from eu-west-1 opens no us-east-1
    # registry.
    other = fake_ecr.client(region_name="eu-west-1").get_authorization_token()["authorizationData"][0]
    auth_file = write_auth_file(tmp_path / "other-region-auth.json", {login.host: other["authorizationToken"]})
    return {"REGISTRY_AUTH_FILE": str(auth_file)}


def use_a_made_up_password(fake_ecr: FakeEcr, login: RegistryLogin, tmp_path: Path) -> dict[str, str]:
    made_up = base64.b64encode(b"AWS:not-a-token").decode()
    return {"REGISTRY_AUTH_FILE": str(write_auth_file(tmp_path / "made-up-auth.json", {login.host: made_up}))}


@pytest.mark.parametrize(
    ("spoil", "refusal"),
    [
        pytest.param(expire_the_token, AuthorizationTokenExpired(), id="token-expired"),
        pytest.param(use_another_regions_token, AuthorizationTokenInvalid(), id="token-of-another-region"),
        pytest.param(use_a_made_up_password, AuthorizationTokenInvalid(), id="not-a-token"),
    ],
)
def test_inspect_with_credentials_ecr_refuses_fails_with_denied_and_ecr_message(
    skopeo: Program,
    fake_ecr: FakeEcr,
    login: RegistryLogin,
    tmp_path: Path,
    *,
    spoil: Callable[[FakeEcr, RegistryLogin, Path], dict[str, str]],
    refusal: errors.EcrError,
) -> None:
    fake_ecr.client().create_repository(repositoryName=REPOSITORY)
    fake_ecr.push(f"{REPOSITORY}:{TAG}", IMAGE)
    spoiled = skopeo.with_env(**spoil(fake_ecr, login, tmp_path))

    stderr = spoiled.fails("inspect", "--tls-verify=false", f"docker://{login.host}/{REPOSITORY}:{TAG}")

    assert f"denied: {refusal.message}" in stderr
