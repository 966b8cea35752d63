"""botocore's service models of ECR and ECR Public, put to work on the server side.

Every function takes the botocore service name (``ecr``, the default, or ``ecr-public``).
Owns: the list of each service's operations; validating a request against its input
shape (required, types, min/max, pattern, enum: botocore checks only required,
types and minimums client-side, docs/behaviour/api.md#validation) with ECR's messages;
paginating a result list with the paginator model (docs/behaviour/api.md#pagination); and checking a
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

try:  # Python's regex parser, for the widest match of a pattern: re._parser since 3.11, sre_parse before
    from re import _parser as _regex_parser  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _regex_parser  # type: ignore[no-redef,unused-ignore]

T = TypeVar("T")
Validator = Callable[[object, str], None]

#: ECR still quotes its older repository-name regex in messages (docs/behaviour/errors.md#messages #12).
PATTERN_IN_MESSAGE = {
    "RepositoryName": "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
}
#: Page sizes when maxResults is omitted (docs/behaviour/api.md#pagination): 100, but 20 for ListImageReferrers.
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


#: botocore's name of ECR's service model, and of ECR Public's.
ECR, ECR_PUBLIC = "ecr", "ecr-public"


@cache
def service_model(service: str = ECR) -> ServiceModel:
    """botocore's model of ``service`` (the one installed with botocore)."""
    return _session().get_service_model(service)


@cache
def operation_names(service: str = ECR) -> frozenset[str]:
    return frozenset(service_model(service).operation_names)


@cache
def operation_model(name: str, service: str = ECR) -> OperationModel:
    return service_model(service).operation_model(name)


@cache
def target_prefix(service: str = ECR) -> str:
    """The X-Amz-Target prefix of the service's JSON protocol (docs/behaviour/api.md#protocol):
    ``AmazonEC2ContainerRegistry_V20150921.`` for ECR, ``SpencerFrontendService.`` for ECR Public (botocore's
    models, ``metadata.targetPrefix``)."""
    return str(service_model(service).metadata["targetPrefix"]) + "."


@cache
def _paginators() -> Mapping[str, Mapping[str, Any]]:
    # ECR's paginators; ECR Public's name the same members (nextToken, maxResults) for its listings.
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
        # UNCONFIRMED wording for numeric ranges (docs/behaviour/api.md#validation): AWS's generic validation sentence.
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


def _list_validator(shape: ListShape, service: str) -> Validator:
    item = _validator(shape.member, service)

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


def _map_validator(shape: MapShape, service: str) -> Validator:
    key, val = _validator(shape.key, service), _validator(shape.value, service)

    def validate(value: object, member: str) -> None:
        if not isinstance(value, dict):
            raise MalformedRequest(f"Unexpected value type for '{member}': expected an object")
        for k, v in value.items():
            key(k, member)
            val(v, f"{member}.{k}")

    return validate


def _structure_validator(shape: StructureShape, service: str) -> Validator:
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
                check = members[name] = _validator(shape.members[name], service)
            if entry is not None:
                check(entry, f"{prefix}{name}")

    return validate


#: (service, shape name) -> its validator: the two models name different shapes alike.
_VALIDATOR_CACHE: dict[tuple[str, str], Validator] = {}


def _validator(shape: Shape, service: str) -> Validator:
    cached = _VALIDATOR_CACHE.get((service, shape.name))
    if cached is not None:
        return cached
    kind = shape.type_name
    validator: Validator
    if isinstance(shape, StructureShape):
        validator = _structure_validator(shape, service)
    elif isinstance(shape, ListShape):
        validator = _list_validator(shape, service)
    elif isinstance(shape, MapShape):
        validator = _map_validator(shape, service)
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
    _VALIDATOR_CACHE[service, shape.name] = validator
    return validator


def validate_request(operation: str, params: object, service: str = ECR) -> None:
    """Raise InvalidParameter/InvalidValue/MalformedRequest where the service would refuse ``params``."""
    shape = operation_model(operation, service).input_shape
    if shape is None:
        return
    _validator(shape, service)(params, "")


# --- the largest request ----------------------------------------------------------

#: Bytes a JSON string may spend on one character: a code point past U+FFFF written as a surrogate pair of
#: six-byte ``\\u`` escapes (RFC 8259 §7).  Any character may be escaped, so this bounds every string a client can send.
JSON_CHARACTER = 12
#: The longest JSON number of an integer or long member (-9223372036854775808), and of a double or an
#: epoch timestamp in Python's shortest repr (-1.7976931348623157e+308).
JSON_INTEGER, JSON_DOUBLE = len(str(-(2**63))), len(repr(-1.7976931348623157e308))


def _longest_text(shape: Shape) -> int:
    """The most characters a valid string of ``shape`` holds: its max, its enum's longest value, or the
    widest match of its pattern; 0 when the model bounds it by none of these (see ``largest_request``)."""
    if shape.enum:
        return max(len(value) for value in shape.enum)
    if shape.metadata.get("max") is not None:
        return int(shape.metadata["max"])
    pattern = shape.metadata.get("pattern")
    if pattern:
        widest = int(_regex_parser.parse(pattern).getwidth()[1])
        return widest if widest < _regex_parser.MAXREPEAT else 0
    return 0


def _largest_json(shape: Shape, open_shapes: frozenset[str] = frozenset()) -> int:
    """The most bytes a valid value of ``shape`` takes in JSON as AWS SDKs write it (no insignificant
    whitespace), counting what the model leaves unbounded as empty (see ``largest_request``)."""
    kind = shape.type_name
    if kind == "string":
        return 2 + JSON_CHARACTER * _longest_text(shape)
    if kind == "blob":  # base64 text, 4 characters per 3 bytes (RFC 4648 §4)
        return 2 + 4 * -(-int(shape.metadata.get("max", 0)) // 3)
    if kind in ("integer", "long"):
        return JSON_INTEGER
    if kind in ("double", "float", "timestamp"):
        return JSON_DOUBLE
    if kind == "boolean":
        return len("false")
    if shape.name in open_shapes:
        return len("null")  # a recursive shape nests without end: counted once
    inner = open_shapes | {shape.name}
    if isinstance(shape, StructureShape):
        # {"name":value,...}: braces, and per member its quoted name, a colon and a comma (one too many)
        return 2 + sum(len(name) + 4 + _largest_json(member, inner) for name, member in shape.members.items())
    count = int(shape.metadata.get("max", 0))
    if isinstance(shape, ListShape):
        return 2 + count * (_largest_json(shape.member, inner) + 1)
    if isinstance(shape, MapShape):
        return 2 + count * (_largest_json(shape.key, inner) + _largest_json(shape.value, inner) + 2)
    return len("null")


@cache
def largest_request(service: str = ECR) -> tuple[str, int]:
    """(operation, bytes): ECR's largest request body, read off the installed model's limits.

    Every string counts at 12 bytes a character and every list and map at its max count; what the
    model leaves unbounded (digests, media types, tag lists: short in any real request) counts as
    empty, so the escape allowance is their room.  With botocore 1.44 the largest is PutImage, whose
    imageManifest of up to 4,194,304 characters may take 50,331,648 bytes of JSON; UploadLayerPart's
    20,971,520-byte layerPartBlob is 27,962,028 characters of base64.  A longer body is no request
    ECR could accept.
    """
    sizes = {
        name: 2 if shape is None else _largest_json(shape)
        for name in operation_names(service)
        for shape in [operation_model(name, service).input_shape]
    }
    return max(sizes.items(), key=lambda item: item[1])


# --- pagination ------------------------------------------------------------------


def paginate(operation: str, params: Mapping[str, Any], items: Sequence[T]) -> tuple[Sequence[T], str | None]:
    """One page of ``items`` for the request's maxResults/nextToken, and the next token.

    Tokens are opaque to callers (docs/behaviour/api.md#pagination); here they carry the operation and an offset.
    """
    start, size = page_window(operation, params)
    return items[start : start + size], next_page_token(operation, start + size, len(items))


def page_window(operation: str, params: Mapping[str, Any]) -> tuple[int, int]:
    """(offset, size) of the page a request asks for: its nextToken's offset (0 without one) and its
    maxResults (else the operation's default); InvalidParameter for a token not issued for the operation.

    For listings that fetch one page from an index instead of slicing a list (``paginate`` does that).
    """
    config = _paginators().get(operation, {})
    limit = params.get(config.get("limit_key", "maxResults"))
    token = params.get(config.get("input_token", "nextToken"))
    size = limit if isinstance(limit, int) else DEFAULT_PAGE_SIZE.get(operation, 100)
    return (0 if token is None else _decode_token(operation, token)), size


def next_page_token(operation: str, end: int, total: int) -> str | None:
    """The token of the page from offset ``end``, or None when ``end`` is past the ``total`` items."""
    return _encode_token(operation, end) if end < total else None


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


def check_response(operation: str, response: Mapping[str, Any], service: str = ECR) -> None:
    """Assert ``response`` holds only members of the operation's output shape, of the right types.

    Handlers build wire dictionaries directly (the fast path); this check, run
    by fake-ecr's own test suite, keeps them to the model.  With an older model
    installed, members and enum values it does not know are let through (see
    ``MODEL_RELEASE``).
    """
    shape = operation_model(operation, service).output_shape
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
