"""Image scanning: StartImageScan, DescribeImageScanFindings, the registry's and repositories' scanning
configuration, and DescribeImages' scan members (docs/behaviour/scanning.md#scanning-operations,
docs/behaviour/scanning.md#image-scanning).

Owns these operations' requests and wire shapes; when scans start and finish and what they find is
``fake_ecr.scanning.engine``'s.  Registers the scan members of DescribeImages with
``fake_ecr.api.images.DETAIL_EXTENSIONS``.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fake_ecr import errors
from fake_ecr.api import render
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.images import DETAIL_EXTENSIONS
from fake_ecr.formats.service_model import paginate
from fake_ecr.model import ImageId, ImageView, Registry, RegistrySettings, ScanningRule
from fake_ecr.model.records import ImageScan
from fake_ecr.scanning.engine import (
    BASIC,
    FINDING_STATUSES,
    SUPPORTED_FREQUENCIES,
    ScanEngine,
    basic_scan_version,
    engine_for,
    repository_scanning,
    scan_findings,
)
from fake_ecr.scanning.vulnerabilities import severity_counts

#: BatchGetRepositoryScanningConfiguration's failure code for a missing repository
#: (docs/behaviour/scanning.md#scanning-operations).
REPOSITORY_NOT_FOUND = "REPOSITORY_NOT_FOUND"


def _engine(call: Call) -> ScanEngine:
    return engine_for(call.fake.backend, call.fake.settings)


def _requested(params: Params) -> ImageId:
    return ImageId(params["imageId"].get("imageDigest"), params["imageId"].get("imageTag"))


def _scan_status(scan: ImageScan) -> dict[str, str]:
    """The ImageScanStatus shape."""
    wire = {"status": scan.status}
    if scan.description is not None:
        wire["description"] = scan.description
    return wire


def _scan_summary(scan: ImageScan) -> dict[str, Any]:
    """The members ImageScanFindings and ImageScanFindingsSummary share (docs/behaviour/scanning.md#findings).

    vulnerabilitySourceUpdatedAt is the scan's start: the findings are as of the data it started
    with (UNCONFIRMED; ECR's examples show a time before the completion).
    """
    return {
        "imageScanCompletedAt": scan.completed_at,
        "vulnerabilitySourceUpdatedAt": scan.started_at,
        "findingSeverityCounts": severity_counts(scan_findings(scan), enhanced=scan.enhanced),
    }


def _rule(rule: ScanningRule) -> dict[str, Any]:
    return {"scanFrequency": rule.scan_frequency, "repositoryFilters": _filters(rule.repository_filters)}


def _filters(repository_filters: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"filter": repository_filter, "filterType": "WILDCARD"} for repository_filter in repository_filters]


def _scanning_configuration(settings: RegistrySettings) -> dict[str, Any]:
    """The RegistryScanningConfiguration shape."""
    return {"scanType": settings.scan_type, "rules": [_rule(rule) for rule in settings.scanning_rules]}


@operation("StartImageScan")
def start_image_scan(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name, requested = params["repositoryName"], _requested(params)
    view = _engine(call).start_image_scan(registry, name, requested)
    assert view.image.image_scan is not None
    return {
        "registryId": registry.registry_id,
        "repositoryName": name,
        "imageId": render.image_id(ImageId(view.image.image_digest, requested.image_tag)),
        "imageScanStatus": _scan_status(view.image.image_scan),
    }


def _findings_page(
    call: Call, params: Params, registry: Registry, view: ImageView, scan: ImageScan
) -> tuple[dict[str, Any] | None, str | None]:
    """ImageScanFindings, one page of its findings, and the next page's token (docs/behaviour/scanning.md#findings).

    Basic scanning shows findings only once a scan has them (a FAILED scan shows none, docs/behaviour/errors.md#messages
    #32's capture); enhanced scanning always carries both lists, ``findings`` empty
    (docs/behaviour/scanning.md#findings, aws/aws-cli#6759; a PENDING capture in alexjurkiewicz/ecr-scan-image#51).
    """
    findings = scan_findings(scan)
    if scan.enhanced:
        context = _engine(call).finding_context(registry, params["repositoryName"], view, scan)
        page, next_token = paginate("DescribeImageScanFindings", params, findings)
        wire: dict[str, Any] = {"findings": [], "enhancedFindings": [f.enhanced_finding(context) for f in page]}
    elif scan.status in FINDING_STATUSES:
        page, next_token = paginate("DescribeImageScanFindings", params, findings)
        wire = {"findings": [f.basic_finding() for f in page]}
    else:
        return None, None
    if scan.status in FINDING_STATUSES:
        wire.update(_scan_summary(scan))
    return wire, next_token


@operation("DescribeImageScanFindings")
def describe_image_scan_findings(call: Call, params: Params) -> Response:
    registry = call.registry(params)
    name, requested = params["repositoryName"], _requested(params)
    view, scan = _engine(call).reported_scan(registry, name, registry.resolve_image(name, requested))
    if scan is None:
        raise errors.ScanNotFound(registry.registry_id, name, requested.image_digest, requested.image_tag)
    response: Response = {
        "registryId": registry.registry_id,
        "repositoryName": name,
        "imageId": render.image_id(ImageId(view.image.image_digest, requested.image_tag)),
        "imageScanStatus": _scan_status(scan),
    }
    findings, next_token = _findings_page(call, params, registry, view, scan)
    if findings is not None:
        response["imageScanFindings"] = findings
    if next_token is not None:
        response["nextToken"] = next_token
    return response


@operation("PutRegistryScanningConfiguration")
def put_registry_scanning_configuration(call: Call, params: Params) -> Response:
    # An omitted scanType is the documented default, BASIC (docs/behaviour/scanning.md#scanning-operations).
    scan_type = params.get("scanType", BASIC)
    rules = tuple(
        ScanningRule(rule["scanFrequency"], tuple(f["filter"] for f in rule["repositoryFilters"]))
        for rule in params.get("rules", [])
    )
    supported = SUPPORTED_FREQUENCIES[scan_type]
    for rule in rules:
        if rule.scan_frequency not in supported:
            # BASIC takes SCAN_ON_PUSH rules only, ENHANCED also CONTINUOUS_SCAN
            # (docs/behaviour/scanning.md#registry-scanning-configuration).  UNCONFIRMED: ValidationException (the model
            # lists it beside InvalidParameterException) and the wording.
            raise errors.ValidationFailed(
                f"Scan frequency {rule.scan_frequency} is not supported for scan type {scan_type}; "
                f"supported scan frequencies: {', '.join(supported)}"
            )
    registry = call.own_registry
    _, settings = registry.modify_settings(lambda old: replace(old, scan_type=scan_type, scanning_rules=rules))
    _engine(call).registry_configured(registry)
    return {"registryScanningConfiguration": _scanning_configuration(settings)}


@operation("GetRegistryScanningConfiguration")
def get_registry_scanning_configuration(call: Call, params: Params) -> Response:
    registry = call.own_registry
    return {"registryId": registry.registry_id, "scanningConfiguration": _scanning_configuration(registry.settings)}


@operation("BatchGetRepositoryScanningConfiguration")
def batch_get_repository_scanning_configuration(call: Call, params: Params) -> Response:
    registry = call.own_registry
    settings = registry.settings
    configurations, failures = [], []
    for name in dict.fromkeys(params["repositoryNames"]):
        try:
            repository = registry.repository(name)
        except errors.RepositoryNotFound as error:
            # A per-name failure, not an exception (docs/behaviour/scanning.md#scanning-operations); UNCONFIRMED reason
            # text: docs/behaviour/errors.md#messages #1's message.
            failures.append(
                {"repositoryName": name, "failureCode": REPOSITORY_NOT_FOUND, "failureReason": error.message}
            )
            continue
        scanning = repository_scanning(settings, repository)
        configurations.append(
            {
                "repositoryArn": repository.repository_arn,
                "repositoryName": name,
                # UNCONFIRMED: true exactly when the effective frequency is SCAN_ON_PUSH.
                "scanOnPush": scanning.scan_frequency == "SCAN_ON_PUSH",
                "scanFrequency": scanning.scan_frequency,
                "appliedScanFilters": _filters(scanning.applied_filters),
            }
        )
    return {"scanningConfigurations": configurations, "failures": failures}


def _image_scan_detail(call: Call, registry_id: str, repository_name: str, view: ImageView) -> dict[str, Any]:
    """DescribeImages' imageScanStatus and imageScanFindingsSummary.

    Only legacy (Clair) basic scanning fills them; AWS_NATIVE basic and enhanced scanning leave
    them out and point to DescribeImageScanFindings (docs/behaviour/images.md#image-operations DescribeImages,
    docs/behaviour/scanning.md#findings).
    """
    registry = call.registry_of(registry_id, call.caller.region)
    settings = registry.settings
    if settings.scan_type != BASIC or basic_scan_version(settings) != "CLAIR":
        return {}
    _, scan = _engine(call).reported_scan(registry, repository_name, view)
    if scan is None:
        return {}
    wire: dict[str, Any] = {"imageScanStatus": _scan_status(scan)}
    if scan.status in FINDING_STATUSES:
        wire["imageScanFindingsSummary"] = _scan_summary(scan)
    return wire


DETAIL_EXTENSIONS["scanning"] = _image_scan_detail
