"""One registry: the repositories, images, tags and blobs of an account in a region.

Owns every state change of the data both surfaces share, behind the backend's
one lock: repositories and their settings, images (the exact manifest bytes),
the tag index (tag -> digest), blob links per repository, and upload sessions.
Images, tags and repositories sit in ordered indexes (``model.indexes``), so a
page of a listing costs the same however much the listing holds.
There is one write path for images: ``put_image`` serves PutImage and the
registry's manifest PUT alike (docs/architecture.md#one-write-path).
Once a data dir takes its changes (``take_changes``), every write also marks
what it changed, so a save writes that and not the whole registry.

Public methods take the lock and return frozen records; nothing handed out
can change under the caller.  Must not import werkzeug, botocore, or anything
from ``fake_ecr.api``/``fake_ecr.registry``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

from fake_ecr import errors
from fake_ecr.formats.digest import ECR_DIGEST_PATTERN, sha256_digest
from fake_ecr.formats.manifests import ManifestInfo, parse_manifest
from fake_ecr.model.blobs import BlobInfo, StoredBlob, UploadSession, UploadSpace
from fake_ecr.model.clock import Clock
from fake_ecr.model.indexes import Images, ImageSelection, ImageTable, RankIndex, Tags
from fake_ecr.model.records import (
    ImageFailure,
    ImageId,
    ImageRecord,
    ImageView,
    RegistrySettings,
    RepositoryRecord,
    repository_arn,
)

# Per-id failure reasons of the batch image calls (docs/behaviour/errors.md#messages #25 confirmed; #26 moto's wording).
IMAGE_NOT_FOUND_REASON = "Requested image not found"
MISSING_DIGEST_AND_TAG_REASON = "Invalid request parameters: both tag and digest cannot be null"
INVALID_DIGEST_REASON = (
    "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
)
#: How long an upload may sit idle before it is dropped and its bytes freed.  UNCONFIRMED: ECR
#: documents no value; distribution purges uploads after a week by default, a day suits tests better.
UPLOAD_EXPIRY = 24 * 3600.0
# UNCONFIRMED wordings, in the same style.
TAG_DOES_NOT_MATCH_REASON = "Invalid request parameters: image tag does not match the image digest"
REFERENCED_BY_INDEX_REASON = "Requested image is referenced by a manifest list"
IMAGE_INACCESSIBLE_REASON = "Requested image is archived and cannot be pulled"
#: The status of an image that can be pulled (ImageStatus; the others are ARCHIVED and ACTIVATING,
#: docs/behaviour/images.md#archive-storage-class).
ACTIVE = "ACTIVE"
#: An image in the archive storage class: listed and described, not pulled, not scanned
#: (docs/behaviour/images.md#archive-storage-class).
ARCHIVED = "ARCHIVED"
#: An archived image being restored to standard: still archived until the restore completes
#: (docs/behaviour/images.md#archive-storage-class).
ACTIVATING = "ACTIVATING"
#: Failure codes of ids that name no image at all (a malformed request, not a missing image).
MALFORMED_ID_CODES = frozenset({"MissingDigestAndTag", "InvalidImageDigest"})


def moved_to_archive(image: ImageRecord, archived_at: float) -> ImageRecord:
    """The image moved to the archive storage class at ``archived_at`` (lifecycle or UpdateImageStorageClass,
    docs/behaviour/images.md#archive-storage-class)."""
    return replace(image, image_status=ARCHIVED, last_archived_at=archived_at)


def being_restored(image: ImageRecord, completes_at: float) -> ImageRecord:
    """The archived image being restored: ``ACTIVATING`` until ``completes_at``, then ``ACTIVE``
    (docs/behaviour/images.md#archive-storage-class).

    The registry completes the restore the first time it is used at or after ``completes_at``.
    """
    return replace(image, image_status=ACTIVATING, restore_completes_at=completes_at)


@dataclass(slots=True)
class _Repository:
    """Mutable insides of one repository; only this module touches them."""

    record: RepositoryRecord
    #: Images (digest -> record, push order) and tags (tag -> digest), indexed for paging.
    table: ImageTable = field(default_factory=ImageTable)
    # digest -> media type learned from a manifest (None until one names it)
    blob_links: dict[str, str | None] = field(default_factory=dict)
    #: Its place in the registry's repository index (creation order).
    slot: int = -1

    @property
    def images(self) -> Images:
        return self.table.images

    @property
    def tags(self) -> Tags:
        return self.table.tags

    def tags_of(self, image_digest: str) -> tuple[str, ...]:
        return self.table.tags_of(image_digest)

    def parents_of(self, image_digest: str) -> list[str]:
        return [d for d, image in self.images.items() if image_digest in image.child_digests]

    def views(self) -> list[ImageView]:
        """Every image in push order, each with its tags."""
        return self.table.views()

    def remove_image(self, image_digest: str) -> tuple[str, ...]:
        """Delete an image and every tag on it; returns the tags it had."""
        tags = self.tags_of(image_digest)
        del self.images[image_digest]
        return tags


@dataclass(frozen=True, slots=True)
class PutImageResult:
    """What a push did: the image as stored, and whether the manifest was new here."""

    view: ImageView
    image_created: bool


@dataclass(frozen=True, slots=True)
class Deletion:
    """What one delete took from a repository (BatchDeleteImage, manifest DELETE, lifecycle expiry).

    ``untagged``: (digest, tag) of each tag taken off an image that stays; ``deleted``: each image
    deleted, as it was, with the tags it had.
    """

    untagged: tuple[tuple[str, str], ...]
    deleted: tuple[ImageView, ...]


#: What one lifecycle evaluation decides for a repository: (digests to expire, digests to archive).
LifecycleDecision = tuple[Collection[str], Collection[str]]


@dataclass(frozen=True, slots=True)
class LifecycleChanges:
    """What one lifecycle evaluation changed in a repository, each image as it was before.

    ``expired`` includes the OCI referrers that went with an expired subject (docs/behaviour/images.md#referrers).
    """

    expired: tuple[ImageView, ...]
    archived: tuple[ImageView, ...]


@dataclass(frozen=True, slots=True)
class RepositorySnapshot:
    """A repository's records at one moment: its settings, its images in push order (each with its tags in
    the order they were put on it), and the blobs it links (digest, media type), by digest (links have no order)."""

    record: RepositoryRecord
    images: tuple[ImageView, ...]
    blob_links: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """A registry's records at one moment (``Registry.snapshot``), without bytes or uploads in progress:
    what a data dir keeps of it (``fake_ecr.model.store``)."""

    settings: RegistrySettings
    repositories: tuple[RepositorySnapshot, ...]


@dataclass(slots=True)
class _Changes:
    """What changed since ``Registry.take_changes`` last ran: names and digests only, marked on the write
    path.  A mark may be spare (it names something that ends up as it was); a write that marks nothing
    would be lost to a data dir."""

    settings: bool = False
    #: repositories deleted, with everything they held (a name may exist again since, created anew)
    dropped: set[str] = field(default_factory=set)
    #: repository name -> whether created (a new place in creation order) rather than changed
    repositories: dict[str, bool] = field(default_factory=dict)
    #: (repository, digest) -> whether the image was added (a new place in push order) rather than changed
    images: dict[tuple[str, str], bool] = field(default_factory=dict)
    #: (repository, digest) of blob links made, changed or removed
    blob_links: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class RegistryChanges:
    """What changed in a registry since the last ``Registry.take_changes``, as it is now: what a data dir
    writes (``fake_ecr.surfaces.persistence``).

    ``settings``: None when unchanged.  ``dropped``: repositories deleted (with their images and blob links);
    one may be listed in ``repositories`` too, created again since.  ``repositories``: (name, record or None
    when gone, whether created since).  ``images``: (repository, digest, the image with its tags or None when
    gone, whether added since, in push order).  ``blob_links``: (repository, digest, whether linked, media
    type).  ``blobs``: the blobs of the linked ones.
    """

    settings: RegistrySettings | None
    dropped: tuple[str, ...]
    repositories: tuple[tuple[str, RepositoryRecord | None, bool], ...]
    images: tuple[tuple[str, str, ImageView | None, bool], ...]
    blob_links: tuple[tuple[str, str, bool, str | None], ...]
    blobs: dict[str, StoredBlob]


class Registry:
    """The private registry of one account in one region."""

    def __init__(
        self,
        registry_id: str,
        region: str,
        lock: threading.RLock,
        clock: Clock,
        *,
        on_push: Callable[[Registry, str, PutImageResult], None] | None = None,
        on_delete: Callable[[Registry, str, Deletion], None] | None = None,
        upload_space: UploadSpace | None = None,
    ) -> None:
        self.registry_id = registry_id
        #: the bytes uploads hold, counted over every registry of the fake, and their idle limit
        self._upload_space = upload_space if upload_space is not None else UploadSpace()
        self._on_push = on_push
        self._on_delete = on_delete
        self.region = region
        self._lock = lock
        self._clock = clock
        self._repositories: dict[str, _Repository] = {}
        #: The same repositories in creation order, for DescribeRepositories' pages.
        self._repository_order: RankIndex[_Repository] = RankIndex(1)
        self._blobs: dict[str, StoredBlob] = {}
        self._uploads: dict[str, UploadSession] = {}
        self._settings = RegistrySettings()
        #: (repository name, digest) of images stored ACTIVATING, until their restore completes.
        self._restores: set[tuple[str, str]] = set()
        #: What changed since ``take_changes`` last ran; None until it first does (no data dir: nothing is marked).
        self._changes: _Changes | None = None

    # --- registry-wide settings ------------------------------------------------------

    @property
    def settings(self) -> RegistrySettings:
        with self._lock:
            return self._settings

    def modify_settings(
        self, change: Callable[[RegistrySettings], RegistrySettings]
    ) -> tuple[RegistrySettings, RegistrySettings]:
        """Replace the registry settings by ``change(old)``; returns (old, new). ``change`` may raise."""
        with self._lock:
            old = self._settings
            self._settings = change(old)
            if self._changes is not None:
                self._changes.settings = True
            return old, self._settings

    # --- repositories ----------------------------------------------------------------

    def repository_arn(self, repository_name: str) -> str:
        """The ARN of a repository of this registry (whether or not it exists)."""
        return repository_arn(self.registry_id, self.region, repository_name)

    def _repository(self, repository_name: str) -> _Repository:
        self._complete_restores()
        repository = self._repositories.get(repository_name)
        if repository is None:
            raise errors.RepositoryNotFound(self.registry_id, repository_name)
        return repository

    def create_repository(self, repository_name: str, **settings: object) -> RepositoryRecord:
        """Create a repository; ``settings`` are RepositoryRecord fields."""
        with self._lock:
            if repository_name in self._repositories:
                raise errors.RepositoryAlreadyExists(self.registry_id, repository_name)
            record = RepositoryRecord(
                registry_id=self.registry_id,
                region=self.region,
                repository_name=repository_name,
                created_at=self._clock.now(),
                **settings,  # type: ignore[arg-type]
            )
            repository = self._repositories[repository_name] = _Repository(record)
            self._repository_order.append(repository, 0)
            self._mark_repository(repository_name, created=True)
            return record

    def repository(self, repository_name: str) -> RepositoryRecord:
        with self._lock:
            return self._repository(repository_name).record

    def repositories(self, repository_names: Sequence[str] | None = None) -> list[RepositoryRecord]:
        """All repositories in creation order, or the named ones (each must exist)."""
        with self._lock:
            if repository_names is None:
                return [r.record for r in self._repositories.values()]
            return [self._repository(name).record for name in dict.fromkeys(repository_names)]

    def repository_page(self, start: int, size: int) -> tuple[list[RepositoryRecord], int]:
        """DescribeRepositories: ``size`` repositories from the ``start``-th in creation order, and how many
        there are; O(size x log n) (a ``RankIndex``)."""
        with self._lock:
            page = [repository.record for repository, _ in islice(self._repository_order.walk((0,), start), size)]
            return page, len(self._repository_order)

    def modify_repository(
        self, repository_name: str, change: Callable[[RepositoryRecord], RepositoryRecord]
    ) -> tuple[RepositoryRecord, RepositoryRecord]:
        """Replace a repository's settings by ``change(old)``; returns (old, new).

        ``change`` may raise a domain error to refuse; the state is then unchanged.
        """
        with self._lock:
            repository = self._repository(repository_name)
            old = repository.record
            repository.record = change(old)
            self._mark_repository(repository_name)
            return old, repository.record

    def delete_repository(self, repository_name: str, force: bool) -> RepositoryRecord:
        with self._lock:
            repository = self._repository(repository_name)
            if repository.images and not force:
                raise errors.RepositoryNotEmpty(self.registry_id, repository_name)
            del self._repositories[repository_name]
            self._repository_order.remove(repository)
            if self._changes is not None:
                self._changes.dropped.add(repository_name)
                self._changes.repositories.pop(repository_name, None)
            for upload_id, upload in list(self._uploads.items()):
                if upload.repository_name == repository_name:
                    upload.discard()
                    del self._uploads[upload_id]
            self._collect_unlinked_blobs()
            return repository.record

    # --- images ----------------------------------------------------------------------

    def put_image(
        self,
        repository_name: str,
        image_manifest: bytes,
        *,
        media_type: str | None = None,
        image_tag: str | None = None,
        image_digest: str | None = None,
        repush_is_success: bool = False,
        require_layers: bool = True,
    ) -> PutImageResult:
        """Store a manifest and tag it: PutImage and the registry's manifest PUT
        (docs/behaviour/images.md#image-operations, docs/behaviour/repositories.md#tag-mutability).

        ``repush_is_success``: the registry answers a re-push of the same manifest
        under the same mutable tag with success (docker re-pushes), where PutImage
        answers ImageAlreadyExistsException (docs/behaviour/errors.md#messages #5).
        ``require_layers``: refuse a manifest naming blobs the repository does not
        hold (LayersNotFound); off, such an image is stored without them, its size
        the manifest's own (``Settings.allow_missing_layers``, moto's PutImage).
        """
        info = parse_manifest(image_manifest, media_type)
        calculated = sha256_digest(image_manifest)
        if image_digest is not None and image_digest != calculated:
            raise errors.ImageDigestDoesNotMatch(self.registry_id, repository_name, image_digest, calculated)
        with self._lock:
            repository = self._repository(repository_name)
            self._check_references(repository, info, require_layers)
            existing = repository.images.get(calculated)
            # Pushing an archived (or activating) image again restores it at once, and counts as a
            # new push for scanning and replication (docs/behaviour/images.md#archive-storage-class): it is no re-push
            # of a stored image.
            restoring = existing is not None and existing.image_status != ACTIVE
            if image_tag is not None:
                if not (restoring and repository.tags.get(image_tag) == calculated):
                    self._check_tag_move(repository, image_tag, calculated, repush_is_success)
            elif existing is not None and not (repush_is_success or restoring):
                raise errors.ImageAlreadyExists(self.registry_id, repository_name, calculated, None)
            created = existing is None or restoring
            if existing is None:
                existing = ImageRecord(
                    image_digest=calculated,
                    image_manifest=image_manifest,
                    image_manifest_media_type=info.media_type,
                    image_size_in_bytes=self._image_size(repository, info),
                    image_pushed_at=self._clock.now(),
                    blob_digests=self._shared_digests(info.blob_digests),
                    child_digests=tuple(m.digest for m in info.manifests),
                    artifact_media_type=info.artifact_media_type,
                    artifact_type=info.artifact_type,
                    subject_digest=info.subject.digest if info.subject is not None else None,
                    annotations=info.annotations,
                    # Managed signing signs new images, not a retag (docs/behaviour/images.md#image-operations PutImage,
                    # docs/behaviour/images.md#managed-signing); nor OCI referrers, which signatures themselves are
                    # (UNCONFIRMED: judgement call).
                    signing_profile_arns=(
                        self._settings.signing_profiles_for(repository_name) if info.subject is None else ()
                    ),
                )
            elif restoring:
                existing = replace(
                    existing, image_status=ACTIVE, last_activated_at=self._clock.now(), restore_completes_at=None
                )
            self._mark_images(repository_name, (calculated,), added=calculated not in repository.images)
            repository.images[calculated] = existing
            for descriptor in (info.config, *info.layers):
                # Only blobs held: one a manifest names without it (``require_layers=False``) stays unknown.
                if descriptor is not None and descriptor.media_type and descriptor.digest in self._blobs:
                    repository.blob_links[descriptor.digest] = descriptor.media_type
                    self._mark_blob_link(repository_name, descriptor.digest)
            if image_tag is not None:
                # Moving a tag leaves the previous image in place, untagged if this was its last tag
                # (docs/behaviour/repositories.md#tag-mutability).
                previous = repository.tags.pop(image_tag, None)
                if previous is not None:
                    self._mark_images(repository_name, (previous,))
                repository.tags[image_tag] = calculated
            result = PutImageResult(ImageView(existing, repository.tags_of(calculated)), created)
            if self._on_push is not None:
                self._on_push(self, repository_name, result)
            return result

    def _shared_digests(self, digests: Iterable[str]) -> tuple[str, ...]:
        """The digests as the stored blobs' own strings, so image records share them rather than each
        holding copies parsed from its manifest (a large part of an image record's memory)."""
        return tuple(self._blobs[d].digest if d in self._blobs else d for d in digests)

    def _check_references(self, repository: _Repository, info: ManifestInfo, require_layers: bool) -> None:
        missing_blobs = [d for d in info.blob_digests if d not in repository.blob_links]
        if missing_blobs and require_layers:
            raise errors.LayersNotFound(self.registry_id, repository.record.repository_name, missing_blobs)
        missing_images = [m.digest for m in info.manifests if m.digest not in repository.images]
        if missing_images:
            raise errors.ReferencedImagesNotFound(self.registry_id, repository.record.repository_name, missing_images)

    def _check_tag_move(self, repository: _Repository, image_tag: str, digest: str, repush_ok: bool) -> None:
        current = repository.tags.get(image_tag)
        if current is None:
            return
        name = repository.record.repository_name
        immutable = repository.record.tag_is_immutable(image_tag)
        if immutable:
            # Same digest under an immutable tag fails too (docs/behaviour/repositories.md#tag-mutability CONFLICT,
            # recommendation followed).
            raise errors.ImageTagAlreadyExists(name, image_tag)
        if current == digest and not repush_ok:
            raise errors.ImageAlreadyExists(self.registry_id, name, digest, image_tag)

    def _image_size(self, repository: _Repository, info: ManifestInfo) -> int:
        if info.is_index:
            # A manifest list reports the largest of its children (docs/behaviour/images.md#image-operations
            # DescribeImages).
            sizes = [repository.images[m.digest].image_size_in_bytes for m in info.manifests]
            return max(sizes, default=0)
        if info.config is None:  # schema 1: no sizes in the manifest; measure the blobs
            return sum(self._blobs[d].size for d in info.blob_digests if d in self._blobs)
        return info.size_in_bytes

    def resolve_image(self, repository_name: str, image_id: ImageId) -> ImageView:
        """The image an id names; ImageNotFound (docs/behaviour/errors.md#messages #4), or InvalidParameter for an id
        naming nothing.

        An id without digest and tag, or with a malformed digest, is a bad request rather than a
        missing image (UNCONFIRMED: the batch calls' failure reason becomes the constraint text).
        """
        with self._lock:
            repository = self._repository(repository_name)
            failure = self._resolve(repository, image_id)
            if isinstance(failure, ImageFailure):
                if failure.failure_code in MALFORMED_ID_CODES:
                    raise errors.InvalidParameter("imageIds", failure.failure_reason)
                raise errors.ImageNotFound(self.registry_id, repository_name, image_id.image_digest, image_id.image_tag)
            return ImageView(failure, repository.tags_of(failure.image_digest))

    def _resolve(self, repository: _Repository, image_id: ImageId) -> ImageRecord | ImageFailure:
        digest, tag = image_id.image_digest, image_id.image_tag
        if digest is None and tag is None:
            return ImageFailure(image_id, "MissingDigestAndTag", MISSING_DIGEST_AND_TAG_REASON)
        if digest is not None and not ECR_DIGEST_PATTERN.fullmatch(digest):
            return ImageFailure(image_id, "InvalidImageDigest", INVALID_DIGEST_REASON)
        if tag is not None:
            tagged = repository.tags.get(tag)
            if tagged is None:
                return ImageFailure(image_id, "ImageNotFound", IMAGE_NOT_FOUND_REASON)
            if digest is not None and digest != tagged:
                return ImageFailure(image_id, "ImageTagDoesNotMatchDigest", TAG_DOES_NOT_MATCH_REASON)
            digest = tagged
        assert digest is not None
        image = repository.images.get(digest)
        if image is None:
            return ImageFailure(image_id, "ImageNotFound", IMAGE_NOT_FOUND_REASON)
        return image

    def pull_images(
        self,
        repository_name: str,
        image_ids: Sequence[ImageId],
        accepted_media_types: Sequence[str] | None,
        principal_arn: str | None = None,
    ) -> tuple[list[tuple[ImageId, ImageRecord]], list[ImageFailure]]:
        """BatchGetImage and manifest GET: resolve ids, record the pull (lastRecordedPullTime).

        ``principal_arn`` is who pulls, if known: a principal on the registry's pull-time update
        exclusion list pulls without recording the time (docs/behaviour/images.md#pull-time-update-exclusions).
        """
        found: list[tuple[ImageId, ImageRecord]] = []
        failures: list[ImageFailure] = []
        with self._lock:
            repository = self._repository(repository_name)
            now = self._clock.now()
            records_pull = self._settings.records_pulls_by(principal_arn)
            for image_id in image_ids:
                image = self._resolve(repository, image_id)
                if isinstance(image, ImageFailure):
                    failures.append(image)
                    continue
                if image.image_status != ACTIVE:
                    # Archived images cannot be pulled (docs/behaviour/images.md#archive-storage-class); the failure
                    # code is the model's ImageInaccessible (UNCONFIRMED mapping and reason,
                    # docs/behaviour/images.md#image-operations BatchGetImage).
                    failures.append(ImageFailure(image_id, "ImageInaccessible", IMAGE_INACCESSIBLE_REASON))
                    continue
                if accepted_media_types is not None and image.image_manifest_media_type not in accepted_media_types:
                    # fake-ecr converts no manifests (docs/behaviour/registry.md#manifest-formats allows a mock to skip
                    # conversion): an image in a format the caller does not accept is reported as not found.
                    failures.append(ImageFailure(image_id, "ImageNotFound", IMAGE_NOT_FOUND_REASON))
                    continue
                if records_pull:
                    # Every pull records the time (ECR refreshes it at least daily,
                    # docs/behaviour/images.md#image-operations).
                    image = replace(image, last_recorded_pull_time=now)
                    repository.images[image.image_digest] = image
                    self._mark_images(repository_name, (image.image_digest,))
                found.append((image_id, image))
        return found, failures

    def delete_images(
        self, repository_name: str, image_ids: Sequence[ImageId]
    ) -> tuple[list[ImageId], list[ImageFailure]]:
        """BatchDeleteImage: a tag alone untags; a digest deletes the image and its tags
        (docs/behaviour/images.md#image-operations)."""
        deleted: list[ImageId] = []
        failures: list[ImageFailure] = []
        untagged: list[tuple[str, str]] = []
        removed: list[ImageView] = []
        with self._lock:
            repository = self._repository(repository_name)
            for image_id in image_ids:
                image = self._resolve(repository, image_id)
                if isinstance(image, ImageFailure):
                    failures.append(image)
                    continue
                digest = image.image_digest
                self._mark_images(repository_name, (digest,))
                if image_id.image_digest is None and image_id.image_tag is not None:
                    remaining = [t for t in repository.tags_of(digest) if t != image_id.image_tag]
                    if remaining:
                        del repository.tags[image_id.image_tag]
                        deleted.append(ImageId(digest, image_id.image_tag))
                        untagged.append((digest, image_id.image_tag))
                        continue
                if repository.parents_of(digest):
                    failures.append(ImageFailure(image_id, "ImageReferencedByManifestList", REFERENCED_BY_INDEX_REASON))
                    continue
                tags = repository.remove_image(digest)
                deleted.extend([ImageId(digest, tag) for tag in tags] or [ImageId(digest, None)])
                removed.append(ImageView(image, tags))
            self._deleted(repository_name, Deletion(tuple(untagged), tuple(removed)))
        return deleted, failures

    def images(self, repository_name: str) -> list[ImageView]:
        """Every image of a repository in push order, each with its tags."""
        with self._lock:
            return self._repository(repository_name).views()

    def image_page(
        self, repository_name: str, selection: ImageSelection, start: int, size: int
    ) -> tuple[list[ImageView], int]:
        """DescribeImages: ``size`` of the selected images from the ``start``-th in push order, each with
        its tags, and how many are selected; O(size x log n) (the repository's ``ImageTable``)."""
        with self._lock:
            table = self._repository(repository_name).table
            return table.view_page(selection, start, size), table.count(selection)

    def image_id_page(
        self, repository_name: str, selection: ImageSelection, start: int, size: int
    ) -> tuple[list[ImageId], int]:
        """ListImages: ``size`` entries from the ``start``-th, one per tag of each selected image in push
        order (one for an untagged image), and how many entries there are; O(size x log n)."""
        with self._lock:
            table = self._repository(repository_name).table
            return table.id_page(selection, start, size), table.count(selection, by_tag=True)

    def tag_page(self, repository_name: str, last: str | None, size: int | None) -> tuple[list[str], bool]:
        """tags/list: up to ``size`` tags (all for None) past ``last`` in code-point order, and whether
        more follow; O(size + log n)."""
        with self._lock:
            following = self._repository(repository_name).table.tags_after(last)
            if size is None:
                return list(following), False
            page = list(islice(following, size))
            return page, next(following, None) is not None

    def replace_image(self, repository_name: str, image: ImageRecord) -> None:
        """Store a changed record of an existing image (scan, storage-class or pull-time updates)."""
        with self._lock:
            repository = self._repository(repository_name)
            if image.image_digest in repository.images:
                self._store(repository, image)

    def referrers(self, repository_name: str, subject_digest: str) -> list[ImageView]:
        """The OCI referrers of a digest: the repository's images whose subject it is, in push order,
        whatever their status; none when the subject is not there (OCI distribution spec,
        docs/behaviour/images.md#referrers)."""
        with self._lock:
            return [v for v in self._repository(repository_name).views() if v.image.subject_digest == subject_digest]

    def modify_image(
        self, repository_name: str, image_id: ImageId, change: Callable[[ImageRecord], ImageRecord]
    ) -> ImageView:
        """Replace the record of the image ``image_id`` names by ``change(old)``, atomically (scans).

        Resolves like ``resolve_image``; ``change`` may raise a domain error to refuse, leaving the
        state unchanged.  Returns the image as now stored, with its tags.
        """
        with self._lock:
            view = self.resolve_image(repository_name, image_id)
            image = change(view.image)
            self._store(self._repository(repository_name), image)
            return ImageView(image, view.image_tags)

    def _store(self, repository: _Repository, image: ImageRecord) -> None:
        """Keep a changed record of an image; an ACTIVATING one is watched until its restore completes."""
        repository.images[image.image_digest] = image
        self._mark_images(repository.record.repository_name, (image.image_digest,))
        if image.image_status == ACTIVATING:
            self._restores.add((repository.record.repository_name, image.image_digest))

    def _complete_restores(self) -> None:
        """Make every image whose restore is due ACTIVE (call with the lock held;
        docs/behaviour/images.md#archive-storage-class).

        A restored image "behaves like a newly pushed image" [DOC archive_restore_image]: it goes to
        the push listeners as a created image, so it is scanned on push again (its findings from
        before the archiving are not kept) - as a re-push restores it.
        """
        if not self._restores:
            return
        now = self._clock.now()
        completed: list[tuple[str, ImageView]] = []
        for key in sorted(self._restores):
            repository_name, digest = key
            repository = self._repositories.get(repository_name)
            image = repository.images.get(digest) if repository is not None else None
            if repository is None or image is None or image.image_status != ACTIVATING:
                self._restores.discard(key)  # deleted, or restored at once by a re-push
                continue
            completes_at = image.restore_completes_at
            if completes_at is None or completes_at <= now:
                self._restores.discard(key)
                image = replace(image, image_status=ACTIVE, last_activated_at=completes_at, restore_completes_at=None)
                repository.images[digest] = image
                self._mark_images(repository_name, (digest,))
                completed.append((repository_name, ImageView(image, repository.tags_of(digest))))
        for repository_name, view in completed:
            if self._on_push is not None:
                self._on_push(self, repository_name, PutImageResult(view, image_created=True))

    def apply_lifecycle(
        self,
        repository_name: str,
        decide: Callable[[RepositoryRecord, list[ImageView]], LifecycleDecision | None],
        evaluated_at: float,
    ) -> LifecycleChanges | None:
        """One lifecycle evaluation of a repository as one atomic change (docs/behaviour/lifecycle.md#evaluation,
        docs/behaviour/images.md#archive-storage-class).

        ``decide(record, images)`` names the digests to expire and those to move to the archive
        storage class, or returns None when there is nothing to evaluate (then nothing changes).
        Expired images go with their tags and with the OCI referrers of each, transitively
        (docs/behaviour/lifecycle.md#evaluation item 7, docs/behaviour/images.md#referrers); archived images become
        ``ARCHIVED`` as of ``evaluated_at``, which the repository also records as its last evaluation.  Blobs are left
        to ``collect_garbage``.
        """
        with self._lock:
            repository = self._repository(repository_name)
            views = {view.image.image_digest: view for view in repository.views()}
            decision = decide(repository.record, list(views.values()))
            if decision is None:
                return None
            expire, archive = decision
            expired = [views[digest] for digest in self._with_referrers(repository, expire)]
            for view in expired:
                repository.remove_image(view.image.image_digest)
            archived = [views[digest] for digest in archive if digest in repository.images]
            for view in archived:
                repository.images[view.image.image_digest] = moved_to_archive(view.image, evaluated_at)
            repository.record = replace(repository.record, lifecycle_last_evaluated_at=evaluated_at)
            self._mark_repository(repository_name)
            self._mark_images(repository_name, [view.image.image_digest for view in (*expired, *archived)])
            self._deleted(repository_name, Deletion((), tuple(expired)))
            return LifecycleChanges(tuple(expired), tuple(archived))

    def _deleted(self, repository_name: str, deletion: Deletion) -> None:
        """Tell the delete listener what a delete took, if anything (call with the lock held)."""
        if (deletion.untagged or deletion.deleted) and self._on_delete is not None:
            self._on_delete(self, repository_name, deletion)

    @staticmethod
    def _with_referrers(repository: _Repository, image_digests: Iterable[str]) -> list[str]:
        """The images named and, transitively, every image whose subject is one of them
        (docs/behaviour/images.md#referrers)."""
        found = list(dict.fromkeys(digest for digest in image_digests if digest in repository.images))
        seen = set(found)
        for subject in found:  # grows while it is walked: referrers of referrers
            referrers = [d for d, image in repository.images.items() if image.subject_digest == subject]
            found.extend(d for d in referrers if d not in seen)
            seen.update(referrers)
        return found

    # --- blobs and uploads -----------------------------------------------------------

    def blob_info(self, repository_name: str, digest: str) -> BlobInfo | None:
        """The blob if this repository holds it (blobs are linked per repository,
        docs/behaviour/registry.md#layer-api)."""
        with self._lock:
            repository = self._repository(repository_name)
            if digest not in repository.blob_links or digest not in self._blobs:
                return None
            return BlobInfo(digest, self._blobs[digest].size, repository.blob_links[digest])

    def open_blob(self, repository_name: str, digest: str) -> StoredBlob | None:
        with self._lock:
            repository = self._repository(repository_name)
            return self._blobs.get(digest) if digest in repository.blob_links else None

    def blob_is_referenced(self, repository_name: str, digest: str) -> bool:
        """Whether any image of the repository names the blob (else LayerInaccessible,
        docs/behaviour/registry.md#layer-api)."""
        with self._lock:
            repository = self._repository(repository_name)
            return any(digest in image.blob_digests for image in repository.images.values())

    def start_upload(self, repository_name: str) -> UploadSession:
        with self._lock:
            self._repository(repository_name)
            self._expire_uploads()
            upload = UploadSession(str(uuid.uuid4()), repository_name, self._clock.now(), self._upload_space)
            self._uploads[upload.upload_id] = upload
            return upload

    def upload(self, repository_name: str, upload_id: str) -> UploadSession:
        with self._lock:
            self._repository(repository_name)
            upload = self._uploads.get(upload_id)
            if upload is None or upload.repository_name != repository_name:
                raise errors.UploadNotFound(self.registry_id, repository_name, upload_id)
            return upload

    def append_upload(
        self, repository_name: str, upload_id: str, chunks: Iterable[bytes], first_byte: int | None = None
    ) -> UploadSession:
        """Append a part; ``first_byte`` must continue where the upload stands (docs/behaviour/registry.md#layer-api
        UploadLayerPart)."""
        upload = self.upload(repository_name, upload_id)
        with upload.lock:
            self._ensure_open(upload)
            if first_byte is not None and first_byte != upload.size:
                raise errors.InvalidLayerPart(self.registry_id, repository_name, upload_id, upload.size - 1, first_byte)
            try:
                upload.append(chunks)
            except errors.UploadSpaceExhausted:
                self._drop_upload(upload)  # part of the chunk may be in, and its bytes are wanted back
                raise
            upload.last_active_at = self._clock.now()
            self._ensure_open(upload)  # its repository may have been force-deleted while the chunk streamed in
        return upload

    def complete_upload(
        self, repository_name: str, upload_id: str, layer_digests: Sequence[str], *, exists_is_error: bool
    ) -> str:
        """Finish an upload: the body's digest must be one of ``layer_digests``
        (docs/behaviour/registry.md#layer-api)."""
        upload = self.upload(repository_name, upload_id)
        with upload.lock:
            self._ensure_open(upload)
            if upload.parts == 0 or upload.size == 0:
                raise errors.EmptyUpload(self.registry_id, repository_name, upload_id)
            if upload.has_small_parts:
                # The parts can't be sent again, so the upload is over (docs/behaviour/errors.md#messages #22; the
                # registry too, docs/behaviour/registry.md#endpoints PATCH).
                self._drop_upload(upload)
                raise errors.LayerPartTooSmall()
            digest = upload.digest
            if digest not in layer_digests:
                self._drop_upload(upload)
                raise errors.InvalidLayer(digest, tuple(layer_digests))
            with self._lock:
                repository = self._repository(repository_name)
                if self._uploads.pop(upload_id, None) is not upload:  # dropped with its repository meanwhile
                    raise errors.UploadNotFound(self.registry_id, repository_name, upload_id)
                if digest in repository.blob_links and digest in self._blobs:
                    upload.discard()
                    if exists_is_error:
                        raise errors.LayerAlreadyExists(self.registry_id, repository_name, digest)
                    return digest
                if digest in self._blobs:
                    upload.discard()  # the registry already holds these bytes: link, don't keep twice
                else:
                    self._blobs[digest] = upload.seal()
                repository.blob_links.setdefault(digest, None)
                self._mark_blob_link(repository_name, digest)
            return digest

    def cancel_upload(self, repository_name: str, upload_id: str) -> None:
        upload = self.upload(repository_name, upload_id)
        with upload.lock:
            self._ensure_open(upload)
            self._drop_upload(upload)

    def _ensure_open(self, upload: UploadSession) -> None:
        """UploadNotFound once another request finished or cancelled ``upload`` (call with its lock held)."""
        with self._lock:
            if self._uploads.get(upload.upload_id) is not upload:
                raise errors.UploadNotFound(self.registry_id, upload.repository_name, upload.upload_id)

    def expire_uploads(self) -> None:
        """Drop uploads idle for UPLOAD_EXPIRY on the fake's clock or for the upload space's ``idle_timeout``
        real seconds: an abandoned push gives its memory and temporary file back."""
        with self._lock:
            self._expire_uploads()

    def _expire_uploads(self) -> None:
        """``expire_uploads`` with the lock held."""
        cutoff = self._clock.now() - UPLOAD_EXPIRY
        real_cutoff = time.monotonic() - self._upload_space.idle_timeout
        idle = [u for u in self._uploads.values() if u.last_active_at < cutoff or u.last_active_monotonic < real_cutoff]
        for upload in idle:
            if upload.lock.acquire(blocking=False):  # a part still streaming in keeps its upload alive
                try:
                    self._drop_upload(upload)
                finally:
                    upload.lock.release()

    def uploads(self) -> list[UploadSession]:
        """The uploads in progress, oldest first."""
        with self._lock:
            return list(self._uploads.values())

    def drop_uploads(self) -> None:
        """Drop every upload in progress and free its bytes (the registry is being forgotten)."""
        for upload in self.uploads():
            self._drop_upload(upload)

    def _drop_upload(self, upload: UploadSession) -> None:
        with self._lock:
            self._uploads.pop(upload.upload_id, None)
        upload.discard()

    def mount_blob(self, repository_name: str, digest: str, from_repository: str) -> bool:
        """Link a blob another repository of this registry holds; False when it can't
        (docs/behaviour/registry.md#endpoints)."""
        with self._lock:
            target = self._repository(repository_name)
            source = self._repositories.get(from_repository)
            if source is None or digest not in source.blob_links or digest not in self._blobs:
                return False
            target.blob_links.setdefault(digest, source.blob_links[digest])
            self._mark_blob_link(repository_name, digest)
            return True

    def adopt_blob(self, repository_name: str, blob: StoredBlob, media_type: str | None) -> None:
        """Link a blob another registry of this fake holds, sharing its bytes (replication).

        Stored blobs never change and are dropped, not closed, when unlinked, so two registries
        can hold the same one: nothing is copied, under the lock or otherwise.
        """
        with self._lock:
            repository = self._repository(repository_name)
            self._blobs.setdefault(blob.digest, blob)
            repository.blob_links.setdefault(blob.digest, media_type)
            self._mark_blob_link(repository_name, blob.digest)

    def collect_garbage(self, released: Mapping[str, Collection[str]] | None = None) -> None:
        """Unlink blobs no image references and free bytes no repository links (docs/behaviour/registry.md#layer-api
        "unassociated").

        ``released``: repository name -> the digests a delete let go (a lifecycle run's expired
        images); only those are unlinked where nothing references them any more.  Blobs another
        push has just uploaded, whose manifest has not arrived yet, are no expiry's business.
        None: every unreferenced link of a repository without an upload in progress.
        """
        with self._lock:
            self._expire_uploads()
            pending = {u.repository_name for u in self._uploads.values()}
            for name, repository in self._repositories.items():
                if released is None and name in pending:
                    continue  # a push may be under way: its blobs are not referenced yet
                if released is not None and name not in released:
                    continue
                referenced = {d for image in repository.images.values() for d in image.blob_digests}
                candidates = repository.blob_links if released is None else released[name]
                for digest in [d for d in candidates if d in repository.blob_links and d not in referenced]:
                    del repository.blob_links[digest]
                    self._mark_blob_link(name, digest)
            self._collect_unlinked_blobs()

    def _collect_unlinked_blobs(self) -> None:
        linked = {d for r in self._repositories.values() for d in r.blob_links}
        for digest in [d for d in self._blobs if d not in linked]:
            # Dropped, not closed: a GET may still be streaming it (pread on its file), and its
            # temporary file closes when that last reader lets go.
            del self._blobs[digest]

    # --- snapshots (a data dir, ``fake_ecr.model.store``) -----------------------------------

    def snapshot(self) -> tuple[RegistrySnapshot, dict[str, StoredBlob]]:
        """The registry's records and the blobs they link, at one moment (uploads in progress are left out)."""
        with self._lock:
            self._complete_restores()
            repositories = tuple(
                RepositorySnapshot(
                    repository.record, tuple(repository.views()), tuple(sorted(repository.blob_links.items()))
                )
                for repository in self._repositories.values()
            )
            return RegistrySnapshot(self._settings, repositories), dict(self._blobs)

    def restore(self, snapshot: RegistrySnapshot, blobs: Mapping[str, StoredBlob]) -> None:
        """Fill this empty registry from a snapshot; links to blobs ``blobs`` lacks are dropped."""
        with self._lock:
            if self._repositories:
                raise ValueError(f"registry {self.registry_id} in {self.region} is not empty")
            self._settings = snapshot.settings
            for saved in snapshot.repositories:
                repository = self._repositories[saved.record.repository_name] = _Repository(saved.record)
                self._repository_order.append(repository, 0)
                for view in saved.images:
                    self._store(repository, view.image)
                    for tag in view.image_tags:
                        repository.tags[tag] = view.image.image_digest
                for digest, media_type in saved.blob_links:
                    blob = blobs.get(digest)
                    if blob is not None:
                        self._blobs.setdefault(digest, blob)
                        repository.blob_links[digest] = media_type
            self._changes = _Changes()  # what was restored is what the data dir holds already

    def take_changes(self, everything: bool = False) -> RegistryChanges:
        """What changed since the last call, as it is now (everything at the first call, unless ``restore``
        filled the registry, or when asked), and start marking afresh."""
        with self._lock:
            self._complete_restores()
            changes = self._changes if self._changes is not None and not everything else self._everything()
            self._changes = _Changes()
            repositories = tuple(
                (name, repository.record if (repository := self._repositories.get(name)) else None, created)
                for name, created in changes.repositories.items()
            )
            images: list[tuple[str, str, ImageView | None, bool]] = []
            for (name, digest), added in changes.images.items():
                held = self._repositories.get(name)
                image = held.images.get(digest) if held is not None else None
                view = ImageView(image, held.tags_of(digest)) if held is not None and image is not None else None
                images.append((name, digest, view, added))
            links: list[tuple[str, str, bool, str | None]] = []
            blobs: dict[str, StoredBlob] = {}
            for name, digest in changes.blob_links:
                held = self._repositories.get(name)
                linked = held is not None and digest in held.blob_links and digest in self._blobs
                links.append((name, digest, linked, held.blob_links[digest] if held is not None and linked else None))
                if linked:
                    blobs[digest] = self._blobs[digest]
            settings = self._settings if changes.settings else None
            return RegistryChanges(settings, tuple(changes.dropped), repositories, tuple(images), tuple(links), blobs)

    def _everything(self) -> _Changes:
        """Every record of the registry marked as new (call with the lock held)."""
        changes = _Changes(settings=True)
        for name, repository in self._repositories.items():
            changes.repositories[name] = True
            changes.images.update(((name, digest), True) for digest in repository.images)
            changes.blob_links.update((name, digest) for digest in repository.blob_links)
        return changes

    def _mark_repository(self, repository_name: str, *, created: bool = False) -> None:
        """Note a repository's record as changed (``created``: new in creation order) for ``take_changes``."""
        if self._changes is not None:
            if created:
                self._changes.repositories.pop(repository_name, None)
            self._changes.repositories[repository_name] = created or self._changes.repositories.get(
                repository_name, False
            )

    def _mark_images(self, repository_name: str, image_digests: Iterable[str], *, added: bool = False) -> None:
        """Note images (their records or tags) as changed, or gone (``added``: new in push order, so after
        every image noted before) for ``take_changes``."""
        if self._changes is not None:
            images = self._changes.images
            for digest in image_digests:
                key = (repository_name, digest)
                if added:
                    images.pop(key, None)
                    images[key] = True
                else:
                    images.setdefault(key, False)

    def _mark_blob_link(self, repository_name: str, digest: str) -> None:
        """Note a blob link as made, changed or removed for ``take_changes``."""
        if self._changes is not None:
            self._changes.blob_links.add((repository_name, digest))

    def replace_blobs(self, blobs: Mapping[str, StoredBlob]) -> None:
        """Hold these blobs in place of those of the same digests (the same bytes, kept elsewhere)."""
        with self._lock:
            for digest, blob in blobs.items():
                if digest in self._blobs:
                    self._blobs[digest] = blob

    @property
    def stored_bytes(self) -> int:
        """Bytes held for blobs and for uploads in progress (for tests of space reclamation)."""
        with self._lock:
            held = sum(blob.size for blob in self._blobs.values())
            return held + sum(upload.size for upload in self._uploads.values())
