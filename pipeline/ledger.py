"""The run ledger: the one place that runs stages over a store and keeps the books.

Every CLI verb, and the Python API's :func:`run_pipeline`, is this ledger
over a list of stages. It owns what no stage should repeat:

* the configuration check (unknown sections are errors) and, when the run
  writes an output folder, a check that the folder is writable before any
  work is done;
* the store's run lock (one writer at a time; ``--wait`` queues behind it)
  and the ``runs`` table (a row per run: started, finished, status, summary;
  a run that dies is marked failed or interrupted);
* timing, the exit code (the last stage that asked for one wins: 3 some
  inputs failed, 4 no model), the messages the user must see;
* summary.json, written once at the end into the output folder, after the
  run's row is committed (that commit also checks the store file is still
  the one opened: a store deleted or moved away fails the run, exit 6);
* the executor the stages fan their work out with (``executor:``: this
  process, or a Ray cluster), opened for the run and closed at its end.

A stage that asks for an exit code does not stop the run: with no model the
Arabic pieces stay pending and everything else (alignment of what is
translated, the exports) still happens, so the output folder always says
what was done and what is pending.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import EXIT_MODEL_UNAVAILABLE, EXIT_OK, StoreBusy
from pipeline.executor import Executor, ExecutorSettings, open_executor
from pipeline.files import as_text
from pipeline.output import OutputDir
from pipeline.progress import QUIET, Reporter
from pipeline.records import RunStatus
from pipeline.stage import Report, RunContext, Stage
from pipeline.stages import PIPELINE, SECTION_NAMES, stages
from pipeline.store import Store, open_store
from pipeline.summary import build_summary, write_summary


@dataclass
class RunResult:
    """What a run did: the exit code the CLI should use, each stage's report, and the summary."""

    exit_code: int
    summary: dict[str, object]
    reports: dict[str, Report] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def execute(
    stages: Sequence[Stage[Report]],
    config: Config,
    *,
    command: str,
    inputs: Sequence[Path] = (),
    out_dir: Path | None = None,
    wait: bool = False,
    reporter: Reporter = QUIET,
    create_store: bool = True,
) -> RunResult:
    """Run `stages` in order over the configured store, keeping the books (see the module docstring)."""
    config.check_sections(SECTION_NAMES)
    writes_files = any(stage.writes_outputs for stage in stages)
    out = Path(out_dir or config.output.dir)
    if writes_files:
        OutputDir(out)  # an output folder we cannot write is reported now, not after hours of translation
    settings = [stage.settings(config) for stage in stages]  # every section is validated before any work
    for message in config.warnings:
        reporter.warn(message)
    # A run of read-only stages (export alone) is a reader, like `status`: it takes no run lock and
    # records no run (a 'running' row without the lock would be taken for a killed run), so it works
    # beside a writing run, and it reads one snapshot, so its files and summary.json agree.
    writes_store = not all(stage.read_only for stage in stages)
    executor = open_executor(config.section("executor", ExecutorSettings))
    with open_store(config.store.location, config.store.busy_timeout_s, create=create_store) as store, _closing(executor):
        run_id: int | None = None
        if writes_store:
            _lock(store, wait, reporter)
            run_id = store.start_run(as_text(command))
        reports: dict[str, Report] = {}
        ctx = RunContext(config, reporter, run_id, list(inputs), out, executor, earlier=reports)
        timings: dict[str, float] = {}
        with contextlib.nullcontext() if writes_store else store.snapshot():
            try:
                for stage, stage_settings in zip(stages, settings):
                    reporter.info(f"[{stage.name}]")
                    start = time.perf_counter()
                    try:
                        reports[stage.name] = stage.run(store, stage_settings, ctx)
                    finally:
                        timings[stage.name] = round(time.perf_counter() - start, 3)
            except BaseException as exc:
                if run_id is not None:
                    _record_failure(
                        store, run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed", reports, exc
                    )
                raise
            exit_code, messages = EXIT_OK, []
            for report in reports.values():
                if report.exit_code() != EXIT_OK:
                    exit_code = report.exit_code()
                messages += report.messages()
            summary = build_summary(store, run_id, reports, timings, exit_code, messages)
        if run_id is not None:
            # Committed before summary.json is written: the commit checks that the store file is still the
            # one opened, so a store deleted or moved during the run fails the run, not a summary of lost work.
            store.finish_run(run_id, _status(exit_code), summary)
        outputs: list[Path] = []
        if writes_files:
            write_summary(OutputDir(out), summary)
            outputs = [path for report in reports.values() for path in report.output_paths()]
    return RunResult(exit_code, summary, reports, messages, outputs)


def run_pipeline(
    inputs: Sequence[Path],
    config: Config,
    *,
    wait_for_lock: bool = False,
    reporter: Reporter = QUIET,
) -> RunResult:
    """Ingest → detect → translate → diagnose → align → export over the configured store (the Python API of `run`)."""
    return execute(
        stages(*PIPELINE),
        config,
        command="run " + " ".join(str(p) for p in inputs),
        inputs=inputs,
        out_dir=Path(config.output.dir),
        wait=wait_for_lock,
        reporter=reporter,
    )


def _status(exit_code: int) -> RunStatus:
    if exit_code == EXIT_OK:
        return "completed"
    return "pending" if exit_code == EXIT_MODEL_UNAVAILABLE else "completed_with_errors"


@contextlib.contextmanager
def _closing(executor: Executor) -> Iterator[Executor]:
    """The executor for the run's stages, closed at its end (a Ray started for the run stops with it)."""
    try:
        yield executor
    finally:
        executor.close()


def _lock(store: Store, wait: bool, reporter: Reporter) -> None:
    """Take the store's run lock; with `wait`, say that we queue before blocking."""
    try:
        store.acquire_run_lock(wait=False)
    except StoreBusy:
        if not wait:
            raise
        reporter.info(f"{store.location}: another run is writing to this store; waiting for it to finish (--wait)")
        store.acquire_run_lock(wait=True)


def _record_failure(store: Store, run_id: int, status: RunStatus, reports: dict[str, Report], exc: BaseException) -> None:
    """Mark the run failed (or interrupted) with what was done; the error itself goes on to the caller."""
    summary = {
        "error": f"{type(exc).__name__}: {exc}"[:2000],
        "stages": {name: report.model_dump(mode="json") for name, report in reports.items()},
    }
    with contextlib.suppress(Exception):
        store.finish_run(run_id, status, summary)
