"""Helpers of the interop tests: real registry clients run in subprocesses, and ECR's login for them.

A client that is not installed fails the test that runs it, with a message naming the command that
installs it (``require_program``, ``require_module``): it never skips, so a machine without it can't
pass unnoticed.  Programs are looked up when a test first runs one, so the failure is the test's own.
"""

from __future__ import annotations

import base64
import importlib
import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

#: How to install each client these tests drive (Debian 12 packages; PyPI for Python packages).  The
#: docker CLI is Debian's docker.io package: the tests need the CLI only, never an engine.
INSTALL_COMMANDS = {
    "skopeo": "apt-get install skopeo",
    "podman": "apt-get install podman",
    "buildah": "apt-get install buildah",
    "docker": "apt-get install docker.io",
    "aws": "pip install awscli",
    "oras": "pip install oras",
    "dxf": "pip install python-dxf",
    "chromium": "apt-get install chromium",
    "playwright": "pip install playwright (no browser download: the tests drive Debian's chromium)",
}
#: ``described(repository)``: DescribeImages of a repository, keyed by image digest.
Described = Callable[[str], dict[str, dict[str, Any]]]
#: Seconds a client command may take; the images here are small, so a longer one has hung.
COMMAND_TIMEOUT = 60


def require_program(name: str) -> str:
    """The executable of a client program; fails the test, naming the install command, when it is missing."""
    executable = shutil.which(name)
    if executable is None:
        pytest.fail(f"install {name}: {INSTALL_COMMANDS[name]}", pytrace=False)
    return executable


def require_module(name: str) -> ModuleType:
    """A client's Python module (``oras.client``); fails the test, naming the install command, when missing."""
    package = name.partition(".")[0]
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.fail(f"install {package}: {INSTALL_COMMANDS[package]}", pytrace=False)


@dataclass(frozen=True)
class Program:
    """A client program run with the test's environment, after options every command of it takes."""

    name: str
    env: Mapping[str, str]
    options: tuple[str, ...] = ()

    def with_env(self, **changes: str) -> Program:
        """The same program with some variables of its environment changed."""
        return replace(self, env={**self.env, **changes})

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [require_program(self.name), *self.options, *args]
        return subprocess.run(
            command,
            env=dict(self.env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,  # the callers check the status, and say what the command printed
        )

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must succeed; its standard output."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"{self.name} {' '.join(args)} exited {done.returncode}: {done.stderr}"
        return done.stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must fail; its standard error."""
        done = self.run(*args, stdin=stdin)
        assert done.returncode != 0, f"{self.name} {' '.join(args)} succeeded: {done.stdout}"
        return done.stderr


def isolated_storage(root: Path, runroot: Path) -> tuple[str, ...]:
    """Options giving podman or buildah a store of their own (not /var/lib/containers): tests stay
    independent, and vfs needs no kernel overlay support."""
    return ("--root", str(root), "--runroot", str(runroot), "--storage-driver", "vfs")


@dataclass(frozen=True)
class RegistryLogin:
    """GetAuthorizationToken's answer: where the fake's registry listens and ECR's credentials for it."""

    #: ``https://<account>.dkr.ecr.<region>.amazonaws.com``: ECR's host, which clients given ``fake_ecr.env`` reach
    #: through the session's server as their HTTPS proxy (``http://127.0.0.1:PORT`` with local addresses)
    proxy_endpoint: str
    #: base64("AWS:" + password) (docs/behaviour/auth.md#registry-credentials)
    authorization_token: str

    @property
    def host(self) -> str:
        """The registry's host (``127.0.0.1:PORT`` with local addresses): what image references and auth files name."""
        return urlsplit(self.proxy_endpoint).netloc

    @property
    def password(self) -> str:
        """What ``aws ecr get-login-password`` prints."""
        return base64.b64decode(self.authorization_token).decode().partition(":")[2]


def write_auth_file(path: Path, auths: Mapping[str, str]) -> Path:
    """A containers-auth.json(5) file (docker's config.json has the same ``auths``): host -> ``auth`` value."""
    path.write_text(json.dumps({"auths": {host: {"auth": auth} for host, auth in auths.items()}}))
    return path
