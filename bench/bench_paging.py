"""Paging cost: listing a whole repository page by page at 1k, 10k and 100k images.

Seeds one repository with N tagged images through the model's own write path (``Registry.put_image``,
the method PutImage and the registry's manifest PUT call), then lists it whole, page by page, through
boto3 in-process (ListImages, DescribeImages) and through the registry (tags/list with ``n`` and
``last``); DescribeRepositories pages over N repositories.  Prints the median cost of one page at each
size (and the best page) and its ratio to the first size's: a flat ratio (about 1x) means a page costs the
same whatever the repository holds, so listing a repository whole is linear in its size.  Also prints the memory each
image record takes in the model (tracemalloc over the seeding; goal at most 2 KiB).

    python bench/bench_paging.py                         # 1k, 10k and 100k images
    python bench/bench_paging.py --sizes 1000 5000       # other sizes (the first is the baseline)
    python bench/bench_paging.py --max-pages 50          # time at most 50 pages of each listing

Benchmarks only: nothing here asserts a timing.  ``--max-pages`` bounds a slow listing: it times the
first pages only, enough to tell a page's cost when every page costs about the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from time import perf_counter
from typing import Any
from urllib.parse import urljoin

import requests

from fake_ecr import FakeEcr, images, mock_ecr

REGION = "us-east-1"
REPOSITORY = "bench"
PAGE_SIZE = 100
#: The goal for the model's memory per image record (manifest bytes, record, tags and indexes).
MEMORY_GOAL = 2 * 1024

#: A listing: (fake, page limit) -> seconds taken by each page, in order.
Listing = Callable[[FakeEcr, int | None], list[float]]


def manifests(count: int) -> tuple[images.Image, Iterator[bytes]]:
    """One small image, and ``count`` distinct manifests over its blobs (an annotation tells them apart)."""
    image = images.image(files={"app.txt": "paging"})
    document = json.loads(image.manifest)

    def each() -> Iterator[bytes]:
        for n in range(count):
            document["annotations"] = {"bench.n": str(n)}
            yield json.dumps(document).encode()

    return image, each()


def seed(fake: FakeEcr, count: int) -> float:
    """``count`` tagged images in REPOSITORY and ``count`` repositories; returns bytes per image record."""
    registry = fake.registry()
    registry.create_repository(REPOSITORY)
    image, bodies = manifests(count)
    fake.push_blobs(REPOSITORY, image.blobs())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n, body in enumerate(bodies):
        registry.put_image(REPOSITORY, body, media_type=image.media_type, image_tag=f"v{n}")
    per_image = (tracemalloc.get_traced_memory()[0] - before) / count
    tracemalloc.stop()
    for n in range(count - 1):
        registry.create_repository(f"{REPOSITORY}-{n}")
    return per_image


def timed_pages(fetch: Callable[[Any], tuple[int, Any]], limit: int | None) -> list[float]:
    """Seconds per page of ``fetch(token) -> (items, next token)``, from the first page to the last (or ``limit``)."""
    timings: list[float] = []
    token = None
    while limit is None or len(timings) < limit:
        start = perf_counter()
        _, token = fetch(token)
        timings.append(perf_counter() - start)
        if token is None:
            break
    return timings


def control_plane(operation: str, key: str, **request: Any) -> Listing:
    def listing(fake: FakeEcr, limit: int | None) -> list[float]:
        ecr = fake.client()
        call = getattr(ecr, operation)

        def fetch(token: str | None) -> tuple[int, str | None]:
            response = call(maxResults=PAGE_SIZE, **request, **({"nextToken": token} if token else {}))
            return len(response[key]), response.get("nextToken")

        return timed_pages(fetch, limit)

    return listing


def tags_list(fake: FakeEcr, limit: int | None) -> list[float]:
    """GET tags/list through the registry (in-process ``requests``), following each ``rel="next"`` Link."""
    ecr = fake.client()
    auth = ecr.get_authorization_token()["authorizationData"][0]
    base = auth["proxyEndpoint"]
    headers = {"Authorization": f"Basic {auth['authorizationToken']}"}

    def fetch(path: str | None) -> tuple[int, str | None]:
        response = requests.get(urljoin(base, path or f"/v2/{REPOSITORY}/tags/list?n={PAGE_SIZE}"), headers=headers)
        response.raise_for_status()
        link = response.links.get("next")
        return len(response.json()["tags"]), link["url"] if link else None

    return timed_pages(fetch, limit)


LISTINGS: dict[str, Listing] = {
    "list_images": control_plane("list_images", "imageIds", repositoryName=REPOSITORY),
    "describe_images": control_plane("describe_images", "imageDetails", repositoryName=REPOSITORY),
    "list_images (TAGGED)": control_plane(
        "list_images", "imageIds", repositoryName=REPOSITORY, filter={"tagStatus": "TAGGED"}
    ),
    "registry tags/list": tags_list,
    "describe_repositories": control_plane("describe_repositories", "repositories"),
}


@dataclass(frozen=True)
class Measured:
    pages: int
    total: float
    per_page: float
    best: float


def measure(count: int, limit: int | None) -> tuple[float, dict[str, Measured]]:
    with mock_ecr(region=REGION) as fake:
        start = perf_counter()
        per_image = seed(fake, count)
        print(f"  seeded {count:,} images and repositories in {perf_counter() - start:.1f} s", flush=True)
        results = {}
        for name, listing in LISTINGS.items():
            listing(fake, 3)  # warm-up: the first calls of an operation load and compile its shapes
            timings = listing(fake, limit)
            results[name] = Measured(len(timings), sum(timings), statistics.median(timings), min(timings))
        return per_image, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="images per run")
    parser.add_argument("--max-pages", type=int, default=None, help="time at most this many pages of each listing")
    options = parser.parse_args(argv)
    baseline: dict[str, float] = {}
    header = f"{'listing':<24}{'images':>9}{'pages':>7}{'total':>11}{'per page':>12}{'best':>10}{'vs first size':>15}"
    for count in options.sizes:
        print(f"{count:,} images:", flush=True)
        per_image, results = measure(count, options.max_pages)
        print(header)
        for name, result in results.items():
            baseline.setdefault(name, result.per_page)
            print(
                f"{name:<24}{count:>9,}{result.pages:>7}{result.total:>10.3f}s{result.per_page * 1e3:>10.2f}ms"
                f"{result.best * 1e3:>8.2f}ms{result.per_page / baseline[name]:>14.2f}x",
                flush=True,
            )
        met = "met" if per_image <= MEMORY_GOAL else "MISSED"
        print(f"memory per image record: {per_image:,.0f} bytes (goal {MEMORY_GOAL:,}: {met})\n", flush=True)
    print(
        f"wall time per page of {PAGE_SIZE} (time.perf_counter; median, and the best page), boto3 in-process and "
        "the registry; the ratio is of the medians"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
