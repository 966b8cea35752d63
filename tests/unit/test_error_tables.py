"""The control plane's error tables, one a service: every domain error in fake_ecr.errors has an exception name in
ECR's or ECR Public's, every name is one that service's botocore model (or AWS's JSON protocol) defines, and
domain errors are defined nowhere else but in the registry's own few and in library helpers no surface renders."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import string

import pytest

import fake_ecr
from fake_ecr import errors
from fake_ecr.api import core
from fake_ecr.api.public.core import PUBLIC_ERROR_CODES
from fake_ecr.formats.service_model import model_is_older, service_model

from model_gates import needs_errors

#: Generic AWS exception names outside ECR's model (docs/behaviour/api.md#protocol "Generic AWS errors"): a body that is
#: not JSON of the modelled types, a model operation fake-ecr does not implement, and a call a policy does not allow; a
#: server at its connection limits (throttling, AWS's generic code for it), and a body longer than any ECR request.
GENERIC_AWS_ERRORS = frozenset(
    {
        "SerializationException",
        "UnsupportedOperationException",
        "AccessDeniedException",
        "ThrottlingException",
        "RequestEntityTooLargeException",
    }
)

#: Modules besides fake_ecr.errors that may define domain errors, and why no control-plane code is needed.
OTHER_ERROR_MODULES = {
    "fake_ecr.registry.oci_errors": "errors only the registry runs into, rendered by its own table",
    "fake_ecr.client": "the registry client's errors, raised to the test that uses it",
    "fake_ecr.images": "errors reading images from disk, raised to the test",
    "fake_ecr.scanning.packages": "an unreadable layer, turned into a scan status by the engine",
}


def _domain_errors_of_errors_module() -> list[type[errors.EcrError]]:
    return [
        klass
        for _, klass in inspect.getmembers(errors, inspect.isclass)
        if issubclass(klass, errors.EcrError) and klass is not errors.EcrError and klass.__module__ == errors.__name__
    ]


def _all_domain_errors() -> list[type[errors.EcrError]]:
    for module in pkgutil.walk_packages(fake_ecr.__path__, f"{fake_ecr.__name__}."):
        importlib.import_module(module.name)
    found, pending = [], list(errors.EcrError.__subclasses__())
    while pending:
        klass = pending.pop()
        found.append(klass)
        pending.extend(klass.__subclasses__())
    return [klass for klass in found if klass.__module__.startswith(f"{fake_ecr.__name__}.")]


@pytest.mark.parametrize(
    "error_type", [pytest.param(klass, id=klass.__name__) for klass in _domain_errors_of_errors_module()]
)
def test_every_domain_error_has_a_control_plane_code(error_type: type[errors.EcrError]) -> None:
    tables = [service.error_codes for service in core.SERVICES.values()]
    assert any(klass in table for table in tables for klass in error_type.__mro__)


#: The table's codes.  A model older than the one fake-ecr follows cannot have the exceptions added since: their
#: codes are skipped there; the model it follows has to have every one.
CODES = [
    pytest.param(code, id=code, marks=() if code in GENERIC_AWS_ERRORS or not model_is_older() else needs_errors(code))
    for code in sorted(set(core.ERROR_CODES.values()))
]


@pytest.mark.parametrize("code", CODES)
def test_every_code_is_an_exception_of_the_ecr_model_or_aws_json(code: str) -> None:
    model_errors = {shape.name for shape in service_model().error_shapes}
    assert code in model_errors | GENERIC_AWS_ERRORS


# ECR Public's table takes ECR's codes, also for the errors its operations cannot meet (replication, scanning...);
# the codes it adds must be its model's.
@pytest.mark.parametrize("code", sorted(set(PUBLIC_ERROR_CODES.values()) - set(core.ERROR_CODES.values())))
def test_ecr_publics_own_codes_are_exceptions_of_its_model(code: str) -> None:
    assert code in {shape.name for shape in service_model("ecr-public").error_shapes}


def test_ecr_publics_table_is_ecrs_with_its_own_additions() -> None:
    shared = {klass: code for klass, code in PUBLIC_ERROR_CODES.items() if klass in core.ERROR_CODES}
    assert shared == core.ERROR_CODES


@pytest.mark.parametrize("table", [core.ERROR_CODES, PUBLIC_ERROR_CODES], ids=["ecr", "ecr-public"])
def test_the_table_maps_only_errors_of_the_errors_module(table: dict[type[errors.EcrError], str]) -> None:
    assert sorted(k.__name__ for k in table if k.__module__ != errors.__name__) == []


def test_domain_errors_are_defined_only_in_the_errors_module_and_the_known_few() -> None:
    allowed = {errors.__name__, *OTHER_ERROR_MODULES}
    assert sorted(f"{k.__module__}.{k.__name__}" for k in _all_domain_errors() if k.__module__ not in allowed) == []


@pytest.mark.parametrize(
    ("error", "code"),
    [
        # A subclass without its own entry takes its base's code (looked up along the MRO).
        pytest.param(
            errors.LayerPartSizeMismatch("123456789012", "app", "u", -1, 0, 9, 5),
            "InvalidLayerPartException",
            id="size-mismatch-is-invalid-layer-part",
        ),
        pytest.param(errors.ManifestInvalid(), "InvalidParameterException", id="manifest-invalid-is-invalid-parameter"),
        pytest.param(
            errors.RequestBodyUnreadable("cut short"), "SerializationException", id="unreadable-body-is-malformed"
        ),
    ],
)
def test_error_code_follows_the_mro(error: errors.EcrError, code: str) -> None:
    assert core.error_code(error) == code


# --- messages as data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "klass",
    [klass for klass in _all_domain_errors() if "template" in vars(klass)],
    ids=lambda klass: klass.__name__,
)
def test_a_message_template_names_only_the_errors_own_fields(klass: type[errors.EcrError]) -> None:
    placeholders = {name for _, name, _, _ in string.Formatter().parse(klass.template) if name is not None}
    assert placeholders <= {f.name for f in dataclasses.fields(klass)}


def test_an_error_without_a_template_or_a_message_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match="declares neither a message template nor a message"):

        class Wordless(errors.EcrError):
            pass


def test_a_template_renders_the_errors_fields() -> None:
    error = errors.RepositoryNotFound(registry_id="123456789012", repository_name="app")

    assert str(error) == "The repository with name 'app' does not exist in the registry with id '123456789012'"
