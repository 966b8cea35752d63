"""pytest fixtures for fake-ecr: ``fake_ecr_settings``, ``fake_ecr_server``, ``fake_ecr``.

Owns the fixtures, the ``fake_ecr`` marker and the ini options.  The server
lives for the session (one per xdist worker, since each worker is a session);
every test gets a fresh state on it (the pytest-httpserver pattern).  An
unexpected exception inside the fake fails the test that caused it, at
teardown.  Imports only fake_ecr's public API (and pytest).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

# The package only: its names load when a fixture first uses them, so a run that never does pays nothing.
import fake_ecr as fake_ecr_package

if TYPE_CHECKING:
    from fake_ecr import FakeEcr, FakeServer, Settings


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fake_ecr_account_id", "account id of the fake ECR's caller", default=None)
    parser.addini("fake_ecr_region", "default region of the fake ECR", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_ecr(**settings): per-test fake-ecr settings, e.g. "
        "@pytest.mark.fake_ecr(account_id='111122223333', region='eu-west-1')",
    )


@pytest.fixture(scope="session")
def fake_ecr_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings for every test's fake; override this fixture in a conftest.py to change them."""
    options: dict[str, Any] = {}
    if account := pytestconfig.getini("fake_ecr_account_id"):
        options["account_id"] = account
    if region := pytestconfig.getini("fake_ecr_region"):
        options["region"] = region
    return fake_ecr_package.Settings(**options)


@pytest.fixture(scope="session")
def fake_ecr_server(fake_ecr_settings: Settings) -> Iterator[FakeServer]:
    """One threaded HTTP server for the session: ECR's API and the registry on one port."""
    server = fake_ecr_package.FakeServer.for_settings(fake_ecr_settings)
    yield server
    server.stop()


@pytest.fixture
def fake_ecr(
    request: pytest.FixtureRequest, fake_ecr_settings: Settings, fake_ecr_server: FakeServer
) -> Iterator[FakeEcr]:
    """A fresh fake ECR for this test: boto3 patched, served by the session's server."""
    settings = fake_ecr_settings
    marker = request.node.get_closest_marker("fake_ecr")
    if marker is not None:
        settings = replace(settings, **marker.kwargs)
        if settings.tls != fake_ecr_settings.tls:
            # The server is the session's: whether it speaks HTTPS is decided once, for every test.
            raise pytest.UsageError("tls is a session setting: set it in your fake_ecr_settings fixture")
    fake = fake_ecr_package.FakeEcr(settings, server=fake_ecr_server)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    if fake.internal_errors:
        first = fake.internal_errors[0]
        raise AssertionError(
            f"fake-ecr raised {len(fake.internal_errors)} unexpected error(s) while serving this test; first: {first!r}"
        ) from first
