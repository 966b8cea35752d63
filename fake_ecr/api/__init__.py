"""The ECR control plane: every implemented operation, registered in one table.

Importing this package registers the handlers of each area module with
``fake_ecr.api.core.operation``.  Must not import werkzeug or ``fake_ecr.registry``.
"""

from fake_ecr.api import (
    auth,
    images,
    layers,
    lifecycle_policies,
    lifecycle_preview,
    policies,
    registry_settings,
    repositories,
    scanning,
    tags,
)
from fake_ecr.api.core import OPERATIONS, UNSUPPORTED, Caller, Fake, handle

__all__ = [
    "OPERATIONS",
    "UNSUPPORTED",
    "Caller",
    "Fake",
    "auth",
    "handle",
    "images",
    "layers",
    "lifecycle_policies",
    "lifecycle_preview",
    "policies",
    "registry_settings",
    "repositories",
    "scanning",
    "tags",
]
