"""A small reference model of what ECR holds, and the check that both planes of the fake agree with it.

The model keeps, per repository, its images (digest -> the order it was pushed in), its tags (tag ->
digest: one image per tag by construction) and the little else the property tests drive (tag
immutability, a count-based lifecycle policy).  ``check_agreement`` reads one registry of the fake
through every surface that shows images - DescribeRepositories, DescribeImages, ListImages,
BatchGetImage, the registry's tags/list, manifest and blob endpoints - and asserts each says exactly
what the model says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .helpers import (
    ACCEPT,
    BY_DIGEST,
    Seen,
    Wire,
    batch_got,
    described,
    listed,
    registry_tags,
    repository_names,
)


@dataclass
class ModelRepository:
    immutable: bool = False
    #: digest -> when it was pushed, as a counter (newest highest)
    images: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: (tagStatus, countNumber) of an imageCountMoreThan lifecycle rule, if one is set
    policy: tuple[str, int] | None = None

    def tags_of(self, digest: str) -> set[str]:
        return {tag for tag, tagged in self.tags.items() if tagged == digest}

    def remove(self, digest: str) -> None:
        del self.images[digest]
        for tag in self.tags_of(digest):
            del self.tags[tag]

    def lifecycle_expiry(self) -> set[str]:
        """What the policy expires now: the matching images beyond the newest ``countNumber``."""
        if self.policy is None:
            return set()
        tag_status, count = self.policy
        candidates = [d for d in self.images if tag_status == "any" or not self.tags_of(d)]
        newest_first = sorted(candidates, key=self.images.__getitem__, reverse=True)
        return set(newest_first[count:])


def check_agreement(ecr: Any, wire: Wire, repositories: dict[str, ModelRepository], tags: tuple[str, ...] = ()) -> None:
    """Every surface of one registry shows exactly the model's repositories, images, tags, sizes and blobs;
    the registry answers 404 for each of ``tags`` and of the pool's images the model does not hold."""
    assert repository_names(ecr) == set(repositories)
    for name, repository in repositories.items():
        expected = {
            digest: Seen(
                frozenset(repository.tags_of(digest)), BY_DIGEST[digest].size_in_bytes, BY_DIGEST[digest].media_type
            )
            for digest in repository.images
        }
        seen = described(ecr, name)
        every_tag = [tag for image in seen.values() for tag in image.tags]
        assert len(every_tag) == len(set(every_tag)), f"a tag names more than one image in {name}: {seen}"
        assert seen == expected, f"DescribeImages of {name}"

        pairs = {(d, tag) for d in repository.images for tag in repository.tags_of(d) or {None}}
        assert listed(ecr, name) == pairs, f"ListImages of {name}"

        ids = [{"imageDigest": d} for d in repository.images] + [{"imageTag": t} for t in repository.tags]
        manifests = {("digest", d): BY_DIGEST[d].manifest for d in repository.images}
        manifests |= {("tag", t): BY_DIGEST[d].manifest for t, d in repository.tags.items()}
        assert (batch_got(ecr, name, ids) if ids else {}) == manifests, f"BatchGetImage of {name}"

        assert registry_tags(wire, name) == sorted(repository.tags), f"tags/list of {name}"
        accept = {"Accept": ", ".join(ACCEPT)}
        for tag, digest in repository.tags.items():
            answer = wire.request("GET", f"/v2/{name}/manifests/{tag}", headers=accept)
            assert answer.status == 200, (name, tag, answer.status, answer.body)
            assert (answer.headers["Docker-Content-Digest"], answer.body) == (digest, BY_DIGEST[digest].manifest)
        for digest in repository.images:
            image = BY_DIGEST[digest]
            answer = wire.request("HEAD", f"/v2/{name}/manifests/{digest}", headers=accept)
            assert answer.status == 200, (name, digest, answer.status)
            assert answer.headers["Content-Type"] == image.media_type
            for blob in image.blobs():
                answer = wire.request("HEAD", f"/v2/{name}/blobs/{blob.digest}")
                assert answer.status == 200, f"blob {blob.digest} of {digest} is gone from {name}"
                assert int(answer.headers["Content-Length"]) == blob.size
        for reference in [t for t in tags if t not in repository.tags] + [
            d for d in BY_DIGEST if d not in repository.images
        ]:
            answer = wire.request("HEAD", f"/v2/{name}/manifests/{reference}", headers=accept)
            assert answer.status == 404, f"{name}:{reference} is there, the model does not have it"
