"""ECR Public's SetRepositoryPolicy: ECR's rules for a repository policy, with ECR Public's actions.

A public repository's policy grants ``ecr-public:`` actions (ECR Public User Guide, "Public repository
policy examples", https://docs.aws.amazon.com/AmazonECR/latest/public/public-repository-policy-examples.html);
everything else is checked and stored as ECR's SetRepositoryPolicy does (``fake_ecr.api.policies``).
GetRepositoryPolicy and DeleteRepositoryPolicy are ECR's handlers (``fake_ecr.api.public.shared``).

Must not import werkzeug or ``fake_ecr.registry``.
"""

from __future__ import annotations

import re

from fake_ecr.api.core import Call, Params, Response, operation
from fake_ecr.api.policies import repository_policy_rules, store_repository_policy
from fake_ecr.formats.service_model import ECR_PUBLIC

#: ``*`` or one ECR Public action, IAM wildcards allowed, case-insensitive (only the form is checked, as for ECR).
ECR_PUBLIC_ACTION = re.compile(r"\*|ecr-public:[A-Za-z*?]+", re.IGNORECASE)
PUBLIC_REPOSITORY_POLICY = repository_policy_rules(ECR_PUBLIC_ACTION)


@operation("SetRepositoryPolicy", ECR_PUBLIC)
def set_repository_policy(call: Call, params: Params) -> Response:
    return store_repository_policy(call, params, PUBLIC_REPOSITORY_POLICY)
