"""The pair model: three outcomes with probabilities, the operating point, short pieces and flagged sentences."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_seed_pieces import (
    biden_mayadeen,
    biden_presstv,
    khamenei_english,
    khamenei_translated,
    magnier_english,
    nujaba_english,
)

from pipeline.align import AlignSettings, align_pieces
from pipeline.align.features import FEATURE_VERSION, FEATURES
from pipeline.align.pairmodel import MODEL_PATH, OUTCOMES, PairModel, shipped
from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.text.sentences import split_english

SETTINGS = Config.load().section("align", AlignSettings)
ENGLISH = [khamenei_english(), biden_mayadeen(), nujaba_english(), magnier_english()]


def _features(**values: float) -> np.ndarray:
    x = np.zeros(len(FEATURES))
    for name, value in values.items():
        x[FEATURES.index(name)] = value
    return x


# -- the shipped model ------------------------------------------------------------------


def test_the_shipped_model_says_what_it_was_fitted_on_and_how_it_did_held_out():
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert data["feature_version"] == FEATURE_VERSION and data["features"] == list(FEATURES)
    assert data["outcomes"] == list(OUTCOMES) and len(data["data_sha256"]) == 64
    assert {"scikit-learn", "numpy"} <= set(data["libraries"])
    assert "leave one story out" in data["held_out"]["split"] and "not a quality figure" in data["training"]["split"]
    careful = data["held_out"]["figures"]["all careful"]
    assert careful["covered"] > 0 and careful["uncovered"] > 0 and careful["same_thread_pairs"] > 0
    assert 0.0 < data["threshold"] < 1.0 and 0.0 < data["related_threshold"] <= 1.0


def test_a_model_made_for_other_features_is_refused_not_misread(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**data, "feature_version": "pair-features-0"}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"refit it"):
        align_pieces([khamenei_translated()], ENGLISH, SETTINGS.model_copy(update={"model": old}))
    fewer = tmp_path / "fewer.json"
    fewer.write_text(json.dumps({**data, "features": data["features"][:-1]}), encoding="utf-8")
    with pytest.raises(ConfigError):
        align_pieces([khamenei_translated()], ENGLISH, SETTINGS.model_copy(update={"model": fewer}))


def test_probabilities_of_the_three_outcomes_sum_to_one_and_the_score_is_p_same():
    result = align_pieces([khamenei_translated(), biden_presstv()], ENGLISH, SETTINGS)
    for m in [*result.matches, *result.related]:
        probs = m.evidence["probabilities"]
        assert set(probs) == set(OUTCOMES) and sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert m.score == probs["same_event"]
    assert all(m.relation == "same_event" for m in result.matches)
    assert all(m.relation == "related" for m in result.related)
    assert not {(m.source_id, m.target_id) for m in result.matches} & {(m.source_id, m.target_id) for m in result.related}


def test_an_unknown_date_makes_the_model_stricter_never_more_lenient():
    """Every date feature is 0 when a date is unknown: the agreeing ones must raise P(same event), the others lower it."""
    model = shipped()
    base = _features(sentences=0.6, lexical=0.4, names=0.8, lead_names=0.5, lead_words=0.2, main_actor=1.0)
    p_unknown = model.probabilities(base)[0, 0]
    assert model.probabilities(base + _features(event_same=1.0))[0, 0] > p_unknown
    assert model.probabilities(base + _features(weekday_agree=1.0))[0, 0] > p_unknown
    assert model.probabilities(base + _features(pub_near=1.0))[0, 0] > p_unknown
    assert (
        model.probabilities(base + _features(event_apart=1.0))[0, 0] < model.probabilities(base + _features(event_same=1.0))[0, 0]
    )


def test_a_different_main_actor_and_other_figures_in_the_lead_are_evidence_against():
    model = shipped()
    same = _features(sentences=0.6, lexical=0.4, names=0.8, lead_names=0.6, main_actor=1.0, lead_numbers=1.0, numbers=0.6)
    other = _features(sentences=0.6, lexical=0.4, names=0.8, lead_names=0.2, main_actor=0.0, lead_numbers_missed=1.0)
    assert model.probabilities(other)[0, 0] < model.probabilities(same)[0, 0]


# -- the operating point ------------------------------------------------------------------


def test_the_default_threshold_is_the_models_and_an_explicit_one_wins():
    assert SETTINGS.threshold is None and SETTINGS.model is None
    result = align_pieces([khamenei_translated()], ENGLISH, SETTINGS)
    (match,) = [m for m in result.matches if m.target_id == "shafaq-en"]
    assert match.evidence["threshold"] == shipped().threshold and match.evidence["operating_point"] == "model threshold"
    explicit = align_pieces([khamenei_translated()], ENGLISH, SETTINGS.model_copy(update={"threshold": 0.3}))
    (same,) = [m for m in explicit.matches if m.target_id == "shafaq-en"]
    assert same.evidence["threshold"] == 0.3 and same.evidence["operating_point"] == "explicit threshold"
    assert same.score == match.score  # the operating point decides, the probability keeps its meaning


def test_a_model_file_of_ones_own_is_used_with_its_thresholds(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({**data, "threshold": 0.9999, "related_threshold": 0.9999}), encoding="utf-8")
    result = align_pieces([khamenei_translated()], ENGLISH, SETTINGS.model_copy(update={"model": strict}))
    assert result.matches == [] and result.related == []
    assert result.nearest["shafaq-mt"].threshold == 0.9999
    assert "P(same event)" in result.abstentions["shafaq-mt"]


def test_the_model_is_a_plain_multinomial_logistic_regression():
    model = shipped()
    x = np.random.default_rng(0).uniform(0, 1, size=(5, len(FEATURES)))
    z = x @ model.coef.T + model.intercept
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(model.probabilities(x), expected)
    same = PairModel(model.coef, model.intercept, 0.5, 0.5, {})
    assert np.allclose(same.probabilities(x), expected)


# -- short pieces ---------------------------------------------------------------------


def _teaser(pid: str, text: str, kind: str = "teaser", base=khamenei_translated):
    return base().model_copy(update={"id": pid, "translation": text, "kind": kind, "title_translation": None})


def test_a_teaser_sharing_only_a_name_abstains_and_says_why():
    # another event with the same prime minister: a shared name, no shared fact
    teaser = _teaser(
        "teaser-kadhimi",
        "Prime Minister Mustafa al-Kadhimi opened a new hospital in Basra on Sunday, "
        "promising more beds and doctors for the southern province.",
    )
    result = align_pieces([teaser], ENGLISH, SETTINGS)
    assert result.matches == []
    assert "no English coverage of the same event found" in result.abstentions["teaser-kadhimi"]


def test_a_one_sentence_item_with_a_shared_fact_still_matches():
    first = split_english(biden_presstv().translation)[0]
    item = _teaser("one-sentence", first, kind="article", base=biden_presstv)
    result = align_pieces([item], ENGLISH, SETTINGS)
    assert "biden-mayadeen" in {m.target_id for m in result.matches}
    m = next(m for m in result.matches if m.target_id == "biden-mayadeen")
    assert m.evidence["short_piece"] == "1 sentence" and m.evidence["components"]["short"] == 1.0


# -- flagged sentences (reference-free diagnostics) ---------------------------------------


def _looped(sentence: str, times: int = 60) -> str:
    """A decoder loop: the sentence's last words repeated, as MT models do when they degenerate."""
    tail = " ".join(sentence.rstrip(".").split()[-3:])
    return sentence.rstrip(".") + ", " + ", ".join([tail] * times) + "."


def test_a_flagged_looping_sentence_no_longer_hides_the_english_coverage():
    sentences = [split_english(biden_presstv().translation)[k] for k in (0, 2, 6, 7)]
    sentences[3] = _looped(sentences[3])
    piece = biden_presstv().model_copy(update={"translation": "\n".join(sentences)})

    def p_same(flagged):
        result = align_pieces([piece], ENGLISH, SETTINGS, {piece.id: sentences}, collect_candidates=True, flagged=flagged)
        return next(c.score for c in result.candidates[piece.id] if c.target_id == "biden-mayadeen")

    swamped, clean = p_same(None), p_same({piece.id: [3]})
    assert clean > swamped  # the loop no longer swamps the whole-piece evidence
    settings = SETTINGS.model_copy(update={"threshold": (clean + swamped) / 2})
    hidden = align_pieces([piece], ENGLISH, settings, {piece.id: sentences})
    assert "biden-mayadeen" not in {m.target_id for m in hidden.matches}
    found = align_pieces([piece], ENGLISH, settings, {piece.id: sentences}, flagged={piece.id: [3]})
    match = next(m for m in found.matches if m.target_id == "biden-mayadeen")
    assert match.evidence["excluded_sentences"] == [3] and found.excluded == {piece.id: [3]}
    assert all(p.source != 3 for m in found.matches for p in m.sentence_pairs)
    # left out, not removed: the other sentences keep their indices (pairs still map to Arabic segment i)
    blanked = align_pieces([piece], ENGLISH, settings, {piece.id: [*sentences[:3], ""]})
    same = next(m for m in blanked.matches if m.target_id == "biden-mayadeen")
    assert same.score == match.score and same.sentence_pairs == match.sentence_pairs
    assert {p.source for m in found.matches for p in m.sentence_pairs} <= {0, 1, 2}


def test_a_piece_whose_every_sentence_is_flagged_abstains_and_says_so():
    sentences = split_english(khamenei_translated().translation)[:2]
    result = align_pieces([khamenei_translated()], ENGLISH, SETTINGS, {"shafaq-mt": sentences}, flagged={"shafaq-mt": [0, 1, 7]})
    assert result.matches == []
    assert (
        result.abstentions["shafaq-mt"] == "nothing left to match: all 2 sentences of the translation are flagged by diagnostics"
    )
