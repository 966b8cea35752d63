"""Imports flow downhill (docs/architecture.md, "Layers").

Each module of fake_ecr has a layer; a module may import its own layer and those below, never above.
``api`` and ``registry`` share a layer but never import each other, the model knows no HTTP and no
botocore, and nothing in the library imports pytest.  Modules are read with ``ast``, not imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fake_ecr

PACKAGE = Path(__file__).resolve().parents[2] / "fake_ecr"
PLUGIN = PACKAGE.parent / "conftest_plugin"

#: layer -> modules (a name ending in "." covers a package).
LAYERS: list[set[str]] = [
    # the bottom: errors, settings, the stateless formats, the clock, and the client patches that know no fake
    {
        "errors",
        "settings",
        "formats",
        "formats.digest",
        "formats.streams",
        "formats.control_api",
        "model.clock",
        "model.tokens",
        "registry.paths",
        "lifecycle",
        "surfaces",
        "surfaces.tls",
        "surfaces.proxy",
        "surfaces.boto",
        "surfaces.botocore_parsed",
        "surfaces.botocore_hook",
        "surfaces.requests_routing",
    },
    # formats and pure domain rules over them
    {
        "formats.manifests",
        "formats.service_model",
        "images",
        "client",
        "lifecycle.policy",
        "scanning",
        "scanning.",
        "surfaces.environment",
        "surfaces.http_bodies",
    },
    # the state
    {"model", "model."},
    # what runs over the state: scans, lifecycle runs, the cross-repository features, policy evaluation, the
    # state as moto's services and STS callers see it
    {
        "scanning.engine",
        "lifecycle.runs",
        "model.repository_creation",
        "model.replication",
        "model.policy_evaluation",
        "surfaces.moto_services",
        "surfaces.sts",
    },
    # ECR's two protocols, and the server that carries them
    {
        "api",
        "api.",
        "registry",
        "registry.",
        "surfaces.server",
        "surfaces.connections",
        "surfaces.control",
        "surfaces.persistence",
        "surfaces.dashboard",
        "surfaces.other_services",
    },
    # the handle tests hold
    {"surfaces.handle"},
    # the top: the command line and the public package
    {"surfaces.cli", "surfaces.cli.", ""},
]
#: Third-party packages a layer must not reach.
FORBIDDEN: dict[str, set[str]] = {
    "model": {"werkzeug", "botocore", "boto3", "requests", "responses"},
    "api": {"werkzeug", "requests", "responses"},
    "": {"pytest", "conftest_plugin", "fake_ecr_pytest_plugin"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (length of the matching entry, layer): the longest match wins
    for index, layer in enumerate(LAYERS):
        for entry in layer:
            matches = module == entry or (entry.endswith(".") and module.startswith(entry))
            if matches and (best is None or len(entry) > best[0]):
                best = (len(entry), index)
    assert best is not None, f"fake_ecr.{module} has no layer in LAYERS: add it"
    return best[1]


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports; ``from fake_ecr import x`` counts as fake_ecr.x."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[_module_name(p) or "fake_ecr" for p in MODULES])
def test_imports_flow_downhill(path: Path) -> None:
    module = _module_name(path)
    own = layer_of(module)
    for imported in imports_of(path):
        if not imported.startswith("fake_ecr."):
            top = imported.split(".")[0]
            for prefix, banned in FORBIDDEN.items():
                if module == prefix or module.startswith(prefix + ".") or prefix == "":
                    assert top not in banned, f"fake_ecr.{module} imports {imported}"
            continue
        target = imported.removeprefix("fake_ecr.")
        location = PACKAGE.joinpath(*target.split("."))
        if not location.with_suffix(".py").exists() and not location.is_dir():
            continue  # `from fake_ecr.x import Name`: the module fake_ecr.x is checked on its own
        assert layer_of(target) <= own, f"fake_ecr.{module} (layer {own}) imports {imported} (layer {layer_of(target)})"
        for one, other in (("api", "registry"), ("registry", "api")):
            if module.split(".")[0] == one:
                assert target.split(".")[0] != other, f"fake_ecr.{module} imports {imported}"


def test_the_plugin_imports_only_the_public_api() -> None:
    for path in PLUGIN.rglob("*.py"):
        for imported in imports_of(path):
            if imported.startswith("fake_ecr"):
                assert imported == "fake_ecr" or imported.removeprefix("fake_ecr.") in fake_ecr.__all__, (
                    f"{path.name} imports {imported}"
                )
