"""The operating point (rate → threshold), short pieces and flagged sentences, on the seed pieces."""

from __future__ import annotations

import sys
from pathlib import Path

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
from pipeline.align.calibration import Curve, operating_point, table
from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.text.sentences import split_english

SETTINGS = Config.load().section("align", AlignSettings)
ENGLISH = [khamenei_english(), biden_mayadeen(), nujaba_english(), magnier_english()]


# -- the operating point ------------------------------------------------------------


def test_the_default_threshold_comes_from_the_rate_through_the_shipped_table():
    assert SETTINGS.threshold is None and SETTINGS.max_false_match_rate == 0.02
    point = operating_point(None, 0.02, SETTINGS.weights.model_dump())
    row = next(r for r in table()["rates"] if r["rate"] == 0.02)
    assert point.threshold == pytest.approx(row["threshold"]) and point.rate == 0.02
    assert point.short_threshold >= point.threshold
    stricter = operating_point(None, 0.005, SETTINGS.weights.model_dump())
    assert stricter.threshold >= point.threshold  # asking for fewer false matches never lowers the bar


def test_every_match_records_its_threshold_and_the_rate_it_stands_for():
    result = align_pieces([khamenei_translated()], ENGLISH, SETTINGS)
    (match,) = result.matches
    ev = match.evidence
    assert ev["false_match_rate"] == 0.02 and ev["threshold"] <= match.score
    assert ev["operating_point"] == "calibrated for max_false_match_rate 0.02"
    explicit = align_pieces([khamenei_translated()], ENGLISH, SETTINGS.model_copy(update={"threshold": 0.3}))
    ev = explicit.matches[0].evidence
    assert ev["threshold"] == 0.3 and ev["operating_point"] == "explicit threshold"
    assert ev["false_match_rate"] == pytest.approx(Curve(tuple(table()["curve"])).rate_at(0.3))
    assert explicit.matches[0].score == match.score  # the operating point decides, the score keeps its meaning


def test_other_weights_need_an_explicit_threshold():
    changed = SETTINGS.model_copy(update={"weights": SETTINGS.weights.model_copy(update={"lexical": 1.0})})
    with pytest.raises(ConfigError, match=r"calibration.json"):
        align_pieces([khamenei_translated()], ENGLISH, changed)
    explicit = align_pieces([khamenei_translated()], ENGLISH, changed.model_copy(update={"threshold": 0.5}))
    assert all(m.evidence["false_match_rate"] is None for m in explicit.matches)


def test_the_curve_turns_a_rate_into_the_lowest_threshold_that_keeps_it():
    curve = Curve.from_scores([0.9, 0.7, 0.4, 0.2, 0.1, 0.05, 0.05, 0.01, 0.0, 0.0])
    assert curve.rate_at(0.0) == 1.0 and curve.rate_at(0.95) == 0.0
    assert curve.threshold_for(0.1) == pytest.approx(0.701)  # only 0.9 stays at or above it
    assert curve.rate_at(curve.threshold_for(0.3)) <= 0.3
    worst = Curve.worst([curve, Curve.from_scores([0.8, 0.0])])
    assert worst.threshold_for(0.1) == pytest.approx(0.801)


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
    reason = result.abstentions["teaser-kadhimi"]
    assert "short piece (a teaser)" in reason and "shares no sentence" in reason


def test_a_one_sentence_item_with_a_shared_fact_still_matches():
    first = split_english(biden_presstv().translation)[0]
    item = _teaser("one-sentence", first, kind="article", base=biden_presstv)
    result = align_pieces([item], ENGLISH, SETTINGS)
    assert "biden-mayadeen" in {m.target_id for m in result.matches}
    m = next(m for m in result.matches if m.target_id == "biden-mayadeen")
    assert m.evidence["short_piece"] == "1 sentence"
    assert m.score >= m.evidence["threshold"] > operating_point(None, 0.02, SETTINGS.weights.model_dump()).threshold


def test_short_pieces_face_a_higher_bar_than_articles():
    point = operating_point(None, SETTINGS.max_false_match_rate, SETTINGS.weights.model_dump())
    item = _teaser("short", " ".join(split_english(khamenei_translated().translation)[:2]), kind="article")
    result = align_pieces([item], ENGLISH, SETTINGS)
    for m in result.matches:
        assert m.evidence["threshold"] == point.short_threshold and m.evidence["short_piece"]


# -- flagged sentences (reference-free diagnostics) ---------------------------------------


def _looped(sentence: str, times: int = 60) -> str:
    """A decoder loop: the sentence's last words repeated, as MT models do when they degenerate."""
    tail = " ".join(sentence.rstrip(".").split()[-3:])
    return sentence.rstrip(".") + ", " + ", ".join([tail] * times) + "."


def test_a_flagged_looping_sentence_no_longer_hides_the_english_coverage():
    sentences = [split_english(biden_presstv().translation)[k] for k in (0, 2, 6, 7)]
    sentences[3] = _looped(sentences[3])
    piece = biden_presstv().model_copy(update={"translation": "\n".join(sentences)})
    hidden = align_pieces([piece], ENGLISH, SETTINGS, {piece.id: sentences})
    assert "biden-mayadeen" not in {m.target_id for m in hidden.matches}  # the loop swamps the whole-piece evidence
    found = align_pieces([piece], ENGLISH, SETTINGS, {piece.id: sentences}, flagged={piece.id: [3]})
    match = next(m for m in found.matches if m.target_id == "biden-mayadeen")
    assert match.evidence["excluded_sentences"] == [3] and found.excluded == {piece.id: [3]}
    assert all(p.source != 3 for m in found.matches for p in m.sentence_pairs)
    # left out, not removed: the other sentences keep their indices (pairs still map to Arabic segment i)
    blanked = align_pieces([piece], ENGLISH, SETTINGS, {piece.id: [*sentences[:3], ""]})
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
