"""The README is the front door: what it promises must match the code."""

from __future__ import annotations

import re
from pathlib import Path

from fake_ecr.api import OPERATIONS, UNSUPPORTED

README = Path(__file__).resolve().parents[1] / "README.md"


def _listed(heading: str) -> set[str]:
    block = re.search(r"<!-- operations:start -->(.*?)<!-- operations:end -->", README.read_text(), re.S)
    assert block is not None, "README.md lost its operations block"
    line = next(line for line in block.group(1).splitlines() if line.startswith(f"**{heading}"))
    count = int(re.search(r"\((\d+)\)", line).group(1))  # type: ignore[union-attr]
    names = set(re.findall(r"`(\w+)`", line))
    assert count == len(names), f"the README's count for {heading!r} disagrees with its own list"
    return names


def test_readme_lists_exactly_the_implemented_operations() -> None:
    assert _listed("Implemented") == set(OPERATIONS)


def test_readme_lists_exactly_the_unsupported_operations() -> None:
    assert _listed("Not implemented yet") == set(UNSUPPORTED)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text()
    assert "scripts/test" in README.read_text()
    assert "scripts/test" in ci
