"""Dates: finding them in text, parsing them, and reading the ISO strings the store holds.

Every date in the pipeline goes through this module, so a piece's date means
the same thing in ingest, align and export.

Finding, then parsing
    A date is first *found* with a regular expression and only then *parsed*,
    so "5,000 operations", "Resolution 2334" or "in 2021" never become dates:
    a date needs a day, a month and a year. The month and weekday names in
    that expression are not a hand-written table: they are read from
    dateparser's own locale data for the locales in :data:`ARABIC_LOCALES`
    (Levantine ``ar-LB``: كانون الثاني، شباط، آب...; Algerian ``ar-DZ``:
    جانفي، فيفري، أوت...; Moroccan ``ar-MA``: شتنبر، نونبر، دجنبر...; plain
    ``ar``: the Egyptian/Gulf يناير، فبراير...) and
    English. Arabic-Indic and Persian digits are read as ASCII digits, and the
    alef/hamza spellings (أيار / ايار) are matched alike.

    Parsing is dateparser's, with explicit settings: absolute dates only (no
    "yesterday"), day, month and year all required, day-month-year order.
    dateparser refuses two locales of one language in a call, so the Arabic
    locales are tried one after the other.

What dateparser cannot do, and is therefore written here
    * Numeric dates that are not day-first ("10/22/2020"): dateparser with
      ``DATE_ORDER=DMY`` rejects them instead of falling back to month-first;
      :func:`_numeric` reads day first and swaps when the day cannot be a month.
    * The time of day as the page printed it ("12:24 AM", "3:59 PM ET"):
      dateparser converts or rejects time-zone abbreviations; the pipeline
      keeps the local wall-clock time, ``YYYY-MM-DDTHH:MM``, and no offset.
    * Plausibility: a date in the future or before :data:`EARLIEST_YEAR` is
      a scraping error (a copyright year, a ticker, a typo), never the date
      of a piece; :func:`implausible` says why, so callers can flag it.

ISO helpers
    :func:`iso_date` and :func:`iso_text` read the strings the store keeps
    (``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS][±HH:MM]``) for the aligner and
    the exports; :func:`from_markup` reads machine dates in HTML
    (``<time datetime>``, ``article:published_time``, JSON-LD) and JSONL.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import dateparser
from dateparser.languages import default_loader

ARABIC_LOCALES = ("ar-LB", "ar-DZ", "ar-MA", "ar")  # Levantine, Algerian, Moroccan, Egyptian/Gulf month names
EARLIEST_YEAR = 1990  # no scraped news dump holds pieces older than this
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ALEF = str.maketrans("أإآ", "ااا")  # one character for one: offsets in the text do not move

SETTINGS = {
    "DATE_ORDER": "DMY",
    "PARSERS": ["absolute-time"],  # no "yesterday", "2 hours ago"
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def _names(locales: tuple[str, ...], keys: tuple[str, ...], min_len: int) -> str:
    """Regex alternation of dateparser's names for `keys` in `locales` (longest first)."""
    names: set[str] = set()
    for locale in locales:
        info = default_loader.get_locale(locale).info
        for key in keys:
            names.update(n.translate(_ALEF) for n in info.get(key, []) if len(n) >= min_len and not n[-1:].isdigit())
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def name_numbers(locales: tuple[str, ...], keys: tuple[str, ...], min_len: int) -> dict[str, int]:
    """dateparser's names of `keys` in `locales` (alef spellings folded, lower case) -> 1-based index into `keys`.

    ``name_numbers(("en",), MONTHS, 3)["sept"]`` is 9; with :data:`WEEKDAYS`,
    Monday is 1. The aligner reads event dates with these (pipeline/align/eventtime.py).
    """
    out: dict[str, int] = {}
    for locale in locales:
        info = default_loader.get_locale(locale).info
        for number, key in enumerate(keys, start=1):
            for n in info.get(key, []):
                if len(n) >= min_len and not n[-1:].isdigit():
                    out.setdefault(n.translate(_ALEF).casefold(), number)
    return out


_AR_MONTH = _names(ARABIC_LOCALES, MONTHS, 2)
_AR_WEEKDAY = _names(ARABIC_LOCALES, WEEKDAYS, 3)
_EN_MONTH = rf"(?:{_names(('en',), MONTHS, 3)}|sept)\.?"
_EN_WEEKDAY = rf"(?:(?:{_names(('en',), WEEKDAYS, 3)}|tues|wednes|thurs|satur)(?:day)?\.?,?\s*)?"
_TIME = (
    r"(?:(?:\s*,?\s*(?:at\s*)?|T)\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:ET|EST|EDT|GMT|UTC|CET|CEST|AST|BST)(?:[+-]\d{1,2})?)?(?!\d))?"
)
_YEAR = r"(?:19|20)\d{2}(?!\d)"
_ORDINAL = r"(?:st|nd|rd|th)?"

DATE_RE = re.compile(
    "|".join(
        [
            rf"(?<![\w/.])(?P<iso>{_YEAR}[-/.]\d{{1,2}}[-/.]\d{{1,2}}){_TIME}",
            rf"(?<![\w/.-])(?P<num>\d{{1,2}}[-/.]\d{{1,2}}[-/.]{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<dmy>{_EN_WEEKDAY}\d{{1,2}}{_ORDINAL},?\s+(?:of\s+)?{_EN_MONTH},?\s*{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<mdy>{_EN_WEEKDAY}{_EN_MONTH}\s+\d{{1,2}}{_ORDINAL}\s*,?\s*{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<ar>(?:(?:{_AR_WEEKDAY})\s*[،,]?\s*)?\d{{1,2}}\s+(?:{_AR_MONTH})\s*[،,]?\s*{_YEAR}){_TIME}",
        ]
    ),
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::\d{2})?(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
# _YEAR before DIGITS maps Arabic-Indic digits to ASCII (\d is any Unicode digit, as in DATE_RE)
_A_YEAR = re.compile(r"(?:[1\u0661\u06f1][9\u0669\u06f9]|[2\u0662\u06f2][0\u0660\u06f0])\d{2}(?!\d)")
_ORDINAL_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b|\bof\b", re.IGNORECASE)


def fold_arabic(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII, the alef/hamza spellings as one (offsets do not move)."""
    return text.translate(DIGITS).translate(_ALEF)


def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """(ISO date, (start, end) of it in `text`) for the first date in `text`, or None."""
    if not _A_YEAR.search(text):
        return None  # every date pattern has a year (_YEAR): most lines are ruled out before the big pattern
    clean = fold_arabic(text)
    for match in DATE_RE.finditer(clean):
        iso = _parse_match(match)
        if iso:
            return iso, match.span()
    return None


def find_dates(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(ISO date, (start, end)) of every full date (day, month and year) in `text`, in order."""
    out = []
    for match in DATE_RE.finditer(fold_arabic(text)):
        iso = _parse_match(match)
        if iso:
            out.append((iso, match.span()))
    return out


@lru_cache(maxsize=4096)
def parse_date(text: str) -> str | None:
    """The first date in `text` as ISO 'YYYY-MM-DD' (or 'YYYY-MM-DDTHH:MM' with a time); None if there is none."""
    found = find_date(text)
    return found[0] if found else None


def _parse_match(match: re.Match[str]) -> str | None:
    kind = match.lastgroup or ""
    core = match.group(kind)
    when = _numeric(core) if kind in ("iso", "num") else _dateparser(core, kind == "ar")
    if when is None or not 1900 <= when.year <= 2100:
        return None
    iso = when.strftime("%Y-%m-%d")
    clock = _CLOCK.search(match.group(0)[len(core) :])
    if clock:
        hour, minute, half = int(clock.group(1)), int(clock.group(2)), (clock.group(3) or "").lower()
        if half == "p" and hour < 12:
            hour += 12
        elif half == "a" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            iso += f"T{hour:02d}:{minute:02d}"
    return iso


@lru_cache(maxsize=8192)
def _dateparser(text: str, arabic: bool) -> datetime | None:
    if not arabic:
        return dateparser.parse(_ORDINAL_SUFFIX.sub("", text), languages=["en"], settings=SETTINGS)  # type: ignore[arg-type]
    for locale in ARABIC_LOCALES:
        parsed = dateparser.parse(text, locales=[locale], settings=SETTINGS)  # type: ignore[arg-type]
        if parsed is not None:
            return parsed
    return None


def _numeric(text: str) -> datetime | None:
    """Day first ("18/07/2021"), year first ("2020-10-22"), month first only when the day cannot be a month."""
    parts = [int(p) for p in re.split(r"[-/.]", text)]
    if len(parts) != 3:
        return None
    if parts[0] > 31:
        year, month, day = parts
    else:
        day, month, year = parts
        if month > 12 and day <= 12:  # "10/22/2020"
            day, month = month, day
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def from_markup(value: str | None) -> str | None:
    """A machine-readable date from markup ("2024-08-15T23:39:00+03:00") as the pipeline's ISO day.

    Only the calendar day as written is kept: markup times come in UTC,
    server or local time with or without an offset, so a time from them
    would not mean what a time read off the page means. Values that are not
    ISO fall back to :func:`parse_date` ("Aug 15, 2024").
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        found = parse_date(text)
        return found[:10] if found else None
    return parsed.strftime("%Y-%m-%d")


def implausible(iso: str, today: date | None = None) -> str | None:
    """Why `iso` cannot be a piece's date (in the future, or before EARLIEST_YEAR), or None when it can."""
    day = iso_date(iso)
    if day is None:
        return f"{iso!r} is not a date"
    today = today or date.today()
    if day > today + timedelta(days=1):  # a day of slack for time zones
        return f"{day.isoformat()} is in the future"
    if day.year < EARLIEST_YEAR:
        return f"{day.isoformat()} is before {EARLIEST_YEAR}"
    return None


def iso_date(value: str | None) -> date | None:
    """The calendar day of an ISO date or datetime string, or None when it is missing or not one."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def iso_text(value: str | None) -> str | None:
    """An ISO date or datetime string, normalised, or None when it is missing or not one."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None
