"""The registry tests talk HTTP to the fake's server with `requests`, as a registry client would.

Fixtures: ``ecr`` (boto3, in-process), ``repo`` (a repository), ``registry`` (a client with ECR's Basic
credentials from GetAuthorizationToken).
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_ecr import FakeEcr

from registry.helpers import REPO, RegistryClient, logged_in


@pytest.fixture
def ecr(fake_ecr: FakeEcr) -> Any:
    return fake_ecr.client()


@pytest.fixture
def repo(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return REPO


@pytest.fixture
def registry(fake_ecr: FakeEcr, ecr: Any) -> RegistryClient:
    return logged_in(fake_ecr, ecr)
