"""Fuzzing both planes: whatever arrives, the fake answers it as ECR would answer nonsense.

Every operation of the installed botocore model gets well-shaped, mutated and non-JSON bodies sent raw to
the control plane; the registry gets random methods on the OCI spec's paths with random names, references,
digests, query strings, headers and bodies.  No answer is a 5xx other than the deliberate 501
UnsupportedOperationException, nothing is recorded in the fake's ``internal_errors``, and no answer
carries a Python traceback.  ``bench/fuzz.py`` runs the same for longer.
"""

from __future__ import annotations

import http.client
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import operation_names

from .fuzzing import (
    SEEDED_REPOSITORY,
    RegistryRequest,
    api_bodies,
    check_api_answer,
    check_registry_answer,
    manifest_documents,
    names_of,
    registry_requests,
    seed,
    send_api,
    send_registry,
)
from .helpers import Answer, Wire

#: Cases per operation (62 operations with botocore 1.44) and for the registry: a few thousand per run.
API_CASES = 25
REGISTRY_CASES = 700
MANIFEST_CASES = 150
HTTP_CASES = 150


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.parametrize("operation", sorted(operation_names()))
def test_no_request_body_breaks_the_control_plane(fake_ecr: FakeEcr, operation: str) -> None:
    names = names_of(seed(fake_ecr), fake_ecr.settings.account_id)

    @fuzz_settings(API_CASES)
    @given(body=api_bodies(operation, names))
    def answer_is_an_ecr_error_or_a_result(body: bytes) -> None:
        status, answer = send_api(fake_ecr, operation, body)
        check_api_answer(fake_ecr, operation, body, status, answer)

    answer_is_an_ecr_error_or_a_result()


def test_no_request_breaks_the_registry(fake_ecr: FakeEcr) -> None:
    seeded = seed(fake_ecr)
    wire = Wire(fake_ecr, authorized=False)

    @fuzz_settings(REGISTRY_CASES)
    @given(request=registry_requests(seeded, wire))
    def answer_is_an_oci_error_or_a_result(request: RegistryRequest) -> None:
        check_registry_answer(fake_ecr, request, send_registry(wire, request))

    answer_is_an_oci_error_or_a_result()


def test_no_request_over_http_breaks_the_server(fake_ecr: FakeEcr) -> None:
    """The same requests through the fixture's HTTP server: its framing and routing answer them politely too."""
    assert fake_ecr.server is not None
    seeded = seed(fake_ecr)
    wire = Wire(fake_ecr, authorized=False)
    server = fake_ecr.server

    @fuzz_settings(HTTP_CASES)
    @given(request=registry_requests(seeded, wire))
    def answer_is_an_oci_error_or_a_result(request: RegistryRequest) -> None:
        fake_ecr.internal_errors.clear()  # this case's alone, as send_registry does
        connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        try:
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            # A Content-Length that disagrees with the body is a framing test (tests/registry/test_http_framing.py).
            headers = {name: value for name, value in request.headers if name != "Content-Length"}
            connection.request(request.method, target, body=request.body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()
        check_registry_answer(fake_ecr, request, answer)

    answer_is_an_oci_error_or_a_result()


def test_no_manifest_breaks_put_image(fake_ecr: FakeEcr) -> None:
    """PutImage reads manifests as the registry's PUT does: mangled ones are refused, never a 500."""
    seeded = seed(fake_ecr)

    @fuzz_settings(MANIFEST_CASES)
    @given(manifest=manifest_documents(seeded), tag=st.none() | st.just("t"))
    def refused_or_stored(manifest: bytes, tag: str | None) -> None:
        params = {"repositoryName": SEEDED_REPOSITORY, "imageManifest": manifest.decode("utf-8", "replace")}
        if tag is not None:
            params["imageTag"] = tag
        body = json.dumps(params).encode()
        status, answer = send_api(fake_ecr, "PutImage", body)
        check_api_answer(fake_ecr, "PutImage", body, status, answer)

    refused_or_stored()
