"""Fitting the pair model on real comparable news: reproducible, and measured only on stories it never saw.

The labelled sets are read where they live: tests/data/comparable (its
pieces files there or in ../shared/data/comparable) and ../shared/data/dev-align;
never copied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import train_align

from pipeline.align import training
from pipeline.align.features import FEATURES
from pipeline.align.pairmodel import MODEL_PATH

DEV_ALIGN = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-align"


def test_the_shipped_model_is_what_the_training_script_makes_byte_for_byte():
    """python benchmarks/train_align.py on its default data writes exactly pipeline/align/pair_model.json."""
    model = train_align.build(train_align.DEFAULT_DATA)
    assert train_align.render(model) == MODEL_PATH.read_text(encoding="utf-8")


def test_stories_without_a_list_are_the_connected_parts_of_the_gold():
    """dev-align's gold has no `stories`: a piece and every piece the gold pairs it with (same event or same thread)."""
    ls = training.load_set(DEV_ALIGN)
    story = ls.story_of
    assert story["AR_RAI_ROUMIEH"] == story["EN_NAH_ROUMIEH"] == story["EN_AKH_JABAL"] == story["AR_NAH_JABAL"]
    assert story["AR_AAWSAT_QUNEITRA"] == story["EN_DAWN_SHEBAA"] != story["AR_RAI_ROUMIEH"]
    assert story["AR_BINAA_KANDIL_ALAM"] not in {story[p] for p in story if p != "AR_BINAA_KANDIL_ALAM"}  # alone
    assert set(ls.pieces) == {"careful", "weak"} and len(ls.pieces["careful"]) == len(ls.pieces["weak"])


def _items(seed: int) -> list[training.Item]:
    """Four stories of random candidate rows whose features carry their labels (a learnable, synthetic set)."""
    rng = np.random.default_rng(seed)
    items = []
    for s in range(4):
        for k in range(6):
            rows = []
            for c in range(8):
                label = 0 if c == 0 and k % 3 else (1 if c < 3 else 2)
                x = rng.normal(0, 1, len(FEATURES)) + np.eye(len(FEATURES))[label] * 2
                rows.append(training.Row("set", "careful", f"a{s}{k}", f"e{s}{k}{c}", f"set/{s}", f"set/{s}", x, label))
            items.append(training.Item("set", "careful", f"a{s}{k}", f"set/{s}", [f"e{s}{k}0"] if k % 3 else [], rows))
    return items


def test_a_held_out_story_takes_no_part_in_the_model_that_decides_it():
    """Whatever the labels of story 0 say, the probabilities it is decided with stay the same."""
    items = _items(0)
    before = training.held_out_probabilities(items)
    for it in items:
        if it.story == "set/0":
            for r in it.rows:
                r.label = 2 - r.label  # nonsense labels for the held-out story only
    after = training.held_out_probabilities(items)
    for k, it in enumerate(items):
        if it.story == "set/0":
            assert np.array_equal(before[k], after[k])
        else:
            assert not np.allclose(before[k], after[k])  # the others were fitted on the changed story


def test_the_fit_is_a_softmax_over_plain_coefficients_and_learns_the_labels():
    items = _items(1)
    coef, intercept = training.fit(items)
    assert coef.shape == (3, len(FEATURES)) and intercept.shape == (3,)
    probs = np.vstack([training.probabilities(coef, intercept, it) for it in items])
    labels = np.array([r.label for it in items for r in it.rows])
    assert np.allclose(probs.sum(axis=1), 1.0) and (probs.argmax(axis=1) == labels).mean() > 0.9


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_figures_count_what_the_issue_asks(threshold):
    items = _items(2)
    probs = training.held_out_probabilities(items)
    decisions = [training.decide(it, probs[k], threshold, 0.5) for k, it in enumerate(items)]
    rns = {"set": {(it.source, r.target) for it in items for r in it.rows if r.label == 1}}
    f = training.figures(decisions, rns)
    assert f["covered"] + f["uncovered"] == len(items) and f["same_thread_pairs"] == len(rns["set"])
    assert f["hits"] == sum(bool(d.matches) and d.matches[0] in d.item.expected for d in decisions if d.item.expected)
    assert f["abstained_n"] == sum(not d.matches for d in decisions if not d.item.expected)
