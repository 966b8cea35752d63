"""Registry settings: DescribeRegistry, GetAccountSetting, PutAccountSetting
(docs/behaviour/cross-repository.md#registry-settings, docs/behaviour/cross-repository.md#account-settings), as a boto3
user sees them."""

from __future__ import annotations

from typing import Any

import pytest

from fake_ecr import FakeEcr

from api.helpers import error_of

ACCOUNT = "123456789012"
DEFAULTS = {"BASIC_SCAN_TYPE_VERSION": "AWS_NATIVE", "REGISTRY_POLICY_SCOPE": "V2", "BLOB_MOUNTING": "DISABLED"}
NAMES_CONSTRAINT = "Member must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING]"


def same_kind_of_client(ecr: Any, fake_ecr: FakeEcr, region: str) -> Any:
    """A client like ``ecr`` (in-process or over HTTP) in another region."""
    over_http = fake_ecr.server is not None and ecr.meta.endpoint_url == fake_ecr.server.endpoint
    return fake_ecr.client(region_name=region, http=over_http)


def settings_of(fake_ecr: FakeEcr) -> dict[str, str]:
    return dict(fake_ecr.registry().settings.account_settings)


def test_describe_registry(ecr: Any) -> None:
    response = ecr.describe_registry()

    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {
        "registryId": ACCOUNT,
        "replicationConfiguration": {"rules": []},
    }


@pytest.mark.parametrize(("name", "value"), [pytest.param(n, v, id=n) for n, v in DEFAULTS.items()])
def test_account_setting_defaults(ecr: Any, name: str, value: str) -> None:
    response = ecr.get_account_setting(name=name)

    assert (response["name"], response["value"]) == (name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("BASIC_SCAN_TYPE_VERSION", "CLAIR", id="basic-scan-clair"),
        pytest.param("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE", id="basic-scan-native"),
        pytest.param("REGISTRY_POLICY_SCOPE", "V1", id="policy-scope-v1"),
        pytest.param("REGISTRY_POLICY_SCOPE", "V2", id="policy-scope-v2"),
        pytest.param("BLOB_MOUNTING", "ENABLED", id="blob-mounting-enabled"),
        pytest.param("BLOB_MOUNTING", "DISABLED", id="blob-mounting-disabled"),
    ],
)
def test_put_account_setting(ecr: Any, fake_ecr: FakeEcr, name: str, value: str) -> None:
    put = ecr.put_account_setting(name=name, value=value)
    got = ecr.get_account_setting(name=name)

    assert (put["name"], put["value"]) == (name, value)
    assert (got["name"], got["value"]) == (name, value)
    assert settings_of(fake_ecr) == {**DEFAULTS, name: value}


def test_put_account_setting_twice_keeps_the_last_value(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")

    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert settings_of(fake_ecr) == DEFAULTS


def test_account_settings_belong_to_the_region(ecr: Any, fake_ecr: FakeEcr) -> None:
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")

    elsewhere = same_kind_of_client(ecr, fake_ecr, "eu-west-1")

    assert elsewhere.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"


@pytest.mark.parametrize("call", ["get_account_setting", "put_account_setting"])
def test_unknown_account_setting(ecr: Any, fake_ecr: FakeEcr, call: str) -> None:
    params = {"name": "SCAN_ON_PUSH"} if call == "get_account_setting" else {"name": "SCAN_ON_PUSH", "value": "V2"}

    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        getattr(ecr, call)(**params)

    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Invalid parameter at 'name' failed to satisfy constraint: '{NAMES_CONSTRAINT}'",
    )
    assert settings_of(fake_ecr) == DEFAULTS


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        pytest.param("REGISTRY_POLICY_SCOPE", "V3", "V1, V2", id="policy-scope-v3"),
        pytest.param("REGISTRY_POLICY_SCOPE", "v1", "V1, V2", id="policy-scope-lower-case"),
        pytest.param("BLOB_MOUNTING", "AWS_NATIVE", "ENABLED, DISABLED", id="value-of-another-setting"),
        pytest.param("BASIC_SCAN_TYPE_VERSION", "INSPECTOR", "AWS_NATIVE, CLAIR", id="basic-scan-unknown"),
        pytest.param("BLOB_MOUNTING", "", "ENABLED, DISABLED", id="empty-value"),
    ],
)
def test_put_account_setting_refuses_unknown_values(
    ecr: Any, fake_ecr: FakeEcr, name: str, value: str, allowed: str
) -> None:
    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_account_setting(name=name, value=value)

    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Invalid parameter at 'value' failed to satisfy constraint: 'Member must satisfy enum value set: [{allowed}]'",
    )
    assert ecr.get_account_setting(name=name)["value"] == DEFAULTS[name]
    assert settings_of(fake_ecr) == DEFAULTS


def test_account_setting_name_longer_than_64_is_refused(ecr: Any, fake_ecr: FakeEcr) -> None:
    with pytest.raises(ecr.exceptions.InvalidParameterException) as excinfo:
        ecr.put_account_setting(name="X" * 65, value="V1")

    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid parameter at 'name' failed to satisfy constraint: 'must have length less than or equal to 64'",
    )
    assert settings_of(fake_ecr) == DEFAULTS
