"""The segmentation-quality harness (benchmarks/eval_ingest.py): held out (leave one dump out), and on training dumps.

The seeds, the dev dumps and the shapes are all training data of the shipped
model: the tests on them pin that nothing regresses, they are not quality
figures. The held-out figure is the leave-one-dump-out test's.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from pipeline.ingest import CutPiece, IngestSettings, cut_dump

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev-dumps"
SHAPES = ROOT / "tests" / "data" / "shapes"


def _harness():
    spec = importlib.util.spec_from_file_location("eval_ingest", ROOT / "benchmarks" / "eval_ingest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_ingest"] = module
    spec.loader.exec_module(module)
    return module


eval_ingest = _harness()


def rate(score, field: str) -> float:
    return score.right[field] / score.gold


def assert_cut_well(score) -> None:
    assert (score.found, score.glued, score.split) == (score.gold, 0, 0), score.misses


def test_leave_one_dump_out_does_not_regress():
    """Each real dump cut by a model trained on the others (benchmarks/README.md's headline table).

    The floors are today's figures on the 25 real dumps (found 292/343, glued 30, split 21, titles 229,
    dates 67 right and 5 wrong, outlets wrong 0), less a little slack, not the issue's goals, which are not met
    yet: a change that makes the held-out figures worse fails here.
    """
    total = eval_ingest.leave_one_dump_out()["total"]
    assert total.gold == 343
    assert total.found >= 290 and total.glued <= 31 and total.split <= 22, total.misses
    assert total.right["title"] >= 225 and total.outlets_wrong == 0 and total.dates_wrong <= 5, total.misses
    assert total.dated_right >= 65, total.misses


# The shipped model on its own training seeds still misses these (the tests of tests/test_ingest_segment.py
# marked xfail say why); any other miss is a regression.
SEED_MISSES = [
    "003_d3a64df3fb8f3d34.txt: S003_06 outlet: None (gold 'Mideastream')",  # "Title | Mideastream": not a known site
]


def test_seeds_nothing_regresses():
    scores = eval_ingest.evaluate(ROOT / "seeds", ROOT / "tests" / "data" / "seeds-gold.json")
    total = scores["total"]
    assert (total.found, total.glued, total.extra) == (total.gold, 0, 0), total.misses
    assert total.dates_wrong == 0 and total.outlets_wrong == 0
    assert sorted(total.misses) == SEED_MISSES
    seed3 = scores["003_d3a64df3fb8f3d34.txt"]
    assert seed3.found == seed3.gold == 24 and seed3.right["date"] == 24  # 18 dated pieces, 6 rightly without


def test_dev_dump_every_piece_found_none_glued_or_split():
    total = eval_ingest.evaluate(DEV, DEV / "gold.json")["total"]
    assert_cut_well(total)
    assert rate(total, "lang") == 1.0
    assert rate(total, "title") >= 0.9 and rate(total, "date") >= 0.9, total.misses


def test_dumps_in_the_shapes_of_real_aggregators():
    total = eval_ingest.evaluate(SHAPES, SHAPES / "gold.json")["total"]
    assert_cut_well(total)
    assert total.extra == 0 and rate(total, "lang") == 1.0
    assert rate(total, "date") >= 0.9 and rate(total, "title") >= 0.85, total.misses


def test_the_harness_sees_glued_and_split_pieces():
    """Two teasers cut as one piece, and one article cut in two: the harness must say so."""
    gold = eval_ingest._gold_of_file(SHAPES / "gold.json", "naharnet_latest.txt")
    pieces = eval_ingest.cut_file(SHAPES / "naharnet_latest.txt", IngestSettings())
    first, second = pieces[1], pieces[2]
    glued = CutPiece(units=first.units + second.units, start_rule="test", title=first.title)
    score = eval_ingest.score_dump(SHAPES / "naharnet_latest.txt", gold, IngestSettings(), [pieces[0], glued, *pieces[3:]])
    assert score.glued == 1 and score.found == score.gold - 1
    article = pieces[0]
    half = [i for i, u in enumerate(article.units) if u.role == "body"][1]  # one paragraph in the first half, two in the second
    halves = [CutPiece(units=article.units[:half], start_rule="test"), CutPiece(units=article.units[half:], start_rule="test")]
    score = eval_ingest.score_dump(SHAPES / "naharnet_latest.txt", gold, IngestSettings(), [*halves, *pieces[1:]])
    assert score.split == 1


def test_teasers_are_marked_and_chrome_is_never_a_title():
    pieces = cut_dump((SHAPES / "naharnet_latest.txt").read_text(encoding="utf-8")).pieces
    assert [p.kind for p in pieces] == ["article"] + ["teaser"] * 6 + ["article"]
    assert all(p.title and len(p.paragraphs) == 1 for p in pieces if p.kind == "teaser")
    titles = [p.title for path in SHAPES.glob("*.txt") for p in cut_dump(path.read_text(encoding="utf-8")).pieces]
    for chrome in (
        "3 min read",
        "Printer Friendly",
        "Short Url",
        "A + A -",
        "اقرأ المزيد",
        "إيفا الشوفي",
        "Photo: Reuters",
        "Lebanon News",
        "أخبار محلية",
        "By:",
    ):
        assert not any(chrome in (t or "") for t in titles), chrome
    article = next(p for p in cut_dump((SHAPES / "aljazeera_article.txt").read_text(encoding="utf-8")).pieces)
    assert "3 min read" not in article.text and not any("Photo: Reuters" in para for para in article.paragraphs)


def test_a_user_gazetteer_extends_outlets_and_columnists(tmp_path):
    extra = tmp_path / "my-outlets.yaml"
    extra.write_text(
        "outlets:\n  Al-Modon:\n    aliases: [al-modon, المدن]\n    self_names: [المدن]\ncolumnists:\n  منير الربيع: Al-Modon\n",
        encoding="utf-8",
    )
    settings = IngestSettings(gazetteer=str(extra))
    text = (
        "مستشفيات الجنوب تستنفر: نقص في الأدوية\n\nمنير الربيع\n\nالخميس 29 كانون الثاني 2015\n\n"
        "تعيش مستشفيات الجنوب منذ أيام حالة استنفار بعد تزايد أعداد الجرحى الذين يصلون من القرى الحدودية، "
        "فيما تعاني من نقص حاد في الأدوية والكادر التمريضي بحسب ما قال مدير أحد المستشفيات.\n"
    )
    (piece,) = cut_dump(text, settings.cut_options()).pieces
    assert (piece.author, piece.outlet, piece.date) == ("منير الربيع", "Al-Modon", "2015-01-29")
    (plain,) = cut_dump(text).pieces
    assert plain.outlet is None
    assert settings.rules().canonical("Al-Akhbar") == "Al-Akhbar"  # the built-in rules are still there


def test_the_labelled_dumps_are_what_their_specs_make():
    """tests/data/dumps: dumps, gold and SOURCES.md are built from specs/*.yaml (every page with its URL)."""
    import subprocess

    folder = ROOT / "tests" / "data" / "dumps"
    done = subprocess.run([sys.executable, str(folder / "build.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    gold = __import__("json").loads((folder / "gold.json").read_text(encoding="utf-8"))
    sources = (folder / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"<{piece['source_url']}>" in sources for piece in gold["pieces"])
    assert {p["lang"] for p in gold["pieces"]} == {"ar", "en"} and len(gold["dumps"]) >= 12


def test_a_baseline_tree_is_cut_by_its_own_pipeline_and_scored_alike(tmp_path):
    """`--baseline TREE`: the tree's own `pipeline ingest` (a copy of this code here) cuts the dump, its stored
    pieces are scored by the same scorer, and give the figures of the same code cut in this process."""
    tree = tmp_path / "tree"
    for part in ("pipeline", "configs"):
        shutil.copytree(ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    names = ["seed-002", "en-pages-chrome-a"]
    stored = eval_ingest.with_baseline(tree, names=names)
    here = eval_ingest.on_training_dumps()
    for name in names:
        a, b = stored[name], here[name]
        assert (a.found, a.glued, a.split, a.extra, a.right, a.dated_right, a.dates_wrong) == (
            b.found,
            b.glued,
            b.split,
            b.extra,
            b.right,
            b.dated_right,
            b.dates_wrong,
        ), (a.misses, b.misses)
    assert eval_ingest.unseen() >= {"en-pages-chrome-a"} and "seed-002" not in eval_ingest.unseen()
    assert len(eval_ingest.unseen()) == 16


def test_a_baseline_folder_without_a_pipeline_is_refused(tmp_path):
    with pytest.raises(SystemExit, match=r"no pipeline/__main__\.py"):
        eval_ingest.check_tree(tmp_path)
