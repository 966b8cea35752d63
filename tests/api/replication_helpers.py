"""Helpers of the replication tests (pushes, deletions, backfills): the registries involved, replication
rules and configurations, images pushed into the source and the images a destination then holds."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from fake_ecr import FakeEcr

from api.helpers import Manifest, image_manifest, put

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
THIRD_ACCOUNT = "333333333333"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
REPO = "team/app"
#: Another region of the same account, and another account in the same region.
CROSS_REGION = {"region": OTHER_REGION, "registryId": ACCOUNT}
CROSS_ACCOUNT = {"region": REGION, "registryId": OTHER_ACCOUNT}


def rule(
    *destinations: dict[str, str], filters: tuple[str, ...] = (), delete: dict[str, bool] | None = None
) -> dict[str, Any]:
    """A ReplicationRule to these destinations, for the repositories the prefix filters match (all without
    one), with ``deleteReplication`` only when given."""
    wire: dict[str, Any] = {"destinations": list(destinations)}
    if filters:
        wire["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    if delete is not None:
        wire["deleteReplication"] = delete
    return wire


def configure(ecr: Any, *rules: dict[str, Any]) -> dict[str, Any]:
    """PutReplicationConfiguration of these rules (none: replication off); returns the echoed configuration."""
    response = ecr.put_replication_configuration(replicationConfiguration={"rules": list(rules)})
    return response["replicationConfiguration"]  # type: ignore[no-any-return]


def pushed(ecr: Any, fake_ecr: FakeEcr, *tags: str, repository: str = REPO, seed: str = "image") -> Manifest:
    """An image PutImage'd into ``repository`` (created if missing) under each of ``tags``, or untagged."""
    if repository not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]:
        ecr.create_repository(repositoryName=repository)
    manifest = image_manifest(fake_ecr, repository, seed)
    for tag in tags or (None,):
        put(ecr, repository, manifest, tag)
    return manifest


def images_in(
    fake_ecr: FakeEcr, registry: dict[str, str], repository: str = REPO, *, missing_ok: bool = False
) -> dict[str, list[str]]:
    """digest -> tags of a registry's repository, as DescribeImages there shows them.

    A missing repository raises RepositoryNotFoundException, or with ``missing_ok`` holds nothing: ``{}``.
    """
    client = fake_ecr.client(region_name=registry["region"])
    try:
        details = client.describe_images(repositoryName=repository, registryId=registry["registryId"], maxResults=1000)
    except ClientError as error:
        if not missing_ok or error.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise
        return {}
    return {d["imageDigest"]: d.get("imageTags", []) for d in details["imageDetails"]}
