"""Sentence splitting, once for each language the pipeline reads.

The sentence is the unit the pipeline translates, caches, aligns and shows
side by side, so its boundaries must be predictable and must never drop text:

* :func:`split_arabic` splits the Arabic paragraphs that go to the model.
  A small hand-written splitter, because general-purpose splitters either lose
  characters on odd input or know nothing of Arabic punctuation (؟ ؛ ، «»)
  and Arabic news conventions (a quotation keeps its sentences together;
  "2.5 مليار" is one number). It cuts the input at offsets and only trims
  whitespace, so joining the sentences gives the input back modulo
  whitespace (a property test checks it).
* :func:`split_english` splits English text (translations and English
  coverage) for alignment: a regular expression with an abbreviation guard,
  not syntok or pysbd, which run at 1.6 and 0.3 MB/s and alone would take
  ~25 s of the 60 s budget for matching 10k × 10k news pieces. On FLORES dev
  references it splits like syntok on 99% of the lines. Sentence indices in
  matches point into its output, so it must not change lightly.
"""

from __future__ import annotations

import itertools
import re

from pipeline.text.normalise import fold_typography

# Sentence-final marks: Latin and Arabic full stop (U+06D4), question marks,
# exclamation, the Arabic semicolon (used between sentences in news prose)
# and the ellipsis (one character or three dots).
_FINAL = ".!?؟؛۔…"
# Marks after which a sentence may end even with no space before the next word.
_FINAL_NO_SPACE = "!?؟؛…"
_CLOSERS = "»”\"'’)]}›"
_BOUNDARY = re.compile(rf"(?:\.\.\.|[{re.escape(_FINAL)}])+[{re.escape(_CLOSERS)}]*")
_PAIRS = {"«": "»", "“": "”", "(": ")", "[": "]", "‹": "›"}
_LETTER = re.compile(r"[^\W\d_]")
# Latin abbreviations that end with a dot but not a sentence (lower-cased, no final dot), for both splitters.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "al",
        "e.g",
        "i.e",
        "no",
        "nos",
        "inc",
        "ltd",
        "co",
        "corp",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "rep",
        "sen",
        "gov",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "dept",
        "est",
        "fig",
        "vol",
        "pp",
        "ed",
        "eds",
        "mt",
        "cmdr",
        "rev",
        "hon",
        "univ",
        "ave",
        "blvd",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "u.s.a",
        "ph.d",
    ]
)
# Quotations up to this many characters stay in one sentence even when they
# contain several; longer ones are split like ordinary prose.
MAX_QUOTE_CHARS = 300


def split_arabic(text: str, max_quote_chars: int = MAX_QUOTE_CHARS) -> list[str]:
    """Split a paragraph into sentences, respecting Arabic punctuation, quotes and numbers.

    Boundaries: . ! ? ؟ ؛ ۔ … (runs of them, with any closing quotes or
    brackets) followed by whitespace, the end of the text, or — for the
    unambiguous marks ! ? ؟ ؛ … — directly by a letter; and line breaks.
    Not boundaries: a dot inside a number ("2.5", "3.14"), after a single
    letter ("د.", "U.S.") or a known Latin abbreviation, and anything inside
    a quotation or bracket pair shorter than `max_quote_chars`.
    """
    protected = _protected_spans(text, max_quote_chars)
    cuts = [0]
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if _inside(protected, match.start()) or not _ends_sentence(text, match, end):
            continue
        cuts.append(end)
    cuts.extend(m.end() for m in re.finditer(r"\n", text) if not _inside(protected, m.start()))
    cuts.append(len(text))
    cuts = sorted(set(cuts))
    pieces = (text[a:b].strip() for a, b in itertools.pairwise(cuts))
    return [p for p in pieces if p]


def _ends_sentence(text: str, match: re.Match[str], end: int) -> bool:
    if end == len(text) or text[end].isspace():
        return not _is_abbreviation(text, match)
    marks = match.group().rstrip(_CLOSERS)
    return marks[-1] in _FINAL_NO_SPACE and _LETTER.match(text[end]) is not None


def _is_abbreviation(text: str, match: re.Match[str]) -> bool:
    """A lone dot after a single letter ("د.", "U.S.") or a known Latin abbreviation."""
    if match.group() != ".":
        return False
    start = match.start()
    word_start = start
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in _CLOSERS + "«“(":
        word_start -= 1
    word = text[word_start:start]
    if not word:
        return False
    letters = word.replace(".", "")
    if len(letters) == 1 and letters.isalpha():  # "د." "U.S." (last token "U.S" → single letters)
        return True
    if re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):  # initials such as "U.S" before the final dot
        return True
    return word.casefold() in _ABBREVIATIONS


def _protected_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) of matched quote/bracket pairs short enough to keep whole."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    straight_open: int | None = None
    for i, ch in enumerate(text):
        if ch in _PAIRS:
            stack.append((_PAIRS[ch], i))
        elif stack and ch == stack[-1][0]:
            _, start = stack.pop()
            if i - start <= max_chars:
                spans.append((start, i))
        elif ch in _PAIRS.values():
            # an unmatched closer: drop openers until one matches, if any does
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == ch:
                    start = stack[depth][1]
                    del stack[depth:]
                    if i - start <= max_chars:
                        spans.append((start, i))
                    break
        elif ch == '"':
            if straight_open is None:
                straight_open = i
            else:
                if i - straight_open <= max_chars:
                    spans.append((straight_open, i))
                straight_open = None
    return spans


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    return any(start < position < end for start, end in spans)


# A candidate boundary: end punctuation (plus closing quotes/brackets), space, then what can start a sentence.
_EN_BOUNDARY = re.compile(r"([.!?…]+[\"'\)\]]*)\s+(?=[\"'(\[]?[A-Z0-9\u0600-\u06FF])")


def split_english(text: str | None) -> list[str]:
    """English sentences of `text` in reading order; line breaks always end a sentence."""
    return [s for line in split_english_lines(text) for s in line]


def split_english_numbered(text: str | None) -> tuple[list[str], list[int]]:
    """:func:`split_english` and, for each sentence, the number of the (non-empty) line it comes from, in one pass."""
    lines = split_english_lines(text)
    return [x for line in lines for x in line], [k for k, line in enumerate(lines) for _ in line]


def split_english_lines(text: str | None) -> list[list[str]]:
    """The English sentences of each non-empty line of `text` (the aligner weighs a run of sentences of one line as one passage)."""
    if not text or not text.strip():
        return []
    lines: list[list[str]] = []
    for block in fold_typography(text).split("\n"):
        block = block.strip()
        if not block:
            continue
        sentences: list[str] = []
        lines.append(sentences)
        start = 0
        for m in _EN_BOUNDARY.finditer(block):
            end = m.end(1)
            if m.group(1) == "." and _is_en_abbreviation(block, m.start(1)):
                continue
            piece = block[start:end].strip()
            if piece:
                sentences.append(piece)
            start = m.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return lines


def _is_en_abbreviation(block: str, dot: int) -> bool:
    token = block[block.rfind(" ", 0, dot) + 1 : dot].lstrip("\"'([").casefold()
    if not token:
        return False
    if len(token) == 1 and token.isalpha():  # an initial: "J. Smith", "George W. Bush"
        return True
    return token in _ABBREVIATIONS or (token.count(".") >= 1 and all(len(p) == 1 for p in token.split(".") if p))
