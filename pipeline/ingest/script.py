"""A cheap script test: how much of a line is written in Arabic letters.

The segmenter only needs to know where a dump switches from English to
Arabic articles, not which language a paragraph is in (that is the detect
stage's job, with langdetect). Counting letters by script is enough for a
boundary, costs next to nothing, and never guesses. Long lines are judged on
their first ``SAMPLE_CHARS`` characters: a paragraph does not change script
half-way, and this keeps a 200 MB dump fast.
"""

from __future__ import annotations

import re
from typing import Literal

Script = Literal["ar", "latin", "none"]

SAMPLE_CHARS = 240
# Arabic, Arabic Supplement, Arabic Extended-A, presentation forms A and B (letters only).
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")


def letter_counts(text: str) -> tuple[int, int]:
    """(Arabic letters, other letters) in the first SAMPLE_CHARS characters of `text`."""
    sample = text[:SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    arabic = len(_ARABIC_LETTER.findall(sample))
    return arabic, max(letters - arabic, 0)


def arabic_share(text: str) -> float:
    """Share of the letters of `text` that are Arabic letters (0.0 when it has none)."""
    arabic, other = letter_counts(text)
    total = arabic + other
    return arabic / total if total else 0.0


def script_of(text: str) -> Script:
    """'ar' when at least half of the letters are Arabic, 'latin' for other letters, 'none' without letters."""
    arabic, other = letter_counts(text)
    if arabic + other == 0:
        return "none"
    return "ar" if arabic >= other else "latin"
