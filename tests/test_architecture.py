"""The shape of the code: layers that only import downward, no import circles, SQL only in the store.

The layers, lowest first: text helpers, errors and records (the contract);
configuration, progress and the output folder; the store; the executors; the stage shape;
the stages; the registry of stages; the run ledger; the command line. A
module may import its own layer or lower ones, and the import graph (lazy
imports inside functions included) has no cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"

LAYERS: list[tuple[str, ...]] = [
    ("pipeline", "pipeline.errors", "pipeline.text", "pipeline.records"),
    ("pipeline.config", "pipeline.progress", "pipeline.output"),
    ("pipeline.store",),
    ("pipeline.executor",),
    ("pipeline.stage",),
    (
        "pipeline.ingest",
        "pipeline.detect",
        "pipeline.translate",
        "pipeline.evaluate",
        "pipeline.align",
        "pipeline.export",
        "pipeline.annotations",
        "pipeline.summary",
    ),
    ("pipeline.stages", "pipeline.config_docs"),
    ("pipeline.ledger",),
    ("pipeline.cli", "pipeline.__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every pipeline module `path` imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            submodules = {f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")}
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined in the module itself, not submodules of it
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipeline"))
    return found


def _is_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def test_every_module_has_a_layer():
    assert [m for m in graph() if layer_of(m) < 0] == []


def test_nothing_imports_upward():
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_import_graph_has_no_cycle():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in edges:
                continue
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


SQL = re.compile(
    r"\b(?:SELECT\s+\S.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|PRAGMA\s+\w+)\b", re.I
)


@pytest.mark.parametrize("folder", ["pipeline", "tests", "benchmarks", "scripts"])
def test_sql_is_spoken_only_inside_the_store(folder: str):
    offenders = []
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix not in (".py", "") or not path.is_file() or "store" in path.relative_to(ROOT).parts[:2]:
            continue
        if path.name in ("test_architecture.py", "sqlite_surgery.py", "postgres_surgery.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []
