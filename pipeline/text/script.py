"""Which script a text is written in: the one Arabic-script test of the pipeline.

A character is an *Arabic-script letter* when it is a letter (``str.isalpha``,
so the tatweel counts, diacritics and Arabic-Indic digits do not) inside the
Arabic Unicode blocks: Arabic, Arabic Supplement, Arabic Extended-A, -B and -C
and the presentation forms A and B. The character class is computed once from that
definition and compiled, so counting stays a C-speed regex scan; segmenting a
200 MB dump calls it on every line.

Other scripts are named by the first word of the character's Unicode name
(LATIN, CYRILLIC, ...), which is what language detection needs to decide
among the languages written in a script.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Script = Literal["ar", "latin", "none"]

ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x089F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
    (0x10EC0, 0x10EFF),
)
# Lines are judged on their first characters: a paragraph does not change script half-way.
SAMPLE_CHARS = 240


def _letter_class(blocks: tuple[tuple[int, int], ...]) -> str:
    """A regex character class of the letters (str.isalpha) inside `blocks`, as code-point ranges."""
    ranges: list[tuple[int, int]] = []
    for low, high in blocks:
        for code in range(low, high + 1):
            if chr(code).isalpha():
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1] = (ranges[-1][0], code)
                else:
                    ranges.append((code, code))
    return "[" + "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges) + "]"


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


ARABIC_LETTER = re.compile(_letter_class(ARABIC_BLOCKS))
_LETTER = re.compile(r"[^\W\d_]")


def is_arabic_letter(ch: str) -> bool:
    return ARABIC_LETTER.fullmatch(ch) is not None


def arabic_letters(text: str) -> int:
    """How many Arabic-script letters `text` has."""
    return len(ARABIC_LETTER.findall(text))


def letter_counts(text: str, sample: int | None = SAMPLE_CHARS) -> tuple[int, int]:
    """(Arabic-script letters, other letters) in the first `sample` characters of `text` (all with None)."""
    part = text if sample is None else text[:sample]
    letters = len(_LETTER.findall(part))
    arabic = arabic_letters(part)
    return arabic, max(letters - arabic, 0)


def arabic_share(text: str, sample: int | None = SAMPLE_CHARS) -> float:
    """Share of the letters that are Arabic-script letters (0.0 when there are none)."""
    arabic, other = letter_counts(text, sample)
    total = arabic + other
    return arabic / total if total else 0.0


def is_arabic(text: str) -> bool:
    """At least half of all the letters of `text` are Arabic-script letters."""
    arabic, other = letter_counts(text, None)
    return arabic + other > 0 and arabic >= other


def script_of(text: str) -> Script:
    """'ar' when at least half of the (sampled) letters are Arabic script, 'latin' for other letters, 'none' without letters."""
    arabic, other = letter_counts(text)
    if arabic + other == 0:
        return "none"
    return "ar" if arabic >= other else "latin"


@lru_cache(maxsize=8192)
def script_name(ch: str) -> str:
    """'ARABIC' for an Arabic-script letter, else the first word of the Unicode name ('LATIN', 'CYRILLIC', ...)."""
    if is_arabic_letter(ch):
        return "ARABIC"
    name = unicodedata.name(ch, "")
    script = name.split(" ", 1)[0] if name else "UNKNOWN"
    return "ARABIC_OTHER" if script == "ARABIC" else script
