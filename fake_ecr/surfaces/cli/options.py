"""What the ``fake-ecr`` command line reads, and how: the parser class (a usage error is one line and exit
status 2), the readers of its values (a bad one is a usage error), the addresses it serves at and calls,
and ``serve``'s options derived from the ``Settings`` fields (type, default, and the Settings docstring's
bullet as help), each a flag and a ``FAKE_ECR_<NAME>`` variable (a flag wins).

Imported by every command, ``fake-ecr --help`` included: it must not import the state, the server, the
handle, ``requests`` or botocore; only ``fake_ecr.settings`` and the standard library (the vulnerability
table's reader loads ``fake_ecr.scanning.vulnerabilities`` when a table is named).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fake_ecr.settings import Settings

#: ``serve``'s default port: clear of moto_server's 5000 and LocalStack's 4566, so they can run alongside.
DEFAULT_PORT = 5010
#: An AWS account id is 12 digits; ECR's registryId has the same pattern ([M] RegistryId).
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
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


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (and exit status 2)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# --- readers: text to a value, or a usage error ---------------------------------------------------------


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


def account_id(text: str) -> str:
    """An AWS account id, 12 digits."""
    if not _ACCOUNT_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"an AWS account id is 12 digits, not {text!r}")
    return text


def region(text: str) -> str:
    """An AWS region's name."""
    if not _REGION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"an AWS region is named like us-east-1, not {text!r}")
    return text


def _vulnerability_table(text: str) -> str:
    # Loaded here, not on top: only a serve that names a table needs the scanner's table reader.
    from fake_ecr.scanning.vulnerabilities import load_vulnerability_table  # noqa: PLC0415

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
    "account_id": ("ACCOUNT", account_id),
    "region": ("REGION", region),
    "vulnerability_table": ("JSON_FILE", _vulnerability_table),
}


# --- settings as flags and environment variables ------------------------------------------------------

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


def add_options(group: Any, options: Sequence[Option]) -> None:
    """Each option as a flag of ``group`` (a parser or an argument group); a switch as two."""
    for option in options:
        help_text = option.help.replace("%", "%%")
        if option.metavar is None:
            flags = (option.flag, "--no-" + option.flag[2:])
            group.add_argument(*flags, dest=option.name, action=_Switch, default=None, help=help_text)
        else:
            group.add_argument(
                option.flag, dest=option.name, type=option.read, metavar=option.metavar, default=None, help=help_text
            )


def from_environment(options: argparse.Namespace, parser: argparse.ArgumentParser, taken: Sequence[Option]) -> None:
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
