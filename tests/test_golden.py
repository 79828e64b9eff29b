"""The pipeline's outputs stay what they were, unless a change means them to (see tests/golden_outputs.py)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import golden_outputs as golden


def _first_difference(name: str, expected: str, actual: str) -> str:
    diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}", f"now/{name}", n=1, lineterm="")
    return "\n".join(line[:300] for line in list(diff)[:40])


def test_seeds_run_outputs_are_unchanged(tmp_path: Path, tiny_model_dir: Path):
    outputs = golden.seeds_outputs(tmp_path, tiny_model_dir)
    for name, text in outputs.items():
        expected = golden.same_model_name((golden.GOLDEN / "seeds" / name).read_text(encoding="utf-8"))
        assert text == expected, f"{name} changed (scripts/update-golden if intended):\n" + _first_difference(
            name, expected, text
        )


def test_flores_external_run_and_harness_are_unchanged(tmp_path: Path, tiny_model_dir: Path):
    expected = json.loads((golden.GOLDEN / "flores.json").read_text(encoding="utf-8"))
    assert golden.external_outputs(tmp_path, tiny_model_dir) == expected["external"]
    harness = golden.harness_outputs()
    assert harness == expected["harness"]
