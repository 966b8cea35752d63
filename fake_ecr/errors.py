"""Domain errors of fake-ecr: what went wrong, as data.

Owns every exception the fake raises on purpose.  Each error carries the facts
(names, digests, byte offsets) and ECR's own message text for them; it knows
nothing of HTTP, JSON or OCI error codes.  The control plane (``fake_ecr.api``)
and the registry (``fake_ecr.registry``) each render these errors from one
lookup table of their own.

Must not import anything from fake_ecr (this is the bottom of the import graph).
Message texts cite ``shared/reference/ecr-behaviour.md`` §3 by row number.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field


class EcrError(Exception, metaclass=ABCMeta):
    """Base of every domain error; ``message`` is ECR's wording for it."""

    @property
    @abstractmethod
    def message(self) -> str:
        """ECR's text for this error."""

    def __str__(self) -> str:
        return self.message


def _image_id_text(image_digest: str | None, image_tag: str | None) -> str:
    # ECR prints a missing half of an image id as the literal 'null' (§3 #4).
    return f"{{imageDigest:'{image_digest or 'null'}', imageTag:'{image_tag or 'null'}'}}"


# --- request validation -----------------------------------------------------------


@dataclass(eq=False)
class InvalidParameter(EcrError):
    """A request member breaks a constraint (InvalidParameterException, §3 #12-#21)."""

    member: str
    constraint: str

    @property
    def message(self) -> str:
        return f"Invalid parameter at '{self.member}' failed to satisfy constraint: '{self.constraint}'"


@dataclass(eq=False)
class InvalidValue(EcrError):
    """A numeric or list member out of range, in AWS's generic validation wording.

    UNCONFIRMED (§1.2): ECR probably words range errors in the generic
    ``1 validation error detected`` form; it still answers InvalidParameterException.
    """

    member: str
    value: object
    rule: str

    @property
    def message(self) -> str:
        value = "null" if self.value is None else f"'{self.value}'"
        return (
            f"1 validation error detected: Value {value} at '{self.member}' "
            f"failed to satisfy constraint: Member must {self.rule}"
        )


@dataclass(eq=False)
class ValidationFailed(EcrError):
    """ValidationException: the newer APIs' way of refusing a request."""

    text: str

    @property
    def message(self) -> str:
        return self.text


@dataclass(eq=False)
class MalformedRequest(EcrError):
    """The request body is not JSON of the modelled types (SerializationException)."""

    text: str

    @property
    def message(self) -> str:
        return self.text


@dataclass(eq=False)
class ManifestInvalid(InvalidParameter):
    """A manifest that is not JSON, or whose media type cannot be told (§3 #16, #34)."""

    member: str = "ImageManifest"
    constraint: str = "Invalid JSON syntax"


@dataclass(eq=False)
class InvalidTagParameter(EcrError):
    """A resource tag key or value breaks the tag rules (§1.2)."""

    text: str

    @property
    def message(self) -> str:
        return self.text


@dataclass(eq=False)
class TooManyTags(EcrError):
    """More than 50 resource tags on one repository (§1.2, §8)."""

    resource_arn: str
    limit: int = 50

    @property
    def message(self) -> str:
        return f"Tag limit of {self.limit} exceeded for resource {self.resource_arn}"


@dataclass(eq=False)
class UnsupportedOperation(EcrError):
    """An operation of ECR's model that this fake does not implement."""

    operation: str

    @property
    def message(self) -> str:
        return f"fake-ecr does not implement the ECR operation {self.operation}"


# --- repositories ---------------------------------------------------------------


@dataclass(eq=False)
class RepositoryNotFound(EcrError):
    registry_id: str
    repository_name: str

    @property
    def message(self) -> str:  # §3 #1
        return (
            f"The repository with name '{self.repository_name}' does not exist "
            f"in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class RepositoryAlreadyExists(EcrError):
    registry_id: str
    repository_name: str

    @property
    def message(self) -> str:  # §3 #2
        return (
            f"The repository with name '{self.repository_name}' already exists "
            f"in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class RepositoryNotEmpty(EcrError):
    registry_id: str
    repository_name: str

    @property
    def message(self) -> str:  # §3 #3 ("in registry", no "the")
        return (
            f"The repository with name '{self.repository_name}' in registry with id "
            f"'{self.registry_id}' cannot be deleted because it still contains images"
        )


@dataclass(eq=False)
class RepositoryPolicyNotFound(EcrError):
    registry_id: str
    repository_name: str

    @property
    def message(self) -> str:  # §3 #7
        return (
            f"Repository policy does not exist for the repository with name "
            f"'{self.repository_name}' in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class LifecyclePolicyNotFound(EcrError):
    registry_id: str
    repository_name: str

    @property
    def message(self) -> str:  # §3 #8
        return (
            f"Lifecycle policy does not exist for the repository with name "
            f"'{self.repository_name}' in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class RegistryPolicyNotFound(EcrError):
    registry_id: str

    @property
    def message(self) -> str:  # §3 #9 (moto's wording)
        return f"Registry policy does not exist in the registry with id '{self.registry_id}'"


@dataclass(eq=False)
class LimitExceeded(EcrError):
    text: str

    @property
    def message(self) -> str:
        return self.text


# --- images ---------------------------------------------------------------------


@dataclass(eq=False)
class ImageNotFound(EcrError):
    registry_id: str
    repository_name: str
    image_digest: str | None
    image_tag: str | None

    @property
    def message(self) -> str:  # §3 #4
        return (
            f"The image with imageId {_image_id_text(self.image_digest, self.image_tag)} "
            f"does not exist within the repository with name '{self.repository_name}' "
            f"in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class ImageAlreadyExists(EcrError):
    registry_id: str
    repository_name: str
    image_digest: str
    image_tag: str | None

    @property
    def message(self) -> str:  # §3 #5
        return (
            f"Image with digest '{self.image_digest}' and tag '{self.image_tag or 'null'}' "
            f"already exists in the repository with name '{self.repository_name}' "
            f"in registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class ImageTagAlreadyExists(EcrError):
    repository_name: str
    image_tag: str

    @property
    def message(self) -> str:  # §3 #6: the registry's sentence, used for the API too
        return (
            f"The image tag '{self.image_tag}' already exists in the '{self.repository_name}' "
            f"repository and cannot be overwritten because the repository is immutable."
        )


@dataclass(eq=False)
class ImageDigestDoesNotMatch(EcrError):
    registry_id: str
    repository_name: str
    provided_digest: str
    calculated_digest: str

    @property
    def message(self) -> str:
        # UNCONFIRMED wording: ECR's model documents only the condition.
        return (
            f"Invalid parameter at 'imageDigest' failed to satisfy constraint: "
            f"'The specified digest {self.provided_digest} does not match the calculated "
            f"digest {self.calculated_digest}'"
        )


@dataclass(eq=False)
class LayersNotFound(EcrError):
    """Blobs a manifest names are missing from the repository (§3 #24)."""

    registry_id: str
    repository_name: str
    layer_digests: Sequence[str]

    @property
    def message(self) -> str:
        return (
            f"Layers with digests '[{', '.join(self.layer_digests)}]' required for pushing image "
            f"into repository with name '{self.repository_name}' in the registry with id "
            f"'{self.registry_id}' do not exist"
        )


@dataclass(eq=False)
class LayerNotFound(EcrError):
    """One blob asked for by digest is not in the repository (§3 #23)."""

    registry_id: str
    repository_name: str
    layer_digest: str

    @property
    def message(self) -> str:
        return (
            f"The layer with digest {self.layer_digest} does not exist within the repository "
            f"with name '{self.repository_name}' in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class ReferencedImagesNotFound(EcrError):
    registry_id: str
    repository_name: str
    image_digests: Sequence[str]

    @property
    def message(self) -> str:
        # UNCONFIRMED wording (§2.2 PutImage): modelled on the layers sentence.
        return (
            f"Manifests with digests '[{', '.join(self.image_digests)}]' required for pushing "
            f"image into repository with name '{self.repository_name}' in the registry with id "
            f"'{self.registry_id}' do not exist"
        )


# --- uploads and blobs -----------------------------------------------------------


@dataclass(eq=False)
class UploadNotFound(EcrError):
    registry_id: str
    repository_name: str
    upload_id: str

    @property
    def message(self) -> str:  # [M:doc UploadNotFoundException]
        return (
            f"The upload with id '{self.upload_id}' could not be found, or the specified upload "
            f"ID is not valid for the repository with name '{self.repository_name}' in the "
            f"registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class InvalidLayerPart(EcrError):
    """A part that does not start where the upload left off (§3 #29)."""

    registry_id: str
    repository_name: str
    upload_id: str
    last_valid_byte_received: int
    part_first_byte: int

    @property
    def message(self) -> str:
        return f"First byte of the layer part is {self.part_first_byte} instead of {self.last_valid_byte_received + 1}"


@dataclass(eq=False)
class InvalidLayer(EcrError):
    """No provided digest matches the bytes uploaded (§3 #29)."""

    calculated_digest: str
    provided_digests: Sequence[str] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        return "None of the provided layer digests match the calculated layer digest"


@dataclass(eq=False)
class DigestInvalid(EcrError):
    """A string that is not an ``algorithm:hex`` digest where one is required."""

    digest: str

    @property
    def message(self) -> str:
        return f"Invalid digest '{self.digest}': it should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"


@dataclass(eq=False)
class EmptyUpload(EcrError):
    registry_id: str
    repository_name: str
    upload_id: str

    @property
    def message(self) -> str:  # UNCONFIRMED wording
        return f"The upload with id '{self.upload_id}' does not contain any layer parts"


@dataclass(eq=False)
class LayerAlreadyExists(EcrError):
    registry_id: str
    repository_name: str
    layer_digest: str

    @property
    def message(self) -> str:  # UNCONFIRMED wording
        return (
            f"The layer with digest {self.layer_digest} already exists in the repository with "
            f"name '{self.repository_name}' in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class LayerPartTooSmall(EcrError):
    @property
    def message(self) -> str:  # §3 #22
        return "All layer parts except the last part should be at least 5MB"


@dataclass(eq=False)
class LayerInaccessible(EcrError):
    registry_id: str
    repository_name: str
    layer_digest: str

    @property
    def message(self) -> str:  # UNCONFIRMED wording
        return (
            f"The layer with digest {self.layer_digest} is not referenced by any image in the "
            f"repository with name '{self.repository_name}' in the registry with id "
            f"'{self.registry_id}'"
        )
