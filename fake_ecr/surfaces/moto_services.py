"""moto's other services see the active fake's ECR state, where moto is installed (fake-ecr does not need it).

Owns one patch of moto's ECR backend.  moto's services that read ECR go through moto's own ECR backend,
``moto.ecr.models.ecr_backends[account][region]``.  In moto 4.2 and 5.x the one such read is Lambda's image
check (``CreateFunction`` and ``UpdateFunctionCode`` with ``Code.ImageUri``, when ``MOTO_LAMBDA_STUB_ECR`` is
``FALSE``): ``batch_get_image(repository_name=..., image_ids=[{imageTag|imageDigest}])`` on the function's
account and region, then the first image's manifest (its ``config.size``) and digest.  While a fake is active,
``ECRBackend.batch_get_image`` answers from the fake's registry of that backend's account and region instead of
moto's (which fake-ecr leaves empty: it answers every ECR call itself), so there is one state, the fake's.

The answer has the shape each moto's Lambda reads: moto 4.2 reads BatchGetImage's ``images`` as dicts
(``imageManifest``, ``imageId``), moto 5 as moto's image objects (``image_manifest``, ``image_id``);
``MotoImage`` is both.  A repository the fake lacks raises moto's own ``RepositoryNotFoundException``, and a
missing image is left out of ``images``, so moto's services answer as they do for what moto's backend lacks.
The view only reads: no pull time is recorded, no call is logged in ``fake.calls``.

The other uses of moto's ECR backend are not reads by a service: moto's seeding API for ECR scan findings (the
fake's are ``fake.set_findings``), and CloudFormation's ``AWS::ECR::Repository``, which creates the repository
in moto's backend, where the fake does not see it.

The patch is made at the first activation and undone at the last deactivation; moto is imported then, and
only if it is installed.  Must not import ``fake_ecr.surfaces.handle`` (which uses this module) or werkzeug.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fake_ecr import errors
from fake_ecr.model import Backend, ImageId, Registry
from fake_ecr.model.registry import ACTIVE, IMAGE_INACCESSIBLE_REASON, IMAGE_NOT_FOUND_REASON


class EcrState(Protocol):
    """What the view needs of a fake: its state."""

    @property
    def backend(self) -> Backend: ...


class MotoImage(dict[str, Any]):
    """One image of BatchGetImage's ``images``, readable as moto 4.2's dict and as moto 5's image object."""

    @property
    def image_manifest(self) -> str:
        return str(self["imageManifest"])

    @property
    def image_id(self) -> dict[str, str]:
        return dict(self["imageId"])


def batch_get_image(registry: Registry, repository_name: str, image_ids: Sequence[dict[str, str]]) -> dict[str, Any]:
    """BatchGetImage's ``images`` and ``failures`` from ``registry``, as moto's ECR backend hands them out.

    Raises ``errors.RepositoryNotFound`` for a repository the registry lacks.  An archived image cannot be
    pulled (docs/behaviour/images.md#archive-storage-class), so it is a failure, as in BatchGetImage.
    """
    registry.repository(repository_name)
    images: list[MotoImage] = []
    failures: list[dict[str, Any]] = []
    for image_id in image_ids:
        try:
            view = registry.resolve_image(
                repository_name, ImageId(image_id.get("imageDigest"), image_id.get("imageTag"))
            )
        except errors.ImageNotFound:
            failures.append(
                {"imageId": image_id, "failureCode": "ImageNotFound", "failureReason": IMAGE_NOT_FOUND_REASON}
            )
            continue
        except errors.InvalidParameter as error:  # a malformed digest
            failures.append(
                {"imageId": image_id, "failureCode": "InvalidImageDigest", "failureReason": error.constraint}
            )
            continue
        image = view.image
        if image.image_status != ACTIVE:
            failures.append(
                {"imageId": image_id, "failureCode": "ImageInaccessible", "failureReason": IMAGE_INACCESSIBLE_REASON}
            )
            continue
        found = {"imageDigest": image.image_digest} | (
            {"imageTag": image_id["imageTag"]} if "imageTag" in image_id else {}
        )
        images.append(
            MotoImage(
                registryId=registry.registry_id,
                repositoryName=repository_name,
                imageId=found,
                imageManifest=image.image_manifest.decode(),
                imageManifestMediaType=image.image_manifest_media_type,
            )
        )
    return {"images": images, "failures": failures}


_active: list[EcrState] = []
_lock = threading.Lock()
_undo: list[Callable[[], None]] = []


def _patch_moto() -> Callable[[], None]:
    """Make moto's ``ECRBackend.batch_get_image`` read the latest active fake; returns the undo."""
    try:
        from moto.ecr import models as moto_ecr  # noqa: PLC0415 - moto is optional, and costly to import
        from moto.ecr.exceptions import RepositoryNotFoundException  # noqa: PLC0415
    except ImportError:  # no moto: no other services to show the state to
        return lambda: None
    backend_class = moto_ecr.ECRBackend
    moto_batch_get_image = backend_class.batch_get_image

    def fake_batch_get_image(
        backend: Any,
        repository_name: str,
        registry_id: str | None = None,
        image_ids: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        if not _active:  # a call racing the last deactivation, which is undoing this patch
            return moto_batch_get_image(backend, repository_name, registry_id, image_ids)
        account_id = registry_id or backend.account_id
        registry = _active[-1].backend.registry_or_empty(account_id, backend.region_name)
        try:
            return batch_get_image(registry, repository_name, image_ids or [])
        except errors.RepositoryNotFound:
            raise RepositoryNotFoundException(repository_name, account_id) from None

    setattr(backend_class, "batch_get_image", fake_batch_get_image)  # noqa: B010 - mypy refuses assigning a method

    def undo() -> None:
        setattr(backend_class, "batch_get_image", moto_batch_get_image)  # noqa: B010

    return undo


def activate(fake: EcrState) -> None:
    """Show ``fake``'s state to moto's services (the latest activated fake wins)."""
    with _lock:
        _active.append(fake)
        if len(_active) == 1:
            _undo.append(_patch_moto())


def deactivate(fake: EcrState) -> None:
    with _lock:
        if fake not in _active:
            return
        _active.remove(fake)
        if not _active:
            while _undo:
                _undo.pop()()
