"""Image scanning's state machine: when scans start, what they report, and when they finish.

Owns (docs/behaviour/scanning.md#image-scanning): the effective scan frequency of a repository (registry rules with
docs/behaviour/scanning.md#registry-scanning-configuration's filter matching, the repository's own ``scanOnPush``);
starting scans (StartImageScan, scan on push through ``Backend.push_listeners``, continuous scans when a registry turns
to ENHANCED); the 24-hour quota per image; finishing a scan ``Settings.scan_delay`` seconds after its start on the
fake's clock, checked whenever a scan is read (``complete_scans`` finishes them at once); the result:
findings a test set for a digest or tag, else IMAGE_SIZE_EXCEEDED for an image over
``Settings.scan_size_limit``, else the image's layers read with ``fake_ecr.scanning.packages`` and
matched against the vulnerability table; statuses are those of the installed botocore's model.  The
scan itself is a field of the image's record (``ImageRecord.image_scan``), so it goes away with the image.

One ``ScanEngine`` per ``Backend`` (``engine_for``), holding only the settings, the clock and the
findings tests set; a fresh backend gets a fresh engine.

Must not import ``fake_ecr.api``, ``fake_ecr.registry``, werkzeug or botocore (the model's ScanStatus
enum comes through ``fake_ecr.formats.service_model``).
"""

from __future__ import annotations

import functools
import io
import json
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, TypeAlias, cast

from fake_ecr import errors
from fake_ecr.formats.control_api import split_reference
from fake_ecr.formats.manifests import (
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    IMAGE_CONFIG_TYPES,
    IMAGE_MANIFEST_TYPES,
    parse_manifest,
)
from fake_ecr.formats.service_model import service_model
from fake_ecr.formats.streams import ChunkReader
from fake_ecr.model import Backend, ImageId, ImageRecord, ImageView, Registry, RegistrySettings, RepositoryRecord
from fake_ecr.model.clock import Clock
from fake_ecr.model.records import ImageScan, partition_of, wildcard_matches
from fake_ecr.model.registry import PutImageResult
from fake_ecr.scanning.packages import InstalledPackage, LayerNotReadable, LayerOpener, read_installed_packages
from fake_ecr.scanning.versions import ECOSYSTEMS, split_version
from fake_ecr.scanning.vulnerabilities import (
    SEVERITIES,
    AffectedRange,
    Cvss,
    Finding,
    FindingContext,
    Vulnerability,
    load_example_table,
    load_vulnerability_table,
    match_findings,
)
from fake_ecr.settings import Settings

BASIC, ENHANCED = "BASIC", "ENHANCED"
MANUAL, SCAN_ON_PUSH, CONTINUOUS_SCAN = "MANUAL", "SCAN_ON_PUSH", "CONTINUOUS_SCAN"
#: The scan frequencies each scan type accepts in registry rules
#: (docs/behaviour/scanning.md#registry-scanning-configuration).
SUPPORTED_FREQUENCIES = {BASIC: (SCAN_ON_PUSH,), ENHANCED: (SCAN_ON_PUSH, CONTINUOUS_SCAN)}
#: When rules of both frequencies match a repository, continuous scanning wins
#: (docs/behaviour/scanning.md#scanning-operations, docs/behaviour/scanning.md#scan-types).
_FREQUENCY_PRECEDENCE = (CONTINUOUS_SCAN, SCAN_ON_PUSH)

#: The ScanStatus enum of the installed botocore's ECR model: what a scan may report.
SCAN_STATUSES: tuple[str, ...] = tuple(service_model().shape_for("ScanStatus").enum)
#: The status of a scan of an image larger than ``Settings.scan_size_limit``: IMAGE_SIZE_EXCEEDED where
#: the installed model has it (botocore 1.44.8 does, 1.43.11 did not); with an older model such a scan
#: ends FAILED, the status of a scan that could not be done, with the same description (fake-ecr's choice).
SIZE_EXCEEDED_STATUS = "IMAGE_SIZE_EXCEEDED" if "IMAGE_SIZE_EXCEEDED" in SCAN_STATUSES else "FAILED"
#: UNCONFIRMED: ECR's description of that status is not documented.
SIZE_EXCEEDED_DESCRIPTION = "The image exceeds the maximum image size supported for scanning."
#: The statuses a scan reports findings with: a finished basic or enhanced scan
#: (docs/behaviour/scanning.md#scan-statuses).
FINDING_STATUSES = frozenset({"COMPLETE", "ACTIVE"})
#: ECR's description of an image its scanner cannot read (docs/behaviour/errors.md#messages #32,
#: aws-observability/aws-otel-collector#2193).
UNSUPPORTED_DESCRIPTION = "UnsupportedImageError: The operating system and/or package manager are not supported."
#: The description each status has by default; ``None``: ECR's text is not known, none is shown.
STATUS_DESCRIPTIONS: Mapping[str, str | None] = {
    **dict.fromkeys(SCAN_STATUSES),
    "COMPLETE": "The scan was completed successfully.",  # docs/behaviour/errors.md#messages #32
    "ACTIVE": "Continuous scan is selected for image.",  # docs/behaviour/errors.md#messages #32, aws/aws-cli#6759
    # An enhanced scan waiting to start (a capture in alexjurkiewicz/ecr-scan-image#51).
    "PENDING": "Pending start of the image scan.",
    "FAILED": UNSUPPORTED_DESCRIPTION,
    "UNSUPPORTED_IMAGE": UNSUPPORTED_DESCRIPTION,
    "IMAGE_SIZE_EXCEEDED": SIZE_EXCEEDED_DESCRIPTION,
}
#: The status of a scan that found no OS packages, per basic scan engine (account setting
#: BASIC_SCAN_TYPE_VERSION, docs/behaviour/cross-repository.md#account-settings) or enhanced scanning.  Clair's FAILED
#: is confirmed (docs/behaviour/scanning.md#scan-statuses, aws-observability/aws-otel-collector#2193); UNSUPPORTED_IMAGE
#: for AWS_NATIVE and Inspector is UNCONFIRMED (docs/behaviour/scanning.md#scan-statuses,
#: docs/behaviour/index.md#unconfirmed #8: the enum value exists for "image/OS not supported").
_UNSUPPORTED_STATUS = {"CLAIR": "FAILED", "AWS_NATIVE": "UNSUPPORTED_IMAGE", ENHANCED: "UNSUPPORTED_IMAGE"}

#: One basic scan per image per 24 hours, the scan on push included (docs/behaviour/scanning.md#scanning-operations
#: StartImageScan).
SCAN_QUOTA_SECONDS = 24 * 3600
# docs/behaviour/errors.md#messages #11
SCAN_QUOTA_TEXT = "The scan quota per image has been exceeded. Wait and try again."
#: UNCONFIRMED (docs/behaviour/scanning.md#scanning-operations): StartImageScan under enhanced scanning answers
#: ValidationException; the text is the one a user got from StartImageScan in alexjurkiewicz/ecr-scan-image#44.
MANUAL_SCAN_DISABLED_TEXT = "This feature is disabled"
#: Inspector only takes up images pushed in the last 30 days when enhanced scanning is turned on;
#: older ones show SCAN_ELIGIBILITY_EXPIRED (docs/behaviour/scanning.md#scan-types, UG image-scanning-troubleshooting).
ENHANCED_ELIGIBILITY_SECONDS = 30 * 86400


# --- repository scanning configuration ------------------------------------------------------------


def filter_matches(repository_filter: str, repository_name: str) -> bool:
    """docs/behaviour/scanning.md#registry-scanning-configuration: a filter without ``*`` matches names containing it;
    with ``*`` it is an anchored glob, ECR's wildcard matching (``wildcard_matches``)."""
    if "*" in repository_filter:
        return wildcard_matches(repository_filter, repository_name)
    return repository_filter in repository_name


@dataclass(frozen=True)
class RepositoryScanning:
    """How a repository's images are scanned (RepositoryScanningConfiguration,
    docs/behaviour/scanning.md#scanning-operations)."""

    scan_frequency: str
    #: The registry rules' filters that gave the frequency.
    applied_filters: tuple[str, ...]


def repository_scanning(settings: RegistrySettings, repository: RepositoryRecord) -> RepositoryScanning:
    """The effective scanning of ``repository`` under the registry's scanning configuration."""
    if settings.scan_type == ENHANCED and not settings.scanning_rules:
        # ENHANCED with no rules scans every repository continuously
        # (docs/behaviour/scanning.md#registry-scanning-configuration); no filter applied (UNCONFIRMED what
        # appliedScanFilters shows then).
        return RepositoryScanning(CONTINUOUS_SCAN, ())
    name = repository.repository_name
    for frequency in _FREQUENCY_PRECEDENCE:
        matched = tuple(
            repository_filter
            for rule in settings.scanning_rules
            if rule.scan_frequency == frequency
            for repository_filter in rule.repository_filters
            if filter_matches(repository_filter, name)
        )
        if matched:
            return RepositoryScanning(frequency, matched)
    if settings.scan_type == BASIC and repository.scan_on_push:
        # The repository's own (legacy) scanOnPush still scans on push under basic scanning
        # (docs/behaviour/scanning.md#scan-types); enhanced scanning follows its rules only (UNCONFIRMED).
        return RepositoryScanning(SCAN_ON_PUSH, ())
    return RepositoryScanning(MANUAL, ())


def basic_scan_version(settings: RegistrySettings) -> str:
    """The basic scan engine: ``AWS_NATIVE`` (the default) or the legacy ``CLAIR``
    (docs/behaviour/scanning.md#scan-types, docs/behaviour/cross-repository.md#account-settings)."""
    return settings.account_setting("BASIC_SCAN_TYPE_VERSION") or "AWS_NATIVE"


# --- findings a test sets -----------------------------------------------------------------------

#: Keys of a finding given as a dict to ``set_findings``; the first four are required.
FINDING_KEYS = (
    "name",
    "severity",
    "package_name",
    "package_version",
    "ecosystem",
    "description",
    "uri",
    "fixed_in_version",
    "source",
    "cvss2_score",
    "cvss2_vector",
    "cvss3_score",
    "cvss3_vector",
)


def _name(entry: Mapping[str, object]) -> str:
    return repr(entry.get("name"))


def _optional_text(entry: Mapping[str, object], key: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"finding {_name(entry)}: {key} must be a string")
    return value


def _text(entry: Mapping[str, object], key: str) -> str:
    value = _optional_text(entry, key)
    if not value:
        raise ValueError(f"finding {_name(entry)}: {key} must be a non-empty string")
    return value


def _choice(entry: Mapping[str, object], key: str, choices: Collection[str], default: str | None = None) -> str:
    value = _optional_text(entry, key) or default
    if value is None or value not in choices:
        raise ValueError(f"finding {_name(entry)}: {key} must be one of {', '.join(sorted(choices))}")
    return value


def _cvss(entry: Mapping[str, object], version: str) -> Cvss | None:
    score, vector = entry.get(f"cvss{version}_score"), entry.get(f"cvss{version}_vector")
    if score is None and vector is None:
        return None
    if not isinstance(score, int | float) or isinstance(score, bool) or not 0 <= score <= 10:
        raise ValueError(f"finding {_name(entry)}: cvss{version}_score must be a number from 0 to 10")
    if not isinstance(vector, str) or (version == "3") != vector.startswith("CVSS:3."):
        raise ValueError(f"finding {_name(entry)}: cvss{version}_vector must be a CVSS v{version} base vector")
    # v2 vectors carry no version; v3 vectors start "CVSS:3.x/".
    return Cvss("2.0" if version == "2" else vector.split("/")[0].removeprefix("CVSS:"), vector, float(score))


def _version(entry: Mapping[str, object], key: str, ecosystem: str) -> str | None:
    version = _optional_text(entry, key)
    if version is not None:
        try:
            split_version(ecosystem, version)
        except ValueError as error:
            raise ValueError(f"finding {_name(entry)}: {key}: {error}") from None
    return version


def finding_from_dict(entry: Mapping[str, object]) -> Finding:
    """A finding given as a dict (keys: ``FINDING_KEYS``); ``ValueError`` says what is wrong.

    ``ecosystem`` (``dpkg`` by default, or ``apk``) says how ``package_version`` and
    ``fixed_in_version`` are spelled; ``description`` defaults to empty, ``source`` to ``NVD``.
    """
    unknown = sorted(set(entry) - set(FINDING_KEYS))
    if unknown:
        raise ValueError(f"finding {_name(entry)}: unknown keys {unknown}; the keys are {', '.join(FINDING_KEYS)}")
    ecosystem = _choice(entry, "ecosystem", ECOSYSTEMS, "dpkg")
    package_name, package_version = _text(entry, "package_name"), _version(entry, "package_version", ecosystem)
    if package_version is None:
        raise ValueError(f"finding {_name(entry)}: package_version must be a non-empty string")
    fixed = _version(entry, "fixed_in_version", ecosystem)
    vulnerability = Vulnerability(
        cve=_text(entry, "name"),
        package=package_name,
        ecosystem=ecosystem,
        os_id=None,
        os_version_id=None,
        affected=(AffectedRange(None, fixed),),
        severity=_choice(entry, "severity", SEVERITIES),
        cvss_v3=_cvss(entry, "3"),
        cvss_v2=_cvss(entry, "2"),
        description=_optional_text(entry, "description") or "",
        uri=_optional_text(entry, "uri"),
        source=_optional_text(entry, "source") or "NVD",
        exploit_available=False,
    )
    package = InstalledPackage(package_name, package_version, None, ecosystem, None, None)
    return Finding(vulnerability, (package,), fixed, None)


@dataclass(frozen=True)
class ScanResult:
    """What a test says scans of one image report: ``None`` status = what a successful scan reports."""

    findings: tuple[Finding, ...]
    status: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in SCAN_STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {SCAN_STATUSES}")
        if self.findings and self.status is not None and self.status not in FINDING_STATUSES:
            raise ValueError(f"findings are only reported with status {' or '.join(sorted(FINDING_STATUSES))}")


def parse_reference(reference: str) -> tuple[str, ImageId]:
    """``repo:tag`` or ``repo@sha256:...`` -> (repository name, image id)."""
    name, tag, digest = split_reference(reference)
    return name, ImageId(image_digest=digest, image_tag=tag)


# --- reading layers ---------------------------------------------------------------------------------


def _layer_opener(registry: Registry, repository_name: str, digest: str) -> LayerOpener:
    def open_layer() -> BinaryIO:
        blob = registry.open_blob(repository_name, digest)
        if blob is None:
            raise LayerNotReadable(digest, "the registry no longer holds the blob")
        return io.BufferedReader(ChunkReader(blob.read()))

    return open_layer


def _layer_digests(image: ImageRecord) -> list[str]:
    """The image's layer digests, bottom layer first."""
    layers = [layer.digest for layer in parse_manifest(image.image_manifest, image.image_manifest_media_type).layers]
    # Schema 1 lists fsLayers top layer first.
    schema1 = image.image_manifest_media_type in (DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED)
    return layers[::-1] if schema1 else layers


def scannable(image: ImageRecord) -> bool:
    """An image manifest of a container image: not an index, not an artifact
    (docs/behaviour/scanning.md#scan-statuses)."""
    if image.image_manifest_media_type not in IMAGE_MANIFEST_TYPES:
        return False
    # Schema 1 has no config blob; other images need an image config rather than an artifact's.
    return image.artifact_media_type is None or image.artifact_media_type in IMAGE_CONFIG_TYPES


# --- the engine ---------------------------------------------------------------------------------------

_ENGINES: weakref.WeakKeyDictionary[Backend, ScanEngine] = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def engine_for(backend: Backend, settings: Settings) -> ScanEngine:
    """The scan engine of ``backend``: made and hooked to its pushes on first use."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(backend)
        if engine is None:
            engine = _ENGINES[backend] = ScanEngine(settings, backend.clock)
            backend.push_listeners.append(engine.pushed)
        return engine


def scan_findings(scan: ImageScan) -> tuple[Finding, ...]:
    """A scan's findings: the engine stores ``Finding`` objects in the model's opaque field."""
    return cast("tuple[Finding, ...]", scan.findings)


class ScanEngine:
    """Starts, finishes and reports the scans of one backend's images."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        #: (registry id, region, repository name, image id) -> what a test says scans report.
        self._results: dict[tuple[str, str, str, ImageId], ScanResult] = {}

    @functools.cached_property
    def vulnerability_table(self) -> tuple[Vulnerability, ...]:
        """``Settings.vulnerability_table``, or the example table shipped with fake-ecr."""
        path = self._settings.vulnerability_table
        return load_vulnerability_table(Path(path).read_bytes()) if path else load_example_table()

    # --- starting scans ---------------------------------------------------------------------

    def _new_scan(self, settings: RegistrySettings, scan_frequency: str, now: float) -> ImageScan:
        enhanced = settings.scan_type == ENHANCED
        # A basic scan is IN_PROGRESS at once (docs/behaviour/scanning.md#scan-statuses, CLI start-image-scan); an
        # enhanced one waits PENDING.
        status = "PENDING" if enhanced else "IN_PROGRESS"
        return ImageScan(status, now, scan_frequency, enhanced, STATUS_DESCRIPTIONS[status])

    def pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        """Push listener: scan a new (or restored) image when its repository scans on push
        (docs/behaviour/scanning.md#scan-types).

        A restored image keeps no findings from before its archiving (docs/behaviour/images.md#archive-storage-class).
        """
        if not result.image_created:
            return
        image = result.view.image
        settings = registry.settings
        frequency = repository_scanning(settings, registry.repository(repository_name)).scan_frequency
        scan = None
        if frequency != MANUAL and scannable(image):
            scan = self._new_scan(settings, frequency, self._clock.now())
        if scan is not None or image.image_scan is not None:
            registry.modify_image(repository_name, ImageId(image.image_digest), _setting(scan))

    def start_image_scan(self, registry: Registry, repository_name: str, image_id: ImageId) -> ImageView:
        """StartImageScan: a basic scan of one image, IN_PROGRESS (docs/behaviour/scanning.md#scanning-operations)."""
        settings = registry.settings
        if settings.scan_type == ENHANCED:
            raise errors.ValidationFailed(MANUAL_SCAN_DISABLED_TEXT)
        now = self._clock.now()

        def start(image: ImageRecord) -> ImageRecord:
            if image.image_status != "ACTIVE":
                raise errors.ImageArchived(image.image_digest)
            if not scannable(image):
                raise errors.UnsupportedImageType(
                    image.image_digest, image.image_manifest_media_type, image.artifact_media_type
                )
            last = image.image_scan
            if last is not None and not last.enhanced and now < last.started_at + SCAN_QUOTA_SECONDS:
                raise errors.LimitExceeded(SCAN_QUOTA_TEXT)
            return replace(image, image_scan=self._new_scan(settings, MANUAL, now))

        return registry.modify_image(repository_name, image_id, start)

    def registry_configured(self, registry: Registry) -> None:
        """After PutRegistryScanningConfiguration: enhanced continuous scanning takes up existing images.

        Images pushed in the last 30 days start a scan; older ones are SCAN_ELIGIBILITY_EXPIRED
        (docs/behaviour/scanning.md#scan-types). Images that already have an enhanced scan keep it.
        """
        settings = registry.settings
        if settings.scan_type != ENHANCED:
            return
        now = self._clock.now()
        for repository in registry.repositories():
            name = repository.repository_name
            if repository_scanning(settings, repository).scan_frequency != CONTINUOUS_SCAN:
                continue
            for view in registry.images(name):
                image = view.image
                if image.image_status != "ACTIVE" or not scannable(image):
                    continue
                if image.image_scan is not None and image.image_scan.enhanced:
                    continue
                scan = self._new_scan(settings, CONTINUOUS_SCAN, now)
                if now - image.image_pushed_at > ENHANCED_ELIGIBILITY_SECONDS:
                    scan = replace(scan, status="SCAN_ELIGIBILITY_EXPIRED", description=None, completed_at=now)
                registry.modify_image(name, ImageId(image.image_digest), _setting(scan))

    # --- finishing scans -----------------------------------------------------------------------

    def _test_result(self, registry: Registry, repository_name: str, view: ImageView) -> ScanResult | None:
        """What a test set for the image: for its digest first, then for one of its tags."""
        ids = [ImageId(image_digest=view.image.image_digest), *(ImageId(image_tag=t) for t in view.image_tags)]
        for image_id in ids:
            result = self._results.get((registry.registry_id, registry.region, repository_name, image_id))
            if result is not None:
                return result
        return None

    def _scanned(self, registry: Registry, repository_name: str, view: ImageView, scan: ImageScan) -> ScanResult:
        """What reading the image's layers finds (status ``None``: success)."""
        try:
            layers = _layer_digests(view.image)
            packages = read_installed_packages(
                [_layer_opener(registry, repository_name, digest) for digest in layers], layers
            )
        except LayerNotReadable as error:
            return ScanResult((), "FAILED", error.message)
        if not packages.packages:
            # No package database the scanner reads (FROM scratch, distroless, another OS,
            # docs/behaviour/scanning.md#scan-statuses).
            version = ENHANCED if scan.enhanced else basic_scan_version(registry.settings)
            return ScanResult((), _UNSUPPORTED_STATUS[version])
        return ScanResult(tuple(match_findings(packages, self.vulnerability_table)))

    def _finished(self, scan: ImageScan, result: ScanResult, completed_at: float) -> ImageScan:
        success = "ACTIVE" if scan.scan_frequency == CONTINUOUS_SCAN else "COMPLETE"
        status = result.status or success
        description = result.description if result.description is not None else STATUS_DESCRIPTIONS[status]
        findings = result.findings if status in FINDING_STATUSES else ()
        return replace(scan, status=status, description=description, completed_at=completed_at, findings=findings)

    def _too_large(self, view: ImageView) -> ScanResult | None:
        """SIZE_EXCEEDED_STATUS for an image over ``Settings.scan_size_limit`` (its ``imageSizeInBytes``).

        ECR documents no size limit for scanning; the setting lets a test play one without pushing
        gigabytes.  Checked before the layers are read, after what a test set for the image.
        """
        limit = self._settings.scan_size_limit
        if limit is None or view.image.image_size_in_bytes <= limit:
            return None
        return ScanResult((), SIZE_EXCEEDED_STATUS, SIZE_EXCEEDED_DESCRIPTION)

    def _complete(self, registry: Registry, repository_name: str, view: ImageView, now: float) -> ImageView:
        scan = view.image.image_scan
        assert scan is not None and scan.completed_at is None
        result = (
            self._test_result(registry, repository_name, view)
            or self._too_large(view)
            or self._scanned(registry, repository_name, view, scan)
        )
        finished = self._finished(scan, result, now)
        # Layers are read outside the lock: store the result only if the scan is still the one read.
        return registry.modify_image(repository_name, ImageId(view.image.image_digest), _setting(finished, scan))

    def _refreshed(self, registry: Registry, repository_name: str, view: ImageView) -> ImageView:
        """The image with its scan finished if ``scan_delay`` has passed since the start."""
        scan = view.image.image_scan
        if scan is None or scan.completed_at is not None:
            return view
        now = self._clock.now()
        if now < scan.started_at + self._settings.scan_delay:
            return view
        return self._complete(registry, repository_name, view, now)

    def complete_scans(self, registries: Iterable[Registry]) -> int:
        """Finish every scan still running, whatever the delay; returns how many finished."""
        now = self._clock.now()
        finished = 0
        for registry in registries:
            for repository in registry.repositories():
                for view in registry.images(repository.repository_name):
                    scan = view.image.image_scan
                    if scan is not None and scan.completed_at is None:
                        self._complete(registry, repository.repository_name, view, now)
                        finished += 1
        return finished

    # --- reading scans --------------------------------------------------------------------------

    def reported_scan(
        self, registry: Registry, repository_name: str, view: ImageView
    ) -> tuple[ImageView, ImageScan | None]:
        """The image (scan refreshed) and its scan as the registry's scan type shows it, if any.

        Scans of the other scan type are not available (UG image-scanning: switching between basic
        and enhanced scanning makes established scans unavailable); an archived image reports
        IMAGE_ARCHIVED without findings (docs/behaviour/images.md#archive-storage-class: findings from before the
        archiving are not kept).
        """
        view = self._refreshed(registry, repository_name, view)
        scan = view.image.image_scan
        if scan is None or scan.enhanced != (registry.settings.scan_type == ENHANCED):
            return view, None
        if view.image.image_status != "ACTIVE":
            scan = replace(scan, status="IMAGE_ARCHIVED", description=None, findings=())
        return view, scan

    def finding_context(
        self, registry: Registry, repository_name: str, view: ImageView, scan: ImageScan
    ) -> FindingContext:
        """The image an enhanced finding reports on, with the architecture its config names."""
        image = view.image
        config = parse_manifest(image.image_manifest, image.image_manifest_media_type).config
        blob = registry.open_blob(repository_name, config.digest) if config is not None else None
        return FindingContext(
            registry_id=registry.registry_id,
            region=registry.region,
            repository_name=repository_name,
            image_digest=image.image_digest,
            image_tags=view.image_tags,
            pushed_at=image.image_pushed_at,
            architecture=_architecture(blob.read_all()) if blob is not None else None,
            now=scan.completed_at if scan.completed_at is not None else scan.started_at,
            partition=partition_of(registry.region),
        )

    # --- what tests set ------------------------------------------------------------------------------

    def set_result(self, registry: Registry, reference: str, result: ScanResult) -> None:
        """Make scans of the image ``reference`` names report ``result``: its finished scan, and every later one."""
        repository_name, image_id = parse_reference(reference)
        self._results[(registry.registry_id, registry.region, repository_name, image_id)] = result
        try:
            view = registry.resolve_image(repository_name, image_id)
        except (errors.RepositoryNotFound, errors.ImageNotFound):
            return
        scan = view.image.image_scan
        if scan is not None and scan.completed_at is not None:
            finished = self._finished(scan, result, scan.completed_at)
            registry.modify_image(repository_name, image_id, _setting(finished, scan))

    @property
    def results(self) -> dict[tuple[str, str, str, ImageId], ScanResult]:
        """What tests set, by (registry id, region, repository name, image id): a copy (a data dir keeps it)."""
        return dict(self._results)

    def restore_results(self, results: Mapping[tuple[str, str, str, ImageId], ScanResult]) -> None:
        """Take up what tests set, as ``results`` gave it (a restarted ``serve``)."""
        self._results.update(results)

    def forget(self, registry_id: str, region: str) -> None:
        """Forget what tests set for the images of one registry (it is being emptied)."""
        for key in [key for key in self._results if key[:2] == (registry_id, region)]:
            del self._results[key]


def _architecture(config: bytes) -> str | None:
    """The ``architecture`` an image config names, if it is a JSON object that names one."""
    try:
        document = json.loads(config)
    except ValueError:
        return None
    architecture = document.get("architecture") if isinstance(document, dict) else None
    return architecture if isinstance(architecture, str) else None


def _setting(scan: ImageScan | None, replacing: ImageScan | None = None) -> Callable[[ImageRecord], ImageRecord]:
    """A ``Registry.modify_image`` change setting the image's scan; with ``replacing``, only in its place."""

    def change(image: ImageRecord) -> ImageRecord:
        if replacing is not None and image.image_scan is not replacing:
            return image
        return replace(image, image_scan=scan)

    return change


#: Findings as ``set_findings`` takes them: dicts of ``FINDING_KEYS`` or ``Finding`` objects.
FindingsSpec: TypeAlias = Sequence[Mapping[str, object] | Finding]


def as_findings(findings: FindingsSpec | None) -> tuple[Finding, ...]:
    """``set_findings``'s findings: ``Finding`` objects as they are, dicts through ``finding_from_dict``."""
    return tuple(f if isinstance(f, Finding) else finding_from_dict(f) for f in findings or ())
