"""When did the event a piece reports happen? Its date read from the title and lead, not only the page's date.

Two pieces on one story thread are often a day or a week apart in what they
report (the eve of a vote and the vote, a preview and the signing) while
their pages are dated close together, or not dated at all. The lead says
when: "on Thursday", «أمس», "tomorrow's session", "on 9 January". So each
piece gets an :class:`EventTime`:

* every reference to a day in its title and first sentences (and in the
  original text of a translated piece, which a weak translation may have
  garbled): full dates and day-month dates, weekday names with their
  modifiers ("next Friday", «الجمعة المقبلة»), relative days ("yesterday",
  «أمس», «غدًا»), read with dateparser's locale data for the weekday and
  relative-day names and a small data file (``data/eventtime.yaml``) for the
  modifiers;
* each resolved against the piece's date (a weekday is the last one on or
  before it, unless a modifier or a look-ahead word says otherwise); a piece
  without a date takes the first full date on its first lines (a dateline),
  and without one its weekdays stay weekdays;
* the event date is the latest reference on or before the piece's date; a
  piece whose only references lie ahead looks ahead (``ahead``): a preview,
  whose own event is the day it was written.

An unknown event date is left unknown (``event`` None): the pair features
(:mod:`pipeline.align.features`) give it no agreement bonus, so it makes
the aligner stricter, never more lenient.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from dateparser.languages import default_loader

from pipeline.align.text import is_fact
from pipeline.text.dates import ARABIC_LOCALES, MONTHS, WEEKDAYS, find_dates, fold_arabic, iso_date, name_numbers

DATA = Path(__file__).with_name("data") / "eventtime.yaml"
HEAD_LINES = 8  # a dateline, if any, is on one of the first lines
LEAD_SENTENCES = 3  # the lead: the title and this many sentences
LEAD_CHARS = 600  # ... and at most this much of an original text
MAX_AHEAD_DAYS = 31  # a date further ahead than this is no next step of the story (a scrape stamp, a distant deadline)
AHEAD_WINDOW = 5  # a look-ahead word this many words before a weekday (or 2 after) makes it ahead
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_DIGIT = re.compile(r"\d")


def normalise(text: str) -> str:
    """Lower case, Arabic diacritics and tatweel removed, alef spellings and digits folded (offsets may move)."""
    return fold_arabic(_DIACRITICS.sub("", text)).casefold()


@dataclass(frozen=True)
class Lexicon:
    weekdays: dict[str, int]  # name -> 0 (Monday) .. 6
    months: dict[str, int]  # name -> 1..12
    relative: dict[str, int]  # phrase -> days from the piece's date
    next: frozenset[str]
    this: frozenset[str]
    last: frozenset[str]
    ahead: tuple[tuple[str, ...], ...]  # look-ahead phrases, as token tuples
    ahead_by_first: dict[str, tuple[tuple[str, ...], ...]]  # ... by their first word
    phrases: re.Pattern[str]  # weekday names and relative phrases, longest first
    day_month: re.Pattern[str]  # "9 January", "January 9", «9 كانون الثاني» (no year)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The names (dateparser's locale data for English and Arabic) and the modifiers (data/eventtime.yaml)."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    locales = ("en", *ARABIC_LOCALES)
    weekdays = {normalise(k): v - 1 for k, v in name_numbers(locales, WEEKDAYS, 3).items() if len(k) >= 5}
    months = {normalise(k): v for k, v in name_numbers(locales, MONTHS, 3).items()}
    relative: dict[str, int] = {}
    for locale in locales:
        info = default_loader.get_locale(locale).info.get("relative-type", {})
        for key, days in (("0 day ago", 0), ("1 day ago", -1), ("in 1 day", 1), ("2 day ago", -2), ("in 2 day", 2)):
            for phrase in info.get(key, []):
                relative.setdefault(normalise(phrase), days)
    for lang in ("en", "ar"):
        relative.update({normalise(k): int(v) for k, v in data["relative_days"][lang].items()})
    relative.pop("till date", None)
    names = sorted([*weekdays, *relative], key=len, reverse=True)
    ahead = tuple(cue for lang in ("en", "ar") for w in data["ahead"][lang] if (cue := tuple(_TOKEN.findall(normalise(w)))))
    month_alt = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
    return Lexicon(
        weekdays=weekdays,
        months=months,
        relative=relative,
        next=frozenset(normalise(w) for lang in ("en", "ar") for w in data["next"][lang]),
        this=frozenset(normalise(w) for lang in ("en", "ar") for w in data["this"][lang]),
        last=frozenset(normalise(w) for lang in ("en", "ar") for w in data["last"][lang]),
        ahead=ahead,
        ahead_by_first={w: tuple(c for c in ahead if c[0] == w) for w in {c[0] for c in ahead}},
        phrases=re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)"),
        day_month=re.compile(
            rf"(?<![\w.])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({month_alt})(?!\w)|(?<!\w)({month_alt})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?![\w:])"
        ),
    )


MonthDay = tuple[int, int]


@dataclass(frozen=True)
class EventTime:
    """When a piece's event happened, as far as its text and date say."""

    published: date | None  # the piece's date (or its dateline's)
    event: date | None = None  # the latest recent day its lead refers to, on or before `published`; None: not known
    event_md: MonthDay | None = None  # (month, day) of the event, also when the year is unknown ("on 23 February")
    weekdays: frozenset[int] = field(default_factory=frozenset)  # weekdays the lead names for what happened (0 = Monday)
    weekday: int | None = None  # the event's weekday: of `event`, else the first weekday the lead names
    ahead: date | None = None  # the earliest day after `published` the lead looks ahead to
    ahead_md: frozenset[MonthDay] = field(default_factory=frozenset)  # (month, day)s it looks ahead to
    ahead_weekdays: frozenset[int] = field(default_factory=frozenset)  # weekdays it looks ahead to ("will meet on Tuesday")
    ahead_only: bool = False  # all its references to days look ahead (a preview)
    looks_ahead: bool = False  # its first sentence speaks of what will happen ("will meet", "is expected to")

    def as_dict(self) -> dict:
        return {
            "event_date": self.event.isoformat() if self.event else None,
            "event_day": None if self.event_md is None else f"{self.event_md[1]} {MONTHS[self.event_md[0] - 1].title()}",
            "weekday": None if self.weekday is None else WEEKDAYS[self.weekday].title(),
            "ahead": self.ahead.isoformat() if self.ahead else None,
            "looks_ahead": self.looks_ahead,
        }


@dataclass
class _Reference:
    day: date | None  # resolved (a full date, or relative to the piece's date)
    md: MonthDay | None  # month and day, known even without the year
    weekday: int | None  # the weekday the text names or the date falls on
    ahead: bool  # the text looks ahead to it (a look-ahead word, "next", or after the piece's date)
    relative: bool = False  # resolved from a weekday or a relative day, not written as a date


DATELINE_EXTRA_WORDS = 4  # a dateline is a line that holds a date and at most this many other words
RECENT_DAYS = 10  # a day further back than this before the piece's date is background, not its event


def _dateline(head: list[str]) -> date | None:
    """The date of the first dateline ("Wednesday 26 February 2025 22:09", "Published: 8 February 2025") in `head`."""
    for line in head:
        found = find_dates(line)
        if found:
            iso, (a, b) = found[0]
            rest = fold_arabic(line)[:a] + fold_arabic(line)[b:]
            if len(_TOKEN.findall(rest)) <= DATELINE_EXTRA_WORDS:
                return iso_date(iso)
    return None


def event_time(published: str | None, head: list[str], lead: list[str]) -> EventTime:
    """The event time of a piece from its date (ISO or None), its first lines `head` and its lead `lead`.

    `head` is searched for a dateline when the piece has no date; `lead`
    (title and first sentences, in any of the lexicon's languages) for the
    references to days. A day more than RECENT_DAYS before the piece's date
    is background ("on 4 August 2020" in an anniversary piece): when the
    lead refers only to such days, the piece's event is its own date.
    """
    ref = iso_date(published) or _dateline(head)
    refs = [r for text in lead for r in _references(normalise(text), ref)]
    named = {r.weekday for r in refs if r.weekday is not None and r.day is None and r.md is None}
    if named:  # a full date on none of the weekdays the lead names is background ("since 8 October 2023")
        refs = [r for r in refs if r.day is None or r.day.weekday() in named or r.relative]
    if ref is not None:
        refs = [r for r in refs if r.day is None or r.day <= ref + timedelta(days=MAX_AHEAD_DAYS)]
    behind = [r for r in refs if not r.ahead]
    ahead = [r for r in refs if r.ahead]
    past = [r.day for r in behind if r.day is not None]
    event: date | None = None
    if ref is not None:
        recent = [d for d in past if d >= ref - timedelta(days=RECENT_DAYS)]
        event = max(recent) if recent else (ref if past else None)
    elif past:
        event = max(past)
    md = (event.month, event.day) if event else next((r.md for r in behind if r.md), None)
    weekdays = frozenset(r.weekday for r in behind if r.weekday is not None)
    stated = [r.weekday for r in behind if r.weekday is not None and r.day is None]
    weekday = event.weekday() if event else (stated[0] if stated else None)
    ahead_days = [r.day for r in ahead if r.day is not None]
    return EventTime(
        published=ref,
        event=event,
        event_md=md,
        weekdays=weekdays | ({weekday} if weekday is not None else set()),
        weekday=weekday,
        ahead=min(ahead_days) if ahead_days else None,
        ahead_md=frozenset(r.md for r in ahead if r.md),
        ahead_weekdays=frozenset(r.weekday for r in ahead if r.weekday is not None),
        ahead_only=bool(ahead) and not behind,
        looks_ahead=any(_looks_ahead(normalise(text)) for text in lead[:2]),
    )


def _looks_ahead(text: str) -> bool:
    return _has_cue(_TOKEN.findall(text), lexicon())


def _has_cue(words: list[str], lex: Lexicon) -> bool:
    """Whether a look-ahead phrase (lex.ahead) occurs in `words`."""
    for i, word in enumerate(words):
        for cue in lex.ahead_by_first.get(word, ()):
            if tuple(words[i : i + len(cue)]) == cue:
                return True
    return False


def _references(text: str, ref: date | None) -> list[_Reference]:
    lex = lexicon()
    digits = bool(_DIGIT.search(text))
    if not digits and not lex.phrases.search(text):
        return []  # most sentences name no day: nothing to tokenise
    out: list[_Reference] = []
    taken: list[tuple[int, int]] = []
    tokens = [(t.group(0), t.start()) for t in _TOKEN.finditer(text)]
    words = [w for w, _ in tokens]
    token_at = [pos for _, pos in tokens]

    def cue(start: int, end: int) -> bool:
        a, b = bisect.bisect_left(token_at, start), bisect.bisect_left(token_at, end)
        return _ahead_cue(words, a, b, lex)

    for iso, span in find_dates(text) if digits else ():
        day = iso_date(iso)
        if day is not None:
            later = day > ref if ref is not None else cue(*span)
            out.append(_Reference(day, (day.month, day.day), day.weekday(), later))
            taken.append(span)
    for m in lex.day_month.finditer(text) if digits else ():
        if any(a <= m.start() < b for a, b in taken):
            continue
        day_text, month_text = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month, number = lex.months[month_text], int(day_text)
        if not 1 <= number <= 31:
            continue
        day = _nearest_year(number, month, ref)
        later = day > ref if day is not None and ref is not None else cue(*m.span())
        out.append(_Reference(day, (month, number), day.weekday() if day else None, later))
        taken.append(m.span())
    starts = {pos: k for k, pos in enumerate(token_at)}
    for m in lex.phrases.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        phrase = m.group(1)
        k = starts.get(m.start())
        if k is None:
            continue
        if phrase in lex.relative:
            days = lex.relative[phrase]
            day = ref + timedelta(days=days) if ref else None
            out.append(_Reference(day, (day.month, day.day) if day else None, None, days > 0, relative=True))
            continue
        weekday = lex.weekdays[phrase]
        end = k + len(_TOKEN.findall(phrase))
        near = set(words[max(0, k - 1) : k]) | set(words[end : end + 1])
        if near & lex.next:
            direction = "next"
        elif near & lex.last:
            direction = "last"
        elif near & lex.this or _ahead_cue(words, k, end, lex):
            direction = "ahead"
        else:
            direction = "past"
        day = _resolve(weekday, direction, ref)
        out.append(_Reference(day, (day.month, day.day) if day else None, weekday, direction in ("next", "ahead"), relative=True))
    return out


def _ahead_cue(words: list[str], start: int, end: int, lex: Lexicon) -> bool:
    return _has_cue(words[max(0, start - AHEAD_WINDOW) : start] + words[end : end + 2], lex)


def _resolve(weekday: int, direction: str, ref: date | None) -> date | None:
    """The date of a weekday seen from `ref`: the last one on or before it, the next after it, ..."""
    if ref is None:
        return None
    back = (ref.weekday() - weekday) % 7
    if direction == "past":
        return ref - timedelta(days=back)
    if direction == "last":
        return ref - timedelta(days=back or 7)
    forward = (weekday - ref.weekday()) % 7
    if direction == "next":
        return ref + timedelta(days=forward or 7)
    return ref + timedelta(days=forward)  # ahead: on or after


def _nearest_year(day: int, month: int, ref: date | None) -> date | None:
    """A day-month date in the year that puts it nearest to `ref` (None without `ref`, or not a date)."""
    if ref is None:
        return None
    options = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - ref).days)) if options else None


def lead_texts(title: str | None, sentences: list[str], n: int = LEAD_SENTENCES) -> list[str]:
    """The title and the first `n` sentences that can state a fact (not a dateline, a byline, a counter)."""
    out = [title] if title else []
    out += [s for s in sentences if s and is_fact(s)][:n]
    return out


ORIGINAL_LINE_WORDS = 4  # a line of an original text with fewer words (digits aside) is chrome, not the lead


def original_lead(title: str | None, text: str | None) -> list[str]:
    """The lead of an original (untranslated) text: its title and the lines of its first LEAD_CHARS characters.

    Lines of fewer than ORIGINAL_LINE_WORDS words (a menu item, a scrape
    stamp "Friday 21/11/2025 07:25") are left out, as :func:`lead_texts`
    leaves out sentences that state no fact.
    """
    out = [title] if title else []
    if text:
        for line in text[:LEAD_CHARS].splitlines():
            if sum(1 for w in _TOKEN.findall(line) if not w.isdigit()) >= ORIGINAL_LINE_WORDS:
                out.append(line)
    return out
