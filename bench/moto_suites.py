"""Run public projects' own moto-based ECR tests, unchanged, on moto and on fake-ecr, and print one row per project.

Owns the list of suites (each pinned to a commit), getting their sources, a virtualenv per suite, the two runs and
the table.  The projects' code is never copied into this repository: the runner reads it from a git checkout (or
bare git directory) named with ``--source NAME=PATH``, or clones it from GitHub into the work directory.

Each suite runs twice with its own pytest configuration and test selection:

- **moto**: as its authors run it;
- **fake-ecr**: the same command with ``moto_suites_plugin`` (next to this file) entering
  ``fake_ecr.mock_ecr(Settings(allow_missing_layers=True))`` around every test, the README's "Coming from moto"
  setting.  The suite's own ``mock_aws``/``mock_ecr`` stays active for the other services.

A test counts for fake-ecr only if it passed on moto; each test that passed on moto and fails on fake-ecr is listed
with the first line of its error, grouped.  docs/migration-results.md explains every such cause.

    python bench/moto_suites.py --source aibs-informatics-aws-utils=~/src/aibs-informatics-aws-utils ...
    python bench/moto_suites.py --only prowler --work /tmp/moto-suites --json results.json

Must not import fake_ecr: it runs in the suites' own virtualenvs, which install this checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import venv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Suite:
    """One project's ECR tests: where they live, what they need, how their authors select them."""

    name: str
    repository: str  # owner/name on GitHub
    commit: str
    paths: tuple[str, ...]  # what to take from the commit
    requirements: tuple[str, ...]  # installed next to this checkout of fake-ecr
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...] = ()
    install_project: str = ""  # "" (on sys.path through its pytest config), "no-deps" or "deps"


SUITES = (
    Suite(
        name="aibs-informatics-aws-utils",
        repository="AllenInstitute/aibs-informatics-aws-utils",
        commit="5a38938c75605f4c62de7c371f9c9d47c7a822c7",
        paths=("src", "test", "pyproject.toml", "README.md"),
        requirements=(
            "moto[ecr,sts]==5.1.22",  # as in its uv.lock
            "aibs-informatics-core~=1.1",
            "tenacity~=9.0",
            "aibs-informatics-test-resources[all]~=0.1.1",
            "pytest",
        ),
        tests=("test/aibs_informatics_aws_utils/ecr",),
        pytest_args=("-o", "addopts="),
        install_project="no-deps",  # it pins boto3~=1.35, below fake-ecr's floor
    ),
    Suite(
        name="sagemaker-rightline",
        repository="stiebels/sagemaker-rightline",
        commit="86b6afaa5af5f511275b0088570b0ca19fda4d4b",
        paths=("sagemaker_rightline", "tests", "pyproject.toml", "README.md", "LICENSE"),
        # moto's last 4.x: the tests import moto 4's mock_ecr, and the project pins no version
        requirements=("moto[ecr,iam,sqs,awslambda]==4.2.14", "sagemaker>=2.159,<3", "pandas>=2.0.3", "pytest"),
        tests=("tests/test_model.py", "tests/test_validations.py"),
        pytest_args=("-o", "addopts=", "-k", "test_configuration_run or test_step_image_exists"),
        install_project="no-deps",
    ),
    Suite(
        name="ecr-cleaner",
        repository="rahulinux/ecr-cleaner",
        commit="dc06bb6395035ab39a192d7137fef1583555a792",
        paths=(
            "src",
            "tests",
            "pyproject.toml",
            "README.md",
            "VERSION",
            "requirements.txt",
            "requirements-cli.txt",
            "requirements-dev.txt",
        ),
        requirements=(
            "moto[ecr]==5.0.17",  # its requirements-dev.txt
            "freezegun",
            "mock",
            "pytz",
            "structlog",
            "PyYAML",
            "mypy-boto3-ecr",
            "pytest",
        ),
        tests=("tests",),
        pytest_args=("-o", "addopts="),
        install_project="no-deps",  # it pins boto3==1.35.99, below fake-ecr's floor
    ),
    Suite(
        name="ecr_maintainer",
        repository="uktrade/ecr_maintainer",
        commit="7fce5a40a84caa0334b98ec661567d7d1c146b9e",
        paths=("ecr_cleaner", "pyproject.toml"),
        requirements=("moto[ecr,ecs,ec2]==5.0.18", "slack-sdk", "pytest-mock", "pytest"),  # moto as in its poetry.lock
        tests=("ecr_cleaner/test/ecr_manager_test.py", "ecr_cleaner/test/ecr_cleaner_test.py"),
        pytest_args=("-o", "addopts=", "-p", "no:warnings"),
    ),
    Suite(
        name="prowler",
        repository="prowler-cloud/prowler",
        commit="3e000faa3109230b748e4418a13c11c9e59f5cfb",
        paths=(
            "prowler",
            "tests/__init__.py",
            "tests/providers/__init__.py",
            "tests/providers/aws",
            "pyproject.toml",
            "README.md",
            "LICENSE",
        ),
        requirements=("moto[all]==5.1.11", "pytest==9.0.3", "pytest-env==1.1.5"),
        tests=("tests/providers/aws/services/ecr",),
        pytest_args=("-o", "addopts="),
        install_project="deps",
    ),
)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def git_dir(path: Path) -> Path:
    """The git directory of a checkout or a bare repository."""
    return path / ".git" if (path / ".git").exists() else path


def export(suite: Suite, source: Path, dest: Path) -> list[str]:
    """Write the suite's paths at its commit into dest; returns the paths the source lacks (a partial clone)."""
    gd = str(git_dir(source))
    listing = run(["git", "--git-dir", gd, "ls-tree", "-r", suite.commit, "--", *suite.paths], capture_output=True)
    entries = [line.split("\t", 1) for line in listing.stdout.splitlines()]
    blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
    missing = []
    batch = subprocess.Popen(
        ["git", "--git-dir", gd, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert batch.stdin is not None and batch.stdout is not None
    for sha, path in blobs:
        batch.stdin.write(sha.encode() + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if header[-1] == b"missing":
            missing.append(path)
            continue
        data = batch.stdout.read(int(header[2]) + 1)[:-1]
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    batch.stdin.close()
    batch.wait()
    return missing


def checkout(suite: Suite, sources: dict[str, Path], work: Path) -> Path:
    dest = work / suite.name / "src"
    stamp = dest / ".moto-suites-commit"
    wanted = json.dumps([suite.commit, suite.paths])
    if stamp.exists() and stamp.read_text() == wanted:
        return dest
    source = sources.get(suite.name)
    if source is None:
        source = work / suite.name / "clone.git"
        if not source.exists():
            run(["git", "clone", "--bare", "--filter=blob:none", f"https://github.com/{suite.repository}", str(source)])
    missing = export(suite, source, dest)
    for path in missing:
        print(f"  {suite.name}: {path} is not in {source} (left out)", file=sys.stderr)
    stamp.write_text(wanted)
    return dest


def environment(suite: Suite, src: Path, work: Path) -> Path:
    """A virtualenv with this checkout of fake-ecr, the suite's requirements and (if it says so) the project."""
    home = work / suite.name / "venv"
    python = home / "bin" / "python"
    spec = json.dumps([suite.requirements, suite.install_project, str(ROOT)])
    stamp = home / ".moto-suites-spec"
    if stamp.exists() and stamp.read_text() == spec:
        return python
    if not python.exists():
        venv.create(home, with_pip=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    project = [] if suite.install_project != "deps" else ["-e", str(src)]
    run([*pip, "-e", str(ROOT), *suite.requirements, *project])
    if suite.install_project == "no-deps":
        run([*pip, "--no-deps", "-e", str(src)])
    stamp.write_text(spec)
    return python


def outcomes(suite: Suite, python: Path, src: Path, work: Path, migration: bool) -> dict[str, list[str]]:
    side = "fake-ecr" if migration else "moto"
    path = work / suite.name / f"outcomes-{side}.json"
    env = {
        **os.environ,
        "MOTO_SUITES_OUTCOMES": str(path),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGIN_DIR), os.environ.get("PYTHONPATH")])),
    }
    env.pop("FAKE_ECR_MIGRATION", None)
    if migration:
        env["FAKE_ECR_MIGRATION"] = "1"
    cmd = [
        str(python),
        "-m",
        "pytest",
        "-q",
        "-p",
        "moto_suites_plugin",
        "-p",
        "no:cacheprovider",
        *suite.pytest_args,
        *suite.tests,
    ]
    with open(work / suite.name / f"pytest-{side}.log", "w", encoding="utf-8") as log:
        subprocess.run(cmd, cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    result: dict[str, list[str]] = json.loads(path.read_text())
    return result


_NOISE = re.compile(r"sha256:[0-9a-f]{8,}|[0-9a-f]{32,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{27}")


_CLIENT_ERROR = re.compile(
    r"botocore\.errorfactory\.\w+: An error occurred \((\w+)\) when calling the (\w+) operation: "
)


def cause(reason: str) -> str:
    """A failure's first error line, shortened, with digests and ids blanked, so that one cause groups its tests."""
    return _NOISE.sub("…", _CLIENT_ERROR.sub(r"\2 → \1: ", reason))[:300]


def compare(suite: Suite, moto: dict[str, list[str]], fake: dict[str, list[str]]) -> dict[str, object]:
    passed = [test for test, (outcome, _) in moto.items() if outcome == "passed"]
    kept = [test for test in passed if fake.get(test, ["missing", "not run"])[0] == "passed"]
    lost = Counter(cause(fake.get(test, ["missing", "not run"])[1]) for test in passed if test not in kept)
    return {
        "project": suite.name,
        "repository": suite.repository,
        "commit": suite.commit,
        "tests": len(moto),
        "moto": len(passed),
        "fake_ecr": len(kept),
        "failures": dict(lost.most_common()),
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| project | commit | tests | pass on moto | pass on fake-ecr | remaining failures (tests: first error line) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        failures = row["failures"]
        assert isinstance(failures, dict)
        text = "<br>".join(f"{count}: `{reason}`" for reason, count in failures.items()) or "none"
        lines.append(
            f"| [{row['project']}](https://github.com/{row['repository']}) | `{str(row['commit'])[:10]}` "
            f"| {row['tests']} | {row['moto']} | {row['fake_ecr']} | {text} |"
        )
    moto = sum(int(str(row["moto"])) for row in rows)
    fake = sum(int(str(row["fake_ecr"])) for row in rows)
    share = f"{100 * fake / moto:.0f} %" if moto else "-"
    lines.append(f"| **all** | | {sum(int(str(row['tests'])) for row in rows)} | {moto} | {fake} ({share}) | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a git checkout or bare git directory holding the suite's commit",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/fake-ecr-moto-suites"),
        help="sources, virtualenvs, logs (kept between runs; an unchanged suite is not reinstalled)",
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="run the suite with this interpreter (an environment of its own, with fake-ecr installed)",
    )
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these suites")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    sources = {name: Path(path).expanduser() for name, _, path in (s.partition("=") for s in args.source)}
    pythons = {name: Path(path).expanduser() for name, _, path in (s.partition("=") for s in args.python)}
    unknown = (set(sources) | set(pythons) | set(args.only)) - {suite.name for suite in SUITES}
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in SUITES)}")
    rows = []
    for suite in SUITES:
        if args.only and suite.name not in args.only:
            continue
        print(f"{suite.name}: sources, environment, moto run, fake-ecr run", file=sys.stderr)
        src = checkout(suite, sources, args.work)
        python = pythons.get(suite.name) or environment(suite, src, args.work)
        moto = outcomes(suite, python, src, args.work, migration=False)
        fake = outcomes(suite, python, src, args.work, migration=True)
        rows.append(compare(suite, moto, fake))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
