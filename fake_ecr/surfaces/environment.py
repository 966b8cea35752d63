"""What a client process needs to use a fake: AWS credentials and region, the endpoint, the CA, registry logins.

Owns ``TEST_CREDENTIALS`` (never real ones), ``client_environment`` (the variables the AWS CLI,
SDKs and registry clients read, the HTTPS proxy among them) and ``RegistryAuthFiles``: a temporary directory holding the
registry credentials in the two formats clients read - ``REGISTRY_AUTH_FILE`` (containers-auth.json,
read by skopeo, podman, buildah) and ``DOCKER_CONFIG`` (a directory with config.json, read by the
docker CLI, oras and docker-py).  Both say ``{"auths": {"<host[:port]>": {"auth": <authorizationToken>}}}``:
ECR's authorizationToken already is base64("AWS:" + password), the ``auth`` value both formats want
(docs/behaviour/auth.md#authorization-tokens).  Files are rewritten whole (a new file renamed over the old), so a client
reading them concurrently sees one version or the other.

Must not import ``fake_ecr.surfaces.handle`` or ``fake_ecr.surfaces.server`` (both use this module).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path

from fake_ecr.settings import Settings

#: Credentials the fake hands to boto3 and to subprocesses: never real ones.
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEECRTESTING00",
    "AWS_SECRET_ACCESS_KEY": "fake-ecr-test-secret-access-key",
    "AWS_SESSION_TOKEN": "fake-ecr-test-session-token",
}
#: Where botocore / the AWS CLI, requests and OpenSSL-based clients look for the CAs they trust.
CA_BUNDLE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
#: The proxy for https URLs: Go's net/http reads HTTPS_PROXY, then https_proxy; Python's urllib (and so
#: requests and botocore) prefers the lower-case one, so both are set, over whatever the user's shell has.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy")
#: Hosts never sent through the proxy.  A user's own list may exempt ECR's hosts (``.amazonaws.com``), so it is
#: replaced; the loopback names stay direct (Python's urllib proxies them unless listed, Go never does).
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
LOOPBACK_NAMES = "127.0.0.1,localhost,::1"


def _remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class RegistryAuthFiles:
    """A temporary directory with containers-auth.json and docker's config.json, made at the first write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directory: Path | None = None
        self._remove: Callable[[], object] | None = None

    def write(self, credentials: Mapping[str, str]) -> dict[str, str]:
        """(Re)write both files for ``credentials`` (registry address -> authorizationToken); their variables."""
        document = json.dumps({"auths": {address: {"auth": token} for address, token in credentials.items()}})
        with self._lock:
            if self._directory is None:
                directory = tempfile.mkdtemp(prefix="fake-ecr-auth-")
                self._remove = weakref.finalize(self, _remove_directory, directory)
                self._directory = Path(directory)
            auth_file = self._directory / "auth.json"
            docker_config = self._directory / "docker"
            docker_config.mkdir(exist_ok=True)
            for path in (auth_file, docker_config / "config.json"):
                partial = path.with_suffix(".partial")
                partial.write_text(document)
                os.replace(partial, path)
        return {"REGISTRY_AUTH_FILE": str(auth_file), "DOCKER_CONFIG": str(docker_config)}

    def remove(self) -> None:
        """Delete the directory; a later ``write`` makes a new one."""
        with self._lock:
            if self._remove is not None:
                self._remove()
            self._directory = self._remove = None


def client_environment(
    settings: Settings,
    *,
    endpoint: str | None,
    ca_file: str | None,
    auth_files: Mapping[str, str],
    proxy: str | None = None,
) -> dict[str, str]:
    """Variables for a subprocess: test credentials, region, the API endpoint or the HTTPS proxy that answers
    as ECR's hosts, the CA to trust, registry logins."""
    env = {**TEST_CREDENTIALS, "AWS_DEFAULT_REGION": settings.region, "AWS_REGION": settings.region}
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_ECR"] = env["AWS_ENDPOINT_URL_ECR_PUBLIC"] = endpoint
        # Every other service too (STS, and S3, IAM ... where moto is installed: fake_ecr.surfaces.other_services);
        # a service's own variable still wins (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
        env["AWS_ENDPOINT_URL"] = endpoint
    if proxy is not None:
        env.update(dict.fromkeys(PROXY_VARIABLES, proxy))
        env.update(dict.fromkeys(NO_PROXY_VARIABLES, LOOPBACK_NAMES))
    if ca_file is not None:
        env.update(dict.fromkeys(CA_BUNDLE_VARIABLES, ca_file))
    env.update(auth_files)
    return env
