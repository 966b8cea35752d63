"""The installed model is the model that is served (docs/architecture.md): every operation of botocore's ECR model is
either implemented or answered as unsupported, and an operation the installed model lacks is not offered; every
operation of its ECR Public model is implemented, under ECR Public's own target prefix."""

from __future__ import annotations

import json
from typing import Any

import botocore
import pytest
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, api
from fake_ecr.api import core
from fake_ecr.formats.service_model import ECR_PUBLIC, model_is_older, operation_names, target_prefix

from api.helpers import RawSender

#: Handlers for operations that the installed (older) model does not have.
NEWER_THAN_INSTALLED = sorted(set(api.IMPLEMENTED) - operation_names())


def test_offered_and_unsupported_cover_the_installed_model_exactly() -> None:
    offered, unsupported = set(api.OPERATIONS), set(api.UNSUPPORTED)
    assert offered & unsupported == set()
    assert sorted(operation_names() - offered - unsupported) == [], "neither implemented nor unsupported"
    assert offered == set(api.IMPLEMENTED) & operation_names()


@pytest.mark.skipif(
    model_is_older(),
    reason=f"botocore {botocore.__version__}'s ECR model predates {', '.join(NEWER_THAN_INSTALLED) or 'nothing'}",
)
def test_every_handler_names_an_operation_of_the_model() -> None:
    # From fake-ecr's model release on, a handler the model lacks is a typo or a removed operation.
    assert NEWER_THAN_INSTALLED == []


@pytest.mark.parametrize("operation", NEWER_THAN_INSTALLED)
def test_an_operation_the_installed_model_lacks_is_unknown(send_raw: RawSender, operation: str) -> None:
    # A service without the operation answers its target as unknown; a client built from this model
    # could not have sent it.
    status, answer = send_raw(target_prefix() + operation, json.dumps({}).encode())
    assert (status, answer["__type"]) == (400, "UnknownOperationException")


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


def test_ecr_public_offers_every_operation_of_its_model() -> None:
    # The 23 operations of botocore's ecr-public model (2020-10-30), each with a handler.
    public = core.SERVICES[ECR_PUBLIC]
    assert set(public.operations) == set(public.implemented) == operation_names(ECR_PUBLIC)
    assert len(public.operations) >= 23


def test_the_target_prefix_chooses_the_service(send_raw: RawSender) -> None:
    # ECR Public's operations answer under its own prefix only: CreateRepository is both services', DescribeImageTags
    # ECR Public's alone, BatchGetImage ECR's alone.
    assert send_raw(target_prefix(ECR_PUBLIC) + "DescribeImageTags", b'{"repositoryName": "app"}')[1]["__type"] == (
        "RepositoryNotFoundException"
    )
    assert send_raw(target_prefix() + "DescribeImageTags", b"{}")[1]["__type"] == "UnknownOperationException"
    assert send_raw(target_prefix(ECR_PUBLIC) + "BatchGetImage", b"{}")[1]["__type"] == "UnknownOperationException"
