"""The ``fake-ecr`` command: ``serve`` runs a fake as a local service, ``demo`` walks ECR's tutorial, and
``clock``, ``reset``, ``findings``, ``scans``, ``lifecycle``, ``status`` drive a running one through its
control API.

Owns the command line as a whole (``main``, ``parse``, the parser and its commands) and nothing a command
does: ``options`` (the settings as flags and variables), ``remote`` (the control subcommands), ``output``,
and the modules of the two commands that need the library, ``serve`` and ``demo``, imported only when their
command runs, so that ``fake-ecr --help`` and the control subcommands start without the library.

Must not import ``serve`` or ``demo`` on top, nor the state, the server, the handle, ``requests``, werkzeug,
botocore or pytest.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence

from fake_ecr import __version__
from fake_ecr.formats.control_api import PREFIX
from fake_ecr.surfaces.cli import remote
from fake_ecr.surfaces.cli.options import (
    ENV_PREFIX,
    SERVER_OPTIONS,
    Parser,
    add_options,
    from_environment,
    setting_options,
)

_SERVE_DESCRIPTION = f"""\
Serve ECR's API, its registry and the control API (under {PREFIX}) on one port until SIGINT or
SIGTERM, and print the endpoint and the environment clients need. Every setting of fake_ecr.Settings is a
flag here and an environment variable ({ENV_PREFIX}<NAME>, e.g. {ENV_PREFIX}SCAN_DELAY=5), for compose
files; a flag wins over its variable. Switches take --name / --no-name, and their variables true or false.
The settings hold while it runs (`fake-ecr reset` empties the fake and keeps them); the vulnerability table
is a JSON file, read and checked at start.
Anyone who can reach the port can call it, as ECR's API takes any credentials: it listens on 127.0.0.1
unless --host says otherwise."""


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="fake-ecr", description="A faithful, offline Amazon ECR for tests.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve ECR's API and registry on one port until interrupted",
        description=_SERVE_DESCRIPTION,
        usage="%(prog)s [--host HOST] [--port PORT] [SETTING ...]",
    )
    add_options(serve.add_argument_group("where to listen"), SERVER_OPTIONS)
    add_options(
        serve.add_argument_group("settings", "fake_ecr.Settings, as the README's Settings table describes them"),
        setting_options(),
    )
    serve.set_defaults(module=f"{__name__}.serve", parser=serve, options=(*SERVER_OPTIONS, *setting_options()))
    demo = commands.add_parser(
        "demo", help="walk the ECR tutorial against an embedded fake", description="Walk the ECR tutorial."
    )
    where = [option for option in setting_options() if option.name in ("account_id", "region")]
    add_options(demo, where)
    demo.set_defaults(module=f"{__name__}.demo", parser=demo, options=tuple(where))
    remote.add_commands(commands)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, and for ``serve`` and ``demo`` the ``FAKE_ECR_*`` variables no flag overrides;
    a usage error exits with status 2 and one line on stderr."""
    options = _parser().parse_args(argv)
    if hasattr(options, "options"):
        from_environment(options, options.parser, options.options)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``fake-ecr``; returns the exit status."""
    options = parse(argv)
    # The command's module: serve's and demo's load the library, so only when they run.
    run: Callable[[argparse.Namespace], int] = importlib.import_module(options.module).run
    return run(options)
