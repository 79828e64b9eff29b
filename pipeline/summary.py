"""summary.json: what a run did, built in one place for every verb.

The counts come from the store (what it holds after the run), the rest from
the stage reports: cache hits and new translations from translate, the
diagnostics totals from diagnose, the files from export, each stage's own
report under ``stages``, wall time per stage under ``timings_s``. The runs
table keeps the same object, so `pipeline status` and summary.json agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pipeline.output import OutputDir
from pipeline.stage import Report
from pipeline.store import Store

FILE = "summary.json"


def build_summary(
    store: Store,
    run_id: int | None,
    reports: Mapping[str, Report],
    timings: Mapping[str, float],
    exit_code: int,
    messages: list[str],
) -> dict[str, Any]:
    counts = store.counts()
    dumped = {name: report.model_dump(mode="json") for name, report in reports.items()}
    translate = dumped.get("translate", {})
    diagnose = dumped.get("diagnose", {})
    summary: dict[str, Any] = {
        "run_id": run_id,
        "exit_code": exit_code,
        "messages": messages,
        "pieces_by_language": counts.pieces_by_lang,
        "pieces_by_status": counts.pieces_by_status,
        "segments_translated": counts.segments_translated,
        "segments_skipped": counts.segments_skipped,  # nothing to translate (empty, digits only...): see segments.reason
        "segments_pending": counts.segments_pending,
        "cache_hits": translate.get("cache_hits", 0),
        "new_translations": translate.get("new_translations", 0),
        "matches": counts.matches,
        "abstentions": counts.abstentions,
        # how many pieces carry a translation: made here, and each other system's that came with the input
        "pieces_translated": {"here": counts.pieces_translated_here, "with_input": counts.translations_with_input},
        "diagnostics": {key: diagnose.get(key) for key in ("translations", "flagged", "by_diagnostic", "by_system", "external")},
        "stages": {name: dumped[name] for name, report in reports.items() if report.summary_block() is None},
        "timings_s": {**timings, "total": round(sum(timings.values()), 3)},
    }
    for name, report in reports.items():
        block = report.summary_block()
        if block is not None:
            summary[name] = block
    return summary


def write_summary(out: OutputDir, summary: Mapping[str, Any]) -> None:
    out.write_text(FILE, json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n")
