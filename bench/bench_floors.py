"""fake-ecr's in-process costs next to the floors they are measured against, in one run.

Rows, each the median over interleaved rounds (so a change in machine load hits both sides alike) of the
calling thread's CPU time per call (the seeding row: wall time):

- an API call (create_repository, list_images, batch_get_image) through boto3 in-process, next to the same
  call answered by ``botocore.stub.Stubber`` with the response fake-ecr gave (goal: at most 1.5x);
- describe_images on 1,000 images, next to botocore's JSON parser parsing that very response body alone
  (goal: at most 1.2x);
- ``fake.push`` of a one-layer image (blobs, then the manifest, through the registry's checks), next to
  boto3's put_image in-process of an image whose blobs are there already (goal: at most 0.5 ms);
- seeding 1,000 images with ``fake.push`` (goal: at most 0.5 s).

    python bench/bench_floors.py [--rounds 3]

Prints the table; asserts nothing and exits 0 (compare the ratios within one run).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from time import perf_counter, thread_time
from typing import Any

import boto3
from botocore.parsers import ResponseParserFactory
from botocore.stub import Stubber

from fake_ecr import FakeEcr, images, mock_ecr

REGION = "us-east-1"
TARGET = "AmazonEC2ContainerRegistry_V20150921."


def per_call(call: Callable[[int], object], repetitions: int) -> float:
    """Median CPU seconds of the calling thread in ``call(n)`` for n in 0..repetitions-1.

    In-process calls run on the caller's thread alone, so its CPU time is their whole cost; unlike wall time it
    does not move with what else a shared machine runs (on a 2-core VM, wall-time medians of the same row
    moved by half between runs)."""
    timings = []
    for n in range(repetitions):
        start = thread_time()
        call(n)
        timings.append(thread_time() - start)
    return statistics.median(timings)


def seeded(fake: FakeEcr, repository: str, count: int) -> list[images.Image]:
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName=repository)
    made = [images.image(files={"n.txt": f"{repository}-{n}"}) for n in range(count)]
    for n, image in enumerate(made):
        fake.push(f"{repository}:v{n}", image)
    return made


def api_call_vs_stubber(operation: str, params: dict[str, Any], repetitions: int) -> tuple[float, float]:
    with mock_ecr(region=REGION) as fake:
        seeded(fake, "listed", 10)
        ecr = boto3.client("ecr", region_name=REGION)
        method = getattr(ecr, operation)
        fresh = operation == "create_repository"
        answer = method(**params)
        answer.pop("ResponseMetadata")
        ours = per_call(lambda n: method(**({"repositoryName": f"r{n}"} if fresh else params)), repetitions)
    stubbed = boto3.client("ecr", region_name=REGION)
    with Stubber(stubbed) as stubber:
        for _ in range(repetitions):
            stubber.add_response(operation, answer)
        floor = per_call(lambda n: getattr(stubbed, operation)(**params), repetitions)
    return ours, floor


def describe_vs_parser(count: int, repetitions: int) -> tuple[float, float]:
    with mock_ecr(region=REGION) as fake:
        seeded(fake, "described", count)
        ecr = boto3.client("ecr", region_name=REGION)
        request = {"repositoryName": "described", "maxResults": 1000}
        ours = per_call(lambda n: ecr.describe_images(**request), repetitions)
        status, headers, body = fake.handle_api(TARGET + "DescribeImages", json.dumps(request).encode(), REGION)
    assert status == 200 and len(json.loads(body)["imageDetails"]) == count
    shape = ecr.meta.service_model.operation_model("DescribeImages").output_shape
    parser = ResponseParserFactory().create_parser("json")
    response = {"status_code": status, "headers": headers, "body": body}
    floor = per_call(lambda n: parser.parse(response, shape), repetitions)
    return ours, floor


def push_vs_put_image(repetitions: int) -> tuple[float, float]:
    pushed = [images.image(files={"n.txt": f"push-{n}"}) for n in range(repetitions)]
    put = [images.image(files={"n.txt": f"put-{n}"}) for n in range(repetitions)]
    with mock_ecr(region=REGION) as fake:
        ecr = boto3.client("ecr", region_name=REGION)
        ecr.create_repository(repositoryName="app")
        fake.push("app:warm-up", images.image(files={"n.txt": b"warm-up"}))
        ours = per_call(lambda n: fake.push(f"app:p{n}", pushed[n]), repetitions)
        for image in put:
            fake.push_blobs("app", image.blobs())
        manifests = [image.manifest.decode() for image in put]
        floor = per_call(
            lambda n: ecr.put_image(repositoryName="app", imageManifest=manifests[n], imageTag=f"t{n}"), repetitions
        )
    return ours, floor


def seeding(count: int) -> float:
    made = [images.image(files={"n.txt": f"seed-{n}"}) for n in range(count)]
    with mock_ecr(region=REGION) as fake:
        boto3.client("ecr", region_name=REGION).create_repository(repositoryName="seeded")
        start = perf_counter()
        for n, image in enumerate(made):
            fake.push(f"seeded:v{n}", image)
        return perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    rows: dict[str, list[tuple[float, float]]] = {}
    goals = {}
    for _ in range(rounds):
        for operation, params in (
            ("create_repository", {"repositoryName": "first"}),
            ("list_images", {"repositoryName": "listed"}),
            ("batch_get_image", {"repositoryName": "listed", "imageIds": [{"imageTag": "v1"}]}),
        ):
            name = f"{operation} vs Stubber"
            rows.setdefault(name, []).append(api_call_vs_stubber(operation, params, 300))
            goals[name] = "<= 1.5x"
        rows.setdefault("describe_images 1000 vs parser", []).append(describe_vs_parser(1000, 15))
        goals["describe_images 1000 vs parser"] = "<= 1.2x"
        rows.setdefault("fake.push vs put_image", []).append(push_vs_put_image(300))
        goals["fake.push vs put_image"] = "push <= 500 us"
        seconds = seeding(1000)
        rows.setdefault("seed 1000 images with fake.push", []).append((seconds, 0.5))
        goals["seed 1000 images with fake.push"] = "<= 0.5 s (floor column: the goal)"
    print(f"{'row':34} {'fake-ecr':>12} {'floor':>12} {'ratio':>7}  goal")
    for name, pairs in rows.items():
        ours = statistics.median(pair[0] for pair in pairs)
        floor = statistics.median(pair[1] for pair in pairs)
        unit, scale = ("s", 1.0) if name.startswith("seed") else ("us", 1e6)
        ratio = ours / floor
        print(f"{name:34} {ours * scale:10.1f}{unit:>2} {floor * scale:10.1f}{unit:>2} {ratio:6.2f}x  {goals[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
