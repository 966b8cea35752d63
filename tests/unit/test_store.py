"""A data dir keeps a fake's state across restarts, and a crash leaves nothing torn visible
(``Settings.data_dir``, ``fake-ecr serve --data-dir``; docs/server.md#persistence).

Each kind of state is made through boto3, the fake stopped and a new one started on the same data dir, and
what a client observes compared.  Crashes are real ones: a subprocess killed with SIGKILL mid-write.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_ecr import FakeEcr, Settings, images
from fake_ecr.model import tokens
from fake_ecr.model.blobs import SpilledBlob, StoredBlob
from fake_ecr.model.records import ImageRecord
from fake_ecr.model.store import Codec, DurableBlob, Store, StoreBusy, StoreError
from fake_ecr.scanning.engine import engine_for
from fake_ecr.surfaces import cli, persistence
from fake_ecr.surfaces.cli.options import settings_of

ACCOUNT, OTHER_REGION = "123456789012", "eu-west-1"
KEEP_TWO = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
                "action": {"type": "expire"},
            }
        ]
    }
)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
)
REGISTRY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "replicate",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "ecr:ReplicateImage",
                "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*",
            }
        ],
    }
)
FINDING = {"name": "CVE-2024-0001", "severity": "CRITICAL", "package_name": "openssl", "package_version": "3.0.11-1"}


def settings(data_dir: Path, **options: Any) -> Settings:
    return Settings(data_dir=str(data_dir), region="us-east-1", check_responses=True, **options)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def fake(data_dir: Path) -> Iterator[FakeEcr]:
    with FakeEcr(settings(data_dir)) as fake:
        yield fake


def restarted(fake: FakeEcr) -> FakeEcr:
    """A new fake on ``fake``'s data dir, started after ``fake`` stopped."""
    fake.stop()
    return FakeEcr(fake.settings).start()


def repository_with_image(fake: FakeEcr, **options: Any) -> Any:
    ecr = fake.client()
    ecr.create_repository(repositoryName="app", **options)
    fake.push("app:v1", fake.image(files={"etc/app": "1"}))
    return ecr


# --- what is kept: (make it, observe it) ------------------------------------------------------------------

Make = Callable[[FakeEcr], None]
Observe = Callable[[FakeEcr], object]


def _images(fake: FakeEcr) -> object:
    return fake.client().describe_images(repositoryName="app", filter={"tagStatus": "ANY"})["imageDetails"]


def _tagged_twice(fake: FakeEcr) -> None:
    ecr = repository_with_image(fake)
    manifest = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"]
    ecr.put_image(repositoryName="app", imageManifest=manifest, imageTag="stable")
    fake.push("app:v2", fake.image(files={"etc/app": "2"}))
    fake.push("app:v1", fake.image(files={"etc/app": "3"}))  # moves v1: the first image keeps "stable" alone


def _scanned_with_findings(fake: FakeEcr) -> None:
    repository_with_image(fake, imageScanningConfiguration={"scanOnPush": True})
    fake.set_findings("app:v1", [FINDING])
    fake.complete_scans()


def _scan_findings(fake: FakeEcr) -> Any:
    scan = fake.client().describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    return {key: value for key, value in scan.items() if key != "ResponseMetadata"}


def _findings_set_for_later_scans(fake: FakeEcr) -> None:
    repository_with_image(fake)
    fake.set_findings("app:v1", [FINDING])


def _later_scan(fake: FakeEcr) -> object:
    fake.clock.advance(days=2)  # past the scan quota of the first start
    fake.client().start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    fake.complete_scans()
    findings = _scan_findings(fake)["imageScanFindings"]["findings"]
    return [finding["name"] for finding in findings]


def _repository_settings(fake: FakeEcr) -> None:
    ecr = fake.client()
    ecr.create_repository(
        repositoryName="team/app",
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS"},
        tags=[{"Key": "team", "Value": "a"}],
    )
    ecr.set_repository_policy(repositoryName="team/app", policyText=POLICY)
    ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=KEEP_TWO)
    ecr.start_lifecycle_policy_preview(repositoryName="team/app")


def _repository_view(fake: FakeEcr) -> object:
    ecr = fake.client()
    arn = ecr.describe_repositories()["repositories"][0]["repositoryArn"]
    preview = ecr.get_lifecycle_policy_preview(repositoryName="team/app")
    return (
        ecr.describe_repositories()["repositories"],
        ecr.get_repository_policy(repositoryName="team/app")["policyText"],
        ecr.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"],
        (preview["status"], preview["previewResults"]),
        ecr.list_tags_for_resource(resourceArn=arn)["tags"],
    )


def _registry_settings(fake: FakeEcr) -> None:
    ecr = fake.client()
    ecr.put_registry_policy(policyText=REGISTRY_POLICY)
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "app*", "filterType": "WILDCARD"}]}],
    )
    ecr.create_repository_creation_template(prefix="team", appliedFor=["REPLICATION"], imageTagMutability="IMMUTABLE")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")


def _registry_view(fake: FakeEcr) -> object:
    ecr = fake.client()
    templates = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    return (
        ecr.get_registry_policy()["policyText"],
        ecr.get_registry_scanning_configuration()["scanningConfiguration"],
        templates,
        ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"],
    )


def _replicated(fake: FakeEcr) -> None:
    ecr = fake.client()
    ecr.put_replication_configuration(
        replicationConfiguration={"rules": [{"destinations": [{"region": OTHER_REGION, "registryId": ACCOUNT}]}]}
    )
    repository_with_image(fake)


def _replication_view(fake: FakeEcr) -> object:
    ecr, there = fake.client(), fake.client(region_name=OTHER_REGION)
    digest = there.describe_images(repositoryName="app")["imageDetails"][0]["imageDigest"]
    status = ecr.describe_image_replication_status(repositoryName="app", imageId={"imageDigest": digest})
    return (
        ecr.describe_registry()["replicationConfiguration"],
        status["replicationStatuses"],
        fake.pull("app:v1", region=OTHER_REGION).digest,
    )


def _pinned_clock(fake: FakeEcr) -> None:
    fake.clock.set(1_704_067_200.0)


def _clock_advanced(fake: FakeEcr) -> None:
    fake.clock.advance(days=30)


def _public_repository(fake: FakeEcr) -> None:
    public = fake.client("ecr-public")
    public.create_repository(repositoryName="tool", catalogData={"description": "a tool", "aboutText": "about"})
    public.put_registry_catalog_data(displayName="my tools")


def _public_view(fake: FakeEcr) -> object:
    public = fake.client("ecr-public")
    return (
        public.describe_repositories()["repositories"],
        public.get_repository_catalog_data(repositoryName="tool")["catalogData"],
        public.get_registry_catalog_data()["registryCatalogData"],
    )


def _deleted_and_made_again(fake: FakeEcr) -> None:
    """Repositories and images deleted and made again between saves and within one (a ``flush`` is a save)."""
    ecr = fake.client()
    for name in ("first", "second", "third"):
        ecr.create_repository(repositoryName=name)
    for number in range(3):
        fake.push(f"first:v{number}", fake.image(files={"n": str(number)}))
    ecr.batch_delete_image(repositoryName="first", imageIds=[{"imageTag": "v0"}])
    fake.push("first:v0", fake.image(files={"n": "0"}))  # the same digest again: now last in push order
    fake.push("second:old", fake.image(files={"n": "old"}))
    fake.registry().delete_repository("second", force=True)  # in-process, no request: the next save sees both
    fake.registry().create_repository("second")
    ecr.delete_repository(repositoryName="third")


def _orders(fake: FakeEcr) -> object:
    ecr = fake.client()
    names = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
    pushed = [
        (i["imageDigest"], i.get("imageTags")) for i in ecr.describe_images(repositoryName="first")["imageDetails"]
    ]
    return names, pushed, ecr.describe_images(repositoryName="second")["imageDetails"]


KEPT: list[Any] = [
    pytest.param(_tagged_twice, _images, id="images-and-tags"),
    pytest.param(repository_with_image, lambda fake: fake.pull("app:v1"), id="blobs-pull"),
    pytest.param(_scanned_with_findings, _scan_findings, id="scan-results"),
    pytest.param(_findings_set_for_later_scans, _later_scan, id="findings-set-for-later-scans"),
    pytest.param(_repository_settings, _repository_view, id="repository-policies-lifecycle-tags"),
    pytest.param(_registry_settings, _registry_view, id="registry-settings"),
    pytest.param(_replicated, _replication_view, id="replication"),
    pytest.param(_pinned_clock, lambda fake: fake.clock.now(), id="clock-set"),
    pytest.param(_public_repository, _public_view, id="ecr-public"),
    pytest.param(_deleted_and_made_again, _orders, id="deleted-and-made-again-in-order"),
]


@pytest.mark.parametrize(("make", "observe"), KEPT)
def test_a_restart_finds_the_state_as_it_was(fake: FakeEcr, make: Make, observe: Observe) -> None:
    make(fake)
    before = observe(fake)

    again = restarted(fake)
    try:
        assert observe(again) == before
    finally:
        again.stop()


def test_the_clock_keeps_its_offset(fake: FakeEcr) -> None:
    _clock_advanced(fake)
    ahead = fake.clock.now() - 30 * 86400

    again = restarted(fake)
    try:
        assert again.clock.now() - ahead == pytest.approx(30 * 86400, abs=60)
    finally:
        again.stop()


def test_every_record_comes_back_equal(fake: FakeEcr) -> None:
    for make in (_tagged_twice, _registry_settings, _public_repository):
        make(fake)
    fake.client().put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=KEEP_TWO)
    fake.set_findings("app:v2", [FINDING])

    def state(of: FakeEcr) -> object:
        return (
            [(r.registry_id, r.region, r.snapshot()[0]) for r in of.backend.registries()],
            [(r.registry_id, r.snapshot()[0], r.catalog()) for r in of.backend.public_registries()],
            of.clock.setting,
            engine_for(of.backend, of.settings).results,
        )

    before = state(fake)
    again = restarted(fake)
    try:
        assert state(again) == before
    finally:
        again.stop()


def test_a_reset_empties_the_data_dir_too(fake: FakeEcr) -> None:
    repository_with_image(fake)
    fake.reset()
    fake.flush()

    again = restarted(fake)
    try:
        assert again.client().describe_repositories()["repositories"] == []
        assert list((Path(again.settings.data_dir or "") / "blobs" / "sha256").iterdir()) == []
    finally:
        again.stop()


def test_blobs_are_held_in_files_not_in_memory(fake: FakeEcr, data_dir: Path) -> None:
    repository_with_image(fake)

    _, blobs = fake.registry().snapshot()

    assert blobs and all(isinstance(blob, DurableBlob) for blob in blobs.values())
    assert {blob.digest.partition(":")[2] for blob in blobs.values()} <= set(os.listdir(data_dir / "blobs/sha256"))


def test_a_deleted_repository_s_blobs_are_removed_at_the_next_start(fake: FakeEcr, data_dir: Path) -> None:
    ecr = repository_with_image(fake)
    ecr.delete_repository(repositoryName="app", force=True)

    restarted(fake).stop()

    assert os.listdir(data_dir / "blobs/sha256") == []


def test_a_data_dir_serves_one_fake_at_a_time(fake: FakeEcr, data_dir: Path) -> None:
    with pytest.raises(StoreBusy, match="in use by another fake-ecr"):
        FakeEcr(settings(data_dir)).start()


def test_serve_takes_the_settings_kept_in_the_data_dir_and_flags_win(
    fake: FakeEcr, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FAKE_ECR_SCAN_DELAY", "FAKE_ECR_REGION", "FAKE_ECR_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    fake.stop()
    FakeEcr(settings(data_dir, scan_delay=30.0, restore_delay=5.0)).start().stop()

    kept = persistence.prepare_serve(str(data_dir))
    chosen = settings_of(cli.parse(["serve", "--data-dir", str(data_dir), "--scan-delay", "1"]), kept)

    assert (chosen.scan_delay, chosen.restore_delay, chosen.region) == (1.0, 5.0, "us-east-1")


def test_a_login_from_before_a_restart_still_verifies(data_dir: Path) -> None:
    own_key = tokens.signing_key()
    try:
        persistence.prepare_serve(str(data_dir))  # the first serve keeps its key there
        issued = tokens.issue_token(ACCOUNT, "us-east-1", now=0.0)
        tokens.use_signing_key(b"another process's key".ljust(32, b"."))  # the server restarts...
        assert tokens.read_password(issued.password) is None

        persistence.prepare_serve(str(data_dir))  # ...on the same data dir

        claims = tokens.read_password(issued.password)
        assert claims is not None and (claims.account_id, claims.expires_at) == (ACCOUNT, tokens.TOKEN_LIFETIME)
    finally:
        tokens.use_signing_key(own_key)


@pytest.mark.parametrize(
    "record",
    [
        pytest.param('{"settings": {"$": "Popen"}, "repositories": []}', id="a-type-the-store-keeps-not"),
        pytest.param("{torn", id="not-json"),
    ],
)
def test_a_record_that_can_t_be_read_refuses_the_start(data_dir: Path, record: str) -> None:
    store = Store(data_dir)
    store.write({json.dumps(["registry", f"{ACCOUNT}/us-east-1"]): record})
    store.close()

    for _ in range(2):  # and leaves the data dir free for the next try
        with pytest.raises(StoreError, match=r"can't be read|unknown type"):
            FakeEcr(settings(data_dir)).start()


# --- what a save writes --------------------------------------------------------------------------------


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The keys each ``Store.write`` puts or deletes from now on, one tuple per write (prefix drops end in ",")."""
    written: list[tuple[str, ...]] = []
    original = Store.write

    def write(store: Store, changes: Any, dropped: Any = ()) -> None:
        dropped = list(dropped)
        if changes or dropped:
            written.append((*changes, *dropped))
        original(store, changes, dropped)

    monkeypatch.setattr(Store, "write", write)
    return written


def test_a_push_writes_only_its_own_records(fake: FakeEcr, writes: list[tuple[str, ...]]) -> None:
    ecr = fake.client()
    for name in ("app", "other"):
        ecr.create_repository(repositoryName=name)
    for number in range(5):
        fake.push(f"app:v{number}", fake.image(files={"n": str(number)}))
    writes.clear()

    digest = fake.push("other:v1", fake.image(files={"n": "new"}))

    keys = [json.loads(key) for write in writes for key in write]
    assert {(kind, where, name) for kind, where, name, _ in keys} == {  # nothing of "app", nor "other"'s record
        ("blob-link", f"{ACCOUNT}/us-east-1", "other"),
        ("image", f"{ACCOUNT}/us-east-1", "other"),
    }
    assert [key[3] for key in keys if key[0] == "image"] == [digest]


def test_reads_write_nothing_and_a_setting_its_repository_s_record_alone(
    fake: FakeEcr, writes: list[tuple[str, ...]]
) -> None:
    ecr = repository_with_image(fake)
    writes.clear()

    ecr.describe_images(repositoryName="app")
    ecr.set_repository_policy(repositoryName="app", policyText=POLICY)
    fake.flush()

    assert writes == [(json.dumps(["repository", f"{ACCOUNT}/us-east-1", "app"]),)]


def test_a_write_that_failed_is_made_good_by_the_next(fake: FakeEcr, monkeypatch: pytest.MonkeyPatch) -> None:
    repository_with_image(fake)
    fake.registry().create_repository("later")  # in-process: written by the next save

    def disk_full(store: Store, changes: Any, dropped: Any = ()) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "write", disk_full)
        with pytest.raises(sqlite3.OperationalError):
            fake.flush()
    fake.flush()

    again = restarted(fake)
    try:
        assert [r["repositoryName"] for r in again.client().describe_repositories()["repositories"]] == ["app", "later"]
    finally:
        again.stop()


def test_a_spilled_upload_s_blob_is_renamed_into_the_store_not_read(
    fake: FakeEcr, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.client().create_repository(repositoryName="big")
    image = images.random_layer_image(6 * 1024 * 1024)  # past the 4 MiB an upload holds in memory
    layer = image.layers[0].digest

    def unread(blob: SpilledBlob, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        raise AssertionError(f"{blob.digest} was read to be copied")

    with monkeypatch.context() as patched:
        patched.setattr(SpilledBlob, "read", unread)
        fake.push("big:v1", image)

    assert (data_dir / "blobs/sha256" / layer.partition(":")[2]).stat().st_size == image.layers[0].size
    assert os.listdir(data_dir / "blobs/tmp") == []
    again = restarted(fake)
    try:
        assert again.pull("big:v1").layers[0].data == image.layers[0].data
    finally:
        again.stop()


def test_a_failed_spilled_upload_leaves_no_file(fake: FakeEcr, data_dir: Path) -> None:
    ecr = fake.client()
    ecr.create_repository(repositoryName="big")
    upload = ecr.initiate_layer_upload(repositoryName="big")["uploadId"]
    ecr.upload_layer_part(
        repositoryName="big",
        uploadId=upload,
        partFirstByte=0,
        partLastByte=6 * 1024 * 1024 - 1,
        layerPartBlob=b"x" * 6 * 1024 * 1024,
    )
    assert len(os.listdir(data_dir / "blobs/tmp")) == 1  # spilled where a seal would rename it from

    with pytest.raises(ecr.exceptions.InvalidLayerException):
        ecr.complete_layer_upload(repositoryName="big", uploadId=upload, layerDigests=["sha256:" + "0" * 64])

    assert os.listdir(data_dir / "blobs/tmp") == []


# --- the store itself ------------------------------------------------------------------------------------


def test_the_codec_builds_only_the_types_it_was_given() -> None:
    codec = Codec([ImageRecord])
    record = ImageRecord("sha256:" + "a" * 64, b"{}", "application/vnd.oci.image.manifest.v1+json", 2, 1.5, (), ())

    assert codec.loads(codec.dumps(record)) == record
    with pytest.raises(StoreError, match="unknown type 'Popen'"):
        codec.loads('{"$": "Popen", "args": ["sh"]}')
    with pytest.raises(TypeError, match="keeps no PosixPath"):
        codec.dumps(Path("/"))


def test_a_blob_whose_bytes_do_not_match_its_digest_is_not_kept(data_dir: Path) -> None:
    store = Store(data_dir)
    try:
        with pytest.raises(StoreError, match="do not match its digest"):
            store.keep_blob(StoredBlob("sha256:" + "0" * 64, 3, b"abc", None))
        assert store.blob("sha256:" + "0" * 64) is None
        assert os.listdir(data_dir / "blobs/tmp") == []
    finally:
        store.close()


@pytest.mark.parametrize(
    "digest",
    [
        pytest.param("sha256:../../../outside", id="parent-directories"),
        pytest.param("sha256/../../outside:" + "0" * 64, id="in-the-algorithm"),
        pytest.param("sha256:/etc/passwd", id="absolute"),
        pytest.param("sha256:" + "0" * 64 + "/../x", id="after-the-hex"),
        pytest.param("sha256:" + "A" * 64, id="upper-case-hex"),
    ],
)
def test_a_blob_file_is_named_only_by_a_digest(data_dir: Path, digest: str) -> None:
    store = Store(data_dir)
    try:
        with pytest.raises(StoreError, match="no blob file can be named by digest"):
            store.blob(digest)
        with pytest.raises(StoreError, match="no blob file can be named by digest"):
            store.keep_blob(StoredBlob(digest, 3, b"abc", None))
    finally:
        store.close()
    assert sorted(path.name for path in data_dir.parent.iterdir()) == [data_dir.name]


# --- crashes: a process killed with SIGKILL mid-write ---------------------------------------------------


def killed_while(data_dir: Path, code: str) -> None:
    """Run ``code`` with ``store`` (a Store on ``data_dir``) and ``die()`` (SIGKILL itself) in a subprocess."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        from fake_ecr.model.store import Store
        from fake_ecr.model.blobs import SpilledBlob, StoredBlob
        store = Store(sys.argv[1])
        def die():
            os.kill(os.getpid(), signal.SIGKILL)
        """
    ) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script, str(data_dir)], capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize(
    "crash",
    [
        pytest.param(
            """
            class Torn(StoredBlob):
                def read(self, start=0, end=None):
                    yield b"x" * 1024 * 1024
                    die()
            store.keep_blob(Torn("sha256:" + "1" * 64, 8 * 1024 * 1024, None, None))
            """,
            id="mid-blob-write",
        ),
        pytest.param(
            """
            store._db.execute("BEGIN IMMEDIATE")
            store._db.execute("DELETE FROM records")
            store._db.execute("INSERT INTO records VALUES ('registry/123456789012/us-east-1', '{torn')")
            die()
            """,
            id="mid-transaction",
        ),
    ],
)
def test_a_crash_mid_write_leaves_the_state_before_it(fake: FakeEcr, data_dir: Path, crash: str) -> None:
    repository_with_image(fake)
    before = _images(fake)
    fake.stop()

    killed_while(data_dir, crash)

    again = FakeEcr(fake.settings).start()
    try:
        assert _images(again) == before
        assert again.pull("app:v1").digest == before[0]["imageDigest"]  # type: ignore[index]
        assert os.listdir(data_dir / "blobs/tmp") == []
    finally:
        again.stop()
