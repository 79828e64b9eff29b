"""The translate stage over a real store: cache, resume after a crash, bad input, provenance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from translate_support import add_piece, flores, make_config, segment_rows

from pipeline.config import Config
from pipeline.errors import EXIT_MODEL_UNAVAILABLE
from pipeline.store import open_store
from pipeline.translate import translate_store
from pipeline.translate.stage import EMPTY_PARAGRAPH, NOTHING_TO_TRANSLATE

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ct2")


@pytest.fixture
def config(tmp_path, tiny_model_dir, ct2_cache) -> Config:
    return make_config(tmp_path, tiny_model_dir, ct2_cache)


def test_second_run_makes_no_model_call_and_repeated_sentences_are_translated_once(config):
    shared = "وأكد المتحدث أن الاجتماع سيعقد غدا في بغداد."
    with open_store(config.store.path) as store:
        add_piece(store, "dump1", [f"{flores(1)[0]} {shared}", flores(1, 1)[0]], title="قمة بغداد")
        first = translate_store(store, config)
        assert first.new_translations == 4 and first.cache_hits == 0 and first.model_calls >= 1
        assert first.pending == 0 and first.pieces_translated == 1

        again = translate_store(store, config)
        assert again.model_calls == 0 and again.new_translations == 0
        assert again.status == "nothing_to_translate"

        # a later dump repeats one sentence (twice) and brings one new one
        add_piece(store, "dump2", [f"{shared} {flores(1, 2)[0]}", shared])
        second = translate_store(store, config)
        assert second.new_translations == 1
        assert second.cache_hits == 2
        rows = segment_rows(store)
        keys = {r["translation_key"] for r in rows if r["text"] == shared}
        assert len(keys) == 1  # one translation serves all three occurrences
        assert store.counts().translations_cached == 5


def test_translations_record_their_provenance(config):
    with open_store(config.store.path) as store:
        add_piece(store, "p", flores(2))
        run_id = store.start_run("test")
        report = translate_store(store, config, run_id=run_id)
        rows = store.translations_of_sources(flores(2))
        assert len(rows) == 2 and len(store.rows("translations")) == 2
        for row in rows:
            assert row.model == report.model and row.model.startswith("local:")
            assert row.revision == report.revision and row.revision.startswith("sha256:")
            assert row.backend == "ctranslate2"  # what `auto` picks when CTranslate2 is installed
            settings = row.settings
            assert settings["num_beams"] == 4 and settings["max_length"] == 40  # the checkpoint's own
            assert settings["compute_type"] == "int8"
            assert row.created_at and row.run_id == run_id
            assert isinstance(row.logprob, float) and row.logprob < 0
        piece = store.load_pieces(["p"])[0]
        assert piece.status == "translated" and piece.translation
        assert piece.model == f"{report.model}@{report.revision}"


def test_settings_are_part_of_the_cache_key(config):
    with open_store(config.store.path) as store:
        add_piece(store, "p", flores(1))
        translate_store(store, config)
        config.set("translate.backend", "transformers")
        add_piece(store, "q", flores(1))  # the same sentence again
        report = translate_store(store, config)
        assert report.new_translations == 1 and report.cache_hits == 0  # another backend: not reused
        backends = {r["backend"] for r in store.rows("translations")}
        assert backends == {"ctranslate2", "transformers"}


def test_titles_are_translated_as_paragraph_minus_one(config):
    with open_store(config.store.path) as store:
        add_piece(store, "ar", flores(1), title="سوريا لم تنتظر دعوتها: أيّ جوار من دوننا؟")
        add_piece(store, "en-title", flores(1, 1), title="An English headline")
        translate_store(store, config)
        titles = [r for r in segment_rows(store) if r["paragraph_idx"] == -1]
        assert [(r["piece_id"], r["text"]) for r in titles] == [("ar", "سوريا لم تنتظر دعوتها: أيّ جوار من دوننا؟")]
        assert titles[0]["target_text"] is not None
        assert store.load_pieces(["ar"])[0].title_translation is not None


def test_a_title_detect_called_persian_is_not_sent_to_the_model(config):
    with open_store(config.store.path) as store:
        add_piece(store, "fa-title", flores(1), title="گزارش ویژه از نشست بغداد", title_lang="fa")
        add_piece(store, "ar-title", flores(1, 1), title="قمة بغداد", title_lang="ar")
        translate_store(store, config)
        titles = {r["piece_id"] for r in segment_rows(store) if r["paragraph_idx"] == -1}
        assert titles == {"ar-title"}


_CRASHING_RUN = """
import os, sys
sys.path.insert(0, {tests!r})
from pipeline.config import Config
from pipeline.store import open_store
from pipeline.translate import translate_store
config = Config.load(None, {overrides!r})
def crash(n):
    if n == {k}:
        os._exit(17)  # no cleanup, no rollback handlers: like a kill -9 right after a commit
with open_store(config.store.path) as store:
    translate_store(store, config, after_batch=crash)
"""


@pytest.mark.parametrize("backend", ["ctranslate2", "transformers"])
def test_a_run_killed_mid_way_resumes_without_losing_or_repeating_a_sentence(tmp_path, tiny_model_dir, ct2_cache, backend):
    config = make_config(tmp_path, tiny_model_dir, ct2_cache, backend=backend, max_batch_size=4, num_beams=1)
    texts = flores(30, start=200)
    with open_store(config.store.path) as store:
        for n in range(6):
            add_piece(store, f"p{n}", [" ".join(texts[5 * n : 5 * n + 3]), " ".join(texts[5 * n + 3 : 5 * n + 5])])
        total = len(store.rows("paragraphs"))
        assert total == 12
    overrides = {k: v for k, v in _flatten(config.raw).items()}
    code = _CRASHING_RUN.format(tests=str(Path(__file__).parent), overrides=overrides, k=3)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 17, proc.stderr

    with open_store(config.store.path) as store:
        after_crash = segment_rows(store)
        done = {
            (r["piece_id"], r["paragraph_idx"], r["sentence_idx"]): r["translation_key"]
            for r in after_crash
            if r["translation_key"]
        }
        assert len(done) == 12  # exactly three committed batches of four distinct sentences
        assert store.counts().translations_cached == 12
        pending_pieces = store.counts().pieces_by_status.get("translated", 0)
        assert pending_pieces == 0  # statuses are only set at the end; the crash left them as they were

        report = translate_store(store, config)
        rows = segment_rows(store)
        assert len(rows) == len(after_crash) == 30
        assert all(r["translation_key"] for r in rows)
        assert report.new_translations == 30 - 12 and report.cache_hits == 0
        for r in rows:  # what was committed before the crash is kept as it was
            key = (r["piece_id"], r["paragraph_idx"], r["sentence_idx"])
            if key in done:
                assert r["translation_key"] == done[key]
        assert store.counts().translations_cached == 30
        assert {r["status"] for r in store.rows("pieces")} == {"translated"}


def _flatten(raw: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_bad_input_never_crashes_and_every_segment_is_translated_or_explained(config):
    no_punctuation = " ".join(["كلمة", "عربية", "طويلة", "بلا", "ترقيم"] * 1000)  # 5,000 words, one "sentence"
    paragraphs = [
        "",
        "   ",
        "!!! ... ؟؟؟ «» ()",
        "2021 ١٢٣٤ 3.5",
        "قال مسؤول في Human Rights Watch إن الوضع خطير جدا.",
        no_punctuation,
        "\u200f\u202bنص عربي\u202c مع علامات\u2067 اتجاه\u2069 ومسافات\u200b صفرية.\u200e",
        "\u200f\u200b\u2067\u2069",
    ]
    with open_store(config.store.path) as store:
        add_piece(store, "bad", paragraphs, title="\u200f")
        report = translate_store(store, config)
        rows = segment_rows(store)
        assert report.pending == 0
        for r in rows:
            assert (r["translation_key"] is not None) != (r["reason"] is not None), r
        reasons = {r["paragraph_idx"]: r["reason"] for r in rows if r["reason"]}
        assert reasons == {0: EMPTY_PARAGRAPH, 1: EMPTY_PARAGRAPH, 7: NOTHING_TO_TRANSLATE}
        long_rows = [r for r in rows if r["paragraph_idx"] == 5]
        assert len(long_rows) == 1 and long_rows[0]["text"] == no_punctuation  # one segment, not truncated
        assert len(long_rows[0]["target_text"].split()) > 100  # its many chunks were all translated
        controls = next(r for r in rows if r["paragraph_idx"] == 6)
        (source,) = [t["source_text"] for t in store.rows("translations") if t["key"] == controls["translation_key"]]
        assert source == "نص عربي مع علامات اتجاه ومسافات صفرية."  # the model saw it without the controls
        piece = store.load_pieces(["bad"])[0]
        assert piece.status == "translated"
        assert all(p.translation is not None for p in piece.paragraphs)
        assert store.counts().segments_pending == 0


def test_unfinished_pieces_stay_pending_with_a_reason(config):
    with open_store(config.store.path) as store:
        add_piece(store, "p", flores(2))

        def stop(n: int) -> None:
            raise KeyboardInterrupt  # the user pressed Ctrl-C after the first batch

        config.set("translate.max_batch_size", 1)
        with pytest.raises(KeyboardInterrupt):
            translate_store(store, config, after_batch=stop)
        assert store.segment_counts().translated == 1
        add_piece(store, "q", flores(1, 5))
        config.set("translate.max_batch_size", 32)
        config.set("model.path", str(Path(config.store.path).parent / "missing-model"))
        unavailable = translate_store(store, config)  # no model: reported (exit code 4), not raised
        assert unavailable.status == "model_unavailable" and unavailable.exit_code() == EXIT_MODEL_UNAVAILABLE
        assert "no such folder" in unavailable.messages()[0]
        status = {r["id"]: r["status"] for r in store.rows("pieces")}
        assert status == {"p": "pending", "q": "pending"}
        reason = store.load_pieces(["p"])[0].reason
        assert reason.startswith("model unavailable")


def test_paragraphs_not_routed_to_translation_are_left_alone(config):
    with open_store(config.store.path) as store:
        add_piece(store, "mixed", [flores(1)[0], "An English paragraph in the same piece."], routes=["translate", "english"])
        translate_store(store, config)
        assert {r["paragraph_idx"] for r in segment_rows(store)} == {0}
        piece = store.load_pieces(["mixed"])[0]
        assert piece.status == "translated"
        assert piece.translation.endswith("An English paragraph in the same piece.")


def test_cli_translate_runs_the_stage(tmp_path, tiny_model_dir, ct2_cache):
    db = tmp_path / "store.sqlite"
    with open_store(db) as store:
        add_piece(store, "p", flores(3))
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"translate:\n  cache_dir: {ct2_cache}\n  num_beams: 1\n")
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "translate",
        "--config",
        str(config_file),
        "--db",
        str(db),
        "--model",
        str(tiny_model_dir),
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "new 3" in proc.stdout
    with open_store(db) as store:
        assert [r.status for r in store.runs()] == ["completed"]
        assert [p.status for p in store.load_pieces()] == ["translated"]
