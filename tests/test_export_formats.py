"""Every export format, checked against the rules of the tool that reads it.

pieces/matches.jsonl against the output contract (strict pydantic models),
Label Studio through label-studio-sdk's own validators, TMX against the TMX
1.4b DTD, doccano's import fields, CSV read back with the csv module.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import pytest
from label_studio_sdk.label_interface import LabelInterface
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, field_validator
from store_factory import (
    AR_NO_COVERAGE,
    AR_PENDING,
    AR_SUMMIT,
    EN_OTHER,
    EN_SUMMIT,
    MODEL,
    REVISION,
    SUMMIT_MATCH,
    MatchData,
    Para,
    PieceData,
    build_store,
    seeds_like_store,
    set_alignments,
)

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.export import FORMATS, export_store, parse_formats
from pipeline.ledger import execute
from pipeline.stages import stages
from pipeline.store import open_store
from pipeline.text.sentences import split_english

TMX_DTD = Path(__file__).parent / "data" / "tmx14.dtd"


@pytest.fixture
def out(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite") as store:
        export_store(store, Config.load(), tmp_path / "out")
    return tmp_path / "out"


def read_jsonl(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# -- the output contract ----------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ParagraphOut(Strict):
    lang: StrictStr | None
    text: StrictStr
    translation: StrictStr | None


class ModelOut(Strict):
    id: StrictStr
    revision: StrictStr | None
    external: bool
    ref: StrictStr | None
    weights: StrictStr | None
    weights_sha256: dict[str, str]
    converted_from: StrictStr | None
    origin: StrictStr | None


class PieceOut(Strict):
    model_config = ConfigDict(extra="allow", strict=True)  # additions are allowed, contract fields are required
    id: StrictStr
    input_id: StrictStr | None
    source: StrictStr
    title: StrictStr | None
    date: StrictStr | None
    outlet: StrictStr | None
    author: StrictStr | None
    lang: StrictStr | None
    text: StrictStr
    paragraphs: list[ParagraphOut]
    translation: StrictStr | None
    translation_raw: StrictStr | None
    translation_unit: StrictStr | None
    model: ModelOut | None
    other_translations: list[dict]
    status: StrictStr

    @field_validator("date")
    @classmethod
    def iso(cls, value: str | None) -> str | None:
        if value is not None:
            (date.fromisoformat if len(value) == 10 else datetime.fromisoformat)(value)
        return value


class PairOut(Strict):
    source: StrictInt = Field(ge=0)
    target: StrictInt = Field(ge=0)
    score: StrictFloat | StrictInt


class MatchOut(Strict):
    source_id: StrictStr
    target_id: StrictStr
    score: float = Field(ge=0.0, le=1.0)
    relation: Literal["same_event", "related"]
    evidence: dict
    sentence_pairs: list[PairOut]
    coverage_chrf_similarity: float | None = Field(ge=0.0, le=100.0)  # shared wording, kept with the match
    review: Literal["automatic", "reviewed", "confirmed", "rejected", "disputed"]


def test_every_format_writes_its_files(out):
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "pieces.jsonl",
            "matches.jsonl",
            "related.jsonl",
            "summary.json",
            "labelstudio.json",
            "labelstudio_config.xml",
            "doccano.jsonl",
            "pairs.tmx",
            "pairs.csv",
            "report.html",
            "report",
        ]
    )


def test_pieces_jsonl_follows_the_contract(out):
    rows = [PieceOut.model_validate(r) for r in read_jsonl(out / "pieces.jsonl")]
    by_id = {r.id: r for r in rows}
    assert len(rows) == 5
    ar = by_id[AR_SUMMIT.id]
    assert ar.lang == "ar" and ar.date == "2021-08-18" and ar.outlet == "Al-Akhbar"
    # the store recorded no provenance for this model (no translate stage loaded it): id and revision only
    assert ar.model == ModelOut(
        id=MODEL, revision=REVISION, external=False, ref=None, weights=None, weights_sha256={}, converted_from=None, origin=None
    )
    assert ar.translation_unit == "sentence" and ar.translation_raw == ar.translation and ar.input_id is None
    # the whole translation: translated paragraphs, English paragraphs kept as they are
    assert ar.translation == "\n\n".join(
        [" ".join(AR_SUMMIT.paragraphs[0].translations), " ".join(AR_SUMMIT.paragraphs[1].translations), "Photo: SANA."]
    )
    assert [p.translation for p in ar.paragraphs][:2] == [" ".join(p.translations) for p in AR_SUMMIT.paragraphs[:2]]
    assert ar.paragraphs[2].lang == "en" and ar.paragraphs[2].translation is None
    en = by_id[EN_SUMMIT.id]
    assert en.translation is None and en.model is None and en.status == "english"
    pending = by_id[AR_PENDING.id]
    assert pending.status == "pending" and pending.translation is None and pending.model is None
    assert "model unavailable" in pending.model_extra["reason"]
    assert by_id["9999aaaabbbbcccc"].date == "2020-10-22T18:09:00"


def test_matches_jsonl_follows_the_contract_and_points_at_real_sentences(tmp_path, out):
    rows = [MatchOut.model_validate(r) for r in read_jsonl(out / "matches.jsonl")]
    assert len(rows) == 1
    m = rows[0]
    assert (m.source_id, m.target_id, m.score) == (SUMMIT_MATCH.source_id, SUMMIT_MATCH.target_id, 0.74)
    assert m.evidence["shared_entities"] == ["Baghdad", "Syria", "Damascus"]
    assert [(p.source, p.target) for p in m.sentence_pairs] == [(0, 1), (2, 2)]
    with seeds_like_store(tmp_path / "again.sqlite") as store:
        segments = store.segments([m.source_id], with_titles=False)[m.source_id]
    english = split_english(EN_SUMMIT.text)
    assert all(p.source < len(segments) and p.target < len(english) for p in m.sentence_pairs)


def test_summary_is_built_from_the_store_when_export_runs_alone(out):
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pieces_by_language"] == {"ar": 3, "en": 2}
    assert summary["matches"] == 1 and summary["abstentions"] == 1
    assert summary["segments_pending"] == 3  # the pending piece: 2 sentences and its title
    assert "pairs.tmx" in summary["export"]["files"]


def test_the_ledger_writes_the_runs_summary_once_plus_the_file_list(tmp_path):
    """summary.json is the run's own summary (the one the runs table keeps), with the export's files."""
    seeds_like_store(tmp_path / "s.sqlite").close()
    config = Config.load(None, {"store.path": str(tmp_path / "s.sqlite"), "export.formats": ["jsonl"]})
    result = execute(stages("detect", "export"), config, command="detect+export", out_dir=tmp_path / "out", create_store=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    with open_store(tmp_path / "s.sqlite", create=False) as store:
        (run,) = store.runs()
    assert summary["run_id"] == run.id and run.summary == summary == json.loads(json.dumps(result.summary, default=str))
    assert set(summary["timings_s"]) == {"detect", "export", "total"}
    assert summary["export"]["files"] == ["matches.jsonl", "pieces.jsonl", "related.jsonl", "summary.json"]
    assert sorted(p.name for p in result.outputs) == ["matches.jsonl", "pieces.jsonl", "related.jsonl", "summary.json"]

    # an export alone is a reader: the same summary builder, no run recorded, no run lock taken
    alone = execute(stages("export"), config, command="export", out_dir=tmp_path / "out2", create_store=False)
    summary = json.loads((tmp_path / "out2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] is None and summary == json.loads(json.dumps(alone.summary, default=str))
    assert summary["export"]["files"] == ["matches.jsonl", "pieces.jsonl", "related.jsonl", "summary.json"]
    with open_store(tmp_path / "s.sqlite", create=False) as store:
        assert [r.id for r in store.runs()] == [run.id]


def test_format_lists_are_parsed_and_unknown_formats_refused():
    assert parse_formats(["tmx,jsonl", "html"]) == ["jsonl", "tmx", "html"]
    assert parse_formats("all") == list(FORMATS)
    with pytest.raises(ConfigError, match="unknown export format 'xliff'"):
        parse_formats(["jsonl,xliff"])


def test_config_chooses_formats_and_rejects_typos(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite") as store:
        export_store(store, Config({"export": {"formats": ["csv"]}}), tmp_path / "out")
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pairs.csv", "summary.json"]
        with pytest.raises(ConfigError, match="export"):
            export_store(store, Config({"export": {"fromats": ["csv"]}}), tmp_path / "out2")


# -- Label Studio ------------------------------------------------------------------------


def test_label_studio_config_and_tasks_pass_the_sdk_validation(out):
    config = (out / "labelstudio_config.xml").read_text(encoding="utf-8")
    interface = LabelInterface(config)
    interface.validate()  # schema, unique names, toName targets, tag attributes
    tasks = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))
    assert [t["data"]["kind"] for t in tasks] == ["match", "no_coverage"]
    for task in tasks:
        assert interface.validate_task(task), task["data"]["source_id"]
    match, uncovered = tasks
    assert match["data"]["arabic"].splitlines()[0] == AR_SUMMIT.paragraphs[0].sentences[0]
    assert match["data"]["translation"].splitlines()[2] == AR_SUMMIT.paragraphs[1].translations[0]
    assert "Syria was not invited to the meeting in Baghdad." in match["data"]["english"]
    assert uncovered["data"]["source_id"] == AR_NO_COVERAGE.id
    # the Arabic column is right-to-left; the questions an annotation team asks are there
    assert re.search(r'direction: rtl[^>]*>\s*<Header[^>]*/>\s*<Text name="arabic"', config)
    controls = {c.name: c.tag for c in interface.controls}
    assert controls == {
        "errors": "Labels",
        "same_event": "Choices",
        "adequacy": "Rating",
        "fluency": "Rating",
        "correction": "TextArea",
        "comment": "TextArea",
    }


def test_an_annotators_answer_is_valid_and_a_wrong_one_is_not(out):
    interface = LabelInterface((out / "labelstudio_config.xml").read_text(encoding="utf-8"))
    task = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))[0]
    text = task["data"]["translation"]
    start = text.index("Baghdad summit")
    answer = {
        "result": [
            {"from_name": "same_event", "to_name": "english", "type": "choices", "value": {"choices": ["Same event"]}},
            {"from_name": "adequacy", "to_name": "translation", "type": "rating", "value": {"rating": 4}},
            {"from_name": "fluency", "to_name": "translation", "type": "rating", "value": {"rating": 5}},
            {
                "from_name": "correction",
                "to_name": "translation",
                "type": "textarea",
                "value": {"text": ["Syria was not invited."]},
            },
            {
                "from_name": "errors",
                "to_name": "translation",
                "type": "labels",
                "value": {"start": start, "end": start + 14, "text": "Baghdad summit", "labels": ["Mistranslation"]},
            },
        ]
    }
    assert interface.validate_annotation(answer)
    wrong = {"result": [{"from_name": "adequacy", "to_name": "translation", "type": "rating", "value": {"rating": 9}}]}
    assert not interface.validate_annotation(wrong)
    unknown = {"result": [{"from_name": "same_event", "to_name": "english", "type": "choices", "value": {"choices": ["Maybe"]}}]}
    assert not interface.validate_annotation(unknown)


def test_unmatched_tasks_can_be_turned_off(tmp_path):
    with seeds_like_store(tmp_path / "s.sqlite") as store:
        export_store(store, Config({"export": {"labelstudio_unmatched": False}}), tmp_path / "out", ["labelstudio"])
    tasks = json.loads((tmp_path / "out" / "labelstudio.json").read_text(encoding="utf-8"))
    assert [t["data"]["kind"] for t in tasks] == ["match"]


# -- doccano ---------------------------------------------------------------------------------


def test_doccano_lines_are_importable_and_trace_back_to_arabic(out):
    rows = read_jsonl(out / "doccano.jsonl")
    assert [r["piece_id"] for r in rows] == [AR_SUMMIT.id, AR_NO_COVERAGE.id]  # translated pieces only
    for row in rows:
        assert isinstance(row["text"], str) and row["text"] and row["label"] == []
        assert len(row["sentence_spans"]) == len(row["arabic"])
    first = rows[0]
    sentences = [first["text"][s:e] for s, e in first["sentence_spans"]]
    assert sentences == [t for p in AR_SUMMIT.paragraphs[:2] for t in p.translations]
    assert first["arabic"][3] == AR_SUMMIT.paragraphs[1].sentences[1]
    assert first["matches"] == [{"target_id": EN_SUMMIT.id, "score": 0.74, "title": "Baghdad summit"}]
    assert rows[1]["coverage"] == "no_coverage"


# -- TMX -------------------------------------------------------------------------------------------

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def test_tmx_is_valid_tmx_1_4(out):
    doc = etree.parse(str(out / "pairs.tmx"))
    dtd = etree.DTD(str(TMX_DTD))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    root = doc.getroot()
    assert doc.docinfo.encoding == "UTF-8" and doc.docinfo.doctype == '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
    header = root.find("header")
    assert header.get("srclang") == "ar" and header.get("segtype") == "sentence"
    assert header.get("creationtool") and header.get("creationtoolversion")
    for tu in root.iter("tu"):
        assert re.fullmatch(r"\d{8}T\d{6}Z", tu.get("creationdate"))
        assert [tuv.get(XML_LANG) for tuv in tu.findall("tuv")] == ["ar", "en"]
        assert (
            tu.findtext("prop[@type='x-system']") == f"{MODEL}@{REVISION}" and tu.findtext("prop[@type='x-origin']") == "pipeline"
        )
        assert tu.get("tuid").split(":")[1] == f"{MODEL}@{REVISION}"


def test_tmx_holds_every_translated_sentence_once_and_no_pending_one(out):
    root = etree.parse(str(out / "pairs.tmx")).getroot()
    pairs = [tuple(tuv.findtext("seg") for tuv in tu.findall("tuv")) for tu in root.iter("tu")]
    expected = [(AR_SUMMIT.title, AR_SUMMIT.title_translation)]
    expected += [(s, t) for p in AR_SUMMIT.paragraphs[:2] for s, t in zip(p.sentences, p.translations)]
    expected += [(AR_NO_COVERAGE.title, AR_NO_COVERAGE.title_translation)]
    expected += [(s, t) for p in AR_NO_COVERAGE.paragraphs for s, t in zip(p.sentences, p.translations)]
    assert pairs == expected
    assert not any(AR_PENDING.paragraphs[0].sentences[0] == src for src, _ in pairs)


def test_tmx_survives_control_characters_and_duplicates(tmp_path):
    para = Para(
        ["نص\x0b فيه\x01 محارف تحكم.", "نص\x0b فيه\x01 محارف تحكم."],
        translations=["Text\x08 with control characters.", "Text\x08 with control characters."],
    )
    piece = PieceData(id="c0c0c0c0c0c0c0c0", lang="ar", title=None, paragraphs=[para])
    with build_store(tmp_path / "s.sqlite", [piece]) as store:
        export_store(store, Config.load(), tmp_path / "out", ["tmx"])
    doc = etree.parse(str(tmp_path / "out" / "pairs.tmx"))
    assert etree.DTD(str(TMX_DTD)).validate(doc)
    segs = [seg.text for seg in doc.getroot().iter("seg")]
    assert segs == ["نص فيه محارف تحكم.", "Text with control characters."]


# -- CSV -----------------------------------------------------------------------------------------------


def test_csv_reads_back_with_bom_one_row_per_piece_and_system_with_both_texts(out):
    raw = (out / "pairs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with open(out / "pairs.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # every non-English piece: matched, without coverage (the aligner's reason), pending (why)
    assert [(r["piece_id"], r["coverage"]) for r in rows] == [
        (AR_SUMMIT.id, "matched"),
        (AR_NO_COVERAGE.id, "no_coverage"),
        (AR_PENDING.id, "pending"),
    ]
    summit, uncovered, pending = rows
    assert summit["arabic"] == AR_SUMMIT.text and summit["english"] == EN_SUMMIT.text
    assert summit["translation"] == "\n\n".join(
        [" ".join(AR_SUMMIT.paragraphs[0].translations), " ".join(AR_SUMMIT.paragraphs[1].translations), "Photo: SANA."]
    )
    assert (summit["system"], summit["origin"], summit["aligned"]) == (f"{MODEL}@{REVISION}", "translated here", "yes")
    assert (summit["target_id"], summit["match_score"], summit["match"]) == (EN_SUMMIT.id, "0.74", "1")
    assert summit["flags"] == "length_ratio, repetition"
    assert summit["diagnostics"] == "1 of 4 sentences flagged: sentence 4: odd length, repeats"
    assert uncovered["translation"] == " ".join(AR_NO_COVERAGE.paragraphs[0].translations) and uncovered["arabic"]
    assert (
        uncovered["target_id"] == ""
        and uncovered["alignment_reason"] == "no English piece within 14 days shares its named entities"
    )
    assert uncovered["diagnostics"] == "clean (2 sentences checked)"
    assert (
        pending["translation"] == "" and pending["alignment_reason"] == AR_PENDING.reason and pending["arabic"] == AR_PENDING.text
    )


def test_csv_neutralises_formulas_from_scraped_text(tmp_path):
    para = Para(['=HYPERLINK("http://x")'], translations=['=HYPERLINK("http://x","click")'])
    ar = PieceData(id="f0f0f0f0f0f0f0f0", lang="ar", title="-1+1", paragraphs=[para])
    en = PieceData(
        id="e0e0e0e0e0e0e0e0",
        lang="en",
        title="@SUM(A1)",
        status="english",
        paragraphs=[Para(["+cmd|' /C calc'!A0 is a classic."], lang="en", route="english")],
    )
    with build_store(tmp_path / "s.sqlite", [ar, en], [MatchData(ar.id, en.id, 0.5, {}, [(0, 0, 0.5)])]) as store:
        export_store(store, Config.load(), tmp_path / "out", ["csv"])
    with open(tmp_path / "out" / "pairs.csv", encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    for column in ("arabic", "translation", "english", "title", "target_title"):
        assert row[column].startswith("'"), column
    assert row["translation"] == '\'=HYPERLINK("http://x","click")'


# -- robustness -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("matches,diagnostics", [(False, True), (True, False), (False, False)])
def test_export_without_optional_parts(tmp_path, matches, diagnostics):
    with seeds_like_store(tmp_path / "s.sqlite", matches=matches, diagnostics=diagnostics) as store:
        report = export_store(store, Config.load(), tmp_path / "out")
    assert len(report.output_paths()) == 10 and all(p.is_file() for p in report.output_paths())
    assert len(read_jsonl(tmp_path / "out" / "matches.jsonl")) == (1 if matches else 0)
    tasks = json.loads((tmp_path / "out" / "labelstudio.json").read_text(encoding="utf-8"))
    kinds = ["match", "no_coverage"] if matches else ["unaligned", "unaligned"]
    assert [t["data"]["kind"] for t in tasks] == kinds
    interface = LabelInterface((tmp_path / "out" / "labelstudio_config.xml").read_text(encoding="utf-8"))
    assert all(interface.validate_task(t) for t in tasks)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert ("No matches in the store" in html) is not matches
    assert ("No translation has been diagnosed yet" in html) is not diagnostics


def test_empty_store_exports_valid_empty_files(tmp_path):
    with build_store(tmp_path / "s.sqlite", []) as store:
        export_store(store, Config.load(), tmp_path / "out")
    out = tmp_path / "out"
    assert read_jsonl(out / "pieces.jsonl") == [] and read_jsonl(out / "matches.jsonl") == []
    assert json.loads((out / "labelstudio.json").read_text()) == []
    assert etree.DTD(str(TMX_DTD)).validate(etree.parse(str(out / "pairs.tmx")))
    assert (out / "pairs.csv").read_text(encoding="utf-8-sig").startswith("piece_id,input_id,")


def test_sentence_pairs_past_the_stored_sentences_are_reported_not_fatal(tmp_path):
    broken = MatchData(AR_SUMMIT.id, EN_SUMMIT.id, 0.7, {}, [(0, 1, 0.8), (9, 42, 0.5)])
    with build_store(tmp_path / "s.sqlite", [AR_SUMMIT, EN_SUMMIT], [broken]) as store:
        report = export_store(store, Config.load(), tmp_path / "out")
    assert any("point past the sentences" in w for w in report.warnings)
    [task] = json.loads((tmp_path / "out" / "labelstudio.json").read_text(encoding="utf-8"))
    assert task["data"]["alignment"].splitlines()[1].endswith("⟷  ?")  # the pair past the end, shown as unknown


# -- related coverage: the same story thread, another event ---------------------------------


def test_related_coverage_is_shown_apart_from_the_comparison_pairs(tmp_path):
    """A related piece is listed in every file an analyst or annotator reads, and is never a pair to compare."""
    probabilities = {"same_event": 0.08, "related": 0.83, "none": 0.09}
    related = MatchData(AR_SUMMIT.id, EN_OTHER.id, 0.08, {"probabilities": probabilities}, relation="related")
    with seeds_like_store(tmp_path / "s.sqlite") as store:
        set_alignments(store, [SUMMIT_MATCH, related])
        export_store(store, Config.load(), tmp_path / "out")
    out = tmp_path / "out"
    matches = [MatchOut.model_validate(r) for r in read_jsonl(out / "matches.jsonl")]
    assert [(m.target_id, m.relation) for m in matches] == [(EN_SUMMIT.id, "same_event")]
    (shown,) = [MatchOut.model_validate(r) for r in read_jsonl(out / "related.jsonl")]
    assert (shown.source_id, shown.target_id, shown.relation) == (AR_SUMMIT.id, EN_OTHER.id, "related")
    (doc,) = [r for r in read_jsonl(out / "doccano.jsonl") if r["piece_id"] == AR_SUMMIT.id]
    assert [m["target_id"] for m in doc["matches"]] == [EN_SUMMIT.id]
    assert doc["related"] == [{"target_id": EN_OTHER.id, "p_related": 0.83, "title": EN_OTHER.title}]
    tasks = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))
    assert [t["data"]["target_id"] for t in tasks if t["data"]["source_id"] == AR_SUMMIT.id] == [EN_SUMMIT.id]
    assert all(EN_OTHER.id in t["data"]["related"] for t in tasks if t["data"]["source_id"] == AR_SUMMIT.id)
    assert '<Text name="related" value="$related"/>' in (out / "labelstudio_config.xml").read_text(encoding="utf-8")
    with (out / "pairs.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["piece_id"] == AR_SUMMIT.id]
    assert rows and {r["target_id"] for r in rows} == {EN_SUMMIT.id} and {r["related"] for r in rows} == {EN_OTHER.id}
    assert EN_OTHER.id not in (out / "pairs.tmx").read_text(encoding="utf-8")
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "report").glob("matches-*.html"))
    assert "Related coverage" in pages and EN_OTHER.id in pages
