"""Crash and resume: `pipeline run` killed with SIGKILL in ingest, translation and alignment.

A dump of 3,000 Arabic sentences in 100 pieces (ten files, made of the seed
dumps' Arabic sentences; one sentence in ten repeats an earlier one), six
pieces that arrive with another system's English translation (so alignment
finds real matches) and the English seed dumps are run twice through the
tiny MarianMT model:

* once uninterrupted — the reference;
* once on another store, killed with SIGKILL four times at points drawn from
  a seeded random generator (after the k-th ingested file; when a drawn share
  of the sentences is translated, twice; a drawn delay into alignment), each
  time restarted with the same command, and finally let finish.

The stage a kill lands in is read from the run's own stage markers on stderr
(`[ingest]`, `[translate]`, `[align]`, ...) after the process is dead, and
asserted. After every kill the store passes SQLite's integrity check and
holds whole steps only; at the end it holds every translation exactly once,
and pieces.jsonl and matches.jsonl equal the reference's.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_support import (
    SEEDS,
    child_env,
    pieces_per_source,
    pipeline_argv,
    reading,
    run_statuses,
    table,
    write_arabic_dumps,
    write_external_translations,
)
from sqlite_surgery import integrity

from pipeline.errors import StorageError, UsageError
from pipeline.records import StoreCounts

MARKER = re.compile(r"^\[(\w+)\]$")
SEED = 20240607


@dataclass
class Run:
    """A `pipeline run` child whose stderr is followed line by line."""

    argv: list[str]
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=child_env())
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def stage(self) -> str | None:
        """The last stage the run announced."""
        marks = [m.group(1) for m in map(MARKER.match, list(self.lines)) if m]
        return marks[-1] if marks else None

    def files_ingested(self) -> int:
        return sum(1 for line in list(self.lines) if "new pieces" in line)

    def kill(self) -> tuple[int, str | None]:
        """SIGKILL; then (exit status, the stage it died in) once all it wrote is read."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        code = self.proc.wait(timeout=60)
        self._reader.join(timeout=30)
        return code, self.stage()

    def finish(self, timeout: float = 600) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=30)
        return code


def wait_until(run: Run, condition, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if run.proc.poll() is not None:
            pytest.fail(f"the run ended (exit {run.proc.returncode}) before the kill point:\n" + "\n".join(run.lines[-20:]))
        time.sleep(0.02)
    pytest.fail("kill point not reached in time:\n" + "\n".join(run.lines[-20:]))


def translations(db: Path) -> int:
    """Translations the store holds; 0 while the store does not exist yet."""
    try:
        with reading(db) as store:
            return store.counts().translations_cached
    except (StorageError, UsageError):  # the run has not created the store yet (a reader is told so, exit 2)
        return 0


def counts(db: Path) -> StoreCounts:
    with reading(db) as store:
        return store.counts()


def distinct_linked_sources(db: Path) -> int:
    """Distinct source sentences among the translations that segments point at."""
    with reading(db) as store:
        linked = {s.translation_key for segments in store.segments().values() for s in segments if s.translation_key}
        return len({t["source_text"] for t in store.rows("translations") if t["key"] in linked})


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_whole_steps(db: Path, reference: dict[str, int], total_translations: int) -> None:
    """What a killed run leaves: a sound store holding whole files and whole batches only."""
    assert integrity(db) == "ok"
    for path, n in pieces_per_source(db).items():  # a file's pieces are all there or not at all
        assert n == reference[path], (path, n, reference[path])
    with reading(db) as store:
        cached = store.rows("translations")
        links = {r["translation_key"] for r in store.rows("segments") if r["translation_key"] is not None}
    assert links <= {t["key"] for t in cached}  # no segment points at a translation that is not there
    provenance = [(t["source_text"], t["model"], t["revision"], t["backend"], t["settings"]) for t in cached]
    assert len(set(provenance)) == len(provenance)  # no sentence translated twice the same way
    assert len(cached) <= total_translations


def test_killed_four_times_the_run_resumes_and_ends_as_if_never_interrupted(tmp_path, tiny_model_dir):
    inputs = tmp_path / "inputs"
    written = write_arabic_dumps(inputs / "arabic", sentences=3000, pieces=100, files=10)
    write_external_translations(inputs / "external" / "translated.jsonl", count=6)
    english = sorted(p for p in SEEDS.glob("*.txt"))

    def argv(db: Path, out: Path) -> list[str]:
        return pipeline_argv(
            "run", inputs / "arabic", inputs / "external", *english, "--db", db, "--out", out, "--model", tiny_model_dir
        )

    # the reference: one uninterrupted run
    ref_db, ref_out = tmp_path / "reference.sqlite", tmp_path / "reference-out"
    reference = Run(argv(ref_db, ref_out))
    assert reference.finish() == 0, "\n".join(reference.lines[-30:])
    ref_sources = pieces_per_source(ref_db)
    ref_translations = translations(ref_db)
    timings = json.loads((ref_out / "summary.json").read_text())["timings_s"]
    assert written["sentences"] == 3000 and ref_translations >= written["distinct_sentences"]

    rng = random.Random(SEED)
    db, out = tmp_path / "crashed.sqlite", tmp_path / "crashed-out"
    landed: list[str] = []

    # 1. ingest: after the k-th file is committed, while the next one is read
    k = rng.randint(1, 9)
    run = Run(argv(db, out))
    wait_until(run, lambda: run.files_ingested() >= k)
    code, stage = run.kill()
    assert (code, stage) == (-signal.SIGKILL, "ingest")
    landed.append(stage)
    check_whole_steps(db, ref_sources, ref_translations)
    stored_files = len(table(db, "sources"))
    assert 0 < stored_files < len(ref_sources)
    print(f"kill 1: ingest, after file {k}; {stored_files} of {len(ref_sources)} files stored")

    # 2. and 3. translation: when a drawn share of the sentences is stored
    translated_before = 0
    for share in sorted([rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.9)]):
        target = int(share * ref_translations)
        run = Run(argv(db, out))
        wait_until(run, lambda run=run, target=target: run.stage() == "translate" and translations(db) >= target)
        code, stage = run.kill()
        assert (code, stage) == (-signal.SIGKILL, "translate")
        landed.append(stage)
        check_whole_steps(db, ref_sources, ref_translations)
        now = translations(db)
        assert translated_before < now < ref_translations  # kept what was committed, not done yet
        translated_before = now
        print(f"kill {len(landed)}: translate, at {now} of {ref_translations} translations")
    assert pieces_per_source(db) == ref_sources  # the killed ingest was resumed

    # 4. alignment: a drawn delay after it starts (shorter again if the run got past it first)
    delay = rng.uniform(0.1, 0.6) * timings["align"]
    for _ in range(4):
        run = Run(argv(db, out))
        wait_until(run, lambda run=run: run.stage() in ("align", "export"))
        time.sleep(delay)
        code, stage = run.kill()
        assert code == -signal.SIGKILL, "\n".join(run.lines[-20:])
        if stage == "align":
            break
        delay /= 3
    assert stage == "align", f"no kill landed in alignment (last stage {stage})"
    landed.append(stage)
    print(f"kill 4: align, {delay:.2f} s after it started (reference align took {timings['align']} s)")
    check_whole_steps(db, ref_sources, ref_translations)
    assert translations(db) == ref_translations
    assert table(db, "alignments") == []  # alignment commits all of its results at once, or nothing

    # the last run finishes
    final = Run(argv(db, out))
    assert final.finish() == 0, "\n".join(final.lines[-30:])
    assert landed == ["ingest", "translate", "translate", "align"]

    # every translation exactly once, every segment translated
    assert integrity(db) == "ok"
    distinct = distinct_linked_sources(db)
    final_counts, ref_counts = counts(db), counts(ref_db)
    assert final_counts.translations_cached == distinct == ref_translations
    assert final_counts.segments_pending == 0
    assert final_counts.segments == ref_counts.segments
    assert final_counts.pieces_by_status == ref_counts.pieces_by_status
    # the killed runs are not left 'running' for ever
    assert run_statuses(db)[-1] == "completed"
    assert "running" not in run_statuses(db)

    # the outputs are those of the uninterrupted run
    assert jsonl(out / "pieces.jsonl") == jsonl(ref_out / "pieces.jsonl")
    matches = jsonl(out / "matches.jsonl")
    assert matches == jsonl(ref_out / "matches.jsonl") and len(matches) >= 3
    assert all(m["sentence_pairs"] for m in matches)
    summary, ref_summary = (json.loads((o / "summary.json").read_text()) for o in (out, ref_out))
    for key in ("pieces_by_language", "pieces_by_status", "segments_translated", "segments_pending", "matches", "abstentions"):
        assert summary[key] == ref_summary[key], key
