"""Version order of the OS package managers the scanner reads: dpkg (Debian, Ubuntu) and apk (Alpine).

Owns ``compare_versions`` (is an installed version below a fix?) and ``split_version`` (the
epoch / version / release triple Inspector reports for a package).  Invalid versions raise
``ValueError`` naming the rule they break.

- dpkg: Debian Policy §5.6.12 ``[epoch:]upstream_version[-debian_revision]``.  Epochs compare as
  numbers; upstream version and revision compare by alternating non-digit and digit runs, where
  non-digit runs compare character by character with ``~`` before everything (even the end of the
  run), then the end, then letters, then all other characters, and digit runs compare as numbers.
  An absent revision equals ``0``.
- apk: apk-package(5) ``number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}``, compared token
  by token as apk-tools does: suffixes sort ``alpha < beta < pre < rc < (none) < cvs < svn < git <
  hg < p``; a later number component with a leading zero compares as a string (Gentoo's rule); when
  one version runs out of tokens or the token kinds differ, the one at a pre-release suffix is
  lower, else the one whose next token comes later in the grammar is lower (``1.0 < 1.0.1``,
  ``1.0 < 1.0-r1``, ``1.0_rc1 < 1.0``).

Must not import anything from fake_ecr (pure stdlib); never HTTP or botocore.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from typing import NamedTuple, TypeVar


@dataclass(frozen=True)
class VersionParts:
    """A version split the way Inspector reports a package (``epoch``, ``version``, ``release``)."""

    epoch: int
    #: dpkg: the upstream version; apk: everything before ``-r#``.
    version: str
    #: dpkg: the Debian revision; apk: ``r#``; ``None`` when the version has none.
    release: str | None


_Comparable = TypeVar("_Comparable", str, int, list[int])


def _order(a: _Comparable, b: _Comparable) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b``."""
    return (a > b) - (a < b)


# --- dpkg (Debian Policy §5.6.12) --------------------------------------------------------------

_DPKG_EPOCH = re.compile(r"[0-9]+")
#: Policy: upstream_version should start with a digit and may contain only alphanumerics and . + - ~
#: (a hyphen only when there is a revision, which splitting at the last hyphen guarantees).
_DPKG_UPSTREAM = re.compile(r"[0-9][A-Za-z0-9.+~-]*")
_DPKG_REVISION = re.compile(r"[A-Za-z0-9.+~]+")
#: A version part as alternating runs: (non-digits, digits), the last pair possibly empty.
_DPKG_RUNS = re.compile(r"([^0-9]*)([0-9]*)")


def _split_dpkg(version: str) -> VersionParts:
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        # Policy: an absent debian_revision is equivalent to "0".
        upstream, revision = rest, "0"
    rules = (
        (epoch, _DPKG_EPOCH, "the epoch before ':' must be a number"),
        (
            upstream,
            _DPKG_UPSTREAM,
            "the upstream version must start with a digit and hold only letters, digits and . + ~ -",
        ),
        (
            revision,
            _DPKG_REVISION,
            "the revision after the last '-' must be non-empty and hold only letters, digits and . + ~",
        ),
    )
    for part, pattern, rule in rules:
        if not pattern.fullmatch(part):
            raise ValueError(f"{version!r} is not a valid dpkg version: {rule}")
    return VersionParts(int(epoch), upstream, revision if hyphen else None)


def _dpkg_weight(char: str) -> int:
    """Policy's modified ASCII order: '~' first, then the end of a run (weight 0), letters, the rest."""
    if char == "~":
        return -1
    return ord(char) if char.isascii() and char.isalpha() else ord(char) + 256


def _dpkg_weights(text: str) -> list[int]:
    # Ending every run in the end-of-run weight makes list order the Policy's order: "a" < "ab"
    # because the end (0) sorts before "b", and "~" < "" because '~' (-1) sorts before the end.
    return [*map(_dpkg_weight, text), 0]


def _compare_dpkg_part(a: str, b: str) -> int:
    runs = zip_longest(_DPKG_RUNS.findall(a), _DPKG_RUNS.findall(b), fillvalue=("", ""))
    for (text_a, digits_a), (text_b, digits_b) in runs:
        # Policy: an empty digit run (only at the end of a part) counts as zero.
        difference = _order(_dpkg_weights(text_a), _dpkg_weights(text_b)) or _order(
            int(digits_a or 0), int(digits_b or 0)
        )
        if difference:
            return difference
    return 0


def _compare_dpkg(a: str, b: str) -> int:
    parts_a, parts_b = _split_dpkg(a), _split_dpkg(b)
    return (
        _order(parts_a.epoch, parts_b.epoch)
        or _compare_dpkg_part(parts_a.version, parts_b.version)
        or _compare_dpkg_part(parts_a.release or "", parts_b.release or "")
    )


# --- apk (apk-package(5) "version") --------------------------------------------------------------

_APK_VERSION = re.compile(
    r"(?P<version>(?P<first>[0-9]+)(?P<more>(?:\.[0-9]+)*)(?P<letter>[a-z]?)"
    r"(?P<suffixes>(?:_[a-z]+[0-9]*)*)(?:~(?P<hash>[0-9a-f]+))?)(?:-r(?P<build>[0-9]+))?"
)
_APK_SUFFIX = re.compile(r"_([a-z]+)([0-9]*)")
_APK_PRE_RELEASE = ("alpha", "beta", "pre", "rc")
_APK_POST_RELEASE = ("cvs", "svn", "git", "hg", "p")
#: Suffix ranks: negative for pre-releases (they sort below the bare version), else 0 and up.
_APK_SUFFIX_RANK = {
    **{name: rank - len(_APK_PRE_RELEASE) for rank, name in enumerate(_APK_PRE_RELEASE)},
    **{name: rank for rank, name in enumerate(_APK_POST_RELEASE)},
}

# Token kinds in grammar order: when two versions reach different kinds, the later kind is lower.
_INITIAL, _DIGITS, _LETTER, _SUFFIX, _SUFFIX_NUMBER, _HASH, _BUILD, _END = range(8)


def _apk_match(version: str) -> re.Match[str]:
    match = _APK_VERSION.fullmatch(version)
    if match is None:
        raise ValueError(
            f"{version!r} is not a valid apk version: expected number{{.number}}{{letter}}"
            "{_suffix{number}}{~hash}{-r#}"
        )
    unknown = [name for name, _ in _APK_SUFFIX.findall(match["suffixes"]) if name not in _APK_SUFFIX_RANK]
    if unknown:
        raise ValueError(
            f"{version!r} is not a valid apk version: unknown suffix '_{unknown[0]}' "
            f"(valid: {', '.join(_APK_SUFFIX_RANK)})"
        )
    return match


def _split_apk(version: str) -> VersionParts:
    match = _apk_match(version)
    return VersionParts(0, match["version"], f"r{match['build']}" if match["build"] else None)


def _apk_tokens(version: str) -> list[tuple[int, str]]:
    match = _apk_match(version)
    tokens = [(_INITIAL, match["first"])]
    tokens += [(_DIGITS, number) for number in match["more"].split(".")[1:]]
    tokens += [(_LETTER, letter) for letter in match["letter"]]
    for name, number in _APK_SUFFIX.findall(match["suffixes"]):
        tokens.append((_SUFFIX, str(_APK_SUFFIX_RANK[name])))
        tokens += [(_SUFFIX_NUMBER, number)] if number else []
    tokens += [(_HASH, match["hash"])] if match["hash"] else []
    tokens += [(_BUILD, match["build"])] if match["build"] else []
    return [*tokens, (_END, "")]


def _apk_numbers(a: str, b: str) -> int:
    return _order(int(a), int(b))


def _apk_digits(a: str, b: str) -> int:
    # A component with a leading zero compares as a string (Gentoo's rule, which apk-tools keeps):
    # 1.01 < 1.1 and 1.001 < 1.01.
    return _order(a, b) if a.startswith("0") or b.startswith("0") else _apk_numbers(a, b)


_APK_TOKEN_ORDER: dict[int, Callable[[str, str], int]] = {
    _INITIAL: _apk_numbers,
    _DIGITS: _apk_digits,
    _LETTER: _order,
    _SUFFIX: _apk_numbers,
    _SUFFIX_NUMBER: _apk_numbers,
    _HASH: _order,
    _BUILD: _apk_numbers,
    _END: _order,
}


def _compare_apk(a: str, b: str) -> int:
    for (kind_a, text_a), (kind_b, text_b) in zip(_apk_tokens(a), _apk_tokens(b), strict=True):
        if kind_a != kind_b:
            if kind_a == _SUFFIX and int(text_a) < 0:
                return -1
            if kind_b == _SUFFIX and int(text_b) < 0:
                return 1
            return -1 if kind_a > kind_b else 1
        difference = _APK_TOKEN_ORDER[kind_a](text_a, text_b)
        if difference:
            return difference
    return 0


# --- public ---------------------------------------------------------------------------------------


class _Scheme(NamedTuple):
    split: Callable[[str], VersionParts]
    compare: Callable[[str, str], int]


_SCHEMES = {"dpkg": _Scheme(_split_dpkg, _compare_dpkg), "apk": _Scheme(_split_apk, _compare_apk)}
#: The package ecosystems whose versions this module orders.
ECOSYSTEMS = frozenset(_SCHEMES)


def _scheme(ecosystem: str) -> _Scheme:
    try:
        return _SCHEMES[ecosystem]
    except KeyError:
        raise ValueError(
            f"unknown package ecosystem {ecosystem!r}: expected one of {', '.join(sorted(ECOSYSTEMS))}"
        ) from None


def compare_versions(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` sorts before, equal to or after ``b`` by ``ecosystem``'s rules."""
    return _scheme(ecosystem).compare(a, b)


def split_version(ecosystem: str, version: str) -> VersionParts:
    """``version`` as epoch, version and release; raises ``ValueError`` when it is not valid."""
    return _scheme(ecosystem).split(version)
