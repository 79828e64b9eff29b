"""The report's search index: words → pieces, cut into small files the page loads on demand.

Why written here and not taken from a library: the report must open from
disk (``file://``) under a Content-Security-Policy that runs only our own
script. There, ``fetch()`` of local files is blocked, so Pagefind (fetch and
WebAssembly) cannot load its index, and lunr.js or MiniSearch would need
their whole index in memory: at 100,000 pieces that is hundreds of
megabytes before the first keystroke. What a browser does allow from disk
is a ``<script>`` element, so the index is cut into *shards*, one per first
two letters of a word, each a small script file that hands its part of the
index to the page. A query loads only the shards of its own words.

One normal form on both sides. A word is a run of letters or digits
(``[\\p{L}\\p{N}]+``, the same pattern here and in the page) after:

* NFKD and the removal of combining marks: the Arabic short vowels, shadda
  and sukun, the superscript alef, and the hamza and madda that NFKD splits
  off their carriers (أ إ آ → ا, ؤ → و, ئ → ي), like Latin accents (é → e);
* the folds in :data:`FOLDS`: the letters NFKD leaves alone that are written
  for one another (alef wasla, alef maqsura, ta marbuta, tatweel) and the
  Arabic-Indic digits;
* lower case;
* for an Arabic word, its definite article and the particles fused with it
  (:data:`ARTICLES`), so السنوار and سنوار are one word.

The page gets :data:`FOLDS` and :data:`ARTICLES` from the index itself
(:func:`search_config`), so the two sides cannot drift apart; the browser
test checks an Arabic query written with other hamza and vowels.
A query word matches every indexed word it is a prefix of, and a query of
several words finds the pieces holding all of them.
"""

from __future__ import annotations

import json
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import pairwise

import regex

# Letters written for one another that NFKD does not unify, and digits in their Western form.
FOLDS: dict[str, str] = {
    "\u0671": "\u0627",  # alef wasla → alef
    "\u0649": "\u064a",  # alef maqsura → ya
    "\u0629": "\u0647",  # ta marbuta → ha
    "\u0640": "",  # tatweel (stretches a word, no letter)
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
}
# The definite article and the particles written together with it, longest first.
ARTICLES: tuple[str, ...] = ("وال", "بال", "فال", "كال", "لل", "ال")
MIN_REST = 2  # letters an Arabic word keeps after its article is cut
MIN_WORD, MAX_WORD = 2, 40  # shorter words are not indexed (no shard), longer ones are not words
SHARD_CHARS = 2

# The `regex` module speaks Unicode properties as JavaScript does, so both sides use the same patterns.
_MARKS = regex.compile(r"\p{Mn}+")
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_ARTICLE_STARTS = frozenset(a[0] for a in ARTICLES)
# An article at the start of a word, where at least MIN_REST letters follow it (what strip_article cuts, for a whole text).
_ARTICLE = regex.compile(r"(?<![\p{L}\p{N}])(?:" + "|".join(ARTICLES) + r")(?=[\p{L}\p{N}]{" + str(MIN_REST) + "})")


def normalise(text: str) -> str:
    """NFKD, no combining marks, :data:`FOLDS`, lower case (see the module docstring)."""
    if text.isascii():  # nothing to decompose or fold (most English text): the fast way to the same result
        return text.lower()
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    for letter, folded in FOLDS.items():  # str.replace per letter present: far faster than str.translate
        if letter in text:
            text = text.replace(letter, folded)
    return text.lower()


def strip_article(word: str) -> str:
    if word[:1] not in _ARTICLE_STARTS:
        return word
    for article in ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= MIN_REST:
            return word[len(article) :]
    return word


def words(text: str) -> Iterator[str]:
    """The indexed words of `text`, in order, repeats included."""
    for word in _WORD.findall(normalise(text)):
        word = strip_article(word)
        if MIN_WORD <= len(word) <= MAX_WORD:
            yield word


def shard_key(word: str) -> str:
    """The shard a word lives in: the code points of its first letters, e.g. ``0633-0646``."""
    return "-".join(f"{ord(ch):04x}" for ch in word[:SHARD_CHARS])


def search_config() -> dict[str, object]:
    """What the page needs to cut a query into words exactly as the index was cut."""
    return {
        "folds": FOLDS,
        "articles": list(ARTICLES),
        "min_rest": MIN_REST,
        "min_word": MIN_WORD,
        "max_word": MAX_WORD,
        "shard_chars": SHARD_CHARS,
    }


def word_set(texts: Iterable[str | None]) -> set[str]:
    """The distinct indexed words of some texts: :func:`words`, done a whole text at a time (for the index)."""
    text = _ARTICLE.sub("", normalise(" ".join(t for t in texts if t)))
    return {w for w in _WORD.findall(text) if MIN_WORD <= len(w) <= MAX_WORD}


def _new_postings() -> array[int]:
    return array("I")


class SearchIndex:
    """Words → the numbers of the pieces holding them, built one piece at a time."""

    def __init__(self) -> None:
        # compact arrays (4 bytes a posting), made on a word's first sight: at 100,000 pieces the index holds tens of
        # millions of postings, which as lists of ints would take gigabytes
        self._postings: defaultdict[str, array[int]] = defaultdict(_new_postings)

    def add(self, number: int, texts: Iterable[str | None]) -> None:
        """Index piece `number` (numbers must be added in increasing order)."""
        postings = self._postings
        for word in word_set(texts):
            postings[word].append(number)

    def __len__(self) -> int:
        return len(self._postings)

    def shards(self) -> dict[str, dict[str, list[int]]]:
        """Shard key → {word: piece numbers as gaps (first number, then differences)}."""
        out: dict[str, dict[str, list[int]]] = {}
        for word in sorted(self._postings):
            numbers = self._postings[word]
            out.setdefault(shard_key(word), {})[word] = [numbers[0], *(b - a for a, b in pairwise(numbers))]
        return out


def shard_script(key: str, shard: dict[str, list[int]]) -> str:
    """A shard as a script file: one call that hands the page its words (JSON, so text stays data)."""
    payload = json.dumps(shard, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.reportSearchShard({json.dumps(key)},{payload});\n"
