"""Piece metadata read off its header lines: date, byline, outlet.

Dates
    A date is first *found* with a regular expression (so "5,000 operations"
    or "Resolution 2334" never become dates), then *parsed* by dateparser with
    explicit settings: day-month-year order for numeric dates, absolute dates
    only (no "yesterday"), all of day, month and year required. Numeric dates
    are day first ("18/07/2021" is 18 July); when the first number cannot be a
    day-first month ("10/22/2020") they are read month first. dateparser does
    not know the Levantine month names used by Lebanese and Syrian papers
    (كانون الثاني, شباط, آذار, ... آب, أيلول, تشرين الأول ...), so they, and the
    Arabic weekday names, are mapped to English before parsing. Results are ISO:
    'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM' when the line gives a time.

Bylines
    "By Staff, Agencies" → "Staff, Agencies"; "BY RICK MORAN NOV 07, 2021" →
    "Rick Moran" (all-caps names are title-cased, the date goes to ``date``);
    "By Aram Mirzaei for the Saker blog" → author "Aram Mirzaei", outlet
    "The Saker". An Arabic "city – name" line ("باريس – نضال حمادة") gives the
    author after the dash ("نضال حمادة"); the city is a dateline, not part of
    the name, and stays visible in the piece's metadata lines.

Outlets
    Only where the page names the outlet or the text names itself: a
    "Shafaq News /" or "(Baghdad: Al Furat News)" opener, a "Source: Press TV"
    or "Translated by Al-Ahed News" line, a "By Al Mayadeen" byline, the
    site name after a "|" in a page title, an Arabic paper quoting someone
    to itself ("لـ«الأخبار»" is Al-Akhbar, "«البناء»" Al-Binaa), or a
    columnist the settings map to their paper. Names are canonical English
    ("Al-Akhbar", "Al-Binaa", "Shafaq News"); an outlet merely *quoted* in an
    English article ("told al-Mayadeen TV") is not taken as the piece's outlet.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

import dateparser

# -- dates ----------------------------------------------------------------------

LEVANTINE_MONTHS = {
    "كانون الثاني": "January", "شباط": "February", "آذار": "March", "اذار": "March", "نيسان": "April",
    "أيار": "May", "ايار": "May", "حزيران": "June", "تموز": "July", "آب": "August", "اب": "August",
    "أيلول": "September", "ايلول": "September", "تشرين الأول": "October", "تشرين الاول": "October",
    "تشرين الثاني": "November", "كانون الأول": "December", "كانون الاول": "December",
    # Egyptian / Gulf month names, for the same reason (dateparser's Arabic coverage is partial).
    "يناير": "January", "فبراير": "February", "مارس": "March", "أبريل": "April", "ابريل": "April",
    "إبريل": "April", "مايو": "May", "يونيو": "June", "يونيه": "June", "يوليو": "July", "يوليه": "July",
    "أغسطس": "August", "اغسطس": "August", "سبتمبر": "September", "أكتوبر": "October", "اكتوبر": "October",
    "نوفمبر": "November", "ديسمبر": "December",
}
ARABIC_WEEKDAYS = ("الأحد", "الاحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الاربعاء", "الخميس", "الجمعة", "السبت")
_AR_MONTH_ALT = "|".join(sorted((re.escape(m) for m in LEVANTINE_MONTHS), key=len, reverse=True))
_AR_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*)?"
_TIME = (
    r"(?:(?:\s*,?\s*(?:at\s*)?|T)\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:ET|EST|EDT|GMT|UTC|CET|CEST|AST|BST)(?:[+-]\d{1,2})?)?(?!\d))?"
)
_YEAR = r"(?:19|20)\d{2}(?!\d)"

DATE_RE = re.compile(
    "|".join(
        [
            rf"(?<![\w/.])(?P<iso>{_YEAR}[-/.]\d{{1,2}}[-/.]\d{{1,2}}){_TIME}",
            rf"(?<![\w/.-])(?P<num>\d{{1,2}}[-/.]\d{{1,2}}[-/.]{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<dmy>{_WEEKDAY}\d{{1,2}}(?:st|nd|rd|th)?\s+{_EN_MONTH},?\s*{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<mdy>{_WEEKDAY}{_EN_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\s*,?\s*{_YEAR}){_TIME}",
            rf"(?<!\w)(?P<ar>(?:(?:{'|'.join(ARABIC_WEEKDAYS)})\s*،?\s*)?\d{{1,2}}\s+(?:{_AR_MONTH_ALT})\s*،?\s*{_YEAR}){_TIME}",
        ]
    ),
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::\d{2})?(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)

DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PARSERS": ["absolute-time"],  # no "yesterday", "2 hours ago"
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}

# Words that may sit next to a date on a date line without making it prose.
_DATE_LINE_LABELS = re.compile(
    r"\b(?:date|dated|time|editing date|published|updated|last update|posted(?: on)?|on|at|read:?\s*\d+\s*times|"
    r"et|est|edt|gmt|utc|am|pm|a\.m\.|p\.m\.)\b|[\[\]|:,()\-–—/]|A\s*-\s*A\s*A\s*\+|تاريخ النشر|آخر تحديث|نشر في",
    re.IGNORECASE,
)


def _normalise_arabic_date(text: str) -> str:
    text = text.translate(_AR_DIGITS)
    for day in ARABIC_WEEKDAYS:
        text = text.replace(day, " ")
    for name, english in sorted(LEVANTINE_MONTHS.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(name, f" {english} ")
    return " ".join(text.replace("،", " ").split())


def _numeric(date_text: str, day_first: bool) -> datetime | None:
    parts = [int(p) for p in re.split(r"[-/.]", date_text)]
    if len(parts) != 3:
        return None
    if parts[0] > 31:  # year first: YYYY-MM-DD
        year, month, day = parts
    else:
        day, month, year = parts if day_first else (parts[1], parts[0], parts[2])
        if month > 12 and day <= 12:  # "10/22/2020": not day-first after all
            day, month = month, day
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_date(text: str) -> str | None:
    """The first date in `text` as ISO 'YYYY-MM-DD' (or 'YYYY-MM-DDTHH:MM' with a time); None if there is none.

    Only a date the regular expression finds is parsed, so numbers in prose
    are never dates; see the module docstring for the rules.
    """
    found = find_date(text)
    return found[0] if found else None


def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """(ISO date, (start, end) of the match in `text`) for the first date in `text`."""
    clean = text.translate(_AR_DIGITS)
    for m in DATE_RE.finditer(clean):
        iso = _parse_match(m)
        if iso:
            return iso, m.span()
    return None


@lru_cache(maxsize=8192)
def _dateparser(text: str) -> datetime | None:
    return dateparser.parse(text, languages=["en"], settings=DATEPARSER_SETTINGS)


def _parse_match(m: re.Match[str]) -> str | None:
    whole = m.group(0)
    time_part = whole[len(m.group(m.lastgroup or "")) :] if m.lastgroup else ""
    kind = m.lastgroup
    date: datetime | None
    if kind in ("iso", "num"):
        date = _numeric(m.group(kind), day_first=True)
    else:
        core = m.group(kind)
        if kind == "ar":
            core = _normalise_arabic_date(core)
        date = _dateparser(core)
    if date is None or not (1900 <= date.year <= 2100):
        return None
    iso = date.strftime("%Y-%m-%d")
    clock = _CLOCK.search(time_part) if time_part else None
    if clock:
        hour, minute, half = int(clock.group(1)), int(clock.group(2)), (clock.group(3) or "").lower()
        if half == "p" and hour < 12:
            hour += 12
        elif half == "a" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            iso += f"T{hour:02d}:{minute:02d}"
    return iso


def date_line(text: str, max_other_words: int = 3) -> str | None:
    """The ISO date when `text` is a *date line* (a date and little else), else None.

    "Time: 10/22/2020 21:34:06 Read: 975 times", "170 Policy 2020/10/22 21:20"
    and "الأربعاء 18 آب 2021" are date lines; a sentence that mentions a date
    is not.
    """
    if len(text) > 160:
        return None
    found = find_date(text)
    if not found:
        return None
    iso, (start, end) = found
    rest = text.translate(_AR_DIGITS)
    rest = rest[:start] + " " + rest[end:]
    rest = DATE_RE.sub(" ", rest)  # "[ Last Update: <date> ]"
    rest = _DATE_LINE_LABELS.sub(" ", rest)
    words = [w for w in rest.split() if any(c.isalpha() for c in w)]
    return iso if len(words) <= max_other_words else None


# -- bylines ----------------------------------------------------------------------

_BY_RE = re.compile(r"^(?:posted\s+(?:on\s+)?(?:.{0,30}?\s)?by|written by|by)\s*:?\s+(?P<who>.+)$", re.IGNORECASE)
_BY_AR_RE = re.compile(r"^(?:بقلم|كتب|كتبت|إعداد|اعداد)\s*[:：]?\s*(?P<who>[\u0600-\u06FF ]{3,60})$")
_CITY_NAME_AR_RE = re.compile(
    r"^(?P<city>[\u0600-\u06FF]+(?: [\u0600-\u06FF]+)?)\s*[–—-]\s*(?P<who>[\u0600-\u06FF]+(?: [\u0600-\u06FF]+){1,3})$"
)
_FOR_OUTLET_RE = re.compile(r"^(?P<who>.+?)\s+for\s+(?P<outlet>(?:the\s+)?[A-Z].{1,50})$", re.IGNORECASE)
_HANDLE_RE = re.compile(r"\s*[:|]?\s*@\w+\s*$")


def byline(text: str) -> tuple[str | None, str | None, str | None] | None:
    """(author, outlet, date) when `text` is a byline line, else None.

    Any of the three may be None ("By Al Mayadeen English" names an outlet,
    not an author).
    """
    text = text.strip()
    if len(text) > 120:
        return None
    m = _BY_RE.match(text)
    if m:
        who = m.group("who").strip()
        # "By doing so, ..." opens a sentence; a byline names someone (capitalised) in a few words.
        first = who[4:] if who.lower().startswith("the ") else who
        if not first[:1].isupper() or len(who.split()) > 10 or who.endswith((".", "!", "?")):
            return None
        return _split_byline(who)
    m = _BY_AR_RE.match(text) or _CITY_NAME_AR_RE.match(text)
    if m:
        return m.group("who").strip(), None, None
    return None


def _split_byline(who: str) -> tuple[str | None, str | None, str | None]:
    date = None
    found = find_date(who)
    if found:
        date, (start, end) = found
        who = who[:start] + who[end:]
    who = _HANDLE_RE.sub("", who).strip(" -–—,:|")
    outlet = canonical_outlet(who)
    if outlet and _looks_like_outlet_only(who):
        return None, outlet, date
    m = _FOR_OUTLET_RE.match(who)
    if m:
        who, outlet = m.group("who"), canonical_outlet(m.group("outlet")) or m.group("outlet").strip()
    else:
        outlet = _possessive_outlet(who)
    who = " ".join(who.split()).strip(" -–—,:|")
    if who.isupper():
        who = who.title()
    return (who or None), outlet, date


def _looks_like_outlet_only(who: str) -> bool:
    key = _outlet_key(who)
    return key in _OUTLET_ALIASES or key.removesuffix(" english") in _OUTLET_ALIASES


def _possessive_outlet(who: str) -> str | None:
    """"The Cradle's Iraq Correspondent" is The Cradle's own correspondent."""
    m = re.match(r"^(.+?)[’']s\b", who)
    return canonical_outlet(m.group(1)) if m else None


# -- outlets --------------------------------------------------------------------

OUTLETS: dict[str, tuple[str, ...]] = {
    "Al-Akhbar": ("al-akhbar", "al akhbar", "الأخبار", "الاخبار"),
    "Al-Binaa": ("al-binaa", "al binaa", "al-bina", "البناء"),
    "Shafaq News": ("shafaq news", "shafaq news agency", "shafaq"),
    "Press TV": ("press tv", "presstv"),
    "Al Mayadeen": ("al mayadeen", "al-mayadeen", "al mayadeen english", "al-mayadeen english", "الميادين"),
    "The Cradle": ("the cradle", "cradle"),
    "Al-Ahed News": ("al-ahed news", "al-ahed", "alahed news", "al ahed news", "العهد"),
    "Al Furat News": ("al furat news", "al-furat news", "euphrates news", "al furat news agency", "الفرات نيوز"),
    "Baghdad Today": ("baghdad today", "بغداد اليوم"),
    "Al-Masalla": ("obelisk", "al-masalla", "al masalla", "المسلة"),
    "The National News Center": ("the national news center", "national news center"),
    "Middle East Eye": ("middle east eye", "mee"),
    "Reuters": ("reuters",),
    "AFP": ("afp", "agence france-presse"),
    "Afaq TV": ("afaq tv", "آفاق"),
    "The Saker": ("the saker", "the saker blog", "saker blog", "saker"),
    "Al-Hurra": ("al-hurra", "alhurra", "الحرة"),
    "Al Mayadeen English": (),
}
_OUTLET_ALIASES = {alias: name for name, aliases in OUTLETS.items() for alias in aliases}


def _outlet_key(text: str) -> str:
    text = re.sub(r"\s*\((?:youtube|video|tv)\)\s*$", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.replace("’", "'").strip(" .,:;«»\"'{}()[]").split()).casefold()


def canonical_outlet(text: str | None) -> str | None:
    """The canonical English name of a known outlet ("al-mayadeen" → "Al Mayadeen"), else None."""
    if not text:
        return None
    key = _outlet_key(text)
    return _OUTLET_ALIASES.get(key) or _OUTLET_ALIASES.get(key.removesuffix(" english"))


def outlet_name(text: str) -> str:
    """Canonical name when known, else the cleaned text as written."""
    cleaned = re.sub(r"\s*\((?:youtube|video)\)\s*$", "", text.strip(), flags=re.IGNORECASE).strip(" .,:;{}()")
    return canonical_outlet(cleaned) or cleaned


# Openers of a first paragraph that name the outlet (agency style).
_OPENERS = (
    re.compile(r"^(?P<outlet>Shafaq News)(?: Agency)?\s*/"),
    re.compile(r"^[\(\{](?:[^(){}:]{1,30}):\s*(?P<outlet>[^(){}]{2,40})[\)\}]"),  # (Baghdad: Al Furat News) / {Political: Al Furat News}
    re.compile(r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?\s*/\s*(?P<outlet>[A-Z][^:/]{1,40}?)\s*:"),  # Baghdad / Obelisk:
    re.compile(r"^(?P<outlet>Baghdad today)\s*[–—-]", re.IGNORECASE),
)
# Lines that name the outlet anywhere in a piece's metadata lines (and chrome around it).
_OUTLET_LINES = (
    re.compile(r"^sources?\s*:\s*(?P<outlet>.{2,60}?)\s*$", re.IGNORECASE),
    re.compile(r"^translated by\s+(?P<outlet>.{2,60}?)\s*$", re.IGNORECASE),
    re.compile(r"^(?P<outlet>press tv).s website", re.IGNORECASE),
    re.compile(r"^the views expressed in this article do not necessarily reflect those of (?P<outlet>.{2,60}?)\.?$", re.IGNORECASE),
    re.compile(r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?\s*/\s*(?P<outlet>(?:The )?[A-Z][\w ’'-]{2,40})$"),  # Baghdad / The National News Center
    re.compile(r"^(?P<outlet>Baghdad today)\s*[–—-]\s*\w+$", re.IGNORECASE),
)
_SELF_AR = re.compile(r"لـ\s*«(?P<q>الأخبار|البناء)»|(?:إلى|الى|مع|مقالة|لصحيفة|صحيفة)\s*«(?P<q2>الأخبار|البناء)»|«(?P<q3>الأخبار|البناء)»")


def outlet_from_opener(text: str) -> str | None:
    for pattern in _OPENERS:
        m = pattern.match(text.strip())
        if m:
            return outlet_name(m.group("outlet"))
    return None


def outlet_from_line(text: str) -> str | None:
    for pattern in _OUTLET_LINES:
        m = pattern.match(text.strip())
        if m:
            return outlet_name(m.group("outlet"))
    return None


def outlet_self_reference_ar(text: str) -> str | None:
    """Al-Akhbar / Al-Binaa when an Arabic text names the paper in «…» (as its own interviewer)."""
    m = _SELF_AR.search(text)
    if not m:
        return None
    return canonical_outlet(m.group("q") or m.group("q2") or m.group("q3"))


# Columnists whose paper is known even when the page does not name it (``ingest.author_outlets``).
DEFAULT_AUTHOR_OUTLETS = {
    "ابراهيم الأمين": "Al-Akhbar",
    "إبراهيم الأمين": "Al-Akhbar",
    "محمد صادق الحسيني": "Al-Binaa",
    "ناصر قنديل": "Al-Binaa",
}

# A leading "date 2020-10-22" label glued to the first paragraph (seen in some dumps).
DATE_PREFIX_RE = re.compile(r"^\s*(?:date|dated|published)\s*:?\s*(?P<d>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2})?)\s+(?=\S)", re.IGNORECASE)
