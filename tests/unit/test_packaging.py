"""What ``pip install`` puts on a user's machine: every package, and a plugin no user module can shadow."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from setuptools import find_packages

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
PLUGIN_PACKAGE = "fake_ecr_pytest_plugin"

pytest_plugins = ["pytester"]


def test_every_package_of_the_library_is_installed() -> None:
    on_disk = set(find_packages(str(ROOT), include=["fake_ecr", "fake_ecr.*"]))
    assert set(SETUPTOOLS["packages"]) == on_disk | {PLUGIN_PACKAGE}


def test_the_plugin_installs_under_its_own_name_from_conftest_plugin() -> None:
    assert SETUPTOOLS["package-dir"] == {PLUGIN_PACKAGE: "conftest_plugin"}
    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    assert entry_points == {"fake_ecr": f"{PLUGIN_PACKAGE}.plugin"}


@pytest.mark.parametrize(
    "user_files",
    [
        pytest.param({"conftest_plugin.py": "VALUE = 1\n"}, id="module"),
        pytest.param({"conftest_plugin/__init__.py": "VALUE = 1\n"}, id="package"),
    ],
)
def test_a_project_with_its_own_conftest_plugin_still_gets_the_fixtures(
    user_files: dict[str, str], pytester: pytest.Pytester
) -> None:
    for name, text in user_files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    pytester.makepyfile(
        test_uses_fixture="""
        import boto3

        def test_fixture(fake_ecr):
            boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="app")
        """
    )
    # `python -m pytest` puts the project folder first on sys.path, where its conftest_plugin is found.
    result = pytester.run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
