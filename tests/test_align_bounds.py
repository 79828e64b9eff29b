"""Bounds: never below the exact evidence or probability, and skipping the candidates they rule out changes no output."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_align_scale
import eval_align

from pipeline.align import AlignSettings, align_pieces
from pipeline.align.bounds import evidence_bounds
from pipeline.align.features import FEATURES
from pipeline.align.pairmodel import OUTCOMES, shipped
from pipeline.align.scoring import shared_sentence_evidence
from pipeline.align.sentences import strong_links


@pytest.mark.parametrize("seed", range(40))
def test_evidence_bound_is_never_below_the_exact_evidence(seed):
    """Random link matrices over several candidates of random widths, including passages and merges."""
    rng = np.random.default_rng(seed)
    s = AlignSettings()
    n_src = int(rng.integers(1, 9))
    widths = [int(w) for w in rng.integers(1, 8, size=int(rng.integers(1, 6)))]
    total = sum(widths)
    one = rng.beta(2, 3, size=(n_src, total))
    one_two = rng.beta(2, 3, size=(n_src, total - 1))
    two_one = rng.beta(2, 3, size=(n_src - 1, total))
    bounds, fact_bounds = evidence_bounds(
        one, one_two, two_one, widths, s.sentence_threshold, s.sentence_softness, s.min_shared_sentences, s.passage_weight
    )
    col = 0
    floor = s.sentence_threshold - 4 * s.sentence_softness
    for k, width in enumerate(widths):
        block = (one[:, col : col + width], one_two[:, col : col + width - 1], two_one[:, col : col + width])
        col += width
        links = strong_links(*block, floor)
        exact, facts = shared_sentence_evidence(
            links, n_src, width, s.sentence_threshold, s.sentence_softness, s.min_shared_sentences, s.passage_weight
        )
        assert bounds[k] >= exact - 1e-12
        assert fact_bounds[k] >= facts


@pytest.mark.parametrize("seed", range(20))
def test_probability_bound_is_never_below_the_probability_of_any_point_in_the_box(seed):
    rng = np.random.default_rng(seed)
    model = shipped()
    n = len(FEATURES)
    low = rng.uniform(0, 1, size=(8, n))
    high = np.minimum(1.0, low + rng.uniform(0, 0.5, size=(8, n)))
    for outcome in OUTCOMES:
        bound = model.bounds(low, high, outcome)
        for _ in range(50):
            x = low + rng.uniform(0, 1, size=low.shape) * (high - low)
            assert (bound >= model.probabilities(x)[:, OUTCOMES.index(outcome)] - 1e-12).all()


def _same_decisions(translated, english, settings, sentences=None):
    """Matches and abstentions with every candidate scored (collect mode) and with the bounds skipping some."""
    all_scored = align_pieces(translated, english, settings, sentences, collect_candidates=True)
    skipping = align_pieces(translated, english, settings, sentences)
    assert [m.model_dump() for m in skipping.matches] == [m.model_dump() for m in all_scored.matches]
    assert [m.model_dump() for m in skipping.related] == [m.model_dump() for m in all_scored.related]
    assert skipping.abstentions == all_scored.abstentions
    assert skipping.nearest == all_scored.nearest
    assert skipping.scored_pairs == all_scored.scored_pairs
    return all_scored


@pytest.mark.parametrize("kind", ["2+3", "near-miss", "teaser"])
def test_skipping_candidates_changes_no_match_or_abstention_on_flores(kind):
    ref = eval_align.load_lines("en")
    hyp = eval_align.load_lines("argos.en")
    _, check = eval_align.halves(len(ref), 0)
    data = eval_align.build(kind, hyp, ref, check, 3)
    result = _same_decisions(data.translated, data.english, AlignSettings())
    assert result.matches and result.abstentions  # both kinds of decision were compared


def test_skipping_candidates_changes_nothing_in_mining_mode():
    ref = eval_align.load_lines("en")
    hyp = eval_align.load_lines("opusmt.en")
    _, check = eval_align.halves(len(ref), 0)
    data = eval_align.build("mining", hyp, ref, check[:200], 5)
    _same_decisions(data.translated, data.english, AlignSettings(one_to_one=True))


def test_skipping_candidates_changes_nothing_on_the_scale_benchmark_corpus():
    translated, english = bench_align_scale.make_corpus(300)
    result = _same_decisions(translated, english, AlignSettings())
    assert len(result.matches) >= 100
