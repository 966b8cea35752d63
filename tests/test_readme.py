"""The README is the front door: what it promises must match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fake_ecr.api import IMPLEMENTED, UNSUPPORTED

README = Path(__file__).resolve().parents[1] / "README.md"

pytest_plugins = ["pytester"]


def _listed(heading: str) -> set[str]:
    block = re.search(r"<!-- operations:start -->(.*?)<!-- operations:end -->", README.read_text(), re.S)
    assert block is not None, "README.md lost its operations block"
    line = next(line for line in block.group(1).splitlines() if line.startswith(f"**{heading}"))
    count = int(re.search(r"\((\d+)\)", line).group(1))  # type: ignore[union-attr]
    names = set(re.findall(r"`(\w+)`", line))
    assert count == len(names), f"the README's count for {heading!r} disagrees with its own list"
    return names


def test_readme_lists_exactly_the_implemented_operations() -> None:
    # Every handler, including those of operations an older installed botocore does not offer.
    assert _listed("Implemented") == set(IMPLEMENTED)


def test_readme_lists_exactly_the_unsupported_operations() -> None:
    assert _listed("Not implemented yet") == set(UNSUPPORTED)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text()
    assert "scripts/test" in README.read_text()
    assert "scripts/test" in ci


def _tested_examples() -> list[str]:
    """The README's python blocks marked ``<!-- tested -->``: each is a test file a user could copy."""
    return re.findall(r"<!-- tested -->\n```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_tested_examples() -> None:
    assert len(_tested_examples()) >= 3


@pytest.mark.parametrize("number", range(len(_tested_examples())))
def test_readme_example_passes(number: int, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{f"test_readme_example_{number}": _tested_examples()[number]})
    result = pytester.runpytest_subprocess("-p", "no:benchmark", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=_tested_examples()[number].count("\ndef test_"))
