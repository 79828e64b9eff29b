"""The report's search index and the evidence in words (pipeline/export/search.py, readable.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pipeline.align import pairmodel
from pipeline.align.features import FEATURES
from pipeline.export.readable import date_gap, entity_pairs, flag_reasons, log_odds, score_parts
from pipeline.export.search import SearchIndex, normalise, shard_key, shard_script, word_set, words


@pytest.mark.parametrize(
    ("written", "searched"),
    [
        ("السِّنْوار", "سنوار"),  # vowels and shadda, the article
        ("الأوساط", "اوساط"),  # hamza on alef
        ("إسرائيل", "اسرائيل"),  # hamza under alef, hamza on ya
        ("مؤتمر", "موتمر"),  # hamza on waw
        ("هيئة", "هيئه"),  # hamza on ya kept or not, ta marbuta
        ("قمّة", "قمه"),  # shadda, ta marbuta
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("والحكومة", "حكومه"),  # wa + article
        ("ـجـيـش", "جيش"),  # tatweel
        ("٢٠٢١", "2021"),  # Arabic-Indic digits
        ("Roumieh's", "Roumieh"),
        ("Beyrouth-Café", "cafe"),
    ],
)
def test_spellings_an_analyst_may_type_find_the_same_word(written, searched):
    typed = list(words(searched))
    assert len(typed) == 1 and typed[0] in list(words(written)) and typed[0] in word_set([written])


def test_words_keep_short_names_apart_and_skip_single_letters():
    assert list(words("UN و في 5 a")) == ["un", "في"]
    assert list(words("الله")) == ["له"]  # the article is cut whenever two letters remain (a known limit)
    assert normalise("ÉTÉ") == "ete"
    text = "الله للبنان والحكومة UN و في 5 a " + "x" * 41
    assert word_set([text, None]) == set(words(text)) == {"له", "بنان", "حكومه", "un", "في"}


def test_shards_hold_each_word_under_its_first_two_letters_with_gaps():
    index = SearchIndex()
    index.add(3, ["Sinwar spoke", None])
    index.add(10, ["السنوار", "Sinwar again"])
    shards = index.shards()
    assert shards[shard_key("sinwar")] == {"sinwar": [3, 7]}
    assert shards[shard_key("سنوار")] == {"سنوار": [10]}
    assert shard_key("سنوار") == "0633-0646"
    script = shard_script("0633-0646", shards["0633-0646"])
    assert script == 'window.reportSearchShard("0633-0646",{"سنوار":[10]});\n'


def test_a_shard_is_data_whatever_the_words():
    index = SearchIndex()
    index.add(1, ['</script><script>alert("x")</script>\u2028end'])
    for key, shard in index.shards().items():
        script = shard_script(key, shard)
        call, _, rest = script.partition("(")
        assert call == "window.reportSearchShard" and script.endswith(");\n")
        json.loads("[" + rest[: -len(");\n")] + "]")  # the arguments are JSON, nothing else


# -- evidence in words ---------------------------------------------------------------------------


EVIDENCE = {
    "components": {"sentences": 1.0, "lexical": 0.7705, "entities": 0.93, "date": 1.0},
    "weights": {"bias": -7.0, "sentences": 7.0, "lexical": 6.0, "entities": 1.0, "date": 2.0},
    "shared_entities": [{"source": "Seville Club", "target": "Sevilla", "how": "contained", "weight": 5.33}, "Baghdad"],
}


def test_score_parts_add_up_to_the_score():
    parts, bias = score_parts(EVIDENCE)
    assert [p.name for p in parts] == ["sentences", "lexical", "date", "entities"]  # largest contribution first
    z = bias + sum(p.contribution for p in parts)
    c, w = EVIDENCE["components"], EVIDENCE["weights"]
    before = w["bias"] + sum(w[k] * c[k] for k in ("sentences", "lexical", "entities")) + w["date"] * (c["date"] - 0.5)
    assert z == pytest.approx(before)  # a store made before the pair model: its scorer's own formula
    assert next(p for p in parts if p.name == "date").contribution == pytest.approx(1.0)  # weight · (date − 0.5)
    assert score_parts({"note": "no components"}) == ([], None)


def test_the_pair_models_score_parts_give_same_event_against_no_relation():
    """The report explains a match by the log-odds of same event against none, which the model's probabilities give."""
    model = pairmodel.shipped()
    x = np.linspace(0.0, 1.0, len(FEATURES))
    z = log_odds({"components": dict(zip(FEATURES, x.tolist())), "weights": model.same_vs_none()})
    same, _, none = model.probabilities(x)[0]
    assert z is not None and 1 / (1 + math.exp(-z)) == pytest.approx(same / (same + none), abs=1e-3)


def test_shared_names_are_pairs_with_how_they_matched():
    pairs = entity_pairs(EVIDENCE)
    assert (pairs[0].translation, pairs[0].english, pairs[0].weight) == ("Seville Club", "Sevilla", 5.33)
    assert pairs[0].how.startswith("one name inside the other")
    assert (pairs[1].translation, pairs[1].english, pairs[1].how) == ("Baghdad", "Baghdad", "not recorded")


def test_date_gap_in_words():
    assert date_gap("2021-08-18", "2021-08-28") == "The English piece appeared 10 days later."
    assert date_gap("2021-08-18T10:00:00", "2021-08-18") == "Both appeared on the same day."
    assert date_gap("2021-08-18", "2021-08-17") == "The English piece appeared 1 day earlier."
    assert date_gap("2021-01-01", "2021-03-01") == "The English piece appeared 59 days (about 8 weeks) later."
    assert date_gap(None, "2021-03-01") == "Date gap unknown: the Arabic piece has no date."


def test_flags_in_words_with_their_values_or_without():
    full = {"flags": ["repetition"], "values": {"max_repeats": 4, "repeated_ngram": "the the"}}
    assert flag_reasons(full, ["repetition"])[0].reason.endswith("('\u2068the the\u2069' 4 times in a row)")
    older = {"flags": ["repetition"], "values": {"max_repeats": 4}}
    assert (
        flag_reasons(older, ["repetition"])[0].reason
        == "Words repeat in a loop, the usual sign of a model stuck on its own output."
    )
    assert flag_reasons(None, ["new_check"])[0].reason == "Flagged by the check 'new_check'."
