"""The state of a fake ECR: registries, repositories, images, tags, blobs, uploads.

Thread-safe, HTTP-free: nothing here imports werkzeug, botocore or the
surfaces above (``fake_ecr.api``, ``fake_ecr.registry``).
"""

from fake_ecr.model.backend import Backend
from fake_ecr.model.blobs import BlobInfo, StoredBlob, UploadSession
from fake_ecr.model.indexes import ImageSelection
from fake_ecr.model.records import (
    ImageFailure,
    ImageId,
    ImageRecord,
    ImageView,
    RegistrySettings,
    RepositoryRecord,
    ScanningRule,
    TagMutabilityFilter,
)
from fake_ecr.model.registry import Deletion, PutImageResult, Registry

__all__ = [
    "Backend",
    "BlobInfo",
    "Deletion",
    "ImageFailure",
    "ImageId",
    "ImageRecord",
    "ImageSelection",
    "ImageView",
    "PutImageResult",
    "Registry",
    "RegistrySettings",
    "RepositoryRecord",
    "ScanningRule",
    "StoredBlob",
    "TagMutabilityFilter",
    "UploadSession",
]
