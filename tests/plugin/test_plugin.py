"""The pytest plugin as a user meets it: test files run by an inner pytest (pytester).

Covers the ``pytest11`` entry point, a fresh state per test, settings from a conftest, ini options
and the ``fake_ecr`` marker, errors inside the fake failing the test at teardown, pytest-xdist,
boto3 clients created before the fixture, moto's mocks around fake-ecr (moto 5's ``mock_aws``, moto 4's
``mock_s3`` and ``mock_ecr``: whichever the installed moto has) and a process without moto, and ``mock_ecr()``
without the fixtures (in pytest and in a plain Python process).  Runs that depend on a fresh
interpreter (entry points, xdist workers, a script) use a subprocess; the rest run in-process.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.moto_mocks import MOTO_MOCKS, MotoMocks  # imports moto, where installed: see INNER_OPTIONS

pytest_plugins = ["pytester"]

ACCOUNT = "123456789012"
#: Other installed plugins the inner runs do without.  pytester restores sys.modules after an in-process run,
#: so a module an inner run imports first is imported again by the next: hypothesis's plugin imports all of
#: hypothesis at every session's end (about 1 s a run), and moto is imported above once for all.  Under
#: xdist, pytest-benchmark warns in every inner run.  Blocking a plugin that is not installed is a no-op.
INNER_OPTIONS = ("-p", "no:hypothesispytest", "-p", "no:benchmark")


@pytest.fixture
def no_aws_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with nothing of a user's AWS setup: no AWS_* variables, no config files, no IMDS."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


# --- loading ---------------------------------------------------------------------------------------------

USES_THE_FIXTURES = """
    import boto3

    def test_fixtures_are_there(fake_ecr, fake_ecr_server, fake_ecr_settings):
        ecr = boto3.client("ecr", region_name=fake_ecr_settings.region)
        repository = ecr.create_repository(repositoryName="my-repository")["repository"]
        assert fake_ecr.server is fake_ecr_server
        assert repository["repositoryUri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository"
"""


def test_the_entry_point_provides_the_fixtures_without_a_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_THE_FIXTURES)

    result = pytester.runpytest_subprocess(*INNER_OPTIONS)

    result.assert_outcomes(passed=1)


def test_disabling_the_plugin_by_its_entry_point_name_removes_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_THE_FIXTURES)

    result = pytester.runpytest_subprocess(*INNER_OPTIONS, "-p", "no:fake_ecr")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'fake_ecr' not found*"])


# --- state and settings ----------------------------------------------------------------------------------


def test_every_test_starts_from_an_empty_fake_in_process_and_over_http(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("http", [False, True], ids=["in-process", "http"])
        def test_first_creates_a_repository(fake_ecr, http):
            fake_ecr.client(http=http).create_repository(repositoryName="my-repository")

        @pytest.mark.parametrize("http", [False, True], ids=["in-process", "http"])
        def test_second_sees_nothing_of_it(fake_ecr, http):
            assert fake_ecr.client(http=http).describe_repositories()["repositories"] == []
            assert fake_ecr.calls == [("DescribeRepositories", {})]
            assert fake_ecr.registry().repositories() == []
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=4)


EXPECTS_OTHER_SETTINGS = """
    def test_settings_apply(fake_ecr):
        repository = fake_ecr.client().create_repository(repositoryName="my-repository")["repository"]
        assert repository["repositoryArn"] == "arn:aws:ecr:eu-west-1:111122223333:repository/my-repository"
        assert fake_ecr.env["AWS_DEFAULT_REGION"] == "eu-west-1"
"""
SETTINGS_CONFTEST = """
    import pytest
    from fake_ecr import Settings

    @pytest.fixture(scope="session")
    def fake_ecr_settings():
        return Settings(account_id="111122223333", region="eu-west-1")
"""
SETTINGS_INI = """
    [pytest]
    fake_ecr_account_id = 111122223333
    fake_ecr_region = eu-west-1
"""


@pytest.mark.parametrize(
    "configure",
    [
        pytest.param(lambda p: p.makeconftest(SETTINGS_CONFTEST), id="conftest-overrides-fake_ecr_settings"),
        pytest.param(lambda p: p.makeini(SETTINGS_INI), id="ini-options"),
    ],
)
def test_the_account_and_region_can_be_configured_for_the_session(
    pytester: pytest.Pytester, configure: Callable[[pytest.Pytester], object]
) -> None:
    configure(pytester)
    pytester.makepyfile(EXPECTS_OTHER_SETTINGS)

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=1)


FOLLOWS_THE_ENVIRONMENTS_REGION = """
    import boto3

    def test_region(fake_ecr):
        ecr = boto3.client("ecr")  # no region_name: the environment's, eu-west-1
        fake_ecr.client().create_repository(repositoryName="app")
        fake_ecr.push("app:v1", fake_ecr.image(files={{"app.txt": "v1"}}))
        assert fake_ecr.settings.region == "{region}"
        assert [i.get("imageTag") for i in ecr.list_images(repositoryName="app")["imageIds"]] == ["v1"]
"""


@pytest.mark.parametrize(
    ("ini", "region", "outcome"),
    [
        pytest.param("", "eu-west-1", {"passed": 1}, id="client-and-push-meet"),
        # Set apart on purpose: the client's eu-west-1 holds no such repository.
        pytest.param("[pytest]\nfake_ecr_region = ap-southeast-2\n", "ap-southeast-2", {"failed": 1}, id="ini-wins"),
    ],
)
def test_the_fixtures_region_follows_the_environment_unless_set(
    pytester: pytest.Pytester, no_aws_setup: pytest.MonkeyPatch, ini: str, region: str, outcome: dict[str, int]
) -> None:
    no_aws_setup.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(FOLLOWS_THE_ENVIRONMENTS_REGION.format(region=region))

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(**outcome)
    if outcome.get("failed"):
        result.stdout.fnmatch_lines(["*RepositoryNotFoundException*"])


def test_the_marker_sets_one_test_s_account_and_region(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.fake_ecr(account_id="444455556666", region="ap-southeast-2")
        def test_marked(fake_ecr):
            repository = fake_ecr.client().create_repository(repositoryName="my-repository")["repository"]
            assert repository["repositoryArn"] == "arn:aws:ecr:ap-southeast-2:444455556666:repository/my-repository"

        def test_unmarked_keeps_the_defaults(fake_ecr):
            repository = fake_ecr.client().create_repository(repositoryName="my-repository")["repository"]
            assert repository["repositoryArn"] == "arn:aws:ecr:us-east-1:123456789012:repository/my-repository"
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS, "--strict-markers")

    result.assert_outcomes(passed=2)


def test_the_marker_cannot_switch_tls_on_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.fake_ecr(tls=True)
        def test_marked(fake_ecr):
            pass
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*tls is a session setting: set it in your fake_ecr_settings fixture*"])


# --- errors inside the fake ------------------------------------------------------------------------------


def test_an_exception_inside_the_fake_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from botocore.config import Config
        from fake_ecr import images

        def test_push_with_a_broken_listener(fake_ecr):
            def broken(registry, repository_name, result):
                raise RuntimeError("the listener broke")

            fake_ecr.backend.push_listeners.append(broken)
            ecr = fake_ecr.client(config=Config(retries={"total_max_attempts": 1}))
            ecr.create_repository(repositoryName="my-repository")
            image = images.image(files={"hello.txt": "hello"})
            fake_ecr.push_blobs("my-repository", image.blobs())
            with pytest.raises(ecr.exceptions.ServerException):
                ecr.put_image(repositoryName="my-repository", imageManifest=image.manifest.decode())

        def test_the_next_test_is_clean(fake_ecr):
            assert fake_ecr.internal_errors == []
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_push_with_a_broken_listener*",
            "*fake-ecr raised 1 unexpected error(s) while serving this test; first: RuntimeError('the listener broke')",
        ]
    )


# --- pytest-xdist ----------------------------------------------------------------------------------------


def test_each_xdist_worker_serves_its_own_fake(pytester: pytest.Pytester) -> None:
    seen = pytester.path / "seen"
    seen.mkdir()
    pytester.makepyfile(
        f"""
        import os
        import pathlib
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_server_of_this_worker(fake_ecr, fake_ecr_server, n):
            ecr = fake_ecr.client(http=True)
            ecr.create_repository(repositoryName=f"repository-{{n}}")
            names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
            assert names == [f"repository-{{n}}"]
            worker = os.environ["PYTEST_XDIST_WORKER"]
            pathlib.Path({str(seen)!r}, str(n)).write_text(f"{{worker}} {{fake_ecr_server.port}}")
        """
    )

    result = pytester.runpytest_subprocess(*INNER_OPTIONS, "-n", "2")

    result.assert_outcomes(passed=4)
    ports_by_worker: dict[str, set[str]] = {}
    for record in seen.iterdir():
        worker, port = record.read_text().split()
        ports_by_worker.setdefault(worker, set()).add(port)
    assert sorted(ports_by_worker) == ["gw0", "gw1"]
    assert [len(ports) for ports in ports_by_worker.values()] == [1, 1]
    assert ports_by_worker["gw0"] != ports_by_worker["gw1"]


# --- boto3 clients and moto ------------------------------------------------------------------------------

MADE_BEFORE_THE_FIXTURE = """
    import boto3
    import pytest

    MODULE_CLIENT = boto3.client("ecr", region_name="us-east-1")

    @pytest.fixture(scope="session")
    def session_client():
        return boto3.client("ecr", region_name="us-east-1")

    @pytest.mark.parametrize("early", ["module", "session"])
    def test_early_clients_reach_the_fake(session_client, fake_ecr, early):
        ecr = {"module": MODULE_CLIENT, "session": session_client}[early]
        ecr.create_repository(repositoryName="my-repository")
        assert [r.repository_name for r in fake_ecr.registry().repositories()] == ["my-repository"]
"""


#: Credentials a user's environment may hold (CI secrets, a profile) when clients are made at import.
USER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAUSERSOWNKEY00000", "AWS_SECRET_ACCESS_KEY": "the-user-s-own-secret"}


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param(USER_CREDENTIALS, id="credentials-in-the-environment"),
        pytest.param(
            {},
            id="no-credentials-anywhere",
        ),
    ],
)
def test_clients_created_before_the_fixture_reach_the_fake(
    pytester: pytest.Pytester, no_aws_setup: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        no_aws_setup.setenv(name, value)
    pytester.makepyfile(MADE_BEFORE_THE_FIXTURE)

    # A fresh interpreter: boto3's default session would otherwise hold credentials resolved earlier.
    result = pytester.runpytest_subprocess(*INNER_OPTIONS)

    result.assert_outcomes(passed=2)


INSIDE_MOTO = """
import boto3
import moto

def check(fake_ecr):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="my-bucket")
    ecr = boto3.client("ecr", region_name="us-east-1")
    repository = ecr.create_repository(repositoryName="my-repository")["repository"]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["my-bucket"]
    # fake-ecr answered: its state holds the repository (its URI is ECR's own name, as moto's would be).
    assert repository["repositoryUri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository"
    assert [r.repository_name for r in fake_ecr.registry().repositories()] == ["my-repository"]

def test_with_block(fake_ecr):
    with {with_items}:
        check(fake_ecr)

{decorators}
def test_decorator(fake_ecr):
    check(fake_ecr)
"""


@pytest.mark.parametrize("moto_mocks", MOTO_MOCKS)
def test_inside_moto_ecr_is_fake_ecr_and_s3_stays_moto(pytester: pytest.Pytester, moto_mocks: MotoMocks) -> None:
    pytester.makepyfile(INSIDE_MOTO.format(with_items=moto_mocks.with_items, decorators=moto_mocks.decorators))

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("moto_mocks", MOTO_MOCKS)
def test_inside_moto_moto_never_sees_ecr_calls(pytester: pytest.Pytester, moto_mocks: MotoMocks) -> None:
    pytester.makepyfile(
        f"""
        import boto3
        import moto
        from moto.ecr.models import ecr_backends

        def test_moto_ecr_is_untouched(fake_ecr):
            with {moto_mocks.with_items}:
                boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="my-repository")
                assert ecr_backends[{ACCOUNT!r}]["us-east-1"].repositories == {{}}
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=1)


def test_without_moto_ecr_calls_and_registry_hosts_reach_the_fake(
    pytester: pytest.Pytester, no_aws_setup: pytest.MonkeyPatch
) -> None:
    script = pytester.makepyfile(
        f"""
        import json
        import sys

        sys.modules["moto"] = None  # "import moto" now fails, as where moto is not installed

        import boto3
        import requests
        from fake_ecr import images, mock_ecr

        with mock_ecr() as fake:
            ecr = boto3.client("ecr", region_name="us-east-1")
            ecr.create_repository(repositoryName="my-repository")
            fake.push("my-repository:v1", images.image(files={{"app.txt": "no moto"}}))
            token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
            tags = requests.get(
                "https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/v2/my-repository/tags/list",
                headers={{"Authorization": "Basic " + token}},
                timeout=30,
            )

        print(json.dumps(tags.json()))
        """
    )

    result = pytester.run(sys.executable, script)

    assert result.ret == 0, result.stderr.str()
    assert json.loads(result.stdout.lines[-1]) == {"name": "my-repository", "tags": ["v1"]}


# --- mock_ecr() without the fixtures ---------------------------------------------------------------------


def test_mock_ecr_works_as_a_context_manager_and_a_decorator_in_pytest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        from fake_ecr import mock_ecr

        def test_context_manager():
            with mock_ecr(region="eu-west-1") as fake:
                ecr = boto3.client("ecr", region_name="eu-west-1")
                ecr.create_repository(repositoryName="my-repository")
                assert [r.repository_name for r in fake.registry().repositories()] == ["my-repository"]

        @mock_ecr()
        def test_decorator_with_a_fixture(tmp_path):
            ecr = boto3.client("ecr", region_name="us-east-1")
            ecr.create_repository(repositoryName="my-repository")
            assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["my-repository"]
            assert tmp_path.is_dir()
        """
    )

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=2)


CLASS_DECORATION = """
    import os
    import unittest

    import boto3
    from fake_ecr import mock_ecr

    fake = mock_ecr()
    teardowns = []


    def names():
        return [r["repositoryName"] for r in boto3.client("ecr").describe_repositories()["repositories"]]


    @fake
    class TestCase(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            cls.credentials_in_setup_class = os.environ.get("AWS_ACCESS_KEY_ID")

        def setUp(self):
            boto3.client("ecr").create_repository(repositoryName="from-setup")

        def tearDown(self):
            teardowns.append(names())

        def test_one(self):
            boto3.client("ecr").create_repository(repositoryName="one")
            self.assertEqual([r.repository_name for r in fake.registry().repositories()], ["from-setup", "one"])

        def test_two(self):
            boto3.client("ecr").create_repository(repositoryName="two")
            self.assertEqual(names(), ["from-setup", "two"])

        def test_set_up_class_ran_outside(self):
            self.assertIsNone(self.credentials_in_setup_class)

        def test_fails(self):
            self.assertEqual(names(), ["not-there"])


    @fake
    class TestAsync(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self):
            boto3.client("ecr").create_repository(repositoryName="from-async-setup")

        async def test_async(self):
            self.assertEqual(names(), ["from-async-setup"])


    @mock_ecr(region="eu-west-1")
    class TestPlain:
        def setup_method(self, method):
            assert method.__name__.startswith("test_")
            boto3.client("ecr", region_name="eu-west-1").create_repository(repositoryName="from-setup")

        def teardown_method(self):
            teardowns.append(names())

        def test_a(self):
            boto3.client("ecr").create_repository(repositoryName="made-by-a")
            assert names() == ["from-setup", "made-by-a"]

        def test_b(self):
            boto3.client("ecr").create_repository(repositoryName="made-by-b")
            assert names() == ["from-setup", "made-by-b"]

        @staticmethod
        def test_static():
            assert names() == ["from-setup"]

        @classmethod
        def test_class_method(cls):
            assert names() == ["from-setup"]

        def test_fails(self):
            assert names() == ["not-there"]


    def test_after_the_classes():
        assert os.environ.get("AWS_ACCESS_KEY_ID") is None
        assert teardowns == [
            ["from-setup"],
            ["from-setup", "one"],
            ["from-setup"],
            ["from-setup", "two"],
            ["from-setup", "made-by-a"],
            ["from-setup", "made-by-b"],
            ["from-setup"],
            ["from-setup"],
            ["from-setup"],
        ]
"""


def test_mock_ecr_on_a_class_runs_each_test_in_a_fresh_fake(
    pytester: pytest.Pytester, no_aws_setup: pytest.MonkeyPatch
) -> None:
    """moto's class decoration: setUp/setup_method, the test and tearDown/teardown_method share a state no other
    test sees; setUpClass runs outside; a failing assertion inside still fails."""
    pytester.makepyfile(CLASS_DECORATION)

    result = pytester.runpytest(*INNER_OPTIONS)

    result.assert_outcomes(passed=9, failed=2)
    result.stdout.fnmatch_lines(["FAILED *::TestCase::test_fails*", "FAILED *::TestPlain::test_fails*"])


def test_mock_ecr_works_in_a_plain_python_process(pytester: pytest.Pytester, no_aws_setup: pytest.MonkeyPatch) -> None:
    script = pytester.makepyfile(
        """
        import json
        import os

        import boto3
        from fake_ecr import mock_ecr

        @mock_ecr(region="eu-west-1")
        def create_and_list(name):
            ecr = boto3.client("ecr", region_name="eu-west-1")
            ecr.create_repository(repositoryName=name)
            return [r["repositoryArn"] for r in ecr.describe_repositories()["repositories"]]

        with mock_ecr() as fake:
            boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="my-repository")
            in_block = [r.repository_name for r in fake.registry().repositories()]

        print(json.dumps({
            "with_block": in_block,
            "decorated_twice": [create_and_list("my-repository"), create_and_list("my-repository")],
            "credentials_after": os.environ.get("AWS_ACCESS_KEY_ID"),
        }))
        """
    )

    result = pytester.run(sys.executable, script)

    assert result.ret == 0, result.stderr.str()
    arn = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/my-repository"
    assert json.loads(result.stdout.lines[-1]) == {
        "with_block": ["my-repository"],
        "decorated_twice": [[arn], [arn]],
        "credentials_after": None,
    }
