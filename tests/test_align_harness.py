"""The aligner on real MT output (FLORES dev): a regression check of its evidence, and the shipped model through the CLI.

Reads ../shared/data/flores-dev relative to the repo (never copied into it).
FLORES is not what the shipped pair model is fitted on (real comparable
news is: benchmarks/train_align.py, tests/test_align_training.py); it
checks that the evidence still separates translations from near misses.
Everything here is held out: the harness fits a logistic regression over the
pair features on one half of the lines and measures on the other
(benchmarks/eval_align.py), and the shipped model is run through `pipeline
align --source --target` on lines no fit saw.

Issue 13's goals for task 2 (2 own + 3 foreign lines) are P@1 >= 0.98 and
abstention F1 >= 0.95 for every system, and near-miss false matches <= 5%;
the floors below pin what the features reach, on one cut and two systems
(opus-mt and the weakest, Argos), to keep the test near a minute; the full
table is the benchmark's. The shipped model, fitted for "same event, not
same topic", no longer takes two shared sentences of five for the same
event (on real comparable news, pieces on another event of the same story
share that much often), so through the CLI it abstains on most 2+3
documents: what it must still do is match whole translations (parallel) and
never match a near miss.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import itertools

import eval_align

from pipeline.align import AlignSettings
from pipeline.cli import app
from pipeline.config import Config

SETTINGS = Config.load().section("align", AlignSettings)
# (2+3 P@1, 2+3 abstention F1) floors on cut 0, held out; false matches are pinned for all alike
FLOORS = {"opusmt": (0.94, 0.93), "argos": (0.91, 0.89)}


@pytest.fixture(scope="module")
def held_out() -> dict:
    items = eval_align.collect(list(FLOORS), [0], eval_align.FITTED_ON, SETTINGS, draws=2)
    cv = eval_align.cross_validate(items, 0.02)
    return {key: {name: sum(v) / len(v) for name, v in row.items()} for key, row in cv.items()}


@pytest.mark.parametrize("system", list(FLOORS))
def test_held_out_figures(held_out, system):
    p1, f1 = FLOORS[system]
    partial, near, parallel = (held_out[(system, k)] for k in ("2+3", "near-miss", "parallel"))
    assert partial["p@1"] >= p1 and partial["abst_f1"] >= f1, partial
    assert partial["false_match"] <= 0.05, partial  # fitted for 2%: held out it stays near that
    assert near["false_match"] <= 0.05, near  # the goal: the same article's other sentences are no match
    assert parallel["p@1"] == 1.0 and parallel["false_match"] <= 0.02, parallel


def test_halves_are_contiguous_runs_of_lines_that_do_not_overlap():
    n = len(eval_align.load_lines("en"))
    for seed in range(3):
        a, b = eval_align.halves(n, seed)
        assert sorted(a + b) == list(range(n))
        # circular contiguity: each half is one run, possibly wrapping around the end
        for half in (a, b):
            steps = [(y - x) % n for x, y in itertools.pairwise(half)]
            assert steps == [1] * len(steps)


def test_near_miss_documents_hold_the_same_run_but_none_of_the_own_lines():
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    lines, _ = eval_align.halves(len(ref), 0)
    data = eval_align.near_miss_task(hyp, ref, lines, 0)
    english = {p.id: set(p.text.split("\n")) for p in data.english}
    for pid, near in data.near.items():
        k = int(pid[1:])
        block = lines[k * 9 : k * 9 + 9]
        own, context = {ref[i] for i in block[2:7]}, {ref[i] for i in block[:2] + block[7:]}
        assert english[near] == context and not english[near] & own
    assert len(data.near) == len(data.translated) // 2


def test_the_shipped_model_matches_whole_translations_and_never_a_near_miss_through_the_cli(tmp_path):
    """`pipeline align --source --target` with the default config on lines the harness never fitted on."""
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    _, check = eval_align.halves(len(ref), eval_align.CALIBRATION_SEED)
    runner = CliRunner()
    pooled: dict[str, list] = {"parallel": [], "near-miss": []}
    for kind, draw in ((k, d) for k in pooled for d in (7, 8)):
        data = eval_align.build(kind, hyp, ref, check, draw)
        src, tgt = tmp_path / f"{kind}{draw}-src.jsonl", tmp_path / f"{kind}{draw}-tgt.jsonl"
        src.write_text(
            "".join(
                json.dumps({"id": p.id, "lang": "ar", "text": "(Arabic)", "translation": p.translation}) + "\n"
                for p in data.translated
            )
        )
        tgt.write_text("".join(json.dumps({"id": p.id, "lang": "en", "text": p.text}) + "\n" for p in data.english))
        out = tmp_path / f"{kind}{draw}"
        result = runner.invoke(app, ["align", "--source", str(src), "--target", str(tgt), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        best: dict[str, tuple[float, str]] = {}
        for line in (out / "matches.jsonl").read_text().splitlines():
            m = json.loads(line)
            assert m["relation"] == "same_event" and m["evidence"]["operating_point"] == "model threshold"
            if m["score"] > best.get(m["source_id"], (-1.0, ""))[0]:
                best[m["source_id"]] = (m["score"], m["target_id"])
        pooled[kind] += [(t, best[k][1] if k in best else None) for k, t in data.truth.items()]
    parallel, near = (eval_align.metrics(pooled[k]) for k in ("parallel", "near-miss"))
    assert parallel["p@1"] >= 0.95 and parallel["false_match"] <= 0.02, parallel
    assert near["false_match"] == 0.0, near  # the same article's other sentences are never the same event


def test_the_sentence_level_sets_the_ceiling_of_task_2_and_weaker_mt_has_the_lower_one():
    """Both own lines of a covered 2+3 document must beat the best of ~48 chance pairs an uncovered one gets.

    At a 2% false-match rate the bar is the 1 - 0.02/48 quantile of unrelated
    line pairs; the share of a system's lines above it, squared, bounds task
    2's P@1 whatever the document score does. The measured ceiling sits
    below the issue's 0.98 for the weakest system (benchmarks/README.md).
    """
    from pipeline.align.matcher import AlignSettings
    from pipeline.config import Config

    settings = Config.load(None).section("align", AlignSettings)
    rows = eval_align.sentence_ceiling(["argos", "google"], settings, 0.02)
    assert rows["argos"]["p@1_ceiling"] < rows["google"]["p@1_ceiling"]
    assert rows["argos"]["p@1_ceiling"] < 0.98 <= rows["google"]["p@1_ceiling"]
    for row in rows.values():
        assert 0.2 < row["noise_bar"] < 0.45  # unrelated sentences share stopword n-grams, never facts
        assert row["own_line_above"] >= 0.98  # almost every translation resembles its own reference beyond chance


def test_lines_left_out_share_their_arabic_with_a_line_whose_reference_differs():
    """`--drop-duplicate-sources` removes only lines that cannot be right: one Arabic sentence, two references."""
    ar, ref = eval_align.load_lines("ar"), eval_align.load_lines("en")
    dropped = eval_align.duplicated_sources()
    assert dropped and len(dropped) < 0.01 * len(ar)
    for i in dropped:
        twins = [j for j in dropped if j != i and ar[j].split() == ar[i].split()]
        assert twins and all(ref[j] != ref[i] for j in twins)
