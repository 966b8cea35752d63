"""Permissions policies: SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy and
PutRegistryPolicy, GetRegistryPolicy, DeleteRegistryPolicy (docs/behaviour/repositories.md#repository-operations,
docs/behaviour/cross-repository.md#registry-settings, docs/behaviour/auth.md#policies).

Owns checking a policy document the way ECR does before it stores one (the IAM policy grammar,
narrowed per kind of policy: a repository policy names no ``Resource``; a registry policy's
actions depend on the REGISTRY_POLICY_SCOPE account setting), and the pretty layout ECR stores
and returns policies in.  fake-ecr enforces the stored policies only with
``Settings.enforce_policies`` (``fake_ecr.model.policy_evaluation``); by default it stores them and no more.
Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

from fake_ecr import errors
from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.registry_settings import REGISTRY_POLICY_SCOPE
from fake_ecr.model import RegistrySettings, RepositoryRecord

# --- the policy grammar -----------------------------------------------------------------

Check = Callable[[object], bool]

#: Policy language versions IAM knows (docs/behaviour/auth.md#policies).  ``Version`` itself may be left out, as
#: anywhere in IAM (UNCONFIRMED for ECR).
POLICY_VERSIONS = ("2008-10-17", "2012-10-17")
PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
#: ``*`` or one ECR action, IAM wildcards allowed; action names are case-insensitive in IAM.
#: Only the form is checked, not that the action exists (UNCONFIRMED which ECR checks).
ECR_ACTION = re.compile(r"\*|ecr:[A-Za-z*?]+", re.IGNORECASE)
#: The only actions a registry policy may grant under scope V1 (docs/behaviour/cross-repository.md#registry-settings
#: PutRegistryPolicy, docs/behaviour/auth.md#policies). Wildcards are refused there: they would reach beyond these
#: three.
V1_REGISTRY_ACTIONS = frozenset({"ecr:replicateimage", "ecr:batchimportupstreamimage", "ecr:createrepository"})


def _strings(value: object) -> list[str] | None:
    """A string or a non-empty list of strings, as a list; None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(entry, str) for entry in value):
        return value
    return None


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_strings(value: object) -> bool:
    return _strings(value) is not None


def _is_effect(value: object) -> bool:
    return value in ("Allow", "Deny")


def _is_principal(value: object) -> bool:
    if value == "*":
        return True
    return (
        isinstance(value, dict)
        and bool(value)
        and all(kind in PRINCIPAL_TYPES and _is_strings(names) for kind, names in value.items())
    )


def _is_condition_value(value: object) -> bool:
    # IAM's policy grammar: a condition value is a string, a number or a boolean (bool is an int).
    return isinstance(value, str | int | float)


def _is_condition(value: object) -> bool:
    # operator -> {condition key -> a value or a list of values}; operators and keys are not checked.
    # Values nest no deeper, which also keeps the pretty layout below from recursing without end.
    return isinstance(value, dict) and all(
        isinstance(block, dict)
        and all(
            _is_condition_value(entry) or (isinstance(entry, list) and all(map(_is_condition_value, entry)))
            for entry in block.values()
        )
        for block in value.values()
    )


def _are_actions(allowed: Callable[[str], bool], value: object) -> bool:
    actions = _strings(value)
    return actions is not None and all(allowed(action) for action in actions)


def _is_ecr_action(action: str) -> bool:
    return ECR_ACTION.fullmatch(action) is not None


def _is_v1_registry_action(action: str) -> bool:
    return action.lower() in V1_REGISTRY_ACTIONS


@dataclass(frozen=True)
class PolicyRules:
    """What one kind of policy may hold; any breach is answered with the one ``constraint``."""

    constraint: str
    #: statement element -> check of its value; elements not listed are refused
    elements: Mapping[str, Check]
    #: groups of elements of which every statement holds exactly one
    exactly_one: tuple[tuple[str, ...], ...]

    @property
    def error(self) -> errors.InvalidParameter:
        return errors.InvalidParameter("PolicyText", self.constraint)


_COMMON_ELEMENTS: dict[str, Check] = {
    "Sid": _is_text,
    "Effect": _is_effect,
    "Principal": _is_principal,
    "NotPrincipal": _is_principal,
    "Condition": _is_condition,
}
_ECR_ACTIONS = partial(_are_actions, _is_ecr_action)
_V1_ACTIONS = partial(_are_actions, _is_v1_registry_action)
# Registry policy resources are not checked beyond their type: ECR accepted a registry policy
# whose Resource lacked the service part of the ARN (aws/containers-roadmap#2675).
_RESOURCES = {"Resource": _is_strings, "NotResource": _is_strings}


def repository_policy_rules(action: re.Pattern[str]) -> PolicyRules:
    """A repository policy is about its repository: it has a Principal and no Resource
    (docs/behaviour/errors.md#messages #14, awsdocs/amazon-ecr-user-guide#20, aws/aws-cdk#3583); its actions are
    the service's (``action``)."""
    actions = partial(_are_actions, lambda name: action.fullmatch(name) is not None)
    return PolicyRules(
        "Invalid repository policy provided",
        {**_COMMON_ELEMENTS, "Action": actions, "NotAction": actions},
        (("Effect",), ("Principal", "NotPrincipal"), ("Action", "NotAction")),
    )


REPOSITORY_POLICY = repository_policy_rules(ECR_ACTION)

# A registry policy is a resource policy over many repositories.  UNCONFIRMED: that each statement
# must name a Principal (as every resource-based IAM policy does) and its Resource (every ECR
# example of one does, docs/behaviour/auth.md#policies); the wording is moto's (docs/behaviour/errors.md#messages #15).
_REGISTRY_POLICY_CONSTRAINT = "Invalid registry policy provided"
_REGISTRY_EXACTLY_ONE = (("Effect",), ("Principal", "NotPrincipal"), ("Resource", "NotResource"))

#: Registry policy rules per REGISTRY_POLICY_SCOPE: V1 grants only three actions, by name (so no
#: NotAction, which would grant all others); V2 grants any ECR action (docs/behaviour/auth.md#policies).
REGISTRY_POLICY: dict[str, PolicyRules] = {
    "V1": PolicyRules(
        _REGISTRY_POLICY_CONSTRAINT,
        {**_COMMON_ELEMENTS, **_RESOURCES, "Action": _V1_ACTIONS},
        (*_REGISTRY_EXACTLY_ONE, ("Action",)),
    ),
    "V2": PolicyRules(
        _REGISTRY_POLICY_CONSTRAINT,
        {**_COMMON_ELEMENTS, **_RESOURCES, "Action": _ECR_ACTIONS, "NotAction": _ECR_ACTIONS},
        (*_REGISTRY_EXACTLY_ONE, ("Action", "NotAction")),
    ),
}


def _reject_constant(constant: str) -> object:
    # Python's json reads NaN and Infinity; JSON (and ECR's parser) does not.
    raise ValueError(constant)


def _finite_number(text: str) -> float:
    # A number beyond a double's range (1e400) would read as infinity, which no JSON text carries back.
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _statement_is_valid(statement: object, rules: PolicyRules) -> bool:
    if not isinstance(statement, dict):
        return False
    for element, value in statement.items():
        check = rules.elements.get(element)
        if check is None or not check(value):
            return False
    return all(sum(element in statement for element in group) == 1 for group in rules.exactly_one)


def checked_policy(policy_text: str, rules: PolicyRules) -> dict[str, object]:
    """The policy document of ``policy_text`` if ``rules`` allow it, else ``rules.error``."""
    try:
        document = json.loads(policy_text, parse_constant=_reject_constant, parse_float=_finite_number)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise rules.error from None
    if not isinstance(document, dict) or not set(document) <= {"Version", "Id", "Statement"}:
        raise rules.error
    if "Version" in document and document["Version"] not in POLICY_VERSIONS:
        raise rules.error
    if "Id" in document and not isinstance(document["Id"], str):
        raise rules.error
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise rules.error
    if not all(_statement_is_valid(statement, rules) for statement in statements):
        raise rules.error
    return document


# --- ECR's layout of a stored policy ------------------------------------------------------

# ECR answers with its own re-serialisation of the document [CLI:get-repository-policy,
# CLI:set-repository-policy; M examples-1.json GetRepositoryPolicy]; registry policies come back
# the same way ("Resource" : "..." quoted from one in aws/containers-roadmap#2675).  The layout is
# that of Jackson's default pretty printer: objects one member a line, indented two spaces per
# level, `"key" : value`; arrays on one line, `[ a, b ]`, not indented themselves (so an object in
# a list is indented by its object nesting only: `[ {` ... `} ]`).  Members keep their order.
# UNCONFIRMED beyond the examples: empty containers (`{ }`, `[ ]`), the escapes (Jackson writes
# `\u001F` in upper case) and numbers (written here as Python writes them).
_INDENT = "  "
_ESCAPES = str.maketrans(
    {
        **{chr(code): f"\\u{code:04X}" for code in range(0x20)},
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
        '"': '\\"',
        "\\": "\\\\",
    }
)
_LITERALS: dict[object, str] = {True: "true", False: "false", None: "null"}


def _pretty(value: object, depth: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = "\n" + _INDENT * (depth + 1)
        members = ",".join(f"{inner}{_pretty(key, 0)} : {_pretty(entry, depth + 1)}" for key, entry in value.items())
        return "{" + members + "\n" + _INDENT * depth + "}"
    if isinstance(value, list):
        return "[ " + ", ".join(_pretty(entry, depth) for entry in value) + " ]" if value else "[ ]"
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    if isinstance(value, bool) or value is None:
        return _LITERALS[value]
    return repr(value)


def pretty_policy_text(document: Mapping[str, object]) -> str:
    """``document`` laid out as ECR stores and returns policies."""
    return _pretty(document, 0)


# --- repository policies --------------------------------------------------------------------


def _repository_policy_text(record: RepositoryRecord) -> str:
    if record.policy_text is None:
        raise errors.RepositoryPolicyNotFound(record.registry_id, record.repository_name)
    return record.policy_text


def _repository_policy(record: RepositoryRecord, policy_text: str) -> Response:
    return {"registryId": record.registry_id, "repositoryName": record.repository_name, "policyText": policy_text}


@operation("SetRepositoryPolicy")
def set_repository_policy(call: Call, params: Params) -> Response:
    return store_repository_policy(call, params, REPOSITORY_POLICY)


def store_repository_policy(call: Call, params: Params, rules: PolicyRules) -> Response:
    """SetRepositoryPolicy of ECR and of ECR Public, whose policies name their own actions (``rules``)."""
    # `force` guards against a policy that locks the caller out.  fake-ecr does not check that
    # (UNCONFIRMED what ECR answers), so `force` changes nothing, with policies enforced or not.
    # The text is checked before the repository is looked up (UNCONFIRMED which error ECR reports
    # when both are wrong).
    policy_text = pretty_policy_text(checked_policy(params["policyText"], rules))
    _, record = call.registry(params).modify_repository(
        params["repositoryName"], lambda r: replace(r, policy_text=policy_text)
    )
    return _repository_policy(record, policy_text)


@operation("GetRepositoryPolicy")
def get_repository_policy(call: Call, params: Params) -> Response:
    record = call.registry(params).repository(params["repositoryName"])
    return _repository_policy(record, _repository_policy_text(record))


@operation("DeleteRepositoryPolicy")
def delete_repository_policy(call: Call, params: Params) -> Response:
    def without_policy(record: RepositoryRecord) -> RepositoryRecord:
        _repository_policy_text(record)
        return replace(record, policy_text=None)

    old, _ = call.registry(params).modify_repository(params["repositoryName"], without_policy)
    return _repository_policy(old, _repository_policy_text(old))


# --- the registry policy -------------------------------------------------------------------


def _registry_policy(registry_id: str, settings: RegistrySettings) -> Response:
    if settings.policy_text is None:
        raise errors.RegistryPolicyNotFound(registry_id)
    return {"registryId": registry_id, "policyText": settings.policy_text}


@operation("PutRegistryPolicy")
def put_registry_policy(call: Call, params: Params) -> Response:
    registry = call.own_registry

    def with_policy(settings: RegistrySettings) -> RegistrySettings:
        # The scope is read under the same lock that stores the policy.
        rules = REGISTRY_POLICY[settings.account_setting(REGISTRY_POLICY_SCOPE) or "V2"]
        return replace(settings, policy_text=pretty_policy_text(checked_policy(params["policyText"], rules)))

    _, settings = registry.modify_settings(with_policy)
    return _registry_policy(registry.registry_id, settings)


@operation("GetRegistryPolicy")
def get_registry_policy(call: Call, params: Params) -> Response:
    registry = call.own_registry
    return _registry_policy(registry.registry_id, registry.settings)


@operation("DeleteRegistryPolicy")
def delete_registry_policy(call: Call, params: Params) -> Response:
    registry = call.own_registry

    def without_policy(settings: RegistrySettings) -> RegistrySettings:
        _registry_policy(registry.registry_id, settings)
        return replace(settings, policy_text=None)

    old, _ = registry.modify_settings(without_policy)
    return _registry_policy(registry.registry_id, old)
