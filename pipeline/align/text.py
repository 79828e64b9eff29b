"""English text handling for alignment: sentence splitting, tokens, fixed term weights.

Why these choices:

* Sentences are split by a regular expression with an abbreviation guard
  (see :func:`split_sentences` for why not syntok or pysbd: speed at scale).
  Line breaks always end a sentence.
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
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Typographic variants MT systems and scrapers produce, folded before anything else.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u02bf": "'", "\u02be": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
        "\u00a0": " ", "\u200b": "", "\u200e": "", "\u200f": "", "\ufeff": "",
    }
)
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
STOPWORDS = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "told", "also", "according", "mr", "ms"}
# Term weight = log(1 + P0 / max(p(term), FLOOR)). Fairly flat on purpose:
# "the" (p=0.05) 3.0, "government" 8.0, any name rarer than one word in a
# million 13.8. A steeper curve (P0=1e-3, no floor) let one rare token
# dominate and matched FLORES MT output to its reference at only 0.90
# precision@1 vs 0.98 with these values (benchmarks/eval_align.py, task 3).
WORD_P0, WORD_FLOOR = 1.0, 1e-6
CHAR_P0, CHAR_FLOOR = 10.0, 1e-5
CHAR_N = (3, 5)
BACKGROUND_WORDS = 50_000
_stemmer = SnowballStemmer("english")


def normalise(text: str) -> str:
    """HTML entities decoded, NFKC, folded quotes/dashes, no invisible marks, collapsed spaces (line breaks kept).

    MT systems and scrapers leave HTML entities in text (``&apos;``, ``&quot;``,
    ``&amp;``: 16% of one FLORES system's lines); undecoded, they break words
    and add character n-grams the other side does not have.
    """
    text = unicodedata.normalize("NFKC", html.unescape(text)).translate(_FOLD)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt no nos vs etc inc ltd co corp gen col lt sgt capt cmdr gov sen rep rev hon "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx fig est dept univ ave blvd "
    "u.s u.k u.n e.g i.e a.m p.m u.s.a ph.d".split()
)
# A candidate boundary: end punctuation (plus closing quotes/brackets), space, then what can start a sentence.
_BOUNDARY = re.compile(r"([.!?…]+[\"'\)\]]*)\s+(?=[\"'(\[]?[A-Z0-9\u0600-\u06FF])")


def split_sentences(text: str | None) -> list[str]:
    """English sentences of `text` in reading order; line breaks always end a sentence.

    A regular expression with an abbreviation guard, not syntok or pysbd:
    those run at 1.6 and 0.3 MB/s, which alone would take ~25 s of the 60 s
    budget for matching 10k × 10k news pieces; this runs at C speed. On
    FLORES dev references it splits like syntok on 99% of the lines.
    """
    return [s for line in split_lines(text) for s in line]


def line_numbers(text: str | None) -> list[int]:
    """For each sentence of :func:`split_sentences`, the number of the (non-empty) line it comes from."""
    return [k for k, line in enumerate(split_lines(text)) for _ in line]


def split_lines(text: str | None) -> list[list[str]]:
    """The sentences of each non-empty line of `text` (see :func:`split_sentences`)."""
    if not text or not text.strip():
        return []
    lines: list[list[str]] = []
    for block in normalise(text).split("\n"):
        block = block.strip()
        if not block:
            continue
        sentences: list[str] = []
        lines.append(sentences)
        start = 0
        for m in _BOUNDARY.finditer(block):
            end = m.end(1)
            if m.group(1) == "." and _is_abbreviation(block, m.start(1)):
                continue
            piece = block[start:end].strip()
            if piece:
                sentences.append(piece)
            start = m.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return lines


def _is_abbreviation(block: str, dot: int) -> bool:
    token = block[block.rfind(" ", 0, dot) + 1 : dot].lstrip("\"'([").casefold()
    if not token:
        return False
    if len(token) == 1 and token.isalpha():  # an initial: "J. Smith", "George W. Bush"
        return True
    return token in _ABBREVIATIONS or (token.count(".") >= 1 and all(len(p) == 1 for p in token.split(".") if p))


def words(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased words; by default content words only (no stopwords, no 1-letter tokens); 2,500 → 2500."""
    text = _DIGIT_GROUP.sub("", normalise(text).casefold())
    out = []
    for w in _WORD.findall(text):
        w = w[:-2] if w.endswith("'s") else w
        if keep_stopwords or is_content(w):
            out.append(w)
    return out


def numbers(text: str) -> frozenset[str]:
    """The numbers a sentence states (digit groups joined: 2,500 → 2500)."""
    return frozenset(re.findall(r"\d+", _DIGIT_GROUP.sub("", text)))


def is_content(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    return _stemmer.stem(word) if word.isalpha() else word


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

    _instance: "Background | None" = None

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
    def get(cls) -> "Background":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def word(self, word: str) -> float:
        return self.stem_weight.get(stem(word), self.unseen_stem)

    def gram(self, gram: str) -> float:
        return self.gram_weight.get(gram, self.unseen_gram)
