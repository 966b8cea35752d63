"""The findings source of image scanning: packages read from layers, version order, the
vulnerability table, matching, and the basic and enhanced finding shapes (docs/behaviour/scanning.md#findings)."""

from __future__ import annotations

import bz2
import dataclasses
import functools
import gzip
import io
import json
import lzma
import re
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, BinaryIO

import botocore.session
import pytest

from fake_ecr.scanning.packages import (
    ImagePackages,
    InstalledPackage,
    LayerNotReadable,
    OsRelease,
    read_installed_packages,
)
from fake_ecr.scanning.versions import VersionParts, compare_versions, split_version
from fake_ecr.scanning.vulnerabilities import (
    Finding,
    FindingContext,
    load_example_table,
    load_vulnerability_table,
    match_findings,
    parse_vulnerability_table,
    severity_counts,
)

LAYER_1, LAYER_2, LAYER_3 = (f"sha256:{digit * 64}" for digit in "123")

# --- building layers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Symlink:
    target: str


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "plain": bytes,
}


def layer(entries: Mapping[str, bytes | str | Symlink], compression: str = "gzip") -> bytes:
    """A layer blob: a tar archive of ``entries``, compressed the way ``compression`` names."""
    blob = io.BytesIO()
    with tarfile.open(fileobj=blob, mode="w") as archive:
        for name, content in entries.items():
            member = tarfile.TarInfo(name)
            if isinstance(content, Symlink):
                member.type, member.linkname = tarfile.SYMTYPE, content.target
                archive.addfile(member)
            else:
                data = content.encode() if isinstance(content, str) else content
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))
    return COMPRESSORS[compression](blob.getvalue())


class OneWayStream(io.BytesIO):
    """A blob store's stream that cannot seek, like a socket or a pipe."""

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("seek")


def openers(*blobs: bytes) -> list[Callable[[], BinaryIO]]:
    return [functools.partial(OneWayStream, blob) for blob in blobs]


def read(*blobs: bytes, digests: tuple[str, ...] = (LAYER_1, LAYER_2, LAYER_3)) -> ImagePackages:
    return read_installed_packages(openers(*blobs), digests[: len(blobs)])


DEBIAN_OS_RELEASE = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
)
DPKG_STATUS = """\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2

Package: oldtool
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
"""
# What a later `apt-get install curl && apt-get upgrade zlib1g` leaves: the whole file rewritten.
DPKG_STATUS_LATER = """\
Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5

""" + DPKG_STATUS.replace("1:1.2.13.dfsg-1\n", "1:1.2.13.dfsg-1+deb12u1\n")

DEBIAN_BASE = layer(
    {
        "./etc/os-release": Symlink("../usr/lib/os-release"),
        "./usr/lib/os-release": DEBIAN_OS_RELEASE,
        "./var/lib/dpkg/status": DPKG_STATUS,
        "./usr/bin/env": b"\x7fELF",
    }
)

ALPINE_OS_RELEASE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'
APK_INSTALLED = """\
C:Q1zP1xcM9xAUbvYA3UpqAzyyjRgSs=
P:busybox
V:1.36.1-r15
A:x86_64
S:509709
I:962560
T:Size optimized toolbox of many common UNIX utilities
o:busybox
F:bin
R:busybox
Z:Q1e3P2H2sh7p7jg6lLy1eGAx5XILM=

C:Q1Ld2ay5fe5NY0kOkOOlR6DYyEw/E=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl

C:Q1bY1cqEvNvB3QqHm6KXE1H0f5NNo=
P:libcrypto3
V:3.1.4-r5
A:x86_64
o:openssl

C:Q1Xo1wq2QbODw1JWsC5ynqlhd4mAs=
P:ssl_client
V:1.36.1-r15
A:x86_64
o:busybox

C:Q1kQCFiGnXZrrBFIeJMHdUm3mJlO0=
P:zlib
V:1.3.1-r0
A:x86_64
o:zlib
"""
ALPINE_BASE = layer({"etc/os-release": ALPINE_OS_RELEASE, "lib/apk/db/installed": APK_INSTALLED}, "plain")


def dpkg(name: str, version: str, source: str | None, layer_digest: str | None) -> InstalledPackage:
    return InstalledPackage(name, version, "amd64", "dpkg", source, layer_digest)


def apk(name: str, version: str, origin: str, layer_digest: str | None = LAYER_1) -> InstalledPackage:
    return InstalledPackage(name, version, "x86_64", "apk", origin, layer_digest)


# --- packages ---------------------------------------------------------------------------------------


def test_debian_packages_come_from_the_last_status_file_and_keep_the_layer_that_installed_them() -> None:
    image = read(DEBIAN_BASE, layer({"var/lib/dpkg/status": DPKG_STATUS_LATER}, compression="plain"))

    assert image == ImagePackages(
        OsRelease("debian", "12"),
        (
            dpkg("curl", "7.88.1-10+deb12u5", None, LAYER_2),
            dpkg("libc6", "2.36-9+deb12u4", "glibc", LAYER_1),
            dpkg("libssl3", "3.0.11-1~deb12u2", "openssl", LAYER_1),
            dpkg("zlib1g", "1:1.2.13.dfsg-1+deb12u1", "zlib", LAYER_2),
        ),
    )


def test_alpine_packages_carry_their_origin() -> None:
    assert read(ALPINE_BASE) == ImagePackages(
        OsRelease("alpine", "3.19.1"),
        (
            apk("busybox", "1.36.1-r15", "busybox"),
            apk("musl", "1.2.4_git20230717-r4", "musl"),
            apk("libcrypto3", "3.1.4-r5", "openssl"),
            apk("ssl_client", "1.36.1-r15", "busybox"),
            apk("zlib", "1.3.1-r0", "zlib"),
        ),
    )


@pytest.mark.parametrize(
    ("later_layers", "expected"),
    [
        pytest.param(
            [{"var/lib/dpkg/.wh.status": b""}],
            [],
            id="whiteout-of-the-status-file",
        ),
        pytest.param(
            [{"var/lib/.wh.dpkg": b""}],
            [],
            id="whiteout-of-a-parent-directory",
        ),
        pytest.param(
            [{"var/lib/dpkg/.wh..wh..opq": b""}],
            [],
            id="opaque-directory",
        ),
        pytest.param(
            [{"var/lib/dpkg/.wh..wh..opq": b"", "var/lib/dpkg/status": DPKG_STATUS_LATER.split("\n\n")[0]}],
            [("curl", LAYER_2)],
            id="opaque-directory-keeps-files-of-its-own-layer",
        ),
        pytest.param(
            [{"var/lib/dpkg/.wh.status": b""}, {"var/lib/dpkg/status": DPKG_STATUS}],
            [("libc6", LAYER_3), ("libssl3", LAYER_3), ("zlib1g", LAYER_3)],
            id="reinstalled-after-a-whiteout-belongs-to-the-new-layer",
        ),
        pytest.param(
            [{"var/lib/.wh.apt": b"", "./var/lib/dpkg/.wh.available": b""}],
            [("libc6", LAYER_1), ("libssl3", LAYER_1), ("zlib1g", LAYER_1)],
            id="whiteouts-of-other-files-change-nothing",
        ),
        pytest.param(
            [{"var/lib/dpkg/status": Symlink("/nonexistent")}],
            [],
            id="status-replaced-by-a-symlink",
        ),
    ],
)
def test_whiteouts_in_later_layers(
    later_layers: list[dict[str, bytes | str | Symlink]], expected: list[tuple[str, str]]
) -> None:
    image = read(DEBIAN_BASE, *(layer(entries) for entries in later_layers))

    assert [(package.name, package.layer_digest) for package in image.packages] == expected
    assert image.os_release == OsRelease("debian", "12")


@pytest.mark.parametrize("compression", list(COMPRESSORS))
def test_every_tar_compression_reads_the_same(compression: str) -> None:
    assert read(layer({"lib/apk/db/installed": APK_INSTALLED}, compression)).packages == read(ALPINE_BASE).packages


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"etc/os-release": ALPINE_OS_RELEASE}, OsRelease("alpine", "3.19.1"), id="etc"),
        pytest.param(
            {"etc/os-release": "ID=ubuntu\n", "usr/lib/os-release": DEBIAN_OS_RELEASE},
            OsRelease("ubuntu", None),
            id="etc-wins-over-usr-lib",
        ),
        pytest.param(
            {"usr/lib/os-release": '# distribution\nID=\'debian\'  # quoted\nVERSION_ID="13"\nVERSION="13 (trixie\n'},
            OsRelease("debian", "13"),
            id="shell-quoting-and-comments",
        ),
        pytest.param({"usr/lib/os-release": 'NAME="Linux"\n'}, OsRelease("linux", None), id="id-defaults-to-linux"),
        pytest.param({"app/main.py": "print()\n"}, None, id="no-os-release"),
    ],
)
def test_os_release(files: dict[str, str], expected: OsRelease | None) -> None:
    assert read(layer(files)).os_release == expected


def test_without_layer_digests_packages_name_no_layer() -> None:
    image = read_installed_packages(openers(ALPINE_BASE))

    assert {package.layer_digest for package in image.packages} == {None}


def test_layers_and_digests_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 layers but 1 layer digests"):
        read_installed_packages(openers(ALPINE_BASE, ALPINE_BASE), [LAYER_1])


@pytest.mark.parametrize(
    ("blob", "reason"),
    [
        pytest.param(
            b"\x28\xb5\x2f\xfd" + b"\0" * 600, "zstd-compressed layers are not supported by fake-ecr's scanner"
        ),
        pytest.param(b"not a tar archive" * 64, "invalid header", id="garbage"),
        pytest.param(b"", "empty file", id="empty"),
    ],
)
def test_unreadable_layers_name_the_layer(blob: bytes, reason: str) -> None:
    with pytest.raises(LayerNotReadable) as raised:
        read(ALPINE_BASE, blob)

    assert raised.value.message == f"The layer {LAYER_2} cannot be read as a tar archive: {reason}"


def test_unreadable_layer_without_a_digest_is_named_by_position() -> None:
    with pytest.raises(LayerNotReadable, match="The layer #1 cannot be read"):
        read_installed_packages(openers(ALPINE_BASE, b"junk" * 200))


# --- versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("1.0", "1.0", 0, id="equal"),
        pytest.param("1:1.0", "2.0", 1, id="epoch-first"),
        pytest.param("0:1.0", "1.0", 0, id="epoch-0-is-no-epoch"),
        pytest.param("1.0~rc1", "1.0", -1, id="tilde-before-the-end"),
        pytest.param("1.0~~", "1.0~", -1, id="double-tilde-before-tilde"),
        pytest.param("1.0a", "1.0", 1, id="letter-after-the-end"),
        pytest.param("1.0a", "1.0+", -1, id="letters-before-other-characters"),
        pytest.param("1.0.10", "1.0.9", 1, id="digits-as-numbers"),
        pytest.param("1.0-1", "1.0-2", -1, id="revision"),
        pytest.param("1.0", "1.0-0", 0, id="no-revision-is-revision-0"),
        pytest.param("3.0.11-1~deb12u2", "3.0.11-1", -1, id="backport-below-the-release"),
        pytest.param("1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1", -1, id="stable-update"),
        pytest.param("2.36-9+deb12u4", "2.36-9+deb12u10", -1, id="numbers-inside-the-revision"),
        pytest.param("1.2-3+b1", "1.2-3", 1, id="binary-rebuild"),
    ],
)
def test_dpkg_version_order(a: str, b: str, expected: int) -> None:
    assert (compare_versions("dpkg", a, b), compare_versions("dpkg", b, a)) == (expected, -expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("1.36.1-r15", "1.36.1-r16", -1, id="build-number"),
        pytest.param("1.0", "1.0-r1", -1, id="no-build-below-r1"),
        pytest.param("1.0_alpha", "1.0_beta", -1, id="alpha-beta"),
        pytest.param("1.0_beta", "1.0_pre", -1, id="beta-pre"),
        pytest.param("1.0_pre", "1.0_rc", -1, id="pre-rc"),
        pytest.param("1.2.5_rc1", "1.2.5", -1, id="release-candidate-below-the-release"),
        pytest.param("1.2.4_git20230717-r4", "1.2.4", 1, id="git-snapshot-above-the-release"),
        pytest.param("1.0_p1", "1.0", 1, id="patch-above-the-release"),
        pytest.param("1.0_p1", "1.0.1", -1, id="patch-below-another-component"),
        pytest.param("0.1.0_alpha2", "0.1.0_alpha", 1, id="suffix-number"),
        pytest.param("3.1_p16", "3.1_p17", -1, id="patch-numbers"),
        pytest.param("1.0a", "1.0", 1, id="letter-above-none"),
        pytest.param("1.0.1", "1.0a", 1, id="component-above-letter"),
        pytest.param("1.10", "1.9", 1, id="components-as-numbers"),
        pytest.param("1.01", "1.1", -1, id="leading-zero-compares-as-text"),
        pytest.param("1.06-r6", "006", -1, id="first-component-always-a-number"),
        pytest.param("1.0~ab12", "1.0~cd34", -1, id="commit-hash"),
        pytest.param("2.3.0b-r1", "2.3.0b-r1", 0, id="equal"),
    ],
)
def test_apk_version_order(a: str, b: str, expected: int) -> None:
    assert (compare_versions("apk", a, b), compare_versions("apk", b, a)) == (expected, -expected)


@pytest.mark.parametrize(
    ("ecosystem", "version", "rule"),
    [
        pytest.param("dpkg", "", "upstream version must start with a digit", id="dpkg-empty"),
        pytest.param("dpkg", "v1.0", "upstream version must start with a digit", id="dpkg-letter-first"),
        pytest.param("dpkg", "1.0_1", "upstream version must start with a digit", id="dpkg-underscore"),
        pytest.param("dpkg", "x:1.0", "the epoch before ':' must be a number", id="dpkg-epoch"),
        pytest.param("dpkg", "1.0-", "the revision after the last '-' must be non-empty", id="dpkg-empty-revision"),
        pytest.param("apk", "1.0-r", "expected number", id="apk-build-without-number"),
        pytest.param("apk", "1.0-1", "expected number", id="apk-debian-style-revision"),
        pytest.param("apk", "1.0bc", "expected number", id="apk-two-letters"),
        pytest.param("apk", "1.0_foo1", "unknown suffix '_foo'", id="apk-unknown-suffix"),
    ],
)
def test_invalid_versions_are_refused(ecosystem: str, version: str, rule: str) -> None:
    with pytest.raises(ValueError, match=f"is not a valid {ecosystem} version: .*{re.escape(rule)}"):
        compare_versions(ecosystem, version, "1.0")


def test_unknown_ecosystem() -> None:
    with pytest.raises(ValueError, match="unknown package ecosystem 'rpm': expected one of apk, dpkg"):
        compare_versions("rpm", "1.0", "1.0")


@pytest.mark.parametrize(
    ("ecosystem", "version", "expected"),
    [
        pytest.param("dpkg", "1:1.2.13.dfsg-1+deb12u1", VersionParts(1, "1.2.13.dfsg", "1+deb12u1"), id="dpkg"),
        pytest.param(
            "dpkg", "2.9.14+dfsg-1.3~deb12u1", VersionParts(0, "2.9.14+dfsg", "1.3~deb12u1"), id="dpkg-no-epoch"
        ),
        pytest.param("dpkg", "12.4+deb12u5", VersionParts(0, "12.4+deb12u5", None), id="dpkg-native"),
        pytest.param("apk", "1.36.1-r15", VersionParts(0, "1.36.1", "r15"), id="apk"),
        pytest.param("apk", "1.2.4_git20230717", VersionParts(0, "1.2.4_git20230717", None), id="apk-no-build"),
    ],
)
def test_split_version(ecosystem: str, version: str, expected: VersionParts) -> None:
    assert split_version(ecosystem, version) == expected


# --- the vulnerability table ------------------------------------------------------------------------

OPENSSL_ENTRY: dict[str, Any] = {
    "cve": "CVE-2099-1000",
    "package": "openssl",
    "ecosystem": "dpkg",
    "os": {"id": "debian", "versionId": "12"},
    "affected": [{"introduced": "3.0.0", "fixed": "3.0.13-1~deb12u1"}],
    "severity": "HIGH",
    "cvss": {
        "v3": {"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "score": 7.5},
        "v2": {"vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": 5},
    },
    "description": "Checking a long DH key takes unbounded time.",
    "uri": "https://security-tracker.debian.org/tracker/CVE-2099-1000",
    "source": "DEBIAN_CVE",
    "_note": "keys starting with an underscore are comments",
}
GLIBC_ENTRY: dict[str, Any] = {
    "cve": "CVE-2099-2000",
    "package": "glibc",
    "ecosystem": "dpkg",
    "affected": [{"introduced": "2.35"}],
    "severity": "UNDEFINED",
    "description": "A long tunable overflows a buffer in the loader.",
    "exploitAvailable": True,
}
NOT_MATCHING_ENTRIES: list[dict[str, Any]] = [
    {**GLIBC_ENTRY, "cve": "CVE-2099-3000", "affected": [{"fixed": "2.36-9+deb12u4"}]},  # already fixed
    {**GLIBC_ENTRY, "cve": "CVE-2099-3001", "os": {"id": "debian", "versionId": "11"}},  # other release
    {**GLIBC_ENTRY, "cve": "CVE-2099-3002", "ecosystem": "apk", "affected": [{"fixed": "3"}]},  # other ecosystem
    {**GLIBC_ENTRY, "cve": "CVE-2099-3003", "package": "libc"},  # other package
]

DROP = object()


def table_with(**changes: object) -> dict[str, Any]:
    """A table whose one entry is OPENSSL_ENTRY with ``changes`` (DROP removes a key)."""
    entry = {key: value for key, value in {**OPENSSL_ENTRY, **changes}.items() if value is not DROP}
    return {"vulnerabilities": [entry]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param([], "at the top level: expected an object, got an array", id="not-an-object"),
        pytest.param({}, "at the top level: missing 'vulnerabilities'", id="no-vulnerabilities"),
        pytest.param(
            {"vulnerabilities": [], "version": 1},
            "at the top level: unknown key 'version'; the keys are vulnerabilities",
            id="unknown-top-level-key",
        ),
        pytest.param(table_with(cve=DROP), "at vulnerabilities[0]: missing 'cve'", id="missing-cve"),
        pytest.param(
            table_with(severity="SEVERE"),
            "at vulnerabilities[0].severity: expected one of CRITICAL, HIGH, INFORMATIONAL, LOW, MEDIUM, UNDEFINED, "
            "got 'SEVERE'",
            id="unknown-severity",
        ),
        pytest.param(
            table_with(ecosystem="rpm"),
            "at vulnerabilities[0].ecosystem: expected one of apk, dpkg, got 'rpm'",
            id="unknown-ecosystem",
        ),
        pytest.param(table_with(description=""), "at vulnerabilities[0].description: must not be empty", id="empty"),
        pytest.param(
            table_with(description=5),
            "at vulnerabilities[0].description: expected a string, got a number",
            id="wrong-type",
        ),
        pytest.param(table_with(affected=[]), "at vulnerabilities[0].affected: must not be empty", id="no-ranges"),
        pytest.param(
            table_with(affected=[{}]),
            "at vulnerabilities[0].affected[0]: give 'introduced', 'fixed' or both",
            id="empty-range",
        ),
        pytest.param(
            table_with(affected=[{"lessThan": "1.0"}]),
            "at vulnerabilities[0].affected[0]: unknown key 'lessThan'; the keys are fixed, introduced",
            id="unknown-range-key",
        ),
        pytest.param(
            table_with(affected=[{"fixed": "1.0-"}]),
            "at vulnerabilities[0].affected[0].fixed: '1.0-' is not a valid dpkg version: the revision after the "
            "last '-' must be non-empty and hold only letters, digits and . + ~",
            id="invalid-fixed-version",
        ),
        pytest.param(
            table_with(ecosystem="apk", affected=[{"fixed": "3.0.13-1~deb12u1"}]),
            "at vulnerabilities[0].affected[0].fixed: '3.0.13-1~deb12u1' is not a valid apk version",
            id="version-of-the-other-ecosystem",
        ),
        pytest.param(table_with(os={"versionId": "12"}), "at vulnerabilities[0].os: missing 'id'", id="os-without-id"),
        pytest.param(
            table_with(cvss={"v3": {"vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": 5.0}}),
            "at vulnerabilities[0].cvss.v3.vector: 'AV:N/AC:L/Au:N/C:N/I:N/A:P' is not a CVSS v3 base vector",
            id="v2-vector-as-v3",
        ),
        pytest.param(
            table_with(cvss={"v2": {"vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": 11}}),
            "at vulnerabilities[0].cvss.v2.score: a CVSS score is between 0 and 10, got 11",
            id="score-out-of-range",
        ),
        pytest.param(
            table_with(cvss={"v2": {"vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "score": "5.0"}}),
            "at vulnerabilities[0].cvss.v2.score: expected a number, got a string",
            id="score-as-text",
        ),
        pytest.param(
            table_with(exploitAvailable="yes"),
            "at vulnerabilities[0].exploitAvailable: expected true or false, got a string",
            id="flag-as-text",
        ),
    ],
)
def test_table_errors_say_what_and_where(document: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_vulnerability_table(document)

    assert str(raised.value).startswith(f"vulnerability table, {message}")


def test_table_must_be_json() -> None:
    with pytest.raises(ValueError, match="vulnerability table is not valid JSON: Expecting value: line 1 column 1"):
        load_vulnerability_table("vulnerabilities: []")


def test_example_table_is_valid_and_marked_as_made_up() -> None:
    assert len(load_example_table()) >= 6
    shipped = resources.files("fake_ecr.scanning").joinpath("example-vulnerabilities.json").read_text("utf-8")
    assert "NOT REAL ADVISORIES" in json.loads(shipped)["_comment"]


# --- matching and rendering -------------------------------------------------------------------------

DEBIAN_IMAGE = ImagePackages(
    OsRelease("debian", "12"),
    (
        dpkg("libc6", "2.36-9+deb12u4", "glibc", LAYER_1),
        dpkg("libssl3", "3.0.11-1~deb12u2", "openssl", LAYER_1),
        dpkg("openssl", "3.0.11-1~deb12u2", None, LAYER_2),
        dpkg("zlib1g", "1:1.2.13.dfsg-1", "zlib", LAYER_1),
    ),
)
CONTEXT = FindingContext(
    registry_id="123456789012",
    region="us-west-2",
    repository_name="project-a/web-app",
    image_digest="sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6",
    image_tags=("v1", "latest"),
    pushed_at=1717000000.0,
    architecture="amd64",
    now=1717000300.5,
)
FINDING_ARN = re.compile(r"arn:aws:inspector2:us-west-2:123456789012:finding/[0-9a-f]{32}")


def debian_findings() -> list[Finding]:
    table = parse_vulnerability_table({"vulnerabilities": [GLIBC_ENTRY, *NOT_MATCHING_ENTRIES, OPENSSL_ENTRY]})
    return match_findings(DEBIAN_IMAGE, table)


def test_matching_groups_binary_packages_of_one_source_and_lists_the_most_severe_first() -> None:
    findings = debian_findings()

    assert [(f.vulnerability.cve, [p.name for p in f.packages], f.fixed_in_version) for f in findings] == [
        ("CVE-2099-1000", ["libssl3", "openssl"], "3.0.13-1~deb12u1"),
        ("CVE-2099-2000", ["libc6"], None),
    ]
    assert severity_counts(findings) == {"HIGH": 1, "UNDEFINED": 1}
    assert severity_counts(findings, enhanced=True) == {"HIGH": 1, "UNTRIAGED": 1}


def test_basic_findings() -> None:
    assert [finding.basic_finding() for finding in debian_findings()] == [
        {
            "name": "CVE-2099-1000",
            "description": "Checking a long DH key takes unbounded time.",
            "uri": "https://security-tracker.debian.org/tracker/CVE-2099-1000",
            "severity": "HIGH",
            "attributes": [
                {"key": "package_version", "value": "3.0.11-1~deb12u2"},
                {"key": "package_name", "value": "openssl"},
                {"key": "CVSS2_VECTOR", "value": "AV:N/AC:L/Au:N/C:N/I:N/A:P"},
                {"key": "CVSS2_SCORE", "value": "5"},
            ],
        },
        {
            "name": "CVE-2099-2000",
            "description": "A long tunable overflows a buffer in the loader.",
            "severity": "UNDEFINED",
            "attributes": [
                {"key": "package_version", "value": "2.36-9+deb12u4"},
                {"key": "package_name", "value": "glibc"},
            ],
        },
    ]


def test_enhanced_finding_with_a_fix() -> None:
    rendered = debian_findings()[0].enhanced_finding(CONTEXT)

    assert FINDING_ARN.fullmatch(str(rendered.pop("findingArn")))
    assert rendered == {
        "awsAccountId": "123456789012",
        "description": "Checking a long DH key takes unbounded time.",
        "firstObservedAt": 1717000300.5,
        "lastObservedAt": 1717000300.5,
        "packageVulnerabilityDetails": {
            "cvss": [
                {
                    "baseScore": 7.5,
                    "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    "source": "NVD",
                    "version": "3.1",
                },
                {"baseScore": 5.0, "scoringVector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "source": "NVD", "version": "2.0"},
            ],
            "referenceUrls": ["https://security-tracker.debian.org/tracker/CVE-2099-1000"],
            "relatedVulnerabilities": [],
            "source": "DEBIAN_CVE",
            "sourceUrl": "https://security-tracker.debian.org/tracker/CVE-2099-1000",
            "vulnerabilityId": "CVE-2099-1000",
            "vulnerablePackages": [
                {
                    "arch": "AMD64",
                    "epoch": 0,
                    "name": "libssl3",
                    "packageManager": "OS",
                    "release": "1~deb12u2",
                    "sourceLayerHash": LAYER_1,
                    "version": "3.0.11",
                    "fixedInVersion": "0:3.0.13-1~deb12u1",
                },
                {
                    "arch": "AMD64",
                    "epoch": 0,
                    "name": "openssl",
                    "packageManager": "OS",
                    "release": "1~deb12u2",
                    "sourceLayerHash": LAYER_2,
                    "version": "3.0.11",
                    "fixedInVersion": "0:3.0.13-1~deb12u1",
                },
            ],
        },
        "remediation": {"recommendation": {"text": "None Provided"}},
        "resources": [
            {
                "details": {
                    "awsEcrContainerImage": {
                        "architecture": "amd64",
                        "imageHash": CONTEXT.image_digest,
                        "imageTags": ["v1", "latest"],
                        "platform": "DEBIAN_12",
                        "pushedAt": 1717000000.0,
                        "registry": "123456789012",
                        "repositoryName": "project-a/web-app",
                    }
                },
                "id": f"arn:aws:ecr:us-west-2:123456789012:repository/project-a/web-app/{CONTEXT.image_digest}",
                "tags": {},
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }
        ],
        "score": 7.5,
        "scoreDetails": {
            "cvss": {
                "adjustments": [],
                "score": 7.5,
                "scoreSource": "NVD",
                "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "version": "3.1",
            }
        },
        "severity": "HIGH",
        "status": "ACTIVE",
        "title": "CVE-2099-1000 - libssl3, openssl",
        "type": "PACKAGE_VULNERABILITY",
        "updatedAt": 1717000300.5,
        "fixAvailable": "YES",
        "exploitAvailable": "NO",
    }


def test_enhanced_finding_without_fix_score_or_os() -> None:
    finding = match_findings(
        ImagePackages(None, DEBIAN_IMAGE.packages), parse_vulnerability_table({"vulnerabilities": [GLIBC_ENTRY]})
    )[0]

    rendered = finding.enhanced_finding(CONTEXT)

    assert {key: rendered[key] for key in ("severity", "fixAvailable", "exploitAvailable", "title")} == {
        "severity": "UNTRIAGED",
        "fixAvailable": "NO",
        "exploitAvailable": "YES",
        "title": "CVE-2099-2000 - libc6",
    }
    assert "score" not in rendered and "scoreDetails" not in rendered
    details: Any = rendered["packageVulnerabilityDetails"]
    image_resources: Any = rendered["resources"]
    assert (details["cvss"], details["referenceUrls"], details["source"]) == ([], [], "NVD")
    assert details["vulnerablePackages"][0]["fixedInVersion"] == "NotAvailable"
    assert "platform" not in image_resources[0]["details"]["awsEcrContainerImage"]


@pytest.mark.parametrize(
    ("introduced", "affected"),
    [
        pytest.param("0", True, id="0-means-every-version-even-0-tilde"),
        pytest.param("0~git20230101-1", True, id="introduced-is-inclusive"),
        pytest.param("0~git20230102-1", False, id="below-introduced"),
    ],
)
def test_introduced(introduced: str, affected: bool) -> None:
    snapshot = ImagePackages(None, (dpkg("libfoo1", "0~git20230101-1", "foo", LAYER_1),))
    table = table_with(package="foo", os=DROP, affected=[{"introduced": introduced, "fixed": "1.0-1"}])

    assert bool(match_findings(snapshot, parse_vulnerability_table(table))) is affected


def test_finding_arn_is_stable_per_image_and_differs_between_images() -> None:
    finding = debian_findings()[0]
    other_image = dataclasses.replace(CONTEXT, image_digest="sha256:" + "0" * 64)

    arns = [finding.enhanced_finding(context)["findingArn"] for context in (CONTEXT, CONTEXT, other_image)]

    assert arns[0] == arns[1] != arns[2]


@pytest.mark.parametrize(
    ("os_filter", "os_release", "matches"),
    [
        pytest.param(None, None, True, id="no-filter-no-os"),
        pytest.param({"id": "debian"}, None, False, id="filter-needs-an-os"),
        pytest.param({"id": "debian"}, OsRelease("ubuntu", "22.04"), False, id="other-distribution"),
        pytest.param({"id": "alpine", "versionId": "3.19"}, OsRelease("alpine", "3.19.1"), True, id="release-prefix"),
        pytest.param({"id": "alpine", "versionId": "3.1"}, OsRelease("alpine", "3.19.1"), False, id="not-a-prefix"),
        pytest.param({"id": "debian", "versionId": "12"}, OsRelease("debian", None), False, id="os-without-version"),
    ],
)
def test_os_filter(os_filter: dict[str, str] | None, os_release: OsRelease | None, matches: bool) -> None:
    table = parse_vulnerability_table(table_with(os=os_filter if os_filter else DROP))

    assert bool(match_findings(ImagePackages(os_release, DEBIAN_IMAGE.packages), table)) is matches


def test_example_table_on_an_alpine_image_end_to_end() -> None:
    findings = match_findings(read(ALPINE_BASE), load_example_table())

    assert [(f.severity, f.vulnerability.cve, f.package_name, [p.name for p in f.packages]) for f in findings] == [
        ("MEDIUM", "CVE-2099-0101", "busybox", ["busybox", "ssl_client"]),
        ("LOW", "CVE-2099-0102", "musl", ["musl"]),
        ("INFORMATIONAL", "CVE-2099-0104", "zlib", ["zlib"]),
        ("UNDEFINED", "CVE-2099-0103", "openssl", ["libcrypto3"]),
    ]
    busybox: Any = findings[0].enhanced_finding(CONTEXT)
    assert busybox["resources"][0]["details"]["awsEcrContainerImage"]["platform"] == "ALPINE_LINUX_3_19"
    assert busybox["packageVulnerabilityDetails"]["vulnerablePackages"][0] == {
        "arch": "X86_64",
        "epoch": 0,
        "name": "busybox",
        "packageManager": "OS",
        "release": "r15",
        "sourceLayerHash": LAYER_1,
        "version": "1.36.1",
        "fixedInVersion": "0:1.36.1-r16",
    }


# --- every rendered member is one of botocore's ------------------------------------------------------


def unmodelled_members(value: object, shape: Any, path: str) -> list[str]:
    """Paths of members in ``value`` that botocore's ``shape`` does not have."""
    if shape.type_name == "structure":
        assert isinstance(value, dict), path
        return [f"{path}.{name}" for name in value if name not in shape.members] + [
            problem
            for name, member in value.items()
            if name in shape.members
            for problem in unmodelled_members(member, shape.members[name], f"{path}.{name}")
        ]
    if shape.type_name == "list":
        assert isinstance(value, list), path
        return [
            problem
            for index, item in enumerate(value)
            for problem in unmodelled_members(item, shape.member, f"{path}[{index}]")
        ]
    if shape.type_name == "map":
        assert isinstance(value, dict), path
        return [
            problem for key, item in value.items() for problem in unmodelled_members(item, shape.value, f"{path}.{key}")
        ]
    expected = {"string": str, "double": float, "integer": int, "long": int, "timestamp": float}[shape.type_name]
    assert isinstance(value, expected), f"{path}: {value!r} is not a {shape.type_name}"
    enum = shape.metadata.get("enum")
    assert enum is None or value in enum, f"{path}: {value!r} is not one of {enum}"
    return []


def test_rendered_findings_use_only_botocore_members() -> None:
    model = botocore.session.get_session().get_service_model("ecr")
    findings = debian_findings() + match_findings(read(ALPINE_BASE), load_example_table())

    for finding in findings:
        assert unmodelled_members(finding.basic_finding(), model.shape_for("ImageScanFinding"), "finding") == []
        assert (
            unmodelled_members(
                finding.enhanced_finding(CONTEXT), model.shape_for("EnhancedImageScanFinding"), "enhanced"
            )
            == []
        )
    assert set(severity_counts(findings)) <= set(model.shape_for("FindingSeverity").enum)
