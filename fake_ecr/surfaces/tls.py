"""HTTPS for the server: a throwaway certificate authority, made with trustme.

Owns ``ThrowawayCa``: a CA made fresh for one server, the server certificate it issues for the
names clients use on this machine (127.0.0.1, localhost and the server's own host), the server-side
``ssl.SSLContext``, a context of its own for each host the server answers as an HTTPS proxy (ECR's
host names, issued at the first ``CONNECT`` to each and kept), and the PEM file that clients are told to
trust (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE): the CA's certificate, then the CAs this machine
trusts already - those variables replace a client's trust, and a client whose proxy relays its other hosts
untouched must still trust their certificates.  The file lives in a temporary directory that ``remove`` (or,
failing that, garbage collection) deletes.

Must not import anything from fake_ecr.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

import trustme
from requests.utils import DEFAULT_CA_BUNDLE_PATH

#: Names every server certificate covers: what clients on this machine dial.
LOCAL_NAMES = ("127.0.0.1", "localhost")


def machine_trust() -> str:
    """The CAs clients on this machine trust already, as PEM: OpenSSL's default file (SSL_CERT_FILE if set,
    else the system's), or the bundle ``requests`` ships with (certifi's) when there is none."""
    path = ssl.get_default_verify_paths().cafile or DEFAULT_CA_BUNDLE_PATH
    return Path(path).read_text(encoding="ascii", errors="ignore")


def _remove_directory(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class ThrowawayCa:
    """A CA for one server, its certificate for ``hosts`` (and LOCAL_NAMES), and the CA's PEM file."""

    def __init__(self, hosts: Iterable[str] = ()) -> None:
        self._authority = trustme.CA(organization_name="fake-ecr throwaway CA")
        self.ssl_context = self._context(*dict.fromkeys((*LOCAL_NAMES, *hosts)))
        self._host_contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        directory = tempfile.mkdtemp(prefix="fake-ecr-ca-")
        self._remove = weakref.finalize(self, _remove_directory, directory)
        self.ca_file = str(Path(directory) / "ca.pem")
        Path(self.ca_file).write_text(self._authority.cert_pem.bytes().decode("ascii") + "\n" + machine_trust())

    def _context(self, *names: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._authority.issue_cert(*names).configure_cert(context)
        return context

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side context whose certificate names ``host`` alone (made at the first call for it)."""
        host = host.lower()
        with self._lock:
            context = self._host_contexts.get(host)
            if context is None:
                context = self._host_contexts[host] = self._context(host)
        return context

    def remove(self) -> None:
        """Delete the CA file (clients can no longer be told to trust it)."""
        self._remove()
