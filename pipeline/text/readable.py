"""Machine-translation output as people read it: escapes undone, Moses tokenisation repaired.

Real MT output is not always plain text. Systems trained on Moses-tokenised
corpora (opus-mt, Argos and other OPUS models) write the Moses escapes
``&apos;``, ``&quot;`` and ``&amp;`` as words of their own, with the
tokeniser's spacing around them ("the &quot; trap &quot; , stressing");
systems behind web APIs return HTML character references ("Nadal&#39;s").
The store keeps the system's output as it came (``raw``) and this readable
form beside it; reports, TMX, CSV and annotation tools show the readable one.

What a library does, a library does here:

* a line that carries a Moses escape as a token of its own was tokenised
  by Moses, so sacremoses' :class:`MosesDetokenizer` (the port of the Moses
  scripts) turns it back: it unescapes the Moses set, pairs the quotes and
  re-attaches punctuation and clitics ("&apos;s", "n&apos;t");
* other character references are decoded by :func:`html.unescape`, one
  reference at a time and only where it is complete (``&name;``,
  ``&#39;``), because ``html.unescape`` also decodes references with no
  semicolon, and "&not" in "Barnes&notice" is not "¬".

The one repair no library makes: a model that learnt the Moses escapes as
SentencePiece pieces may write the clitic apart from its apostrophe ("Alonso
&apos; s safe car", "coup d &apos; état"), which the Moses tokeniser never
writes ("Alonso &apos;s"), so the detokeniser takes the lone apostrophe for an
opening quote ("Alonso 's"). Before detokenising, a lone ``&apos;`` is joined
to an English clitic that follows it (s, t, re, ve, ll, d, m: "Alonso's",
"don't") and to a single letter before it, which is an elision ("d'état",
"l'Aquila", "O'Brien"). Other lone apostrophes are left to the detokeniser,
which reads them as quotes or plural possessives ("years' imprisonment").

Text without any ``&`` is returned unchanged, so clean output never moves.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from sacremoses import MosesDetokenizer

# The escapes of the Moses tokeniser (scripts/tokenizer/escape-special-chars.perl).
_MOSES_ESCAPES = frozenset({"&apos;", "&quot;", "&amp;", "&lt;", "&gt;", "&#91;", "&#93;", "&#124;"})
# One of them as a token of its own, or an apostrophe opening a clitic ("&apos;s"): the line was tokenised by Moses.
# ("Nadal&#39;s", "&quot;King&quot;" are escaped, not tokenised: the quote is attached to its word.)
_MOSES_TOKEN = re.compile(r"(?:^|\s)(?:&(?:apos|quot|amp|lt|gt|#91|#93|#124);(?=\s|$)|&apos;(?:s|t|re|ve|ll|d|m)(?=\s|$))")
# A lone apostrophe token followed by an English clitic: "Alonso &apos; s" -> "Alonso &apos;s".
_SPLIT_CLITIC = re.compile(r"(?<=\S) &apos; (s|t|re|ve|ll|d|m)(?=[\s.,;:!?)\]\"]|$)")
# A single letter, a lone apostrophe token, a word: an elision, "d &apos; état" -> "d&apos;état".
_SPLIT_ELISION = re.compile(r"(?<!\S)([^\W\d_]) &apos; (?=[^\W\d_])")
# A complete character reference: named with its semicolon, decimal or hexadecimal.
_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


@lru_cache(maxsize=1)
def _detokenizer() -> MosesDetokenizer:
    return MosesDetokenizer(lang="en")


def is_moses_tokenised(line: str) -> bool:
    """The line carries a Moses escape as a token of its own (how Moses-trained systems write)."""
    return _MOSES_TOKEN.search(line) is not None


def _detokenise(line: str) -> str:
    line = _REFERENCE.sub(lambda m: m.group() if m.group() in _MOSES_ESCAPES else html.unescape(m.group()), line)
    line = _SPLIT_CLITIC.sub(r" &apos;\1", line)
    line = _SPLIT_ELISION.sub(r"\1&apos;", line)
    return str(_detokenizer().detokenize(line.split()))


def _unescape_references(line: str) -> str:
    return _REFERENCE.sub(lambda m: html.unescape(m.group()), line)


def readable(raw: str) -> str:
    """The readable form of one MT output (line breaks kept; see the module docstring)."""
    if "&" not in raw:
        return raw
    lines = []
    for line in raw.split("\n"):
        if is_moses_tokenised(line):
            lines.append(_detokenise(line))
        else:
            lines.append(_unescape_references(line) if "&" in line else line)
    return "\n".join(lines)


__all__ = ["is_moses_tokenised", "readable"]
