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

from pipeline.text.normalise import fold_typography

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
    text = _DIGIT_GROUP.sub("", fold_typography(text).casefold())
    out = [w[:-2] if w.endswith("'s") else w for w in _WORD.findall(text)]
    return out if keep_stopwords else [w for w in out if is_content(w)]


def numbers(text: str) -> frozenset[str]:
    """The numbers a sentence states (digit groups joined: 2,500 → 2500)."""
    return frozenset(re.findall(r"\d+", _DIGIT_GROUP.sub("", text)))


def is_content(word: str) -> bool:
    return len(word) > 1 and word not in stopwords()


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
