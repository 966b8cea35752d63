"""Request validation, generated from botocore's models of ECR and ECR Public (docs/behaviour/api.md#validation).

For every operation and every constrained member of its input (required, min/max length or value,
pattern, enum, list size) a raw JSON request is built that is valid but for that one member, and
sent through the protocol core - in-process and over HTTP - bypassing botocore's client-side checks
(which cover only required members, types and minimums).  Each must come back as
InvalidParameterException (SerializationException for a value of the wrong JSON type), never a 500,
and leave the state as it was.  Operations fake-ecr does not implement answer a valid request with
UnsupportedOperationException (501) naming them; their invalid requests are refused like any other,
since validation comes first.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.model import ListShape, Shape, StructureShape

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import ECR, ECR_PUBLIC, operation_model, operation_names, target_prefix

from api.helpers import SAMPLES, RawSender, image_manifest, length_of, satisfies, state_of, valid

#: A JSON value of the wrong type for each modelled type.
WRONG_TYPE: dict[str, object] = {
    "string": 12345,
    "integer": "12",
    "long": 1.5,
    "boolean": "true",
    "blob": 7,
    "list": "not-a-list",
    "structure": ["not", "an", "object"],
}


def _invalid_string(shape: Shape) -> Iterator[tuple[str, object]]:
    low, high = length_of(shape)
    if low > 0:
        yield "min", "a" * (low - 1)
    if high is not None:
        yield "max", "a" * (high + 1)
    if shape.metadata.get("pattern"):
        size = max(low, 1)
        yield "pattern", next(c * size for c in ("!", " ", "A", "-", "0") if not satisfies(shape, c * size))
    if shape.enum:
        yield "enum", "NOT_IN_THE_ENUM"


def _invalid_number(shape: Shape) -> Iterator[tuple[str, object]]:
    if "min" in shape.metadata:
        yield "min", shape.metadata["min"] - 1
    if "max" in shape.metadata:
        yield "max", shape.metadata["max"] + 1


def _invalid_blob(shape: Shape) -> Iterator[tuple[str, object]]:
    low, high = length_of(shape)
    if low > 0:
        yield "min", base64.b64encode(b"x" * (low - 1)).decode()
    if high is not None:
        yield "max", base64.b64encode(b"x" * (high + 1)).decode()


def _invalid_list(shape: ListShape) -> Iterator[tuple[str, object]]:
    low, high = length_of(shape)
    if low > 0:
        yield "min", []
    if high is not None:
        yield "max", [valid(shape.member)] * (high + 1)


INVALID: dict[str, Callable[[Any], Iterator[tuple[str, object]]]] = {
    "string": _invalid_string,
    "integer": _invalid_number,
    "long": _invalid_number,
    "blob": _invalid_blob,
    "list": _invalid_list,
}

#: A path step: a structure member's name, or None for "the first item of a list".
Path = tuple[str | None, ...]


@dataclass(frozen=True)
class Case:
    service: str
    operation: str
    path: Path
    constraint: str
    value: object  # the invalid value; ``MISSING`` removes a required member

    @property
    def id(self) -> str:
        steps = ".".join([self.operation, *(step or "[]" for step in self.path), self.constraint]).replace(".[]", "[]")
        return steps if self.service == ECR else f"{self.service}:{steps}"

    def body(self) -> dict[str, Any]:
        """A request valid everywhere but at ``path``."""
        shape = operation_model(self.operation, self.service).input_shape
        request = valid(shape)
        holder: Any = request
        for depth, step in enumerate(self.path):
            last = depth == len(self.path) - 1
            if step is None:  # into the list's first item
                shape = shape.member
                holder[:] = holder[:1]
                if last:
                    holder[0] = self.value
                else:
                    holder = holder[0]
                continue
            shape = shape.members[step]
            if last:
                if self.value is MISSING:
                    holder.pop(step)
                else:
                    holder[step] = self.value
            else:
                holder = holder.setdefault(step, valid(shape))
        return request


MISSING = object()


def _cases_of(service: str, operation: str, shape: Shape, path: Path) -> Iterator[Case]:
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name in shape.required_members:
                yield Case(service, operation, (*path, name), "required", MISSING)
            yield from _cases_of(service, operation, member, (*path, name))
        return
    for constraint, value in INVALID.get(shape.type_name, lambda _: iter(()))(shape):
        yield Case(service, operation, path, constraint, value)
    if isinstance(shape, ListShape):
        yield from _cases_of(service, operation, shape.member, (*path, None))


def _type_cases(service: str, operation: str) -> Iterator[Case]:
    shape = operation_model(operation, service).input_shape
    for name, member in shape.members.items() if shape is not None else ():
        yield Case(service, operation, (name,), "type", WRONG_TYPE[member.type_name])


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    for service in (ECR, ECR_PUBLIC):
        for operation in sorted(operation_names(service)):
            shape = operation_model(operation, service).input_shape
            cases += _cases_of(service, operation, shape, ()) if shape is not None else ()
            cases += _type_cases(service, operation)
    return cases


CASES = _all_cases()


# --- the tests -----------------------------------------------------------------------------------------


@pytest.fixture
def seeded(fake_ecr: FakeEcr) -> None:
    """A repository named like the samples, holding a tagged image, in the private registry and the public one,
    so a request let through could harm it."""
    name = SAMPLES["RepositoryName"]
    registry = fake_ecr.registry()
    registry.create_repository(name)
    manifest = image_manifest(fake_ecr, name)
    registry.put_image(name, manifest.text.encode(), image_tag="v1")
    public = fake_ecr.backend.public_registry(fake_ecr.settings.account_id)
    public.create_repository(name)
    public.put_image(name, manifest.text.encode(), image_tag="v1", require_layers=False)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_invalid_member_is_refused(case: Case, send_raw: RawSender, fake_ecr: FakeEcr, seeded: None) -> None:
    before = state_of(fake_ecr)
    status, body = send_raw(target_prefix(case.service) + case.operation, json.dumps(case.body()).encode())
    expected = "SerializationException" if case.constraint == "type" else "InvalidParameterException"
    assert (status, body["__type"]) == (400, expected), body
    assert f"'{case.path[0]}" in body["message"], body
    assert state_of(fake_ecr) == before


def test_every_constrained_member_is_covered() -> None:
    # A botocore upgrade that adds constraints adds cases; this guards the generator itself.
    ids = {c.id for c in CASES}
    assert len(ids) == len(CASES), "case ids must be unique"
    for expected in (
        "CreateRepository.repositoryName.pattern",
        "CreateRepository.repositoryName.max",
        "CreateRepository.repositoryName.min",
        "CreateRepository.repositoryName.required",
        "CreateRepository.imageTagMutability.enum",
        "CreateRepository.imageTagMutabilityExclusionFilters.max",
        "CreateRepository.imageTagMutabilityExclusionFilters[].filter.pattern",
        "CreateRepository.encryptionConfiguration.kmsKey.max",
        "BatchGetImage.imageIds.max",
        "BatchGetImage.imageIds[].imageTag.max",
        "PutImage.imageManifest.max",
        "ListImages.maxResults.max",
        "UploadLayerPart.layerPartBlob.max",
        "GetAuthorizationToken.registryIds[].pattern",
        "DescribeRepositories.maxResults.type",
        "ecr-public:CreateRepository.catalogData.logoImageBlob.max",
        "ecr-public:CreateRepository.catalogData.description.max",
        "ecr-public:PutRepositoryCatalogData.catalogData.architectures.max",
        "ecr-public:PutRepositoryCatalogData.catalogData.aboutText.max",
        "ecr-public:PutRepositoryCatalogData.catalogData.usageText.max",
        "ecr-public:PutRegistryCatalogData.displayName.max",
        "ecr-public:BatchCheckLayerAvailability.registryId.max",
        "ecr-public:DescribeImageTags.maxResults.max",
    ):
        assert expected in ids
