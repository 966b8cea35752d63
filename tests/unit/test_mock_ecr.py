"""``mock_ecr()`` as a decorator of what is not a plain test function, and what ``fake.push`` says when refused.

Class decoration as pytest and unittest meet it is in tests/plugin/test_plugin.py; here: async and static
members called directly, decorating what cannot be decorated, and the registry a refused push names.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import boto3
import pytest

from fake_ecr import FakeEcr, Settings, mock_ecr
from fake_ecr.client import RegistryRequestFailed

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"


def repository_names() -> list[str]:
    ecr = boto3.client("ecr", region_name="us-east-1")
    return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def test_members_of_a_decorated_class_each_get_a_fresh_fake() -> None:
    fake = mock_ecr()

    @fake
    class TestMembers:
        async def test_async(self) -> list[str]:
            boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="from-async")
            await asyncio.sleep(0)
            return repository_names()

        @staticmethod
        def test_static() -> list[str]:
            return repository_names()

        @classmethod
        def test_class_method(cls) -> list[str]:
            return repository_names()

        def helper(self) -> None: ...

    instance = TestMembers()
    assert asyncio.run(instance.test_async()) == ["from-async"]
    assert TestMembers.test_static() == []
    assert TestMembers.test_class_method() == []
    assert isinstance(vars(TestMembers)["test_static"], staticmethod)
    assert isinstance(vars(TestMembers)["test_class_method"], classmethod)
    assert not hasattr(TestMembers.helper, "__wrapped__")  # not a test: left as it was


def test_an_async_function_and_a_static_method_can_be_decorated() -> None:
    @mock_ecr()
    async def create(name: str) -> list[str]:
        boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName=name)
        return repository_names()

    class Holder:
        @mock_ecr()
        @staticmethod
        def names() -> list[str]:
            return repository_names()

    assert asyncio.run(create("first")) == ["first"]
    assert asyncio.run(create("second")) == ["second"]
    assert Holder().names() == []


@pytest.mark.parametrize("target", [42, "test_something", FakeEcr()], ids=["int", "str", "fake"])
def test_decorating_neither_a_function_nor_a_class_is_refused(target: Any) -> None:
    with pytest.raises(TypeError, match=r"mock_ecr\(\) decorates a function or a class, not "):
        mock_ecr()(target)


def test_mock_ecr_without_the_call_is_refused_rather_than_swallowing_the_test() -> None:
    def test_something() -> None: ...

    with pytest.raises(TypeError, match=r"as a decorator, write @mock_ecr\(\)"):
        mock_ecr(test_something)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"settings are a Settings, not <class"):
        FakeEcr(Settings)  # type: ignore[arg-type]


def test_push_to_a_repository_of_another_region_says_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # as in the user's shell: boto3 follows it
    with mock_ecr(region="us-east-1") as fake:  # and the fake's own region is set apart
        boto3.client("ecr").create_repository(repositoryName="app")
        with pytest.raises(RegistryRequestFailed) as refused:
            fake.push("app:v1", fake.image(files={"app.txt": b"v1"}))

        assert str(refused.value).endswith(
            f"\nrepository 'app' exists in eu-west-1; fake.push used us-east-1 (account {ACCOUNT}):"
            " pass region='eu-west-1' or set Settings.region"
        )
        # What the registry answered is the registry's own, untouched.
        assert refused.value.status == 404
        assert json.loads(refused.value.body)["errors"][0]["code"] == "NAME_UNKNOWN"
        assert refused.value.url.startswith(f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/v2/app/")
        assert fake.push("app:v1", fake.image(files={"app.txt": b"v1"}), region="eu-west-1").startswith("sha256:")


def test_pull_from_another_account_says_which_account_holds_the_repository() -> None:
    with mock_ecr() as fake:
        fake.registry(OTHER_ACCOUNT, "eu-west-1").create_repository("app")
        with pytest.raises(RegistryRequestFailed) as refused:
            fake.pull("app:v1")

    assert str(refused.value).endswith(
        f"\nrepository 'app' exists in eu-west-1 (account {OTHER_ACCOUNT}); fake.pull used us-east-1"
        f" (account {ACCOUNT}): pass account_id='{OTHER_ACCOUNT}', region='eu-west-1'"
        " or set Settings.account_id and Settings.region"
    )


def test_a_refused_push_names_the_registry_it_went_to() -> None:
    with mock_ecr(region="ap-south-1") as fake, pytest.raises(RegistryRequestFailed) as refused:
        fake.push_blobs("nowhere", [fake.image(files={"a.txt": b"a"}).config])

    assert str(refused.value).endswith(f"\nfake.push_blobs used the registry of account {ACCOUNT} in ap-south-1")
