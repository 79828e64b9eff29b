"""`pipeline run` on other systems' translations, end to end, on FLORES dev (issues 11 and 23).

Three real systems' published outputs (opus-mt, Google, NLLB) arrive as
JSONL pieces that carry their translations, one file per system, with
English pieces of the same documents: the run needs no model, exits 0,
diagnoses every system's translation (opus-mt's known loop on FLORES line
910 is flagged), shows all three systems in every export (report, search,
CSV, TMX, Label Studio, doccano), and `evaluate --db` scores each system
against the references exactly as sacreBLEU does on the same text.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from label_studio_sdk.label_interface import LabelInterface
from lxml import etree
from reliability_support import cli
from sacrebleu.metrics import BLEU, CHRF

from pipeline.config import Config
from pipeline.evaluate import evaluate_store
from pipeline.evaluate.store_eval import import_refs
from pipeline.export.search import shard_key, words
from pipeline.ingest import ingest_paths
from pipeline.store import open_store
from pipeline.text.readable import readable

FLORES = Path(__file__).resolve().parents[2] / "shared" / "data" / "flores-dev"
TMX_DTD = Path(__file__).parent / "data" / "tmx14.dtd"
SYSTEMS = ("opusmt", "google", "nllb")
# documents of 5 FLORES lines; every third has no English coverage. Document 181 holds line 910, where opus-mt's
# published output loops ("a p-p-p-p-...").
DOCUMENTS = (*range(24), 181)
DOCS = len(DOCUMENTS)
LOOP_DOC, LOOP_PARAGRAPH = 181, 909 - 5 * 181
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
                    "id": f"flores-{d:03d}",
                    "text": "\n".join(AR[span(d)]),
                    "translation": "\n".join(OUTPUTS[system][span(d)]),
                    "system": system,
                }
                for d in DOCUMENTS
            ],
        )
        for system in SYSTEMS
    ]
    inputs.append(
        write_jsonl(
            tmp / "english.jsonl",
            [{"id": f"en-{d:03d}", "text": "\n".join(EN[span(d)]), "lang": "en"} for d in DOCUMENTS if d % 3],
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
    assert [p["input_id"] for p in pieces] == [f"flores-{d:03d}" for d in DOCUMENTS]
    for d, piece in zip(DOCUMENTS, pieces):
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


def _expected(system: str, doc: int | None = None) -> list[str]:
    """The readable paragraphs `system` translated: of one document, or of every one."""
    # ingest cuts the translation into paragraphs as it cuts text, runs of spaces made one ("7  2" in NLLB's line 12)
    return [" ".join(readable(x).split()) for d in ((doc,) if doc is not None else DOCUMENTS) for x in OUTPUTS[system][span(d)]]


def _doc(piece: dict) -> int:
    return int(piece["input_id"].removeprefix("flores-"))


def test_diagnostics_count_every_systems_translation_and_flag_the_loop(run):
    _, out, _ = run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pieces_translated"] == {"here": 0, "with_input": {system: DOCS for system in SYSTEMS}}
    diagnostics = summary["diagnostics"]
    assert diagnostics["translations"] == len(SYSTEMS) * 5 * DOCS  # every paragraph of every system
    assert {name: counts["translations"] for name, counts in diagnostics["by_system"].items()} == {
        system: 5 * DOCS for system in SYSTEMS
    }
    assert diagnostics["by_system"]["opusmt"]["repetition"] >= 1 and diagnostics["by_diagnostic"]["repetition"] >= 1


def test_every_export_carries_every_systems_translation(run):
    _, out, _ = run
    pieces = {p["id"]: p for p in arabic_pieces(out)}
    loop_piece = next(p["id"] for p in pieces.values() if p["input_id"] == f"flores-{LOOP_DOC:03d}")
    matches = read_jsonl(out / "matches.jsonl")
    assert len({m["source_id"] for m in matches}) >= 12  # of the 16 documents with English coverage

    # TMX: every system's paragraphs, each unit named by its piece and system; the loop carries its flags
    tmx = etree.parse(str(out / "pairs.tmx"))
    assert etree.DTD(str(TMX_DTD)).validate(tmx)
    units = tmx.getroot().findall("body/tu")
    by_system: dict[str, list] = defaultdict(list)
    for tu in units:
        by_system[tu.findtext("prop[@type='x-system']")].append(tu)
    assert set(by_system) == set(SYSTEMS) and {tu.get("segtype") for tu in units} == {"paragraph"}
    assert len({tu.get("tuid") for tu in units}) == len(units) == 5 * DOCS * len(SYSTEMS)
    for system, tus in by_system.items():
        assert [tu.findall("tuv")[1].findtext("seg") for tu in tus] == _expected(system)
        assert all(tu.get("tuid").split(":")[1] == system for tu in tus)
    raws = [tu.findtext("prop[@type='x-raw']") for tu in by_system["opusmt"] if tu.findtext("prop[@type='x-raw']")]
    assert raws == [x for d in DOCUMENTS for x in OUTPUTS["opusmt"][span(d)] if readable(x) != x] and raws
    loop = next(tu for tu in by_system["opusmt"] if tu.get("tuid") == f"{loop_piece}:opusmt:paragraph:{LOOP_PARAGRAPH}")
    assert "repetition" in loop.findtext("prop[@type='x-flags']").split()
    assert not [tu for tu in by_system["nllb"] + by_system["google"] if tu.findtext("prop[@type='x-flags']")]

    # CSV: a row per piece and system, each with the Arabic, the translation and what the aligner decided
    with open(out / "pairs.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["piece_id"], r["system"]) for r in rows) == sorted((pid, s) for pid in pieces for s in SYSTEMS)
    for row in rows:
        piece = pieces[row["piece_id"]]
        assert row["arabic"] == piece["text"] and row["input_id"] == piece["input_id"]
        assert row["translation"] == "\n\n".join(_expected(row["system"], _doc(piece)))
        assert row["diagnostics"].startswith(("clean (5 paragraphs checked)", "1 of 5 paragraphs flagged"))
    matched = [r for r in rows if r["coverage"] == "matched"]
    assert matched and all(r["english"] and r["target_id"] and float(r["match_score"]) > 0 for r in matched)
    assert {r["aligned"] for r in matched if r["system"] == "opusmt"} == {"yes"} and {
        r["aligned"] for r in rows if r["system"] != "opusmt"
    } == {"no"}
    assert all(r["alignment_reason"] and r["closest_candidate_id"] for r in rows if r["coverage"] == "no_coverage")
    assert "repetition" in next(r["flags"] for r in rows if r["piece_id"] == loop_piece and r["system"] == "opusmt")

    # doccano: a line per piece and system
    doccano = read_jsonl(out / "doccano.jsonl")
    assert sorted((r["piece_id"], r["model"]) for r in doccano) == sorted((pid, s) for pid in pieces for s in SYSTEMS)
    for record in doccano:
        piece = pieces[record["piece_id"]]
        assert record["arabic"] == [p["text"] for p in piece["paragraphs"]] and record["translation_unit"] == "paragraph"
        assert record["text"] == "\n".join(_expected(record["model"], _doc(piece)))

    # Label Studio: a task per match (or piece without coverage) and system, the flags said
    tasks = json.loads((out / "labelstudio.json").read_text(encoding="utf-8"))
    interface = LabelInterface((out / "labelstudio_config.xml").read_text(encoding="utf-8"))
    assert len(tasks) == len(SYSTEMS) * (len(matches) + DOCS - len({m["source_id"] for m in matches}))
    for task in tasks:
        assert interface.validate_task(task)
        data = task["data"]
        assert data["arabic"] == "\n".join(p["text"] for p in pieces[data["source_id"]]["paragraphs"])
        assert data["translation"] == "\n".join(_expected(data["system"], _doc(pieces[data["source_id"]])))
    assert {t["data"]["system"] for t in tasks} == set(SYSTEMS)
    assert "repetition" in next(
        t["data"]["flags"] for t in tasks if t["data"]["source_id"] == loop_piece and t["data"]["system"] == "opusmt"
    )

    # the report: every system named at the top and laid out on the pages, the loop flagged
    index = (out / "report.html").read_text(encoding="utf-8")
    assert all(f"{system} ({DOCS} pieces, came with the input)" in index for system in SYSTEMS)
    pages = "".join(page.read_text(encoding="utf-8") for page in sorted((out / "report").glob("*.html")))
    for system in SYSTEMS:
        assert f'data-system="{system}"' in pages
        assert all(_html(t) in pages for t in _expected(system))
    assert "translation pending" not in index + pages
    assert "coup d&#39;état" in pages


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def test_search_finds_a_word_only_one_system_used(run):
    """A word only NLLB wrote is in the report's search index, pointing at the piece NLLB translated with it."""
    _, out, _ = run
    others = set()
    for d in DOCUMENTS:
        for text in [*AR[span(d)], *EN[span(d)], *OUTPUTS["opusmt"][span(d)], *OUTPUTS["google"][span(d)]]:
            others.update(words(readable(text)))
    only = {(w, d) for d in DOCUMENTS for text in OUTPUTS["nllb"][span(d)] for w in words(readable(text)) if w not in others}
    word, doc = min(only, key=lambda pair: (len(pair[0]) < 5, pair[0]))
    rows = _index_rows(out)
    number = next(r["number"] for r in rows if r["input_id"] == f"flores-{doc:03d}")
    shard = (out / "report" / "search" / f"{shard_key(word)}.js").read_text(encoding="utf-8")
    postings = json.loads(shard[shard.index(",") + 1 : shard.rindex(")")])[word]
    found, n = set(), 0
    for gap in postings:
        n += gap
        found.add(n)
    assert number in found
    assert "nllb" in next(r for r in rows if r["number"] == number)["systems"]


def _index_rows(out: Path) -> list[dict]:
    html = (out / "report.html").read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="report-data">') + len(
        '<script type="application/json" id="report-data">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    return [dict(zip(data["fields"], row)) for row in data["rows"]]


def test_status_counts_translations_by_system_and_names_pieces_by_their_input_ids(run):
    db, _, _ = run
    proc = cli("status", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["translations_with_input"] == {system: DOCS for system in SYSTEMS} and status["pieces_translated_here"] == 0
    arabic = [p for p in status["pieces_list"] if p["lang"] == "ar"]
    assert [p["input_id"] for p in arabic] == [f"flores-{d:03d}" for d in DOCUMENTS]
    assert all(p["translations"] == list(SYSTEMS) for p in arabic)
    table = cli("status", "--db", db)
    assert "came with the input: google 25, nllb 25, opusmt 25" in table.stdout and "flores-181" in table.stdout


def _reference_file(out: Path, tmp: Path) -> Path:
    """References keyed by the content id pieces.jsonl gives each input id (how a user joins them)."""
    ids = {p["input_id"]: p["id"] for p in arabic_pieces(out)}
    return write_jsonl(tmp / "refs.jsonl", [{"piece_id": ids[f"flores-{d:03d}"], "sentences": EN[span(d)]} for d in DOCUMENTS])


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
    worst = [w for s in result["systems"] for w in s["worst"]]
    assert worst and all(w["input_id"] == f"flores-{DOCUMENTS[w['line'] - 1]:03d}" for w in worst)  # the user's own ids
    refs = [" ".join(EN[span(d)]) for d in DOCUMENTS]
    for system in result["systems"]:
        outputs = OUTPUTS[system["name"]]
        hyps = [" ".join(readable(x) if form == "readable" else x for x in outputs[span(d)]) for d in DOCUMENTS]
        assert system["scores"]["BLEU"]["score"] == pytest.approx(BLEU().corpus_score(hyps, [refs]).score, abs=1e-9)
        assert system["scores"]["chrF2"]["score"] == pytest.approx(CHRF().corpus_score(hyps, [refs]).score, abs=1e-9)


def test_references_name_their_pieces_by_the_ids_the_input_gave(run, tmp_path: Path):
    """`evaluate --import-refs` takes the input's own ids (JSONL `id`), as status and the report show them."""
    db, _, _ = run
    refs = write_jsonl(tmp_path / "refs.jsonl", [{"piece_id": f"flores-{d:03d}", "sentences": EN[span(d)]} for d in DOCUMENTS])
    proc = cli("evaluate", "--db", db, "--import-refs", refs, "--paired", "none", "--set", "evaluate.metrics=[bleu]")
    assert proc.returncode == 0, proc.stderr
    assert f"imported references for {DOCS} piece(s)" in proc.stderr
    assert "next: pipeline export --db" in proc.stderr  # the report shows the scores once exported again
    unknown = write_jsonl(tmp_path / "unknown.jsonl", [{"piece_id": "flores-999", "text": "x"}])
    proc = cli("evaluate", "--db", db, "--import-refs", unknown)
    assert proc.returncode == 3 and "unknown.jsonl:1: piece flores-999 is not in the store" in proc.stderr


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
