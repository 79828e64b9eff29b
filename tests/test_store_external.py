"""Translations that come with the input, kept per (piece, system); model provenance; older stores migrated.

Texts are FLORES dev: the Arabic source and real systems' published outputs
(opus-mt writes Moses escapes, Google HTML references). The tests that go
through the store run once per backend (SQLite, PostgreSQL: the
`store_location` fixture), migration 3's data step included.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import postgres_surgery
import pytest
import sqlite_surgery
from store_factory import ingest_pieces
from translate_support import make_config

from pipeline.config import Config
from pipeline.detect import detect_store
from pipeline.evaluate.diagnostics import diagnose_store
from pipeline.evaluate.similarity import chrf_similarity
from pipeline.export.data import load_export_data
from pipeline.ingest import ingest_paths
from pipeline.ingest.stage import external_translation
from pipeline.records import Alignment, IngestedPiece, Match, content_id
from pipeline.store import is_url, open_store
from pipeline.store.schema import SCHEMA_VERSION
from pipeline.text.readable import readable
from pipeline.translate import translate_store

FLORES = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev"


def lines(name: str) -> list[str]:
    return (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()


AR, OPUS, GOOGLE = lines("ar"), lines("opusmt.en"), lines("google.en")


def arrival(system: str, outputs: list[str], start: int, n: int = 5, input_id: str | None = None) -> IngestedPiece:
    """FLORES lines start..start+n as one piece, with `system`'s translation as ingest pairs it."""
    paragraphs = AR[start : start + n]
    return IngestedPiece(
        id=content_id("\n\n".join(paragraphs)),
        position=0,
        paragraphs=paragraphs,
        input_id=input_id,
        external=external_translation(paragraphs, "\n".join(outputs[start : start + n]), system, input_id),
    )


def test_a_second_system_is_kept_beside_the_first_which_stays_current(store_location: str):
    with open_store(store_location) as store:
        ingest_pieces(store, "opus.jsonl", [arrival("opus-mt", OPUS, 0, input_id="doc-1")])
        ingest_pieces(store, "google.jsonl", [arrival("google", GOOGLE, 0, input_id="doc-1")])
        piece = store.load_pieces()[0]
        assert [(e.system, e.unit) for e in piece.external_translations] == [("opus-mt", "paragraph"), ("google", "paragraph")]
        assert piece.external and piece.model == "opus-mt" and piece.translation_unit == "paragraph"
        assert piece.provenance is not None and piece.provenance.model_dump(include={"id", "revision", "external"}) == {
            "id": "opus-mt",
            "revision": None,
            "external": True,
        }
        assert piece.input_id == "doc-1"
        # paragraph i carries the readable translation of Arabic paragraph i; the raw output is kept beside it
        assert [p.translation for p in piece.paragraphs] == [readable(line) for line in OPUS[:5]]
        assert piece.paragraphs[4].translation.startswith("The local media announced the coup d'état")
        assert piece.translation_raw == "\n\n".join(OPUS[:5]) and "coup d &apos; état" in piece.translation_raw
        assert piece.external_translations[1].parts == [readable(line) for line in GOOGLE[:5]]
        assert store.external_systems() == {"google": 1, "opus-mt": 1}
        # the same system again (a corrected file) replaces its text and keeps its place
        ingest_pieces(store, "opus-fixed.jsonl", [arrival("opus-mt", GOOGLE, 0)])
        again = store.load_pieces()[0]
        assert [e.system for e in again.external_translations] == ["opus-mt", "google"]
        assert again.translation == "\n\n".join(readable(line) for line in GOOGLE[:5])
        assert again.external_translations[0].input_id == "doc-1"  # an id once given is not lost


def test_paragraphs_pair_only_when_the_counts_agree(store_location: str):
    doc = AR[10:13]
    outputs = OPUS[10:13]
    by_paragraph = external_translation(doc, "\n".join(outputs), "opus-mt")
    assert by_paragraph.unit == "paragraph" and by_paragraph.raw_parts == outputs
    whole = external_translation(doc, " ".join(outputs), "opus-mt")  # one block for three paragraphs
    assert whole.unit == "piece" and whole.raw_parts == [" ".join(outputs)] and whole.parts == [readable(" ".join(outputs))]
    listed = external_translation(doc, outputs, "opus-mt")  # a list is the paragraphs already
    assert listed == by_paragraph
    with open_store(store_location) as store:
        ingest_pieces(store, "a.jsonl", [IngestedPiece(id=content_id("\n\n".join(doc)), position=0, paragraphs=doc)])
        # the same text on one line (same content id): paired with that one paragraph by ingest, but the
        # stored piece has three, so the store keeps it as one translation of the whole piece
        one_line = [" ".join(doc)]
        ingest_pieces(
            store,
            "b.jsonl",
            [
                IngestedPiece(
                    id=content_id(one_line[0]),
                    position=0,
                    paragraphs=one_line,
                    external=external_translation(one_line, " ".join(outputs), "nllb"),
                )
            ],
        )
        piece = store.load_pieces()[0]
        assert len(piece.paragraphs) == 3 and piece.translation_unit == "piece"
        assert all(p.translation is None for p in piece.paragraphs)
        assert piece.translation == readable(" ".join(outputs))


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_piece_with_a_translation_needs_no_model_unless_ours_is_asked_for(
    tmp_path: Path, tiny_model_dir: Path, store_location: str
):
    jsonl = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "flores-1", "text": "\n".join(AR[:3]), "translation": "\n".join(OPUS[:3]), "system": "opus-mt"},
            {"id": "flores-2", "text": "\n".join(AR[3:6])},  # no translation: the model's job
        ],
    )
    missing = tmp_path / "no-model-here"
    config = make_config(tmp_path, missing)
    with open_store(store_location) as store:
        ingest_paths(store, config, [jsonl])
        detect_store(store, config)
        statuses = {p.input_id: p.status for p in store.load_pieces()}
        assert statuses == {"flores-1": "translated", "flores-2": "pending"}  # detect knows it needs no model
        report = translate_store(store, config)
        assert report.status == "model_unavailable" and report.exit_code() == 4  # for flores-2 only
        assert report.pieces_translated == 1 and report.pieces_pending == 1 and report.external == {"opus-mt": 1}
        assert all(s.piece_id != content_id("\n\n".join(AR[:3])) for s in store.pending_segments())

        # ours too, for the piece that has one: asked for, and the model is missing: that is said, the piece stays translated
        ours_too = make_config(tmp_path, missing, retranslate_external=True)
        report = translate_store(store, ours_too)
        assert report.status == "model_unavailable" and report.pieces_translated == 1
        external_id = content_id("\n\n".join(AR[:3]))
        assert any(s.piece_id == external_id for s in store.pending_segments())
        # no longer asked for: its unfinished segments go, nothing of it is pending
        report = translate_store(store, config)
        assert report.external_segments_dropped == 3 and not any(s.piece_id == external_id for s in store.pending_segments())

        # with a model, ours is made, becomes the current translation, and the system's stays beside it
        with_model = make_config(tmp_path, tiny_model_dir, backend="transformers", retranslate_external=True)
        report = translate_store(store, with_model)
        assert report.status == "done" and report.pending == 0
        piece = next(p for p in store.load_pieces() if p.id == external_id)
        assert not piece.external and piece.translation_unit == "sentence" and piece.model and piece.model.startswith("local:")
        assert [e.system for e in piece.external_translations] == ["opus-mt"]


def test_the_model_behind_our_translations_is_recorded_with_its_weights(
    tmp_path: Path, tiny_model_dir: Path, store_location: str
):
    config = make_config(tmp_path, tiny_model_dir, backend="transformers")
    jsonl = _jsonl(tmp_path / "in.jsonl", [{"text": "\n".join(AR[20:22])}])
    with open_store(store_location) as store:
        ingest_paths(store, config, [jsonl])
        detect_store(store, config)
        run_id = store.start_run("test")
        report = translate_store(store, config, run_id=run_id)
        weights = hashlib.sha256((tiny_model_dir / "model.safetensors").read_bytes()).hexdigest()
        assert report.provenance is not None and report.provenance["weights_sha256"] == {"model.safetensors": weights}
        [model] = store.models()
        assert model.model_dump() == {
            "id": report.model,
            "revision": report.revision,
            "external": False,
            "ref": None,
            "weights": "safetensors",
            "weights_sha256": {"model.safetensors": weights},
            "converted_from": None,
            "origin": "local folder",
        }
        assert store.rows("models")[0]["run_id"] == run_id
        piece = store.load_pieces()[0]
        assert piece.provenance == model and piece.model == f"{report.model}@{report.revision}"


def store_at_version(location: str, version: int, rows: dict[str, list[dict[str, object]]]) -> None:
    """A store as a pipeline of schema `version` left it, on the backend `location` names."""
    if is_url(location):
        postgres_surgery.store_at_version(location, version, rows)
    else:
        sqlite_surgery.store_at_version(Path(location), version, rows)


def test_an_older_store_is_migrated_readable_with_its_raw_output_kept(store_location: str):
    """Schema 2 kept the raw model output and one external translation per piece, in the pieces table."""
    db = store_location
    now = "2024-01-01T00:00:00+00:00"
    legacy, ours = AR[32], AR[4]  # opus-mt: "Alonso &apos; s safe car", "coup d &apos; état"
    store_at_version(
        db,
        2,
        {
            "sources": [
                {"id": 1, "path": "/in/old.jsonl", "sha256": "0" * 64, "size": 1, "status": "ingested", "ingested_at": now}
            ],
            "pieces": [
                {
                    "id": "p-legacy",
                    "text": legacy,
                    "status": "pending",
                    "external_translation": OPUS[32],
                    "external_model": "opus-mt",
                    "created_at": now,
                    "lang": "ar",
                },
                {"id": "p-ours", "text": ours, "status": "translated", "created_at": now, "lang": "ar"},
            ],
            "piece_sources": [
                {"piece_id": "p-legacy", "source_id": 1, "position": 0},
                {"piece_id": "p-ours", "source_id": 1, "position": 1},
            ],
            "paragraphs": [
                {"piece_id": "p-legacy", "idx": 0, "text": legacy, "lang": "ar", "route": "translate"},
                {"piece_id": "p-ours", "idx": 0, "text": ours, "lang": "ar", "route": "translate"},
            ],
            "translations": [
                {
                    "key": "k1",
                    "model": "Helsinki-NLP/opus-mt-ar-en",
                    "revision": "abc",
                    "backend": "transformers",
                    "settings": "{}",
                    "source_text": ours,
                    "target_text": OPUS[4],
                    "created_at": now,
                }
            ],
            "segments": [{"piece_id": "p-ours", "paragraph_idx": 0, "sentence_idx": 0, "text": ours, "translation_key": "k1"}],
        },
    )
    with open_store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        [row] = store.rows("translations")
        assert row["raw_text"] == OPUS[4] and row["target_text"] == readable(OPUS[4])
        assert "coup d'état" in row["target_text"]
        pieces = {p.id: p for p in store.load_pieces()}
        assert pieces["p-ours"].translation == readable(OPUS[4]) and pieces["p-ours"].translation_raw == OPUS[4]
        old = pieces["p-legacy"]
        assert old.external and old.model == "opus-mt" and old.translation_unit == "piece"
        assert old.translation == readable(OPUS[32]) and "Alonso's safe car" in old.translation
        assert old.translation_raw == OPUS[32]
        assert all(r["external_translation"] is None for r in store.rows("pieces"))  # moved, not kept twice
        # the migrated store carries on: another system for the same piece
        ingest_pieces(
            store,
            "/in/google.jsonl",
            [
                IngestedPiece(
                    id="p-legacy", position=0, paragraphs=[legacy], external=external_translation([legacy], GOOGLE[32], "google")
                )
            ],
        )
        assert [e.system for e in store.load_pieces(["p-legacy"])[0].external_translations] == ["opus-mt", "google"]


def test_a_data_step_that_fails_leaves_the_older_store_as_it_was(store_location: str, monkeypatch: pytest.MonkeyPatch):
    """Migration 3's statements and its data step are one transaction: a failure half way through the rows undoes both."""
    from pipeline.store import schema

    now = "2024-01-01T00:00:00+00:00"
    store_at_version(
        store_location,
        2,
        {
            "pieces": [
                {
                    "id": "p",
                    "text": AR[32],
                    "status": "pending",
                    "external_translation": OPUS[32],
                    "external_model": "opus-mt",
                    "created_at": now,
                    "lang": "ar",
                }
            ],
        },
    )
    real_step = schema.DATA_MIGRATIONS[3]

    def fails_after_the_rows(db):
        real_step(db)
        raise RuntimeError("the data step failed after writing its rows")

    monkeypatch.setitem(schema.DATA_MIGRATIONS, 3, fails_after_the_rows)
    with pytest.raises(RuntimeError, match="after writing its rows"):
        open_store(store_location)
    monkeypatch.setitem(schema.DATA_MIGRATIONS, 3, real_step)
    # the new columns and tables were undone with the rows (else adding them again would fail), so it migrates now
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        [piece] = store.load_pieces()
        assert [(e.system, e.raw) for e in piece.external_translations] == [("opus-mt", OPUS[32])]
        assert all(r["external_translation"] is None for r in store.rows("pieces"))


@pytest.mark.parametrize("value,reason", [(3, "'translation' must be a string or a list"), ({"id": 1}, "'id' must be")])
def test_jsonl_fields_of_the_wrong_type_are_line_errors(tmp_path: Path, value, reason):
    field = "translation" if isinstance(value, int) else "id"
    jsonl = _jsonl(tmp_path / "in.jsonl", [{"text": AR[0], field: value}, {"text": AR[1], "id": 7, "translation": [OPUS[1]]}])
    with open_store(tmp_path / "s.sqlite") as store:
        report = ingest_paths(store, Config.load(), [jsonl])
        assert [e["line"] for e in report.errors] == [1] and reason in report.errors[0]["reason"]
        [piece] = store.load_pieces()
        assert piece.input_id == "7" and piece.external_translations[0].system == "external"


def test_model_output_is_stored_readable_with_the_raw_output_beside_it(tmp_path: Path, tiny_model_dir: Path):
    """What the translate stage keeps of one output: opus-mt's real output for FLORES line 5, through the cache."""
    from pipeline.records import Segment, SegmentRef
    from pipeline.translate.backends import TranslationResult, load_translator
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.settings import TranslatorSettings

    config = make_config(tmp_path, tiny_model_dir, backend="transformers")
    cache = TranslationCache(load_translator(TranslatorSettings.from_config(config)), None)
    record = cache.record(cache.key(AR[4]), AR[4], TranslationResult(OPUS[4], -0.5))
    assert record.raw_text == OPUS[4] and record.target_text == readable(OPUS[4])
    with open_store(config.store.path) as store:
        ingest_pieces(store, "p.txt", [IngestedPiece(id="p", position=0, paragraphs=[AR[4]])])
        store.save_segments([Segment(piece_id="p", paragraph_index=0, sentence_index=0, text=AR[4])])
        store.save_translations([record], {record.key: [SegmentRef(piece_id="p", paragraph_index=0, sentence_index=0)]})
        [segment] = store.segments(["p"])["p"]
        assert segment.translation == readable(OPUS[4]) and segment.raw_translation == OPUS[4]


def test_detect_calls_a_piece_that_came_with_its_translation_translated():
    from pipeline.detect import DetectSettings, detect_piece
    from pipeline.records import PieceText

    settings = Config.load().section("detect", DetectSettings)
    arabic = [(0, AR[0]), (1, AR[1])]
    persian = [(0, "کتابخانه‌ی ملی ایران پیش از این گفته بود که این نسخه‌ها را به زودی منتشر می‌کند.")]
    assert detect_piece(PieceText(id="a", title=None, paragraphs=arabic), settings).status == "pending"
    assert detect_piece(PieceText(id="a", title=None, paragraphs=arabic, translated=True), settings).status == "translated"
    assert detect_piece(PieceText(id="f", title=None, paragraphs=persian), settings).status == "not_routed"
    found = detect_piece(PieceText(id="f", title=None, paragraphs=persian, translated=True), settings)
    assert found.status == "translated" and found.lang == "fa" and found.paragraphs[0].route == "skip"


def test_a_conversion_pull_request_is_recorded_with_the_translations_and_exported(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """Main publishes pickle only, the conversion bot's refs/pr/1 the safetensors (the fake hub, tests/fake_hub.py)."""
    from fake_hub import FakeHub, FakeRepo
    from tiny_model import pickled_weights

    from pipeline.export import export_store
    from pipeline.translate.model import CONVERSION_BOT

    monkeypatch.delenv("PIPELINE_MODEL_PATH", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    files = {p.name: p.read_bytes() for p in tiny_model_dir.iterdir() if p.is_file()}
    name = "tiny-org/opus-mt-tiny"
    repo = FakeRepo(name)
    main = repo.commit(
        {**{k: v for k, v in files.items() if k != "model.safetensors"}, "pytorch_model.bin": pickled_weights(tiny_model_dir)},
        "initial commit",
    )
    repo.pull_request({"model.safetensors": files["model.safetensors"]}, main, CONVERSION_BOT)
    config = make_config(tmp_path, None, backend="transformers", num_beams=1)
    for key, value in {"name": name, "cache_dir": str(tmp_path / "hf"), "hub_timeout_s": 2}.items():
        config.set(f"model.{key}", value)
    jsonl = _jsonl(tmp_path / "in.jsonl", [{"text": "\n".join(AR[40:42])}])
    with FakeHub(repo) as hub, open_store(config.store.path) as store:
        config.set("model.hub_endpoint", hub.endpoint)
        ingest_paths(store, config, [jsonl])
        detect_store(store, config)
        report = translate_store(store, config)
        export_store(store, config, tmp_path / "out", ["jsonl"])
    expected = {
        "id": name,
        "revision": repo.refs["refs/pr/1"],
        "ref": "refs/pr/1",
        "weights": "safetensors",
        "weights_sha256": {"model.safetensors": hashlib.sha256(files["model.safetensors"]).hexdigest()},
        "converted_from": main,
        "origin": "hub download",
    }
    assert report.provenance == expected
    [piece] = [json.loads(line) for line in (tmp_path / "out" / "pieces.jsonl").read_text(encoding="utf-8").splitlines()]
    assert piece["status"] == "translated" and piece["model"] == {**expected, "external": False}


def test_an_older_stores_abstentions_get_their_nearest_miss_from_the_reason(store_location: str):
    """Before schema 4 the best candidate of an abstention was written only into its reason: migration 4 reads it out."""
    now = "2024-01-01T00:00:00+00:00"
    reasons = {
        "p-plain": "no English coverage found: best candidate en-1 scored 0.312 < threshold 0.41 (false-match rate 0.02; "
        "shared facts 0.0, sentence evidence 0.10, lexical 0.20, entities 0.30)",
        "p-short": "no English coverage found: best candidate en-2 scored 0.5 < short-piece threshold 0.62 (short piece: "
        "one paragraph; shared facts 0.0, sentence evidence 0.10, lexical 0.20, entities 0.30)",
        "p-names": "no English coverage found: short piece (teaser): best candidate en-3 (0.431) shares no sentence with it",
        "p-taken": "no English coverage found (one-to-one): best candidate en-1 (0.6) went to p-plain, and no other "
        "candidate scored >= 0.55",
        "p-none": "no English piece within 14 days shares enough vocabulary to be a candidate",
    }
    store_at_version(
        store_location,
        3,
        {
            "pieces": [
                {"id": piece_id, "text": AR[4], "status": "translated", "created_at": now, "lang": "ar"} for piece_id in reasons
            ],
            "alignments": [{"piece_id": piece_id, "status": "no_coverage", "reason": why} for piece_id, why in reasons.items()],
        },
    )
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        nearest = {a.piece_id: (a.candidate_id, a.candidate_score, a.threshold) for a in store.alignments().values()}
    assert nearest == {
        "p-plain": ("en-1", 0.312, 0.41),
        "p-short": ("en-2", 0.5, 0.62),
        "p-names": ("en-3", 0.431, None),
        "p-taken": ("en-1", 0.6, 0.55),
        "p-none": (None, None, None),
    }


def test_a_schema_5_store_gets_every_systems_diagnostics_and_its_matches_similarity(store_location: str):
    """Migration 6 adds diagnostics to the translations that came with the input and a chrF similarity to matches:
    the rows already there have neither, and the next diagnose and export fill them in."""
    now = "2024-01-01T00:00:00+00:00"
    ar, en = "\n\n".join(AR[905:910]), "\n\n".join(lines("en")[905:910])
    loop = "\n\n".join(OPUS[905:910])  # line 910: opus-mt's "a p-p-p-p-..." loop
    store_at_version(
        store_location,
        5,
        {
            "sources": [
                {"id": 1, "path": "/in/old.jsonl", "sha256": "0" * 64, "size": 1, "status": "ingested", "ingested_at": now}
            ],
            "pieces": [
                {"id": "p-ar", "text": ar, "status": "translated", "created_at": now, "lang": "ar"},
                {"id": "p-en", "text": en, "status": "english", "created_at": now, "lang": "en"},
            ],
            "piece_sources": [
                {"piece_id": "p-ar", "source_id": 1, "position": 0},
                {"piece_id": "p-en", "source_id": 1, "position": 1},
            ],
            "paragraphs": [
                *(
                    {"piece_id": "p-ar", "idx": i, "text": t, "lang": "ar", "route": "translate"}
                    for i, t in enumerate(AR[905:910])
                ),
                {"piece_id": "p-en", "idx": 0, "text": en, "lang": "en", "route": "english"},
            ],
            "external_translations": [
                {
                    "piece_id": "p-ar",
                    "system": "opus-mt",
                    "unit": "paragraph",
                    "parts": json.dumps([readable(x) for x in OPUS[905:910]]),
                    "raw_parts": json.dumps(OPUS[905:910]),
                    "source_id": 1,
                    "created_at": now,
                }
            ],
            "matches": [
                {"source_id": "p-ar", "target_id": "p-en", "score": 0.9, "evidence": "{}", "sentence_pairs": "[]"},
            ],
            "alignments": [{"piece_id": "p-ar", "status": "matched"}],
        },
    )
    config = Config.load(None, {"store.path": store_location} if not is_url(store_location) else {"store.url": store_location})
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        [row] = store.rows("external_translations")
        assert row["diagnostics"] is None and store.rows("matches")[0]["similarity"] is None
        report = diagnose_store(store, config)
        assert report.translations == 5 and report.by_system["opus-mt"]["repetition"] == 1
        [piece] = store.load_pieces(["p-ar"])
        flags = [d["flags"] for d in piece.external_translations[0].diagnostics or []]
        assert flags[4] and "repetition" in flags[4] and flags[:4] == [[], [], [], []]
        data = load_export_data(store)  # a match made before schema 6 is scored when exported
        [match] = data.matches
        assert match.similarity == chrf_similarity(readable(loop), en) and match.match.similarity is None


def test_an_older_stores_matches_are_same_event_matches_and_related_coverage_is_kept_apart(store_location: str):
    """Before schema 7 every row of `matches` was a match: migration 7 labels them 'same_event'; 'related' rows
    written after it are read only when asked for, so counts, exports and evaluations of matches stay as they were."""
    now = "2024-01-01T00:00:00+00:00"
    pieces = [
        {"id": "ar-1", "text": AR[4], "status": "translated", "created_at": now, "lang": "ar"},
        {"id": "en-1", "text": "An English piece.", "status": "ingested", "created_at": now, "lang": "en"},
        {"id": "en-2", "text": "Another English piece.", "status": "ingested", "created_at": now, "lang": "en"},
    ]
    old_match = {"source_id": "ar-1", "target_id": "en-1", "score": 0.9, "evidence": "{}", "sentence_pairs": "[]"}
    store_at_version(store_location, 4, {"pieces": pieces, "matches": [old_match]})
    with open_store(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        (match,) = store.load_matches()
        assert (match.target_id, match.relation) == ("en-1", "same_event") and store.load_matches("related") == []
        related = Match(
            source_id="ar-1", target_id="en-2", score=0.1, evidence={"probabilities": {"related": 0.8}}, relation="related"
        )
        store.replace_alignments([match, related], [Alignment(piece_id="ar-1", status="matched")], None)
        assert [m.target_id for m in store.load_matches()] == ["en-1"]
        assert [(m.target_id, m.relation) for m in store.load_matches("related")] == [("en-2", "related")]
        assert store.counts().matches == 1
        store.replace_alignments([], [Alignment(piece_id="ar-1", status="no_coverage")], None)  # replaced, both kinds
        assert store.load_matches() == [] and store.load_matches("related") == []
