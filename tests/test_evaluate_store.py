"""Evaluation over the store: importing references, piece-level scoring, systems, similarity of matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU
from store_factory import (
    AR_NO_COVERAGE,
    AR_PENDING,
    AR_SUMMIT,
    EN_SUMMIT,
    MODEL,
    REVISION,
    ingest_pieces,
    ingested,
    seeds_like_store,
)
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_USAGE, InputError
from pipeline.evaluate import (
    SIMILARITY_LABEL,
    evaluate_store,
    import_refs,
    pair_similarity,
    similarity_for_matches,
)
from pipeline.evaluate.store_eval import NothingToEvaluate
from pipeline.records import ExternalTranslation, Translation
from pipeline.store import Store

CURRENT = f"{MODEL}@{REVISION}"
FAST = {"evaluate": {"paired_bs_n": 50, "paired_ar_n": 100}}

SUMMIT_REF = [
    "The denial that Iraq had invited Syria to the Baghdad summit did not come from the Iraqi side alone.",
    "The Syrian presidency itself issued a veiled denial.",
    "Syrian political circles had not expected Damascus to be invited to such a conference.",
    "Syria's border with Iraq is about 599 km long.",
    "Photo: SANA.",
]
NO_COVERAGE_REF = "France's foreign minister comes to Beirut and we see political and media mobilisation. The internal elements of the crisis must not be neglected."


def write_refs(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def store(tmp_path: Path):
    with seeds_like_store(tmp_path / "store.sqlite") as s:
        yield s


@pytest.fixture()
def refs_file(tmp_path: Path) -> Path:
    return write_refs(
        tmp_path / "refs.jsonl",
        [
            {"piece_id": AR_SUMMIT.id, "sentences": SUMMIT_REF},
            {"piece_id": AR_NO_COVERAGE.id, "text": NO_COVERAGE_REF},
            {"piece_id": AR_PENDING.id, "text": "The government faces the electricity test."},
        ],
    )


def test_import_refs_stores_sentences_per_piece_and_replaces_on_reimport(store: Store, refs_file: Path, tmp_path: Path) -> None:
    report = import_refs(store, refs_file)
    assert report.pieces == 3 and report.sentences == 7 and report.replaced == 0
    assert [(r["idx"], r["text"]) for r in store.rows("refs") if r["piece_id"] == AR_SUMMIT.id] == list(enumerate(SUMMIT_REF))
    assert store.references()[AR_SUMMIT.id] == SUMMIT_REF
    again = import_refs(store, write_refs(tmp_path / "one.jsonl", [{"piece_id": AR_SUMMIT.id, "text": "Shorter."}]))
    assert again.replaced == 1
    assert store.references()[AR_SUMMIT.id] == ["Shorter."]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"text": "no id"}', '"piece_id"'),
        (json.dumps({"piece_id": AR_SUMMIT.id}), '"text"'),
        (json.dumps({"piece_id": AR_SUMMIT.id, "text": "   "}), "empty reference"),
        (json.dumps({"piece_id": "0000000000000000", "text": "x"}), "is not in the store"),
    ],
)
def test_bad_reference_lines_name_file_and_line_and_import_nothing(store: Store, tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"piece_id": AR_NO_COVERAGE.id, "text": "fine"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_refs(store, path)
    assert caught.value.path == str(path) and caught.value.line == 2 and message in caught.value.reason
    assert store.rows("refs") == []


def test_pieces_are_scored_whole_against_their_references(store: Store, refs_file: Path) -> None:
    import_refs(store, refs_file)
    result = evaluate_store(store, Config(FAST))
    assert result.unit == "piece" and result.references == ["store"]
    assert [s.name for s in result.systems] == [CURRENT]
    system = result.system(CURRENT)
    assert [seg.id for seg in system.segments] == [AR_SUMMIT.id, AR_NO_COVERAGE.id]  # source order
    assert result.skipped == {AR_PENDING.id: "not translated yet"}
    # the score is sacreBLEU's over whole pieces: body translation (English paragraph kept) vs joined reference
    pieces = {p.id: p for p in store.load_pieces([AR_SUMMIT.id, AR_NO_COVERAGE.id])}
    hyps = [" ".join(pieces[i].translation.split()) for i in (AR_SUMMIT.id, AR_NO_COVERAGE.id)]
    assert hyps[0].endswith("Photo: SANA.")
    refs = [" ".join(SUMMIT_REF), NO_COVERAGE_REF]
    assert system.scores["BLEU"].score == pytest.approx(BLEU().corpus_score(hyps, [refs]).score)
    assert system.worst[0].id in {AR_SUMMIT.id, AR_NO_COVERAGE.id}


def add_other_model(store: Store, piece_targets: dict[str, list[str]], model: str = "other/model", revision: str = "r1") -> None:
    """A second model's cached translations of the same source sentences."""
    translations = []
    for piece_id, targets in piece_targets.items():
        sources = [segment.text for segment in store.segments([piece_id], with_titles=False)[piece_id]]
        for i, (src, tgt) in enumerate(zip(sources, targets)):
            translations.append(
                Translation(
                    key=f"{model}-{piece_id}-{i}",
                    source_text=src,
                    target_text=tgt,
                    model=model,
                    revision=revision,
                    backend="ctranslate2",
                    settings={},
                )
            )
    store.save_translations(translations, {})  # cached, not linked: the store's current translations stay


def test_all_cached_models_are_compared_on_the_pieces_they_share(store: Store, refs_file: Path) -> None:
    import_refs(store, refs_file)
    add_other_model(
        store, {AR_SUMMIT.id: ["Syria was not invited.", "The presidency denied.", "No expectations.", "Border 599 km."]}
    )
    result = evaluate_store(store, Config(FAST), baseline=CURRENT, systems="all")
    assert {s.name for s in result.systems} == {CURRENT, "other/model@r1"}
    assert [seg.id for seg in result.system(CURRENT).segments] == [AR_SUMMIT.id]
    assert result.skipped[AR_NO_COVERAGE.id] == "not translated by other/model@r1"
    other = result.system("other/model@r1")
    assert other.scores["BLEU"].p_bs is not None and other.scores["BLEU"].score < result.system(CURRENT).scores["BLEU"].score
    # its hypothesis is rebuilt in reading order, the English paragraph kept
    assert (
        other.worst[0].hypothesis == "Syria was not invited. The presidency denied. No expectations. Border 599 km. Photo: SANA."
    )


def test_external_translations_are_their_own_system(store: Store, refs_file: Path) -> None:
    import_refs(store, refs_file)
    # the same article arrives again in another input, this time with another system's translation
    again = ingested(
        AR_SUMMIT.id,
        ["(paragraphs of a known piece are kept)"],
        external=ExternalTranslation(
            system="google", unit="piece", parts=[" ".join(SUMMIT_REF)], raw_parts=[" ".join(SUMMIT_REF)]
        ),
    )
    ingest_pieces(store, "google-translated.jsonl", [again])
    result = evaluate_store(store, Config(FAST), systems="all")
    assert result.system("google").scores["BLEU"].score == pytest.approx(100.0)


def test_nothing_to_evaluate_says_why(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NothingToEvaluate, match="import them with"):
        evaluate_store(store, Config(FAST))
    import_refs(store, write_refs(tmp_path / "p.jsonl", [{"piece_id": AR_PENDING.id, "text": "x"}]))
    with pytest.raises(NothingToEvaluate, match="has a translation yet"):
        evaluate_store(store, Config(FAST))


def test_cli_store_mode_imports_and_scores(tmp_path: Path, refs_file: Path) -> None:
    db = tmp_path / "store.sqlite"
    seeds_like_store(db).close()
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--db", str(db), "--import-refs", str(refs_file), "--json", "--paired-bs-n", "50"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unit"] == "piece" and data["systems"][0]["name"] == CURRENT
    assert data["skipped"] == {AR_PENDING.id: "not translated yet"}
    table = runner.invoke(app, ["evaluate", "--db", str(db), "--paired-bs-n", "50"])  # refs already imported
    assert table.exit_code == 0 and "1 system(s) × 2 pieces" in table.stdout
    missing = runner.invoke(app, ["evaluate", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == EXIT_USAGE and "none.sqlite: no store here" in " ".join(missing.stderr.split())
    assert not (tmp_path / "none.sqlite").exists()  # evaluating never creates a store
    bad = runner.invoke(app, ["evaluate", "--db", str(db), "--import-refs", str(tmp_path / "nope.jsonl")])
    assert bad.exit_code == EXIT_INPUT_ERRORS and "nope.jsonl" in bad.stderr and bad.stdout == ""


def test_pair_similarity_is_labelled_as_not_quality() -> None:
    same = pair_similarity("Iraq hosted a regional summit on Saturday.", "Iraq hosted a regional summit on Saturday.")
    other = pair_similarity("Iraq hosted a regional summit on Saturday.", "Football results from the weekend.")
    assert same["coverage_chrf_similarity"] == 100.0 and other["coverage_chrf_similarity"] < 30
    assert same["label"] == SIMILARITY_LABEL == "similarity between two texts (chrF), not translation quality"
    assert same["signature"].startswith("nrefs:1|")
    assert pair_similarity("", "anything")["coverage_chrf_similarity"] == 0.0


def test_similarity_for_matches(store: Store) -> None:
    found = similarity_for_matches(store)
    assert set(found) == {(AR_SUMMIT.id, EN_SUMMIT.id)}
    summit = store.load_pieces([AR_SUMMIT.id, EN_SUMMIT.id])
    translation = next(p.translation for p in summit if p.id == AR_SUMMIT.id)
    english = next(p.text for p in summit if p.id == EN_SUMMIT.id)
    assert found[(AR_SUMMIT.id, EN_SUMMIT.id)] == pair_similarity(translation, english)["coverage_chrf_similarity"]
    assert 0 < found[(AR_SUMMIT.id, EN_SUMMIT.id)] < 100
