"""The OCI Distribution v2 registry of fake-ecr: ECR's data plane on the fake's server
(docs/behaviour/registry.md#the-data-plane).

One registry per account and region, sharing the model with the control plane:
an image pushed here is the image DescribeImages shows, a blob uploaded with
InitiateLayerUpload is one a registry client can pull.  ``serve`` answers one
werkzeug request; ``registry_of_host`` reads which registry an ECR host name
(``<account>.dkr.ecr.<region>.amazonaws.com``) means.

ECR Public's registry (``public.ecr.aws/<alias>/<name>``, ``serve_public``) is the same handlers behind
the Docker token flow, on the account's public registry.

Modules: ``app`` (routes, credentials, error handling), ``blobs``, ``manifests``,
``auth``, ``public`` (ECR Public's front), ``oci_errors`` (the one error table), ``paths``.  Must not import
``fake_ecr.api``.
"""

from fake_ecr.registry.app import serve
from fake_ecr.registry.auth import registry_of_host
from fake_ecr.registry.public import serve_public

__all__ = ["registry_of_host", "serve", "serve_public"]
