"""The Amazon ECR Public control plane: its 23 operations (botocore's ``ecr-public`` model), registered
in its own table of ``fake_ecr.api.core`` (``SERVICES["ecr-public"]``).

Importing this package registers them.  Handlers live one module per area; where ECR Public means
what ECR means, ECR's own handler serves it (``shared``).  Must not import werkzeug or ``fake_ecr.registry``.
"""

from fake_ecr.api.public import core, images, policies, registries, repositories, shared

__all__ = ["core", "images", "policies", "registries", "repositories", "shared"]
