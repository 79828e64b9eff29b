"""`pipeline run` on other systems' translations, end to end, on FLORES dev (issue 11, part 1).

Three real systems' published outputs (opus-mt, Google, NLLB) arrive as
JSONL pieces that carry their translations, one file per system, with
English pieces of the same documents: the run needs no model, exits 0,
fills every export, and `evaluate --db` scores each system against the
references exactly as sacreBLEU does on the same text.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from label_studio_sdk.label_interface import LabelInterface
from lxml import etree
from reliability_support import cli
from sacrebleu.metrics import BLEU, CHRF

from pipeline.config import Config
from pipeline.evaluate import evaluate_store
from pipeline.evaluate.store_eval import import_refs
from pipeline.ingest import ingest_paths
from pipeline.store import open_store
from pipeline.text.readable import readable

FLORES = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev"
TMX_DTD = Path(__file__).parent / "data" / "tmx14.dtd"
SYSTEMS = ("opusmt", "google", "nllb")
DOCS = 24  # documents of 5 FLORES lines; every third has no English coverage
ENTITY = re.compile(r"&(?:apos|quot|amp|#39);")


def lines(name: str) -> list[str]:
    return (FLORES / f"flores-dev.{name}").read_text(encoding="utf-8").splitlines()


AR, EN = lines("ar"), lines("en")
OUTPUTS = {system: lines(f"{system}.en") for system in SYSTEMS}


def span(doc: int) -> slice:
    return slice(5 * doc, 5 * doc + 5)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """`pipeline run` over one JSONL per system plus the English pieces; returns (store, output folder, work dir)."""
    tmp = tmp_path_factory.mktemp("external")
    inputs = [
        write_jsonl(
            tmp / f"{system}.jsonl",
            [
                {
                    "id": f"flores-{d:02d}",
                    "text": "\n".join(AR[span(d)]),
                    "translation": "\n".join(OUTPUTS[system][span(d)]),
                    "system": system,
                }
                for d in range(DOCS)
            ],
        )
        for system in SYSTEMS
    ]
    inputs.append(
        write_jsonl(
            tmp / "english.jsonl",
            [{"id": f"en-{d:02d}", "text": "\n".join(EN[span(d)]), "lang": "en"} for d in range(DOCS) if d % 3],
        )
    )
    db, out = tmp / "store.sqlite", tmp / "out"
    # --model names a folder that does not exist: the run must not need one
    proc = cli("run", *inputs, "--db", db, "--out", out, "--model", tmp / "no-model-here", "-q", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return db, out, tmp


def arabic_pieces(out: Path) -> list[dict]:
    return [p for p in read_jsonl(out / "pieces.jsonl") if p["lang"] == "ar"]


def test_the_run_needs_no_model_and_every_piece_is_translated_by_its_first_system(run):
    _, out, _ = run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 0 and summary["messages"] == []
    assert summary["stages"]["translate"]["status"] == "nothing_to_translate"
    assert summary["stages"]["translate"]["external"] == {system: DOCS for system in SYSTEMS}
    pieces = arabic_pieces(out)
    assert [p["input_id"] for p in pieces] == [f"flores-{d:02d}" for d in range(DOCS)]
    for d, piece in enumerate(pieces):
        assert piece["status"] == "translated" and piece["translation_unit"] == "paragraph"
        assert piece["model"]["id"] == "opusmt" and piece["model"]["external"] is True and piece["model"]["revision"] is None
        assert [p["translation"] for p in piece["paragraphs"]] == [readable(x) for x in OUTPUTS["opusmt"][span(d)]]
        assert piece["translation_raw"] == "\n\n".join(OUTPUTS["opusmt"][span(d)])
        assert [(o["model"]["id"], o["translation_unit"]) for o in piece["other_translations"]] == [
            ("google", "paragraph"),
            ("nllb", "paragraph"),
        ]
        assert not ENTITY.search(piece["translation"])
    assert "coup d'état" in pieces[0]["translation"] and "coup d &apos; état" in pieces[0]["translation_raw"]


def test_every_export_carries_the_translations(run):
    _, out, _ = run
    pieces = {p["id"]: p for p in arabic_pieces(out)}
    matches = read_jsonl(out / "matches.jsonl")
    assert len({m["source_id"] for m in matches}) >= 12  # of the 16 documents with English coverage

    tmx = etree.parse(str(out / "pairs.tmx"))
    assert etree.DTD(str(TMX_DTD)).validate(tmx)
    units = tmx.getroot().findall("body/tu")
    assert len(units) == 5 * DOCS and {tu.get("segtype") for tu in units} == {"paragraph"}
    english = [tu.findall("tuv")[1].findtext("seg") for tu in units]
    assert english == [readable(x) for x in OUTPUTS["opusmt"][: 5 * DOCS]]
    raws = [prop.text for prop in tmx.getroot().iter("prop") if prop.get("type") == "x-raw"]
    assert raws == [x for x in OUTPUTS["opusmt"][: 5 * DOCS] if readable(x) != x] and raws

    with open(out / "pairs.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["source_id"] for r in rows} == set(pieces)  # every translated piece, matched or not
    matched = [r for r in rows if r["alignment"] == "matched"]
    assert matched and all(r["translation"] and r["english"] and r["model"] == "opusmt" for r in matched if r["source_index"])
    assert all(r["alignment_reason"] for r in rows if r["alignment"] == "no_coverage")

    doccano = read_jsonl(out / "doccano.jsonl")
    assert len(doccano) == DOCS
    for record in doccano:
        piece = pieces[record["piece_id"]]
        assert record["text"] == "\n".join(p["translation"] for p in piece["paragraphs"])
        assert record["arabic"] == [p["text"] for p in piece["paragraphs"]] and record["translation_unit"] == "paragraph"

    tasks = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))
    interface = LabelInterface((out / "labelstudio_config.xml").read_text(encoding="utf-8"))
    assert len(tasks) == len(matches) + DOCS - len({m["source_id"] for m in matches})
    for task in tasks:
        assert interface.validate_task(task)
        data = task["data"]
        assert data["translation"] == "\n".join(p["translation"] for p in pieces[data["source_id"]]["paragraphs"])
        assert data["arabic"] == "\n".join(p["text"] for p in pieces[data["source_id"]]["paragraphs"])

    pages = [out / "report.html", *sorted((out / "report").glob("*.html"))]  # the index and its pages
    html = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert "translation pending" not in html
    assert "coup d&#39;état" in html


def _reference_file(out: Path, tmp: Path) -> Path:
    """References keyed by the content id pieces.jsonl gives each input id (how a user joins them)."""
    ids = {p["input_id"]: p["id"] for p in arabic_pieces(out)}
    return write_jsonl(tmp / "refs.jsonl", [{"piece_id": ids[f"flores-{d:02d}"], "sentences": EN[span(d)]} for d in range(DOCS)])


@pytest.mark.parametrize("form", ["readable", "raw"])
def test_evaluate_scores_each_system_as_sacrebleu_does_on_the_same_text(run, form):
    db, out, tmp = run
    proc = cli(
        "evaluate",
        "--db",
        db,
        "--import-refs",
        _reference_file(out, tmp),
        "--json",
        "--paired-bs-n",
        "10",
        "--set",
        f"evaluate.store_text={form}",
        "--set",
        "evaluate.metrics=[bleu, chrf]",
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["unit"] == "piece" and result["text_form"] == form and result["n_segments"] == DOCS
    assert [s["name"] for s in result["systems"]] == list(SYSTEMS)
    refs = [" ".join(EN[span(d)]) for d in range(DOCS)]
    for system in result["systems"]:
        outputs = OUTPUTS[system["name"]]
        hyps = [" ".join(readable(x) if form == "readable" else x for x in outputs[span(d)]) for d in range(DOCS)]
        assert system["scores"]["BLEU"]["score"] == pytest.approx(BLEU().corpus_score(hyps, [refs]).score, abs=1e-9)
        assert system["scores"]["chrF2"]["score"] == pytest.approx(CHRF().corpus_score(hyps, [refs]).score, abs=1e-9)


def test_one_store_scores_whole_flores_dev_per_system_as_sacrebleu_does(tmp_path: Path):
    """One FLORES line per piece, two systems in one store; raw and readable scores against sacreBLEU's.

    FLORES dev repeats two Arabic sentences (lines 66/166 and 67/131, with
    different references): a piece is its content, so the store holds the
    first of each, and sacreBLEU is given the same 995 lines.
    """
    inputs = [
        write_jsonl(
            tmp_path / f"{system}.jsonl",
            [
                {"id": str(n), "text": ar, "translation": out, "system": system}
                for n, (ar, out) in enumerate(zip(AR, OUTPUTS[system]))
            ],
        )
        for system in ("opusmt", "google")
    ]
    config = Config.load(None, {"store.path": str(tmp_path / "s.sqlite")})
    with open_store(config.store.path) as store:
        ingest_paths(store, config, inputs)
        kept = sorted(int(p.input_id) for p in store.load_pieces() if p.input_id is not None)
        assert len(kept) == 995
        ids = {p.input_id: p.id for p in store.load_pieces()}
        import_refs(store, write_jsonl(tmp_path / "refs.jsonl", [{"piece_id": ids[str(n)], "text": EN[n]} for n in kept]))
        scores = {}
        for form in ("raw", "readable"):
            settings = {
                "evaluate.metrics": ["bleu"],
                "evaluate.paired_bs_n": 10,
                "evaluate.store_text": form,
                "store.path": config.store.path,
            }
            result = evaluate_store(store, Config.load(None, settings))
            assert result.text_form == form and result.n_segments == 995
            scores[form] = {s.name: s.scores["BLEU"].score for s in result.systems}
    refs = [EN[n] for n in kept]
    for system in ("opusmt", "google"):
        raw = [OUTPUTS[system][n] for n in kept]
        assert scores["raw"][system] == pytest.approx(BLEU().corpus_score(raw, [refs]).score, abs=1e-9)
        assert scores["readable"][system] == pytest.approx(
            BLEU().corpus_score([readable(x) for x in raw], [refs]).score, abs=1e-9
        )
        assert scores["readable"][system] > scores["raw"][system]  # escapes cost n-gram matches


def test_arabic_given_as_another_systems_translation_is_diagnosed_and_said(tmp_path: Path):
    """A system whose 'translation' is the Arabic source (or Arabic left in English) is flagged per system, with a warning."""
    rows = []
    for doc in range(4):
        arabic = " ".join(AR[span(doc)])
        rows.append(
            {
                "id": f"d{doc}",
                "text": arabic,
                "lang": "ar",
                "translation": " ".join(OUTPUTS["google"][span(doc)]),
                "system": "google",
            }
        )
        rows.append({"id": f"d{doc}", "text": arabic, "lang": "ar", "translation": arabic, "system": "copycat"})
    rows.append(
        {"id": "d9", "text": " ".join(AR[span(9)]), "lang": "ar", "translation": "The summit " + AR[45], "system": "half"}
    )
    source = write_jsonl(tmp_path / "systems.jsonl", rows)
    proc = cli("run", source, "--db", tmp_path / "store.sqlite", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: system ")]
    assert len(warnings) == 2 and warnings[0].startswith("warning: system copycat: 4 of its 4 translation(s) are flagged (")
    assert "arabic_script 4" in warnings[0] and "copied_source 4" in warnings[0]
    assert warnings[1].startswith("warning: system half: 1 of its 1 translation(s) are flagged (arabic_script 1")
    external = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["diagnostics"]["external"]
    assert external["google"]["flagged"] == 0 and external["google"]["translations"] == 4
    assert external["copycat"]["flagged"] == external["copycat"]["arabic_script"] == 4


def test_systems_that_share_no_piece_are_each_scored_and_the_advice_works(tmp_path: Path):
    """12 pieces by one system, 1 by another: the first is scored and the other named, and --system scores it alone."""
    rows = [
        {"text": " ".join(AR[span(doc)]), "lang": "ar", "translation": " ".join(OUTPUTS["google"][span(doc)]), "system": "big"}
        for doc in range(12)
    ]
    rows.append(
        {"text": " ".join(AR[span(12)]), "lang": "ar", "translation": " ".join(OUTPUTS["nllb"][span(12)]), "system": "small"}
    )
    db = tmp_path / "store.sqlite"
    assert cli("ingest", write_jsonl(tmp_path / "systems.jsonl", rows), "--db", db, "-q").returncode == 0
    with open_store(db, create=False) as store:
        ids = {p.text: p.id for p in store.load_pieces()}
    refs = write_jsonl(
        tmp_path / "refs.jsonl", [{"piece_id": ids[r["text"]], "text": " ".join(EN[span(n)])} for n, r in enumerate(rows)]
    )
    both = cli("evaluate", "--db", db, "--import-refs", refs, "--json", "--paired", "none")
    assert both.returncode == 0, both.stderr
    result = json.loads(both.stdout)
    assert [(s["name"], s["n_segments"]) for s in result["systems"]] == [("big", 12)]
    assert any(
        "system small (1 piece(s)) shares no piece with references with big" in w and "--system small" in w
        for w in result["warnings"]
    )
    alone = cli("evaluate", "--db", db, "--system", "small", "--json", "--paired", "none")
    assert alone.returncode == 0, alone.stderr
    assert [(s["name"], s["n_segments"]) for s in json.loads(alone.stdout)["systems"]] == [("small", 1)]
    unknown = cli("evaluate", "--db", db, "--system", "nope")
    assert unknown.returncode == 2 and "--system 'nope': no translation by it" in unknown.stderr
