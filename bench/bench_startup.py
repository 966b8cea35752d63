"""What the installed plugin adds to a pytest run that never uses it, next to the floor it is measured against.

Runs, each in fresh processes, interleaved and repeated: a bare ``python -c pass`` (the floor),
``import fake_ecr`` (what the pytest11 entry point costs), and pytest collecting one trivial test with the
plugin and with it disabled (``-p no:fake_ecr``).  Prints the median wall time of each, the time the plugin
adds to pytest, and ``import fake_ecr`` against the floor; exits 1 when the plugin adds more than the goal.

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
    for name, value in median.items():
        print(f"{name:32} {value:8.1f} ms")
    added = median["pytest, plugin installed"] - median["pytest, plugin disabled"]
    imported = median["python -c 'import fake_ecr'"] - median["python -c pass (floor)"]
    print(f"{'import fake_ecr over the floor':32} {imported:8.1f} ms")
    print(f"{'added to pytest by the plugin':32} {added:8.1f} ms   (goal <= {GOAL_MS:.0f} ms)")
    return 0 if added <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
