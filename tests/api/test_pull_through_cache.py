"""Pull through cache rules (docs/behaviour/cross-repository.md#pull-through-cache), and pulls through them, as a boto3
user and a registry client see them.  fake-ecr reaches no upstream: a pull of an image it does not hold fails as if the
upstream could not be reached."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import service_model

from api.helpers import error_of, image_manifest, put, state_of
from registry.helpers import RegistryClient, basic, oci_error

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
CREATED = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/upstream-AbCdEf"
OTHER_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/rotated-GhIjKl"
ROLE = "arn:aws:iam::123456789012:role/ecr-pull-through"
NOT_FOUND = "The pull through cache rule was not found. Specify a valid pull through cache rule and try again."
ALREADY_EXISTS = "A pull through cache rule with these settings already exists for the private registry."
NEEDS_CREDENTIAL = (
    "The specified upstream registry requires authentication. Specify a valid Secrets Manager ARN and try again"
)
UNREACHABLE = "The image or images were unable to be pulled using the pull through cache rule."
#: What ECR quotes when it refuses a credential or an upstream registry, as the installed model words it.
CREDENTIAL_PATTERN: str = service_model().shape_for("CredentialArn").metadata["pattern"]
UPSTREAM_REGISTRIES: list[str] = list(service_model().shape_for("UpstreamRegistry").enum)


@pytest.fixture(autouse=True)
def registry_in_use(fake_ecr: FakeEcr) -> None:
    """The caller's registry exists before a call, so state comparisons see only what the call did."""
    fake_ecr.registry()


def rule_of(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def described(ecr: Any, **request: Any) -> list[dict[str, Any]]:
    return ecr.describe_pull_through_cache_rules(**request)["pullThroughCacheRules"]  # type: ignore[no-any-return]


def invalid_url(url: str) -> str:
    return f"The upstream registry URL {url} is invalid. Specify a valid upstream registry URL and try again"


# --- create ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "upstream_registry", "credential"),
    [
        pytest.param("public.ecr.aws", "ecr-public", None, id="ecr-public"),
        pytest.param("public.ecr.aws", "ecr-public", SECRET, id="ecr-public-with-credential"),
        pytest.param("registry.k8s.io", "k8s", None, id="k8s"),
        pytest.param("quay.io", "quay", None, id="quay"),
        pytest.param("registry-1.docker.io", "docker-hub", SECRET, id="docker-hub"),
        pytest.param("ghcr.io", "github-container-registry", SECRET, id="github"),
        pytest.param("registry.gitlab.com", "gitlab-container-registry", SECRET, id="gitlab"),
        pytest.param("myregistry.azurecr.io", "azure-container-registry", SECRET, id="azure"),
        pytest.param("cgr.dev", "chainguard", SECRET, id="chainguard"),
        pytest.param(f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com", "ecr", None, id="ecr-same-account"),
    ],
)
def test_create_names_the_upstream_registry(
    ecr: Any, fake_ecr: FakeEcr, url: str, upstream_registry: str, credential: str | None
) -> None:
    fake_ecr.clock.set(CREATED)
    request = {"ecrRepositoryPrefix": "cache", "upstreamRegistryUrl": url}
    if credential is not None:
        request["credentialArn"] = credential

    created = rule_of(ecr.create_pull_through_cache_rule(**request))

    expected = {
        **request,
        "createdAt": CREATED,
        "registryId": ACCOUNT,
        "upstreamRegistry": upstream_registry,
        "upstreamRepositoryPrefix": "ROOT",
    }
    assert created == expected
    assert described(ecr) == [{**expected, "updatedAt": CREATED}]


def test_create_with_every_member(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    request = {
        "ecrRepositoryPrefix": "mirror/",
        "upstreamRegistryUrl": f"{OTHER_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com",
        "registryId": ACCOUNT,
        "upstreamRegistry": "ecr",
        "customRoleArn": ROLE,
        "upstreamRepositoryPrefix": "team",
    }

    created = rule_of(ecr.create_pull_through_cache_rule(**request))

    assert created == {**request, "createdAt": CREATED}


def test_create_for_the_root_namespace(ecr: Any) -> None:
    created = rule_of(ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ROOT", upstreamRegistryUrl="quay.io"))

    assert (created["ecrRepositoryPrefix"], created["upstreamRepositoryPrefix"]) == ("ROOT", "ROOT")


#: Requests CreatePullThroughCacheRule refuses: (members, error code, message).
INVALID_RULES = [
    pytest.param(
        {"upstreamRegistryUrl": "harbor.example.com"},
        "UnsupportedUpstreamRegistryException",
        invalid_url("harbor.example.com"),
        id="unknown-registry",
    ),
    pytest.param(
        {"upstreamRegistryUrl": "https://public.ecr.aws"},
        "UnsupportedUpstreamRegistryException",
        invalid_url("https://public.ecr.aws"),
        id="url-with-scheme",
    ),
    pytest.param(
        {"upstreamRegistryUrl": "public.ecr.aws", "upstreamRegistry": "quay"},
        "UnsupportedUpstreamRegistryException",
        invalid_url("public.ecr.aws"),
        id="url-of-another-upstream",
    ),
    pytest.param(
        {"upstreamRegistryUrl": "registry-1.docker.io"},
        "UnsupportedUpstreamRegistryException",
        NEEDS_CREDENTIAL,
        id="docker-hub-without-credential",
    ),
    pytest.param(
        {"upstreamRegistryUrl": "ghcr.io"},
        "UnsupportedUpstreamRegistryException",
        NEEDS_CREDENTIAL,
        id="github-without-credential",
    ),
    pytest.param(
        {
            "upstreamRegistryUrl": "registry-1.docker.io",
            "credentialArn": SECRET.replace("ecr-pullthroughcache", "x" * 20),
        },
        "InvalidParameterException",
        "Invalid parameter at 'credentialArn' failed to satisfy constraint: 'must satisfy regular expression "
        f"'{CREDENTIAL_PATTERN}''",
        id="secret-outside-ecr-pullthroughcache",
    ),
    pytest.param(
        {"upstreamRegistryUrl": f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"},
        "InvalidParameterException",
        "Invalid parameter at 'customRoleArn' failed to satisfy constraint: "
        "'A custom role is required for an upstream Amazon ECR registry in another account'",
        id="ecr-of-another-account-without-role",
    ),
    pytest.param(
        {"ecrRepositoryPrefix": "ROOT", "upstreamRegistryUrl": "quay.io", "upstreamRepositoryPrefix": "team"},
        "InvalidParameterException",
        "Invalid parameter at 'upstreamRepositoryPrefix' failed to satisfy constraint: "
        "'The upstream repository prefix can only be set when the ECR repository prefix is not ROOT'",
        id="root-with-upstream-prefix",
    ),
    pytest.param(
        {"ecrRepositoryPrefix": "a" * 31},
        "InvalidParameterException",
        "Invalid parameter at 'ecrRepositoryPrefix' failed to satisfy constraint: "
        "'must have length less than or equal to 30'",
        id="prefix-too-long",
    ),
    pytest.param(
        {"upstreamRegistry": "artifactory"},
        "InvalidParameterException",
        "Invalid parameter at 'upstreamRegistry' failed to satisfy constraint: 'Member must satisfy enum value set: "
        f"[{', '.join(UPSTREAM_REGISTRIES)}]'",
        id="unknown-upstream-name",
    ),
]


@pytest.mark.parametrize(("members", "code", "message"), INVALID_RULES)
def test_create_refuses(ecr: Any, fake_ecr: FakeEcr, members: dict[str, Any], code: str, message: str) -> None:
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.create_pull_through_cache_rule(
            **{"ecrRepositoryPrefix": "cache", "upstreamRegistryUrl": "public.ecr.aws", **members}
        )

    assert error_of(excinfo) == (code, message)
    assert state_of(fake_ecr) == before


@pytest.mark.parametrize(
    ("existing", "prefix"),
    [
        pytest.param("cache", "cache", id="same"),
        pytest.param("cache", "cache/", id="with-the-implied-slash"),
        pytest.param("ROOT", "ROOT", id="root"),
    ],
)
def test_a_prefix_has_one_rule(ecr: Any, fake_ecr: FakeEcr, existing: str, prefix: str) -> None:
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=existing, upstreamRegistryUrl="public.ecr.aws")
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl="quay.io")

    assert error_of(excinfo) == ("PullThroughCacheRuleAlreadyExistsException", ALREADY_EXISTS)
    assert state_of(fake_ecr) == before


def test_at_most_50_rules(ecr: Any, fake_ecr: FakeEcr) -> None:
    for n in range(50):
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=f"cache{n}", upstreamRegistryUrl="public.ecr.aws")
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="one-more", upstreamRegistryUrl="public.ecr.aws")

    assert error_of(excinfo) == (
        "LimitExceededException",
        f"Pull through cache rule limit of 50 exceeded for the registry with id '{ACCOUNT}'",
    )
    assert state_of(fake_ecr) == before
    assert len(described(fake_ecr.client(region_name="eu-west-1"))) == 0  # the quota is per registry


# --- describe ----------------------------------------------------------------------------------------


@pytest.fixture
def three_rules(ecr: Any) -> None:
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="k8s/", upstreamRegistryUrl="registry.k8s.io")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ROOT", upstreamRegistryUrl="quay.io")


@pytest.mark.usefixtures("three_rules")
@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        pytest.param(None, ["ecr-public", "k8s/", "ROOT"], id="all-in-creation-order"),
        pytest.param(["ROOT"], ["ROOT"], id="one"),
        pytest.param(["ROOT", "k8s", "ecr-public/"], ["ecr-public", "k8s/", "ROOT"], id="implied-slash"),
    ],
)
def test_describe_selects_by_prefix(ecr: Any, asked: list[str] | None, expected: list[str]) -> None:
    request = {} if asked is None else {"ecrRepositoryPrefixes": asked}

    assert [rule["ecrRepositoryPrefix"] for rule in described(ecr, **request)] == expected


@pytest.mark.usefixtures("three_rules")
def test_describe_of_an_unknown_prefix(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["k8s", "missing"])

    assert error_of(excinfo) == ("PullThroughCacheRuleNotFoundException", NOT_FOUND)


@pytest.mark.usefixtures("three_rules")
def test_describe_pages(ecr: Any) -> None:
    first = ecr.describe_pull_through_cache_rules(maxResults=2)
    second = ecr.describe_pull_through_cache_rules(maxResults=2, nextToken=first["nextToken"])

    assert [r["ecrRepositoryPrefix"] for r in first["pullThroughCacheRules"]] == ["ecr-public", "k8s/"]
    assert [r["ecrRepositoryPrefix"] for r in second["pullThroughCacheRules"]] == ["ROOT"]
    assert "nextToken" not in second
    paged = ecr.get_paginator("describe_pull_through_cache_rules").paginate(PaginationConfig={"PageSize": 1})
    assert [r["ecrRepositoryPrefix"] for page in paged for r in page["pullThroughCacheRules"]] == [
        "ecr-public",
        "k8s/",
        "ROOT",
    ]


def test_describe_of_another_registry(ecr: Any) -> None:
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="cache", upstreamRegistryUrl="public.ecr.aws", registryId=OTHER_ACCOUNT
    )

    assert described(ecr) == []
    assert [r["registryId"] for r in described(ecr, registryId=OTHER_ACCOUNT)] == [OTHER_ACCOUNT]


# --- update, delete, validate --------------------------------------------------------------------------


def test_update_sets_the_credential(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker", upstreamRegistryUrl="registry-1.docker.io", credentialArn=SECRET
    )
    fake_ecr.clock.advance(hours=1)
    updated_at = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    updated = rule_of(ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="docker/", credentialArn=OTHER_SECRET))

    assert updated == {
        "ecrRepositoryPrefix": "docker",
        "registryId": ACCOUNT,
        "updatedAt": updated_at,
        "credentialArn": OTHER_SECRET,
        "upstreamRepositoryPrefix": "ROOT",
    }
    assert described(ecr) == [
        {
            "ecrRepositoryPrefix": "docker",
            "upstreamRegistryUrl": "registry-1.docker.io",
            "createdAt": CREATED,
            "registryId": ACCOUNT,
            "credentialArn": OTHER_SECRET,
            "upstreamRegistry": "docker-hub",
            "upstreamRepositoryPrefix": "ROOT",
            "updatedAt": updated_at,
        }
    ]


def test_update_sets_the_role(ecr: Any) -> None:
    url = f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="mirror", upstreamRegistryUrl=url, customRoleArn=ROLE)
    other_role = ROLE + "-2"

    updated = rule_of(ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="mirror", customRoleArn=other_role))

    assert updated["customRoleArn"] == other_role
    assert described(ecr)[0]["customRoleArn"] == other_role


def test_update_cannot_take_the_role_of_a_cross_account_rule(ecr: Any, fake_ecr: FakeEcr) -> None:
    url = f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="mirror", upstreamRegistryUrl=url, customRoleArn=ROLE)
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="mirror", customRoleArn="")

    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert state_of(fake_ecr) == before


def test_delete_answers_the_rule(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(CREATED)
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker", upstreamRegistryUrl="registry-1.docker.io", credentialArn=SECRET
    )

    deleted = rule_of(ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="docker"))

    assert deleted == {
        "ecrRepositoryPrefix": "docker",
        "upstreamRegistryUrl": "registry-1.docker.io",
        "createdAt": CREATED,
        "registryId": ACCOUNT,
        "credentialArn": SECRET,
        "upstreamRepositoryPrefix": "ROOT",
    }
    assert described(ecr) == []


def test_validate_finds_every_rule_valid(ecr: Any) -> None:
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker", upstreamRegistryUrl="registry-1.docker.io", credentialArn=SECRET
    )

    validated = rule_of(ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="docker"))

    assert validated == {
        "ecrRepositoryPrefix": "docker",
        "registryId": ACCOUNT,
        "upstreamRegistryUrl": "registry-1.docker.io",
        "credentialArn": SECRET,
        "upstreamRepositoryPrefix": "ROOT",
        "isValid": True,
    }


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        pytest.param("update_pull_through_cache_rule", {"credentialArn": SECRET}, id="update"),
        pytest.param("delete_pull_through_cache_rule", {}, id="delete"),
        pytest.param("validate_pull_through_cache_rule", {}, id="validate"),
    ],
)
def test_operations_on_a_missing_rule(ecr: Any, fake_ecr: FakeEcr, operation: str, extra: dict[str, Any]) -> None:
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="cache", upstreamRegistryUrl="public.ecr.aws")
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(ecrRepositoryPrefix="other", **extra)

    assert error_of(excinfo) == ("PullThroughCacheRuleNotFoundException", NOT_FOUND)
    assert state_of(fake_ecr) == before


# --- pulls through a rule -----------------------------------------------------------------------------


@pytest.fixture
def cached(ecr: Any, fake_ecr: FakeEcr) -> str:
    """A pull through cache rule for ecr-public/, and one image cached under it as ecr-public/library/nginx:1.27."""
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    ecr.create_repository(repositoryName="ecr-public/library/nginx")
    manifest = image_manifest(fake_ecr, "ecr-public/library/nginx")
    put(ecr, "ecr-public/library/nginx", manifest, "1.27")
    return manifest.digest


@pytest.mark.parametrize(
    ("repository", "image_id"),
    [
        pytest.param("ecr-public/library/alpine", {"imageTag": "3.20"}, id="repository-not-cached"),
        pytest.param("ecr-public/library/nginx", {"imageTag": "1.28"}, id="tag-not-cached"),
        pytest.param("ecr-public/library/nginx", {"imageDigest": "sha256:" + "0" * 64}, id="digest-not-cached"),
    ],
)
def test_batch_get_image_of_what_the_cache_lacks(
    ecr: Any, fake_ecr: FakeEcr, cached: str, repository: str, image_id: dict[str, str]
) -> None:
    before = state_of(fake_ecr)

    with pytest.raises(ClientError) as excinfo:
        ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "1.27"}, image_id])

    assert error_of(excinfo) == ("UnableToGetUpstreamImageException", UNREACHABLE)
    assert state_of(fake_ecr) == before  # nothing pulled, no pull time recorded


def test_batch_get_image_of_what_the_cache_holds(ecr: Any, cached: str) -> None:
    response = ecr.batch_get_image(
        repositoryName="ecr-public/library/nginx", imageIds=[{"imageTag": "1.27"}, {"imageDigest": "not-a-digest"}]
    )

    assert [image["imageId"] for image in response["images"]] == [{"imageDigest": cached, "imageTag": "1.27"}]
    assert [failure["failureCode"] for failure in response["failures"]] == ["InvalidImageDigest"]


@pytest.mark.usefixtures("cached")
@pytest.mark.parametrize(
    ("repository", "code"),
    [
        pytest.param("ecr-public", "RepositoryNotFoundException", id="the-prefix-itself"),
        pytest.param("ecr-publicity/app", "RepositoryNotFoundException", id="a-longer-first-component"),
    ],
)
def test_batch_get_image_outside_the_namespace(ecr: Any, repository: str, code: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "latest"}])

    assert error_of(excinfo)[0] == code


def test_a_root_rule_covers_every_repository(ecr: Any) -> None:
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ROOT", upstreamRegistryUrl="public.ecr.aws")

    with pytest.raises(ClientError) as excinfo:
        ecr.batch_get_image(repositoryName="anything", imageIds=[{"imageTag": "latest"}])

    assert error_of(excinfo) == ("UnableToGetUpstreamImageException", UNREACHABLE)


def test_deleting_the_rule_leaves_the_cache(ecr: Any, cached: str) -> None:
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public")

    response = ecr.batch_get_image(
        repositoryName="ecr-public/library/nginx", imageIds=[{"imageTag": "1.27"}, {"imageTag": "1.28"}]
    )

    # An ordinary repository now: what it lacks is not found rather than fetched upstream.
    assert [image["imageId"]["imageDigest"] for image in response["images"]] == [cached]
    assert [failure["failureCode"] for failure in response["failures"]] == ["ImageNotFound"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        pytest.param("/v2/ecr-public/library/alpine/manifests/3.20", 404, "NAME_UNKNOWN", id="repository-not-cached"),
        pytest.param("/v2/ecr-public/library/nginx/manifests/1.28", 404, "MANIFEST_UNKNOWN", id="tag-not-cached"),
    ],
)
def test_registry_pull_of_what_the_cache_lacks(
    ecr: Any, fake_ecr: FakeEcr, cached: str, *, path: str, status: int, code: str
) -> None:
    assert fake_ecr.server is not None
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    registry = RegistryClient(fake_ecr.server.endpoint, basic(token))

    response = registry.request("GET", path)

    assert (response.status_code, oci_error(response)[0]) == (status, code)
    assert registry.request("GET", "/v2/ecr-public/library/nginx/manifests/1.27").status_code == 200
