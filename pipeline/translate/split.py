"""Splitting sentences too long for the model, never truncating them.

Sentences come from :func:`pipeline.text.sentences.split_arabic`; the few
longer than the model's source limit are cut here at clause boundaries, then
whitespace, then characters. Every function cuts the input at offsets and
only trims whitespace, so joining the pieces gives the input back modulo
whitespace; a property test checks it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

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
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


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
