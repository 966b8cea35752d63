"""boto3 in-process gets what botocore's own JSON parser makes of the HTTP body, built without the JSON.

The fake's answer is a JSON object; over HTTP it is encoded and botocore's parser reads it, in-process the hook
builds the parsed response from the object directly (``fake_ecr.surfaces.botocore_parsed``).  Each check here
takes one answer both ways - botocore's parser on the encoded body, with a modelled error's members joined as
botocore's endpoint joins them, and the direct build - and compares them, key order, types and time zones
included: for every operation of both installed models with every output member present, for every modelled
error, and for the answers the fake gives to real calls (every operation, successes and errors).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import ResponseParserFactory
from botocore.utils import parse_timestamp

from fake_ecr import FakeEcr
from fake_ecr.surfaces.botocore_parsed import parsed_response

SERVICES = ("ecr", "ecr-public")
URL = "https://api.ecr.us-east-1.amazonaws.com/"
HEADERS = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "9a1c1c35-7d61-4a43-9d4b-0c6f3b1d2e4f"}


def service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def botocore_parsed(
    model: OperationModel, status: int, headers: Mapping[str, str], body: bytes, factory: ResponseParserFactory
) -> dict[str, Any]:
    """What botocore's endpoint makes of an HTTP response: its parser's answer, a modelled error's members joined."""
    parser = factory.create_parser("json")
    http = AWSResponse(URL, status, dict(headers), None)
    response = {"status_code": status, "headers": http.headers, "body": body, "context": {}}
    parsed: dict[str, Any] = parser.parse(response, model.output_shape)
    if status >= 300:
        error_shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    return parsed


def typed(value: Any) -> Any:
    """``value`` with every type spelled out: dicts as their items in order, datetimes with their zone and fold."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(entry)) for key, entry in value.items()])
    if isinstance(value, list):
        return ("list", [typed(entry) for entry in value])
    if isinstance(value, datetime.datetime):
        zone = value.tzinfo
        return (
            "datetime",
            value.isoformat(),
            type(zone),
            zone,
            value.utcoffset(),
            value.dst(),
            value.tzname(),
            value.fold,
        )
    return (type(value), value)


def assert_same_both_ways(
    model: OperationModel, status: int, payload: Mapping[str, Any], factory: ResponseParserFactory | None = None
) -> None:
    factory = factory or ResponseParserFactory()
    body = json.dumps(payload, separators=(",", ":")).encode()
    expected = botocore_parsed(model, status, HEADERS, body, factory)
    direct = parsed_response(model, status, HEADERS, payload, factory._defaults)
    assert direct == expected
    assert typed(direct) == typed(expected)


# --- every member of every output, every modelled error -------------------------------------------------


def full_value(shape: Shape, path: frozenset[str] = frozenset()) -> Any:
    """A JSON value of ``shape`` with every member present, two entries to a list, one to a map."""
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        inner = path | {shape.name}
        return {name: full_value(member, inner) for name, member in shape.members.items() if member.name not in path}
    if isinstance(shape, ListShape):
        return [full_value(shape.member, path), full_value(shape.member, path)]
    if isinstance(shape, MapShape):
        return {full_value(shape.key, path): full_value(shape.value, path)}
    if kind == "string":
        return shape.enum[0] if shape.enum else f"{shape.name}-value"
    if kind == "timestamp":
        return 1764712345.125 if len(path) % 2 else 1764712345
    if kind == "blob":
        return base64.b64encode(b"\x00blob\xff").decode()
    if kind == "boolean":
        return True
    if kind == "double":
        return 12.5
    return 7


def operations() -> Iterator[Any]:
    for service in SERVICES:
        model = service_model(service)
        for name in sorted(model.operation_names):
            yield pytest.param(model.operation_model(name), id=f"{service}-{name}")


def modelled_errors() -> Iterator[Any]:
    """Each service's errors with members of their own, answered to any one of its operations (botocore looks the
    error's shape up service-wide)."""
    for service in SERVICES:
        model = service_model(service)
        operation = model.operation_model(sorted(model.operation_names)[0])
        for shape in model.error_shapes:
            yield pytest.param(operation, shape, id=f"{service}-{shape.name}")


@pytest.mark.parametrize("model", list(operations()))
def test_an_answer_with_every_output_member_parses_as_botocore_parses_it(model: OperationModel) -> None:
    payload = full_value(model.output_shape) if model.output_shape is not None else {}
    assert_same_both_ways(model, 200, payload)


@pytest.mark.parametrize(("model", "error"), list(modelled_errors()))
def test_every_modelled_error_parses_as_botocore_parses_it(model: OperationModel, error: StructureShape) -> None:
    payload = {"__type": error.name, **full_value(error)}
    assert_same_both_ways(model, int(error.metadata.get("error", {}).get("httpStatusCode", 400)), payload)


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        pytest.param(400, {"__type": "SerializationException", "message": "bad"}, id="unmodelled-error"),
        pytest.param(500, {"__type": "ServerException", "message": "boom"}, id="server-error"),
        pytest.param(400, {"__type": "UnknownOperationException"}, id="error-without-message"),
        pytest.param(200, {"repository": {"repositoryName": "app", "future": 1, "createdAt": None}}, id="unknown-null"),
    ],
)
def test_other_answers_parse_as_botocore_parses_them(status: int, payload: dict[str, Any]) -> None:
    assert_same_both_ways(service_model("ecr").operation_model("CreateRepository"), status, payload)


def test_the_parsers_a_session_configures_serve_both_ways() -> None:
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=lambda value: f"at {value}", blob_parser=lambda value: value[::-1])
    model = service_model("ecr").operation_model("DescribeImageScanFindings")
    assert_same_both_ways(model, 200, full_value(model.output_shape), factory)
    model = service_model("ecr-public").operation_model("PutRegistryCatalogData")
    assert_same_both_ways(model, 200, full_value(model.output_shape), factory)


# --- timestamps in the process's local zone -------------------------------------------------------------


@contextlib.contextmanager
def local_zone(name: str) -> Iterator[None]:
    """The process's local zone set to ``name`` (the ``TZ`` variable, as botocore's ``tzlocal`` reads it)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def outcome(parse: Callable[[], Any]) -> Any:
    """What ``parse`` gives, types spelled out, or the error it raises."""
    try:
        return typed(parse())
    except (ValueError, RuntimeError) as error:  # botocore's parser's, for a time beyond its range
        return (type(error), str(error))


@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Kolkata", "America/St_Johns", "America/New_York", "Europe/Dublin", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize(
    "created_at",
    [
        pytest.param(0, id="epoch"),
        pytest.param(1764712345, id="whole-seconds"),
        pytest.param(1764712345.125, id="milliseconds"),
        pytest.param(1699999999.9999995, id="rounded-up-to-a-second"),
        pytest.param(-1.5, id="before-the-epoch"),
        pytest.param(1636263000.5, id="new-york-first-of-two-1-30s"),
        pytest.param(1636266600.5, id="new-york-second-of-two-1-30s"),
        pytest.param(1710054000, id="new-york-spring-forward"),
        pytest.param(2**40, id="beyond-year-9999"),
        pytest.param(1e300, id="far-beyond"),
        pytest.param("1764712345.125", id="epoch-as-a-string"),
        pytest.param("2025-12-02T21:52:25Z", id="iso-8601"),
    ],
)
def test_timestamps_in_any_local_zone_parse_as_botocore_parses_them(zone: str, created_at: Any) -> None:
    model = service_model("ecr").operation_model("CreateRepository")
    payload = {"repository": {"repositoryName": "app", "createdAt": created_at}}
    body = json.dumps(payload).encode()
    with local_zone(zone):
        expected = outcome(lambda: botocore_parsed(model, 200, HEADERS, body, ResponseParserFactory()))
        direct = outcome(lambda: parsed_response(model, 200, HEADERS, payload, {}))
    assert direct == expected


def test_a_session_that_names_botocore_s_timestamp_parser_gets_its_results() -> None:
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    model = service_model("ecr").operation_model("DescribeImages")
    with local_zone("Asia/Kolkata"):
        assert_same_both_ways(model, 200, full_value(model.output_shape), factory)


# --- the fake's own answers to real calls ---------------------------------------------------------------

Mismatch = tuple[str, Any, Any]


def checked(client: Any, mismatches: list[Mismatch], factory: ResponseParserFactory | None = None) -> Any:
    """``client``, each answer it gets compared with botocore's parse of the HTTP body (read from the response)."""
    factory = factory or ResponseParserFactory()

    def compare(http_response: AWSResponse, parsed: dict[str, Any], model: OperationModel, **_: Any) -> None:
        expected = botocore_parsed(
            model, http_response.status_code, http_response.headers, http_response.content, factory
        )
        if typed(parsed) != typed(expected) or parsed != expected:
            mismatches.append((model.name, parsed, expected))

    client.meta.events.register("after-call", compare)
    return client


def every_operation() -> Iterator[Any]:
    for service in SERVICES:
        for name in sorted(service_model(service).operation_names):
            yield pytest.param(service, name, id=f"{service}-{name}")


@pytest.mark.parametrize(("service", "operation"), list(every_operation()))
def test_the_answer_to_a_bare_call_of_every_operation_parses_as_botocore_parses_it(
    fake_ecr: FakeEcr, service: str, operation: str
) -> None:
    mismatches: list[Mismatch] = []
    client = fake_ecr.client(service, region_name="us-east-1", config=Config(parameter_validation=False))
    method = getattr(checked(client, mismatches), xform_name(operation))
    with contextlib.suppress(client.exceptions.ClientError):
        method()
    assert mismatches == []


def recording(client: Any, answered: dict[str, int]) -> Callable[..., dict[str, Any]]:
    """Calls the client's operations by method name, its errors answered too, noting each one's status in
    ``answered``; an operation the installed model lacks is skipped (a client built from it can't call it)."""

    def call(method: str, **params: Any) -> dict[str, Any]:
        if not hasattr(client, method):
            return {}
        try:
            answer: dict[str, Any] = getattr(client, method)(**params)
        except client.exceptions.ClientError as error:
            answer = error.response
        answered[method] = answer["ResponseMetadata"]["HTTPStatusCode"]
        return answer

    return call


def ecr_session(ecr: Any, fake: FakeEcr) -> dict[str, int]:
    """A session of ECR calls over a pushed image and an uploaded layer: operation -> the status it answered."""
    answered: dict[str, int] = {}
    call = recording(ecr, answered)
    image = fake.image(files={"app.txt": "parsed"})
    call("create_repository", repositoryName="app", tags=[{"Key": "team", "Value": "b"}])
    image_id = {"imageDigest": fake.push("app:v1", image)}
    app = {"repositoryName": "app"}
    arn = call("describe_repositories")["repositories"][0]["repositoryArn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
    rule = {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}}
    lifecycle = {"rules": [{**rule, "action": {"type": "expire"}}]}
    layer = b"a layer"
    layer_digest = f"sha256:{hashlib.sha256(layer).hexdigest()}"
    call("describe_images", **app)
    call("list_images", **app)
    call("batch_get_image", **app, imageIds=[{"imageTag": "v1"}, {"imageTag": "none"}])
    call("get_authorization_token")
    call("tag_resource", resourceArn=arn, tags=[{"Key": "team", "Value": "a"}])
    call("list_tags_for_resource", resourceArn=arn)
    call("set_repository_policy", **app, policyText=json.dumps(policy))
    call("get_repository_policy", **app)
    call("put_lifecycle_policy", **app, lifecyclePolicyText=json.dumps(lifecycle))
    call("get_lifecycle_policy", **app)
    call("start_lifecycle_policy_preview", **app)
    call("get_lifecycle_policy_preview", **app)
    call("start_image_scan", **app, imageId=image_id)
    call("describe_image_scan_findings", **app, imageId=image_id)
    call("put_image_tag_mutability", **app, imageTagMutability="IMMUTABLE")
    call("put_image", **app, imageManifest=image.manifest.decode(), imageTag="v1")
    call("describe_registry")
    call("get_registry_scanning_configuration")
    call("batch_get_repository_scanning_configuration", repositoryNames=["app"])
    call("create_pull_through_cache_rule", ecrRepositoryPrefix="hub", upstreamRegistryUrl="public.ecr.aws")
    call("describe_pull_through_cache_rules")
    call("create_repository_creation_template", prefix="tpl", appliedFor=["CREATE_ON_PUSH"])
    call("describe_repository_creation_templates")
    call("list_image_referrers", **app, subjectId=image_id)
    call("describe_image_replication_status", **app, imageId=image_id)
    call("get_account_setting", name="BASIC_SCAN_TYPE_VERSION")
    upload_id = call("initiate_layer_upload", **app)["uploadId"]
    call("upload_layer_part", **app, uploadId=upload_id, layerPartBlob=layer, partFirstByte=0, partLastByte=6)
    call("complete_layer_upload", **app, uploadId=upload_id, layerDigests=[layer_digest])
    call("batch_check_layer_availability", **app, layerDigests=[layer_digest, "sha256:" + "0" * 64])
    call("get_download_url_for_layer", **app, layerDigest=layer_digest)
    call("batch_delete_image", **app, imageIds=[{"imageTag": "v1"}, {"imageTag": "none"}])
    call("delete_repository", **app, force=True)
    return answered


def public_session(ecr_public: Any) -> dict[str, int]:
    """A session of ECR Public calls: operation -> the status it answered."""
    answered: dict[str, int] = {}
    call = recording(ecr_public, answered)
    app = {"repositoryName": "app"}
    arn = call(
        "create_repository",
        **app,
        catalogData={"description": "an app", "logoImageBlob": b"\x89PNG\r\n\x1a\n" + bytes(16)},
    )
    call("put_repository_catalog_data", **app, catalogData={"aboutText": "about", "operatingSystems": ["Linux"]})
    call("get_repository_catalog_data", **app)
    call("describe_repositories")
    call("put_registry_catalog_data", displayName="fake")
    call("get_registry_catalog_data")
    call("describe_registries")
    call("get_authorization_token")
    call("list_tags_for_resource", resourceArn=arn["repository"]["repositoryArn"])
    call("describe_images", **app)
    call("describe_image_tags", **app)
    upload_id = call("initiate_layer_upload", **app)["uploadId"]
    call("upload_layer_part", **app, uploadId=upload_id, layerPartBlob=b"layer", partFirstByte=0, partLastByte=4)
    call("delete_repository", **app, force=True)
    return answered


def test_a_session_of_ecr_calls_parses_as_botocore_parses_it(fake_ecr: FakeEcr) -> None:
    mismatches: list[Mismatch] = []
    answered = ecr_session(checked(fake_ecr.client(), mismatches), fake_ecr)
    assert mismatches == []
    succeeded = {method for method, status in answered.items() if status == 200}
    assert {"describe_images", "batch_get_image", "get_authorization_token", "upload_layer_part"} <= succeeded


def test_a_session_of_ecr_public_calls_parses_as_botocore_parses_it(fake_ecr: FakeEcr) -> None:
    mismatches: list[Mismatch] = []
    answered = public_session(checked(fake_ecr.client("ecr-public", region_name="us-east-1"), mismatches))
    assert mismatches == []
    succeeded = {method for method, status in answered.items() if status == 200}
    assert {"create_repository", "get_repository_catalog_data", "get_authorization_token"} <= succeeded


def test_a_session_whose_parsers_are_its_own_gets_its_parsers_results(fake_ecr: FakeEcr) -> None:
    session = botocore.session.get_session()
    factory = session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=lambda value: f"at {value}", blob_parser=lambda value: value[::-1])
    mismatches: list[Mismatch] = []
    ecr = checked(boto3.Session(botocore_session=session).client("ecr", region_name="us-east-1"), mismatches, factory)
    created = ecr.create_repository(repositoryName="app")["repository"]["createdAt"]
    ecr_session(ecr, fake_ecr)
    assert mismatches == []
    assert created.startswith("at ")
