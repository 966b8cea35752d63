"""MkDocs hooks for fake-ecr's site (mkdocs.yml ``hooks:``).

- Every object the API reference renders (a ``::: identifier`` block of mkdocstrings) must have a
  docstring: each module, class, function, method and property reached from the block, with the
  block's ``filters`` and ``members`` options applied as mkdocstrings applies them.  A missing one is
  logged as a warning, which ``mkdocs build --strict`` turns into a failed build.  Plain attributes
  (dataclass fields, constants) are exempt: their classes' and modules' docstrings describe them.
- ``<!-- fake-ecr --help -->`` in a page is replaced by what that command prints, and
  ``<!-- fake-ecr commands -->`` by a section per subcommand with its ``--help``: the CLI page is the
  parser's own help, whatever commands it grows.

Imports griffe (mkdocstrings' loader) and fake_ecr's CLI; nothing here is part of the package.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import griffe
import yaml

log = logging.getLogger("mkdocs.hooks.fake_ecr")

ROOT = Path(__file__).resolve().parents[1]
#: The handler's default filters (mkdocstrings-python): private names are not rendered.
DEFAULT_FILTERS = ["!^_[^_]"]
AUTODOC = re.compile(r"^::: *(?P<identifier>[\w.]+) *\n(?P<options>(?:[ \t]+.*\n?)*)", re.M)
CLI_HELP = re.compile(r"<!-- (fake-ecr(?: [\w-]+)*) --help -->")
CLI_COMMANDS = "<!-- fake-ecr commands -->"

_loader: griffe.GriffeLoader | None = None
_global_options: dict[str, Any] = {}


def _load(identifier: str) -> griffe.Object | griffe.Alias:
    global _loader  # noqa: PLW0603 - one loader (and its parsed modules) for the whole build
    if _loader is None:
        _loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    package = identifier.split(".", maxsplit=1)[0]
    if package not in _loader.modules_collection:
        _loader.load(package)
        _loader.resolve_aliases(external=False)
    return _loader.modules_collection[identifier]


def _keep(name: str, filters: list[str]) -> bool:
    """mkdocstrings-python's filter rule: the last matching filter decides; no match keeps unless all include."""
    keep: bool | None = None
    for pattern in filters:
        exclude = pattern.startswith("!")
        if re.search(pattern.removeprefix("!"), name):
            keep = not exclude
    if keep is None:
        return any(pattern.startswith("!") for pattern in filters)
    return keep


def _needs_docstring(obj: griffe.Object | griffe.Alias) -> bool:
    if obj.kind in (griffe.Kind.MODULE, griffe.Kind.CLASS, griffe.Kind.FUNCTION):
        return True
    return obj.kind is griffe.Kind.ATTRIBUTE and "property" in obj.labels


def _rendered_members(obj: griffe.Object | griffe.Alias, options: dict[str, Any]) -> Iterator[griffe.Object]:
    """The members a ``:::`` block shows for ``obj``: its own (not imported) public ones, as filtered."""
    wanted = options.get("members")
    filters = options.get("filters", _global_options.get("filters", DEFAULT_FILTERS))
    for name, member in obj.members.items():
        if isinstance(wanted, list):
            if name not in wanted:
                continue
        elif wanted is False or not _keep(name, filters):
            continue
        if not member.is_alias:
            yield member
        elif obj.kind is griffe.Kind.MODULE and name in (obj.exports or ()):
            yield member.final_target  # imported, not defined here: shown only when the module exports it


def undocumented(identifier: str, options: dict[str, Any]) -> list[str]:
    """Paths of the objects a ``::: identifier`` block renders that have no docstring."""
    top = _load(identifier)
    missing: list[str] = []

    def visit(obj: griffe.Object | griffe.Alias, depth: int) -> None:
        if _needs_docstring(obj) and not (obj.docstring and obj.docstring.value.strip()):
            missing.append(obj.path)
        if obj.kind in (griffe.Kind.MODULE, griffe.Kind.CLASS):
            member_options = options if depth == 0 else {k: v for k, v in options.items() if k != "members"}
            for member in _rendered_members(obj, member_options):
                visit(member, depth + 1)

    visit(top.final_target if top.is_alias else top, 0)
    return missing


def _cli_help(command: str) -> str:
    from fake_ecr.surfaces.cli import main  # noqa: PLC0415 - only the pages that show the help need the CLI

    output = io.StringIO()
    # argparse wraps to the terminal's width: a fixed one, so the page is the same wherever it is built.
    columns = mock.patch.dict(os.environ, {"COLUMNS": "100"})
    with columns, contextlib.redirect_stdout(output), contextlib.suppress(SystemExit):
        main([*shlex.split(command)[1:], "--help"])
    return f"```text\n$ {command} --help\n{output.getvalue().rstrip()}\n```"


def _cli_commands() -> str:
    from fake_ecr.surfaces.cli import _parser  # noqa: PLC0415 - as above

    (commands,) = (action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction))
    return "\n\n".join(f"## {name}\n\n{_cli_help(f'fake-ecr {name}')}" for name in commands.choices)


def on_config(config: Any, **kwargs: Any) -> None:
    """Remember the python handler's options from mkdocs.yml: a block's own options override them."""
    handlers = config["plugins"]["mkdocstrings"].config["handlers"]
    _global_options.update(handlers.get("python", {}).get("options", {}))


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    for block in AUTODOC.finditer(markdown):
        options = (yaml.safe_load(block.group("options")) or {}).get("options", {}) if block.group("options") else {}
        for path in undocumented(block.group("identifier"), options):
            log.warning("%s: %s has no docstring (rendered by '::: %s')", page.file.src_uri, path, block["identifier"])
    if CLI_COMMANDS in markdown:
        markdown = markdown.replace(CLI_COMMANDS, _cli_commands())
    return CLI_HELP.sub(lambda match: _cli_help(match.group(1)), markdown)
