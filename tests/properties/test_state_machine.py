"""Both planes against a reference model of ECR's state, step by random step (hypothesis stateful testing).

Repositories are created and deleted (with and without force); images are pushed through the registry
and with PutImage, retagged, deleted by tag and by digest (BatchDeleteImage and the registry's manifest
DELETE), expired by lifecycle policies, and replicated to another region.  After every step both
registries agree with the model on every surface (``model.check_agreement``): every tag names exactly
one image, every image's blobs are there, nothing is gone but what a delete, an expiry or a force delete
took, and every surface reports the same digests, sizes and tags.  A request ECR refuses leaves the whole
state as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fake_ecr import FakeEcr
from fake_ecr.client import RegistryRequestFailed
from fake_ecr.images import Blob, Image

from .helpers import BY_DIGEST, DOCKER_LAYER, POOL, POOL_SIZE, Answer, Wire, snapshot
from .model import ModelRepository, check_agreement

DESTINATION = "eu-west-1"
REPOSITORIES = ("app", "team/app", "team/web")
TAGS = ("latest", "v1", "v2", "stable")
PREFIXES = ("team", "app", "")
NEVER_UPLOADED = "never uploaded"

names = st.sampled_from(REPOSITORIES)
tags = st.sampled_from(TAGS)
maybe_tags = st.none() | tags
images = st.integers(0, POOL_SIZE - 1)

SETTINGS = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def error_code(call: Callable[[], Any]) -> str:
    """The ECR exception name a call that must fail fails with."""
    with pytest.raises(ClientError) as excinfo:
        call()
    return str(excinfo.value.response["Error"]["Code"])


def image_over_a_missing_layer(n: int) -> Image:
    """Pool image ``n`` with one more layer that no repository ever received."""
    image = POOL[n]
    missing = Blob(DOCKER_LAYER, f"{NEVER_UPLOADED} {n}".encode())
    document = json.loads(image.manifest)
    document["layers"].append(missing.descriptor())
    return Image(json.dumps(document).encode(), image.media_type, image.config, (*image.layers, missing))


class EcrStateMachine(RuleBasedStateMachine):
    """Steps on both planes of one fake, mirrored on ``self.repositories`` (and ``self.replicas``)."""

    fake: FakeEcr
    ecr: Any
    destination_ecr: Any

    def __init__(self) -> None:
        super().__init__()
        self.fake.reset()
        self.wire = Wire(self.fake)
        self.destination_wire = Wire(self.fake, DESTINATION)
        self.repositories: dict[str, ModelRepository] = {}
        self.replicas: dict[str, ModelRepository] = {}
        self.replicated_prefix: str | None = None
        self.pushes = 0

    # --- the model's side of a push ---------------------------------------------------------

    def refusal(
        self, repository: ModelRepository | None, digest: str, tag: str | None, *, registry: bool
    ) -> str | None:
        """Why ECR refuses this push, or None: PutImage and the registry differ only on re-pushes."""
        if repository is None:
            return "RepositoryNotFoundException"
        if tag is None:
            exists = digest in repository.images
            return "ImageAlreadyExistsException" if exists and not registry else None
        current = repository.tags.get(tag)
        if current is None:
            return None
        if repository.immutable:
            return "ImageTagAlreadyExistsException"  # the same digest too
        if current == digest and not registry:
            return "ImageAlreadyExistsException"
        return None

    def pushed(self, name: str, digest: str, tag: str | None) -> None:
        """Mirror a push that succeeded, and its replication."""
        self.pushes += 1
        repository = self.repositories[name]
        repository.images.setdefault(digest, self.pushes)
        if tag is not None:
            repository.tags[tag] = digest
        if self.replicated_prefix is not None and name.startswith(self.replicated_prefix):
            replica = self.replicas.setdefault(name, ModelRepository())
            replica.images.setdefault(digest, self.pushes)
            for moved in repository.tags_of(digest):
                replica.tags[moved] = digest

    def refused(self, call: Callable[[], object], expected: str) -> None:
        """The control-plane call fails with ``expected``, and the fake's whole state is as it was."""
        before = snapshot(self.fake)
        assert error_code(call) == expected
        assert snapshot(self.fake) == before, f"a call refused with {expected} changed the state"

    def refused_by_registry(self, call: Callable[[], Answer], statuses: tuple[int, ...] = (400, 404)) -> None:
        """The registry refuses the request with one of ``statuses``, and the fake's whole state is as it was."""
        before = snapshot(self.fake)
        answer = call()
        assert answer.status in statuses, answer
        assert snapshot(self.fake) == before, f"a request refused with {answer.status} changed the state"

    # --- repositories -------------------------------------------------------------------------

    @initialize(
        immutable=st.lists(st.booleans(), min_size=len(REPOSITORIES), max_size=len(REPOSITORIES)),
        policies=st.lists(
            st.none() | st.tuples(st.sampled_from(["untagged", "any"]), st.integers(1, 2)),
            min_size=len(REPOSITORIES),
            max_size=len(REPOSITORIES),
        ),
    )
    def start_with_every_repository(self, immutable: list[bool], policies: list[tuple[str, int] | None]) -> None:
        """Steps mostly meet repositories that exist (the ones they delete come and go from then on), some
        with a lifecycle policy."""
        for name, is_immutable, policy in zip(REPOSITORIES, immutable, policies, strict=True):
            self.create_repository(name, is_immutable)
            if policy is not None:
                self.put_lifecycle_policy(name, *policy)

    @rule(name=names, immutable=st.booleans())
    def create_repository(self, name: str, immutable: bool) -> None:
        mutability = "IMMUTABLE" if immutable else "MUTABLE"
        create = partial(self.ecr.create_repository, repositoryName=name, imageTagMutability=mutability)
        if name in self.repositories:
            self.refused(create, "RepositoryAlreadyExistsException")
            return
        create()
        self.repositories[name] = ModelRepository(immutable=immutable)

    @rule(name=names, force=st.booleans())
    def delete_repository(self, name: str, force: bool) -> None:
        delete = partial(self.ecr.delete_repository, repositoryName=name, force=force)
        repository = self.repositories.get(name)
        if repository is None or (repository.images and not force):
            expected = "RepositoryNotFoundException" if repository is None else "RepositoryNotEmptyException"
            self.refused(delete, expected)
            return
        delete()
        del self.repositories[name]

    # --- pushes -------------------------------------------------------------------------------

    @rule(name=names, n=images, tag=maybe_tags)
    def push_through_the_registry(self, name: str, n: int, tag: str | None) -> None:
        image, repository = POOL[n], self.repositories.get(name)
        self.fake.clock.advance(seconds=1)
        reference = f"{name}:{tag}" if tag is not None else f"{name}@{image.digest}"
        refusal = self.refusal(repository, image.digest, tag, registry=True)
        if refusal is None:
            assert self.fake.push(reference, image) == image.digest
            self.pushed(name, image.digest, tag)
            return
        if repository is not None:
            self.fake.push_blobs(name, image.blobs())  # the refusal is the manifest's: blobs may stay
        before = snapshot(self.fake)
        with pytest.raises(RegistryRequestFailed) as excinfo:
            self.fake.push(reference, image)
        assert excinfo.value.status in (400, 404), excinfo.value.body
        assert snapshot(self.fake) == before, f"a push refused with {excinfo.value.status} changed the state"

    @rule(name=names, n=images, tag=maybe_tags)
    def put_image(self, name: str, n: int, tag: str | None) -> None:
        image, repository = POOL[n], self.repositories.get(name)
        self.fake.clock.advance(seconds=1)
        if repository is not None:
            self.fake.push_blobs(name, image.blobs())
        extra = {"imageTag": tag} if tag is not None else {}
        put = partial(self.ecr.put_image, repositoryName=name, imageManifest=image.manifest.decode(), **extra)
        refusal = self.refusal(repository, image.digest, tag, registry=False)
        if refusal is None:
            assert put()["image"]["imageId"]["imageDigest"] == image.digest
            self.pushed(name, image.digest, tag)
            return
        self.refused(put, refusal)

    @precondition(lambda self: any(r.images for r in self.repositories.values()))
    @rule(data=st.data(), tag=tags)
    def retag_with_put_image(self, data: st.DataObject, tag: str) -> None:
        """PutImage of a manifest the repository holds, under another tag: no blobs are sent."""
        name = data.draw(st.sampled_from(sorted(n for n, r in self.repositories.items() if r.images)))
        repository = self.repositories[name]
        digest = data.draw(st.sampled_from(sorted(repository.images)))
        manifest = BY_DIGEST[digest].manifest.decode()
        put = partial(self.ecr.put_image, repositoryName=name, imageManifest=manifest, imageTag=tag)
        refusal = self.refusal(repository, digest, tag, registry=False)
        if refusal is None:
            put()
            self.pushed(name, digest, tag)
        else:
            self.refused(put, refusal)

    # --- pushes ECR refuses ------------------------------------------------------------------------

    @rule(
        name=names,
        n=images,
        tag=maybe_tags,
        registry=st.booleans(),
        kind=st.sampled_from(["digest does not match", "layer never uploaded"]),
    )
    def refused_push(self, name: str, n: int, tag: str | None, registry: bool, kind: str) -> None:
        """A manifest under a digest that is not its own, or over a layer never uploaded: refused, nothing changes."""
        if kind == "digest does not match":
            image, digest = POOL[n], POOL[(n + 1) % POOL_SIZE].digest
        else:
            image, digest = image_over_a_missing_layer(n), None
        if name in self.repositories:
            self.fake.push_blobs(
                name, [blob for blob in image.blobs() if not blob.data.startswith(NEVER_UPLOADED.encode())]
            )
        if registry:
            reference = digest or tag or image.digest
            self.refused_by_registry(lambda: self.wire.put_manifest(name, reference, image.manifest, image.media_type))
            return
        extra = {"imageTag": tag} if tag is not None else {}
        if digest is not None:
            extra["imageDigest"] = digest
        put = partial(self.ecr.put_image, repositoryName=name, imageManifest=image.manifest.decode(), **extra)
        if digest is not None:
            expected = "ImageDigestDoesNotMatchException"  # checked before the repository is looked up
        else:
            expected = "LayersNotFoundException" if name in self.repositories else "RepositoryNotFoundException"
        self.refused(put, expected)

    # --- deletes ------------------------------------------------------------------------------

    @rule(name=names, tag=tags, registry=st.booleans())
    def delete_by_tag(self, name: str, tag: str, registry: bool) -> None:
        """A tag alone untags; the image goes when it was its last tag."""
        repository = self.repositories.get(name)
        deleted = self._delete(name, {"imageTag": tag}, registry)
        if repository is None or tag not in repository.tags:
            assert not deleted
            return
        assert deleted
        digest = repository.tags.pop(tag)
        if not repository.tags_of(digest):
            del repository.images[digest]

    @rule(name=names, n=images, registry=st.booleans())
    def delete_by_digest(self, name: str, n: int, registry: bool) -> None:
        """A digest deletes the image with every tag on it."""
        digest, repository = POOL[n].digest, self.repositories.get(name)
        deleted = self._delete(name, {"imageDigest": digest}, registry)
        assert deleted == (repository is not None and digest in repository.images)
        if deleted and repository is not None:
            repository.remove(digest)

    def _delete(self, name: str, image_id: dict[str, str], registry: bool) -> bool:
        """Delete through the registry or BatchDeleteImage; whether it deleted.  A miss changes nothing."""
        before = snapshot(self.fake)
        if registry:
            answer = self.wire.request("DELETE", f"/v2/{name}/manifests/{next(iter(image_id.values()))}")
            assert answer.status in (202, 404), answer
            done = answer.status == 202
        elif name not in self.repositories:
            delete = partial(self.ecr.batch_delete_image, repositoryName=name, imageIds=[image_id])
            assert error_code(delete) == "RepositoryNotFoundException"
            done = False
        else:
            answer = self.ecr.batch_delete_image(repositoryName=name, imageIds=[image_id])
            assert [f["failureCode"] for f in answer["failures"]] in ([], ["ImageNotFound"]), answer["failures"]
            done = bool(answer["imageIds"])
        if not done:
            assert snapshot(self.fake) == before, "a delete that found nothing changed the state"
        return done

    # --- lifecycle ------------------------------------------------------------------------------

    @rule(name=names, tag_status=st.sampled_from(["untagged", "any"]), count=st.integers(1, 3))
    def put_lifecycle_policy(self, name: str, tag_status: str, count: int) -> None:
        rule_ = {
            "rulePriority": 1,
            "selection": {"tagStatus": tag_status, "countType": "imageCountMoreThan", "countNumber": count},
            "action": {"type": "expire"},
        }
        policy = json.dumps({"rules": [rule_]})
        put = partial(self.ecr.put_lifecycle_policy, repositoryName=name, lifecyclePolicyText=policy)
        repository = self.repositories.get(name)
        if repository is None:
            self.refused(put, "RepositoryNotFoundException")
            return
        put()
        repository.policy = (tag_status, count)

    @rule(hours=st.integers(0, 48))
    def run_lifecycle(self, hours: int) -> None:
        """ECR's daily run, some hours on: a count rule expires the same whenever it runs."""
        self.fake.clock.advance(hours=hours)
        expected = {name: r.lifecycle_expiry() for name, r in self.repositories.items() if r.policy is not None}
        runs = self.fake.run_lifecycle()
        expired = {run.repository_name: {view.image.image_digest for view in run.expired} for run in runs}
        assert expired == expected
        for name, digests in expected.items():
            for digest in digests:
                self.repositories[name].remove(digest)

    # --- replication ------------------------------------------------------------------------------

    @precondition(lambda self: self.replicated_prefix is None)
    @rule(prefix=st.sampled_from(PREFIXES))
    def replicate_to_another_region(self, prefix: str) -> None:
        """From now on every push to a repository under the prefix is copied to the destination."""
        destination = {"region": DESTINATION, "registryId": self.fake.settings.account_id}
        rule_: dict[str, Any] = {"destinations": [destination]}
        if prefix:
            rule_["repositoryFilters"] = [{"filter": prefix, "filterType": "PREFIX_MATCH"}]
        self.ecr.put_replication_configuration(replicationConfiguration={"rules": [rule_]})
        self.replicated_prefix = prefix

    # --- after every step -------------------------------------------------------------------------

    @invariant()
    def nothing_went_wrong_inside_the_fake(self) -> None:
        assert not self.fake.internal_errors, self.fake.internal_errors

    @invariant()
    def both_planes_agree_with_the_model(self) -> None:
        check_agreement(self.ecr, self.wire, self.repositories, TAGS)

    @invariant()
    def the_destination_holds_every_replicated_push(self) -> None:
        check_agreement(self.destination_ecr, self.destination_wire, self.replicas, TAGS)


def test_both_planes_agree_with_a_model_of_ecr(fake_ecr: FakeEcr) -> None:
    EcrStateMachine.fake = fake_ecr
    EcrStateMachine.ecr = fake_ecr.client()
    EcrStateMachine.destination_ecr = fake_ecr.client(region_name=DESTINATION)
    run_state_machine_as_test(EcrStateMachine, settings=SETTINGS)
