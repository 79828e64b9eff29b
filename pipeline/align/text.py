"""English text handling for alignment: sentence splitting, tokens, fixed term weights.

Why these choices:

* Sentences are split by :func:`pipeline.text.sentences.split_english`
  (a regular expression with an abbreviation guard; line breaks always end a
  sentence).
* Term weights come from a **fixed background**, the `wordfreq` English word
  frequencies (Wikipedia, news, subtitles, books, web), never from the batch
  being aligned. An IDF fitted on the batch would make a match's score depend
  on which other pieces happen to be in the run; with a fixed background a
  pair's score depends only on the two pieces, so 0.7 means the same thing in
  every run. Rare names get the highest weights, as IDF would give them.
* Words are stemmed (Snowball) so MT word choice ("attacks"/"attacked")
  matters less; character 3-5-grams of every word (stopwords included,
  unweighted, like chrF) make transliteration and spelling variants partly
  overlap (Kadhimi / Kazemi, Hizbollah / Hezbollah). On FLORES sentence
  mining, unweighted character n-grams separated translations from
  same-article near misses better than background- or batch-weighted ones
  (threshold-optimal P@1/F1 0.973/0.958 vs 0.952/0.926 for weighted stems+grams).
* The stemmer (NLTK) and the stop words (scikit-learn) are loaded on first
  use, not at import: importing those two packages takes ~2.5 s and ~250 MB,
  and every verb imports this module through the stage registry, though only
  alignment needs them.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from pipeline.text.dates import MONTHS, WEEKDAYS
from pipeline.text.normalise import fold_characters, fold_typography

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
# Words of news prose as empty of content as stop words are.
REPORTING_WORDS = frozenset({"said", "says", "told", "also", "according", "mr", "ms"})
# Term weight = log(1 + P0 / max(p(term), FLOOR)). Fairly flat on purpose:
# "the" (p=0.05) 3.0, "government" 8.0, any name rarer than one word in a
# million 13.8. A steeper curve (P0=1e-3, no floor) let one rare token
# dominate and matched FLORES MT output to its reference at only 0.90
# precision@1 vs 0.98 with these values (benchmarks/eval_align.py, task 3).
WORD_P0, WORD_FLOOR = 1.0, 1e-6
CHAR_P0, CHAR_FLOOR = 10.0, 1e-5
CHAR_N = (3, 5)
BACKGROUND_WORDS = 50_000


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """scikit-learn's English stop words and the reporting words (loaded on first use: see the module docstring)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | REPORTING_WORDS


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """NLTK's English Snowball stemmer (loaded on first use: see the module docstring)."""
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def words(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased words; by default content words only (no stopwords, no 1-letter tokens); 2,500 → 2500."""
    text = _DIGIT_GROUP.sub("", fold_characters(text).casefold())
    out = _WORD.findall(text)
    if "'s" in text:  # only then can a word end in it (most sentences have none: the check per word cost more)
        out = [w[:-2] if w.endswith("'s") else w for w in out]
    return out if keep_stopwords else [w for w in out if is_content(w)]


def numbers(text: str) -> frozenset[str]:
    """The quantities a sentence states, each as one value however it is written (see :func:`quantities`)."""
    return quantities(text)


# English number words: "ninety-nine votes" and "99 votes" state one quantity. Words under ten alone are
# left out ("one of the", "two sides" are prose, not figures); with a scale word they count ("two million").
_UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
_SCALE_ABBREVIATIONS = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(%|percent|per cent)|\s*-?\s*("
    + "|".join([*_SCALES, *_SCALE_ABBREVIATIONS])
    + r")\b)?(?![\w])",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b((?:" + "|".join([*_UNITS, *_TENS]) + r")(?:[\s-]+(?:and[\s-]+)?(?:" + "|".join([*_UNITS, *_TENS, *_SCALES]) + r"))*)\b",
    re.IGNORECASE,
)


NUMBER_WORD = _NUMBER_WORDS  # a quick test: does a sentence state a figure in words?


def may_state_figure(word: str) -> bool:
    """A (lower-cased) word that is or may start a figure: a digit in it, or a number word."""
    return any(c.isdigit() for c in word) or any(
        w in _UNITS or w in _TENS or w in _SCALES or w in _ORDINAL_WORDS for w in word.split("-")
    )


def _value_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _word_value(phrase: str) -> float | None:
    """The value of an English number phrase ("ninety-nine", "two million", "one hundred and five"), None for prose."""
    total, current, seen_scale, big = 0, 0, False, False
    for word in re.split(r"[\s-]+", phrase.casefold()):
        if word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
            big = True
        elif word in _SCALES:
            scale = _SCALES[word]
            current = max(current, 1) * scale
            if scale > 100:
                total, current = total + current, 0
            seen_scale = True
        else:
            return None
    value = total + current
    if not seen_scale and not big and value < 10:
        return None
    return float(value)


def quantities(text: str) -> frozenset[str]:
    """The quantities a sentence states, each as one canonical value.

    14,600 tons, 14.6 thousand tons and 14600 tons are one value ("14600");
    26% and 26 percent are "26"; "ninety-nine" is "99"; a 4-digit number
    from 1900 to 2100 written plainly is a year, kept apart as "y2025" so a
    year is not taken for a count of 2,025; an ordinal is "o7" (seventh, 7th).
    """
    out: set[str] = set()
    folded = fold_typography(text)
    for m in _NUMBER.finditer(folded):
        whole, frac, _, scale = m.groups()
        value = float(whole.replace(",", "") + (frac or ""))
        if scale:
            value *= _SCALES.get(scale.casefold()) or _SCALE_ABBREVIATIONS[scale.casefold()]
            value = round(value, 6)
        elif not frac and "," not in whole and len(whole) == 4 and 1900 <= value <= 2100:
            out.add(f"y{whole}")
            continue
        out.add(_value_text(value))
    for m in _NUMBER_WORDS.finditer(folded):
        spelled = _word_value(m.group(1))
        if spelled is not None:
            out.add(_value_text(spelled))
    for m in _ORDINAL.finditer(folded):
        digits, word = m.groups()
        rank = int(digits) if digits else _ORDINAL_WORDS[word.casefold()]
        out.add(f"o{rank}")
    return frozenset(out)


# Ordinals: "a third term" and "the 14th president" state which occurrence of a recurring event a piece reports.
# "first" and "second" are left out: they are also prose ("at first", "a second strike", "second-largest").
_ORDINAL_WORDS = {
    w: n
    for n, w in enumerate(
        [
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=3,
    )
}
_ORDINAL = re.compile(r"(?<![\w.])(\d{1,3})(?:st|nd|rd|th)\b|\b(" + "|".join(_ORDINAL_WORDS) + r")\b", re.IGNORECASE)


def is_year(value: str) -> bool:
    """A value of :func:`quantities` that is a year."""
    return value.startswith("y")


def is_ordinal(value: str) -> bool:
    """A value of :func:`quantities` that is an ordinal ("o3": third)."""
    return value.startswith("o")


def is_content(word: str) -> bool:
    return len(word) > 1 and word not in stopwords()


_CALENDAR_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS)


def is_fact_word(word: str) -> bool:
    """A content word that can carry a fact: not a number, a month or a weekday (what datelines and counters hold)."""
    return is_content(word) and not any(c.isdigit() for c in word) and word not in _CALENDAR_WORDS


FACT_WORDS = 3  # a sentence with fewer fact words is chrome: a dateline, a page counter, a byline, "3 min read"
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s*$")


def is_fact(sentence: str, fact_words: int | None = None) -> bool:
    """Whether a sentence can be a shared fact (a dateline, a page counter, a byline cannot).

    It needs FACT_WORDS fact words (:func:`is_fact_word`), or one fewer when
    it reads as a sentence: it ends like one and one of them is a common,
    lower-case word ("He died in Osaka on Tuesday."), which no byline
    ("By: Eva Shoufi") or counter ("3 min read") is. `fact_words` is the
    count when the caller has it already.
    """
    n = sum(map(is_fact_word, words(sentence))) if fact_words is None else fact_words
    if n != FACT_WORDS - 1:
        return n >= FACT_WORDS
    folded = fold_typography(sentence)
    lower = any(is_fact_word(w) for w in _WORD.findall(folded) if w[:1].islower())
    return lower and bool(_SENTENCE_END.search(folded))


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    return _stemmer().stem(word) if word.isalpha() else word


@lru_cache(maxsize=500_000)
def char_ngrams(word: str) -> tuple[str, ...]:
    """Character n-grams of a word with boundary marks (like sklearn's char_wb)."""
    padded = f" {word.replace(chr(39), '').replace('-', '')} "
    return tuple(padded[i : i + n] for n in CHAR_N for i in range(len(padded) - n + 1))


class Background:
    """Fixed term weights (stems and character n-grams) from wordfreq's English list.

    Built once per process (about half a second) and shared; nothing in it
    depends on the pieces being aligned.
    """

    _instance: Background | None = None

    def __init__(self, size: int = BACKGROUND_WORDS):
        import wordfreq

        freqs = wordfreq.get_frequency_dict("en", wordlist="best")
        top = sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
        stem_p: dict[str, float] = {}
        gram_p: dict[str, float] = {}
        total = sum(f for _, f in top)
        for w, f in top:
            if not _WORD.fullmatch(w):
                continue
            p = f / total
            s = stem(w)
            stem_p[s] = stem_p.get(s, 0.0) + p
            for g in set(char_ngrams(w)):
                gram_p[g] = gram_p.get(g, 0.0) + p
        self.stem_weight = {s: math.log1p(WORD_P0 / max(p, WORD_FLOOR)) for s, p in stem_p.items()}
        self.gram_weight = {g: math.log1p(CHAR_P0 / max(p, CHAR_FLOOR)) for g, p in gram_p.items()}
        self.unseen_stem = math.log1p(WORD_P0 / WORD_FLOOR)
        self.unseen_gram = math.log1p(CHAR_P0 / CHAR_FLOOR)

    @classmethod
    def get(cls) -> Background:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def word(self, word: str) -> float:
        return self.stem_weight.get(stem(word), self.unseen_stem)

    def gram(self, gram: str) -> float:
        return self.gram_weight.get(gram, self.unseen_gram)
