"""Amazon ECR Public's API as a boto3 user sees it, in-process and over HTTP: repositories and catalog data, images
and DescribeImageTags, the layer API, repository policies, tags, GetAuthorizationToken, the registry with its
default alias, the one region it is served in, and its separation from the private registry."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from fake_ecr import FakeEcr, mock_ecr
from fake_ecr.model.public import default_alias
from fake_ecr.model.tokens import read_password

from api.helpers import error_of

ACCOUNT = "123456789012"
ALIAS = default_alias(ACCOUNT)
ARN = f"arn:aws:ecr-public::{ACCOUNT}:repository/team/app"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
POLICY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["ecr-public:BatchCheckLayerAvailability"]}]}
)


def upload(ecr_public: Any, name: str, data: bytes) -> str:
    """Push one blob with the layer API; returns its digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    upload_id = ecr_public.initiate_layer_upload(repositoryName=name)["uploadId"]
    ecr_public.upload_layer_part(
        repositoryName=name, uploadId=upload_id, partFirstByte=0, partLastByte=len(data) - 1, layerPartBlob=data
    )
    ecr_public.complete_layer_upload(repositoryName=name, uploadId=upload_id, layerDigests=[digest])
    return digest


def push_image(ecr_public: Any, name: str, tag: str, seed: str = "one") -> dict[str, Any]:
    config, layer = json.dumps({"os": "linux", "seed": seed}).encode(), f"layer {seed}".encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": upload(ecr_public, name, config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": upload(ecr_public, name, layer),
                "size": len(layer),
            }
        ],
    }
    return ecr_public.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)["image"]  # type: ignore[no-any-return]


# --- repositories --------------------------------------------------------------------------------


def test_create_repository_answers_the_public_repository(ecr_public: Any, fake_ecr: FakeEcr) -> None:
    answer = ecr_public.create_repository(repositoryName="team/app")
    repository = answer["repository"]
    assert repository["repositoryArn"] == ARN
    assert repository["registryId"] == ACCOUNT
    assert repository["repositoryUri"] == f"public.ecr.aws/{ALIAS}/team/app"
    assert set(repository) == {"repositoryArn", "registryId", "repositoryName", "repositoryUri", "createdAt"}
    assert answer["catalogData"] == {}


def test_repositories_are_described_and_deleted(ecr_public: Any) -> None:
    for name in ("a1", "b2", "c3"):
        ecr_public.create_repository(repositoryName=name)
    page = ecr_public.describe_repositories(maxResults=2)
    assert [r["repositoryName"] for r in page["repositories"]] == ["a1", "b2"]
    rest = ecr_public.describe_repositories(nextToken=page["nextToken"])
    assert [r["repositoryName"] for r in rest["repositories"]] == ["c3"]
    assert ecr_public.delete_repository(repositoryName="b2")["repository"]["repositoryName"] == "b2"
    with pytest.raises(ClientError) as excinfo:
        ecr_public.describe_repositories(repositoryNames=["b2"])
    assert error_of(excinfo) == (
        "RepositoryNotFoundException",
        f"The repository with name 'b2' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_a_repository_with_images_is_deleted_only_with_force(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    push_image(ecr_public, "app", "v1")
    with pytest.raises(ClientError) as excinfo:
        ecr_public.delete_repository(repositoryName="app")
    assert error_of(excinfo)[0] == "RepositoryNotEmptyException"
    ecr_public.delete_repository(repositoryName="app", force=True)
    assert ecr_public.describe_repositories()["repositories"] == []


def test_creating_a_repository_twice_is_refused(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as excinfo:
        ecr_public.create_repository(repositoryName="app")
    assert error_of(excinfo)[0] == "RepositoryAlreadyExistsException"


# --- catalog data --------------------------------------------------------------------------------


def test_catalog_data_given_at_creation_is_answered_back(ecr_public: Any) -> None:
    catalog = {
        "description": "A web app",
        "architectures": ["ARM 64", "x86-64"],
        "operatingSystems": ["Linux"],
        "aboutText": "# About",
        "usageText": "docker pull ...",
    }
    created = ecr_public.create_repository(repositoryName="app", catalogData=catalog)["catalogData"]
    assert created == {**catalog, "marketplaceCertified": False}
    assert ecr_public.get_repository_catalog_data(repositoryName="app")["catalogData"] == created


def test_put_repository_catalog_data_updates_the_members_it_names(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app", catalogData={"description": "old", "aboutText": "kept"})
    answer = ecr_public.put_repository_catalog_data(repositoryName="app", catalogData={"description": "new"})
    assert answer["catalogData"]["description"] == "new"
    assert answer["catalogData"]["aboutText"] == "kept"


@pytest.mark.parametrize("logo", [pytest.param(PNG, id="png"), pytest.param(JPEG, id="jpeg")])
def test_a_logo_is_stored_and_named_by_a_url(ecr_public: Any, fake_ecr: FakeEcr, logo: bytes) -> None:
    ecr_public.create_repository(repositoryName="app")
    answer = ecr_public.put_repository_catalog_data(repositoryName="app", catalogData={"logoImageBlob": logo})
    assert answer["catalogData"]["logoUrl"].endswith(f"/logos/{ALIAS}/app")
    assert fake_ecr.public_registry().catalog_data("app").logo_image == logo


@pytest.mark.parametrize(
    ("logo", "constraint"),
    [
        pytest.param(b"GIF89a" + b"\x00" * 8, "The logo image must be a PNG or JPEG image", id="not-png-or-jpeg"),
        pytest.param(PNG + b"\x00" * 512_000, "must have length less than or equal to 512000", id="over-512000-bytes"),
    ],
)
def test_a_logo_of_another_format_or_too_large_is_refused(ecr_public: Any, logo: bytes, constraint: str) -> None:
    ecr_public.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as excinfo:
        ecr_public.put_repository_catalog_data(repositoryName="app", catalogData={"logoImageBlob": logo})
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert message == f"Invalid parameter at 'catalogData.logoImageBlob' failed to satisfy constraint: '{constraint}'"
    assert ecr_public.get_repository_catalog_data(repositoryName="app")["catalogData"] == {}


def test_catalog_data_of_a_missing_repository_is_refused(ecr_public: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr_public.get_repository_catalog_data(repositoryName="nothing")
    assert error_of(excinfo)[0] == "RepositoryNotFoundException"


def test_registry_catalog_data_holds_the_display_name(ecr_public: Any) -> None:
    assert ecr_public.get_registry_catalog_data()["registryCatalogData"] == {}
    assert ecr_public.put_registry_catalog_data(displayName="Example Corp")["registryCatalogData"] == {
        "displayName": "Example Corp"
    }
    assert ecr_public.get_registry_catalog_data()["registryCatalogData"] == {"displayName": "Example Corp"}


# --- the registry --------------------------------------------------------------------------------


def test_describe_registries_names_the_default_alias(ecr_public: Any) -> None:
    assert ecr_public.describe_registries()["registries"] == []
    ecr_public.create_repository(repositoryName="app")
    (registry,) = ecr_public.describe_registries()["registries"]
    assert registry == {
        "registryId": ACCOUNT,
        "registryArn": f"arn:aws:ecr-public::{ACCOUNT}:registry/{ACCOUNT}",
        "registryUri": f"public.ecr.aws/{ALIAS}",
        "verified": False,
        "aliases": [{"name": ALIAS, "status": "ACTIVE", "primaryRegistryAlias": True, "defaultRegistryAlias": True}],
    }


def test_default_aliases_follow_the_alias_pattern_and_differ_between_accounts() -> None:
    aliases = {default_alias(f"{n:012d}") for n in range(200)}
    assert len(aliases) == 200
    assert all(alias[0].isalpha() and alias.isalnum() and alias.islower() for alias in aliases)


def test_get_authorization_token_is_an_ecr_public_password(ecr_public: Any, fake_ecr: FakeEcr) -> None:
    data = ecr_public.get_authorization_token()["authorizationData"]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    claims = read_password(password)
    assert user == "AWS"
    assert claims is not None
    assert (claims.account_id, claims.service) == (ACCOUNT, "ecr-public")
    assert data["expiresAt"].timestamp() == pytest.approx(fake_ecr.clock.now() + 12 * 3600, abs=1)


# --- images and the layer API --------------------------------------------------------------------


def test_an_image_pushed_with_the_layer_api_is_described(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    image = push_image(ecr_public, "app", "v1")
    (detail,) = ecr_public.describe_images(repositoryName="app")["imageDetails"]
    assert detail["imageDigest"] == image["imageId"]["imageDigest"]
    assert detail["imageTags"] == ["v1"]
    assert set(detail) <= {
        "registryId",
        "repositoryName",
        "imageDigest",
        "imageTags",
        "imageSizeInBytes",
        "imagePushedAt",
        "imageManifestMediaType",
        "artifactMediaType",
    }


def test_describe_image_tags_lists_every_tag_with_its_image(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    first = push_image(ecr_public, "app", "v1", seed="one")["imageId"]["imageDigest"]
    second = push_image(ecr_public, "app", "v2", seed="two")["imageId"]["imageDigest"]
    details = ecr_public.describe_image_tags(repositoryName="app")["imageTagDetails"]
    assert [(d["imageTag"], d["imageDetail"]["imageDigest"]) for d in details] == [("v1", first), ("v2", second)]
    page = ecr_public.describe_image_tags(repositoryName="app", maxResults=1)
    assert len(page["imageTagDetails"]) == 1
    assert "nextToken" in page


def test_layer_availability_and_batch_delete(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    digest = upload(ecr_public, "app", b"some bytes")
    answer = ecr_public.batch_check_layer_availability(
        repositoryName="app", layerDigests=[digest, "sha256:" + "0" * 64]
    )
    assert [layer["layerDigest"] for layer in answer["layers"]] == [digest]
    assert [failure["failureCode"] for failure in answer["failures"]] == ["MissingLayerDigest"]
    push_image(ecr_public, "app", "v1")
    deleted = ecr_public.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
    assert [i["imageTag"] for i in deleted["imageIds"]] == ["v1"]


def test_the_layer_api_takes_the_registry_alias(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    assert ecr_public.initiate_layer_upload(registryId=ALIAS, repositoryName="app")["uploadId"]
    with pytest.raises(ClientError) as excinfo:
        ecr_public.initiate_layer_upload(registryId="nosuchalias", repositoryName="app")
    assert error_of(excinfo) == ("RegistryNotFoundException", "The registry doesn't exist.")


# --- policies and tags ---------------------------------------------------------------------------


def test_repository_policies_name_ecr_public_actions(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="app")
    ecr_public.set_repository_policy(repositoryName="app", policyText=POLICY)
    assert json.loads(ecr_public.get_repository_policy(repositoryName="app")["policyText"]) == json.loads(POLICY)
    ecr_public.delete_repository_policy(repositoryName="app")
    with pytest.raises(ClientError) as excinfo:
        ecr_public.get_repository_policy(repositoryName="app")
    assert error_of(excinfo)[0] == "RepositoryPolicyNotFoundException"
    ecr_policy = POLICY.replace("ecr-public:", "ecr:")
    with pytest.raises(ClientError) as excinfo:
        ecr_public.set_repository_policy(repositoryName="app", policyText=ecr_policy)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    )


def test_tags_are_set_listed_and_removed_by_the_public_arn(ecr_public: Any) -> None:
    ecr_public.create_repository(repositoryName="team/app", tags=[{"Key": "team", "Value": "web"}])
    ecr_public.tag_resource(resourceArn=ARN, tags=[{"Key": "env", "Value": "prod"}])
    assert ecr_public.list_tags_for_resource(resourceArn=ARN)["tags"] == [
        {"Key": "team", "Value": "web"},
        {"Key": "env", "Value": "prod"},
    ]
    ecr_public.untag_resource(resourceArn=ARN, tagKeys=["team"])
    assert ecr_public.list_tags_for_resource(resourceArn=ARN)["tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as excinfo:
        ecr_public.list_tags_for_resource(resourceArn=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
    )


# --- one region, one namespace of its own --------------------------------------------------------


def test_a_client_in_another_region_cannot_connect(fake_ecr: FakeEcr) -> None:
    # api.ecr-public.eu-west-1.amazonaws.com does not resolve: botocore fails before sending anything.
    client = fake_ecr.client("ecr-public", region_name="eu-west-1")
    with pytest.raises(EndpointConnectionError, match=r"api\.ecr-public\.eu-west-1\.amazonaws\.com"):
        client.describe_registries()


def test_a_request_for_another_region_that_reaches_the_server_is_unsupported(fake_ecr: FakeEcr) -> None:
    client = fake_ecr.client("ecr-public", region_name="eu-west-1", http=True)
    with pytest.raises(ClientError) as excinfo:
        client.describe_registries()
    assert error_of(excinfo) == ("UnsupportedCommandException", "The action isn't supported in this Region.")


def test_public_and_private_repositories_are_separate_namespaces(ecr_public: Any, fake_ecr: FakeEcr) -> None:
    ecr_public.create_repository(repositoryName="app")
    ecr = fake_ecr.client("ecr", region_name="us-east-1")
    assert ecr.describe_repositories()["repositories"] == []
    ecr.create_repository(repositoryName="app")  # no clash: another namespace
    ecr_public.delete_repository(repositoryName="app")
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["app"]


def test_an_enforced_repository_policy_denies_ecr_public_actions() -> None:
    deny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "ecr-public:DescribeImages"}]}
    with mock_ecr(region="us-east-1", enforce_policies=True) as fake:
        ecr_public = fake.client("ecr-public")
        ecr_public.create_repository(repositoryName="app")
        ecr_public.set_repository_policy(repositoryName="app", policyText=json.dumps(deny))
        with pytest.raises(ClientError) as excinfo:
            ecr_public.describe_images(repositoryName="app")
        assert ecr_public.describe_image_tags(repositoryName="app")["imageTagDetails"] == []
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: ecr-public:DescribeImages on resource: "
        f"arn:aws:ecr-public::{ACCOUNT}:repository/app with an explicit deny in a resource-based policy",
    )
