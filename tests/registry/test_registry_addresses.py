"""Which registries exist, which ports and threads they cost, and what binds where.

A registry (one account in one region) is stored, and given a port of its own on a running server, only when
something is written to it; reads, logins and registry requests that merely name an account or region (in
``registryId``, a repository ARN, the SigV4 credential scope or an ECR ``Host``) answer as an empty registry and
leave nothing behind.  Writes store at most ``Settings.max_registries`` registries; a server keeps at most that
many extra ports; stopping closes every port and ends every thread.  Everything binds to 127.0.0.1 unless told
otherwise.  Ports are what local addresses cost (``Settings.registry_addresses="local"``, pinned here); with ECR's
addresses, the default, every registry is reached through the server's one port as HTTPS proxy.

Listening sockets are this process's socket descriptors (/proc/self/fd) found in LISTEN state in /proc/net/tcp.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fake_ecr import FakeEcr, FakeServer, Settings
from fake_ecr.surfaces.cli import main

from registry.helpers import basic, oci_error

ACCOUNT = "123456789012"
#: Accounts and regions nothing is written to.
STRANGERS = [f"{n:012}" for n in range(200000000001, 200000000011)]
NEW_REGIONS = [f"zz-abuse-{n}" for n in range(1, 6)]
#: Registries at ports of their own on the server.
LOCAL = Settings(registry_addresses="local")

pytestmark = pytest.mark.fake_ecr(registry_addresses="local")


def listening() -> set[tuple[str, int]]:
    """(address, port) of every TCP socket this process listens on."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since listed
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    found = set()
    with open("/proc/net/tcp") as table:  # IPv4; fake-ecr binds 127.0.0.1
        next(table)
        for line in table:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:
                address, port = local.split(":")
                found.add((socket.inet_ntoa(bytes.fromhex(address)[::-1]), int(port, 16)))
    return found


def listener_threads() -> set[str]:
    """The threads that run a listening socket's loop ("fake-ecr:<port>"; requests run on threads of their own)."""
    return {thread.name for thread in threading.enumerate() if re.fullmatch(r"fake-ecr:\d+", thread.name)}


def settle(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within a few seconds (threads end once their connection closes)."""
    deadline = time.monotonic() + 5
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@contextmanager
def http_client(fake: FakeEcr, region: str = "us-east-1") -> Iterator[Any]:
    """A boto3 client signing for ``region`` (its SigV4 credential scope), through the server; closed after."""
    client = fake.client(http=True, region_name=region)
    try:
        yield client
    finally:
        client.close()


def stored(fake: FakeEcr) -> list[tuple[str, str]]:
    return sorted((registry.registry_id, registry.region) for registry in fake.backend.registries())


# --- reads name registries without creating them -------------------------------------------------------


def _arn(account: str, region: str = "us-east-1") -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/app"


#: (what a hostile client repeats, what each answers): every account of STRANGERS, every region of NEW_REGIONS.
READS: list[Any] = [
    pytest.param(
        lambda ecr, account: len(ecr.get_authorization_token(registryIds=[account])["authorizationData"]),
        1,
        id="get-authorization-token-registry-ids",
    ),
    pytest.param(
        lambda ecr, _: len(ecr.get_authorization_token()["authorizationData"]), 1, id="get-authorization-token"
    ),
    pytest.param(
        lambda ecr, account: ecr.describe_repositories(registryId=account)["repositories"],
        [],
        id="describe-repositories",
    ),
    pytest.param(
        lambda ecr, _: ecr.describe_registry()["replicationConfiguration"], {"rules": []}, id="describe-registry"
    ),
    pytest.param(
        lambda ecr, account: ecr.describe_pull_through_cache_rules(registryId=account)["pullThroughCacheRules"],
        [],
        id="describe-pull-through-cache-rules",
    ),
    pytest.param(
        lambda ecr, account: ecr.list_images(registryId=account, repositoryName="app"),
        "RepositoryNotFoundException",
        id="list-images",
    ),
    pytest.param(
        lambda ecr, account: ecr.get_download_url_for_layer(
            registryId=account, repositoryName="app", layerDigest="sha256:" + "0" * 64
        ),
        "RepositoryNotFoundException",
        id="get-download-url-for-layer",
    ),
    pytest.param(
        lambda ecr, account: ecr.list_tags_for_resource(resourceArn=_arn(account, ecr.meta.region_name)),
        "RepositoryNotFoundException",
        id="list-tags-for-resource",
    ),
    pytest.param(lambda ecr, _: ecr.get_registry_policy(), "RegistryPolicyNotFoundException", id="get-registry-policy"),
]


def _answer(call: Callable[[Any, str], Any], ecr: Any, account: str) -> Any:
    try:
        return call(ecr, account)
    except ClientError as error:
        return error.response["Error"]["Code"]


@pytest.mark.parametrize(("call", "answer"), READS)
def test_reads_of_registries_nothing_was_written_to_store_nothing_and_open_no_port(
    fake_ecr: FakeEcr, call: Callable[[Any, str], Any], answer: Any
) -> None:
    ports, threads = listening(), listener_threads()
    for region in NEW_REGIONS:
        with http_client(fake_ecr, region) as ecr:
            assert [_answer(call, ecr, account) for account in STRANGERS] == [answer] * len(STRANGERS)

    assert stored(fake_ecr) == []
    assert listening() == ports
    assert listener_threads() == threads


def test_a_login_to_a_registry_nothing_was_written_to_names_ecrs_host(fake_ecr: FakeEcr) -> None:
    with http_client(fake_ecr, "eu-west-1") as ecr:
        data = ecr.get_authorization_token(registryIds=[STRANGERS[0]])["authorizationData"][0]
    assert data["proxyEndpoint"] == f"https://{STRANGERS[0]}.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((401, "UNAUTHORIZED"), id="auth-on"),
        pytest.param((404, "NAME_UNKNOWN"), id="auth-off", marks=pytest.mark.fake_ecr(registry_auth=False)),
    ],
)
def test_registry_requests_for_unknown_ecr_hosts_store_nothing(fake_ecr: FakeEcr, answer: tuple[int, str]) -> None:
    assert fake_ecr.server is not None
    ports = listening()
    answers = set()
    for account in STRANGERS:
        for region in NEW_REGIONS:
            host = f"{account}.dkr.ecr.{region}.amazonaws.com"
            response = requests.get(f"{fake_ecr.server.endpoint}/v2/app/tags/list", headers={"Host": host}, timeout=30)
            answers.add((response.status_code, oci_error(response)[0]))
    assert answers == {answer}
    assert stored(fake_ecr) == []
    assert listening() == ports


# --- writes create them: one port each, up to a limit ---------------------------------------------------


def test_a_write_stores_the_registry_and_gives_it_a_port(fake_ecr: FakeEcr) -> None:
    ports = listening()
    with http_client(fake_ecr, "eu-west-1") as ecr:
        uri = ecr.create_repository(repositoryName="app")["repository"]["repositoryUri"]
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]

    address = uri.removesuffix("/app")
    host, port = address.split(":")
    assert stored(fake_ecr) == [(ACCOUNT, "eu-west-1")]
    # The session's server may have opened that port for an earlier test already: it is kept, and reused.
    assert (host, int(port)) in listening()
    assert listening() - ports <= {(host, int(port))}
    assert requests.get(f"http://{address}/v2/app/tags/list", headers=basic(token), timeout=30).json() == {
        "name": "app",
        "tags": [],
    }


@pytest.mark.fake_ecr(max_registries=2)
def test_writes_store_at_most_max_registries(fake_ecr: FakeEcr) -> None:
    for region in ("us-east-1", "eu-west-1"):
        with http_client(fake_ecr, region) as ecr:
            ecr.create_repository(repositoryName="app")

    with http_client(fake_ecr, "ap-south-1") as ecr, pytest.raises(ClientError) as refused:
        ecr.create_repository(repositoryName="app")
    with http_client(fake_ecr, "ap-south-1") as ecr:
        assert ecr.describe_repositories()["repositories"] == []  # reads still answer

    assert refused.value.response["Error"] == {
        "Code": "LimitExceededException",
        "Message": "fake-ecr holds at most 2 registries (Settings.max_registries): "
        f"the registry of account {ACCOUNT} in ap-south-1 would be one more",
    }
    assert stored(fake_ecr) == [(ACCOUNT, "eu-west-1"), (ACCOUNT, "us-east-1")]


def test_a_server_keeps_at_most_max_registries_extra_ports() -> None:
    server = FakeServer(settings=Settings(max_registries=2))
    roomy = Settings(max_registries=10, registry_addresses="local")
    try:
        with FakeEcr(roomy, server=server) as first:
            for account in STRANGERS[:3]:
                first.registry(account)
            earlier = [first.registry_host(account, "us-east-1") for account in STRANGERS[:2]]
            with http_client(first) as ecr, pytest.raises(ClientError) as refused:
                ecr.get_authorization_token(registryIds=[STRANGERS[2]])  # its proxyEndpoint: a third port
        with FakeEcr(roomy, server=server) as second:
            second.registry(STRANGERS[3])
            later = second.registry_host(STRANGERS[3], "us-east-1")  # the first fake's ports are closed for it
            ports = {port for _, port in listening()}
    finally:
        server.stop()

    assert refused.value.response["Error"]["Code"] == "LimitExceededException"
    assert {int(address.split(":")[1]) for address in earlier} & ports == set()
    assert int(later.split(":")[1]) in ports


def test_with_ecr_addresses_a_write_opens_no_port_and_names_ecrs_host() -> None:
    ports = listening()
    with FakeEcr(Settings(registry_addresses="ecr"), server=True) as fake:
        server_ports = listening() - ports
        with http_client(fake, "eu-west-1") as ecr:
            uri = ecr.create_repository(repositoryName="app")["repository"]["repositoryUri"]

        assert uri == f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app"
        assert stored(fake) == [(ACCOUNT, "eu-west-1")]
        assert listening() - ports == server_ports  # the server's own port, nothing more


# --- stopping closes everything ----------------------------------------------------------------------------


def test_stopping_closes_every_port_and_thread() -> None:
    ports, threads = listening(), set(threading.enumerate())
    with FakeEcr(LOCAL, server=True) as fake:
        for region in ("eu-west-1", "eu-central-1", "ap-south-1"):
            with http_client(fake, region) as ecr:
                ecr.create_repository(repositoryName="app")
                token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
            address = fake.registry_host(ACCOUNT, region)
            assert requests.get(f"http://{address}/v2/", headers=basic(token), timeout=30).status_code == 200
        opened = listening() - ports

    assert len(opened) == 4  # the server's own port and one for each region's registry
    assert listening() == ports
    assert settle(lambda: set(threading.enumerate()) <= threads), set(threading.enumerate()) - threads


# --- where it binds ------------------------------------------------------------------------------------------


def test_every_port_binds_to_127_0_0_1_by_default() -> None:
    ports = listening()
    with FakeEcr(LOCAL, server=True) as fake:
        fake.registry(STRANGERS[0])
        fake.registry_host(STRANGERS[0], "us-east-1")
        opened = listening() - ports
    assert len(opened) == 2
    assert {address for address, _ in opened} == {"127.0.0.1"}


def test_serve_listens_on_127_0_0_1_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "address to listen on [FAKE_ECR_HOST; default 127.0.0.1]" in " ".join(capsys.readouterr().out.split())
