"""Every operation of botocore's ECR model is either implemented or answered as unsupported (design.md)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, api
from fake_ecr.service_model import operation_names


def test_implemented_and_unsupported_cover_the_model_exactly() -> None:
    implemented, unsupported = set(api.OPERATIONS), set(api.UNSUPPORTED)
    assert implemented & unsupported == set()
    assert sorted(operation_names() - implemented - unsupported) == [], "neither implemented nor unsupported"
    assert sorted((implemented | unsupported) - operation_names()) == [], "not operations of the model"


def test_an_operation_without_a_handler_answers_an_error_naming_it(
    ecr: Any, fake_ecr: FakeEcr, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every model operation is implemented today; the path that answers a declared-unsupported
    # one still has to work when a botocore upgrade adds an operation before fake-ecr does.
    monkeypatch.delitem(api.OPERATIONS, "DescribeRegistry")
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_registry()
    response = excinfo.value.response
    assert response["Error"]["Code"] == "UnsupportedOperationException"
    assert "DescribeRegistry" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert fake_ecr.internal_errors == []
