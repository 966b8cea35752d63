"""Control-plane latency: fake-ecr in-process next to moto's ``mock_aws``, in one run.

Measures, through boto3 on both sides, the per-call latency of create_repository, put_image,
describe_images (on 10 and on 1000 images), batch_get_image and list_images, and the cost of one
test's cycle (fresh state, first client, first call, teardown).  Prints the medians, the ratio
fake-ecr / moto and the target for each; exits 1 when a target is missed.

    python bench/bench_api.py                       # the table
    python bench/bench_api.py --profile put_image   # cProfile of fake-ecr's side of one row
    python bench/bench_api.py --data-dir            # the cost of Settings.data_dir: fake-ecr with one / without

With ``--data-dir`` the peer is fake-ecr itself in memory (the default), and the other side the same fake with
a data dir in /tmp, written after every call that changes the state (docs/server.md#persistence); the ratio
is that cost, printed without a target.

Before a put_image, fake-ecr's repository must hold the image's blobs (as ECR's does), so they are
uploaded through the model's upload API outside the timed calls; moto's PutImage checks no blobs.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import cache
from time import perf_counter
from typing import Any

import boto3
from moto import mock_aws

from fake_ecr import images, mock_ecr

REGION = "us-east-1"
REPOSITORY = "bench"

#: What a side does before a push: fake-ecr stores the image's blobs, moto needs nothing.
PreparePush = Callable[[str, images.Image], None]
Side = Callable[[], AbstractContextManager[PreparePush]]


@contextmanager
def fake_ecr_side() -> Iterator[PreparePush]:
    with mock_ecr(region=REGION) as fake:

        def prepare(repository: str, image: images.Image) -> None:
            fake.push_blobs(repository, image.blobs())

        yield prepare


@contextmanager
def data_dir_side() -> Iterator[PreparePush]:
    """fake-ecr with a data dir (fresh for each use), in /tmp."""
    with (
        tempfile.TemporaryDirectory(prefix="fake-ecr-bench-", dir="/tmp") as data_dir,
        mock_ecr(region=REGION, data_dir=data_dir) as fake,
    ):

        def prepare(repository: str, image: images.Image) -> None:
            fake.push_blobs(repository, image.blobs())

        yield prepare


@contextmanager
def moto_side() -> Iterator[PreparePush]:
    with mock_aws():
        yield lambda repository, image: None


SIDES: dict[str, Side] = {"fake-ecr": fake_ecr_side, "moto": moto_side}
#: ``--data-dir``: fake-ecr with a data dir, against itself in memory.
DATA_DIR_SIDES: dict[str, Side] = {"fake-ecr --data-dir": data_dir_side, "fake-ecr": fake_ecr_side}


@cache
def distinct_images(count: int) -> tuple[images.Image, ...]:
    """``count`` different small images (built once per count; equal inputs give equal digests)."""
    return tuple(images.image(files={"n.txt": str(n)}) for n in range(count))


def client() -> Any:
    return boto3.client("ecr", region_name=REGION)


def timed(call: Callable[[int], object], repetitions: int) -> list[float]:
    """Seconds taken by each of ``repetitions`` calls ``call(0)``, ``call(1)``, ..."""
    timings = []
    for n in range(repetitions):
        start = perf_counter()
        call(n)
        timings.append(perf_counter() - start)
    return timings


def repository_with_images(ecr: Any, prepare: PreparePush, count: int) -> None:
    ecr.create_repository(repositoryName=REPOSITORY)
    for n, image in enumerate(distinct_images(count)):
        prepare(REPOSITORY, image)
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=image.manifest.decode(), imageTag=f"v{n}")


# --- measurements: (side, repetitions) -> seconds per repetition ------------------------------------------


def create_repository(side: Side, repetitions: int) -> list[float]:
    with side():
        ecr = client()
        ecr.create_repository(repositoryName="warm-up")
        return timed(lambda n: ecr.create_repository(repositoryName=f"repository-{n}"), repetitions)


def put_image(side: Side, repetitions: int) -> list[float]:
    pushed = distinct_images(repetitions)
    manifests = [image.manifest.decode() for image in pushed]
    with side() as prepare:
        ecr = client()
        ecr.create_repository(repositoryName=REPOSITORY)
        for image in pushed:
            prepare(REPOSITORY, image)
        return timed(
            lambda n: ecr.put_image(repositoryName=REPOSITORY, imageManifest=manifests[n], imageTag=f"v{n}"),
            repetitions,
        )


def on_images(count: int, call: Callable[[Any], object]) -> Callable[[Side, int], list[float]]:
    """A measurement of ``call(ecr)`` on a repository holding ``count`` tagged images."""

    def measure(side: Side, repetitions: int) -> list[float]:
        with side() as prepare:
            ecr = client()
            repository_with_images(ecr, prepare, count)
            call(ecr)
            return timed(lambda n: call(ecr), repetitions)

    return measure


def describe_all(count: int) -> Callable[[Any], object]:
    def call(ecr: Any) -> object:
        # maxResults=1000: every image in one page on both sides (moto does not paginate DescribeImages).
        details = ecr.describe_images(repositoryName=REPOSITORY, maxResults=1000)["imageDetails"]
        assert len(details) == count, f"described {len(details)} of {count} images"
        return details

    return call


def batch_get_one(ecr: Any) -> object:
    images_found = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v3"}])["images"]
    assert len(images_found) == 1
    return images_found


def list_all(ecr: Any) -> object:
    image_ids = ecr.list_images(repositoryName=REPOSITORY)["imageIds"]
    assert len(image_ids) == 10
    return image_ids


def per_test_cycle(side: Side, repetitions: int) -> list[float]:
    """One test's overhead: a fresh state, the first client, the first call, and teardown."""

    def cycle(n: int) -> None:
        with side():
            client().describe_repositories()

    return timed(cycle, repetitions)


@dataclass(frozen=True)
class Row:
    name: str
    measure: Callable[[Side, int], list[float]]
    #: repetitions in each round
    repetitions: int
    #: the highest acceptable fake-ecr / moto ratio of medians
    target: float


#: Each row runs in rounds that alternate the sides, so a load change on the machine hits both alike.
ROUNDS = 3
ROWS = [
    Row("create_repository", create_repository, 100, 0.6),
    Row("put_image", put_image, 100, 0.6),
    Row("describe_images (10 images)", on_images(10, describe_all(10)), 100, 0.6),
    Row("describe_images (1000 images)", on_images(1000, describe_all(1000)), 10, 0.2),
    Row("batch_get_image (1 of 10 images)", on_images(10, batch_get_one), 100, 0.6),
    Row("list_images (10 images)", on_images(10, list_all), 100, 0.6),
    Row("fresh state + first client + first call", per_test_cycle, 15, 0.1),
]


def medians(row: Row, sides: dict[str, Side]) -> dict[str, float]:
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, side in sides.items():
            timings[name].extend(row.measure(side, row.repetitions))
    return {name: statistics.median(values) for name, values in timings.items()}


def _microseconds(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def run_data_dir_table() -> int:
    header = f"{'measurement':<42}{'reps':>6}{'--data-dir':>14}{'in memory':>14}{'ratio':>11}"
    print(header)
    print("-" * len(header))
    for row in ROWS:
        median = medians(row, DATA_DIR_SIDES)
        with_dir, in_memory = median["fake-ecr --data-dir"], median["fake-ecr"]
        print(
            f"{row.name:<42}{row.repetitions * ROUNDS:>6}{_microseconds(with_dir):>14}{_microseconds(in_memory):>14}"
            f"{with_dir / in_memory:>10.2f}x",
            flush=True,
        )
    print(f"\nmedians of wall time per call (time.perf_counter), {ROUNDS} alternating rounds; data dir in /tmp")
    return 0


def run_table() -> int:
    header = f"{'measurement':<42}{'reps':>6}{'fake-ecr':>14}{'moto':>14}{'fake/moto':>11}{'target':>9}  met"
    print(header)
    print("-" * len(header))
    missed = 0
    for row in ROWS:
        median = medians(row, SIDES)
        ratio = median["fake-ecr"] / median["moto"]
        met = ratio <= row.target
        missed += not met
        print(
            f"{row.name:<42}{row.repetitions * ROUNDS:>6}{_microseconds(median['fake-ecr']):>14}"
            f"{_microseconds(median['moto']):>14}{ratio:>10.2f}x{row.target:>8.1f}x  {'yes' if met else 'NO'}",
            flush=True,
        )
    print(
        f"\nmedians of wall time per call (time.perf_counter), {ROUNDS} alternating rounds; {missed} target(s) missed"
    )
    return 1 if missed else 0


def run_profile(name: str) -> int:
    row = next((r for r in ROWS if r.name.startswith(name)), None)
    if row is None:
        print(f"no row named {name!r}; rows: {', '.join(r.name for r in ROWS)}", file=sys.stderr)
        return 2
    profile = cProfile.Profile()
    profile.runcall(row.measure, fake_ecr_side, row.repetitions * ROUNDS)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profile", metavar="ROW", help="profile fake-ecr's side of the row whose name starts so")
    parser.add_argument("--data-dir", action="store_true", help="fake-ecr with a data dir against fake-ecr in memory")
    options = parser.parse_args(argv)
    if options.profile:
        return run_profile(options.profile)
    return run_data_dir_table() if options.data_dir else run_table()


if __name__ == "__main__":
    sys.exit(main())
