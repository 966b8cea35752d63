"""Skip what the installed botocore's ECR model cannot express, with the reason.

fake-ecr serves the installed model (docs/architecture.md): on an older botocore, an operation, a request member or
an enum value the model lacks cannot be sent by a client built from it, so tests of that behaviour are
skipped and say why; a response member it lacks is dropped by its parser, so expectations name such
members through ``modelled``.  Each gate reads the installed model; nothing here names a botocore version.
"""

from __future__ import annotations

import re
from typing import Any

import botocore
import pytest

from fake_ecr.formats.service_model import operation_names, service_model


def _reason(what: str) -> str:
    return f"botocore {botocore.__version__}'s ECR model has no {what}"


def needs_operations(*names: str) -> pytest.MarkDecorator:
    """Skip unless the installed model has every operation in ``names``."""
    missing = [name for name in names if name not in operation_names()]
    return pytest.mark.skipif(bool(missing), reason=_reason(", ".join(missing)))


def needs_members(shape: str, *members: str) -> pytest.MarkDecorator:
    """Skip unless the model's ``shape`` has every member in ``members``."""
    known = service_model().shape_for(shape).members
    missing = [f"{shape}.{member}" for member in members if member not in known]
    return pytest.mark.skipif(bool(missing), reason=_reason(", ".join(missing)))


def needs_enum(shape: str, *values: str) -> pytest.MarkDecorator:
    """Skip unless every value in ``values`` is of the enum ``shape``."""
    known = service_model().shape_for(shape).enum
    missing = [f"{shape} {value}" for value in values if value not in known]
    return pytest.mark.skipif(bool(missing), reason=_reason(", ".join(missing)))


def needs_errors(*codes: str) -> pytest.MarkDecorator:
    """Skip unless the installed model defines an exception (an error shape) for every code in ``codes``."""
    known = {shape.name for shape in service_model().error_shapes}
    missing = [code for code in codes if code not in known]
    return pytest.mark.skipif(bool(missing), reason=_reason(", ".join(missing)))


def needs_match(shape: str, value: str) -> pytest.MarkDecorator:
    """Skip unless the pattern of the string ``shape`` matches all of ``value``, as request validation does."""
    matches = re.fullmatch(service_model().shape_for(shape).metadata["pattern"], value) is not None
    return pytest.mark.skipif(not matches, reason=_reason(f"{shape} pattern matching {value!r}"))


def modelled(shape: str, **members: Any) -> dict[str, Any]:
    """``members`` less those the model's ``shape`` lacks: what a client built from the model receives of them."""
    known = service_model().shape_for(shape).members
    return {name: value for name, value in members.items() if name in known}
