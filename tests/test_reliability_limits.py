"""Inputs at the limits the settings allow: outputs past the model's positions, million-character lines, endless pieces.

* The decoder has `max_position_embeddings` positions: a token past them has
  no embedding and both backends used to crash (transformers IndexError,
  CTranslate2 RuntimeError). Output limits set beyond it are refused (exit 2,
  naming the setting and the limit); a checkpoint's own `max_length` beyond
  it is lowered, so an output that never ends stops at the limit and is
  recorded. The tiny model gets a small position limit here so the limit is
  reached in seconds.
* `max_line_chars` allows a 1,000,000-character line: detection (URL and
  e-mail blanking) and diagnosis (copy similarity, repeated n-grams) are
  linear or bounded on it.
* A dump that never starts a new piece is cut at `max_piece_chars`, every
  line kept.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from reliability_support import ARABIC_ARTICLE, ENGLISH_ARTICLE, cli, counts, stderr_lines, table
from sqlite_surgery import integrity

from pipeline.evaluate.diagnostics import diagnose, longest_repeat

POSITIONS = 24


def short_model(tiny_model_dir: Path, folder: Path, checkpoint_max_length: int | None = None) -> Path:
    """The tiny model with a decoder of POSITIONS positions (and, optionally, a generation max_length beyond them)."""
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = POSITIONS  # sinusoidal positions: computed from the config, not stored
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if checkpoint_max_length is not None:
        generation = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
        generation["max_length"] = checkpoint_max_length
        (folder / "generation_config.json").write_text(json.dumps(generation), encoding="utf-8")
    return folder


def ingested(tmp_path: Path) -> Path:
    db = tmp_path / "store.sqlite"
    dump = tmp_path / "dump.txt"
    dump.write_text(ARABIC_ARTICLE + "\n\n" + ENGLISH_ARTICLE, encoding="utf-8")
    assert cli("ingest", dump, "--db", db, "--quiet").returncode == 0
    return db


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "translate.max_new_tokens=25",
            f"translate.max_new_tokens 25 is impossible: this model's decoder has {POSITIONS} positions",
        ),
        ("translate.max_length=26", f"translate.max_length 26 is impossible: this model's decoder has {POSITIONS} positions"),
        ("translate.min_new_tokens=30", f"translate.min_new_tokens 30 is more than the {POSITIONS} tokens an output may have"),
    ],
)
def test_an_output_limit_past_the_models_positions_is_refused_with_the_limit(tmp_path, tiny_model_dir, setting, message):
    db = ingested(tmp_path)
    model = short_model(tiny_model_dir, tmp_path / "model")
    proc = cli("translate", "--db", db, "--model", model, "--set", setting)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (error,) = stderr_lines(proc)
    assert message in error, error
    assert counts(db).segments_pending > 0 and counts(db).translations_cached == 0 and integrity(db) == "ok"


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_an_output_that_never_ends_stops_at_the_models_positions_and_is_recorded(tmp_path, tiny_model_dir, backend):
    """A checkpoint asking for 200 tokens of a 24-position decoder, and outputs forced never to end early."""
    db = ingested(tmp_path)
    model = short_model(tiny_model_dir, tmp_path / "model", checkpoint_max_length=200)
    proc = cli(
        "translate",
        "--db",
        db,
        "--model",
        model,
        "--set",
        f"translate.backend={backend}",
        "--set",
        "translate.num_beams=1",
        "--set",
        f"translate.min_new_tokens={POSITIONS}",
        "--set",
        f"translate.cache_dir={tmp_path / 'ct2'}",
    )
    assert proc.returncode == 0, proc.stderr
    assert counts(db).segments_pending == 0
    rows = table(db, "translations")
    assert rows and all(json.loads(r["settings"])["max_length"] == POSITIONS + 1 for r in rows)
    assert all(r["target_text"] for r in rows)  # every sentence recorded with the output it got
    diagnosed = cli("diagnose", "--db", db)
    assert diagnosed.returncode == 0, diagnosed.stderr


@pytest.mark.xfail(
    strict=True,
    reason="issue 21: the learned segmenter (feature version 6) labels the whole second article of this dump (headline, date"
    " line, and the paragraph holding the 1M-character run) chrome with p=1.0, so the long line is in no piece; a bodiless"
    " head taking the paragraphs under it (segmenter.py) does not apply where the headline itself is chrome",
)
def test_a_million_character_run_without_spaces_is_detected_in_seconds(tmp_path):
    """An inline image (a base64 run of ~1M characters) in a paragraph: blanking addresses is linear (it took ~35 min)."""
    dump = tmp_path / "dump.txt"
    glued = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAA" * 41_600
    line = f"The minister told reporters to read {glued} before the summit in Baghdad opened on Saturday."
    assert 990_000 < len(line) <= 1_000_000  # max_line_chars allows it
    dump.write_text(ENGLISH_ARTICLE + "\n\nA headline about the summit online\n\n27 Jul 2021\n\n" + line + "\n", encoding="utf-8")
    db = tmp_path / "store.sqlite"
    start = time.perf_counter()
    proc = cli("ingest", dump, "--db", db)  # ingest and detect
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - start < 60
    (long_piece,) = [p for p in table(db, "pieces") if glued in p["text"]]
    assert long_piece["lang"] and long_piece["status"] != "ingested"  # it went through detection


def test_diagnosing_a_900k_character_translation_is_bounded():
    """Copy similarity on at most COPY_CHECK_CHARS of each side, repeats in one pass: seconds, not the 1,004 s it took."""
    source = "عقد مؤتمر القمة في بغداد يوم السبت بحضور عدد من القادة. " * 16_500
    looping = "the summit and " * 61_000  # a model stuck in a loop
    assert len(source) > 900_000 and len(looping) > 900_000
    start = time.perf_counter()
    copied = diagnose(source, source)
    loop = diagnose(source, looping)
    assert time.perf_counter() - start < 30
    assert "copied_source" in copied["flags"] and copied["values"]["copy_similarity"] == 1.0
    assert "repetition" in loop["flags"] and loop["values"]["max_repeats"] == 61_000
    assert longest_repeat("blah, blah, blah, and more") == (3, "blah ,")


def test_a_dump_that_never_starts_a_new_piece_is_cut_at_max_piece_chars_keeping_every_line(tmp_path):
    paragraphs = [
        f"In part {n}, the delegates of the regional summit in Baghdad discussed the plan for the {n}th time, "
        "and the talks went on late into the night without any agreement being announced."
        for n in range(1, 601)
    ]
    dump = tmp_path / "endless.txt"
    dump.write_text("An endless report on the summit\n\n27 Jul 2021\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", dump, "--db", db, "--no-detect", "--set", "ingest.max_piece_chars=20000")
    assert proc.returncode == 0, proc.stderr
    position = {link["piece_id"]: link["position"] for link in table(db, "piece_sources")}
    pieces = sorted(table(db, "pieces"), key=lambda p: position[p["id"]])
    assert len(pieces) > 1 and all(len(p["text"]) <= 20_000 + 300 for p in pieces)
    kept = [par for p in pieces for par in p["text"].split("\n\n") if par.startswith("In part")]
    assert kept == paragraphs  # in order, none lost, none twice
    notes = [p["ingest_notes"] or "" for p in pieces]
    assert "cut at ingest.max_piece_chars (20,000 characters): the text goes on in the next piece" in notes[0]
    assert all("continues the previous piece" in n for n in notes[1:])
