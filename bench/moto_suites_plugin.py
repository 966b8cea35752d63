"""pytest plugin that ``moto_suites.py`` loads into another project's test run (``-p moto_suites_plugin``).

Owns two things, both driven by environment variables the runner sets:

- ``FAKE_ECR_MIGRATION=1``: an autouse fixture runs every test inside
  ``fake_ecr.mock_ecr(Settings(allow_missing_layers=True))``, the README's "Coming from moto" setting.  The
  project's own ``mock_aws``/``mock_ecr`` stays in place for every other service; fake-ecr's boto hook answers
  ECR before moto sees the call.
- ``MOTO_SUITES_OUTCOMES=<path>``: one JSON object per test, ``{nodeid: [outcome, reason]}``, where the outcome
  is ``passed``, ``failed`` or ``skipped`` over setup, call and teardown together, and the reason is the first
  line of the error pytest reports for a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

import fake_ecr

_outcomes: dict[str, list[str]] = {}


@pytest.fixture(autouse=True)
def _fake_ecr_migration() -> Iterator[None]:
    if os.environ.get("FAKE_ECR_MIGRATION") != "1":
        yield
        return
    with fake_ecr.mock_ecr(fake_ecr.Settings(allow_missing_layers=True)):
        yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome, _ = _outcomes.get(report.nodeid, ["passed", ""])
    if outcome == "failed" or report.passed:
        _outcomes.setdefault(report.nodeid, [outcome, ""])
        return
    if report.skipped:
        _outcomes[report.nodeid] = ["skipped", ""]
        return
    crash = getattr(report.longrepr, "reprcrash", None)
    reason = crash.message if crash is not None else str(report.longrepr)
    _outcomes[report.nodeid] = ["failed", f"{report.when}: {reason.splitlines()[0] if reason else ''}"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("MOTO_SUITES_OUTCOMES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(_outcomes, out, indent=1, sort_keys=True)
