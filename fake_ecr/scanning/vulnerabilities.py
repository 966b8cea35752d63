"""Scan findings: a user's vulnerability table matched against an image's OS packages.

Owns the vulnerability table format (below), its loader, the matcher, and the two wire shapes of a
finding: basic scanning's ``ImageScanFinding`` and enhanced scanning's (Amazon Inspector's)
``EnhancedImageScanFinding``, with botocore's member names (docs/behaviour/api.md#shared-structures,
docs/behaviour/scanning.md#findings).

The table is JSON, for example::

    {
      "_comment": "keys that start with '_' are comments, at any level",
      "vulnerabilities": [
        {
          "cve": "CVE-2099-0001",
          "package": "zlib",
          "ecosystem": "dpkg",
          "os": {"id": "debian", "versionId": "12"},
          "affected": [{"introduced": "0", "fixed": "1:1.2.13.dfsg-1+deb12u1"}],
          "severity": "HIGH",
          "cvss": {
            "v3": {"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "score": 7.5},
            "v2": {"vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": 5.0}
          },
          "description": "A crafted stream makes inflate() read past its window.",
          "uri": "https://security-tracker.debian.org/tracker/CVE-2099-0001",
          "source": "DEBIAN_CVE",
          "exploitAvailable": false
        }
      ]
    }

Keys of an entry:

- ``cve`` (required): the vulnerability id, the finding's ``name`` / ``vulnerabilityId``.
- ``package`` (required): a binary package name, or a source package name (dpkg ``Source``, apk
  origin ``o:``) to match every binary package built from it, as distribution advisories do.
- ``ecosystem`` (required): ``dpkg`` or ``apk``; versions compare by that package manager's rules.
- ``os`` (optional): ``{"id": ..., "versionId": ...}`` against the image's ``os-release``; without
  ``versionId`` any release matches, and ``"3.19"`` also matches ``VERSION_ID=3.19.1``.
- ``affected`` (required, non-empty): ranges ``{"introduced": v, "fixed": v}``; an installed version
  is affected when ``introduced <= version < fixed``.  No ``introduced`` (or ``"0"``) means every
  earlier version, no ``fixed`` means there is no fix yet; a range needs at least one of the two.
- ``severity`` (required): ECR's ``INFORMATIONAL|LOW|MEDIUM|HIGH|CRITICAL|UNDEFINED``.
- ``cvss`` (optional): ``v2`` and/or ``v3``, each ``{"vector", "score"}`` (base vectors, score 0-10).
- ``description`` (required), ``uri`` (optional).
- ``source`` (optional, default ``NVD``): Inspector's vulnerability source, e.g. ``DEBIAN_CVE``.
- ``exploitAvailable`` (optional, default ``false``).

Installed packages that one entry affects, built from the same source at the same version, make one
finding: Inspector lists them together (``CVE-2024-6119 - libssl3t64, openssl``), and basic
scanning names the source package (``package_name`` ``e2fsprogs``, ``glib2.0``; docs/behaviour/scanning.md#findings).

Must not import anything from fake_ecr but ``errors`` and ``fake_ecr.scanning``; never HTTP or
botocore (the tests check the shapes against botocore's model).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

from fake_ecr.scanning.packages import ImagePackages, InstalledPackage, OsRelease
from fake_ecr.scanning.versions import ECOSYSTEMS, compare_versions, split_version

#: ECR's FindingSeverity values, most severe first (the order findings are listed in).
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
#: Inspector names a finding without a usable score UNTRIAGED where basic scanning says UNDEFINED
#: (docs/behaviour/scanning.md#findings: enhanced severity counts can hold UNTRIAGED).
_ENHANCED_SEVERITY = {**{severity: severity for severity in SEVERITIES}, "UNDEFINED": "UNTRIAGED"}
#: Where the CVSS scores come from: Inspector reports NVD's even on a DEBIAN_CVE finding (AWS's
#: DescribeImageScanFindings "Example for enhanced image scanning").
_CVSS_SOURCE = "NVD"
_CVSS_VECTORS = {
    "v2": re.compile(r"AV:[LAN]/AC:[HML]/Au:[MSN]/C:[NPC]/I:[NPC]/A:[NPC]"),
    "v3": re.compile(r"CVSS:3\.[01]/AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[HLN]/I:[HLN]/A:[HLN]"),
}
#: Inspector's ``platform`` for an os-release ID: its prefix and how many VERSION_ID parts follow
#: (DEBIAN_12, UBUNTU_24_04 in AWS's examples; ALPINE_LINUX_3_19 UNCONFIRMED but seen in reports).
_INSPECTOR_PLATFORMS = {"debian": ("DEBIAN", 1), "ubuntu": ("UBUNTU", 2), "alpine": ("ALPINE_LINUX", 2)}
#: Inspector's vulnerability source when the table names none.
_DEFAULT_SOURCE = "NVD"
_EXAMPLE_TABLE = "example-vulnerabilities.json"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Cvss:
    """One CVSS base score of a vulnerability."""

    #: "2.0", "3.0" or "3.1" (for v3, read from the vector's ``CVSS:3.x/`` prefix).
    version: str
    vector: str
    score: float


@dataclass(frozen=True)
class AffectedRange:
    """Installed versions ``introduced <= version < fixed`` are affected."""

    #: ``None``: every version below ``fixed``.
    introduced: str | None
    #: ``None``: no fixed version yet.
    fixed: str | None


@dataclass(frozen=True)
class Vulnerability:
    """One entry of a vulnerability table."""

    cve: str
    package: str
    ecosystem: str
    os_id: str | None
    os_version_id: str | None
    affected: tuple[AffectedRange, ...]
    severity: str
    cvss_v3: Cvss | None
    cvss_v2: Cvss | None
    description: str
    uri: str | None
    source: str
    exploit_available: bool

    def applies_to(self, os_release: OsRelease | None) -> bool:
        """True when the entry's ``os`` filter admits an image of ``os_release``."""
        if self.os_id is None:
            return True
        if os_release is None or os_release.id != self.os_id:
            return False
        version_id = os_release.version_id or ""
        wanted = self.os_version_id
        return wanted is None or version_id == wanted or version_id.startswith(wanted + ".")

    def affecting_range(self, package: InstalledPackage) -> AffectedRange | None:
        """The first range the installed ``package`` lies in, when this entry is about that package."""
        if package.ecosystem != self.ecosystem or self.package not in (package.name, package.source_name):
            return None
        for affected in self.affected:
            introduced, fixed = affected.introduced, affected.fixed
            if (introduced is None or compare_versions(self.ecosystem, package.version, introduced) >= 0) and (
                fixed is None or compare_versions(self.ecosystem, package.version, fixed) < 0
            ):
                return affected
        return None


@dataclass(frozen=True)
class FindingContext:
    """The image an enhanced finding is reported on, and the time of the scan."""

    registry_id: str
    region: str
    repository_name: str
    image_digest: str
    image_tags: tuple[str, ...]
    pushed_at: float
    #: The image config's architecture ("amd64"); ``None`` when the image has no config.
    architecture: str | None
    #: Epoch seconds: first/last observed and updated time of the finding.
    now: float
    partition: str = "aws"


def _present(members: dict[str, object]) -> dict[str, object]:
    """The members that have a value: ECR leaves absent optional members out of its JSON."""
    return {name: value for name, value in members.items() if value is not None}


@dataclass(frozen=True)
class Finding:
    """One vulnerability affecting one source package, at one version, in one image."""

    vulnerability: Vulnerability
    #: The installed binary packages it affects (same source name and version), in database order.
    packages: tuple[InstalledPackage, ...]
    fixed_in_version: str | None
    os_release: OsRelease | None

    @property
    def package_name(self) -> str:
        """The source package's name (the binary's when the database names no source)."""
        return self.packages[0].source_name or self.packages[0].name

    @property
    def package_version(self) -> str:
        return self.packages[0].version

    @property
    def severity(self) -> str:
        return self.vulnerability.severity

    @property
    def enhanced_severity(self) -> str:
        return _ENHANCED_SEVERITY[self.vulnerability.severity]

    def basic_finding(self) -> dict[str, object]:
        """The finding as basic scanning reports it (``ImageScanFinding``, docs/behaviour/scanning.md#findings)."""
        cvss_v2 = self.vulnerability.cvss_v2
        # Attribute order as in AWS's and the CLI's examples; the CVSS2 pair only when scored.
        attributes = [
            {"key": "package_version", "value": self.package_version},
            {"key": "package_name", "value": self.package_name},
        ]
        if cvss_v2:
            # "5" rather than "5.0": ECR prints the score as the shortest number (wazuh/wazuh#10753).
            attributes += [
                {"key": "CVSS2_VECTOR", "value": cvss_v2.vector},
                {"key": "CVSS2_SCORE", "value": f"{cvss_v2.score:g}"},
            ]
        return _present(
            {
                "name": self.vulnerability.cve,
                "description": self.vulnerability.description,
                "uri": self.vulnerability.uri,
                "severity": self.severity,
                "attributes": attributes,
            }
        )

    def enhanced_finding(self, context: FindingContext) -> dict[str, object]:
        """The finding as enhanced scanning (Inspector) reports it (``EnhancedImageScanFinding``).

        Shaped after AWS's DescribeImageScanFindings "Example for enhanced image scanning" and
        Inspector's EventBridge example for an ECR image: remediation text "None Provided",
        ``fixedInVersion`` ``<epoch>:<version>-<release>`` or "NotAvailable", package ``arch`` in
        capitals ("AMD64") while the image's ``architecture`` stays as its config says ("amd64").
        """
        vulnerability = self.vulnerability
        scored = vulnerability.cvss_v3 or vulnerability.cvss_v2
        return _present(
            {
                "awsAccountId": context.registry_id,
                "description": vulnerability.description,
                "findingArn": (
                    f"arn:{context.partition}:inspector2:{context.region}:{context.registry_id}"
                    f":finding/{self._finding_id(context)}"
                ),
                "firstObservedAt": context.now,
                "lastObservedAt": context.now,
                "packageVulnerabilityDetails": _present(
                    {
                        "cvss": [
                            {
                                "baseScore": cvss.score,
                                "scoringVector": cvss.vector,
                                "source": _CVSS_SOURCE,
                                "version": cvss.version,
                            }
                            for cvss in (vulnerability.cvss_v3, vulnerability.cvss_v2)
                            if cvss
                        ],
                        "referenceUrls": [vulnerability.uri] if vulnerability.uri else [],
                        "relatedVulnerabilities": [],
                        "source": vulnerability.source,
                        "sourceUrl": vulnerability.uri,
                        "vulnerabilityId": vulnerability.cve,
                        "vulnerablePackages": [self._vulnerable_package(package) for package in self.packages],
                    }
                ),
                "remediation": {"recommendation": {"text": "None Provided"}},
                "resources": [self._resource(context)],
                "score": scored.score if scored else None,
                "scoreDetails": (
                    {
                        "cvss": {
                            "adjustments": [],
                            "score": scored.score,
                            "scoreSource": _CVSS_SOURCE,
                            "scoringVector": scored.vector,
                            "version": scored.version,
                        }
                    }
                    if scored
                    else None
                ),
                "severity": self.enhanced_severity,
                "status": "ACTIVE",
                "title": f"{vulnerability.cve} - {', '.join(sorted({package.name for package in self.packages}))}",
                "type": "PACKAGE_VULNERABILITY",
                "updatedAt": context.now,
                "fixAvailable": "YES" if self.fixed_in_version else "NO",
                "exploitAvailable": "YES" if vulnerability.exploit_available else "NO",
            }
        )

    def _finding_id(self, context: FindingContext) -> str:
        # Inspector's finding ids are 32 hex digits; derive them so a rescan keeps the same ARN.
        identity = (
            context.registry_id,
            context.region,
            context.repository_name,
            context.image_digest,
            self.vulnerability.cve,
            self.package_name,
            self.package_version,
        )
        return hashlib.sha256("\n".join(identity).encode()).hexdigest()[:32]

    def _vulnerable_package(self, package: InstalledPackage) -> dict[str, object]:
        installed = split_version(package.ecosystem, package.version)
        return _present(
            {
                # UNCONFIRMED for apk: Inspector's examples are dpkg/rpm ("AMD64", "X86_64").
                "arch": package.architecture.upper() if package.architecture else None,
                "epoch": installed.epoch,
                "name": package.name,
                "packageManager": "OS",
                "release": installed.release,
                "sourceLayerHash": package.layer_digest,
                "version": installed.version,
                "fixedInVersion": self._fixed_in_version_text(package.ecosystem),
            }
        )

    def _fixed_in_version_text(self, ecosystem: str) -> str:
        if self.fixed_in_version is None:
            return "NotAvailable"
        # Inspector always spells the epoch ("0:3.0.13-0ubuntu3.4"); UNCONFIRMED for apk.
        fixed = split_version(ecosystem, self.fixed_in_version)
        return f"{fixed.epoch}:{fixed.version}" + (f"-{fixed.release}" if fixed.release else "")

    def _resource(self, context: FindingContext) -> dict[str, object]:
        return {
            "details": {
                "awsEcrContainerImage": _present(
                    {
                        "architecture": context.architecture,
                        "imageHash": context.image_digest,
                        "imageTags": list(context.image_tags),
                        "platform": _inspector_platform(self.os_release),
                        "pushedAt": context.pushed_at,
                        "registry": context.registry_id,
                        "repositoryName": context.repository_name,
                    }
                )
            },
            "id": (
                f"arn:{context.partition}:ecr:{context.region}:{context.registry_id}:repository/"
                f"{context.repository_name}/{context.image_digest}"
            ),
            "tags": {},
            "type": "AWS_ECR_CONTAINER_IMAGE",
        }


def _inspector_platform(os_release: OsRelease | None) -> str | None:
    if os_release is None or os_release.version_id is None or os_release.id not in _INSPECTOR_PLATFORMS:
        return None
    prefix, version_parts = _INSPECTOR_PLATFORMS[os_release.id]
    return "_".join([prefix, *os_release.version_id.split(".")[:version_parts]])


def match_findings(image: ImagePackages, table: Sequence[Vulnerability]) -> list[Finding]:
    """The findings of ``table`` in ``image``, most severe first, then by CVE and package name."""
    findings: list[Finding] = []
    for vulnerability in table:
        if not vulnerability.applies_to(image.os_release):
            continue
        affected: dict[tuple[str, str, str | None], list[InstalledPackage]] = {}
        for package in image.packages:
            affecting = vulnerability.affecting_range(package)
            if affecting is not None:
                group = (package.source_name or package.name, package.version, affecting.fixed)
                affected.setdefault(group, []).append(package)
        findings += [
            Finding(vulnerability, tuple(packages), fixed, image.os_release)
            for (_, _, fixed), packages in affected.items()
        ]
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.vulnerability.cve, f.package_name))


def severity_counts(findings: Iterable[Finding], *, enhanced: bool = False) -> dict[str, int]:
    """``findingSeverityCounts``: findings per severity, only severities that occur
    (docs/behaviour/scanning.md#findings)."""
    counts = Counter(finding.enhanced_severity if enhanced else finding.severity for finding in findings)
    order = [_ENHANCED_SEVERITY[severity] if enhanced else severity for severity in SEVERITIES]
    return {severity: counts[severity] for severity in order if counts[severity]}


# --- the table ------------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


class _Object:
    """One JSON object of the table, read with its path so errors can say where they are."""

    def __init__(self, value: object, path: str, keys: Iterable[str]) -> None:
        if not isinstance(value, dict):
            raise _invalid(path, f"expected an object, got {_json_type(value)}")
        allowed = sorted(keys)
        unknown = [key for key in value if key not in allowed and not key.startswith("_")]
        if unknown:
            raise _invalid(path, f"unknown key {unknown[0]!r}; the keys are {', '.join(allowed)}")
        self._members: dict[str, object] = value
        self.path = path

    def _child(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _member(self, key: str, expected: type[_T] | tuple[type[_T], ...], description: str) -> _T | None:
        """Member ``key`` checked to be of the ``expected`` type; ``None`` when absent or null."""
        value = self._members.get(key)
        if value is None:
            return None
        # JSON keeps booleans and numbers apart; Python's bool is an int.
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise _invalid(self._child(key), f"expected {description}, got {_json_type(value)}")
        return value

    def _required(self, key: str, value: _T | None) -> _T:
        if value is None:
            raise _invalid(self.path, f"missing {key!r}")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._member(key, str, "a string")
        if value == "":
            raise _invalid(self._child(key), "must not be empty")
        return value

    def text(self, key: str) -> str:
        return self._required(key, self.optional_text(key))

    def choice(self, key: str, choices: Iterable[str]) -> str:
        value, allowed = self.text(key), sorted(choices)
        if value not in allowed:
            raise _invalid(self._child(key), f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def score(self, key: str) -> float:
        value = self._required(key, self._member(key, (int, float), "a number"))
        if not 0 <= value <= 10:
            raise _invalid(self._child(key), f"a CVSS score is between 0 and 10, got {value}")
        return float(value)

    def flag(self, key: str) -> bool:
        return self._member(key, bool, "true or false") is True

    def objects(self, key: str, keys: Iterable[str], *, allow_empty: bool = False) -> list[_Object]:
        items = self._required(key, self._member(key, list, "an array"))
        if not items and not allow_empty:
            raise _invalid(self._child(key), "must not be empty")
        return [_Object(item, f"{self._child(key)}[{index}]", keys) for index, item in enumerate(items)]

    def optional_object(self, key: str, keys: Iterable[str]) -> _Object | None:
        value = self._member(key, dict, "an object")
        return None if value is None else _Object(value, self._child(key), keys)

    def optional_version(self, key: str, ecosystem: str) -> str | None:
        version = self.optional_text(key)
        if version is not None:
            try:
                split_version(ecosystem, version)
            except ValueError as error:
                raise _invalid(self._child(key), str(error)) from None
        return version


def _invalid(path: str, problem: str) -> ValueError:
    return ValueError(f"vulnerability table, at {path or 'the top level'}: {problem}")


def _affected_range(entry: _Object, ecosystem: str) -> AffectedRange:
    introduced, fixed = entry.optional_version("introduced", ecosystem), entry.optional_version("fixed", ecosystem)
    if introduced is None and fixed is None:
        raise _invalid(entry.path, "give 'introduced', 'fixed' or both")
    # "0" is OSV's spelling of "from the first version on".
    return AffectedRange(None if introduced == "0" else introduced, fixed)


def _cvss(scores: _Object | None, key: str) -> Cvss | None:
    score = scores.optional_object(key, ("vector", "score")) if scores else None
    if score is None:
        return None
    vector = score.text("vector")
    if not _CVSS_VECTORS[key].fullmatch(vector):
        raise _invalid(f"{score.path}.vector", f"{vector!r} is not a CVSS {key} base vector")
    # v2 vectors carry no version; v3 vectors start "CVSS:3.x/".
    return Cvss(vector.split("/")[0].removeprefix("CVSS:") if key == "v3" else "2.0", vector, score.score("score"))


def _vulnerability(entry: _Object) -> Vulnerability:
    ecosystem = entry.choice("ecosystem", ECOSYSTEMS)
    os_filter = entry.optional_object("os", ("id", "versionId"))
    scores = entry.optional_object("cvss", ("v2", "v3"))
    return Vulnerability(
        cve=entry.text("cve"),
        package=entry.text("package"),
        ecosystem=ecosystem,
        os_id=os_filter.text("id") if os_filter else None,
        os_version_id=os_filter.optional_text("versionId") if os_filter else None,
        affected=tuple(_affected_range(r, ecosystem) for r in entry.objects("affected", ("introduced", "fixed"))),
        severity=entry.choice("severity", SEVERITIES),
        cvss_v3=_cvss(scores, "v3"),
        cvss_v2=_cvss(scores, "v2"),
        description=entry.text("description"),
        uri=entry.optional_text("uri"),
        source=entry.optional_text("source") or _DEFAULT_SOURCE,
        exploit_available=entry.flag("exploitAvailable"),
    )


_ENTRY_KEYS = (
    "cve",
    "package",
    "ecosystem",
    "os",
    "affected",
    "severity",
    "cvss",
    "description",
    "uri",
    "source",
    "exploitAvailable",
)


def parse_vulnerability_table(document: object) -> tuple[Vulnerability, ...]:
    """The entries of a decoded vulnerability table; ``ValueError`` says what is wrong and where."""
    table = _Object(document, "", ("vulnerabilities",))
    return tuple(_vulnerability(entry) for entry in table.objects("vulnerabilities", _ENTRY_KEYS, allow_empty=True))


def load_vulnerability_table(text: str | bytes) -> tuple[Vulnerability, ...]:
    """The entries of a vulnerability table given as JSON text."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"vulnerability table is not valid JSON: {error}") from None
    return parse_vulnerability_table(document)


@functools.cache
def load_example_table() -> tuple[Vulnerability, ...]:
    """The small made-up table shipped with fake-ecr for the demo (not real advisory data)."""
    return load_vulnerability_table(resources.files("fake_ecr.scanning").joinpath(_EXAMPLE_TABLE).read_text("utf-8"))
