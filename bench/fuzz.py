"""A long fuzzing run of both planes: the strategies of tests/properties/fuzzing.py, for as many cases as asked.

Splits the cases between every operation of the installed botocore model (raw bodies to the control plane),
PutImage manifests, and registry requests (methods x the OCI spec's paths x random names, references,
digests, query strings, headers and bodies), all in-process against one fake per part.  Unlike the CI
tests it keeps going after a failure: it prints each distinct failure once (a 5xx other than the
deliberate 501, an internal error recorded by the fake, a traceback in an answer) with one request that
caused it, and exits 1 if there was any.

    python bench/fuzz.py                      # 20000 cases
    python bench/fuzz.py --cases 100000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from fake_ecr import FakeEcr, mock_ecr
from fake_ecr.formats.service_model import operation_names

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from properties.fuzzing import (
    SEEDED_REPOSITORY,
    api_bodies,
    check_api_answer,
    check_registry_answer,
    manifest_documents,
    names_of,
    registry_requests,
    seed,
    send_api,
    send_registry,
)
from properties.helpers import Wire


class Failures:
    """Distinct failures, each with the first case that showed it."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.cases = 0

    def check(self, fake: FakeEcr, what: str, case: Callable[[], str], checking: Callable[[], None]) -> None:
        self.cases += 1
        try:
            checking()
        except AssertionError as error:
            errors = list(fake.internal_errors)
            key = f"{what}: " + (repr(errors[0])[:200] if errors else str(error)[:200].split("\n")[0])
            self.seen.setdefault(key, f"{case()[:1500]}\n    -> {str(error)[:1500]}")
        finally:
            fake.internal_errors.clear()


def run(part: str, cases: int, seed_value: int, body: Callable[[FakeEcr], Callable[[], None]]) -> float:
    print(f"{part}: {cases} cases", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with mock_ecr(check_responses=True) as fake:
        test = body(fake)
        options = settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        hypothesis_seed(seed_value)(options(test))()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases in all (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    operations = sorted(operation_names())
    # Half the cases to the control plane, spread over its operations; the rest to PutImage manifests
    # and, most of it, to the registry.
    per_operation = max(1, args.cases // 2 // len(operations))
    manifests = max(1, args.cases // 10)
    registry = max(1, args.cases - per_operation * len(operations) - manifests)
    failures = Failures()
    timings: list[tuple[str, int, float]] = []

    for operation in operations:

        def api_part(fake: FakeEcr, operation: str = operation) -> Callable[[], None]:
            names = names_of(seed(fake), fake.settings.account_id)

            @given(body=api_bodies(operation, names))
            def case(body: bytes) -> None:
                status, answer = send_api(fake, operation, body)
                failures.check(
                    fake, operation, lambda: repr(body), lambda: check_api_answer(fake, operation, body, status, answer)
                )

            return case

        timings.append((operation, per_operation, run(operation, per_operation, args.seed, api_part)))

    def manifest_part(fake: FakeEcr) -> Callable[[], None]:
        seeded = seed(fake)

        @given(manifest=manifest_documents(seeded), tag=st.none() | st.just("t"))
        def case(manifest: bytes, tag: str | None) -> None:
            params: dict[str, Any] = {
                "repositoryName": SEEDED_REPOSITORY,
                "imageManifest": manifest.decode("utf-8", "replace"),
            }
            if tag is not None:
                params["imageTag"] = tag
            body = json.dumps(params).encode()
            status, answer = send_api(fake, "PutImage", body)
            failures.check(
                fake,
                "PutImage manifest",
                lambda: repr(body),
                lambda: check_api_answer(fake, "PutImage", body, status, answer),
            )

        return case

    timings.append(("PutImage manifests", manifests, run("manifests", manifests, args.seed, manifest_part)))

    def registry_part(fake: FakeEcr) -> Callable[[], None]:
        seeded = seed(fake)
        wire = Wire(fake, authorized=False)

        @given(request=registry_requests(seeded, wire))
        def case(request: Any) -> None:
            answer = send_registry(wire, request)
            failures.check(
                fake,
                f"registry {request.method}",
                lambda: repr(request),
                lambda: check_registry_answer(fake, request, answer),
            )

        return case

    timings.append(("registry", registry, run("registry", registry, args.seed, registry_part)))

    total_time = sum(t for _, _, t in timings)
    slowest = sorted(timings, key=lambda row: row[2], reverse=True)[:5]
    print(
        f"{failures.cases} cases run of {sum(n for _, n, _ in timings)} asked"
        " (a part stops early when it runs out of inputs)"
    )
    print(f"in {total_time:.1f} s; slowest parts: " + ", ".join(f"{name} {t:.1f} s" for name, _, t in slowest))
    if not failures.seen:
        print("no failures")
        return 0
    print(f"{len(failures.seen)} distinct failure(s):")
    for key, example in failures.seen.items():
        print(f"- {key}\n    {example}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
