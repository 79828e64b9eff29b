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
asserted. After every kill the store passes `PRAGMA integrity_check` and
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
    integrity,
    pipeline_argv,
    query,
    write_arabic_dumps,
    write_external_translations,
)

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


def wait_until(run: Run, condition, timeout: float = 400) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if run.proc.poll() is not None:
            pytest.fail(f"the run ended (exit {run.proc.returncode}) before the kill point:\n" + "\n".join(run.lines[-20:]))
        time.sleep(0.02)
    pytest.fail("kill point not reached in time:\n" + "\n".join(run.lines[-20:]))


def count(db: Path, sql: str) -> int:
    try:
        return int(query(db, sql)[0][0])
    except Exception:  # noqa: BLE001 - the store may not exist yet, or have no schema yet
        return 0


def pieces_per_source(db: Path) -> dict[str, int]:
    return dict(query(db, "SELECT s.path, COUNT(ps.piece_id) FROM sources s LEFT JOIN piece_sources ps ON ps.source_id = s.id GROUP BY s.id"))


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_whole_steps(db: Path, reference: dict[str, int], total_translations: int) -> None:
    """What a killed run leaves: a sound store holding whole files and whole batches only."""
    assert integrity(db) == "ok"
    for path, n in pieces_per_source(db).items():  # a file's pieces are all there or not at all
        assert n == reference[path], (path, n, reference[path])
    assert count(db, "SELECT COUNT(*) FROM segments s LEFT JOIN translations t ON t.key = s.translation_key "
                     "WHERE s.translation_key IS NOT NULL AND t.key IS NULL") == 0
    assert count(db, "SELECT COUNT(*) FROM (SELECT source_text FROM translations GROUP BY source_text, model, revision, backend, settings "
                     "HAVING COUNT(*) > 1)") == 0
    assert count(db, "SELECT COUNT(*) FROM translations") <= total_translations


def test_killed_four_times_the_run_resumes_and_ends_as_if_never_interrupted(tmp_path, tiny_model_dir):
    inputs = tmp_path / "inputs"
    written = write_arabic_dumps(inputs / "arabic", sentences=3000, pieces=100, files=10)
    write_external_translations(inputs / "external" / "translated.jsonl", count=6)
    english = sorted(p for p in SEEDS.glob("*.txt"))

    def argv(db: Path, out: Path) -> list[str]:
        return pipeline_argv("run", inputs / "arabic", inputs / "external", *english, "--db", db, "--out", out, "--model", tiny_model_dir)

    # the reference: one uninterrupted run
    ref_db, ref_out = tmp_path / "reference.sqlite", tmp_path / "reference-out"
    reference = Run(argv(ref_db, ref_out))
    assert reference.finish() == 0, "\n".join(reference.lines[-30:])
    ref_sources = pieces_per_source(ref_db)
    ref_translations = count(ref_db, "SELECT COUNT(*) FROM translations")
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
    assert 0 < count(db, "SELECT COUNT(*) FROM sources") < len(ref_sources)
    print(f"kill 1: ingest, after file {k}; {count(db, 'SELECT COUNT(*) FROM sources')} of {len(ref_sources)} files stored")

    # 2. and 3. translation: when a drawn share of the sentences is stored
    translated_before = 0
    for share in sorted([rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.9)]):
        target = int(share * ref_translations)
        run = Run(argv(db, out))
        wait_until(run, lambda: run.stage() == "translate" and count(db, "SELECT COUNT(*) FROM translations") >= target)
        code, stage = run.kill()
        assert (code, stage) == (-signal.SIGKILL, "translate")
        landed.append(stage)
        check_whole_steps(db, ref_sources, ref_translations)
        now = count(db, "SELECT COUNT(*) FROM translations")
        assert translated_before < now < ref_translations  # kept what was committed, not done yet
        translated_before = now
        print(f"kill {len(landed)}: translate, at {now} of {ref_translations} translations")
    assert pieces_per_source(db) == ref_sources  # the killed ingest was resumed

    # 4. alignment: a drawn delay after it starts (shorter again if the run got past it first)
    delay = rng.uniform(0.1, 0.6) * timings["align"]
    for _ in range(4):
        run = Run(argv(db, out))
        wait_until(run, lambda: run.stage() in ("align", "export"))
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
    assert count(db, "SELECT COUNT(*) FROM translations") == ref_translations
    assert count(db, "SELECT COUNT(*) FROM alignments") == 0  # alignment commits all of its results at once, or nothing

    # the last run finishes
    final = Run(argv(db, out))
    assert final.finish() == 0, "\n".join(final.lines[-30:])
    assert landed == ["ingest", "translate", "translate", "align"]

    # every translation exactly once, every segment translated
    assert integrity(db) == "ok"
    distinct = count(db, "SELECT COUNT(DISTINCT t.source_text) FROM segments s JOIN translations t ON t.key = s.translation_key")
    assert count(db, "SELECT COUNT(*) FROM translations") == distinct == ref_translations
    assert count(db, "SELECT COUNT(*) FROM segments WHERE translation_key IS NULL AND reason IS NULL") == 0
    assert count(db, "SELECT COUNT(*) FROM segments") == count(ref_db, "SELECT COUNT(*) FROM segments")
    assert query(db, "SELECT status, COUNT(*) FROM pieces GROUP BY status ORDER BY 1") == query(
        ref_db, "SELECT status, COUNT(*) FROM pieces GROUP BY status ORDER BY 1"
    )
    # the killed runs are not left 'running' for ever
    assert [s for (s,) in query(db, "SELECT status FROM runs ORDER BY id")][-1] == "completed"
    assert "running" not in {s for (s,) in query(db, "SELECT status FROM runs")}

    # the outputs are those of the uninterrupted run
    assert jsonl(out / "pieces.jsonl") == jsonl(ref_out / "pieces.jsonl")
    matches = jsonl(out / "matches.jsonl")
    assert matches == jsonl(ref_out / "matches.jsonl") and len(matches) >= 3
    assert all(m["sentence_pairs"] for m in matches)
    summary, ref_summary = (json.loads((o / "summary.json").read_text()) for o in (out, ref_out))
    for key in ("pieces_by_language", "pieces_by_status", "segments_translated", "segments_pending", "matches", "abstentions"):
        assert summary[key] == ref_summary[key], key
