"""What the installed plugin adds to a pytest run that never uses it, next to the floor it is measured against.

Runs, each in fresh processes, interleaved and repeated: a bare ``python -c pass`` (the floor),
``import fake_ecr`` (what the pytest11 entry point costs), and pytest collecting one trivial test with the
plugin and with it disabled (``-p no:fake_ecr``).  Prints the median and the best wall time of each, the time
the plugin adds to pytest, and ``import fake_ecr`` against the floor; exits 1 when the plugin adds more than the
goal by the best times (a pytest start-up of 1-2 s moves by tens of milliseconds from run to run on a shared
machine, which the best of many runs filters out; the medians are printed beside them).  It also prints what
``-X importtime`` says the plugin module costs to import in a process that has imported pytest already, as a
pytest run has.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

GOAL_MS = 30.0
#: The module the pytest11 entry point loads (pyproject.toml).
PLUGIN = "fake_ecr_pytest_plugin.plugin"


def wall_ms(command: list[str], cwd: str) -> float:
    start = perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as project:
        Path(project, "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        commands = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "python -c 'import fake_ecr'": [sys.executable, "-c", "import fake_ecr"],
            "pytest, plugin disabled": [*pytest, "-p", "no:fake_ecr", "test_nothing.py"],
            "pytest, plugin installed": [*pytest, "test_nothing.py"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):  # interleaved, so drift on the machine hits every row alike
            for name, command in commands.items():
                times[name].append(wall_ms(command, project))
    median = {name: statistics.median(values) for name, values in times.items()}
    best = {name: min(values) for name, values in times.items()}
    print(f"{'':32} {'median':>11} {'best':>11}")
    for name in commands:
        print(f"{name:32} {median[name]:8.1f} ms {best[name]:8.1f} ms")

    def over(row: str, floor: str) -> tuple[float, float]:
        return median[row] - median[floor], best[row] - best[floor]

    imported = over("python -c 'import fake_ecr'", "python -c pass (floor)")
    added = over("pytest, plugin installed", "pytest, plugin disabled")
    print(f"{'import fake_ecr over the floor':32} {imported[0]:8.1f} ms {imported[1]:8.1f} ms")
    print(f"{'added to pytest by the plugin':32} {added[0]:8.1f} ms {added[1]:8.1f} ms   (goal <= {GOAL_MS:.0f} ms)")
    print(f"{'plugin module import after pytest':32} {plugin_import_ms():8.1f} ms   (-X importtime, best of 5)")
    return 0 if added[1] <= GOAL_MS else 1


def plugin_import_ms() -> float:
    """What ``-X importtime`` counts for importing the plugin module once pytest is imported."""
    command = [sys.executable, "-X", "importtime", "-c", f"import pytest; import {PLUGIN}"]
    costs = []
    for _ in range(5):
        lines = subprocess.run(command, check=True, capture_output=True, text=True).stderr.splitlines()
        # "import time: self [us] | cumulative | name": the plugin's line counts what it alone brought in.
        cumulative = next(line.split("|")[1] for line in lines if line.rstrip().endswith(f"| {PLUGIN}"))
        costs.append(int(cumulative) / 1000)
    return min(costs)


if __name__ == "__main__":
    sys.exit(main())
