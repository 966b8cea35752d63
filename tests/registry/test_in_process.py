"""``requests`` at ECR's registry host names reaches the active fake in-process, with no server running.

Every test here uses ``mock_ecr()`` without a server (not the pytest fixture, whose session server
would be running): ``https://<account>.dkr.ecr.<region>.amazonaws.com[.cn]/v2/...`` is answered by the
fake through ``responses``, every other URL goes out untouched, and moto's own ``responses`` mock keeps
serving its URLs whichever of the two starts first (moto 5's ``mock_aws`` or moto 4's per-service mocks,
whichever the installed moto has; ``registry.moto_mocks``).  Real clients built on ``requests`` - oras-py and
python-dxf - push and pull against those host names (docs/behaviour/clients.md).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
import responses

from fake_ecr import FakeEcr, images, mock_ecr

from registry.moto_mocks import MOTO_MOCKS, MotoMocks, requires

ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
REPOSITORY = "team/app"
IMAGE = images.image(files={"app.txt": "in-process"})
LOCAL_BODY = b"served through a real socket"


def require(module: str) -> ModuleType:
    """Import a test dependency; its absence fails the test (never a skip)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pytest.fail(f"{module} is missing: pip install -e '.[test]' ({error})")


@pytest.fixture
def fake() -> Iterator[FakeEcr]:
    with mock_ecr() as fake:
        assert fake.server is None
        yield fake


def login(region: str = REGION, registry_id: str = ACCOUNT) -> tuple[str, dict[str, str]]:
    """(proxyEndpoint, the Basic header) from GetAuthorizationToken, as a client would log in."""
    ecr = boto3.client("ecr", region_name=region)
    data = ecr.get_authorization_token(registryIds=[registry_id])["authorizationData"][0]
    return data["proxyEndpoint"], {"Authorization": f"Basic {data['authorizationToken']}"}


def password() -> str:
    """The password half of the token, as `aws ecr get-login-password` prints it."""
    token = boto3.client("ecr", region_name=REGION).get_authorization_token()["authorizationData"][0]
    return base64.b64decode(token["authorizationToken"]).decode().partition(":")[2]


@pytest.fixture(scope="module")
def local_site() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1, for URLs that must pass through untouched."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(LOCAL_BODY)))
            self.end_headers()
            self.wfile.write(LOCAL_BODY)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


# --- routing ------------------------------------------------------------------------------------------


def create_in_region(fake: FakeEcr, region: str, registry_id: str) -> None:
    if registry_id == ACCOUNT:
        boto3.client("ecr", region_name=region).create_repository(repositoryName=REPOSITORY)
    else:  # the control plane creates repositories in the caller's own account only
        fake.registry(registry_id, region).create_repository(REPOSITORY)


@pytest.mark.parametrize(
    ("region", "registry_id", "host"),
    [
        pytest.param(REGION, ACCOUNT, HOST, id="own-registry"),
        pytest.param("eu-west-1", ACCOUNT, f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com", id="another-region"),
        pytest.param(REGION, "111122223333", f"111122223333.dkr.ecr.{REGION}.amazonaws.com", id="another-account"),
        pytest.param("cn-north-1", ACCOUNT, f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn", id="china"),
    ],
)
def test_the_registry_a_host_names_answers(fake: FakeEcr, region: str, registry_id: str, host: str) -> None:
    create_in_region(fake, region, registry_id)
    fake.push(f"{REPOSITORY}:v1", IMAGE, account_id=registry_id, region=region)
    endpoint, credentials = login(region, registry_id)

    challenge = requests.get(f"{endpoint}/v2/", timeout=30)
    tags = requests.get(f"{endpoint}/v2/{REPOSITORY}/tags/list", headers=credentials, timeout=30)

    assert endpoint == f"https://{host}"
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == f'Basic realm="https://{host}/",service="ecr.amazonaws.com"'
    assert tags.json() == {"name": REPOSITORY, "tags": ["v1"]}


def test_a_chunked_upload_and_a_streamed_download_round_trip(fake: FakeEcr) -> None:
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName=REPOSITORY)
    endpoint, credentials = login()
    data = bytes(range(256)) * 4096  # 1 MiB
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    consumed: list[int] = []

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 100_000):
            consumed.append(start)
            yield data[start : start + 100_000]

    started = requests.post(f"{endpoint}/v2/{REPOSITORY}/blobs/uploads/", headers=credentials, timeout=30)
    finished = requests.put(
        endpoint + started.headers["Location"],
        params={"digest": digest},
        data=chunks(),
        headers=credentials,
        timeout=30,
    )
    head = requests.head(f"{endpoint}/v2/{REPOSITORY}/blobs/{digest}", headers=credentials, timeout=30)
    with requests.get(
        f"{endpoint}/v2/{REPOSITORY}/blobs/{digest}", headers=credentials, stream=True, timeout=30
    ) as got:
        pieces = list(got.iter_content(chunk_size=65536))

    assert (started.status_code, finished.status_code) == (202, 201)
    assert len(consumed) == 11
    assert finished.headers["Docker-Content-Digest"] == digest
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(len(data)), b"")
    assert len(pieces) == 16
    assert b"".join(pieces) == data


def test_a_download_url_works_without_credentials(fake: FakeEcr) -> None:
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName=REPOSITORY)
    fake.push(f"{REPOSITORY}:v1", IMAGE)
    layer = IMAGE.layers[0]

    url = ecr.get_download_url_for_layer(repositoryName=REPOSITORY, layerDigest=layer.digest)["downloadUrl"]

    assert url.startswith(f"https://{HOST}/v2/{REPOSITORY}/blobs/{layer.digest}?")
    assert requests.get(url, timeout=30).content == layer.data


def test_other_urls_pass_through_untouched(fake: FakeEcr, local_site: str) -> None:
    assert requests.get(local_site, timeout=30).content == LOCAL_BODY


def test_the_fake_answers_its_hosts_only_while_it_is_active(local_site: str) -> None:
    url = f"https://{HOST}/v2/"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as earlier_mock:
        earlier_mock.get(url, status=418)
        earlier_mock.add_passthru(local_site)

        before = requests.get(url, timeout=30).status_code
        with mock_ecr():
            during = requests.get(url, timeout=30).status_code
            passed = requests.get(local_site, timeout=30).content
        after = requests.get(url, timeout=30).status_code

    assert (before, during, after) == (418, 401, 418)
    assert passed == LOCAL_BODY  # through the fake's mock, then the earlier one's passthru


def test_the_latest_active_fake_answers(fake: FakeEcr) -> None:
    url = f"https://{HOST}/v2/{REPOSITORY}/tags/list"
    with mock_ecr() as inner:
        boto3.client("ecr", region_name=REGION).create_repository(repositoryName=REPOSITORY)
        inner.push(f"{REPOSITORY}:inner", IMAGE)
        _, credentials = login()
        from_inner = requests.get(url, headers=credentials, timeout=30)
    from_outer = requests.get(url, headers=credentials, timeout=30)

    assert from_inner.json() == {"name": REPOSITORY, "tags": ["inner"]}
    assert (from_outer.status_code, from_outer.json()["errors"][0]["code"]) == (404, "NAME_UNKNOWN")


# --- moto's mocks alongside -----------------------------------------------------------------------------

ORDERS: dict[str, Callable[[MotoMocks], list[AbstractContextManager[Any]]]] = {
    "fake-then-moto": lambda moto_mocks: [mock_ecr(), *moto_mocks.contexts()],
    "moto-then-fake": lambda moto_mocks: [*moto_mocks.contexts(), mock_ecr()],
}


@pytest.mark.parametrize("moto_mocks", MOTO_MOCKS)
@pytest.mark.parametrize("order", list(ORDERS))
def test_moto_serves_its_urls_and_the_fake_its_registry_hosts(
    order: str, moto_mocks: MotoMocks, local_site: str
) -> None:
    with ExitStack() as stack:
        for mock in ORDERS[order](moto_mocks):
            stack.enter_context(mock)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="my-bucket")
        s3.put_object(Bucket="my-bucket", Key="report.txt", Body=b"from moto")
        presigned = s3.generate_presigned_url("get_object", Params={"Bucket": "my-bucket", "Key": "report.txt"})
        boto3.client("ecr", region_name=REGION).create_repository(repositoryName=REPOSITORY)
        _, credentials = login()

        from_moto = requests.get(presigned, timeout=30)
        from_fake = requests.get(f"https://{HOST}/v2/{REPOSITORY}/tags/list", headers=credentials, timeout=30)
        from_the_network = requests.get(local_site, timeout=30)

    assert (from_moto.status_code, from_moto.content) == (200, b"from moto")
    assert from_fake.json() == {"name": REPOSITORY, "tags": []}
    assert from_the_network.content == LOCAL_BODY


@requires("mock_aws")
def test_a_core_config_of_the_user_s_own_leaves_the_registry_hosts_to_the_fake() -> None:
    import moto  # noqa: PLC0415 - only where the installed moto has mock_aws

    # mock_aws(config=...) replaces moto's whole "core" setting while it runs, passthrough URLs included.
    with mock_ecr(), moto.mock_aws(config={"core": {"mock_credentials": True}}):
        boto3.client("ecr", region_name=REGION).create_repository(repositoryName=REPOSITORY)
        _, credentials = login()
        from_fake = requests.get(f"https://{HOST}/v2/{REPOSITORY}/tags/list", headers=credentials, timeout=30)

    assert from_fake.json() == {"name": REPOSITORY, "tags": []}


# --- real clients -------------------------------------------------------------------------------------


def oras_client(backend: str) -> Any:
    oras_client_module = require("oras.client")
    if backend == "ecr":  # oras-py's own ECR backend answers the challenge with boto3's GetAuthorizationToken
        return oras_client_module.OrasClient(hostname=HOST, auth_backend="ecr")
    oras = oras_client_module.OrasClient(hostname=HOST, auth_backend="basic")
    oras.auth.set_basic_auth("AWS", password())
    return oras


@pytest.mark.parametrize("backend", ["ecr", "basic"])
def test_oras_pushes_and_pulls_an_artifact(
    fake: FakeEcr, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName=REPOSITORY)
    monkeypatch.chdir(tmp_path)  # oras-py pushes files below the working directory only
    Path("notes.txt").write_text("pushed by oras-py")
    oras = oras_client(backend)

    pushed = oras.push(target=f"{HOST}/{REPOSITORY}:v1", files=["notes.txt"])
    pulled = oras.pull(target=f"{HOST}/{REPOSITORY}:v1", outdir=str(tmp_path / "out"))

    assert pushed.status_code == 201
    assert [Path(path).read_text() for path in pulled] == ["pushed by oras-py"]
    stored = fake.pull(f"{REPOSITORY}:v1")
    assert isinstance(stored, images.Image)
    assert [layer.data for layer in stored.layers] == [b"pushed by oras-py"]


def test_python_dxf_pushes_blobs_and_an_alias_and_pulls_them(fake: FakeEcr, tmp_path: Path) -> None:
    dxf_module = require("dxf")
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName=REPOSITORY)
    secret = password()
    # dxf sends Basic credentials only over https, which ECR's host names are.
    dxf = dxf_module.DXF(HOST, REPOSITORY, auth=lambda d, response: d.authenticate("AWS", secret, response=response))
    streamed = b"streamed " * 50_000
    streamed_digest = "sha256:" + hashlib.sha256(streamed).hexdigest()
    from_file = tmp_path / "layer.bin"
    from_file.write_bytes(b"from a file")

    assert dxf.push_blob(data=iter([streamed[:200_000], streamed[200_000:]]), digest=streamed_digest) == streamed_digest
    file_digest = dxf.push_blob(str(from_file))
    dxf.set_alias("v1", file_digest, streamed_digest)

    assert b"".join(dxf.pull_blob(streamed_digest)) == streamed
    assert dxf.get_alias("v1") == [file_digest, streamed_digest]  # dxf checks the manifest's digest too
    assert ecr.list_images(repositoryName=REPOSITORY)["imageIds"][0]["imageTag"] == "v1"
