"""The ECR control plane: every implemented operation, registered in one table.

Importing this package registers the handlers of each area module with
``fake_ecr.api.core.operation``.  Must not import werkzeug or ``fake_ecr.registry``.
"""

from fake_ecr.api import (
    auth,
    creation_templates,
    images,
    layers,
    lifecycle_policies,
    lifecycle_preview,
    policies,
    public,
    pull_through_cache,
    pull_time_exclusions,
    referrers,
    registry_settings,
    replication,
    repositories,
    scanning,
    signing,
    storage_class,
    tags,
)
from fake_ecr.api.core import IMPLEMENTED, OPERATIONS, UNSUPPORTED, Answer, Caller, Fake, answer

__all__ = [
    "IMPLEMENTED",
    "OPERATIONS",
    "UNSUPPORTED",
    "Answer",
    "Caller",
    "Fake",
    "answer",
    "auth",
    "creation_templates",
    "images",
    "layers",
    "lifecycle_policies",
    "lifecycle_preview",
    "policies",
    "public",
    "pull_through_cache",
    "pull_time_exclusions",
    "referrers",
    "registry_settings",
    "replication",
    "repositories",
    "scanning",
    "signing",
    "storage_class",
    "tags",
]
