"""Every operation of botocore's ECR model is either implemented or answered as unsupported (design.md)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, api
from fake_ecr.service_model import operation_names


def test_implemented_and_unsupported_cover_the_model_exactly() -> None:
    implemented, unsupported = set(api.OPERATIONS), set(api.UNSUPPORTED)
    assert implemented & unsupported == set()
    assert sorted(operation_names() - implemented - unsupported) == [], "neither implemented nor unsupported"
    assert sorted((implemented | unsupported) - operation_names()) == [], "not operations of the model"


#: The smallest request botocore's client accepts for each unsupported operation.
REQUIRED_PARAMS: dict[str, dict[str, Any]] = {
    "CreatePullThroughCacheRule": {"ecrRepositoryPrefix": "cache", "upstreamRegistryUrl": "public.ecr.aws"},
    "DeletePullThroughCacheRule": {"ecrRepositoryPrefix": "cache"},
    "UpdatePullThroughCacheRule": {"ecrRepositoryPrefix": "cache"},
    "ValidatePullThroughCacheRule": {"ecrRepositoryPrefix": "cache"},
    "CreateRepositoryCreationTemplate": {"prefix": "team", "appliedFor": ["REPLICATION"]},
    "DeleteRepositoryCreationTemplate": {"prefix": "team"},
    "UpdateRepositoryCreationTemplate": {"prefix": "team"},
    "PutSigningConfiguration": {"signingConfiguration": {"rules": []}},
    "DescribeImageSigningStatus": {"repositoryName": "app", "imageId": {"imageTag": "v1"}},
    "RegisterPullTimeUpdateExclusion": {"principalArn": "arn:aws:iam::123456789012:role/scanner"},
    "DeregisterPullTimeUpdateExclusion": {"principalArn": "arn:aws:iam::123456789012:role/scanner"},
    "PutReplicationConfiguration": {"replicationConfiguration": {"rules": []}},
    "DescribeImageReplicationStatus": {"repositoryName": "app", "imageId": {"imageTag": "v1"}},
    "UpdateImageStorageClass": {
        "repositoryName": "app",
        "imageId": {"imageTag": "v1"},
        "targetStorageClass": "ARCHIVE",
    },
    "ListImageReferrers": {"repositoryName": "app", "subjectId": {"imageDigest": "sha256:" + "a" * 64}},
}


@pytest.mark.parametrize("operation", sorted(api.UNSUPPORTED))
def test_unsupported_operation_answers_an_error_naming_it(ecr: Any, fake_ecr: FakeEcr, operation: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(ecr, xform_name(operation))(**REQUIRED_PARAMS.get(operation, {}))
    response = excinfo.value.response
    assert response["Error"]["Code"] == "UnsupportedOperationException"
    assert operation in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert fake_ecr.internal_errors == []
