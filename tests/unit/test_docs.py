"""The documentation's citations hold: what the code, tests, benchmarks and README cite in docs/ is there.

A citation is a page (``docs/architecture.md``), a section of it (``docs/behaviour/registry.md#push-flow``),
or numbered rows of that section right after the anchor: ``#messages #12``, ``#messages #12-#21``,
``#messages #16, #34``, ``#evaluation item 7``.  A section's anchor is what MkDocs gives its heading
(Python-Markdown's ``toc`` slug, ``_1`` after a repeat) or an explicit ``{#id}``; a numbered row is a table
row whose first cell is the number or an ordered-list item with it, between that heading and the next one of
the same or a higher level.  The site's own build (``mkdocs build --strict``) checks the links between pages.

Nothing in the repository may name the project's private reference material, which is not part of it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Where citations are looked for.
CITING = [ROOT / "fake_ecr", ROOT / "conftest_plugin", ROOT / "tests", ROOT / "bench", ROOT / "README.md"]
CITING_SUFFIXES = {".py", ".md", ".txt", ".toml", ".ini", ".cfg", ".json", ".yml", ".yaml", ""}
#: Folders that are no part of the repository's content (caches, builds, environments).
SKIPPED_DIRECTORIES = {".git", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "__pycache__"}
SKIPPED_DIRECTORIES |= {"build", "dist", "site", ".venv", "venv", "results"}
#: Names of material outside the repository (spelled in pieces so that this file does not name them).
PRIVATE_NAMES = [
    "shared" + "/reference",
    "/work" + "/shared",
    "../" + "shared",
    "ecr-" + "behaviour",
    "registry-" + "clients.md",
    "design" + ".md",
]

_NUMBER = r"#?\d+"
_ROWS = rf"(?:#\d+|items? \d+|rows? \d+)(?:\s*(?:-|\u2013|,|and)\s*{_NUMBER})*"
CITATION = re.compile(rf"docs/(?P<page>[\w./-]+?\.md)(?:#(?P<anchor>[\w-]+))?(?:`*\s+(?P<rows>{_ROWS}))?")
#: A wrapped comment or docstring line continues the previous one: ``...#evaluation item`` / ``# 7``.
_CONTINUATION = re.compile(r"\n[ \t]*(?:#:?(?=[ \t]))?[ \t]*")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<text>.*?)[ \t]*#*[ \t]*$")
_ATTRIBUTES = re.compile(r"[ \t]*\{:?(?P<attributes>[^}]*)\}[ \t]*$")
_EXPLICIT_ID = re.compile(r"\{:?[^}]*?#(?P<id>[\w-]+)[^}]*\}|\bid=\"(?P<html_id>[^\"]+)\"")


@dataclass(frozen=True)
class Section:
    """A heading (or explicit id) of a page, and the lines up to the next heading of its level or higher."""

    anchor: str
    lines: tuple[str, ...]
    heading: bool

    def has_row(self, number: int) -> bool:
        row = re.compile(rf"^\s*(?:\|\s*(?:\*\*)?#?{number}(?:\*\*)?\s*\||{number}[.)]\s)")
        return any(row.match(line) for line in self.lines)


def slugify(text: str) -> str:
    """Python-Markdown's ``toc`` slug of a heading's text: ASCII, word characters and dashes, lower case."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def heading_text(markdown: str) -> str:
    """What a heading reads as once rendered: no code ticks, link targets, emphasis or tags."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"`+([^`]*)`+", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__|\*|(?<!\w)_|_(?!\w))", "", text)
    return html.unescape(text)


def _unique(anchor: str, used: set[str]) -> str:
    while anchor in used or not anchor:
        repeat = re.fullmatch(r"(.*)_(\d+)", anchor)
        anchor = f"{repeat[1]}_{int(repeat[2]) + 1}" if repeat else f"{anchor}_1"
    used.add(anchor)
    return anchor


def sections(page: Path) -> dict[str, Section]:
    """Every anchor of a page, with its section."""
    lines = page.read_text(encoding="utf-8").splitlines()
    in_code = False
    headings: list[tuple[int, int, str | None, str]] = []  # line, level, explicit id, text
    explicit: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        if heading := _HEADING.match(line):
            text, own_id = heading["text"], None
            if attributes := _ATTRIBUTES.search(text):
                text = text[: attributes.start()]
                own_id = next(iter(re.findall(r"#([\w-]+)", attributes["attributes"])), None)
            headings.append((number, len(heading["level"]), own_id, text))
        else:
            explicit.extend((number, m["id"] or m["html_id"]) for m in _EXPLICIT_ID.finditer(line))
    used = {own_id for _, _, own_id, _ in headings if own_id} | {anchor for _, anchor in explicit}
    found: dict[str, Section] = {}
    for index, (start, level, own_id, text) in enumerate(headings):
        anchor = own_id or _unique(slugify(heading_text(text)), used)
        end = next((line for line, other, _, _ in headings[index + 1 :] if other <= level), len(lines))
        found[anchor] = Section(anchor, tuple(lines[start + 1 : end]), heading=True)
    for start, anchor in explicit:
        end = next((line for line, _, _, _ in headings if line > start), len(lines))
        found.setdefault(anchor, Section(anchor, tuple(lines[start:end]), heading=False))
    return found


def _citing_files() -> list[Path]:
    files: list[Path] = []
    for source in CITING:
        candidates = [source] if source.is_file() else sorted(source.rglob("*"))
        files.extend(
            path
            for path in candidates
            if path.is_file()
            and path.suffix in CITING_SUFFIXES
            and not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts[:-1])
        )
    return files


def _numbers(rows: str) -> list[int]:
    """``#12-#21, #34`` -> 12..21 and 34; ``item 7`` -> 7."""
    numbers: list[int] = []
    for part in re.split(r"\s*(?:,|and)\s*", re.sub(r"^(?:items?|rows?)\s+", "", rows)):
        bounds = [int(bound) for bound in re.findall(r"\d+", part)]
        numbers.extend(range(bounds[0], bounds[-1] + 1) if len(bounds) == 2 else bounds)
    return numbers


def citations() -> dict[tuple[str, str | None, int | None], list[str]]:
    """(page, anchor or None, row number or None) -> where it is cited (``path:line``)."""
    cited: dict[tuple[str, str | None, int | None], list[str]] = defaultdict(list)
    for path in _citing_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        # Continuations become spaces of the same length, so offsets still give the line.
        joined = _CONTINUATION.sub(lambda match: " " * len(match[0]), text)
        for match in CITATION.finditer(joined):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
            page, anchor = match["page"], match["anchor"]
            cited[(page, anchor, None)].append(where)
            for number in _numbers(match["rows"]) if match["rows"] and anchor else []:
                cited[(page, anchor, number)].append(where)
    return dict(cited)


CITATIONS = citations()
CITED_SECTIONS = sorted({(page, anchor) for page, anchor, row in CITATIONS if row is None}, key=str)
CITED_ROWS = sorted((key for key in CITATIONS if key[2] is not None), key=str)


def _where(key: tuple[str, str | None, int | None]) -> str:
    places = CITATIONS[key]
    return ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")


def test_the_code_cites_the_documentation() -> None:
    # The patterns find what they are meant to: a broken pattern would make every test below vacuous.
    assert ("behaviour/errors.md", "messages", 12) in CITATIONS
    assert ("behaviour/clients.md", "what-clients-need", 4) in CITATIONS
    assert ("behaviour/index.md", "unconfirmed", 9) in CITATIONS
    assert len(CITED_SECTIONS) > 50


@pytest.mark.parametrize(("page", "anchor"), CITED_SECTIONS, ids=[f"{p}#{a}" if a else p for p, a in CITED_SECTIONS])
def test_every_cited_page_and_section_exists(page: str, anchor: str | None) -> None:
    path = DOCS / page
    assert path.is_file(), f"docs/{page} does not exist; cited at {_where((page, anchor, None))}"
    if anchor is not None:
        anchors = sections(path)
        assert anchor in anchors, (
            f"docs/{page} has no #{anchor} (its anchors: {', '.join(anchors)}); cited at {_where((page, anchor, None))}"
        )


@pytest.mark.parametrize(("page", "anchor", "row"), CITED_ROWS, ids=[f"{p}#{a} #{n}" for p, a, n in CITED_ROWS])
def test_every_cited_numbered_row_exists(page: str, anchor: str, row: int) -> None:
    section = sections(DOCS / page).get(anchor) if (DOCS / page).is_file() else None
    assert section is not None, f"docs/{page}#{anchor} does not exist; cited at {_where((page, anchor, row))}"
    assert section.has_row(row), (
        f"docs/{page}#{anchor} has no row or item {row}; cited at {_where((page, anchor, row))}"
    )


def _repository_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*"))
        if path.is_file()
        and not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts[:-1])
        and not any(part.endswith(".egg-info") for part in path.relative_to(ROOT).parts)
    ]


def test_no_file_names_material_outside_the_repository() -> None:
    named = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _repository_files()
        for name in PRIVATE_NAMES
        if name.encode() in path.read_bytes().lower()
    ]
    assert named == []


def test_heading_anchors_are_the_ones_mkdocs_makes() -> None:
    # The anchors above are computed here; Python-Markdown (MkDocs' renderer, in the docs extra) is the authority.
    markdown = pytest.importorskip("markdown")
    for page in sorted(DOCS.rglob("*.md")):
        rendered = markdown.markdown(
            page.read_text(encoding="utf-8"), extensions=["toc", "attr_list", "tables", "fenced_code"]
        )
        made = set(re.findall(r"<h[1-6][^>]* id=\"([^\"]+)\"", rendered))
        computed = {anchor for anchor, section in sections(page).items() if section.heading}
        assert computed == made, (
            f"{page.relative_to(ROOT)}: only computed {computed - made}, only made {made - computed}"
        )
