"""Text normalisation: the shared steps once, and the few normal forms the stages need.

Scraped text carries characters that only steer rendering (bidi marks and
embeddings, zero-width spaces and joiners, the BOM, the soft hyphen, the
Arabic tatweel used to stretch words) and whitespace of every kind. They
carry no meaning, so:

* :func:`for_identity` — the form a piece's content id is computed from: two
  copies of an article that differ only in spacing, direction marks,
  Unicode composition or case get the same id, so dedup works across dumps.
  Changing it changes every content id: it is frozen.
* :func:`for_model` — what the translation model sees (and the cache keys).
* :func:`for_detection` — what language detection sees: NFKC (which folds
  Arabic presentation forms), no tatweel, no invisible marks, no URLs or
  e-mail addresses (their letters are not the text's language).
* :func:`fold_typography` — English text for matching: HTML entities decoded
  (MT systems and scrapers leave ``&apos;``, ``&quot;``, ``&amp;`` in text:
  16% of one FLORES system's lines; undecoded they break words and add
  character n-grams the other side does not have), NFKC and one form of each
  quote and dash (MT systems and scrapers mix them).
"""

from __future__ import annotations

import html
import re
import unicodedata

TATWEEL = "\u0640"
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_URL_START = re.compile(r"https?://|www\.")
_SPACE_RUNS = re.compile(r"(\s+)")
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u02bf": "'",
        "\u02be": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u200b": "",
        "\u200e": "",
        "\u200f": "",
        "\ufeff": "",
    }
)


def strip_invisible(text: str) -> str:
    return INVISIBLE.sub("", text)


def collapse_whitespace(text: str) -> str:
    """Every run of whitespace (no-break spaces and line breaks included) as one space, trimmed."""
    return " ".join(text.split())


def for_identity(text: str) -> str:
    """NFKC, no tatweel, no invisible marks, collapsed whitespace, case-folded (see the module docstring)."""
    return collapse_whitespace(strip_invisible(unicodedata.normalize("NFKC", text).replace(TATWEEL, ""))).casefold()


def for_model(text: str) -> str:
    """Invisible control characters removed, whitespace collapsed: the sentence as the model sees it."""
    return collapse_whitespace(strip_invisible(text))


def for_detection(text: str) -> str:
    """NFKC, no tatweel, no invisible marks, URLs and e-mail addresses blanked."""
    text = strip_invisible(unicodedata.normalize("NFKC", text).replace(TATWEEL, ""))
    return "".join(_without_address(run) for run in _SPACE_RUNS.split(text))


def _without_address(run: str) -> str:
    """A whitespace-free run with a URL (from its scheme or www. on) or an e-mail address blanked.

    Token by token with string searches, not one regex over the text: a
    pattern such as ``\\S+@\\S+\\.\\S+`` backtracks quadratically over a long
    run without spaces (a 1M-character line took half an hour).
    """
    at = run.find("@")
    if 0 < at < len(run) - 1 and "." in run[at + 2 : -1]:
        return " "
    url = _URL_START.search(run)
    return run[: url.start()] + " " if url else run


def fold_characters(text: str) -> str:
    """HTML entities decoded, NFKC, folded quotes and dashes, no invisible marks; spacing as it was.

    What tokenisers need of :func:`fold_typography`: the words come out the
    same, without the cost of collapsing spaces (a third of the fold's time).
    """
    return unicodedata.normalize("NFKC", html.unescape(text)).translate(_TYPOGRAPHY)


_SPACES = re.compile(r"[ \t\r\f\v]+")


def fold_typography(text: str) -> str:
    """HTML entities decoded, NFKC, folded quotes and dashes, no invisible marks, collapsed spaces (line breaks kept)."""
    return _SPACES.sub(" ", fold_characters(text)).strip()
