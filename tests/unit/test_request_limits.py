"""The limits' arithmetic, without a server: ECR's largest request read off botocore's model, when the
server's loop takes a request head as complete, and how uploads count their bytes."""

from __future__ import annotations

import json

import pytest
from botocore.serialize import create_serializer

from fake_ecr import errors
from fake_ecr.api.core import MAX_REQUEST_BODY, render_error
from fake_ecr.formats.service_model import largest_request, operation_model, validate_request
from fake_ecr.model.blobs import SPILL_THRESHOLD, UploadSession, UploadSpace
from fake_ecr.surfaces.connections import MAX_HEAD, head_is_complete

ASTRAL = "\U0001f433"  # past U+FFFF: botocore writes it as two \\u escapes, 12 bytes


def serialized(operation: str, params: dict[str, object]) -> bytes:
    """The body botocore sends for ``params``."""
    request = create_serializer("json").serialize_to_request(params, operation_model(operation))
    body = request["body"]
    return body if isinstance(body, bytes) else body.encode()


def test_a_put_image_of_the_longest_manifest_in_the_costliest_characters_fits() -> None:
    params: dict[str, object] = {
        "registryId": "123456789012",
        "repositoryName": "a" * 256,
        "imageManifest": ASTRAL * 4_194_304,
        "imageTag": "t" * 300,
    }
    validate_request("PutImage", params)  # a request ECR's limits allow

    body = serialized("PutImage", params)

    assert len(body) > 12 * 4_194_304
    assert len(body) <= MAX_REQUEST_BODY
    assert largest_request() == ("PutImage", MAX_REQUEST_BODY)


def test_an_upload_layer_part_of_the_largest_blob_fits() -> None:
    params: dict[str, object] = {
        "registryId": "123456789012",
        "repositoryName": "a" * 256,
        "uploadId": "01234567-89ab-cdef-0123-456789abcdef",
        "partFirstByte": 0,
        "partLastByte": 20_971_519,
        "layerPartBlob": b"\0" * 20_971_520,
    }
    validate_request("UploadLayerPart", {**params, "layerPartBlob": "AAAA" * (20_971_520 // 3) + "AA=="})

    assert len(serialized("UploadLayerPart", params)) <= MAX_REQUEST_BODY


def test_the_refusal_names_the_limit() -> None:
    status, _, body = render_error(errors.RequestBodyTooLarge(MAX_REQUEST_BODY, MAX_REQUEST_BODY + 1))

    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
    assert f"holds {MAX_REQUEST_BODY + 1} bytes" in json.loads(body)["message"]


@pytest.mark.parametrize(
    ("head", "complete"),
    [
        pytest.param(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n", True, id="whole"),
        pytest.param(b"GET /v2/ HTTP/1.1\nHost: x\n\n", True, id="bare-LF"),
        pytest.param(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n", False, id="fields-unfinished"),
        pytest.param(b"GET /v2/ HTTP/1.1", False, id="request-line-unfinished"),
        pytest.param(b"GET /\r\n", True, id="HTTP/0.9"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01", True, id="TLS-hello"),
        pytest.param(b"GET /" + b"a" * MAX_HEAD, True, id="too-long"),
    ],
)
def test_a_head_goes_to_a_thread_once_http_server_can_answer_it(head: bytes, complete: bool) -> None:
    assert head_is_complete(head, 0) is complete


def test_a_head_arriving_byte_by_byte_is_complete_at_its_blank_line() -> None:
    whole = b"PATCH /v2/app/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
    seen = [head_is_complete(whole[:end], end - 1) for end in range(1, len(whole) + 1)]

    assert seen == [False] * (len(whole) - 1) + [True]


def test_uploads_spill_once_their_shared_memory_is_spent_and_count_back_when_dropped() -> None:
    space = UploadSpace(memory_limit=100, space_limit=1000)
    first, second = UploadSession("1", "app", 0.0, space), UploadSession("2", "app", 0.0, space)

    first.append([b"a" * 80])
    second.append([b"b" * 80])  # over the memory limit together: this one goes to its file

    assert (space.held, space.in_memory) == (160, 80)
    second.append([b"c" * 10])
    assert (space.held, space.in_memory) == (170, 80)
    assert second.seal().read_all() == b"b" * 80 + b"c" * 10  # from the file, whole
    first.discard()
    assert (space.held, space.in_memory) == (0, 0)


def test_an_upload_spills_past_its_own_threshold_whatever_memory_is_left() -> None:
    space = UploadSpace(memory_limit=4 * SPILL_THRESHOLD, space_limit=8 * SPILL_THRESHOLD)
    upload = UploadSession("1", "app", 0.0, space)

    upload.append([b"x" * SPILL_THRESHOLD, b"y"])

    assert (space.held, space.in_memory) == (SPILL_THRESHOLD + 1, 0)


def test_a_chunk_past_the_space_limit_is_refused_before_a_byte_of_it_is_kept() -> None:
    space = UploadSpace(memory_limit=100, space_limit=100)
    upload = UploadSession("1", "app", 0.0, space)
    upload.append([b"a" * 60])

    with pytest.raises(errors.UploadSpaceExhausted, match=r"Settings\.upload_space_limit"):
        upload.append([b"b" * 41])

    assert (upload.size, space.held) == (60, 60)


def test_an_upload_that_would_spill_past_the_files_limit_is_refused_and_a_dropped_one_frees_its_file() -> None:
    space = UploadSpace(memory_limit=0, space_limit=1000, files_limit=2)
    first, second, third = (UploadSession(str(n), "app", 0.0, space) for n in range(3))
    first.append([b"a"])
    second.append([b"b"])

    refused = r"more than 2 temporary files \(Settings\.upload_files_limit\)"
    with pytest.raises(errors.UploadFilesExhausted, match=refused):
        third.append([b"c"])
    third.discard()
    assert (space.files, space.held) == (2, 2)

    assert first.seal().read_all() == b"a"  # a sealed upload's file is the blob's, no upload's
    second.discard()
    fourth = UploadSession("4", "app", 0.0, space)
    fourth.append([b"d"])
    assert (space.files, space.held, space.in_memory) == (1, 1, 0)
