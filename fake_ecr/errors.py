"""Domain errors of fake-ecr: what went wrong, as data.

Owns every exception the fake raises on purpose, but for the few only the
registry runs into (``fake_ecr.registry.oci_errors``) and those of library
helpers no surface renders (``fake_ecr.client``, ``fake_ecr.images``,
``fake_ecr.scanning.packages``).  Each error carries the facts (names, digests,
byte offsets) and ECR's own message text for them; it knows nothing of HTTP,
JSON or OCI error codes.  The control plane (``fake_ecr.api.core.ERROR_CODES``,
which names every class here) and the registry (``fake_ecr.registry.oci_errors``)
each render these errors from one lookup table of their own.

Must not import anything from fake_ecr (this is the bottom of the import graph).
Message texts cite their evidence beside them: ECR's wording as AWS documents it or as public threads
quote it (``docs/behaviour/errors.md#messages`` row numbers name the project's table of ECR's error messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar


class EcrError(Exception):
    """Base of every domain error; ``message`` is ECR's wording for it.

    An error whose wording is a fixed sentence over its fields declares it as ``template``, with
    ``str.format`` placeholders naming the fields (``'{repository_name}'``); the few whose wording depends on
    their data compute ``message`` themselves.  A class that does neither is refused when it is defined.
    """

    template: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not hasattr(cls, "template") and cls.message is EcrError.message:
            raise TypeError(f"{cls.__name__} declares neither a message template nor a message")

    @property
    def message(self) -> str:
        """ECR's text for this error."""
        return self.template.format_map(vars(self))

    def __str__(self) -> str:
        return self.message


def _image_id_text(image_digest: str | None, image_tag: str | None) -> str:
    # ECR prints a missing half of an image id as the literal 'null' (docs/behaviour/errors.md#messages #4).
    return f"{{imageDigest:'{image_digest or 'null'}', imageTag:'{image_tag or 'null'}'}}"


# --- request validation -----------------------------------------------------------


@dataclass(eq=False)
class InvalidParameter(EcrError):
    """A request member breaks a constraint (InvalidParameterException, docs/behaviour/errors.md#messages #12-#21)."""

    member: str
    constraint: str

    template = "Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}'"


@dataclass(eq=False)
class InvalidValue(EcrError):
    """A numeric or list member out of range, in AWS's generic validation wording.

    UNCONFIRMED (docs/behaviour/api.md#validation): ECR probably words range errors in the generic
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

    template = "{text}"


@dataclass(eq=False)
class MalformedRequest(EcrError):
    """The request body is not JSON of the modelled types (SerializationException)."""

    text: str

    template = "{text}"


@dataclass(eq=False)
class RequestBodyUnreadable(MalformedRequest):
    """A request body that can't be read off the connection: framing that breaks RFC 9112 §6-§7 (a malformed
    chunk, a bad Content-Length), or a body that ends before its framing says it does.  ``text`` says which."""


@dataclass(eq=False)
class ManifestInvalid(InvalidParameter):
    """A manifest that is not JSON, or whose media type cannot be told (docs/behaviour/errors.md#messages #16, #34)."""

    member: str = "ImageManifest"
    constraint: str = "Invalid JSON syntax"


@dataclass(eq=False)
class ManifestDescriptorInvalid(ManifestInvalid):
    """A manifest with a descriptor the OCI image spec forbids: a size that is no int64 of at least 0, or a
    digest off the digest grammar (image-spec descriptor.md "Properties", "Digests").

    PutImage answers InvalidParameterException with ECR's words for a manifest it refuses; the registry
    MANIFEST_INVALID, the distribution spec's code for a manifest that fails its checks.  UNCONFIRMED: no
    public capture shows ECR refusing such a descriptor.
    """


@dataclass(eq=False)
class InvalidTagParameter(EcrError):
    """A resource tag key or value breaks the tag rules (docs/behaviour/api.md#validation)."""

    text: str

    template = "{text}"


@dataclass(eq=False)
class TooManyTags(EcrError):
    """More than 50 resource tags on one repository (docs/behaviour/api.md#validation,
    docs/behaviour/limits.md#service-quotas)."""

    resource_arn: str
    limit: int = 50

    template = "Tag limit of {limit} exceeded for resource {resource_arn}"


@dataclass(eq=False)
class UnsupportedOperation(EcrError):
    """An operation of ECR's model that this fake does not implement."""

    operation: str

    template = "fake-ecr does not implement the ECR operation {operation}"


# --- repositories ---------------------------------------------------------------


@dataclass(eq=False)
class RepositoryNotFound(EcrError):
    registry_id: str
    repository_name: str

    # docs/behaviour/errors.md#messages #1
    template = "The repository with name '{repository_name}' does not exist in the registry with id '{registry_id}'"


@dataclass(eq=False)
class RepositoryAlreadyExists(EcrError):
    registry_id: str
    repository_name: str

    # docs/behaviour/errors.md#messages #2
    template = "The repository with name '{repository_name}' already exists in the registry with id '{registry_id}'"


@dataclass(eq=False)
class RepositoryNotEmpty(EcrError):
    registry_id: str
    repository_name: str

    # docs/behaviour/errors.md#messages #3 ("in registry", no "the")
    template = (
        "The repository with name '{repository_name}' in registry with id '{registry_id}' cannot be deleted "
        "because it still contains images"
    )


@dataclass(eq=False)
class RepositoryPolicyNotFound(EcrError):
    registry_id: str
    repository_name: str

    # docs/behaviour/errors.md#messages #7
    template = (
        "Repository policy does not exist for the repository with name '{repository_name}' in the registry with "
        "id '{registry_id}'"
    )


@dataclass(eq=False)
class LifecyclePolicyNotFound(EcrError):
    registry_id: str
    repository_name: str

    # docs/behaviour/errors.md#messages #8
    template = (
        "Lifecycle policy does not exist for the repository with name '{repository_name}' in the registry with "
        "id '{registry_id}'"
    )


@dataclass(eq=False)
class RegistryPolicyNotFound(EcrError):
    registry_id: str

    # docs/behaviour/errors.md#messages #9 (moto's wording)
    template = "Registry policy does not exist in the registry with id '{registry_id}'"


@dataclass(eq=False)
class LimitExceeded(EcrError):
    text: str

    template = "{text}"


@dataclass(eq=False)
class TooManyRegistries(EcrError):
    """A write to one registry more than ``Settings.max_registries`` allows: a limit of the fake, not of ECR."""

    registry_id: str
    region: str
    limit: int

    template = (
        "fake-ecr holds at most {limit} registries (Settings.max_registries): the registry of account "
        "{registry_id} in {region} would be one more"
    )


@dataclass(eq=False)
class RequestBodyTooLarge(EcrError):
    """An API request body longer than ECR's largest request can be (``service_model.largest_request_size``)."""

    limit: int
    received: int | None  # the Content-Length claimed; None: counted while a chunked body arrived

    @property
    def message(self) -> str:
        size = f"{self.received} bytes" if self.received is not None else "more bytes"
        return (
            f"The request body holds {size} than the largest ECR request can ({self.limit} bytes, "
            "UploadLayerPart's largest layerPartBlob in base64 inside its JSON)"
        )


@dataclass(eq=False)
class UploadSpaceExhausted(EcrError):
    """A chunk that would take the bytes of every upload in progress past ``Settings.upload_space_limit``:
    a limit of the fake, not of ECR.  The upload it was for is dropped."""

    limit: int

    template = (
        "Uploads in progress would hold more than {limit} bytes (Settings.upload_space_limit): this upload is "
        "dropped; finish or cancel others, or raise the setting"
    )


@dataclass(eq=False)
class UploadFilesExhausted(UploadSpaceExhausted):
    """An upload that would spill to a temporary file while ``Settings.upload_files_limit`` uploads already hold
    one (each keeps a file descriptor open): a limit of the fake, not of ECR, answered as the space limit is.
    The upload it was for is dropped."""

    template = (
        "Uploads in progress would hold more than {limit} temporary files (Settings.upload_files_limit): this "
        "upload is dropped; finish or cancel others, or raise the setting"
    )


@dataclass(eq=False)
class ServerBusy(EcrError):
    """A request beyond a server's ``Settings.max_connections`` or ``max_request_threads``: a limit of the
    fake, not of ECR; the client may retry."""

    setting: str
    limit: int

    template = "fake-ecr is serving {limit} at once (Settings.{setting}): retry later"


# --- images ---------------------------------------------------------------------


@dataclass(eq=False)
class ImageNotFound(EcrError):
    registry_id: str
    repository_name: str
    image_digest: str | None
    image_tag: str | None

    @property
    def message(self) -> str:  # docs/behaviour/errors.md#messages #4
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
    def message(self) -> str:  # docs/behaviour/errors.md#messages #5
        return (
            f"Image with digest '{self.image_digest}' and tag '{self.image_tag or 'null'}' "
            f"already exists in the repository with name '{self.repository_name}' "
            f"in registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class ImageTagAlreadyExists(EcrError):
    repository_name: str
    image_tag: str

    # docs/behaviour/errors.md#messages #6: the registry's sentence, used for the API too
    template = (
        "The image tag '{image_tag}' already exists in the '{repository_name}' repository and cannot be "
        "overwritten because the repository is immutable."
    )


@dataclass(eq=False)
class ImageDigestDoesNotMatch(EcrError):
    registry_id: str
    repository_name: str
    provided_digest: str
    calculated_digest: str

    # UNCONFIRMED wording: ECR's model documents only the condition.
    template = (
        "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The specified digest "
        "{provided_digest} does not match the calculated digest {calculated_digest}'"
    )


@dataclass(eq=False)
class LayersNotFound(EcrError):
    """Blobs a manifest names are missing from the repository (docs/behaviour/errors.md#messages #24)."""

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
    """One blob asked for by digest is not in the repository (docs/behaviour/errors.md#messages #23)."""

    registry_id: str
    repository_name: str
    layer_digest: str

    template = (
        "The layer with digest {layer_digest} does not exist within the repository with name '{repository_name}' "
        "in the registry with id '{registry_id}'"
    )


@dataclass(eq=False)
class ReferencedImagesNotFound(EcrError):
    registry_id: str
    repository_name: str
    image_digests: Sequence[str]

    @property
    def message(self) -> str:
        # UNCONFIRMED wording (docs/behaviour/images.md#image-operations PutImage): modelled on the layers sentence.
        return (
            f"Manifests with digests '[{', '.join(self.image_digests)}]' required for pushing "
            f"image into repository with name '{self.repository_name}' in the registry with id "
            f"'{self.registry_id}' do not exist"
        )


@dataclass(eq=False)
class ImageStorageClassUpdateNotSupported(EcrError):
    """UpdateImageStorageClass asked for a transition ECR does not make (docs/behaviour/images.md#image-operations)."""

    image_digest: str
    target_storage_class: str
    reason: str

    # The model's text for the exception, then why (UNCONFIRMED: ECR's wording is not known).
    template = "The requested image storage class update is not supported: {reason}"


# --- uploads and blobs -----------------------------------------------------------


@dataclass(eq=False)
class UploadNotFound(EcrError):
    registry_id: str
    repository_name: str
    upload_id: str

    # [M:doc UploadNotFoundException]
    template = (
        "The upload with id '{upload_id}' could not be found, or the specified upload ID is not valid for the "
        "repository with name '{repository_name}' in the registry with id '{registry_id}'"
    )


@dataclass(eq=False)
class InvalidLayerPart(EcrError):
    """A part that does not start where the upload left off (docs/behaviour/errors.md#messages #29)."""

    registry_id: str
    repository_name: str
    upload_id: str
    last_valid_byte_received: int
    part_first_byte: int

    @property
    def message(self) -> str:
        return f"First byte of the layer part is {self.part_first_byte} instead of {self.last_valid_byte_received + 1}"


@dataclass(eq=False)
class LayerPartSizeMismatch(InvalidLayerPart):
    """A part whose byte range does not have the length of the bytes sent (docs/behaviour/registry.md#layer-api
    UploadLayerPart, inferred).

    An InvalidLayerPartException like an out-of-order part; UNCONFIRMED wording.
    """

    part_last_byte: int
    part_size: int

    @property
    def message(self) -> str:
        return (
            f"The layer part is {self.part_size} bytes long, but its byte range "
            f"{self.part_first_byte}-{self.part_last_byte} is {self.part_last_byte - self.part_first_byte + 1}"
        )


@dataclass(eq=False)
class InvalidLayer(EcrError):
    """No provided digest matches the bytes uploaded (docs/behaviour/errors.md#messages #29)."""

    calculated_digest: str
    provided_digests: Sequence[str] = field(default_factory=tuple)

    template = "None of the provided layer digests match the calculated layer digest"


@dataclass(eq=False)
class DigestInvalid(EcrError):
    """A string that is not an ``algorithm:hex`` digest where one is required."""

    digest: str

    template = "Invalid digest '{digest}': it should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"


@dataclass(eq=False)
class EmptyUpload(EcrError):
    registry_id: str
    repository_name: str
    upload_id: str

    # UNCONFIRMED wording
    template = "The upload with id '{upload_id}' does not contain any layer parts"


@dataclass(eq=False)
class LayerAlreadyExists(EcrError):
    registry_id: str
    repository_name: str
    layer_digest: str

    # UNCONFIRMED wording
    template = (
        "The layer with digest {layer_digest} already exists in the repository with name '{repository_name}' in "
        "the registry with id '{registry_id}'"
    )


@dataclass(eq=False)
class LayerPartTooSmall(EcrError):
    # docs/behaviour/errors.md#messages #22
    template = "All layer parts except the last part should be at least 5MB"


@dataclass(eq=False)
class LayerInaccessible(EcrError):
    registry_id: str
    repository_name: str
    layer_digest: str

    # UNCONFIRMED wording
    template = (
        "The layer with digest {layer_digest} is not referenced by any image in the repository with name "
        "'{repository_name}' in the registry with id '{registry_id}'"
    )


# --- lifecycle policy previews ---------------------------------------------------


@dataclass(eq=False)
class LifecyclePolicyPreviewNotFound(EcrError):
    """GetLifecyclePolicyPreview before any preview was started (docs/behaviour/lifecycle.md#lifecycle-operations)."""

    registry_id: str
    repository_name: str

    # The model's documentation of LifecyclePolicyPreviewNotFoundException
    # (docs/behaviour/lifecycle.md#lifecycle-operations); ECR's own wording is UNCONFIRMED.
    template = "There is no dry run for this repository"


@dataclass(eq=False)
class LifecyclePolicyPreviewInProgress(EcrError):
    """StartLifecyclePolicyPreview while the repository's previous preview has not completed
    (docs/behaviour/lifecycle.md#preview)."""

    registry_id: str
    repository_name: str

    # The model's documentation of the exception; ECR's own wording is UNCONFIRMED.
    template = "The previous lifecycle policy preview request has not completed. Wait and try again."


# --- image scanning --------------------------------------------------------------


@dataclass(eq=False)
class ScanNotFound(EcrError):
    """DescribeImageScanFindings of an image never scanned (ScanNotFoundException,
    docs/behaviour/scanning.md#scanning-operations)."""

    registry_id: str
    repository_name: str
    image_digest: str | None
    image_tag: str | None

    @property
    def message(self) -> str:  # docs/behaviour/errors.md#messages #10 (moto's wording, one user log of the same shape)
        image_id = _image_id_text(self.image_digest, self.image_tag)
        return (
            f"Image scan does not exist for the image with '{image_id}' "
            f"in the repository with name '{self.repository_name}' in the registry with id '{self.registry_id}'"
        )


@dataclass(eq=False)
class UnsupportedImageType(EcrError):
    """StartImageScan of a manifest list/index or a non-image artifact (docs/behaviour/scanning.md#scanning-operations,
    docs/behaviour/scanning.md#scan-statuses)."""

    image_digest: str
    image_manifest_media_type: str
    artifact_media_type: str | None

    # UNCONFIRMED: the model's text for UnsupportedImageTypeException
    template = "The image is of a type that cannot be scanned."


@dataclass(eq=False)
class ImageArchived(EcrError):
    """StartImageScan of an image in the archive storage class (docs/behaviour/images.md#archive-storage-class)."""

    image_digest: str

    # UNCONFIRMED: the model's text for ImageArchivedException
    template = "The specified image is archived and cannot be scanned."


# --- pull through cache rules ----------------------------------------------------


@dataclass(eq=False)
class PullThroughCacheRuleAlreadyExists(EcrError):
    ecr_repository_prefix: str

    # [M:doc PullThroughCacheRuleAlreadyExistsException]; ECR's text UNCONFIRMED
    template = "A pull through cache rule with these settings already exists for the private registry."


@dataclass(eq=False)
class PullThroughCacheRuleNotFound(EcrError):
    ecr_repository_prefix: str

    # [M:doc PullThroughCacheRuleNotFoundException]; ECR's text UNCONFIRMED
    template = "The pull through cache rule was not found. Specify a valid pull through cache rule and try again."


@dataclass(eq=False)
class UnsupportedUpstreamRegistry(EcrError):
    """A URL of no supported upstream registry, or an upstream that needs a credential and got none."""

    upstream_registry_url: str
    credential_missing: bool = False

    @property
    def message(self) -> str:
        if self.credential_missing:
            # aws-controllers-k8s/community#2589 quotes ECR's text up to "ARN"; the end is UNCONFIRMED,
            # modelled on the invalid URL's.
            return (
                "The specified upstream registry requires authentication. "
                "Specify a valid Secrets Manager ARN and try again"
            )
        # goharbor/harbor#20174 (ECR's text).
        return (
            f"The upstream registry URL {self.upstream_registry_url} is invalid. "
            f"Specify a valid upstream registry URL and try again"
        )


@dataclass(eq=False)
class UnableToGetUpstreamImage(EcrError):
    repository_name: str
    upstream_registry_url: str

    # [M:doc UnableToGetUpstreamImageException], first sentence; UNCONFIRMED
    template = "The image or images were unable to be pulled using the pull through cache rule."


# --- repository creation templates -----------------------------------------------


@dataclass(eq=False)
class TemplateAlreadyExists(EcrError):
    prefix: str

    # [M:doc TemplateAlreadyExistsException]; ECR's own text UNCONFIRMED
    template = "The repository creation template already exists. Specify a unique prefix and try again."


@dataclass(eq=False)
class TemplateNotFound(EcrError):
    prefix: str

    # [M:doc TemplateNotFoundException]; ECR's own text UNCONFIRMED
    template = (
        "The specified repository creation template can't be found. Verify the registry ID and prefix and try again."
    )


# --- managed signing -------------------------------------------------------------


@dataclass(eq=False)
class SigningConfigurationNotFound(EcrError):
    """GetSigningConfiguration or DeleteSigningConfiguration with none stored
    (docs/behaviour/images.md#managed-signing)."""

    registry_id: str

    # UNCONFIRMED wording, in the shape of RegistryPolicyNotFoundException's (docs/behaviour/errors.md#messages #9).
    template = "Signing configuration does not exist in the registry with id '{registry_id}'"


# --- pull-time update exclusions -------------------------------------------------


@dataclass(eq=False)
class ExclusionAlreadyExists(EcrError):
    """RegisterPullTimeUpdateExclusion of a principal already on the list
    (docs/behaviour/images.md#pull-time-update-exclusions)."""

    registry_id: str
    principal_arn: str

    # UNCONFIRMED wording, in the shape of ECR's "... does not exist in the registry with id"
    # (docs/behaviour/errors.md#messages #9).
    template = (
        "Pull time update exclusion for the principal '{principal_arn}' already exists in the registry with id "
        "'{registry_id}'"
    )


@dataclass(eq=False)
class ExclusionNotFound(EcrError):
    """DeregisterPullTimeUpdateExclusion of a principal not on the list
    (docs/behaviour/images.md#pull-time-update-exclusions)."""

    registry_id: str
    principal_arn: str

    # UNCONFIRMED wording, as above.
    template = (
        "Pull time update exclusion for the principal '{principal_arn}' does not exist in the registry with id "
        "'{registry_id}'"
    )


# --- replication backfills ---------------------------------------------------------
# The model documents when each of these is raised, not ECR's wording: every text below is UNCONFIRMED,
# written in the shape of ECR's confirmed "... in the registry with id '...'" sentences.


@dataclass(eq=False)
class ReplicationDestinationNotConfigured(EcrError):
    """StartReplicationBackfill to a destination no rule of the replication configuration names.

    botocore's ECR model (StartReplicationBackfill): "The destination must already be configured in
    the registry's replication configuration"; fake-ecr answers ValidationException (best reading).
    """

    registry_id: str
    region: str
    destination_registry_id: str

    template = (
        "The destination with region '{region}' and registry id '{destination_registry_id}' is not in the "
        "replication configuration of the registry with id '{registry_id}'"
    )


@dataclass(eq=False)
class ForeignRegistryBackfill(EcrError):
    """A replication backfill call naming another account's registry (ValidationException).

    Best reading, not documented: a backfill follows a registry's replication configuration, which only
    the registry's own account sets (PutReplicationConfiguration takes no registryId).
    """

    registry_id: str
    account_id: str

    template = (
        "Replication backfills can only be managed in the caller's own registry: the registry with id "
        "'{registry_id}' does not belong to the account '{account_id}'"
    )


@dataclass(eq=False)
class ReplicationBackfillInProgress(EcrError):
    """StartReplicationBackfill while a backfill to the same destination Region is in progress."""

    registry_id: str
    region: str
    replication_backfill_id: str

    template = (
        "A replication backfill is already in progress for the destination Region '{region}' in the registry "
        "with id '{registry_id}'"
    )


@dataclass(eq=False)
class TooManyReplicationBackfills(EcrError):
    """StartReplicationBackfill while the registry has its limit of backfills in progress (LimitExceededException)."""

    registry_id: str
    limit: int

    template = (
        "The registry with id '{registry_id}' already has {limit} replication backfills in progress, the most a "
        "registry can have at once"
    )


@dataclass(eq=False)
class ReplicationBackfillNotFound(EcrError):
    """StopReplicationBackfill or DescribeReplicationBackfillResults of an id the registry does not have."""

    registry_id: str
    replication_backfill_id: str

    template = (
        "The replication backfill with id '{replication_backfill_id}' does not exist in the registry with id "
        "'{registry_id}'"
    )


@dataclass(eq=False)
class ReplicationBackfillInvalidStatus(EcrError):
    """StopReplicationBackfill of a backfill that has already reached a terminal status."""

    registry_id: str
    replication_backfill_id: str
    status: str

    template = (
        "The replication backfill with id '{replication_backfill_id}' in the registry with id '{registry_id}' "
        "cannot be stopped because its status is {status}"
    )


# --- ECR Public ------------------------------------------------------------------------


@dataclass(eq=False)
class RegionNotServed(EcrError):
    """An ECR Public call in a region other than us-east-1, its only endpoint
    (https://docs.aws.amazon.com/general/latest/gr/ecr-public.html; docs/behaviour/public.md#public-operations).

    Real clients never get this far (the host ``api.ecr-public.<region>.amazonaws.com`` does not resolve);
    a request that reaches fake-ecr's server anyway is answered with UnsupportedCommandException, the
    model's exception for "The action isn't supported in this Region" (the text, from botocore's
    ``ecr-public`` model, is UNCONFIRMED as ECR Public's wording).
    """

    region: str

    @property
    def message(self) -> str:
        return "The action isn't supported in this Region."


@dataclass(eq=False)
class RegistryNotFound(EcrError):
    """A ``registryId`` (an account or an alias) naming no public registry (RegistryNotFoundException).

    UNCONFIRMED wording: the model's documentation of the exception, "The registry doesn't exist."
    (docs/behaviour/public.md#public-operations)
    """

    registry_id: str

    @property
    def message(self) -> str:
        return "The registry doesn't exist."


# --- permissions ----------------------------------------------------------------------


@dataclass(eq=False)
class AccessDenied(EcrError):
    """A request the repository or registry policy does not let its principal make (Settings.enforce_policies).

    AWS's wording: the implicit denial ("because no resource-based policy allows the ecr:DescribeImages
    action") as ECR reported it in ministryofjustice/modernisation-platform#4454 and, through docker's
    ``denied:``, in everything2/everything2#2562; the explicit one as IAM's guide "Troubleshoot access
    denied error messages" spells it (UNCONFIRMED from ECR itself).  ``undecidable`` names what fake-ecr
    could not evaluate (a condition key it cannot supply) when that decided the outcome.
    """

    principal_arn: str
    action: str
    resource: str
    explicit: bool
    undecidable: str | None = None

    @property
    def message(self) -> str:
        reason = (
            "with an explicit deny in a resource-based policy"
            if self.explicit
            else f"because no resource-based policy allows the {self.action} action"
        )
        text = (
            f"User: {self.principal_arn} is not authorized to perform: {self.action} "
            f"on resource: {self.resource} {reason}"
        )
        if self.undecidable is None:
            return text
        outcome = "to apply" if self.explicit else "not to apply"
        return f"{text} (fake-ecr cannot evaluate {self.undecidable} and takes the statement {outcome})"
