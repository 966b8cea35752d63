"""The control API (docs/control-api.md): every route under /_fake-ecr/ through the running server.

Each route drives the same handle the test holds, so what a route did is checked through boto3 and the
handle, and what a refused request left is checked to be unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from fake_ecr import FakeEcr, FakeServer

from api.helpers import push_public

PREFIX = "/_fake-ecr/"
FINDING = {"name": "CVE-2024-0001", "severity": "CRITICAL", "package_name": "openssl", "package_version": "3.0.11-1"}
KEEP_NEWEST = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        }
    ]
}


def call(fake: FakeEcr, method: str, route: str, body: Any = None, *, data: bytes | None = None) -> requests.Response:
    assert fake.server is not None
    url = f"{fake.server.endpoint}{PREFIX}{route}"
    return requests.request(method, url, json=body, data=data, timeout=30)


def answer(fake: FakeEcr, method: str, route: str, body: Any = None) -> dict[str, Any]:
    response = call(fake, method, route, body)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    result: dict[str, Any] = response.json()
    return result


def seed(fake: FakeEcr, ecr: Any, repository: str = "app", tags: tuple[str, ...] = ("v1",), **options: Any) -> None:
    ecr.create_repository(repositoryName=repository, **options)
    for tag in tags:
        fake.push(f"{repository}:{tag}", fake.image(files={"tag": tag}))


@pytest.fixture
def ecr(fake_ecr: FakeEcr) -> Any:
    return fake_ecr.client()


@pytest.fixture
def ecr_public(fake_ecr: FakeEcr) -> Any:
    return fake_ecr.client("ecr-public", region_name="us-east-1")


# --- health and reset --------------------------------------------------------------------------------------------


def test_health_names_the_version_account_and_region(fake_ecr: FakeEcr) -> None:
    health = answer(fake_ecr, "GET", "health")

    assert health == {"status": "ok", "version": "0.1.0", "account_id": "123456789012", "region": "us-east-1"}


def test_reset_empties_the_whole_fake_and_keeps_the_clock(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr)
    fake_ecr.clock.set(datetime(2024, 1, 1, tzinfo=timezone.utc))

    result = answer(fake_ecr, "POST", "reset")

    assert result == {"reset": {"account_id": None, "region": None}}
    assert ecr.describe_repositories()["repositories"] == []
    assert fake_ecr.clock.now() == datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("scope", "emptied"),
    [
        pytest.param(
            {"region": "eu-west-1"}, {("123456789012", "eu-west-1"), ("111122223333", "eu-west-1")}, id="region"
        ),
        pytest.param({"account_id": "111122223333"}, {("111122223333", "eu-west-1")}, id="account"),
        pytest.param(
            {"account_id": "123456789012", "region": "us-east-1"}, {("123456789012", "us-east-1")}, id="account-region"
        ),
    ],
)
def test_reset_of_one_account_or_region_empties_only_its_registries(
    fake_ecr: FakeEcr, scope: dict[str, str], emptied: set[tuple[str, str]]
) -> None:
    registries = {("123456789012", "us-east-1"), ("123456789012", "eu-west-1"), ("111122223333", "eu-west-1")}
    for account_id, region in registries:
        fake_ecr.registry(account_id, region).create_repository("app")

    answer(fake_ecr, "POST", "reset", scope)

    held = {(r.registry_id, r.region) for r in fake_ecr.backend.registries() if r.repositories()}
    assert held == registries - emptied


@pytest.mark.parametrize(
    ("scope", "kept"),
    [
        pytest.param({}, set(), id="everything"),
        pytest.param({"account_id": "111122223333"}, {"123456789012"}, id="account"),
        # ECR Public's registry belongs to no region: a reset naming one, us-east-1 too, leaves it.
        pytest.param({"region": "us-east-1"}, {"123456789012", "111122223333"}, id="region"),
        pytest.param(
            {"account_id": "111122223333", "region": "us-east-1"},
            {"123456789012", "111122223333"},
            id="account-region",
        ),
    ],
)
def test_reset_empties_an_accounts_public_registry_unless_it_names_a_region(
    fake_ecr: FakeEcr, ecr_public: Any, scope: dict[str, str], kept: set[str]
) -> None:
    for account_id in ("123456789012", "111122223333"):
        fake_ecr.public_registry(account_id).create_repository("tools/hello")
        fake_ecr.registry(account_id, "us-east-1").create_repository("app")

    answer(fake_ecr, "POST", "reset", scope)

    held = {registry["account_id"] for registry in answer(fake_ecr, "GET", "state")["public_registries"]}
    assert held == kept
    names = [r["repositoryName"] for r in ecr_public.describe_repositories()["repositories"]]
    assert names == (["tools/hello"] if "123456789012" in kept else [])


@pytest.mark.parametrize(
    ("registry_of", "places", "reset", "state_key"),
    [
        pytest.param(
            lambda fake, account_id: fake.public_registry(account_id),
            ("123456789012", "111122223333"),
            {"account_id": "111122223333"},
            "public_registries",
            id="an-account-its-public-registry",
        ),
        pytest.param(
            lambda fake, region: fake.registry(region=region),
            ("us-east-1", "eu-west-1"),
            {"region": "eu-west-1"},
            "registries",
            id="a-region",
        ),
    ],
)
def test_a_reset_drops_the_uploads_it_names_and_gives_their_bytes_back(
    fake_ecr: FakeEcr,
    registry_of: Callable[[FakeEcr, str], Any],
    places: tuple[str, str],
    reset: dict[str, str],
    state_key: str,
) -> None:
    for place in places:
        registry = registry_of(fake_ecr, place)
        registry.create_repository("app")
        upload = registry.start_upload("app")
        registry.append_upload("app", upload.upload_id, [b"x" * 1000])
    assert fake_ecr.backend.upload_space.held == 2000

    answer(fake_ecr, "POST", "reset", reset)

    assert fake_ecr.backend.upload_space.held == 1000
    [registry] = answer(fake_ecr, "GET", "state")[state_key]
    assert places[0] in (registry.get("account_id"), registry.get("region"))
    assert [u["bytes"] for u in registry["repositories"][0]["uploads"]] == [1000]


def test_reset_of_a_region_forgets_the_findings_set_for_it(fake_ecr: FakeEcr, ecr: Any) -> None:
    fake_ecr.set_findings("app:v1", [FINDING])
    answer(fake_ecr, "POST", "reset", {"region": "us-east-1"})

    seed(fake_ecr, ecr, imageScanningConfiguration={"scanOnPush": True})

    scan = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert scan["imageScanStatus"]["status"] == "UNSUPPORTED_IMAGE"  # what the image itself gives
    assert scan.get("imageScanFindings", {}).get("findings", []) == []


# --- the clock ---------------------------------------------------------------------------------------------------


def test_clock_reads_the_fakes_clock(fake_ecr: FakeEcr) -> None:
    fake_ecr.clock.set(1704067200.0)

    clock = answer(fake_ecr, "GET", "clock")

    assert clock["now"] == "2024-01-01T00:00:00Z"
    assert clock["epoch"] == 1704067200.0
    assert clock["running"] is False


@pytest.mark.parametrize(
    ("by", "seconds"),
    [
        pytest.param("12h", 43200, id="hours"),
        pytest.param("1d12h", 129600, id="days-hours"),
        pytest.param("90m", 5400, id="minutes"),
        pytest.param("1w", 604800, id="week"),
        pytest.param(30, 30, id="number"),
        pytest.param("1.5", 1.5, id="text-number"),
    ],
)
def test_clock_advance_moves_it_forward(fake_ecr: FakeEcr, by: str | int, seconds: float) -> None:
    fake_ecr.clock.set(1704067200.0)

    clock = answer(fake_ecr, "POST", "clock/advance", {"by": by})

    assert clock["epoch"] == 1704067200.0 + seconds == fake_ecr.clock.now()


@pytest.mark.parametrize(
    "time", [pytest.param("2024-01-01T00:00:00Z", id="iso-z"), pytest.param("2024-01-01T02:00:00+02:00", id="offset")]
)
def test_clock_set_pins_it_and_resume_lets_it_run(fake_ecr: FakeEcr, time: str) -> None:
    pinned = answer(fake_ecr, "POST", "clock/set", {"time": time})

    assert pinned == {**pinned, "now": "2024-01-01T00:00:00Z", "epoch": 1704067200.0, "running": False}
    assert fake_ecr.clock.now() == 1704067200.0
    resumed = answer(fake_ecr, "POST", "clock/resume")
    assert resumed["running"] is True
    assert fake_ecr.clock.now() > 1704067200.0


def test_clock_set_takes_epoch_seconds(fake_ecr: FakeEcr) -> None:
    assert answer(fake_ecr, "POST", "clock/set", {"time": 1704067200})["now"] == "2024-01-01T00:00:00Z"


def test_moving_the_clock_expires_tokens_as_the_fixture_does(fake_ecr: FakeEcr, ecr: Any) -> None:
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert fake_ecr.server is not None
    v2 = f"{fake_ecr.server.endpoint}/v2/"
    assert requests.get(v2, headers={"Authorization": f"Basic {token}"}, timeout=30).status_code == 200

    answer(fake_ecr, "POST", "clock/advance", {"by": "13h"})

    assert requests.get(v2, headers={"Authorization": f"Basic {token}"}, timeout=30).status_code == 403


# --- findings, scans, lifecycle ------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_findings_set_for_a_pushed_image_are_what_its_scan_reports(fake_ecr: FakeEcr, ecr: Any, by: str) -> None:
    seed(fake_ecr, ecr, imageScanningConfiguration={"scanOnPush": True})
    digest = ecr.list_images(repositoryName="app")["imageIds"][0]["imageDigest"]
    reference = "app:v1" if by == "tag" else f"app@{digest}"

    result = answer(fake_ecr, "POST", "findings", {"image": reference, "findings": [FINDING]})

    assert result == {"image": reference, "findings": 1, "image_digest": digest}
    scan = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageDigest": digest})
    assert [f["name"] for f in scan["imageScanFindings"]["findings"]] == ["CVE-2024-0001"]


def test_findings_set_before_the_push_are_reported_once_it_is(fake_ecr: FakeEcr, ecr: Any) -> None:
    result = answer(fake_ecr, "POST", "findings", {"image": "app:v1", "findings": [FINDING]})
    assert result["image_digest"] is None

    seed(fake_ecr, ecr, imageScanningConfiguration={"scanOnPush": True})

    scan = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert scan["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1}


def test_findings_with_a_status_and_description(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr, imageScanningConfiguration={"scanOnPush": True})

    answer(fake_ecr, "POST", "findings", {"image": "app:v1", "status": "FAILED", "description": "scanner down"})

    status = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})["imageScanStatus"]
    assert status == {"status": "FAILED", "description": "scanner down"}


@pytest.mark.fake_ecr(scan_delay=3600)
def test_scans_complete_finishes_running_scans(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr, tags=("v1", "v2"), imageScanningConfiguration={"scanOnPush": True})
    before = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert before["imageScanStatus"]["status"] == "IN_PROGRESS"

    assert answer(fake_ecr, "POST", "scans/complete") == {"completed": 2}

    after = ecr.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert after["imageScanStatus"]["status"] != "IN_PROGRESS"
    assert answer(fake_ecr, "POST", "scans/complete") == {"completed": 0}


def test_lifecycle_run_applies_the_policies_now(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr, tags=("v1", "v2", "v3"))
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(KEEP_NEWEST))

    result = answer(fake_ecr, "POST", "lifecycle/run")

    assert result["account_id"] == "123456789012"
    assert result["region"] == "us-east-1"
    [run] = result["runs"]
    assert run["repository"] == "app"
    assert sorted(tag for image in run["expired"] for tag in image["tags"]) == ["v1", "v2"]
    assert run["transitioned"] == []
    assert [i["imageTag"] for i in ecr.list_images(repositoryName="app")["imageIds"]] == ["v3"]


def test_lifecycle_run_of_another_region(fake_ecr: FakeEcr) -> None:
    west = fake_ecr.client(region_name="eu-west-1")
    west.create_repository(repositoryName="app")
    for tag in ("v1", "v2"):
        fake_ecr.push(f"app:{tag}", fake_ecr.image(files={"tag": tag}), region="eu-west-1")
    west.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(KEEP_NEWEST))

    result = answer(fake_ecr, "POST", "lifecycle/run", {"region": "eu-west-1"})

    assert [len(run["expired"]) for run in result["runs"]] == [1]
    assert [i["imageTag"] for i in west.list_images(repositoryName="app")["imageIds"]] == ["v2"]


def test_lifecycle_preview_shows_what_a_run_would_do_and_changes_nothing(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr, repository="without-policy")
    seed(fake_ecr, ecr, tags=())
    fake_ecr.clock.set(1704067200.0)
    for tag in ("v1", "v2", "v3"):  # an hour apart: the newest is v3
        fake_ecr.push(f"app:{tag}", fake_ecr.image(files={"tag": tag}))
        fake_ecr.clock.advance(3600)
    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(KEEP_NEWEST))

    preview = answer(fake_ecr, "GET", "lifecycle/preview")

    assert preview["evaluated_at"] == "2024-01-01T03:00:00Z"
    [policy] = preview["policies"]
    assert (policy["account_id"], policy["region"], policy["repository"]) == ("123456789012", "us-east-1", "app")
    assert policy["policy"] == KEEP_NEWEST
    assert sorted((image["tags"], image["rule_priority"]) for image in policy["expiring"]) == [(["v1"], 1), (["v2"], 1)]
    assert policy["transitioning"] == []
    assert len(ecr.list_images(repositoryName="app")["imageIds"]) == 3
    run = answer(fake_ecr, "POST", "lifecycle/run")["runs"][0]
    assert sorted(image["digest"] for image in run["expired"]) == sorted(i["digest"] for i in policy["expiring"])


# --- what the fake holds ---------------------------------------------------------------------------------------------


def test_state_lists_registries_repositories_images_tags_and_uploads(fake_ecr: FakeEcr, ecr: Any) -> None:
    fake_ecr.clock.set(1704067200.0)
    seed(fake_ecr, ecr, tags=("v1",), imageScanningConfiguration={"scanOnPush": True})
    image = fake_ecr.image(files={"tag": "v1"})
    ecr.put_image(repositoryName="app", imageManifest=image.manifest.decode(), imageTag="latest")
    upload = fake_ecr.registry().start_upload("app")
    fake_ecr.registry().append_upload("app", upload.upload_id, [b"x" * 10])

    state = answer(fake_ecr, "GET", "state")

    assert state["clock"]["now"] == "2024-01-01T00:00:00Z"
    [registry] = state["registries"]
    assert (registry["account_id"], registry["region"]) == ("123456789012", "us-east-1")
    [repository] = registry["repositories"]
    assert repository["name"] == "app"
    assert repository["uri"] == ecr.describe_repositories()["repositories"][0]["repositoryUri"]
    assert repository["scan_on_push"] is True
    assert repository["lifecycle_policy"] is False
    assert repository["images"] == [
        {
            "digest": image.digest,
            "tags": ["v1", "latest"],
            "size": image.size_in_bytes,
            "media_type": "application/vnd.docker.distribution.manifest.v2+json",
            "artifact_media_type": "application/vnd.docker.container.image.v1+json",
            "pushed_at": "2024-01-01T00:00:00Z",
            "last_pulled_at": None,
            "status": "ACTIVE",
            "scan": {
                "status": "UNSUPPORTED_IMAGE",
                "description": "UnsupportedImageError: The operating system and/or package manager are not supported.",
                "findings": 0,
                "severity_counts": {},
            },
        }
    ]
    assert repository["uploads"] == [{"id": upload.upload_id, "bytes": 10, "started_at": "2024-01-01T00:00:00Z"}]


def test_state_summarizes_an_images_findings_by_severity(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr, imageScanningConfiguration={"scanOnPush": True})
    findings = [FINDING, {**FINDING, "name": "CVE-2024-0002"}, {**FINDING, "name": "CVE-2024-0003", "severity": "LOW"}]
    fake_ecr.set_findings("app:v1", findings, description="three found")

    [image] = answer(fake_ecr, "GET", "state")["registries"][0]["repositories"][0]["images"]

    assert image["scan"] == {
        "status": "COMPLETE",
        "description": "three found",
        "findings": 3,
        "severity_counts": {"CRITICAL": 2, "LOW": 1},
    }


def test_state_lists_public_registries_apart_from_private_ones(fake_ecr: FakeEcr, ecr: Any, ecr_public: Any) -> None:
    fake_ecr.clock.set(1704067200.0)
    seed(fake_ecr, ecr, repository="tools/hello")  # a private namesake, listed under "registries" only
    catalog = {
        "description": "Says hello",
        "architectures": ["ARM 64", "x86-64"],
        "operatingSystems": ["Linux"],
        "logoImageBlob": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
        "aboutText": "# Hello",
    }
    ecr_public.create_repository(repositoryName="tools/hello", catalogData=catalog)
    ecr_public.create_repository(repositoryName="bare")
    ecr_public.put_registry_catalog_data(displayName="Hello Corp")
    image = fake_ecr.image(files={"hello": "world"})
    push_public(ecr_public, "tools/hello", "v1", image)
    ecr_public.put_image(repositoryName="tools/hello", imageManifest=image.manifest.decode(), imageTag="latest")
    upload = fake_ecr.public_registry().start_upload("bare")
    fake_ecr.public_registry().append_upload("bare", upload.upload_id, [b"x" * 10])

    state = answer(fake_ecr, "GET", "state")

    [private] = state["registries"]
    assert [(r["name"], len(r["images"])) for r in private["repositories"]] == [("tools/hello", 1)]
    [public] = state["public_registries"]
    [described] = ecr_public.describe_registries()["registries"]
    uris = {r["repositoryName"]: r["repositoryUri"] for r in ecr_public.describe_repositories()["repositories"]}
    assert public == {
        "account_id": "123456789012",
        "alias": described["aliases"][0]["name"],
        "address": described["registryUri"],
        "display_name": "Hello Corp",
        "repositories": [
            {
                "name": "tools/hello",
                "uri": uris["tools/hello"],
                "created_at": "2024-01-01T00:00:00Z",
                "catalog_data": {
                    "description": "Says hello",
                    "architectures": ["ARM 64", "x86-64"],
                    "operating_systems": ["Linux"],
                    "logo_image": True,
                    "about_text": True,
                    "usage_text": False,
                },
                "images": [
                    {
                        "digest": image.digest,
                        "tags": ["v1", "latest"],
                        "size": image.size_in_bytes,
                        "media_type": "application/vnd.docker.distribution.manifest.v2+json",
                        "artifact_media_type": "application/vnd.docker.container.image.v1+json",
                        "pushed_at": "2024-01-01T00:00:00Z",
                    }
                ],
                "uploads": [],
            },
            {
                "name": "bare",
                "uri": uris["bare"],
                "created_at": "2024-01-01T00:00:00Z",
                "catalog_data": {
                    "description": None,
                    "architectures": None,
                    "operating_systems": None,
                    "logo_image": False,
                    "about_text": False,
                    "usage_text": False,
                },
                "images": [],
                "uploads": [{"id": upload.upload_id, "bytes": 10, "started_at": "2024-01-01T00:00:00Z"}],
            },
        ],
    }


def test_state_of_an_empty_fake(fake_ecr: FakeEcr) -> None:
    state = answer(fake_ecr, "GET", "state")

    assert (state["registries"], state["public_registries"]) == ([], [])


# --- refusals -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route", "body", "refusal"),
    [
        pytest.param("GET", "nothing-here", None, (404, "no control route /_fake-ecr/nothing-here"), id="unknown-path"),
        pytest.param("POST", "clock/advance", b"{", (400, "the body is not JSON"), id="not-json"),
        pytest.param("POST", "reset", b"[]", (400, "the body must be a JSON object"), id="not-an-object"),
        pytest.param("POST", "reset", {"acount_id": "1"}, (400, "unknown member(s) acount_id"), id="unknown-member"),
        pytest.param("POST", "reset", {"region": 5}, (400, "'region' must be a non-empty string"), id="bad-region"),
        pytest.param("POST", "clock/advance", {}, (400, "the body needs 'by'"), id="advance-without-by"),
        pytest.param("POST", "clock/advance", {"by": "soon"}, (400, "'soon' is no duration"), id="bad-duration"),
        pytest.param("POST", "clock/advance", {"by": -5}, (400, "the clock only moves forward"), id="backwards"),
        pytest.param("POST", "clock/set", {"time": "2024-01-01T00:00:00"}, (400, "names no time zone"), id="naive"),
        pytest.param("POST", "clock/set", {"time": "tomorrow"}, (400, "is no ISO 8601 time"), id="bad-time"),
        pytest.param("POST", "clock/set", {"time": True}, (400, "the body needs 'time'"), id="bool-time"),
        pytest.param("POST", "findings", {"findings": []}, (400, "the body needs 'image'"), id="no-image"),
        pytest.param("POST", "findings", {"image": "app"}, (400, "'app' names no image"), id="bad-reference"),
        pytest.param(
            "POST", "findings", {"image": "app:v1", "findings": {}}, (400, "'findings' must be a list"), id="not-a-list"
        ),
        pytest.param(
            "POST",
            "findings",
            {"image": "app:v1", "findings": [{**FINDING, "severity": "DIRE"}]},
            (400, "severity must be one of"),
            id="bad-severity",
        ),
        pytest.param(
            "POST", "findings", {"image": "app:v1", "status": "DONE"}, (400, "status 'DONE'"), id="bad-status"
        ),
        pytest.param("POST", "scans/complete", {"now": True}, (400, "this route takes no members"), id="no-members"),
    ],
)
def test_refusals_are_json_with_a_message_and_change_nothing(
    fake_ecr: FakeEcr, method: str, route: str, body: Any, refusal: tuple[int, str]
) -> None:
    status, message = refusal
    fake_ecr.clock.set(1704067200.0)
    fake_ecr.registry().create_repository("app")

    raw = body if isinstance(body, bytes) else None
    response = call(fake_ecr, method, route, None if raw is not None else body, data=raw)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert message in error["message"]
    assert "Traceback" not in response.text
    assert fake_ecr.clock.now() == 1704067200.0
    assert [r.repository_name for r in fake_ecr.registry().repositories()] == ["app"]
    assert fake_ecr.internal_errors == []


@pytest.mark.parametrize(
    ("method", "route", "allowed"),
    [
        pytest.param("POST", "health", "GET", id="health"),
        pytest.param("GET", "reset", "POST", id="reset"),
        pytest.param("DELETE", "clock", "GET", id="clock"),
        pytest.param("GET", "clock/advance", "POST", id="advance"),
        pytest.param("PUT", "state", "GET", id="state"),
    ],
)
def test_a_method_a_route_does_not_take_is_405_with_allow(
    fake_ecr: FakeEcr, method: str, route: str, allowed: str
) -> None:
    response = call(fake_ecr, method, route)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.json()["error"]["message"] == f"{PREFIX}{route} takes {allowed}, not {method}"


def test_a_server_with_no_fake_attached_answers_503_in_json() -> None:
    server = FakeServer()
    try:
        response = requests.get(f"{server.endpoint}{PREFIX}health", timeout=30)
    finally:
        server.stop()

    assert response.status_code == 503
    assert response.json()["error"]["message"] == "no fake ECR is attached to this server"


def test_the_prefix_leaves_ecrs_api_and_the_registry_alone(fake_ecr: FakeEcr, ecr: Any) -> None:
    seed(fake_ecr, ecr)
    http = fake_ecr.client(http=True)
    assert fake_ecr.server is not None

    assert [r["repositoryName"] for r in http.describe_repositories()["repositories"]] == ["app"]
    v2 = requests.get(f"{fake_ecr.server.endpoint}/v2/", timeout=30)
    assert v2.status_code == 401  # the registry's own challenge, not the control API's
