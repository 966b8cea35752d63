"""Image scanning: StartImageScan, DescribeImageScanFindings, registry and repository scanning
configuration, scan on push, statuses, the waiter and DescribeImages' scan members
(docs/behaviour/scanning.md#scanning-operations, docs/behaviour/scanning.md#image-scanning)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError, WaiterError

from fake_ecr import FakeEcr, images
from fake_ecr.model import ImageId
from fake_ecr.scanning.engine import SCAN_STATUSES
from fake_ecr.scanning.packages import ImagePackages, InstalledPackage, OsRelease
from fake_ecr.scanning.vulnerabilities import load_example_table, match_findings

from api.helpers import error_of, image_manifest, put

ACCOUNT = "123456789012"
REPO = "app"
START = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
COMPLETE_TEXT = "The scan was completed successfully."
UNSUPPORTED_TEXT = "UnsupportedImageError: The operating system and/or package manager are not supported."
QUOTA_TEXT = "The scan quota per image has been exceeded. Wait and try again."

#: A Debian 12 image's dpkg database: three packages the example table has advisories for.
DPKG_STATUS = """\
Package: zlib1g
Status: install ok installed
Source: zlib
Version: 1:1.2.13.dfsg-1
Architecture: amd64

Package: libssl3
Status: install ok installed
Source: openssl
Version: 3.0.11-1~deb12u2
Architecture: amd64

Package: libncursesw6
Status: install ok installed
Source: ncurses
Version: 6.4-4
Architecture: amd64
"""
DEBIAN_12 = images.image(files={"var/lib/dpkg/status": DPKG_STATUS, "etc/os-release": 'ID=debian\nVERSION_ID="12"\n'})
#: What the example table finds in DEBIAN_12, most severe first.
DEBIAN_12_FINDINGS = [
    ("CVE-2099-0001", "CRITICAL", "zlib", "1:1.2.13.dfsg-1"),
    ("CVE-2099-0002", "HIGH", "openssl", "3.0.11-1~deb12u2"),
    ("CVE-2099-0004", "LOW", "ncurses", "6.4-4"),
]
#: An image with no package database (a static binary, as FROM scratch).
SCRATCH = images.image(files={"app": b"\x7fELF static binary"})
#: DEBIAN_12's imageSizeInBytes: its config and layer.
DEBIAN_12_SIZE = sum(len(blob.data) for blob in DEBIAN_12.blobs())
#: The status of a scan of an image over Settings.scan_size_limit: the installed model's IMAGE_SIZE_EXCEEDED,
#: or FAILED where an older model lacks it.
TOO_LARGE = "IMAGE_SIZE_EXCEEDED" if "IMAGE_SIZE_EXCEEDED" in SCAN_STATUSES else "FAILED"
TOO_LARGE_TEXT = "The image exceeds the maximum image size supported for scanning."


# --- helpers --------------------------------------------------------------------------------------


def scan_of(ecr: Any, image_id: dict[str, str], repo: str = REPO, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = ecr.describe_image_scan_findings(repositoryName=repo, imageId=image_id, **params)
    response.pop("ResponseMetadata")
    return response


def status_of(ecr: Any, image_id: dict[str, str], repo: str = REPO) -> str:
    status: str = scan_of(ecr, image_id, repo)["imageScanStatus"]["status"]
    return status


def basic_findings(response: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, severity, package_name, package_version) of each basic finding."""
    rows = []
    for finding in response["imageScanFindings"]["findings"]:
        attributes = {a["key"]: a["value"] for a in finding["attributes"]}
        rows.append((finding["name"], finding["severity"], attributes["package_name"], attributes["package_version"]))
    return rows


def set_registry_scanning(ecr: Any, scan_type: str, *rules: tuple[str, list[str]]) -> None:
    ecr.put_registry_scanning_configuration(
        scanType=scan_type,
        rules=[
            {
                "scanFrequency": frequency,
                "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters],
            }
            for frequency, filters in rules
        ],
    )


def archive(fake_ecr: FakeEcr, digest: str) -> None:
    # Archiving is another area's operation; the model's record change is what it leaves behind
    # (docs/behaviour/images.md#archive-storage-class).
    fake_ecr.registry().modify_image(REPO, ImageId(digest), lambda image: replace(image, image_status="ARCHIVED"))


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


@pytest.fixture
def debian(ecr: Any, fake_ecr: FakeEcr, repo: str) -> str:
    return fake_ecr.push(f"{REPO}:v1", DEBIAN_12)


# --- StartImageScan and DescribeImageScanFindings ----------------------------------------------------


def test_scan_statuses_are_the_models() -> None:
    model = botocore.session.get_session().get_service_model("ecr")
    assert tuple(model.shape_for("ScanStatus").enum) == SCAN_STATUSES


def test_start_image_scan_is_in_progress_then_complete(ecr: Any, debian: str) -> None:
    response = ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    response.pop("ResponseMetadata")
    assert response == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "imageId": {"imageDigest": debian, "imageTag": "v1"},
        "imageScanStatus": {"status": "IN_PROGRESS"},
    }
    # No delay configured: the scan is done at the next look (Settings.scan_delay = 0).
    scan = scan_of(ecr, {"imageDigest": debian})
    assert scan["imageId"] == {"imageDigest": debian}
    assert scan["imageScanStatus"] == {"status": "COMPLETE", "description": COMPLETE_TEXT}


def test_findings_are_read_from_the_layers(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    fake_ecr.clock.set(START)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    fake_ecr.clock.advance(seconds=5)
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert basic_findings(scan) == DEBIAN_12_FINDINGS
    findings = scan["imageScanFindings"]
    # Only severities that occur are counted (docs/behaviour/scanning.md#findings).
    assert findings["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 1, "LOW": 1}
    assert findings["imageScanCompletedAt"].timestamp() == START.timestamp() + 5
    assert findings["vulnerabilitySourceUpdatedAt"].timestamp() == START.timestamp()
    zlib = findings["findings"][0]
    assert zlib["uri"] == "https://security-tracker.debian.org/tracker/CVE-2099-0001"
    assert {"key": "CVSS2_SCORE", "value": "7.5"} in zlib["attributes"]


@pytest.mark.parametrize(
    ("image_id", "shown"),
    [
        pytest.param({"imageTag": "v1"}, "{imageDigest:'null', imageTag:'v1'}", id="by-tag"),
        pytest.param({"imageDigest": "DIGEST"}, "{imageDigest:'DIGEST', imageTag:'null'}", id="by-digest"),
    ],
)
def test_never_scanned_image_has_no_scan(ecr: Any, debian: str, image_id: dict[str, str], shown: str) -> None:
    image_id = {key: debian if value == "DIGEST" else value for key, value in image_id.items()}
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, image_id)
    assert error_of(excinfo) == (
        "ScanNotFoundException",
        f"Image scan does not exist for the image with '{shown.replace('DIGEST', debian)}' "
        f"in the repository with name '{REPO}' in the registry with id '{ACCOUNT}'",
    )


@pytest.mark.parametrize("operation", ["start_image_scan", "describe_image_scan_findings"])
@pytest.mark.parametrize(
    ("repository_name", "image_id", "code"),
    [
        pytest.param("missing", {"imageTag": "v1"}, "RepositoryNotFoundException", id="unknown-repository"),
        pytest.param(REPO, {"imageTag": "v2"}, "ImageNotFoundException", id="unknown-tag"),
        pytest.param(REPO, {"imageDigest": "sha256:" + "0" * 64}, "ImageNotFoundException", id="unknown-digest"),
    ],
)
def test_scan_of_a_missing_image(
    ecr: Any, debian: str, *, operation: str, repository_name: str, image_id: dict[str, str], code: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, operation)(repositoryName=repository_name, imageId=image_id)
    assert error_of(excinfo)[0] == code


def test_image_not_found_message(ecr: Any, debian: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageTag": "v2"})
    assert error_of(excinfo)[1] == (
        f"The image with imageId {{imageDigest:'null', imageTag:'v2'}} does not exist within the repository "
        f"with name '{REPO}' in the registry with id '{ACCOUNT}'"
    )


def test_one_scan_per_image_per_24_hours(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    fake_ecr.clock.set(START)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    fake_ecr.clock.advance(hours=23, minutes=59)
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageDigest": debian})
    assert error_of(excinfo) == ("LimitExceededException", QUOTA_TEXT)
    fake_ecr.clock.advance(minutes=1)
    assert ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})["imageScanStatus"] == {
        "status": "IN_PROGRESS"
    }


def test_the_scan_on_push_counts_towards_the_quota(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert error_of(excinfo) == ("LimitExceededException", QUOTA_TEXT)
    fake_ecr.clock.advance(hours=24)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})


@pytest.mark.parametrize(
    "unscannable",
    [
        pytest.param(images.index([DEBIAN_12]), id="image-index"),
        pytest.param(images.artifact("application/vnd.example.sbom", [("text/plain", b"sbom")]), id="artifact"),
    ],
)
def test_indexes_and_artifacts_cannot_be_scanned(
    ecr: Any, fake_ecr: FakeEcr, unscannable: images.Image | images.ImageIndex
) -> None:
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    digest = fake_ecr.push(f"{REPO}:v1", unscannable)
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert error_of(excinfo) == ("UnsupportedImageTypeException", "The image is of a type that cannot be scanned.")
    # Scan on push passes them by too.
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageDigest": digest})
    assert error_of(excinfo)[0] == "ScanNotFoundException"


def test_archived_image_cannot_be_scanned(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    archive(fake_ecr, debian)
    fake_ecr.clock.advance(hours=24)
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert error_of(excinfo) == ("ImageArchivedException", "The specified image is archived and cannot be scanned.")
    # Findings from before the archiving are not kept (docs/behaviour/images.md#archive-storage-class).
    assert scan_of(ecr, {"imageTag": "v1"})["imageScanStatus"] == {"status": "IMAGE_ARCHIVED"}


def test_manual_scans_are_not_supported_under_enhanced_scanning(ecr: Any, debian: str) -> None:
    set_registry_scanning(ecr, "ENHANCED", ("SCAN_ON_PUSH", ["other"]))
    with pytest.raises(ClientError) as excinfo:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert error_of(excinfo) == ("ValidationException", "This feature is disabled")


# --- statuses, the delay and the waiter --------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "status"),
    [pytest.param("AWS_NATIVE", "UNSUPPORTED_IMAGE", id="aws-native"), pytest.param("CLAIR", "FAILED", id="clair")],
)
def test_image_without_package_database(ecr: Any, fake_ecr: FakeEcr, repo: str, version: str, status: str) -> None:
    ecr.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value=version)
    fake_ecr.push(f"{REPO}:v1", SCRATCH)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert scan["imageScanStatus"] == {"status": status, "description": UNSUPPORTED_TEXT}
    assert "imageScanFindings" not in scan


@pytest.mark.parametrize(
    ("status", "description"),
    [
        pytest.param(
            TOO_LARGE,
            TOO_LARGE_TEXT,
            id="a-byte-over-the-limit",
            marks=pytest.mark.fake_ecr(scan_size_limit=DEBIAN_12_SIZE - 1),
        ),
        pytest.param(
            "COMPLETE", COMPLETE_TEXT, id="at-the-limit", marks=pytest.mark.fake_ecr(scan_size_limit=DEBIAN_12_SIZE)
        ),
        pytest.param("COMPLETE", COMPLETE_TEXT, id="no-limit"),
    ],
)
def test_images_over_the_scan_size_limit_are_not_scanned(ecr: Any, debian: str, status: str, description: str) -> None:
    assert ecr.describe_images(repositoryName=REPO)["imageDetails"][0]["imageSizeInBytes"] == DEBIAN_12_SIZE

    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    scan = scan_of(ecr, {"imageTag": "v1"})

    assert scan["imageScanStatus"] == {"status": status, "description": description}
    assert basic_findings(scan) if status == "COMPLETE" else "imageScanFindings" not in scan


@pytest.mark.fake_ecr(scan_size_limit=1)
def test_scan_on_push_of_a_too_large_image_and_what_a_test_sets_wins(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.set_findings(f"{REPO}:v2", [OPENSSL_FINDING])

    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    fake_ecr.push(f"{REPO}:v2", SCRATCH)

    assert scan_of(ecr, {"imageTag": "v1"})["imageScanStatus"] == {"status": TOO_LARGE, "description": TOO_LARGE_TEXT}
    assert status_of(ecr, {"imageTag": "v2"}) == "COMPLETE"


def test_layers_that_are_not_tar_archives_fail_the_scan(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    manifest = image_manifest(fake_ecr, REPO)  # layers of plain text
    put(ecr, REPO, manifest, "v1")
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    status = scan_of(ecr, {"imageTag": "v1"})["imageScanStatus"]
    assert status["status"] == "FAILED"
    assert "cannot be read as a tar archive" in status["description"]


@pytest.mark.fake_ecr(scan_delay=60)
def test_scan_completes_after_the_configured_delay(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    fake_ecr.clock.set(START)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert scan["imageScanStatus"] == {"status": "IN_PROGRESS"}
    assert "imageScanFindings" not in scan
    waiter = ecr.get_waiter("image_scan_complete")
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        waiter.wait(repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    fake_ecr.clock.advance(seconds=59)
    assert status_of(ecr, {"imageTag": "v1"}) == "IN_PROGRESS"
    fake_ecr.clock.advance(seconds=1)
    waiter.wait(repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 3})
    assert basic_findings(scan_of(ecr, {"imageTag": "v1"})) == DEBIAN_12_FINDINGS


@pytest.mark.fake_ecr(scan_delay=3600)
def test_complete_scans_finishes_running_scans_now(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert fake_ecr.complete_scans() == 1
    assert status_of(ecr, {"imageTag": "v1"}) == "COMPLETE"
    assert fake_ecr.complete_scans() == 0


def test_waiter_succeeds_once_the_scan_is_complete(ecr: Any, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    waiter = ecr.get_waiter("image_scan_complete")
    waiter.wait(repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 3})


@pytest.mark.parametrize(
    ("status", "waiter_error"),
    [
        pytest.param("FAILED", "terminal failure state", id="failed-stops-the-waiter"),
        pytest.param("UNSUPPORTED_IMAGE", "Max attempts exceeded", id="unsupported-keeps-it-polling"),
        pytest.param("FINDINGS_UNAVAILABLE", "Max attempts exceeded", id="findings-unavailable"),
    ],
)
def test_waiter_on_other_statuses(ecr: Any, fake_ecr: FakeEcr, debian: str, status: str, waiter_error: str) -> None:
    fake_ecr.set_findings(f"{REPO}:v1", status=status)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    with pytest.raises(WaiterError, match=waiter_error):
        ecr.get_waiter("image_scan_complete").wait(
            repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 2}
        )


def test_waiter_stops_at_an_error(ecr: Any, debian: str) -> None:
    # Not scanned: ScanNotFoundException matches no acceptor (docs/behaviour/api.md#waiters).
    with pytest.raises(WaiterError, match="ScanNotFoundException"):
        ecr.get_waiter("image_scan_complete").wait(
            repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 3}
        )


# --- scan on push ---------------------------------------------------------------------------------


def test_scan_on_push_of_the_repository(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    assert basic_findings(scan_of(ecr, {"imageTag": "v1"})) == DEBIAN_12_FINDINGS


def test_scan_on_push_only_for_new_images(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.put_image_scanning_configuration(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.push(f"{REPO}:v2", DEBIAN_12)  # the same manifest: no new image
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageTag": "v2"})
    assert error_of(excinfo)[0] == "ScanNotFoundException"


def test_deleted_and_pushed_again_starts_unscanned(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert status_of(ecr, {"imageTag": "v1"}) == "COMPLETE"
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": debian}])
    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageTag": "v1"})
    assert error_of(excinfo)[0] == "ScanNotFoundException"
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})  # and the quota starts afresh


#: docs/behaviour/scanning.md#registry-scanning-configuration's filter table (UG image-scanning): which of five names
#: each filter matches.
FILTER_NAMES = ("prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo")
FILTER_MATCHES = {
    "prod": set(FILTER_NAMES),
    "*prod": {"prod", "repo-prod"},
    "prod*": {"prod", "prod-repo", "prodrepo"},
    "prod*repo": {"prod-repo", "prodrepo"},
    "*prod*": set(FILTER_NAMES),
}


@pytest.mark.parametrize(
    ("repository_filter", "repository_name", "matches"),
    [
        pytest.param(f, name, name in matched, id=f"{f}-{'matches' if name in matched else 'misses'}-{name}")
        for f, matched in FILTER_MATCHES.items()
        for name in FILTER_NAMES
    ],
)
def test_registry_scan_on_push_filters(
    ecr: Any, fake_ecr: FakeEcr, repository_filter: str, repository_name: str, matches: bool
) -> None:
    set_registry_scanning(ecr, "BASIC", ("SCAN_ON_PUSH", [repository_filter]))
    ecr.create_repository(repositoryName=repository_name)
    (configuration,) = ecr.batch_get_repository_scanning_configuration(repositoryNames=[repository_name])[
        "scanningConfigurations"
    ]
    assert configuration["scanFrequency"] == ("SCAN_ON_PUSH" if matches else "MANUAL")
    assert configuration["appliedScanFilters"] == (
        [{"filter": repository_filter, "filterType": "WILDCARD"}] if matches else []
    )
    put(ecr, repository_name, image_manifest(fake_ecr, repository_name), "v1")
    try:
        scan_of(ecr, {"imageTag": "v1"}, repository_name)
        scanned = True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ScanNotFoundException"
        scanned = False
    assert scanned == matches


# --- findings set by the test ---------------------------------------------------------------------

OPENSSL_FINDING = {
    "name": "CVE-2024-0727",
    "severity": "MEDIUM",
    "package_name": "openssl",
    "package_version": "3.0.11-1~deb12u2",
    "description": "Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
    "uri": "https://security-tracker.debian.org/tracker/CVE-2024-0727",
    "cvss2_score": 5,
    "cvss2_vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P",
    "cvss3_score": 5.5,
    "cvss3_vector": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
}


def test_findings_set_before_the_push(ecr: Any, fake_ecr: FakeEcr) -> None:
    fake_ecr.set_findings(f"{REPO}:v1", [OPENSSL_FINDING])
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    findings = scan_of(ecr, {"imageTag": "v1"})["imageScanFindings"]
    assert findings["findings"] == [
        {
            "name": "CVE-2024-0727",
            "description": "Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
            "uri": "https://security-tracker.debian.org/tracker/CVE-2024-0727",
            "severity": "MEDIUM",
            "attributes": [
                {"key": "package_version", "value": "3.0.11-1~deb12u2"},
                {"key": "package_name", "value": "openssl"},
                {"key": "CVSS2_VECTOR", "value": "AV:N/AC:L/Au:N/C:N/I:N/A:P"},
                {"key": "CVSS2_SCORE", "value": "5"},
            ],
        }
    ]
    assert findings["findingSeverityCounts"] == {"MEDIUM": 1}


def test_findings_for_a_digest_win_over_a_tag(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    fake_ecr.set_findings(f"{REPO}@{debian}", [OPENSSL_FINDING])
    fake_ecr.set_findings(f"{REPO}:v1", [])
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert [f["name"] for f in scan_of(ecr, {"imageTag": "v1"})["imageScanFindings"]["findings"]] == ["CVE-2024-0727"]


def test_findings_set_after_the_scan_change_it(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    completed_at = scan_of(ecr, {"imageTag": "v1"})["imageScanFindings"]["imageScanCompletedAt"]
    example = match_findings(
        ImagePackages(
            OsRelease("debian", "12"), (InstalledPackage("zlib1g", "1:1.2.11", "amd64", "dpkg", "zlib", None),)
        ),
        load_example_table(),
    )
    fake_ecr.set_findings(f"{REPO}:v1", [*example, OPENSSL_FINDING])
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert [(f["name"], f["severity"]) for f in scan["imageScanFindings"]["findings"]] == [
        ("CVE-2099-0001", "CRITICAL"),
        ("CVE-2024-0727", "MEDIUM"),
    ]
    assert scan["imageScanFindings"]["imageScanCompletedAt"] == completed_at
    fake_ecr.set_findings(f"{REPO}:v1", status="FINDINGS_UNAVAILABLE")
    assert scan_of(ecr, {"imageTag": "v1"}) == {
        "registryId": ACCOUNT,
        "repositoryName": REPO,
        "imageId": {"imageDigest": debian, "imageTag": "v1"},
        "imageScanStatus": {"status": "FINDINGS_UNAVAILABLE"},
    }


def test_status_and_description_set_by_the_test(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    fake_ecr.set_findings(f"{REPO}:v1", status="FAILED", description="Scan failed: layer unavailable.")
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert scan_of(ecr, {"imageTag": "v1"})["imageScanStatus"] == {
        "status": "FAILED",
        "description": "Scan failed: layer unavailable.",
    }


@pytest.mark.parametrize(
    ("reference", "findings", "status", "problem"),
    [
        pytest.param("app", [], None, "names no image", id="reference-without-tag"),
        pytest.param("app:v1", [{**OPENSSL_FINDING, "cve": "x"}], None, "unknown keys", id="unknown-key"),
        pytest.param("app:v1", [{"name": "CVE-1", "severity": "HIGH"}], None, "package_name", id="missing-key"),
        pytest.param("app:v1", [{**OPENSSL_FINDING, "severity": "SEVERE"}], None, "severity", id="bad-severity"),
        pytest.param("app:v1", [{**OPENSSL_FINDING, "package_version": "v1"}], None, "dpkg", id="bad-version"),
        pytest.param("app:v1", [{**OPENSSL_FINDING, "cvss3_score": 11}], None, "cvss3_score", id="bad-score"),
        pytest.param("app:v1", [OPENSSL_FINDING], "FAILED", "only reported with", id="findings-of-a-failure"),
        pytest.param("app:v1", [], "DONE", "not one of", id="unknown-status"),
    ],
)
def test_set_findings_refuses_what_ecr_cannot_report(
    fake_ecr: FakeEcr, reference: str, findings: list[dict[str, Any]], status: str | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        fake_ecr.set_findings(reference, findings, status=status)


def test_findings_pages(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    severities = ["LOW", "CRITICAL", "LOW", "HIGH", "LOW"]
    fake_ecr.set_findings(
        f"{REPO}:v1",
        [{**OPENSSL_FINDING, "name": f"CVE-2024-{n:04}", "severity": s} for n, s in enumerate(severities)],
    )
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    first = scan_of(ecr, {"imageTag": "v1"}, maxResults=2)
    assert len(first["imageScanFindings"]["findings"]) == 2
    assert first["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 1, "LOW": 3}
    second = scan_of(ecr, {"imageTag": "v1"}, maxResults=2, nextToken=first["nextToken"])
    assert second["imageScanStatus"]["status"] == "COMPLETE"
    paginator = ecr.get_paginator("describe_image_scan_findings")
    everything = paginator.paginate(
        repositoryName=REPO, imageId={"imageTag": "v1"}, PaginationConfig={"PageSize": 2}
    ).build_full_result()
    names = [f["name"] for f in everything["imageScanFindings"]["findings"]]
    assert names == [f"CVE-2024-{n:04}" for n in range(5)]


# --- registry and repository scanning configuration -----------------------------------------------


def test_registry_scanning_configuration_defaults_to_basic(ecr: Any) -> None:
    response = ecr.get_registry_scanning_configuration()
    assert response["registryId"] == ACCOUNT
    assert response["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}


def test_put_registry_scanning_configuration(ecr: Any) -> None:
    rules = [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod*", "filterType": "WILDCARD"}]},
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]},
    ]
    response = ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=rules)
    assert response["registryScanningConfiguration"] == {"scanType": "ENHANCED", "rules": rules}
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {
        "scanType": "ENHANCED",
        "rules": rules,
    }
    ecr.put_registry_scanning_configuration()  # scanType's documented default is BASIC
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}


@pytest.mark.parametrize(
    ("scan_type", "scan_frequency"),
    [
        pytest.param("BASIC", "CONTINUOUS_SCAN", id="basic-continuous"),
        pytest.param("BASIC", "MANUAL", id="basic-manual"),
        pytest.param("ENHANCED", "MANUAL", id="enhanced-manual"),
    ],
)
def test_scan_frequency_the_scan_type_does_not_support(ecr: Any, scan_type: str, scan_frequency: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        set_registry_scanning(ecr, scan_type, (scan_frequency, ["*"]))
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert f"{scan_frequency} is not supported for scan type {scan_type}" in message
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}


@pytest.mark.parametrize(
    ("scan_type", "rules", "scan_on_push", "expected"),
    [
        pytest.param("BASIC", [], False, ("MANUAL", False, []), id="default-manual"),
        pytest.param("BASIC", [], True, ("SCAN_ON_PUSH", True, []), id="repository-scan-on-push"),
        pytest.param("BASIC", [("SCAN_ON_PUSH", ["ap*", "other"])], False, ("SCAN_ON_PUSH", True, ["ap*"]), id="rule"),
        pytest.param("BASIC", [("SCAN_ON_PUSH", ["other"])], False, ("MANUAL", False, []), id="rule-misses"),
        pytest.param(
            "ENHANCED",
            [("SCAN_ON_PUSH", ["app"]), ("CONTINUOUS_SCAN", ["a*"])],
            False,
            ("CONTINUOUS_SCAN", False, ["a*"]),
            id="continuous-wins",
        ),
        pytest.param("ENHANCED", [], False, ("CONTINUOUS_SCAN", False, []), id="enhanced-without-rules"),
        pytest.param(
            "ENHANCED", [("SCAN_ON_PUSH", ["other"])], True, ("MANUAL", False, []), id="enhanced-ignores-repository"
        ),
    ],
)
def test_repository_scanning_configuration(
    ecr: Any,
    scan_type: str,
    rules: list[tuple[str, list[str]]],
    scan_on_push: bool,
    expected: tuple[str, bool, list[str]],
) -> None:
    set_registry_scanning(ecr, scan_type, *rules)
    ecr.create_repository(repositoryName=REPO, imageScanningConfiguration={"scanOnPush": scan_on_push})
    response = ecr.batch_get_repository_scanning_configuration(repositoryNames=[REPO])
    frequency, on_push, filters = expected
    assert response["scanningConfigurations"] == [
        {
            "repositoryArn": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{REPO}",
            "repositoryName": REPO,
            "scanOnPush": on_push,
            "scanFrequency": frequency,
            "appliedScanFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters],
        }
    ]
    assert response["failures"] == []


def test_repository_scanning_configuration_of_a_missing_repository(ecr: Any, repo: str) -> None:
    response = ecr.batch_get_repository_scanning_configuration(repositoryNames=[REPO, "missing"])
    assert [c["repositoryName"] for c in response["scanningConfigurations"]] == [REPO]
    assert response["failures"] == [
        {
            "repositoryName": "missing",
            "failureCode": "REPOSITORY_NOT_FOUND",
            "failureReason": f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
        }
    ]


# --- enhanced scanning ----------------------------------------------------------------------------


@pytest.mark.fake_ecr(scan_delay=30)
def test_enhanced_continuous_scan_on_push(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    set_registry_scanning(ecr, "ENHANCED", ("CONTINUOUS_SCAN", ["app"]))
    fake_ecr.clock.set(START)
    digest = fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    pending = scan_of(ecr, {"imageTag": "v1"})
    assert pending["imageScanStatus"] == {"status": "PENDING", "description": "Pending start of the image scan."}
    assert pending["imageScanFindings"] == {"findings": [], "enhancedFindings": []}
    fake_ecr.clock.advance(seconds=30)
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert scan["imageScanStatus"] == {"status": "ACTIVE", "description": "Continuous scan is selected for image."}
    findings = scan["imageScanFindings"]
    assert findings["findings"] == []
    assert findings["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 1, "LOW": 1}
    enhanced = findings["enhancedFindings"]
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in enhanced] == [
        name for name, *_ in DEBIAN_12_FINDINGS
    ]
    zlib = enhanced[0]
    assert zlib["title"] == "CVE-2099-0001 - zlib1g"
    assert zlib["status"] == "ACTIVE"
    assert zlib["firstObservedAt"].timestamp() == START.timestamp() + 30
    (resource,) = zlib["resources"]
    assert resource["id"] == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{REPO}/{digest}"
    image = resource["details"]["awsEcrContainerImage"]
    assert (image["imageHash"], image["imageTags"], image["architecture"], image["platform"]) == (
        digest,
        ["v1"],
        "amd64",
        "DEBIAN_12",
    )
    (package,) = zlib["packageVulnerabilityDetails"]["vulnerablePackages"]
    assert (package["name"], package["epoch"], package["version"], package["release"]) == (
        "zlib1g",
        1,
        "1.2.13.dfsg",
        "1",
    )
    assert package["sourceLayerHash"] == DEBIAN_12.layers[0].digest
    # The waiter only knows COMPLETE: continuous scanning keeps it polling (docs/behaviour/api.md#waiters).
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        ecr.get_waiter("image_scan_complete").wait(
            repositoryName=REPO, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 0, "MaxAttempts": 2}
        )


def test_enhanced_scan_on_push(ecr: Any, fake_ecr: FakeEcr) -> None:
    set_registry_scanning(ecr, "ENHANCED", ("SCAN_ON_PUSH", ["app"]))
    ecr.create_repository(repositoryName=REPO)
    ecr.create_repository(repositoryName="other")
    fake_ecr.push(f"{REPO}:v1", DEBIAN_12)
    fake_ecr.push("other:v1", DEBIAN_12)
    scan = scan_of(ecr, {"imageTag": "v1"})
    assert scan["imageScanStatus"] == {"status": "COMPLETE", "description": COMPLETE_TEXT}
    assert len(scan["imageScanFindings"]["enhancedFindings"]) == 3
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageTag": "v1"}, "other")
    assert error_of(excinfo)[0] == "ScanNotFoundException"


def test_turning_enhanced_scanning_on_scans_recent_images(ecr: Any, fake_ecr: FakeEcr, repo: str) -> None:
    fake_ecr.clock.set(START)
    fake_ecr.push(f"{REPO}:old", SCRATCH)
    fake_ecr.clock.advance(days=31)
    fake_ecr.push(f"{REPO}:recent", DEBIAN_12)
    set_registry_scanning(ecr, "ENHANCED")
    assert status_of(ecr, {"imageTag": "recent"}) == "ACTIVE"
    # Inspector takes up images pushed in the last 30 days only (docs/behaviour/scanning.md#scan-types).
    assert scan_of(ecr, {"imageTag": "old"})["imageScanStatus"] == {"status": "SCAN_ELIGIBILITY_EXPIRED"}


def test_scans_of_the_other_scan_type_are_not_shown(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    set_registry_scanning(ecr, "ENHANCED", ("SCAN_ON_PUSH", ["other"]))
    with pytest.raises(ClientError) as excinfo:
        scan_of(ecr, {"imageTag": "v1"})
    assert error_of(excinfo)[0] == "ScanNotFoundException"
    set_registry_scanning(ecr, "BASIC")
    assert status_of(ecr, {"imageTag": "v1"}) == "COMPLETE"


# --- DescribeImages -----------------------------------------------------------------------------------


def detail(ecr: Any) -> dict[str, Any]:
    (image_detail,) = ecr.describe_images(repositoryName=REPO)["imageDetails"]
    return dict(image_detail)


def test_describe_images_shows_scans_of_clair_basic_scanning(ecr: Any, fake_ecr: FakeEcr, debian: str) -> None:
    ecr.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value="CLAIR")
    fake_ecr.clock.set(START)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    found = detail(ecr)
    assert found["imageScanStatus"] == {"status": "COMPLETE", "description": COMPLETE_TEXT}
    assert found["imageScanFindingsSummary"] == {
        "imageScanCompletedAt": START,
        "vulnerabilitySourceUpdatedAt": START,
        "findingSeverityCounts": {"CRITICAL": 1, "HIGH": 1, "LOW": 1},
    }


@pytest.mark.parametrize(
    ("version", "scan_type"),
    [pytest.param("AWS_NATIVE", "BASIC", id="aws-native-basic"), pytest.param("CLAIR", "ENHANCED", id="enhanced")],
)
def test_describe_images_leaves_scans_out(
    ecr: Any, fake_ecr: FakeEcr, debian: str, version: str, scan_type: str
) -> None:
    ecr.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value=version)
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    set_registry_scanning(ecr, scan_type)
    assert status_of(ecr, {"imageTag": "v1"}) in ("COMPLETE", "ACTIVE")
    found = detail(ecr)
    assert "imageScanStatus" not in found
    assert "imageScanFindingsSummary" not in found
