"""`pipeline run`: the stages in order over one store, then the output folder.

A run is only a sequence of stage calls; each stage skips work the store
already holds, so an interrupted run simply resumes when started again.
The output folder is written also when the run stops early (no model, bad
inputs): what was done is written, what is pending is marked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import (
    EXIT_INPUT_ERRORS,
    EXIT_MODEL_UNAVAILABLE,
    EXIT_OK,
    ModelUnavailable,
    StoreBusy,
)
from pipeline.export.files import OutputDir
from pipeline.progress import QUIET, Reporter
from pipeline.store import Store


@dataclass
class RunResult:
    """What a run did: the exit code the CLI should use and the summary it wrote."""

    exit_code: int
    summary: dict[str, Any]
    outputs: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _as_dict(report: Any) -> dict[str, Any]:
    if report is None:
        return {}
    if hasattr(report, "model_dump"):
        return report.model_dump(mode="json")
    if hasattr(report, "as_dict"):
        return report.as_dict()
    return dict(report)


class _Timer:
    """Runs stages and records each one's wall time and report for summary.json."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter
        self.timings: dict[str, float] = {}
        self.reports: dict[str, dict[str, Any]] = {}

    def stage(self, name: str, fn: Callable[[], Any]) -> Any:
        self.reporter.info(f"[{name}]")
        start = time.perf_counter()
        try:
            report = fn()
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)
        self.reports[name] = _as_dict(report)
        return report


def run_pipeline(
    inputs: list[Path],
    config: Config,
    out_dir: Path | None = None,
    english: list[Path] | None = None,
    model: str | None = None,
    wait_for_lock: bool = False,
    reporter: Reporter = QUIET,
) -> RunResult:
    """Ingest → detect → translate → diagnose → align → export, over `config.store.path`."""
    from pipeline.align import align_store
    from pipeline.detect import detect_store
    from pipeline.evaluate.diagnostics import diagnose_store
    from pipeline.export import export_store
    from pipeline.ingest import ingest_paths
    from pipeline.translate import translate_store

    out = Path(out_dir or config.output.dir)
    # An output folder we cannot write is reported now, not after hours of translation.
    OutputDir(out)
    timer = _Timer(reporter)
    messages: list[str] = []
    exit_code = EXIT_OK
    with Store(config.store.path, config.store.busy_timeout_s) as store:
        _lock(store, wait_for_lock, reporter)
        run_id = store.start_run("run " + " ".join(str(p) for p in inputs))
        ingest = timer.stage("ingest", lambda: ingest_paths(store, config, [*inputs, *(english or [])], reporter, run_id))
        for error in getattr(ingest, "errors", []):
            messages.append(_error_line(error))
        if getattr(ingest, "errors", None):
            exit_code = EXIT_INPUT_ERRORS
        timer.stage("detect", lambda: detect_store(store, config, reporter))
        try:
            timer.stage("translate", lambda: translate_store(store, config, reporter, run_id, model))
        except ModelUnavailable as exc:
            messages.append(str(exc))
            timer.reports["translate"] = {"status": "model_unavailable", "reason": str(exc)}
            exit_code = EXIT_MODEL_UNAVAILABLE
        timer.stage("diagnose", lambda: diagnose_store(store, config, reporter))
        timer.stage("align", lambda: align_store(store, config, reporter, run_id))
        summary = _summary(store, timer, run_id, exit_code, messages)
        export = timer.stage("export", lambda: export_store(store, config, out, reporter=reporter, summary=summary))
        summary["timings_s"] = {**timer.timings, "total": round(sum(timer.timings.values()), 3)}
        _rewrite_summary(OutputDir(out), summary)
        status = "completed" if exit_code == EXIT_OK else ("pending" if exit_code == EXIT_MODEL_UNAVAILABLE else "completed_with_errors")
        store.finish_run(run_id, status, summary)
    return RunResult(exit_code, summary, list(getattr(export, "files", [])), messages)


def _rewrite_summary(out: OutputDir, summary: dict[str, Any]) -> None:
    """Write summary.json again once export's own time is known (export wrote it first)."""
    written = json.loads((out.path / "summary.json").read_text(encoding="utf-8"))
    written["timings_s"] = summary["timings_s"]
    out.write_text("summary.json", json.dumps(written, ensure_ascii=False, indent=2, default=str) + "\n")


def _lock(store: Store, wait: bool, reporter: Reporter) -> None:
    """Take the store's run lock; with `wait`, say that we queue before blocking."""
    try:
        store.acquire_run_lock(wait=False)
    except StoreBusy:
        if not wait:
            raise
        reporter.info(f"{store.path}: another run is writing to this store; waiting for it to finish (--wait)")
        store.acquire_run_lock(wait=True)


def _summary(store: Store, timer: _Timer, run_id: int, exit_code: int, messages: list[str]) -> dict[str, Any]:
    counts = store.counts()
    translate = timer.reports.get("translate", {})
    return {
        "run_id": run_id,
        "exit_code": exit_code,
        "messages": messages,
        "pieces_by_language": counts["pieces_by_lang"],
        "pieces_by_status": counts["pieces_by_status"],
        "segments_translated": counts["segments_translated"],
        "segments_skipped": counts["segments_skipped"],  # nothing to translate (empty, digits only...): see segments.reason
        "segments_pending": counts["segments_pending"],
        "cache_hits": translate.get("cache_hits", 0),
        "new_translations": translate.get("new_translations", 0),
        "matches": counts["matches"],
        "abstentions": counts["abstentions"],
        "diagnostics": {
            key: timer.reports.get("diagnose", {}).get(key)
            for key in ("translations", "flagged", "by_diagnostic")
        },
        "stages": timer.reports,
        "timings_s": timer.timings,
    }


def _error_line(error: Any) -> str:
    if isinstance(error, dict):
        where = error.get("path", "?") + (f":{error['line']}" if error.get("line") else "")
        return f"{where}: {error.get('reason')}"
    return str(error)
