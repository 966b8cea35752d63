"""``fake-ecr serve``'s settings: every Settings field is a flag and a FAKE_ECR_* variable, read by its type.

Bad values are usage errors: one line on stderr, exit status 2, whether they came as a flag or a variable.
The subcommands' own arguments are checked the same way before anything is sent.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest

from fake_ecr import Settings
from fake_ecr.surfaces import cli
from fake_ecr.surfaces.cli import options

FIELDS = [item.name for item in dataclasses.fields(Settings)]
EXAMPLE_TABLE = Path(cli.__file__).parents[2] / "scanning" / "example-vulnerabilities.json"


@pytest.fixture(autouse=True)
def no_fake_ecr_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*(f"FAKE_ECR_{field.upper()}" for field in FIELDS), "FAKE_ECR_HOST", "FAKE_ECR_PORT"]:
        monkeypatch.delenv(name, raising=False)


def serve_settings(*argv: str) -> Settings:
    return options.settings_of(cli.parse(["serve", *argv]))


def test_every_field_is_a_flag_and_a_variable_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--help"])

    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for field in FIELDS:
        flag = "--" + field.replace("_", "-")
        assert flag in text, field
        assert f"FAKE_ECR_{field.upper()}" in text, field
    assert "--no-registry-auth" in text
    assert "FAKE_ECR_UPLOAD_SPACE_LIMIT; default 8 GiB" in text
    assert "FAKE_ECR_HEADER_TIMEOUT; default 10" in text


def test_every_float_setting_is_seconds() -> None:
    # The flags of float settings read and show seconds: a float setting of another unit needs a reading.
    hints = typing.get_type_hints(Settings)
    docs = {option.name: option.help for option in options.setting_options()}
    floats = [field for field in FIELDS if hints[field] is float]
    assert floats
    for field in floats:
        assert "seconds" in docs[field], field


def serve_defaults() -> Settings:
    """Settings' own defaults, but for the few ``serve`` chooses otherwise (``options.SERVE_DEFAULTS``)."""
    return dataclasses.replace(Settings(), **options.SERVE_DEFAULTS)


def test_no_flags_and_no_variables_are_settings_defaults() -> None:
    assert serve_settings() == serve_defaults()


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        pytest.param(["--account-id", "111122223333"], "account_id", "111122223333", id="account_id"),
        pytest.param(["--region", "eu-west-1"], "region", "eu-west-1", id="region"),
        pytest.param(["--region", "us-gov-west-1"], "region", "us-gov-west-1", id="region-gov"),
        pytest.param(["--no-registry-auth"], "registry_auth", False, id="switch-off"),
        pytest.param(["--tls"], "tls", True, id="switch-on"),
        pytest.param(["--no-tls", "--tls"], "tls", True, id="last-switch-wins"),
        pytest.param(["--registry-addresses", "ecr"], "registry_addresses", "ecr", id="choice"),
        pytest.param(["--scan-delay", "5"], "scan_delay", 5.0, id="seconds"),
        pytest.param(["--idle-timeout", "0.5"], "idle_timeout", 0.5, id="fraction"),
        pytest.param(["--scan-size-limit", "1000"], "scan_size_limit", 1000, id="optional-number"),
        pytest.param(["--upload-space-limit", "2GiB"], "upload_space_limit", 2 * 1024**3, id="bytes-unit"),
        pytest.param(["--upload-memory-limit", "512 kib"], "upload_memory_limit", 512 * 1024, id="bytes-lower"),
        pytest.param(["--max-registries", "3"], "max_registries", 3, id="count"),
        pytest.param(
            ["--vulnerability-table", str(EXAMPLE_TABLE)], "vulnerability_table", str(EXAMPLE_TABLE), id="table"
        ),
    ],
)
def test_a_flag_sets_its_field(argv: list[str], field: str, value: object) -> None:
    settings = serve_settings(*argv)

    assert getattr(settings, field) == value
    others = {name: getattr(settings, name) for name in FIELDS if name != field}
    assert others == {name: getattr(serve_defaults(), name) for name in FIELDS if name != field}


@pytest.mark.parametrize(
    ("variable", "text", "field", "value"),
    [
        pytest.param("FAKE_ECR_SCAN_DELAY", "7", "scan_delay", 7.0, id="seconds"),
        pytest.param("FAKE_ECR_REGISTRY_AUTH", "false", "registry_auth", False, id="false"),
        pytest.param("FAKE_ECR_ENFORCE_POLICIES", "1", "enforce_policies", True, id="one"),
        pytest.param("FAKE_ECR_LIFECYCLE_ON_CLOCK", "Yes", "lifecycle_on_clock", True, id="yes"),
        pytest.param("FAKE_ECR_ALLOW_MISSING_LAYERS", "off", "allow_missing_layers", False, id="off"),
        pytest.param("FAKE_ECR_REGISTRY_ADDRESSES", "ecr", "registry_addresses", "ecr", id="choice"),
        pytest.param("FAKE_ECR_MAX_CONNECTIONS", "100", "max_connections", 100, id="count"),
        pytest.param("FAKE_ECR_ACCOUNT_ID", "111122223333", "account_id", "111122223333", id="account"),
        pytest.param("FAKE_ECR_SCAN_SIZE_LIMIT", "", "scan_size_limit", None, id="empty-is-unset"),
    ],
)
def test_a_variable_sets_its_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, text: str, field: str, value: object
) -> None:
    monkeypatch.setenv(variable, text)

    assert getattr(serve_settings(), field) == value


def test_a_flag_wins_over_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_ECR_SCAN_DELAY", "7")
    monkeypatch.setenv("FAKE_ECR_TLS", "true")

    settings = serve_settings("--scan-delay", "1", "--no-tls")

    assert (settings.scan_delay, settings.tls) == (1.0, False)


def test_where_to_listen_comes_from_flags_variables_or_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (cli.parse(["serve"]).host, cli.parse(["serve"]).port) == ("127.0.0.1", options.DEFAULT_PORT)
    monkeypatch.setenv("FAKE_ECR_PORT", "6000")
    monkeypatch.setenv("FAKE_ECR_HOST", "0.0.0.0")
    assert (cli.parse(["serve"]).host, cli.parse(["serve"]).port) == ("0.0.0.0", 6000)
    assert cli.parse(["serve", "--port", "0"]).port == 0


def _bad_table(tmp_path: Path) -> str:
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"vulnerabilities": 3}))
    return str(path)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param(
            (["--scan-delay", "soon"], {}), "argument --scan-delay: seconds, a number >= 0, not 'soon'", id="nan"
        ),
        pytest.param((["--scan-delay", "-1"], {}), "seconds, a number >= 0, not '-1'", id="negative"),
        pytest.param((["--idle-timeout", "inf"], {}), "seconds, a number >= 0, not 'inf'", id="infinite"),
        pytest.param((["--max-connections", "1.5"], {}), "a whole number >= 0", id="fraction-count"),
        pytest.param((["--upload-space-limit", "8TB"], {}), "bytes may end in KiB, MiB or GiB", id="unit"),
        pytest.param((["--account-id", "1234"], {}), "an AWS account id is 12 digits, not '1234'", id="account"),
        pytest.param((["--region", "Europe"], {}), "an AWS region is named like us-east-1", id="region"),
        pytest.param((["--registry-addresses", "aws"], {}), "one of ecr, local, not 'aws'", id="choice"),
        pytest.param(
            (["--vulnerability-table", "/nonexistent.json"], {}), "can't read /nonexistent.json", id="no-table"
        ),
        pytest.param((["--vulnerability-table", "<bad>"], {}), "expected an array, got a number", id="bad-table"),
        pytest.param((["--port", "65536"], {}), "a port number from 0 to 65535", id="port"),
        pytest.param((["--tls=yes"], {}), "ignored explicit argument", id="switch-with-value"),
        pytest.param(([], {"FAKE_ECR_TLS": "maybe"}), "FAKE_ECR_TLS='maybe': true or false", id="variable-switch"),
        pytest.param(([], {"FAKE_ECR_SCAN_DELAY": "x"}), "FAKE_ECR_SCAN_DELAY='x': seconds", id="variable-seconds"),
        pytest.param(([], {"FAKE_ECR_PORT": "http"}), "FAKE_ECR_PORT='http': a port number", id="variable-port"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    given: tuple[list[str], dict[str, str]],
    message: str,
) -> None:
    argv = [_bad_table(tmp_path) if arg == "<bad>" else arg for arg in given[0]]
    for name, value in given[1].items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", *argv])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fake-ecr serve: ")
    assert message in err
    assert err.endswith("(see fake-ecr serve --help)\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["clock", "advance", "soon"], "fake-ecr clock advance: argument duration: 'soon' is no", id="duration"
        ),
        pytest.param(["clock", "advance", "-1h"], "fake-ecr clock advance: ", id="negative-duration"),
        pytest.param(["clock", "set", "2024-01-01T00:00:00"], "names no time zone", id="naive-time"),
        pytest.param(["clock", "rewind"], "invalid choice: 'rewind'", id="unknown-action"),
        pytest.param(["reset", "--account-id", "12"], "an AWS account id is 12 digits", id="reset-account"),
        pytest.param(["findings", "set", "app", "-"], "'app' names no image", id="findings-reference"),
        pytest.param(["findings", "set", "app:v1", "/nonexistent.json"], "can't read /nonexistent.json", id="no-file"),
        pytest.param(["scans"], "the following arguments are required", id="scans-without-action"),
        pytest.param(["lifecycle", "run", "--region", "x"], "an AWS region is named like us-east-1", id="bad-region"),
        pytest.param(["status", "--bogus"], "unrecognized arguments: --bogus", id="unknown-flag"),
    ],
)
def test_a_subcommand_usage_error_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert message in err


def test_a_findings_file_must_hold_a_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text('{"name": "CVE-2024-0001"}')

    with pytest.raises(SystemExit) as exited:
        cli.main(["findings", "set", "app:v1", str(path)])

    assert exited.value.code == 2
    assert f"{path} must hold a JSON list of findings" in capsys.readouterr().err
