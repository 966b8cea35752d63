"""Replication: every push copied at once into the registries the replication configuration names (§7.2).

Owns the push listener that replicates.  ECR replicates an image pushed to a repository that a
rule of the registry's replication configuration applies to into each destination registry (another
region, another account) within about 30 minutes [UG23:replication]; fake-ecr copies it while the
push completes, into the destination (account, region) of the same ``Backend``:

- the destination repository is created if it does not exist, with the settings of the destination
  registry's REPLICATION creation template that covers its name, else with the defaults (§7.2, §7.4);
- the image's blobs (shared with the source registry, not copied: stored blobs never change), then the
  manifests it references (an index's children), then the image itself
  with each of its tags; a tag the destination holds immutably already is not moved: the image is
  stored there untagged [UG23:replication] (§7.1);
- one hop only: what replication pushes into a registry is not replicated on from there;
- deletes are not replicated, nor repository settings or policies, and images pushed before the
  configuration stay where they are [UG23:replication];
- fake-ecr enforces no policies, so a destination registry's policy need not allow ``ecr:ReplicateImage``.

Each image records the destinations it was copied to, for DescribeImageReplicationStatus.
Must not import werkzeug, botocore, ``fake_ecr.api`` or ``fake_ecr.registry``.
"""

from __future__ import annotations

from dataclasses import replace

from fake_ecr import errors
from fake_ecr.model import Backend, ImageId, ImageRecord, ImageView, PutImageResult, Registry
from fake_ecr.model.records import ReplicationDestination, ReplicationRule
from fake_ecr.repository_creation import REPLICATION, create_repository, template_for


def destinations_for(rules: tuple[ReplicationRule, ...], repository_name: str) -> tuple[ReplicationDestination, ...]:
    """The registries the rules send a repository's images to, each once, in rule order."""
    return tuple(dict.fromkeys(d for rule in rules if rule.applies_to(repository_name) for d in rule.destinations))


def replicate_pushes(backend: Backend) -> None:
    """Make every push into ``backend``'s registries replicate as their replication configurations say."""
    backend.push_listeners.append(_Replicator(backend).pushed)


class _Replicator:
    """The push listener of one backend."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        # Push listeners run with the backend's one lock held, so only one thread is ever inside.
        self._replicating = False

    def pushed(self, registry: Registry, repository_name: str, result: PutImageResult) -> None:
        if self._replicating:
            return  # a push replication itself makes: one hop only (§7.2)
        destinations = destinations_for(registry.settings.replication_rules, repository_name)
        if not destinations:
            return
        self._replicating = True
        try:
            for destination in destinations:
                target = self._backend.registry(destination.registry_id, destination.region)
                _replicate(registry, target, repository_name, result.view)
        finally:
            self._replicating = False

        def with_destinations(image: ImageRecord) -> ImageRecord:
            known = dict.fromkeys((*image.replication_destinations, *destinations))
            return replace(image, replication_destinations=tuple(known))

        registry.modify_image(repository_name, ImageId(result.view.image.image_digest), with_destinations)


def _replicate(source: Registry, target: Registry, repository_name: str, view: ImageView) -> None:
    try:
        target.repository(repository_name)
    except errors.RepositoryNotFound:
        create_repository(target, repository_name, template_for(target.settings, repository_name, REPLICATION))
    held = {held.image.image_digest for held in target.images(repository_name)}
    _copy_contents(source, target, repository_name, view.image, held)
    for image_tag in view.image_tags or (None,):
        _put(target, repository_name, view.image, image_tag)


def _copy_contents(
    source: Registry, target: Registry, repository_name: str, image: ImageRecord, held: set[str]
) -> None:
    """Copy what the image references that the target lacks: child manifests (with theirs), then blobs."""
    for child_digest in image.child_digests:
        if child_digest not in held:
            child = source.resolve_image(repository_name, ImageId(child_digest)).image
            _copy_contents(source, target, repository_name, child, held)
            _put(target, repository_name, child, None)
            held.add(child_digest)
    for blob_digest in image.blob_digests:
        if target.blob_info(repository_name, blob_digest) is not None:
            continue
        blob = source.open_blob(repository_name, blob_digest)
        info = source.blob_info(repository_name, blob_digest)
        # A pushed image's blobs stay linked in its repository while the image is there.
        assert blob is not None and info is not None, (
            f"{blob_digest} of {image.image_digest} is not in {repository_name}"
        )
        target.adopt_blob(repository_name, blob, info.media_type)


def _put(target: Registry, repository_name: str, image: ImageRecord, image_tag: str | None) -> None:
    def push(tag: str | None) -> None:
        target.put_image(
            repository_name,
            image.image_manifest,
            media_type=image.image_manifest_media_type,
            image_tag=tag,
            repush_is_success=True,
        )

    try:
        push(image_tag)
    except errors.ImageTagAlreadyExists:
        push(None)  # the destination's tag is immutable: the image is stored untagged (§7.1, §7.2)
