"""The evaluation harness on real MT output (FLORES dev): the aligner's goals, per system.

Reads ../shared/data/flores-dev relative to the repo (never copied into it).
The floors are the issue's goals (NLLB and Argos: within 0.02 of them), all
met with one set of settings; task 3 runs in mining mode (`one_to_one`), as
the harness does. The score alone (no mining mode) is pinned separately so a
regression of the pairwise score cannot hide behind the one-to-one decision.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import eval_align  # noqa: E402

from pipeline.align import AlignSettings  # noqa: E402
from pipeline.config import Config  # noqa: E402

pytestmark = pytest.mark.skipif(not eval_align.FLORES.exists(), reason=f"FLORES dev not found at {eval_align.FLORES}")

SETTINGS = Config.load().section("align", AlignSettings)

# (task, P@1 floor, abstention F1 floor): the goals.
GOALS = [(1, 1.00, 0.98), (2, 0.97, 0.90), (3, 0.985, 0.97)]
WITHIN = [(task, p1 - 0.02 if task > 1 else p1, f1 - 0.02) for task, p1, f1 in GOALS]  # NLLB, Argos: within 0.02
FLOORS = {"opusmt": GOALS, "nllb": WITHIN, "argos": WITHIN}


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {system: eval_align.evaluate(system, [1, 2, 3], SETTINGS, with_baseline=False) for system in FLOORS}


@pytest.mark.parametrize("system", list(FLOORS))
def test_harness_goals(results, system):
    for task, p1, f1 in FLOORS[system]:
        row = results[system][str(task)]
        assert row["p@1"] >= p1, (system, task, row)
        assert row["abst_f1"] >= f1, (system, task, row)
    assert results[system]["1"]["sent_acc"] >= 0.98  # monotonic sentence alignment against the known 1-1 links


def test_aligner_beats_the_tuned_tfidf_baseline_on_partial_coverage():
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    data = eval_align.build_task(2, hyp, ref)
    base = eval_align.baseline(data)  # threshold tuned on the test data itself: an upper bound for it
    _, top = eval_align.run_aligner(data, SETTINGS)
    ours = eval_align.metrics(data.truth, top)
    assert ours["p@1"] > base["p@1"] + 0.05 and ours["abst_f1"] > base["abst_f1"] + 0.1


def test_task_construction_is_fixed_by_the_seed():
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    a, b = eval_align.build_task(2, hyp, ref), eval_align.build_task(2, hyp, ref)
    assert [p.text for p in a.english] == [p.text for p in b.english]
    uncovered = [k for k, v in a.truth.items() if v is None]
    assert len(uncovered) == len(a.truth) // 3
    # every English document keeps exactly 2 of its own 5 reference sentences
    doc = a.english[0]
    own = set(ref[int(doc.id[1:]) * 5 : int(doc.id[1:]) * 5 + 5])
    assert sum(line in own for line in doc.text.split("\n")) == 2


def test_the_score_alone_mines_sentences_at_the_level_reached():
    """Task 3 without mining mode: the pairwise score decides alone (reached 0.976 / 0.963 on opus-mt)."""
    ref, hyp = eval_align.load_lines("en"), eval_align.load_lines("opusmt.en")
    data = eval_align.build_task(3, hyp, ref)
    _, top = eval_align.run_aligner(data, eval_align.task_settings(3, SETTINGS, mining=False))
    ours = eval_align.metrics(data.truth, top)
    assert ours["p@1"] >= 0.97 and ours["abst_f1"] >= 0.955
