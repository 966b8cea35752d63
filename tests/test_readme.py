"""The README is the front door: what it promises must match the code."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from fake_ecr import Settings
from fake_ecr.api import IMPLEMENTED, UNSUPPORTED
from fake_ecr.api.core import SERVICES

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


def test_readme_lists_exactly_the_ecr_public_operations() -> None:
    assert _listed("ECR Public, implemented") == set(SERVICES["ecr-public"].implemented)


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


def _settings_table() -> dict[str, str]:
    """field -> default, as the README's "Settings" table shows them."""
    text = README.read_text()
    section = text[text.index("\n## Settings") :]
    section = section[: section.index("\n## ", 1)]
    return dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, re.M))


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"' if value in ("auto", "aws") else value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024:
        for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
            if value % size == 0:
                return f"{value // size} {unit}"
    return repr(value)


def test_readme_documents_every_setting_with_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # The defaults as Settings() makes them where no AWS region is set (``region`` follows it).
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    defaults = Settings()
    assert _settings_table() == {field.name: _shown(getattr(defaults, field.name)) for field in fields(Settings)}
