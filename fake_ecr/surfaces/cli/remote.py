"""The control subcommands of ``fake-ecr``: ``clock``, ``reset``, ``findings``, ``scans``, ``lifecycle`` and
``status`` drive a running ``fake-ecr serve`` through its control API (docs/control-api.md).

Owns their arguments (checked before anything is sent), the one request each makes, and what they print: a
line for a person, or the server's JSON with ``--json``; exit status 1 when the server says no or can't be
reached.

Imported by every command, ``fake-ecr --help`` included: it must not import the state, the server, the
handle, werkzeug or botocore; ``requests`` loads on the first call to a server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fake_ecr.formats.control_api import PREFIX, parse_duration, parse_time, split_reference
from fake_ecr.surfaces.cli.options import DEFAULT_ENDPOINT, ENDPOINT_VARIABLE, Parser, account_id, region
from fake_ecr.surfaces.cli.output import say


class _Refused(Exception):
    """The server said no, or nothing answered: one line on stderr, exit status 1."""


def _call(options: argparse.Namespace, method: str, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the control API at ``--endpoint``; its JSON answer, or ``_Refused`` saying why not."""
    # Loaded here, not on top: ``--help`` needs no HTTP client, and requests takes a tenth of a second.
    import requests  # noqa: PLC0415

    endpoint = options.endpoint.rstrip("/")
    try:
        response = requests.request(method, f"{endpoint}{PREFIX}{route}", json=body, timeout=60)
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
    if not answer["registries"] and not answer.get("public_registries"):
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
            lines += _upload_lines(repository["uploads"])
    for public in answer.get("public_registries", []):
        repositories = public["repositories"]
        lines.append(
            f"public registry {public['account_id']}, alias {public['alias']} at {public['address']}: "
            f"{_plural(len(repositories), 'repository', 'repositories')}"
        )
        for repository in repositories:
            description = repository["catalog_data"]["description"]
            lines.append(
                f"  {repository['name']}: {_plural(len(repository['images']), 'image')}"
                f"{'' if description is None else ' - ' + description}"
            )
            for image in repository["images"]:
                lines.append(f"    {_image_text(image)} {_size_text(image['size'])}, pushed {image['pushed_at']}")
            lines += _upload_lines(repository["uploads"])
    return answer, lines


def _upload_lines(uploads: list[dict[str, Any]]) -> list[str]:
    return [
        f"    upload {upload['id']} in progress: {_size_text(upload['bytes'])} since {upload['started_at']}"
        for upload in uploads
    ]


def run(options: argparse.Namespace) -> int:
    """Run the control subcommand the command line named; its exit status."""
    command: Callable[[argparse.Namespace], tuple[dict[str, Any], list[str]]] = options.remote
    try:
        answer, lines = command(options)
    except _Refused as refusal:
        print(f"fake-ecr: {refusal}", file=sys.stderr)
        return 1
    if options.json:
        say(json.dumps(answer, indent=2))
    else:
        say(*lines)
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


_REMOTE_DESCRIPTION = f"""\
Drive a running `fake-ecr serve` through its control API ({PREFIX}) at --endpoint, else
${ENDPOINT_VARIABLE} (serve prints it), else {DEFAULT_ENDPOINT}. Exit status 1 when the server says no or
can't be reached, 2 for a usage error."""


def add_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    """The control subcommands, as parsers of ``commands`` (the ``fake-ecr`` parser's subparsers)."""
    remote: argparse.ArgumentParser = Parser(add_help=False)
    remote.add_argument(
        "--endpoint",
        default=os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT,
        help=f"the server's address [{ENDPOINT_VARIABLE}; default {DEFAULT_ENDPOINT}]",
    )
    remote.add_argument("--json", action="store_true", help="print the server's JSON answer, for scripts")
    # The same options after an action (``clock advance 12h --json``): unset there, they keep what came before.
    again = Parser(add_help=False)
    again.add_argument("--endpoint", default=argparse.SUPPRESS, help="the server's address")
    again.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON, for scripts")
    scope = Parser(add_help=False)
    scope.add_argument("--account-id", "--account", type=account_id, help="the registry's account")
    scope.add_argument("--region", type=region, help="the registry's region")

    def remote_command(name: str, send: Callable[..., Any], help_text: str, *parents: argparse.ArgumentParser) -> Any:
        command = commands.add_parser(
            name,
            parents=[remote, *parents],  # type: ignore[list-item]  # typeshed: a list of the parser's own class
            help=help_text,
            description=f"{help_text[0].upper()}{help_text[1:]}. {_REMOTE_DESCRIPTION}",
        )
        command.set_defaults(module=__name__, remote=send)
        return command

    clock = remote_command("clock", _clock_command, "show the fake's clock, or advance, set or resume it")
    actions = clock.add_subparsers(dest="clock_action", metavar="ACTION")
    advance = actions.add_parser("advance", parents=[again], help="move the clock forward: 12h, 1d12h, 90m, 3600")
    advance.add_argument("duration", type=_argument(parse_duration), help="seconds, or e.g. 12h, 1d12h, 90m")
    set_clock = actions.add_parser("set", parents=[again], help="pin the clock at a time; it stands still there")
    set_clock.add_argument("time", type=_argument(parse_time), help="ISO 8601 with a zone: 2024-01-01T00:00:00Z")
    actions.add_parser("resume", parents=[again], help="let a pinned clock run again from where it stands")

    remote_command("reset", _reset_command, "empty the fake, or the registries of one account and/or region", scope)

    findings = remote_command("findings", _findings_command, "decide what scans of an image report")
    findings_actions = findings.add_subparsers(dest="findings_action", metavar="ACTION", required=True)
    set_findings = findings_actions.add_parser("set", parents=[again, scope], help="set an image's findings")
    set_findings.add_argument(
        "image",
        type=_argument(split_reference),
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
