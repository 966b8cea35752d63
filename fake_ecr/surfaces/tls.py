"""HTTPS for the server: a throwaway certificate authority, made with trustme (the extra ``fake-ecr[tls]``).

Owns ``ThrowawayCa``: a CA made fresh for one server, the server certificate it issues for the
names clients use on this machine (127.0.0.1, localhost and the server's own host), the server-side
``ssl.SSLContext``, and the CA certificate as a PEM file that clients are told to trust
(AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).  The file lives in a temporary directory that
``remove`` (or, failing that, garbage collection) deletes.

Must not import anything from fake_ecr.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import weakref
from collections.abc import Iterable
from pathlib import Path

INSTALL_HINT = "fake-ecr serves HTTPS with a throwaway CA made by trustme: pip install 'fake-ecr[tls]'"
#: Names every server certificate covers: what clients on this machine dial.
LOCAL_NAMES = ("127.0.0.1", "localhost")


def _remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class ThrowawayCa:
    """A CA for one server, its certificate for ``hosts`` (and LOCAL_NAMES), and the CA's PEM file."""

    def __init__(self, hosts: Iterable[str] = ()) -> None:
        try:
            import trustme  # noqa: PLC0415 - an optional dependency, needed only when TLS is asked for
        except ImportError as error:
            raise ImportError(INSTALL_HINT) from error
        authority = trustme.CA(organization_name="fake-ecr throwaway CA")
        server_certificate = authority.issue_cert(*dict.fromkeys((*LOCAL_NAMES, *hosts)))
        self.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_certificate.configure_cert(self.ssl_context)
        directory = tempfile.mkdtemp(prefix="fake-ecr-ca-")
        self._remove = weakref.finalize(self, _remove_directory, directory)
        self.ca_file = str(Path(directory) / "ca.pem")
        authority.cert_pem.write_to_path(self.ca_file)

    def remove(self) -> None:
        """Delete the CA file (clients can no longer be told to trust it)."""
        self._remove()
