"""The ``fake-ecr`` command: ``serve`` runs a fake as a local service, ``demo`` walks ECR's tutorial, and
``clock``, ``reset``, ``findings``, ``scans``, ``lifecycle``, ``status`` drive a running one through its
control API (``fake_ecr.surfaces.control``).

Owns argument parsing (a usage error is one line and exit status 2); ``serve``'s options, derived from the
``Settings`` fields (type, default, and the Settings docstring's bullet as help), each a flag and a
``FAKE_ECR_<NAME>`` variable; the serve loop (SIGINT/SIGTERM end it cleanly, a closed stdout is no error);
the control subcommands (a line for a person or ``--json``; exit status 1 when the server says no); and the
demo: a table of tutorial steps, each a title, the AWS CLI command a user would type, and a function that
does the same through boto3 against an embedded fake and returns what it observed.  The push and pull steps
go through the registry over HTTP, as docker would.

Sits at the top of the import graph: may import anything in fake_ecr; must not import pytest.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import functools
import json
import math
import os
import re
import signal
import sys
import threading
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import requests

from fake_ecr import __version__, client, images
from fake_ecr.model.store import StoreError
from fake_ecr.scanning.engine import parse_reference
from fake_ecr.scanning.vulnerabilities import load_vulnerability_table
from fake_ecr.settings import Settings
from fake_ecr.surfaces import control, persistence
from fake_ecr.surfaces.handle import FakeEcr
from fake_ecr.surfaces.server import FakeServer

#: ``serve``'s default port: clear of moto_server's 5000 and LocalStack's 4566, so they can run alongside.
DEFAULT_PORT = 5010
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: An AWS account id is 12 digits; ECR's registryId has the same pattern ([M] RegistryId).
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


# --- settings as flags and environment variables ------------------------------------------------------

#: A setting's environment variable: this and the field's name in capitals (FAKE_ECR_SCAN_DELAY).
ENV_PREFIX = "FAKE_ECR_"
#: Where the control subcommands find a server unless ``--endpoint`` says.
ENDPOINT_VARIABLE = "FAKE_ECR_ENDPOINT"
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})
_BYTES = {"": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
#: An AWS region name: us-east-1, eu-central-2, us-gov-west-1, cn-north-1.
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
#: A bullet of the Settings docstring: "- ``field``: what it does" up to the next bullet or blank line.
_FIELD_DOC = re.compile(r"^[ \t]*- ``(\w+)``: (.*?)(?=^[ \t]*- ``|^[ \t]*$|\Z)", re.M | re.S)


def _switch(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise argparse.ArgumentTypeError(f"true or false (also 1/0, yes/no, on/off), not {text!r}")


def _count(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]+)\s*([KMG]iB)?\s*", text, re.I)
    if match is None:
        raise argparse.ArgumentTypeError(f"a whole number >= 0 (bytes may end in KiB, MiB or GiB), not {text!r}")
    return int(match.group(1)) * _BYTES[(match.group(2) or "").lower()]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"seconds, a number >= 0, not {text!r}")
    return value


def _port(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port number from 0 to 65535, not {text!r}")
    return int(text)


def _account_id(text: str) -> str:
    if not _ACCOUNT_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"an AWS account id is 12 digits, not {text!r}")
    return text


def _region(text: str) -> str:
    if not _REGION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"an AWS region is named like us-east-1, not {text!r}")
    return text


def _vulnerability_table(text: str) -> str:
    try:
        load_vulnerability_table(Path(text).read_bytes())
    except OSError as error:
        raise argparse.ArgumentTypeError(f"can't read {text}: {error.strerror}") from None
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error}") from None
    return text


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def choose(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"one of {', '.join(choices)}, not {text!r}")
        return text

    return choose


#: Text settings whose type says too little: (metavar, reader).  Every other field is read by its type.
_TEXT_SETTINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "account_id": ("ACCOUNT", _account_id),
    "region": ("REGION", _region),
    "vulnerability_table": ("JSON_FILE", _vulnerability_table),
}


#: Settings whose default differs for ``serve`` and ``demo``: they are used from shells and by Docker daemons,
#: which take no proxy from a client's environment, so registries are named by local addresses (README
#: "Registry addresses").
SERVE_DEFAULTS: dict[str, Any] = {"registry_addresses": "local"}


@dataclass(frozen=True)
class Option:
    """A value ``serve`` takes as a flag or an environment variable (a flag wins): most are Settings fields."""

    name: str
    read: Callable[[str], Any]
    help: str
    #: None: a switch, ``--name`` / ``--no-name``
    metavar: str | None
    #: without flag or variable (None: the Settings field's own default)
    default: Any = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _shown(value: object, metavar: str | None) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, int) and metavar == "BYTES":
        unit = next((u for u in ("GiB", "MiB", "KiB") if value and value % _BYTES[u.lower()] == 0), "")
        return f"{value // _BYTES[unit.lower()]} {unit}" if unit else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _field_option(item: dataclasses.Field[Any], hint: Any, doc: str) -> Option:
    """The option of one Settings field, read by its type (``_TEXT_SETTINGS`` for text that has a shape)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None: a value, or none at all
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    read: Callable[[str], Any]
    metavar: str | None
    if item.name in _TEXT_SETTINGS:
        metavar, read = _TEXT_SETTINGS[item.name]
    elif hint is bool:
        metavar, read = None, _switch
    elif typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        metavar, read = "{" + ",".join(choices) + "}", _choice(choices)
    elif hint is float:  # every float setting is seconds (tests/unit/test_cli_settings.py holds them to it)
        metavar, read = "SECONDS", _seconds
    elif hint is int:
        metavar, read = ("BYTES" if "bytes" in doc else "N"), _count
    elif hint is str:
        metavar, read = item.name.upper(), str
    else:
        raise TypeError(f"Settings.{item.name}: the command line has no reading for {hint!r}")
    own_default = SERVE_DEFAULTS.get(item.name, item.default)
    default = "" if own_default is dataclasses.MISSING else f"; default {_shown(own_default, metavar)}"
    return Option(item.name, read, f"{doc} [{ENV_PREFIX}{item.name.upper()}{default}]", metavar)


@functools.cache
def setting_options() -> tuple[Option, ...]:
    """Every Settings field as an option: its flag, variable and reading from its type, its help from the
    Settings docstring's bullet for it."""
    docs = {match.group(1): " ".join(match.group(2).split()) for match in _FIELD_DOC.finditer(Settings.__doc__ or "")}
    hints = typing.get_type_hints(Settings)
    missing = [item.name for item in dataclasses.fields(Settings) if item.name not in docs]
    if missing:
        raise TypeError(f"the Settings docstring has no '- ``name``: ...' bullet for {', '.join(missing)}")
    return tuple(
        _field_option(item, hints[item.name], docs[item.name].replace("``", ""))
        for item in dataclasses.fields(Settings)
    )


#: ``serve``'s options that are not Settings: where to listen.
SERVER_OPTIONS = (
    Option("host", str, f"address to listen on [{ENV_PREFIX}HOST; default 127.0.0.1]", "HOST", "127.0.0.1"),
    Option(
        "port",
        _port,
        f"port to listen on, 0 for any free one [{ENV_PREFIX}PORT; default {DEFAULT_PORT}]",
        "PORT",
        DEFAULT_PORT,
    ),
)


class _Switch(argparse.Action):
    """``--name`` turns a setting on, ``--no-name`` off."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        setattr(namespace, self.dest, not (option or "").startswith("--no-"))


def _add_options(group: Any, options: Sequence[Option]) -> None:
    for option in options:
        help_text = option.help.replace("%", "%%")
        if option.metavar is None:
            flags = (option.flag, "--no-" + option.flag[2:])
            group.add_argument(*flags, dest=option.name, action=_Switch, default=None, help=help_text)
        else:
            group.add_argument(
                option.flag, dest=option.name, type=option.read, metavar=option.metavar, default=None, help=help_text
            )


def _from_environment(options: argparse.Namespace, parser: argparse.ArgumentParser, taken: Sequence[Option]) -> None:
    """Fill in each option no flag gave from its environment variable (if set and not empty), else its default."""
    for option in taken:
        if getattr(options, option.name, None) is not None:
            continue
        text = os.environ.get(option.env, "")
        try:
            setattr(options, option.name, option.read(text) if text.strip() else option.default)
        except argparse.ArgumentTypeError as error:
            parser.error(f"{option.env}={text!r}: {error}")


def settings_of(options: argparse.Namespace, kept: dict[str, Any] | None = None) -> Settings:
    """The Settings the flags and variables gave; the rest are those ``kept`` in a data dir, else
    ``SERVE_DEFAULTS``, else Settings' own defaults."""
    given = {option.name: getattr(options, option.name, None) for option in setting_options()}
    chosen = {name: value for name, value in given.items() if value is not None}
    return Settings(**{**SERVE_DEFAULTS, **(kept or {}), **chosen})


# --- serve ---------------------------------------------------------------------------------------------


class _StopRequested(Exception):
    """Raised in the main thread by SIGINT or SIGTERM to end ``serve``."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    # One stop is enough: a second Ctrl+C while the server closes must not interrupt the closing.
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise _StopRequested(signal.Signals(signum).name)


def _say(*lines: str) -> None:
    """Print to stdout; a reader that went away (``fake-ecr serve | head -1``) is not an error.

    Whatever is printed later goes nowhere: stdout is pointed at /dev/null, so neither this nor the
    interpreter's flush at exit fails again.
    """
    if sys.stdout is None:  # started with stdout closed
        return
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _serve(options: argparse.Namespace) -> int:
    settings = settings_of(options)
    if settings.data_dir is not None:
        # A data dir keeps the settings it was last served with; flags and variables given now win.
        try:
            settings = settings_of(options, persistence.prepare_serve(settings.data_dir))
        except (StoreError, OSError) as error:
            print(f"fake-ecr: --data-dir {settings.data_dir}: {error}", file=sys.stderr)
            return 1
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    # Handlers first: a client that reads the banner may signal at once, and so may a user at startup.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    server: FakeServer | None = None
    fake: FakeEcr | None = None
    try:
        try:
            server = FakeServer.for_settings(settings, options.host, options.port)
        except (OSError, ImportError) as error:
            # werkzeug has printed why (and a hint when the port is taken); say which address it was.
            print(f"fake-ecr: {error}", file=sys.stderr)
            return 1
        try:
            fake = FakeEcr(settings, server=server).start()
        except StoreError as error:
            print(f"fake-ecr: --data-dir {settings.data_dir}: {error}", file=sys.stderr)
            return 1
        exports = {**fake.env, ENDPOINT_VARIABLE: server.endpoint}
        _say(
            f"fake-ecr {__version__} serving Amazon ECR's API and registry at {server.endpoint}",
            f"account {settings.account_id}, region {settings.region}; stop with Ctrl+C (SIGINT) or SIGTERM",
            f"control API at {server.endpoint}{control.PREFIX} (fake-ecr status, clock, reset, findings, scans, ...)",
            *([f"state kept in {settings.data_dir} across restarts"] if settings.data_dir is not None else []),
            "Point the AWS CLI and SDKs at it:",
            *(f"  export {name}={value}" for name, value in sorted(exports.items())),
        )
        threading.Event().wait()  # until a signal handler raises _StopRequested
    except _StopRequested as stop:
        _say(f"fake-ecr: {stop}, stopped")
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if fake is not None:
            fake.stop()
        if server is not None:
            # Requests still being answered (an upload streaming in) end with the process: their threads
            # are daemons, and the sockets close with it.
            server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


# --- demo ----------------------------------------------------------------------------------------------


class DemoStepFailed(Exception):
    """A demo step saw something other than what ECR answers."""


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoStepFailed(what)


@dataclass
class Demo:
    """What the tutorial's steps share: the embedded fake, a boto3 client, the repository and the image."""

    fake: FakeEcr
    ecr: Any
    repository_name: str = "my-repository"
    authorization_token: str = ""
    proxy_endpoint: str = ""
    image: images.Image = field(
        default_factory=lambda: images.image(files={"hello.txt": "Hello from fake-ecr!\n"}, cmd=["cat", "/hello.txt"])
    )

    @property
    def placeholders(self) -> dict[str, str]:
        settings = self.fake.settings
        host = self.fake.registry_host(settings.account_id, settings.region)
        return {"repository": self.repository_name, "region": settings.region, "host": host}


def _image_id(image_id: dict[str, str]) -> str:
    tag = image_id.get("imageTag")
    return image_id["imageDigest"] if tag is None else f"{image_id['imageDigest']} (tag {tag})"


def _create_repository(demo: Demo) -> list[str]:
    repository = demo.ecr.create_repository(repositoryName=demo.repository_name)["repository"]
    _expect(repository["repositoryName"] == demo.repository_name, f"created {repository['repositoryName']}")
    return [f"repositoryArn: {repository['repositoryArn']}", f"repositoryUri: {repository['repositoryUri']}"]


def _get_login_password(demo: Demo) -> list[str]:
    # get-login-password prints the password half of the decoded authorizationToken [CLI-cust]
    # (docs/behaviour/auth.md#authorization-tokens).
    data = demo.ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    _expect(username == "AWS" and bool(password), "the token is not base64('AWS:<password>')")
    demo.authorization_token, demo.proxy_endpoint = data["authorizationToken"], data["proxyEndpoint"]
    expires_at = data["expiresAt"].astimezone(timezone.utc).isoformat(timespec="seconds")
    return [
        f"password: {password[:24]}... ({len(password)} characters), user name {username}",
        f"for {data['proxyEndpoint']}, valid until {expires_at}",
    ]


def _describe_repositories(demo: Demo) -> list[str]:
    repositories = demo.ecr.describe_repositories(repositoryNames=[demo.repository_name])["repositories"]
    _expect([r["repositoryName"] for r in repositories] == [demo.repository_name], "the repository is not listed")
    return [
        f"{r['repositoryName']}: tags {r['imageTagMutability']}, "
        f"encryption {r['encryptionConfiguration']['encryptionType']}, "
        f"scan on push {r['imageScanningConfiguration']['scanOnPush']}"
        for r in repositories
    ]


def _docker_login(demo: Demo) -> list[str]:
    # docker login probes GET /v2/, is challenged with ECR's Basic realm, and answers with the
    # authorizationToken as Basic credentials (docs/behaviour/auth.md#registry-credentials,
    # docs/behaviour/api.md#cli-tutorial).
    url = f"{demo.proxy_endpoint}/v2/"
    challenge = requests.get(url, timeout=10)
    _expect(challenge.status_code == 401, f"GET /v2/ without credentials answered {challenge.status_code}")
    accepted = requests.get(url, headers={"Authorization": f"Basic {demo.authorization_token}"}, timeout=10)
    _expect(accepted.status_code == 200, f"GET /v2/ with the password answered {accepted.status_code}")
    return [
        f"GET /v2/ -> 401, WWW-Authenticate: {challenge.headers.get('WWW-Authenticate')}",
        "GET /v2/ with Basic AWS:<password> -> 200: Login Succeeded",
    ]


def _push(demo: Demo) -> list[str]:
    # What docker push does (docs/behaviour/registry.md#push-flow): HEAD each blob, upload the missing ones, PUT the
    # manifest.
    digest = client.push(demo.proxy_endpoint, demo.repository_name, "latest", demo.image, auth=demo.authorization_token)
    _expect(digest == demo.image.digest, f"the registry stored {digest}, not {demo.image.digest}")
    return [
        f"pushed {len(demo.image.layers)} layer(s) and a config, then the manifest",
        f"latest: digest: {digest} size: {len(demo.image.manifest)}",
    ]


def _pull(demo: Demo) -> list[str]:
    pulled = client.pull(demo.proxy_endpoint, demo.repository_name, "latest", auth=demo.authorization_token)
    _expect(isinstance(pulled, images.Image) and pulled.manifest == demo.image.manifest, "pulled other bytes")
    assert isinstance(pulled, images.Image)
    _expect([b.data for b in pulled.blobs()] == [b.data for b in demo.image.blobs()], "the blobs differ")
    detail = demo.ecr.describe_images(repositoryName=demo.repository_name)["imageDetails"][0]
    _expect("lastRecordedPullTime" in detail, "the pull was not recorded")
    pulled_at = detail["lastRecordedPullTime"].astimezone(timezone.utc).isoformat(timespec="seconds")
    return [f"pulled {pulled.digest}: manifest and blobs byte for byte as pushed", f"lastRecordedPullTime: {pulled_at}"]


def _describe_images(demo: Demo) -> list[str]:
    details = demo.ecr.describe_images(repositoryName=demo.repository_name)["imageDetails"]
    _expect([d["imageDigest"] for d in details] == [demo.image.digest], "the pushed image is not described")
    _expect(details[0]["imageSizeInBytes"] == demo.image.size_in_bytes, "imageSizeInBytes is not config + layers")
    return [
        f"{d['imageDigest']} tags {d.get('imageTags', [])}, {d['imageSizeInBytes']} bytes, "
        f"pushed {d['imagePushedAt'].astimezone(timezone.utc).isoformat(timespec='seconds')}"
        for d in details
    ]


def _list_images(demo: Demo) -> list[str]:
    image_ids = demo.ecr.list_images(repositoryName=demo.repository_name)["imageIds"]
    _expect(image_ids == [{"imageDigest": demo.image.digest, "imageTag": "latest"}], f"listed {image_ids}")
    return [f"imageId: {_image_id(image_id)}" for image_id in image_ids]


def _batch_delete_image(demo: Demo) -> list[str]:
    result = demo.ecr.batch_delete_image(repositoryName=demo.repository_name, imageIds=[{"imageTag": "latest"}])
    _expect(not result["failures"], f"failures: {result['failures']}")
    return [f"deleted: {_image_id(image_id)}" for image_id in result["imageIds"]]


def _delete_repository(demo: Demo) -> list[str]:
    repository = demo.ecr.delete_repository(repositoryName=demo.repository_name, force=True)["repository"]
    remaining = [r["repositoryName"] for r in demo.ecr.describe_repositories()["repositories"]]
    _expect(demo.repository_name not in remaining, "the repository is still listed")
    return [f"deleted {repository['repositoryArn']}"]


@dataclass(frozen=True)
class DemoStep:
    """One step of the tutorial: what it does, the command a user would type, and the same through boto3."""

    title: str
    commands: tuple[str, ...]
    run: Callable[[Demo], list[str]]


DEMO_STEPS: list[DemoStep] = [
    DemoStep(
        "Create a repository",
        ("aws ecr create-repository --repository-name {repository} --region {region}",),
        _create_repository,
    ),
    DemoStep(
        "Get a password to log in to the registry (GetAuthorizationToken)",
        ("aws ecr get-login-password --region {region}",),
        _get_login_password,
    ),
    DemoStep(
        "Log in to the registry with that password",
        ("aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {host}",),
        _docker_login,
    ),
    DemoStep(
        "Push an image, tagged latest",
        ("docker push {host}/{repository}:latest",),
        _push,
    ),
    DemoStep(
        "Describe the images",
        ("aws ecr describe-images --repository-name {repository} --region {region}",),
        _describe_images,
    ),
    DemoStep(
        "Pull the image back",
        ("docker pull {host}/{repository}:latest",),
        _pull,
    ),
    DemoStep(
        "Delete the image by its tag",
        ("aws ecr batch-delete-image --repository-name {repository} --image-ids imageTag=latest --region {region}",),
        _batch_delete_image,
    ),
    DemoStep(
        "Delete the repository",
        ("aws ecr delete-repository --repository-name {repository} --force --region {region}",),
        _delete_repository,
    ),
]


def _run_demo(options: argparse.Namespace) -> int:
    settings = settings_of(options)
    # A server runs so repositoryUri and proxyEndpoint name an address a client on this machine can reach.
    with FakeEcr(settings, server=True) as fake:
        demo = Demo(fake, fake.client())
        print(
            f"fake-ecr demo: the Amazon ECR tutorial against an embedded fake (account {settings.account_id}, "
            f"region {settings.region})"
        )
        print("Each step runs through boto3 in this process; `$` lines are the AWS CLI commands it stands for.")
        for number, step in enumerate(DEMO_STEPS, start=1):
            print(f"\n[{number}/{len(DEMO_STEPS)}] {step.title}")
            for command in step.commands:
                print(f"  $ {command.format_map(demo.placeholders)}")
            try:
                observed = step.run(demo)
            except Exception as error:  # noqa: BLE001 - any failure of a step is reported and ends the demo
                print(f"  FAILED: {type(error).__name__}: {error}", flush=True)
                print(f"\nfake-ecr demo: step {number} of {len(DEMO_STEPS)} failed")
                return 1
            for line in observed:
                print(f"  {line}")
            sys.stdout.flush()
    print(f"\nfake-ecr demo: all {len(DEMO_STEPS)} steps passed")
    return 0


# --- the control subcommands ---------------------------------------------------------------------------


class _Refused(Exception):
    """The server said no, or nothing answered: one line on stderr, exit status 1."""


def _call(options: argparse.Namespace, method: str, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the control API at ``--endpoint``; its JSON answer, or ``_Refused`` saying why not."""
    endpoint = options.endpoint.rstrip("/")
    try:
        response = requests.request(method, f"{endpoint}{control.PREFIX}{route}", json=body, timeout=60)
    except requests.Timeout:
        raise _Refused(f"{endpoint} did not answer within 60 s") from None
    except requests.RequestException:
        raise _Refused(
            f"nothing answers at {endpoint}: start `fake-ecr serve`, or name its address with --endpoint "
            f"or {ENDPOINT_VARIABLE}"
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _Refused(f"{endpoint} answered {response.status_code} without JSON: is it a fake-ecr server?")
    if response.status_code != 200:
        error = answer.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        raise _Refused(str(message or f"{endpoint} answered {response.status_code}"))
    return answer


def _duration_text(seconds: float) -> str:
    """``1d 2h 3m 4s``, largest units first, whole seconds."""
    left, parts = round(abs(seconds)), list[str]()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts)


def _size_text(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def _clock_line(clock: dict[str, Any]) -> str:
    offset = clock["offset_seconds"]
    if not clock["running"]:
        how = "stopped: `fake-ecr clock resume` lets it run"
    elif abs(offset) < 1:
        how = "running, at this machine's time"
    else:
        how = f"running, {_duration_text(offset)} {'ahead of' if offset > 0 else 'behind'} this machine's time"
    return f"{clock['now']} ({how})"


def _scope(options: argparse.Namespace) -> dict[str, Any]:
    return {"account_id": options.account_id, "region": options.region}


def _clock_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    action = options.clock_action
    if action is None:
        answer = _call(options, "GET", "clock")
    elif action == "advance":
        answer = _call(options, "POST", "clock/advance", {"by": options.duration})
    elif action == "set":
        answer = _call(options, "POST", "clock/set", {"time": options.time})
    else:
        answer = _call(options, "POST", "clock/resume")
    return answer, [_clock_line(answer)]


def _reset_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    answer = _call(options, "POST", "reset", _scope(options))
    if options.account_id is None and options.region is None:
        return answer, ["reset: the fake holds nothing now (its settings and clock stay)"]
    where = " ".join(
        part
        for part in (
            f"of account {options.account_id}" if options.account_id else "of every account",
            f"in {options.region}" if options.region else "in every region",
        )
    )
    return answer, [f"reset: the registries {where} hold nothing now"]


def _findings_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    body = {"image": options.image, "findings": options.findings, "status": options.status}
    answer = _call(options, "POST", "findings", {**body, "description": options.description, **_scope(options)})
    digest = answer["image_digest"]
    held = f"image {digest}" if digest else "not pushed yet: its scans report them once it is"
    return answer, [f"{options.image}: {_plural(answer['findings'], 'finding')} set ({held})"]


def _scans_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    answer = _call(options, "POST", "scans/complete")
    return answer, [f"{_plural(answer['completed'], 'scan')} completed"]


def _image_text(image: dict[str, Any]) -> str:
    tags = ", ".join(image["tags"]) or "untagged"
    return f"{image['digest'][:19]} ({tags})"


def _lifecycle_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    answer = _call(options, "POST", "lifecycle/run", _scope(options))
    where = f"account {answer['account_id']} in {answer['region']}"
    if not answer["runs"]:
        return answer, [f"no repository of {where} has a lifecycle policy"]
    lines = [f"lifecycle policies applied in {where}:"]
    for run in answer["runs"]:
        expired, moved = run["expired"], run["transitioned"]
        lines.append(f"  {run['repository']}: {len(expired)} expired, {len(moved)} archived")
        lines += [f"    expired {_image_text(image)}" for image in expired]
        lines += [f"    archived {_image_text(image)}" for image in moved]
    return answer, lines


def _status_command(options: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    health = _call(options, "GET", "health")
    answer = _call(options, "GET", "state")
    lines = [
        f"fake-ecr {health['version']} at {options.endpoint.rstrip('/')}, account {health['account_id']}, "
        f"region {health['region']}",
        f"clock {_clock_line(answer['clock'])}",
    ]
    if not answer["registries"]:
        lines.append("no registries yet: nothing was written to the fake")
    for registry in answer["registries"]:
        repositories = registry["repositories"]
        lines.append(
            f"registry {registry['account_id']} in {registry['region']} at {registry['address']}: "
            f"{_plural(len(repositories), 'repository', 'repositories')}"
        )
        for repository in repositories:
            traits = [_plural(len(repository["images"]), "image")]
            traits += ["scan on push"] * repository["scan_on_push"] + ["lifecycle policy"] * repository[
                "lifecycle_policy"
            ]
            lines.append(f"  {repository['name']}: {', '.join(traits)}")
            for image in repository["images"]:
                scan = image["scan"]
                scanned = "" if scan is None else f", scan {scan['status']} ({_plural(scan['findings'], 'finding')})"
                lines.append(
                    f"    {_image_text(image)} {_size_text(image['size'])}, pushed {image['pushed_at']}"
                    f"{'' if image['status'] == 'ACTIVE' else ', ' + image['status']}{scanned}"
                )
            for upload in repository["uploads"]:
                lines.append(
                    f"    upload {upload['id']} in progress: {_size_text(upload['bytes'])} since {upload['started_at']}"
                )
    return answer, lines


def _run_remote(options: argparse.Namespace) -> int:
    command: Callable[[argparse.Namespace], tuple[dict[str, Any], list[str]]] = options.remote
    try:
        answer, lines = command(options)
    except _Refused as refusal:
        print(f"fake-ecr: {refusal}", file=sys.stderr)
        return 1
    if options.json:
        _say(json.dumps(answer, indent=2))
    else:
        _say(*lines)
    return 0


def _argument(read: Callable[[str], Any]) -> Callable[[str], Any]:
    """``read`` as an argparse type: its ValueError is a usage error."""

    def argument(text: str) -> Any:
        try:
            read(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return argument


def _findings_file(path: str) -> list[Any]:
    """The findings a JSON file holds: a list of objects (name, severity, package_name, package_version ...)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as error:
        raise argparse.ArgumentTypeError(f"can't read {path}: {error.strerror}") from None
    try:
        findings = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{path} is not JSON: {error}") from None
    if not isinstance(findings, list):
        raise argparse.ArgumentTypeError(f"{path} must hold a JSON list of findings")
    return findings


# --- the command line ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (and exit status 2)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


_SERVE_DESCRIPTION = f"""\
Serve ECR's API, its registry and the control API (under {control.PREFIX}) on one port until SIGINT or
SIGTERM, and print the endpoint and the environment clients need. Every setting of fake_ecr.Settings is a
flag here and an environment variable ({ENV_PREFIX}<NAME>, e.g. {ENV_PREFIX}SCAN_DELAY=5), for compose
files; a flag wins over its variable. Switches take --name / --no-name, and their variables true or false.
The settings hold while it runs (`fake-ecr reset` empties the fake and keeps them); the vulnerability table
is a JSON file, read and checked at start.
Anyone who can reach the port can call it, as ECR's API takes any credentials: it listens on 127.0.0.1
unless --host says otherwise."""

_REMOTE_DESCRIPTION = f"""\
Drive a running `fake-ecr serve` through its control API ({control.PREFIX}) at --endpoint, else
${ENDPOINT_VARIABLE} (serve prints it), else {DEFAULT_ENDPOINT}. Exit status 1 when the server says no or
can't be reached, 2 for a usage error."""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fake-ecr", description="A faithful, offline Amazon ECR for tests.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve ECR's API and registry on one port until interrupted",
        description=_SERVE_DESCRIPTION,
        usage="%(prog)s [--host HOST] [--port PORT] [SETTING ...]",
    )
    _add_options(serve.add_argument_group("where to listen"), SERVER_OPTIONS)
    _add_options(
        serve.add_argument_group("settings", "fake_ecr.Settings, as the README's Settings table describes them"),
        setting_options(),
    )
    serve.set_defaults(handler=_serve, parser=serve, options=(*SERVER_OPTIONS, *setting_options()))
    demo = commands.add_parser(
        "demo", help="walk the ECR tutorial against an embedded fake", description="Walk the ECR tutorial."
    )
    where = [option for option in setting_options() if option.name in ("account_id", "region")]
    _add_options(demo, where)
    demo.set_defaults(handler=_run_demo, parser=demo, options=tuple(where))

    remote: argparse.ArgumentParser = _Parser(add_help=False)
    remote.add_argument(
        "--endpoint",
        default=os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT,
        help=f"the server's address [{ENDPOINT_VARIABLE}; default {DEFAULT_ENDPOINT}]",
    )
    remote.add_argument("--json", action="store_true", help="print the server's JSON answer, for scripts")
    # The same options after an action (``clock advance 12h --json``): unset there, they keep what came before.
    again = _Parser(add_help=False)
    again.add_argument("--endpoint", default=argparse.SUPPRESS, help="the server's address")
    again.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON, for scripts")
    scope = _Parser(add_help=False)
    scope.add_argument("--account-id", "--account", type=_account_id, help="the registry's account")
    scope.add_argument("--region", type=_region, help="the registry's region")

    def remote_command(name: str, run: Callable[..., Any], help_text: str, *parents: argparse.ArgumentParser) -> Any:
        command = commands.add_parser(
            name,
            parents=[remote, *parents],  # type: ignore[list-item]  # typeshed: a list of the parser's own class
            help=help_text,
            description=f"{help_text[0].upper()}{help_text[1:]}. {_REMOTE_DESCRIPTION}",
        )
        command.set_defaults(handler=_run_remote, remote=run)
        return command

    clock = remote_command("clock", _clock_command, "show the fake's clock, or advance, set or resume it")
    actions = clock.add_subparsers(dest="clock_action", metavar="ACTION")
    advance = actions.add_parser("advance", parents=[again], help="move the clock forward: 12h, 1d12h, 90m, 3600")
    advance.add_argument("duration", type=_argument(control.parse_duration), help="seconds, or e.g. 12h, 1d12h, 90m")
    set_clock = actions.add_parser("set", parents=[again], help="pin the clock at a time; it stands still there")
    set_clock.add_argument(
        "time", type=_argument(control.parse_time), help="ISO 8601 with a zone: 2024-01-01T00:00:00Z"
    )
    actions.add_parser("resume", parents=[again], help="let a pinned clock run again from where it stands")

    remote_command("reset", _reset_command, "empty the fake, or the registries of one account and/or region", scope)

    findings = remote_command("findings", _findings_command, "decide what scans of an image report")
    findings_actions = findings.add_subparsers(dest="findings_action", metavar="ACTION", required=True)
    set_findings = findings_actions.add_parser("set", parents=[again, scope], help="set an image's findings")
    set_findings.add_argument(
        "image",
        type=_argument(parse_reference),
        help="repository:tag or repository@sha256:<hex> (need not be pushed yet)",
    )
    set_findings.add_argument(
        "findings",
        nargs="?",
        type=_findings_file,
        default=[],
        help="JSON file ('-': stdin) with a list of findings: name, severity, package_name, package_version, ...",
    )
    set_findings.add_argument("--status", help="the scan status to report instead, e.g. FAILED")
    set_findings.add_argument("--description", help="the status's description")

    scans = remote_command("scans", _scans_command, "finish scans now, whatever the scan delay")
    scans.add_subparsers(dest="scans_action", metavar="ACTION", required=True).add_parser(
        "complete", parents=[again], help="finish every running scan now"
    )
    lifecycle = remote_command("lifecycle", _lifecycle_command, "apply lifecycle policies now, as ECR's daily run")
    lifecycle.add_subparsers(dest="lifecycle_action", metavar="ACTION", required=True).add_parser(
        "run", parents=[again, scope], help="apply one registry's lifecycle policies now"
    )
    remote_command("status", _status_command, "show what the fake holds: registries, repositories, images, uploads")
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, and for ``serve`` and ``demo`` the ``FAKE_ECR_*`` variables no flag overrides;
    a usage error exits with status 2 and one line on stderr."""
    options = _parser().parse_args(argv)
    if hasattr(options, "options"):
        _from_environment(options, options.parser, options.options)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``fake-ecr``; returns the exit status."""
    options = parse(argv)
    handler: Callable[[argparse.Namespace], int] = options.handler
    return handler(options)


if __name__ == "__main__":
    sys.exit(main())
