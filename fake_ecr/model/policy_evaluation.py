"""Enforcing repository and registry policies (``Settings.enforce_policies``): who may do what.

Owns IAM's evaluation of the two resource-based policies ECR has, for one request context (a principal,
an ``ecr:`` action, a resource), as AWS's "Policy evaluation logic" documents it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an applicable ``Deny`` statement, in either policy, denies (an explicit deny beats every allow);
- a principal of the resource's own account is allowed: AWS would ask its identity-based policies,
  and fake-ecr has none, so it takes them to allow everything;
- a principal of another account needs an applicable ``Allow`` in a resource-based policy, the
  repository's or the registry's (UNCONFIRMED that ECR takes either; its docs say only that the
  registry policy "is enforced in all ECR requests" under scope V2,
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html).  Under scope V1
  a registry policy can name only ecr:ReplicateImage, ecr:BatchImportUpstreamImage and
  ecr:CreateRepository (fake_ecr.api.policies refuses others), so it decides only those.

A statement applies when its ``Principal`` (or ``NotPrincipal``), ``Action`` (or ``NotAction``),
``Resource`` (registry policies only: a repository policy is about its repository) and every
``Condition`` match.  Principals: ``*``, an account id or ``arn:...:iam::<account>:root`` (any
principal of that account), a role or user ARN (that principal; an
``arn:aws:sts::<account>:assumed-role/<role>/<session>`` caller matches its role's ARN);
``Service``, ``Federated`` and ``CanonicalUser`` principals never call fake-ecr.  Actions and
resources take IAM's ``*`` and ``?`` wildcards (actions case-insensitively).

Conditions: the operators in ``OPERATORS`` (with ``IfExists`` and ``ForAnyValue:``/``ForAllValues:``)
over the keys in ``context_values``.  A key fake-ecr cannot supply (``aws:PrincipalOrgID``,
``aws:SourceIp``, ``aws:SourceVpce``, tags, ...), another operator, or a policy variable makes the
statement undecidable, and fake-ecr fails closed: an undecidable ``Allow`` grants nothing, an
undecidable ``Deny`` denies; the AccessDeniedException then says which key it could not evaluate.

Pure functions over parsed policy JSON, plus ``authorize``, which reads a registry's policies.
Must not import werkzeug, botocore, ``fake_ecr.api`` or ``fake_ecr.registry``: both surfaces call it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

from fake_ecr import errors
from fake_ecr.model import Registry
from fake_ecr.model.records import partition_of

#: The resource of a request that names no repository (AWS's messages say ``on resource: *``).
ANY_RESOURCE = "*"

_ARN = re.compile(r"arn:([a-z-]+):(iam|sts)::(\d{12}):(.+)")
_ASSUMED_ROLE = re.compile(r"assumed-role/([^/]+)/[^/]+")


class _Undecidable(Exception):
    """A condition fake-ecr cannot evaluate; ``what`` names it for the error message."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class RequestContext:
    """Who asks to do what to which resource, and where."""

    principal_arn: str
    action: str
    resource: str
    region: str

    @property
    def principal_account(self) -> str:
        return account_of(self.principal_arn)


@dataclass(frozen=True)
class Policy:
    """A parsed policy document; ``scoped`` when its statements name their ``Resource`` (a registry policy)."""

    document: Mapping[str, object]
    scoped: bool


@dataclass(frozen=True)
class Decision:
    """Allowed or not; a refusal is ``explicit`` when a Deny applies (else nothing allowed it)."""

    allowed: bool
    explicit: bool = False
    #: the condition fake-ecr could not evaluate, when it decided the outcome
    undecidable: str | None = None


def account_of(principal_arn: str) -> str:
    """The account of an IAM or STS principal ARN; ValueError for anything else."""
    match = _ARN.fullmatch(principal_arn)
    if match is None:
        raise ValueError(f"{principal_arn!r} is not the ARN of an IAM principal (arn:aws:iam::<account>:...)")
    return match.group(3)


def root_arn(account_id: str, region: str) -> str:
    """The principal that stands for a whole account, ``arn:<partition>:iam::<account>:root``."""
    return f"arn:{partition_of(region)}:iam::{account_id}:root"


def _principal_names(principal_arn: str) -> set[str]:
    """What a policy's ``Principal`` may say to name this caller (IAM's forms, see the module)."""
    match = _ARN.fullmatch(principal_arn)
    if match is None:
        return {principal_arn}
    partition, service, account, name = match.groups()
    names = {principal_arn, account, f"arn:{partition}:iam::{account}:root"}
    role = _ASSUMED_ROLE.fullmatch(name) if service == "sts" else None
    if role is not None:
        names.add(f"arn:{partition}:iam::{account}:role/{role.group(1)}")
    return names


def _strings(value: object) -> list[str]:
    """A policy element's string or list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    return [entry for entry in value if isinstance(entry, str)] if isinstance(value, list) else []


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one; the rest matches itself."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(text) is not None


def _principal_matches(value: object, request: RequestContext) -> bool:
    if value == "*":
        return True
    if not isinstance(value, Mapping):
        return False
    names = _principal_names(request.principal_arn)
    return any(entry == "*" or entry in names for entry in _strings(value.get("AWS")))


def _action_matches(value: object, request: RequestContext) -> bool:
    return any(_like(pattern, request.action, ignore_case=True) for pattern in _strings(value))


def _resource_matches(value: object, request: RequestContext) -> bool:
    return any(_like(pattern, request.resource) for pattern in _strings(value))


# --- conditions --------------------------------------------------------------------------------


def context_values(request: RequestContext) -> dict[str, str | None]:
    """The condition keys fake-ecr supplies (lower case, as IAM compares keys); None: absent from the request.

    ``aws:SourceAccount``, ``aws:SourceArn``, ``aws:SourceOrgID`` and ``aws:SourceOrgPaths`` are set only
    when an AWS service calls on a principal's behalf, which no fake-ecr caller is, so they are absent
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
    """
    return {
        "aws:principalaccount": request.principal_account,
        "aws:principalarn": request.principal_arn,
        "aws:principalisawsservice": "false",
        "aws:requestedregion": request.region,
        "aws:sourceaccount": None,
        "aws:sourcearn": None,
        "aws:sourceorgid": None,
        "aws:sourceorgpaths": None,
    }


def _arn_like(pattern: str, arn: str) -> bool:
    # ArnEquals and ArnLike alike: each of an ARN's six colon-separated parts is matched on its own.
    parts, wanted = arn.split(":", 5), pattern.split(":", 5)
    return len(parts) == len(wanted) == 6 and all(_like(p, t) for p, t in zip(wanted, parts, strict=True))


#: Condition operator (lower case) -> (test of the context value against one policy value, negated).
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "stringequals": (lambda value, wanted: value == wanted, False),
    "stringnotequals": (lambda value, wanted: value == wanted, True),
    "stringequalsignorecase": (lambda value, wanted: value.lower() == wanted.lower(), False),
    "stringnotequalsignorecase": (lambda value, wanted: value.lower() == wanted.lower(), True),
    "stringlike": (lambda value, wanted: _like(wanted, value), False),
    "stringnotlike": (lambda value, wanted: _like(wanted, value), True),
    "arnequals": (lambda value, wanted: _arn_like(wanted, value), False),
    "arnlike": (lambda value, wanted: _arn_like(wanted, value), False),
    "arnnotequals": (lambda value, wanted: _arn_like(wanted, value), True),
    "arnnotlike": (lambda value, wanted: _arn_like(wanted, value), True),
    "bool": (lambda value, wanted: value == wanted.lower(), False),
}


def _condition_values(values: object) -> list[str]:
    listed = values if isinstance(values, list) else [values]
    texts = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in listed]
    for text in texts:
        if "${" in text:
            raise _Undecidable(f"the policy variable in '{text}'")
    return texts


def _condition_holds(operator: str, key: str, values: object, context: Mapping[str, str | None]) -> bool:
    """One operator over one key, per IAM's "Condition operators" (an absent key: false, true when negated)."""
    name = operator.lower()
    qualifier, _, name = name.rpartition(":")
    if qualifier not in ("", "foranyvalue", "forallvalues"):
        raise _Undecidable(f"condition operator '{operator}'")
    if_exists = name.endswith("ifexists")
    name = name.removesuffix("ifexists")
    if key.lower() not in context:
        raise _Undecidable(f"condition key '{key}'")
    value = context[key.lower()]
    wanted = _condition_values(values)
    if name == "null":
        return (value is None) == (wanted == ["true"])
    if name not in OPERATORS:
        raise _Undecidable(f"condition operator '{operator}'")
    if value is None:
        return if_exists or qualifier == "forallvalues" or (OPERATORS[name][1] and qualifier == "")
    test, negated = OPERATORS[name]
    return any(test(value, entry) for entry in wanted) != negated


def _conditions_hold(conditions: object, request: RequestContext) -> bool:
    """Whether every condition holds: one that fails decides, whatever fake-ecr cannot evaluate beside it."""
    if not isinstance(conditions, Mapping):
        return True
    context = context_values(request)
    undecidable: _Undecidable | None = None
    for operator, block in conditions.items():
        for key, values in block.items() if isinstance(block, Mapping) else ():
            try:
                if not _condition_holds(operator, key, values, context):
                    return False
            except _Undecidable as unknown:
                undecidable = undecidable or unknown
    if undecidable is not None:
        raise undecidable
    return True


# --- statements and policies -----------------------------------------------------------------------


def _matches(
    statement: Mapping[str, object],
    element: str,
    test: Callable[[object, RequestContext], bool],
    request: RequestContext,
) -> bool:
    if element in statement:
        return test(statement[element], request)
    return not test(statement[f"Not{element}"], request) if f"Not{element}" in statement else True


def _applies(statement: Mapping[str, object], request: RequestContext, scoped: bool) -> bool:
    """Whether ``statement`` applies to ``request``; _Undecidable when only its conditions can't tell."""
    if not (
        _matches(statement, "Principal", _principal_matches, request)
        and _matches(statement, "Action", _action_matches, request)
        and (not scoped or _matches(statement, "Resource", _resource_matches, request))
    ):
        return False
    return _conditions_hold(statement.get("Condition"), request)


def _statements(document: Mapping[str, object]) -> list[Mapping[str, object]]:
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    return [statement for statement in listed if isinstance(statement, Mapping)]


def evaluate(request: RequestContext, resource_account: str, policies: Iterable[Policy]) -> Decision:
    """IAM's decision for ``request`` on a resource of ``resource_account`` under ``policies``."""
    allowed = request.principal_account == resource_account
    undecided_allow: str | None = None
    undecided_deny: str | None = None
    for policy in policies:
        for statement in _statements(policy.document):
            deny = statement.get("Effect") == "Deny"
            try:
                applies = _applies(statement, request, policy.scoped)
            except _Undecidable as unknown:
                if deny:
                    undecided_deny = undecided_deny or unknown.what
                else:
                    undecided_allow = undecided_allow or unknown.what
                continue
            if applies and deny:
                return Decision(False, explicit=True)
            allowed = allowed or applies
    if undecided_deny is not None:  # after every statement: a Deny that surely applies is the better reason
        return Decision(False, explicit=True, undecidable=undecided_deny)
    return Decision(True) if allowed else Decision(False, undecidable=undecided_allow)


# --- a registry's policies ------------------------------------------------------------------------------


def _policy(text: str | None, scoped: bool) -> list[Policy]:
    # Stored texts were checked when they were put (fake_ecr.api.policies), so they parse.
    return [] if text is None else [Policy(json.loads(text), scoped)]


def authorize(registry: Registry, principal_arn: str, actions: Sequence[str], repository_name: str | None) -> None:
    """Return when ``principal_arn`` may perform every one of ``actions``; raise AccessDenied for the first it may not.

    The resource is ``repository_name``'s ARN in ``registry`` (whether or not it exists yet: creating
    one is an action on it too), else the registry as a whole (``*``).  Its repository policy, if it
    has one, and the registry's policy are evaluated.
    """
    policies = _policy(registry.settings.policy_text, scoped=True)
    resource = ANY_RESOURCE
    if repository_name is not None:
        resource = registry.repository_arn(repository_name)
        # No repository, no repository policy: the handler reports it if it must exist.
        with suppress(errors.RepositoryNotFound):
            policies += _policy(registry.repository(repository_name).policy_text, scoped=False)
    for action in actions:
        request = RequestContext(principal_arn, action, resource, registry.region)
        decision = evaluate(request, registry.registry_id, policies)
        if not decision.allowed:
            raise errors.AccessDenied(principal_arn, action, resource, decision.explicit, decision.undecidable)
