"""Digests and the OCI name, tag and reference grammar.

Owns: computing ``sha256:<hex>`` digests (whole or incrementally), telling a
digest from a tag, and the regular expressions of the OCI distribution spec
(§ "Pulling manifests": ``<name>`` and ``<reference>``) and of ECR's model.

Must not import anything from fake_ecr but ``errors``; never HTTP or botocore.
"""

from __future__ import annotations

import hashlib
import re

SHA256_PREFIX = "sha256:"

#: ECR's LayerDigest pattern (botocore model); also what BatchDeleteImage checks
#: (docs/behaviour/images.md#image-operations).
ECR_DIGEST_PATTERN = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")
#: OCI image-spec descriptor digest grammar (image-spec descriptor.md "Digests").
OCI_DIGEST_PATTERN = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
#: The encoded part each registered algorithm requires (image-spec descriptor.md "Registered algorithms").
REGISTERED_ALGORITHMS = {"sha256": re.compile(r"[a-f0-9]{64}"), "sha512": re.compile(r"[a-f0-9]{128}")}
#: sha256 digests the registry can verify (OCI image-spec: 64 lowercase hex).
SHA256_DIGEST_PATTERN = re.compile(r"sha256:[a-f0-9]{64}")
#: OCI distribution-spec tag grammar.
TAG_PATTERN = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
#: OCI distribution-spec repository name grammar (path components).
NAME_PATTERN = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")


def sha256_digest(data: bytes) -> str:
    """The ``sha256:<hex>`` digest of ``data`` (an image digest when data is a manifest)."""
    return SHA256_PREFIX + hashlib.sha256(data).hexdigest()


def is_digest(reference: str) -> bool:
    """True when a manifest reference is a digest rather than a tag (OCI: it contains ':')."""
    return ":" in reference


def is_valid_digest(digest: str) -> bool:
    """True for a digest in OCI's ``algorithm:encoded`` form whose encoded part is what its algorithm
    requires, if registered (an unregistered algorithm passes on the grammar alone, as the spec asks)."""
    if OCI_DIGEST_PATTERN.fullmatch(digest) is None:
        return False
    algorithm, _, encoded = digest.partition(":")
    registered = REGISTERED_ALGORITHMS.get(algorithm)
    return registered is None or registered.fullmatch(encoded) is not None


def is_valid_tag(tag: str) -> bool:
    """True for a tag the OCI distribution spec allows."""
    return TAG_PATTERN.fullmatch(tag) is not None


def is_valid_repository_name(name: str) -> bool:
    """True for a repository name of ECR's model (2..256 chars, OCI path grammar)."""
    return 2 <= len(name) <= 256 and NAME_PATTERN.fullmatch(name) is not None


class DigestingWriter:
    """Hashes bytes as they arrive, so a body is digested while it streams."""

    __slots__ = ("_hash", "size")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def digest(self) -> str:
        return SHA256_PREFIX + self._hash.hexdigest()
