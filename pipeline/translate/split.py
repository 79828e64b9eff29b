"""Arabic sentence splitting, and splitting of sentences too long for the model.

Why a small hand-written splitter: the sentence is the unit we translate,
cache and align, so its boundaries must be predictable and must never drop
text. The general-purpose splitters we tried either lose characters on odd
input or know nothing of Arabic punctuation (؟ ؛ ، «») and Arabic news
conventions (a quotation keeps its sentences together; "2.5 مليار" is one
number). Every function here cuts the input at offsets and only trims
whitespace, so joining the pieces gives the input back modulo whitespace —
a property test checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
# Latin abbreviations that end with a dot but not a sentence (lower-cased, no dot).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc al e.g i.e no nos inc ltd co corp gen col lt sgt capt rep sen gov "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx dept est fig vol pp ed eds".split()
)
# Quotations up to this many characters stay in one sentence even when they
# contain several; longer ones are split like ordinary prose.
MAX_QUOTE_CHARS = 300

# Invisible characters that only steer rendering: bidi marks and embeddings,
# zero-width spaces and joiners, BOM, soft hyphen. They carry no meaning for
# the model (its SentencePiece vocabulary never saw most of them).
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def clean_for_model(text: str) -> str:
    """What the model sees: invisible control characters removed, whitespace collapsed."""
    return " ".join(_INVISIBLE.sub("", text).split())


def split_sentences(text: str, max_quote_chars: int = MAX_QUOTE_CHARS) -> list[str]:
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
    pieces = (text[a:b].strip() for a, b in zip(cuts, cuts[1:]))
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


# -- sentences longer than the model's limit ---------------------------------

_CLAUSE_END = re.compile(r"[،,؛;:]+(?=\s)")


def split_long(sentence: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Cut a sentence into chunks of at most `max_tokens` tokens, without losing text.

    First at clause boundaries (، , ؛ ; : followed by a space), packing
    consecutive clauses while they fit; a clause still too long is cut at
    whitespace near the limit; a single "word" longer than the limit (a URL,
    a run with no spaces) is cut between characters. Never truncates.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    clauses = _cut_after(sentence, [m.end() for m in _CLAUSE_END.finditer(sentence)])
    chunks: list[str] = []
    for piece in _pack(clauses, count_tokens, max_tokens):
        if count_tokens(piece) <= max_tokens:
            chunks.append(piece)
            continue
        words = _cut_after(piece, [m.end() for m in re.finditer(r"\s+", piece)])
        for chunk in _pack(words, count_tokens, max_tokens):
            chunks.extend(_fit(chunk, count_tokens, max_tokens))
    return [c.strip() for c in chunks if c.strip()]


def _cut_after(text: str, offsets: list[int]) -> list[str]:
    bounds = [0, *[o for o in offsets if 0 < o < len(text)], len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _pack(units: list[str], count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Greedily join consecutive units while the (additive) token estimate fits.

    SentencePiece never merges across whitespace, so the count of a joined
    chunk is close to the sum of its units' counts; `_fit` corrects the rare
    chunk the estimate let through.
    """
    chunks: list[str] = []
    current, current_tokens = "", 0
    for unit in units:
        tokens = count_tokens(unit)
        if current and current_tokens + tokens > max_tokens:
            chunks.append(current)
            current, current_tokens = "", 0
        current += unit
        current_tokens += tokens
    if current:
        chunks.append(current)
    return chunks


def _fit(chunk: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Make sure a chunk fits: halve it at whitespace, or between characters as a last resort."""
    if count_tokens(chunk) <= max_tokens or len(chunk.strip()) <= 1:
        return [chunk]
    stripped = chunk.strip()
    spaces = [m.start() for m in re.finditer(r"\s", stripped)]
    middle = len(stripped) // 2
    cut = min(spaces, key=lambda s: abs(s - middle)) if spaces else middle
    cut = max(1, cut)
    return _fit(stripped[:cut], count_tokens, max_tokens) + _fit(stripped[cut:], count_tokens, max_tokens)
