"""`pipeline run` on the seeds, end to end, as a user runs it (a real subprocess, a real store)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from reliability_support import SEEDS, cli, counts, reading

from pipeline.errors import EXIT_MODEL_UNAVAILABLE


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_ingest_then_status_shows_every_dump_and_routes_only_arabic(tmp_path: Path):
    """The issue's check: `pipeline ingest seeds/` then `pipeline status`."""
    db = tmp_path / "s.sqlite"
    assert cli("ingest", SEEDS, "--db", db, "-q").returncode == 0  # ingest detects languages too
    status = json.loads(cli("status", "--db", db, "--json").stdout)
    assert status["sources"] == {"ingested": 5}
    pieces = status["pieces_list"]
    seed3 = [p for p in pieces if p["source"].endswith("003_d3a64df3fb8f3d34.txt")]
    arabic = [p for p in seed3 if p["lang"] == "ar"]
    assert len(arabic) == 6 and all(p["status"] == "pending" for p in arabic)
    assert {p["outlet"] for p in arabic} == {"Al-Akhbar", "Al-Binaa"}
    english = [p for p in pieces if p["lang"] == "en"]
    assert english and all(p["status"] == "english" for p in english)
    assert sum(1 for p in pieces if p["date"]) >= 25  # dates read in English and Arabic forms
    with reading(db) as store:
        routed_english = [pa for p in store.load_pieces(lang="en") for pa in p.paragraphs if pa.route == "translate"]
    assert routed_english == []


def test_run_without_a_reachable_model_marks_pending_and_says_how_to_fix(tmp_path: Path):
    db, out = tmp_path / "s.sqlite", tmp_path / "out"
    start = time.monotonic()
    proc = cli("run", SEEDS, "--db", db, "--out", out, "-q", env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert time.monotonic() - start < 60  # an unreachable hub is detected in seconds
    assert proc.returncode == EXIT_MODEL_UNAVAILABLE
    assert "--model" in proc.stderr and "PIPELINE_MODEL_PATH" in proc.stderr
    pieces = _jsonl(out / "pieces.jsonl")
    arabic = [p for p in pieces if p["lang"] == "ar"]
    assert len(arabic) == 6
    assert all(p["status"] == "pending" and p["reason"] and p["translation"] is None for p in arabic)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["segments_pending"] > 0 and summary["new_translations"] == 0
    assert (out / "report.html").exists() and (out / "pairs.tmx").exists()


def test_run_with_a_local_model_translates_every_arabic_paragraph_once(tmp_path: Path, tiny_model_dir: Path):
    db, out = tmp_path / "s.sqlite", tmp_path / "out"
    first = cli("run", SEEDS, "--db", db, "--out", out, "--model", tiny_model_dir, "-q")
    assert first.returncode == 0, first.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["new_translations"] > 0 and summary["segments_pending"] == 0
    for piece in _jsonl(out / "pieces.jsonl"):
        for paragraph in piece["paragraphs"]:
            if paragraph["lang"] == "ar":
                assert paragraph["translation"] is not None, (piece["id"], paragraph["text"][:40])
        if piece["lang"] == "ar":
            assert piece["status"] == "translated" and piece["model"]["id"]
    first_pieces = (out / "pieces.jsonl").read_text()

    again = cli("run", SEEDS, "--db", db, "--out", out, "--model", tiny_model_dir, "-q")
    assert again.returncode == 0, again.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["new_translations"] == 0
    assert (out / "pieces.jsonl").read_text() == first_pieces
    stored = counts(db)
    assert stored.segments > 0 and stored.segments_translated == stored.segments  # no segment without a translation
