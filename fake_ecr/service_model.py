"""botocore's ECR service model, put to work on the server side.

Owns: the list of ECR operations; validating a request against its input
shape (required, types, min/max, pattern, enum: botocore checks only required,
types and minimums client-side, ecr-behaviour §1.2) with ECR's messages;
paginating a result list with the paginator model (§1.5); and checking a
response against its output shape (tests turn that on).

Validators are compiled once per shape into closures, so a call pays for a
few dict look-ups, not for walking the model.

Must not import werkzeug or anything above ``fake_ecr.model`` (it knows no HTTP).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

import botocore
import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from fake_ecr.errors import InvalidParameter, InvalidValue, MalformedRequest

T = TypeVar("T")
Validator = Callable[[object, str], None]

#: ECR still quotes its older repository-name regex in messages (§3 #12).
PATTERN_IN_MESSAGE = {
    "RepositoryName": "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
}
#: Page sizes when maxResults is omitted (§1.5): 100, but 20 for ListImageReferrers.
#: And 25 for ListReplicationBackfills (botocore's ECR model, the documentation of its maxResults).
DEFAULT_PAGE_SIZE = {"ListImageReferrers": 20, "ListReplicationBackfills": 25}


#: The botocore release whose ECR model fake-ecr's handlers follow: its operations, members and enums.
#: An older botocore is served its own model (operations it lacks are not offered, its enums and limits
#: validate requests), but responses may still hold members it does not know: real ECR sends them to
#: old clients too, and botocore's parser drops what its model lacks.
MODEL_RELEASE = (1, 44, 8)


def installed_release() -> tuple[int, ...]:
    """The installed botocore's version, as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", botocore.__version__)[:3])


@cache
def model_is_older() -> bool:
    """Whether the installed model predates the one fake-ecr's handlers follow."""
    return installed_release() < MODEL_RELEASE


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model() -> ServiceModel:
    """botocore's ECR model (the one installed with botocore)."""
    return _session().get_service_model("ecr")


@cache
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)


@cache
def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def target_prefix() -> str:
    """The X-Amz-Target prefix of ECR's JSON protocol (§1.1)."""
    return str(service_model().metadata["targetPrefix"]) + "."


@cache
def _paginators() -> Mapping[str, Mapping[str, Any]]:
    loader = _session().get_component("data_loader")
    return loader.load_service_model("ecr", "paginators-1")["pagination"]  # type: ignore[no-any-return]


# --- validation -------------------------------------------------------------------


def _check_length(shape: Shape, member: str, length: int, what: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        raise InvalidParameter(member, f"must have {what} greater than or equal to {low}")
    if high is not None and length > high:
        raise InvalidParameter(member, f"must have {what} less than or equal to {high}")


def _string_validator(shape: Shape) -> Validator:
    pattern = shape.metadata.get("pattern")
    compiled = re.compile(pattern) if pattern else None
    quoted = PATTERN_IN_MESSAGE.get(shape.name, pattern)
    enum = shape.enum
    enum_set = frozenset(enum) if enum else None

    def validate(value: object, member: str) -> None:
        if not isinstance(value, str):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected a string")
        _check_length(shape, member, len(value), "length")
        if compiled is not None and compiled.fullmatch(value) is None:
            raise InvalidParameter(member, f"must satisfy regular expression '{quoted}'")
        if enum_set is not None and value not in enum_set:
            raise InvalidParameter(member, f"Member must satisfy enum value set: [{', '.join(enum)}]")

    return validate


def _number_validator(shape: Shape) -> Validator:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    kinds: tuple[type, ...] = (int, float) if shape.type_name == "double" else (int,)

    def validate(value: object, member: str) -> None:
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected a number")
        assert isinstance(value, int | float)
        # UNCONFIRMED wording for numeric ranges (§1.2): AWS's generic validation sentence.
        if low is not None and value < low:
            raise InvalidValue(member, value, f"have value greater than or equal to {low}")
        if high is not None and value > high:
            raise InvalidValue(member, value, f"have value less than or equal to {high}")

    return validate


def _blob_validator(shape: Shape) -> Validator:
    def validate(value: object, member: str) -> None:
        if not isinstance(value, str):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected base64 text")
        # Length limits count decoded bytes, told from the text alone (base64 of n bytes is
        # 4*ceil(n/3) characters): the handler decodes it once, with ``decode_blob``.
        padding = len(value) - len(value.rstrip("="))
        if len(value) % 4 or padding > 2:
            raise MalformedRequest(f"Value for '{member}' is not valid base64")
        _check_length(shape, member, len(value) // 4 * 3 - padding, "length")

    return validate


def decode_blob(member: str, value: str) -> bytes:
    """The bytes of a blob member (base64 on the wire), or SerializationException for bad base64."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedRequest(f"Value for '{member}' is not valid base64") from None


def _type_validator(kinds: tuple[type, ...], what: str) -> Validator:
    def validate(value: object, member: str) -> None:
        if isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected {what}")

    return validate


def _list_validator(shape: ListShape) -> Validator:
    item = _validator(shape.member)

    def validate(value: object, member: str) -> None:
        if not isinstance(value, list):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected a list")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and len(value) < low:
            raise InvalidValue(member, value, f"have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            raise InvalidValue(member, value, f"have length less than or equal to {high}")
        for index, entry in enumerate(value, start=1):
            item(entry, f"{member}.{index}")

    return validate


def _map_validator(shape: MapShape) -> Validator:
    key, val = _validator(shape.key), _validator(shape.value)

    def validate(value: object, member: str) -> None:
        if not isinstance(value, dict):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected an object")
        for k, v in value.items():
            key(k, member)
            val(v, f"{member}.{k}")

    return validate


def _structure_validator(shape: StructureShape) -> Validator:
    members: dict[str, Validator] = {}
    required = tuple(shape.required_members)

    def validate(value: object, member: str) -> None:
        if not isinstance(value, dict):
            raise MalformedRequest(f"Unexpected value type for '{member or shape.name}': expected an object")
        prefix = f"{member}." if member else ""
        for name in required:
            if value.get(name) is None:
                raise InvalidValue(f"{prefix}{name}", None, "not be null")
        for name, entry in value.items():
            check = members.get(name)
            if check is None:
                if name not in shape.members:
                    continue  # unknown members are ignored, as AWS's JSON services do
                check = members[name] = _validator(shape.members[name])
            if entry is not None:
                check(entry, f"{prefix}{name}")

    return validate


_VALIDATOR_CACHE: dict[str, Validator] = {}


def _validator(shape: Shape) -> Validator:
    cached = _VALIDATOR_CACHE.get(shape.name)
    if cached is not None:
        return cached
    kind = shape.type_name
    validator: Validator
    if isinstance(shape, StructureShape):
        validator = _structure_validator(shape)
    elif isinstance(shape, ListShape):
        validator = _list_validator(shape)
    elif isinstance(shape, MapShape):
        validator = _map_validator(shape)
    elif kind == "string":
        validator = _string_validator(shape)
    elif kind in ("integer", "long", "double"):
        validator = _number_validator(shape)
    elif kind == "blob":
        validator = _blob_validator(shape)
    elif kind == "boolean":
        validator = _type_validator((bool,), "a boolean")
    else:  # timestamp: epoch seconds on the wire
        validator = _type_validator((int, float), "a timestamp")
    _VALIDATOR_CACHE[shape.name] = validator
    return validator


def validate_request(operation: str, params: object) -> None:
    """Raise InvalidParameter/InvalidValue/MalformedRequest where ECR would refuse ``params``."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    _validator(shape)(params, "")


# --- pagination ------------------------------------------------------------------


def paginate(operation: str, params: Mapping[str, Any], items: Sequence[T]) -> tuple[Sequence[T], str | None]:
    """One page of ``items`` for the request's maxResults/nextToken, and the next token.

    Tokens are opaque to callers (§1.5); here they carry the operation and an offset.
    """
    config = _paginators().get(operation, {})
    limit = params.get(config.get("limit_key", "maxResults"))
    token = params.get(config.get("input_token", "nextToken"))
    size = limit if isinstance(limit, int) else DEFAULT_PAGE_SIZE.get(operation, 100)
    start = 0
    if token is not None:
        start = _decode_token(operation, token)
    end = start + size
    next_token = _encode_token(operation, end) if end < len(items) else None
    return items[start:end], next_token


def _encode_token(operation: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode()


def _decode_token(operation: str, token: object) -> int:
    try:
        name, _, offset = base64.urlsafe_b64decode(str(token)).decode().partition(":")
        if name == operation and offset.isdigit():
            return int(offset)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    # UNCONFIRMED wording: ECR's answer to a token it did not issue.
    raise InvalidParameter("nextToken", "Invalid NextToken")


# --- response checking (tests) --------------------------------------------------------


def check_response(operation: str, response: Mapping[str, Any]) -> None:
    """Assert ``response`` holds only members of the operation's output shape, of the right types.

    Handlers build wire dictionaries directly (the fast path); this check, run
    by fake-ecr's own test suite, keeps them to the model.  With an older model
    installed, members and enum values it does not know are let through (see
    ``MODEL_RELEASE``).
    """
    shape = operation_model(operation).output_shape
    if shape is not None:
        _check_value(shape, response, operation)


def _check_value(shape: Shape, value: object, path: str) -> None:
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise AssertionError(f"{path}: expected an object for {shape.name}, got {value!r}")
        for name, entry in value.items():
            if name not in shape.members:
                if model_is_older():
                    continue
                raise AssertionError(f"{path}.{name}: not a member of {shape.name}")
            if entry is None:
                raise AssertionError(f"{path}.{name}: null (omit absent members)")
            _check_value(shape.members[name], entry, f"{path}.{name}")
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise AssertionError(f"{path}: expected a list, got {value!r}")
        for index, entry in enumerate(value):
            _check_value(shape.member, entry, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise AssertionError(f"{path}: expected a map, got {value!r}")
        for k, v in value.items():
            _check_value(shape.key, k, path)
            _check_value(shape.value, v, f"{path}.{k}")
    else:
        expected: dict[str, tuple[type, ...]] = {
            "string": (str,),
            "blob": (str,),
            "boolean": (bool,),
            "integer": (int,),
            "long": (int,),
            "double": (int, float),
            "timestamp": (int, float),
        }
        kinds = expected[shape.type_name]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise AssertionError(f"{path}: expected {shape.type_name}, got {value!r}")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum and not model_is_older():
            raise AssertionError(f"{path}: {value!r} is not one of {enum}")
