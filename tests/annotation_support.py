"""Helpers for the annotation tests: exports as the tools write them, and the dev-align store.

`label_studio_export` writes tasks (as `pipeline export` wrote them) with
annotations in Label Studio's JSON export format, exactly as a Label Studio
1.23 server exports them (tests/test_annotations_labelstudio.py checks the
real server's export against the same reader). `doccano_line` adds labels to
a line of doccano.jsonl as doccano's JSONL export carries them: ``label``
with ``[start, end, LABEL]`` spans and category strings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_ALIGN = ROOT.parent / "shared" / "data" / "dev-align"


def result(
    verdict: str | None = None,
    adequacy: int | None = None,
    fluency: int | None = None,
    correction: str | None = None,
    errors: list[tuple[int, int, str]] | None = None,
) -> list[dict[str, Any]]:
    """A Label Studio annotation's `result` for the project's labeling config (pipeline/export/labelstudio.py)."""
    out: list[dict[str, Any]] = []
    if verdict is not None:
        out.append({"from_name": "same_event", "to_name": "english", "type": "choices", "value": {"choices": [verdict]}})
    for name, value in (("adequacy", adequacy), ("fluency", fluency)):
        if value is not None:
            out.append({"from_name": name, "to_name": "translation", "type": "rating", "value": {"rating": value}})
    if correction is not None:
        out.append({"from_name": "correction", "to_name": "translation", "type": "textarea", "value": {"text": [correction]}})
    for start, end, label in errors or []:
        out.append(
            {
                "from_name": "errors",
                "to_name": "translation",
                "type": "labels",
                "value": {"start": start, "end": end, "labels": [label]},
            }
        )
    return out


def label_studio_export(
    tasks: list[dict[str, Any]], annotations: dict[int, list[tuple[int, list[dict[str, Any]], str]]]
) -> list[dict[str, Any]]:
    """Tasks in Label Studio's JSON export: `annotations[i]` = [(user id, result, updated_at)] for task i."""
    out = []
    next_id = 1
    for number, task in enumerate(tasks):
        made = []
        for user, res, when in annotations.get(number, []):
            made.append(
                {
                    "id": next_id,
                    "completed_by": user,
                    "result": res,
                    "was_cancelled": False,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            next_id += 1
        out.append({"id": number + 1, "data": task["data"], "annotations": made, "predictions": []})
    return out


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def cli(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def dev_align_store(tmp: Path, *options: str) -> tuple[Path, Path]:
    """`pipeline run` over dev-align's careful and weak-MT translations (with `options`): (store, output folder)."""
    db, out = tmp / "dev-align.sqlite", tmp / "out"
    run = cli("run", DEV_ALIGN / "in-careful.jsonl", DEV_ALIGN / "in-weak.jsonl", "--db", db, "--out", out, "-q", *options)
    assert run.returncode == 0, run.stderr
    return db, out


def gold() -> dict[str, Any]:
    return json.loads((DEV_ALIGN / "gold-pairs.json").read_text(encoding="utf-8"))
