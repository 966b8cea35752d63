"""Both planes at once from many threads: pushes, tag moves, deletes, lifecycle runs and reads, in-process and
over HTTP, with replication on.  No thread may hang (a deadlock fails the test instead of hanging it), no
answer may be a 5xx or leave anything in ``internal_errors``, every answer read mid-flight is consistent in
itself, and afterwards every surface agrees: the same checks as the state-machine test, against the state
DescribeImages reports, plus "nothing pushed to a repository no one deletes from is missing".
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from fake_ecr import FakeEcr
from fake_ecr.client import RegistryRequestFailed

from .helpers import ACCEPT, POOL, Wire, described, sha256
from .model import ModelRepository, check_agreement

#: Pushed to, never deleted from: everything pushed there must be there at the end.
KEPT = "kept"
#: Pushed to, retagged, deleted from, expired by lifecycle, force-deleted and created again.
CHURNED = ("churn/a", "churn/b")
DESTINATION = "eu-west-1"
TAGS = ("latest", "v1", "v2")
THREADS = 6
STEPS = 60
#: Seconds every thread together may take; a thread still running then is taken as a deadlock.
JOIN_TIMEOUT = 120.0
#: What a step may meet because another thread got there first.
RACE_CODES = {
    "RepositoryNotFoundException",
    "RepositoryAlreadyExistsException",
    "RepositoryNotEmptyException",
    "ImageAlreadyExistsException",
    "ImageNotFoundException",
    "LayersNotFoundException",
    "ReferencedImagesNotFoundException",
}


@dataclass
class Kept:
    """What pushes to KEPT succeeded with: every image, and the images pushed under each tag."""

    images: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=dict)


class Worker:
    """One thread's steps, chosen by its own seeded random generator."""

    def __init__(self, fake: FakeEcr, ecr: Any, seed: int, kept: Kept, lock: threading.Lock) -> None:
        self.fake, self.ecr, self.random = fake, ecr, random.Random(seed)
        self.wire = Wire(fake)
        self.kept, self.kept_lock = kept, lock
        self.failures: list[str] = []

    def run(self) -> None:
        steps: list[Callable[[], None]] = [
            self.push_kept,
            self.push_churned,
            self.put_image_churned,
            self.delete_churned,
            self.read,
            self.read,
            self.run_lifecycle,
            self.recreate_churned,
        ]
        for _ in range(STEPS):
            step = self.random.choice(steps)
            try:
                step()
            except ClientError as error:
                code = error.response["Error"]["Code"]
                status = error.response["ResponseMetadata"]["HTTPStatusCode"]
                if code not in RACE_CODES or status >= 500:
                    self.failures.append(f"{step.__name__}: {code} {status} {error}")
            except RegistryRequestFailed as error:
                if error.status >= 500:
                    self.failures.append(f"{step.__name__}: {error}")
            except Exception as error:  # noqa: BLE001 - anything else is the failure being looked for
                self.failures.append(f"{step.__name__}: {error!r}")

    def push_kept(self) -> None:
        """A push that may fail only as a race allows: a lifecycle run elsewhere may collect its blobs before
        its manifest arrives (a blob no image references "may be garbage-collected at any time")."""
        image, tag = self.random.choice(POOL), self.random.choice(TAGS)
        self.fake.push(f"{KEPT}:{tag}", image)
        with self.kept_lock:
            self.kept.images.add(image.digest)
            self.kept.tags.setdefault(tag, set()).add(image.digest)

    def push_churned(self) -> None:
        image, name = self.random.choice(POOL), self.random.choice(CHURNED)
        tag = self.random.choice((*TAGS, None))
        self.fake.push(f"{name}:{tag}" if tag else f"{name}@{image.digest}", image)

    def put_image_churned(self) -> None:
        image, name = self.random.choice(POOL), self.random.choice(CHURNED)
        self.fake.push_blobs(name, image.blobs())
        self.ecr.put_image(
            repositoryName=name, imageManifest=image.manifest.decode(), imageTag=self.random.choice(TAGS)
        )

    def delete_churned(self) -> None:
        name = self.random.choice(CHURNED)
        image_id = (
            {"imageTag": self.random.choice(TAGS)}
            if self.random.random() < 0.5
            else {"imageDigest": self.random.choice(POOL).digest}
        )
        if self.random.random() < 0.5:
            self.ecr.batch_delete_image(repositoryName=name, imageIds=[image_id])
        else:
            answer = self.wire.request("DELETE", f"/v2/{name}/manifests/{next(iter(image_id.values()))}")
            assert answer.status in (202, 400, 404), answer

    def recreate_churned(self) -> None:
        name = self.random.choice(CHURNED)
        self.ecr.delete_repository(repositoryName=name, force=True)
        self.ecr.create_repository(repositoryName=name)
        self.put_policy(name)

    def put_policy(self, name: str) -> None:
        rule = {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
        }
        policy = {"rules": [{**rule, "action": {"type": "expire"}}]}
        self.ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(policy))

    def run_lifecycle(self) -> None:
        self.fake.run_lifecycle()

    def read(self) -> None:
        """Every answer is consistent in itself, whatever the other threads are doing."""
        name = self.random.choice((KEPT, *CHURNED))
        seen = described(self.ecr, name, page_size=1000)  # one answer: pages may come from different moments
        tags = [tag for image in seen.values() for tag in image.tags]
        if len(tags) != len(set(tags)):
            self.failures.append(f"DescribeImages of {name} shows a tag on two images: {seen}")
        if seen:
            ids = [{"imageDigest": digest} for digest in seen]
            answer = self.ecr.batch_get_image(repositoryName=name, imageIds=ids, acceptedMediaTypes=list(ACCEPT))
            for image in answer["images"]:
                if sha256(image["imageManifest"].encode()) != image["imageId"]["imageDigest"]:
                    self.failures.append(f"BatchGetImage of {name} answered a manifest under another digest")
        tag = self.random.choice(TAGS)
        answer = self.wire.request("GET", f"/v2/{name}/manifests/{tag}", headers={"Accept": ", ".join(ACCEPT)})
        if answer.status == 200 and answer.headers["Docker-Content-Digest"] != sha256(answer.body):
            self.failures.append(f"GET {name}:{tag} answered a manifest under another digest")
        elif answer.status not in (200, 404):
            self.failures.append(f"GET {name}:{tag} answered {answer.status}: {answer.body[:300]!r}")


def model_of(ecr: Any, name: str) -> ModelRepository:
    """The repository as DescribeImages shows it, for checking every other surface against."""
    repository = ModelRepository()
    for order, (digest, seen) in enumerate(described(ecr, name).items()):
        repository.images[digest] = order
        repository.tags.update(dict.fromkeys(seen.tags, digest))
    return repository


def test_threads_on_both_planes_leave_a_consistent_state(fake_ecr: FakeEcr) -> None:
    ecr = fake_ecr.client()
    for name in (KEPT, *CHURNED):
        ecr.create_repository(repositoryName=name)
    destination = {"region": DESTINATION, "registryId": fake_ecr.settings.account_id}
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": [destination]}]})
    kept = Kept()
    kept_lock = threading.Lock()
    # Half the threads go through the HTTP server, half in-process; each has its own client.
    workers = [
        Worker(fake_ecr, fake_ecr.client(http=n % 2 == 1), seed=n, kept=kept, lock=kept_lock) for n in range(THREADS)
    ]
    for name in CHURNED:
        workers[0].put_policy(name)
    threads = [threading.Thread(target=worker.run, name=f"worker-{n}", daemon=True) for n, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, ends - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{stuck} still running after {JOIN_TIMEOUT} s: a deadlock?"

    assert not fake_ecr.internal_errors, fake_ecr.internal_errors
    assert [failure for worker in workers for failure in worker.failures] == []

    kept_repository = model_of(ecr, KEPT)
    assert set(kept_repository.images) == kept.images, (
        f"an image pushed to {KEPT} is missing, or one never pushed is there"
    )
    assert set(kept_repository.tags) == set(kept.tags)
    for tag, digest in kept_repository.tags.items():
        assert digest in kept.tags[tag], f"{KEPT}:{tag} names {digest}, never pushed under that tag"

    for region_ecr, wire in (
        (ecr, Wire(fake_ecr)),
        (fake_ecr.client(region_name=DESTINATION), Wire(fake_ecr, DESTINATION)),
    ):
        names = {r["repositoryName"] for r in region_ecr.describe_repositories()["repositories"]}
        check_agreement(region_ecr, wire, {name: model_of(region_ecr, name) for name in names})
