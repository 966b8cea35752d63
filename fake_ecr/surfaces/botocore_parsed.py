"""What botocore's JSON parser makes of an answer of the ``json`` protocol, built from the answer's JSON object.

Owns ``parsed_response``: for an answer of ECR or ECR Public (status, headers, the JSON object the server
encodes), the dictionary botocore's ``JSONParser.parse`` returns for the encoded HTTP response, with the members
of a modelled error joined to it as botocore's endpoint joins them (``Endpoint._add_modeled_error_fields``).
The in-process boto3 path hands this to botocore, so an answer is neither written as JSON nor read back, nor
walked shape by shape through the parser's generic dispatch: one converter per shape, compiled when first met,
does only what the parser does to a value of that shape - timestamps and blobs through the timestamp and blob
parsers the client's parser factory was given (``ResponseParserFactory.set_parser_defaults``; botocore's own
otherwise: a datetime in the local zone, made sooner in a zone of one offset, bytes), a copy of every
structure, list and map, a structure's members in the shape's order under their member names, null and unknown
members left out, null list entries kept, every other value as it is.

It follows the parser for the shapes ECR's and ECR Public's models have: no document types, tagged unions or
event streams, error codes without a namespace.  tests/api/test_parsed_responses.py drives every operation of
both installed models through this and through botocore's parser on the encoded body and compares the two,
types and time zones included.

Must not import anything of fake_ecr: it knows botocore's shapes only.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from typing import Any

from botocore.compat import get_tzinfo_options
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER

Convert = Callable[[Any], Any]

#: The local zone as the ``time`` module states it (what a ``tzlocal`` reads when made) -> that ``tzlocal`` and its
#: one offset as a ``datetime.timezone``; None for a zone with daylight saving time (two offsets).
_ONE_OFFSET_ZONES: dict[tuple[int, int, int, tuple[str, ...]], tuple[tzinfo, timezone] | None] = {}


def _one_offset_zone() -> tuple[tzinfo, timezone] | None:
    state = (time.timezone, time.altzone, time.daylight, time.tzname)
    try:
        return _ONE_OFFSET_ZONES[state]
    except KeyError:
        local = get_tzinfo_options()[0]()  # the zone botocore's parser tries first: dateutil's tzlocal
        offset = local.utcoffset(None)  # None where the zone has daylight saving time
        zone = None if offset is None else (local, timezone(offset))
        _ONE_OFFSET_ZONES[state] = zone
        return zone


def _default_timestamp(value: Any) -> Any:
    """botocore's default timestamp parser (``botocore.utils.parse_timestamp``), made sooner for an epoch number
    in a local zone of one offset (UTC on most CI machines).

    botocore answers an epoch number with ``datetime.fromtimestamp(value, tzlocal())``.  dateutil's ``tzlocal``
    takes the zone's offsets from the ``time`` module when made; where the zone has one offset, its ``fromutc``
    adds that offset to the UTC time and leaves fold 0, which ``datetime.timezone`` does in C.  Such a ``tzlocal``
    is fixed, so one made per state of the ``time`` module serves every datetime: equal to a fresh one, and
    arithmetic between datetimes sharing it is that between datetimes of equal fixed offsets.  Anything else (a
    string, a zone with daylight saving time, a time out of range) goes to botocore's parser itself.
    """
    if type(value) is float or type(value) is int:
        zone = _one_offset_zone()
        if zone is not None:
            try:
                return datetime.fromtimestamp(value, zone[1]).replace(tzinfo=zone[0])
            except (OSError, OverflowError, ValueError):
                pass  # botocore's parser has fallbacks and errors of its own for these
    return DEFAULT_TIMESTAMP_PARSER(value)


class _Converters:
    """The converters of one service's shapes for one timestamp parser and one blob parser, compiled as met."""

    def __init__(self, timestamp_parser: Convert, blob_parser: Convert) -> None:
        self._scalars: dict[str, Convert] = {"timestamp": timestamp_parser, "blob": blob_parser}
        #: shape name -> its converter (None: the parser takes its values as they are); complete ones only
        self._compiled: dict[str, Convert | None] = {}
        self._lock = threading.Lock()

    def structure(self, shape: StructureShape) -> Convert:
        converter = self._compiled.get(shape.name)
        if converter is None:
            with self._lock:
                # Published whole once compiled: no other thread meets a structure whose members are not all in.
                compiling: dict[str, Convert | None] = {}
                converter = self._structure(shape, compiling)
                self._compiled.update(compiling)
        return converter

    def _of(self, shape: Shape, compiling: dict[str, Convert | None]) -> Convert | None:
        for known in (self._compiled, compiling):
            if shape.name in known:
                return known[shape.name]
        if isinstance(shape, StructureShape):
            return self._structure(shape, compiling)
        converter: Convert | None
        if isinstance(shape, ListShape):
            converter = self._list(shape, compiling)
        elif isinstance(shape, MapShape):
            converter = self._map(shape, compiling)
        else:
            converter = self._scalars.get(shape.type_name)
        compiling[shape.name] = converter
        return converter

    def _structure(self, shape: StructureShape, compiling: dict[str, Convert | None]) -> Convert:
        known = self._compiled.get(shape.name) or compiling.get(shape.name)
        if known is not None:
            return known
        members: list[tuple[str, str, Convert | None]] = []

        def convert(value: Mapping[str, Any]) -> dict[str, Any]:
            parsed = {}
            for name, wire_name, member in members:
                entry = value.get(wire_name)
                if entry is not None:
                    parsed[name] = entry if member is None else member(entry)
            return parsed

        compiling[shape.name] = convert  # before its members: a recursive shape meets itself
        members.extend(
            (name, member.serialization.get("name", name), self._of(member, compiling))
            for name, member in shape.members.items()
        )
        return convert

    def _list(self, shape: ListShape, compiling: dict[str, Convert | None]) -> Convert:
        item = self._of(shape.member, compiling)
        if item is None:
            return list
        return lambda value: [None if entry is None else item(entry) for entry in value]

    def _map(self, shape: MapShape, compiling: dict[str, Convert | None]) -> Convert:
        key, value = self._of(shape.key, compiling), self._of(shape.value, compiling)
        if key is None and value is None:
            return dict
        return lambda entries: {
            k if key is None else key(k): v if value is None else value(v) for k, v in entries.items()
        }


@lru_cache(maxsize=32)
def _converters(service: str, timestamp_parser: Convert, blob_parser: Convert) -> _Converters:
    return _Converters(timestamp_parser, blob_parser)


def parsed_response(
    model: OperationModel,
    status: int,
    headers: Mapping[str, str],
    payload: Mapping[str, Any],
    parser_defaults: Mapping[str, Any],
) -> dict[str, Any]:
    """What botocore's JSON parser (made with ``parser_defaults``) answers for ``payload`` encoded as the body of
    an HTTP response with ``status`` and ``headers`` to an operation of ``model``, modelled error members joined."""
    timestamp_parser = parser_defaults.get("timestamp_parser")
    blob_parser = parser_defaults.get("blob_parser")
    converters = _converters(
        model.service_model.service_name,
        _default_timestamp if timestamp_parser in (None, DEFAULT_TIMESTAMP_PARSER) else timestamp_parser,
        base64.b64decode if blob_parser is None else blob_parser,
    )
    lowered = {key.lower(): value for key, value in headers.items()}
    metadata = {"RequestId": lowered["x-amzn-requestid"], "HTTPStatusCode": status, "HTTPHeaders": lowered}
    if status < 301:  # the parser's line between an answer and an error
        output = model.output_shape
        parsed = {} if output is None else converters.structure(output)(payload)
        parsed["ResponseMetadata"] = metadata
        return parsed
    code = str(payload.get("__type", status))
    error = {"Error": {"Message": payload.get("message", payload.get("Message", "")), "Code": code}}
    error["ResponseMetadata"] = metadata
    error_shape = model.service_model.shape_for_error_code(code)
    if error_shape is not None:
        error.update(converters.structure(error_shape)(payload))
    return error
