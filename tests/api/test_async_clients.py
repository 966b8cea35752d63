"""aiobotocore and aioboto3 ECR clients are answered in-process, as boto3's are.

fake-ecr's botocore ``before-call`` handler (``fake_ecr.surfaces.boto``) is among botocore's built-in handlers, which
aiobotocore's sessions register too; aiobotocore emits the same event and awaits a handler's answer only when
it is awaitable, so the fake's plain answer stands.  Nothing here can reach AWS: there is no network, so a call
the fake did not answer fails.  Each test runs its client in a fresh event loop (``asyncio.run``), as a sync
test may.  Skipped where aiobotocore is not installed: it pins botocore to a narrow range, so it is not one of
the test extras.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import pytest

from fake_ecr import FakeEcr

aiobotocore_session = pytest.importorskip("aiobotocore.session", reason="aiobotocore is not installed")
aiobotocore_stub = pytest.importorskip("aiobotocore.stub", reason="aiobotocore is not installed")

T = TypeVar("T")
Run = Callable[[Callable[[Any], Awaitable[T]]], T]


def aiobotocore_client(region: str) -> AbstractAsyncContextManager[Any]:
    return aiobotocore_session.get_session().create_client("ecr", region_name=region)  # type: ignore[no-any-return]


def aioboto3_client(region: str) -> AbstractAsyncContextManager[Any]:
    import aioboto3  # noqa: PLC0415 - optional, see its param

    return aioboto3.Session().client("ecr", region_name=region)  # type: ignore[no-any-return]


@pytest.fixture(
    params=[
        pytest.param(aiobotocore_client, id="aiobotocore"),
        pytest.param(
            aioboto3_client,
            id="aioboto3",
            marks=pytest.mark.skipif(importlib.util.find_spec("aioboto3") is None, reason="aioboto3 is not installed"),
        ),
    ]
)
def run(request: pytest.FixtureRequest, fake_ecr: FakeEcr) -> Run[Any]:
    """Run ``steps(ecr)`` with an async ECR client in the fake's region, in a fresh event loop."""
    make_client: Callable[[str], AbstractAsyncContextManager[Any]] = request.param

    def run_steps(steps: Callable[[Any], Awaitable[T]]) -> T:
        async def main() -> T:
            async with make_client(fake_ecr.settings.region) as ecr:
                return await steps(ecr)

        return asyncio.run(main())

    return run_steps


def test_create_repository_then_describe_repositories(fake_ecr: FakeEcr, run: Run[Any]) -> None:
    async def steps(ecr: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        created = await ecr.create_repository(repositoryName="my-repository")
        described = await ecr.describe_repositories()
        return created["repository"], described["repositories"]

    created, described = run(steps)

    assert created["repositoryUri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository"
    assert described == [created]
    assert [r.repository_name for r in fake_ecr.registry().repositories()] == ["my-repository"]


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        pytest.param(
            ("describe_repositories", {"repositoryNames": ["missing"]}),
            "RepositoryNotFoundException",
            "The repository with name 'missing' does not exist in the registry with id '{account}'",
            id="repository-not-found",
        ),
        pytest.param(
            ("create_repository", {"repositoryName": "existing"}),
            "RepositoryAlreadyExistsException",
            "The repository with name 'existing' already exists in the registry with id '{account}'",
            id="repository-already-exists",
        ),
        pytest.param(
            ("describe_repositories", {"maxResults": 1001}),
            "InvalidParameterException",
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000",
            id="validated-by-the-fake",
        ),
    ],
)
def test_a_modelled_error_is_its_typed_exception(
    fake_ecr: FakeEcr, run: Run[Any], call: tuple[str, dict[str, Any]], code: str, message: str
) -> None:
    operation, params = call
    fake_ecr.registry().create_repository("existing")

    async def steps(ecr: Any) -> Any:
        with pytest.raises(getattr(ecr.exceptions, code)) as excinfo:
            await getattr(ecr, operation)(**params)
        return excinfo.value

    error = run(steps)

    expected = message.format(account=fake_ecr.settings.account_id)
    assert error.response["Error"] == {"Code": code, "Message": expected}
    operation_name = "".join(word.title() for word in operation.split("_"))
    assert str(error) == f"An error occurred ({code}) when calling the {operation_name} operation: {expected}"


def test_a_paginator_pages_through_describe_repositories(fake_ecr: FakeEcr, run: Run[Any]) -> None:
    names = [f"repository-{n}" for n in range(5)]
    for name in names:
        fake_ecr.registry().create_repository(name)

    async def steps(ecr: Any) -> list[list[str]]:
        paginator = ecr.get_paginator("describe_repositories")
        return [
            [repository["repositoryName"] for repository in page["repositories"]]
            async for page in paginator.paginate(PaginationConfig={"PageSize": 2})
        ]

    pages = run(steps)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(name for page in pages for name in page) == names


def test_put_image_then_batch_get_image(fake_ecr: FakeEcr, run: Run[Any]) -> None:
    image = fake_ecr.image(files={"app.txt": "from an async client"})
    fake_ecr.registry().create_repository("my-repository")
    fake_ecr.push_blobs("my-repository", image.blobs())

    async def steps(ecr: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        put = await ecr.put_image(
            repositoryName="my-repository",
            imageManifest=image.manifest.decode(),
            imageManifestMediaType=image.media_type,
            imageTag="v1",
        )
        got = await ecr.batch_get_image(repositoryName="my-repository", imageIds=[{"imageTag": "v1"}])
        return put["image"], got

    put, got = run(steps)

    assert put["imageId"] == {"imageDigest": image.digest, "imageTag": "v1"}
    assert got["failures"] == []
    assert [(i["imageId"], i["imageManifest"]) for i in got["images"]] == [
        ({"imageDigest": image.digest, "imageTag": "v1"}, image.manifest.decode())
    ]


def test_a_user_s_stubber_answers_before_the_fake(fake_ecr: FakeEcr, run: Run[Any]) -> None:
    fake_ecr.registry().create_repository("in-the-fake")

    async def steps(ecr: Any) -> tuple[list[str], list[str]]:
        with aiobotocore_stub.AioStubber(ecr) as stubber:
            stubber.add_response("describe_repositories", {"repositories": [{"repositoryName": "stubbed"}]})
            stubbed = await ecr.describe_repositories()
        answered = await ecr.describe_repositories()
        return (
            [r["repositoryName"] for r in stubbed["repositories"]],
            [r["repositoryName"] for r in answered["repositories"]],
        )

    assert run(steps) == (["stubbed"], ["in-the-fake"])


def test_an_aiobotocore_ecr_public_client_is_answered(fake_ecr: FakeEcr) -> None:
    async def main() -> list[str]:
        async with aiobotocore_session.get_session().create_client("ecr-public", region_name="us-east-1") as public:
            await public.create_repository(repositoryName="app")
            answer = await public.describe_repositories()
            return [repository["repositoryName"] for repository in answer["repositories"]]

    assert asyncio.run(main()) == ["app"]
    assert fake_ecr.backend.public_registry(fake_ecr.settings.account_id).repositories()[0].repository_name == "app"


def test_an_aiobotocore_session_s_own_timestamp_parser_reads_the_fake_s_timestamps(fake_ecr: FakeEcr) -> None:
    session = aiobotocore_session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=lambda value: ("at", value))

    async def main() -> Any:
        async with session.create_client("ecr", region_name=fake_ecr.settings.region) as ecr:
            return (await ecr.create_repository(repositoryName="app"))["repository"]["createdAt"]

    assert asyncio.run(main()) == ("at", fake_ecr.registry().repositories()[0].created_at)
