"""Cutting a scraped dump into pieces: one piece per article (or forum post carrying one).

Every non-blank input line ends up in exactly one place: either in
``removed_lines`` (page chrome, see :mod:`pipeline.ingest.chrome`, or a
dropped non-article such as a forum reply) or in one piece, as its title, a
metadata line (date, byline, caption, dateline, repeated headline) or a body
paragraph. Nothing is dropped silently, so a test can re-join the pieces and
the removed lines and get the input back. The one exception to "whole lines"
is a "date 2020-10-22" label glued to the front of a first paragraph: that
line is split into a metadata part and a body part, both carrying its line
number.

Where a new piece starts (the rules, in the order they are tried; each piece
records the one that started it in ``start_rule``):

``post``
    a forum post ended ("Link to comment", "Share on other sites") or a
    thread started ("Recommended Posts"): the next content line starts a piece.
``after-marker``
    a headline-shaped line right after a block that closes an article
    ("Related Stories", "مقالات مرتبطة", "Read more:", "LATEST NEWS").
``headline``
    a headline-shaped line followed, within four content lines, by an
    *anchor*: a date line ("27 Jul 2021", "الأربعاء 18 آب 2021"), a byline
    ("By Staff, Agencies", "باريس – نضال حمادة") or the same headline
    repeated. Only metadata lines (names, captions, credits, datelines) and
    at most one long standfirst may sit between the headline and its anchor,
    and the headline must be in the script of the line after it.
``script-switch``
    the text switches between Arabic and Latin script for at least
    ``script_switch_words`` words while the open piece is in the other
    script: an Arabic article never continues an English one.
``headline+dateline``
    a headline-shaped line followed by a paragraph that opens with an
    agency dateline naming its outlet ("Baghdad / Obelisk:", "(Baghdad: Al
    Furat News)", "Shafaq News /").
``page-title``
    a short "Headline | Site" line followed by a paragraph.

A piece that has no body yet (only a headline and metadata, at most five
lines) absorbs the soft rules (the last four): a repeated headline or a date
under a headline belongs to that headline, it does not start another piece.

When a piece is closed, its lines get their roles: the first line is the
title when it is headline-shaped; the *header* runs from there to the last
metadata line before the first body-like paragraph (so a section label or a
standfirst sandwiched between headline and byline is header too); trailing
metadata ("Source: Press TV", "Date: 24 July, 2020", a signature name) is
metadata; inside the body, a caption under an image placeholder, a line
repeating the line before it, and a bare date line are metadata.

A closed piece is dropped (its lines go to ``removed_lines`` with the reason)
when it has no body paragraph ('no-body'), when it is a forum reply quoting
another post ('forum-reply'), a forum post shorter than
``forum_min_words`` ('forum-comment'), or the page header before a forum
thread ('forum-header').

The segmenter is a generator with a bounded lookahead, so a 200 MB dump is
cut while it is read, holding one piece at a time.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

from pipeline.ingest.chrome import DEFAULT_FILTER, ChromeFilter, ChromeMatch
from pipeline.ingest.metadata import (
    DATE_PREFIX_RE,
    DEFAULT_AUTHOR_OUTLETS,
    byline,
    date_line,
    outlet_from_line,
    outlet_from_opener,
    outlet_name,
    outlet_self_reference_ar,
    parse_date,
)
from pipeline.ingest.script import letter_counts

Role = Literal["title", "meta", "body"]

LOOKAHEAD = 4  # content lines looked at after a headline candidate
WRAP_SAMPLE_LINES = 400


@dataclass(frozen=True)
class SegmentOptions:
    """Tunables of the segmenter (mirrored by the ``ingest:`` config section)."""

    script_switch_words: int = 30
    forum_min_words: int = 40
    forum_header_max_words: int = 80
    author_outlets: tuple[tuple[str, str], ...] = tuple(DEFAULT_AUTHOR_OUTLETS.items())
    wrapped: bool | None = None  # None: decide from the text (see looks_hard_wrapped)


@dataclass(frozen=True)
class RemovedLine:
    """An input line that is in no piece, and why."""

    line: int
    text: str
    reason: str


@dataclass
class PieceUnit:
    """A line (or a hard-wrapped block of lines) of a piece, with its role."""

    lines: tuple[int, ...]
    text: str
    role: Role
    kind: str | None = None  # for metadata: date, byline, name, caption, credit, dateline, repeat, header...


@dataclass
class SegmentedPiece:
    """One article cut out of a dump, with the metadata read off its lines."""

    units: list[PieceUnit]
    start_rule: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    removed: list[RemovedLine] = field(default_factory=list)  # chrome met while this piece was open
    script: str = "none"  # 'ar' or 'latin': the script of most of the body's letters

    @property
    def paragraphs(self) -> list[str]:
        return [u.text for u in self.units if u.role == "body"]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def lines(self) -> list[int]:
        return sorted({n for u in self.units for n in u.lines})

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "date": self.date,
            "author": self.author,
            "outlet": self.outlet,
            "start_rule": self.start_rule,
            "lines": [self.lines[0], self.lines[-1]] if self.units else [],
            "paragraphs": self.paragraphs,
        }


@dataclass
class SegmentResult:
    """Pieces in input order, and every non-blank line that is in none of them."""

    pieces: list[SegmentedPiece]
    removed_lines: list[RemovedLine]


class RemovedSink(Protocol):
    def append(self, item: RemovedLine, /) -> None: ...


class RemovedCounter:
    """A sink that only counts removed lines (streaming ingest of big files)."""

    def __init__(self) -> None:
        self.count = 0
        self.by_reason: dict[str, int] = {}

    def append(self, item: RemovedLine, /) -> None:
        self.count += 1
        self.by_reason[item.reason] = self.by_reason.get(item.reason, 0) + 1


# -- line features ------------------------------------------------------------------

_CLOSERS = "\"'”’»)]»›"
_SENTENCE_END = tuple(".!?؟…")
_NOT_TITLE_END = tuple(".!,;:،؛")
_NAME_EN = re.compile(
    r"(?:[A-Z][\w'’.-]*|(?:al|el|bin|ibn|de|van|von|abu|abdul)(?:-\w+)?)"
    r"(?: (?:[A-Z][\w'’.-]*|(?:al|el|bin|ibn|de|van|von|abu|abdul)(?:-\w+)?)){1,3}"
)
_NAME_AR = re.compile(r"[\u0621-\u064A\u0640\u064B-\u0652]+(?: [\u0621-\u064A\u0640\u064B-\u0652]+){1,3}")
_CREDIT = re.compile(
    r"(?:translated by|edited by|reporting by)\s*:?\s+\S.{0,60}"
    r"|(?:photo credit|photo|image credit|credits?|sources?|translation|via)\s*:\s*\S.{0,60}",
    re.IGNORECASE,
)
_DATELINE = (
    re.compile(r"[A-Z][A-Za-z .'’-]{1,30}\s*/\s*(?:The )?[A-Z][\w .'’-]{1,40}"),  # Baghdad / The National News Center
    re.compile(r"[A-Za-z ]{2,30} today\s*[–—-]\s*\w+", re.IGNORECASE),  # Baghdad today – Baghdad
    re.compile(r"[A-Z][A-Z .,'’-]{2,40}(?:\([^)]*\))?\s*[–—-]\s*"),  # AMMAN, JORDAN —
)
_CAPTION = (
    re.compile(r"(?:FILE(?: PHOTO)?|PHOTO|Photo|Image|Picture)\s*:\s*.+"),
    re.compile(
        r".+\((?:[^()]{0,80}?\b(?:[Pp]hoto|AP|AFP|Reuters|via|Getty|EPA|file)\b[^()]{0,60}|[\u0600-\u06FF ]{2,20})\)\.?"
    ),
)
_DISCLAIMER = re.compile(r"the views expressed in this article.*", re.IGNORECASE)
_QUOTE_HEADER = re.compile(r".{1,80}\bsaid:", re.IGNORECASE)
_SERIES = re.compile(r"\[\s*[2-9]\d?\s*\]|\b[2-9]\s*/\s*[2-9]\b|\b(?:part|الجزء)\s+(?:2|two|الثاني)\b", re.IGNORECASE)
_TEASER = re.compile(r"^(?:(?:غداً|غدا)\s*:|غداً الجزء|غدا الجزء|يتبع|to be continued|tomorrow\s*:|continued in part)", re.IGNORECASE)
_OPENERS_EXTRA = (
    re.compile(r"[A-Z][A-Z .,'’-]{2,40}(?:\([^)]*\))?\s*[–—-]\s"),  # BEIRUT, LEBANON (8:30 A.M.) –
    re.compile(r"[\u0600-\u06FF]+(?: [\u0600-\u06FF]+)?\s*[|–—]\s"),  # دمشق | ...
)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.replace("\u0640", "")).split()).casefold()


def same_headline(a: str, b: str, containment: bool = True) -> bool:
    """True when b repeats a: equal, or (with `containment`) one starts/ends with the other, ≥ 3 words."""
    return _same_norm(_norm(a), _norm(b), containment)


def _same_norm(na: str, nb: str, containment: bool) -> bool:
    if not na or not nb:
        return False
    if na == nb:
        return True
    if not containment:
        return False
    short, long_ = sorted((na, nb), key=len)
    return len(short.split()) >= 3 and (long_.endswith(short) or long_.startswith(short))


def _doubled(text: str) -> str | None:
    """'X X' (a caption scraped twice on one line) → 'X'."""
    words = text.split()
    half = len(words) // 2
    if len(words) >= 6 and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    return None


class Unit:
    """One content line (or block) of the input, with lazily computed features."""

    __slots__ = ("lines", "text", "chrome", "follows_image", "repeat", "__dict__")

    def __init__(self, lines: tuple[int, ...], text: str, chrome: ChromeMatch | None = None):
        self.lines = lines
        self.text = text
        self.chrome = chrome
        self.follows_image = False
        self.repeat = False

    @cached_property
    def words(self) -> int:
        return len(self.text.split())

    @cached_property
    def terminal(self) -> str:
        return self.text.rstrip(_CLOSERS + " ")[-1:] or ""

    @cached_property
    def letters(self) -> tuple[int, int]:
        return letter_counts(self.text)

    @cached_property
    def script(self) -> str:
        arabic, other = self.letters
        return "none" if arabic + other == 0 else ("ar" if arabic >= other else "latin")

    @cached_property
    def norm(self) -> str:
        return _norm(self.text) if len(self.text) <= 2000 else self.text

    def repeats(self, other: "Unit") -> bool:
        """True when this unit repeats `other` (equal, or a headline containing/contained in it)."""
        return _same_norm(other.norm, self.norm, containment=self.title_shaped and other.title_shaped)

    @cached_property
    def date(self) -> str | None:
        if len(self.text) > 160 or not any(c.isdigit() for c in self.text[:160]):
            return None
        return date_line(self.text)

    @cached_property
    def byline(self) -> tuple[str | None, str | None, str | None] | None:
        return byline(self.text) if len(self.text) <= 120 else None

    @cached_property
    def meta_kind(self) -> str | None:
        """What kind of metadata line this is on its own (no context), or None."""
        text, words = self.text, self.words
        if words > 60:
            return None
        if self.date:
            return "date"
        if self.byline:
            return "byline"
        if words <= 10 and _CREDIT.fullmatch(text):
            return "credit"
        if words <= 8 and any(p.fullmatch(text) for p in _DATELINE):
            return "dateline"
        if words <= 50 and _CAPTION[0].fullmatch(text) or words <= 30 and _CAPTION[1].fullmatch(text):
            return "caption"
        if _DISCLAIMER.fullmatch(text):
            return "disclaimer"
        if len(text) <= 40 and (_NAME_EN.fullmatch(text) or _NAME_AR.fullmatch(text)):
            return "name"
        return None

    @cached_property
    def title_shaped(self) -> bool:
        return (
            2 <= self.words <= 30
            and len(self.text) <= 250
            and self.terminal not in _NOT_TITLE_END
            and not self.date
            and not self.byline
        )

    @cached_property
    def body_like(self) -> bool:
        if self.title_shaped:
            return False
        return self.words >= 25 or (self.words >= 8 and self.terminal in _SENTENCE_END)

    @property
    def headline_candidate(self) -> bool:
        return self.title_shaped and self.meta_kind is None

    @property
    def caption_after_image(self) -> bool:
        return self.follows_image and self.words <= 25 and self.terminal not in ".:!?"

    @property
    def is_meta(self) -> bool:
        return self.meta_kind is not None or self.repeat or self.caption_after_image


# -- reading lines into units -----------------------------------------------------------


def looks_hard_wrapped(lines: list[str]) -> bool:
    """True when paragraphs are wrapped over several lines (join them), False when one line is one paragraph.

    The test: most lines that are followed by another non-blank line are
    30–110 characters long and do not end a sentence, i.e. they were broken
    for width, not at paragraph ends. Scraped dumps (one paragraph per line,
    blank lines between) fail it; e-mail style text wrapped at 72 passes.
    """
    inner: list[str] = []  # lines followed by another non-blank line
    content = in_blocks = 0
    previous = ""
    for this, following in itertools.zip_longest(lines, lines[1:], fillvalue=""):
        if this.strip():
            content += 1
            if following.strip():
                inner.append(this.strip())
            if following.strip() or previous.strip():
                in_blocks += 1
        previous = this
    if content < 4 or not inner or in_blocks < 0.5 * content:
        return False
    wrapped = sum(1 for t in inner if 30 <= len(t) <= 110 and not t.rstrip(_CLOSERS).endswith(_SENTENCE_END))
    return wrapped >= 0.6 * len(inner)


def split_lines(text: str) -> Iterator[str]:
    """Lines as a text file yields them (universal newlines), so numbering matches files."""
    for line in io.StringIO(text, newline=None):
        yield line.rstrip("\n")


def iter_units(lines: Iterable[str], wrapped: bool, chrome: ChromeFilter = DEFAULT_FILTER) -> Iterator[Unit]:
    """Non-blank lines as units (line numbers from 1); wrapped blocks joined with spaces.

    Whitespace runs (no-break spaces included) become one space: scraped
    pages are full of them and they carry no meaning.
    """
    if not wrapped:
        for number, line in enumerate(lines, 1):
            text = " ".join(line.split())
            if text:
                yield Unit((number,), text, chrome.match(text))
        return
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        text = " ".join(line.split())
        match = chrome.match(text) if text else None
        if (not text or match) and block:
            yield Unit(tuple(n for n, _ in block), " ".join(t for _, t in block))
            block = []
        if match:
            yield Unit((number,), text, match)
        elif text:
            block.append((number, text))
    if block:
        yield Unit(tuple(n for n, _ in block), " ".join(t for _, t in block))


# -- the segmenter ------------------------------------------------------------------------


def _lookahead(buffer: deque[Unit]) -> list[Unit]:
    """The next LOOKAHEAD content units, not looking past a block that ends an article or post."""
    look: list[Unit] = []
    for unit in buffer:
        if unit.chrome is None:
            look.append(unit)
            if len(look) == LOOKAHEAD:
                break
        elif unit.chrome.kind in ("end", "post", "thread"):
            break
    return look


class _OpenPiece:
    def __init__(self, rule: str, forum_post: bool):
        self.rule = rule
        self.forum_post = forum_post
        self.units: list[Unit] = []
        self.removed: list[RemovedLine] = []
        self.has_body = False
        self.body_words = 0
        self.reply = False
        self.arabic = 0
        self.other = 0

    @property
    def script(self) -> str:
        if self.arabic + self.other == 0:
            return "none"
        return "ar" if self.arabic >= self.other else "latin"

    def add(self, unit: Unit, forum_seen: bool) -> None:
        recent = self.units[-3:] + self.units[:1]
        unit.repeat = any(unit.repeats(prev) for prev in recent)
        self.units.append(unit)
        if unit.body_like and not unit.is_meta:
            self.has_body = True
            self.body_words += unit.words
        if forum_seen and unit.words <= 12 and _QUOTE_HEADER.fullmatch(unit.text):
            self.reply = True
        a, o = unit.letters
        self.arabic += a
        self.other += o


class Segmenter:
    """Streaming segmenter: feed units, get pieces; see the module docstring for the rules."""

    def __init__(self, options: SegmentOptions, removed: RemovedSink):
        self.options = options
        self.removed = removed
        self.open: _OpenPiece | None = None
        self.previous: SegmentedPiece | None = None
        self.after_end = False
        self.after_image = False
        self.pending_post = False
        self.forum_seen = False
        self.author_outlets = {_norm(a): o for a, o in options.author_outlets}

    def run(self, units: Iterable[Unit]) -> Iterator[SegmentedPiece]:
        source = iter(units)
        buffer: deque[Unit] = deque()
        ahead = 0  # content units in buffer
        exhausted = False
        while True:
            while not exhausted and ahead <= LOOKAHEAD:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                buffer.append(nxt)
                ahead += nxt.chrome is None
            if not buffer:
                break
            unit = buffer.popleft()
            if unit.chrome is not None:
                self._chrome(unit)
                continue
            ahead -= 1
            look = _lookahead(buffer)
            yield from self._content(unit, look)
        yield from self._close()

    # -- events ----------------------------------------------------------------
    def _chrome(self, unit: Unit) -> None:
        assert unit.chrome is not None
        record = RemovedLine(unit.lines[0], unit.text, f"chrome:{unit.chrome.rule}")
        self.removed.append(record)
        if self.open is not None:
            self.open.removed.append(record)
        kind = unit.chrome.kind
        if kind == "end":
            self.after_end = True
        elif kind == "post":
            self.pending_post = self.forum_seen = True
        elif kind == "thread":
            self.forum_seen = self.pending_post = True
            if self.open is not None and self.open.body_words < self.options.forum_header_max_words:
                self._drop(self.open, "forum-header")
                self.open = None
        elif kind == "image":
            self.after_image = True

    def _content(self, unit: Unit, look: list[Unit]) -> Iterator[SegmentedPiece]:
        unit.follows_image, self.after_image = self.after_image, False
        rule = self._boundary(unit, look)
        self.after_end = False
        if rule is not None:
            yield from self._close()
            self.open = _OpenPiece(rule, forum_post=rule == "post")
            self.pending_post = False
        assert self.open is not None
        self.open.add(unit, self.forum_seen)

    # -- boundary rules ------------------------------------------------------------
    def _boundary(self, unit: Unit, look: list[Unit]) -> str | None:
        if self.open is None:
            return "post" if self.pending_post else "start"
        if self.pending_post:
            return "post"
        if self.after_end and unit.title_shaped:
            return "after-marker"
        if not self.open.has_body and len(self.open.units) <= 5:
            return None  # a headline's own date, byline or repeat
        if self._headline_with_anchor(unit, look):
            return "headline"
        if self._script_switch(unit, look):
            return "script-switch"
        if self._dateline_opener(unit, look):
            return "headline+dateline"
        if self._page_title(unit, look):
            return "page-title"
        return None

    @staticmethod
    def _headline_with_anchor(unit: Unit, look: list[Unit]) -> bool:
        if not unit.headline_candidate:
            return False
        if look and "none" not in (look[0].script, unit.script) and look[0].script != unit.script:
            return False
        dek_seen = False
        for index, nxt in enumerate(look):
            if nxt.meta_kind in ("date", "byline"):
                return True
            if index <= 1 and nxt.repeats(unit):
                return True
            if nxt.meta_kind is not None:
                continue
            if not dek_seen and nxt.words >= 15 and not nxt.body_like and nxt.script == unit.script:
                dek_seen = True
                continue
            return False
        return False

    def _script_switch(self, unit: Unit, look: list[Unit]) -> bool:
        assert self.open is not None
        script = unit.script
        if script == "none" or self.open.script in ("none", script):
            return False
        words = unit.words
        for nxt in look:
            if nxt.script == "none":
                continue
            if nxt.script != script:
                break
            words += nxt.words
        return words >= self.options.script_switch_words

    @staticmethod
    def _dateline_opener(unit: Unit, look: list[Unit]) -> bool:
        if not (unit.headline_candidate and unit.words >= 4 and look and look[0].body_like):
            return False
        first = look[0].text
        if look[0].script != unit.script:
            return False
        return outlet_from_opener(first) is not None or any(p.match(first) for p in _OPENERS_EXTRA)

    @staticmethod
    def _page_title(unit: Unit, look: list[Unit]) -> bool:
        if " | " not in unit.text or unit.words > 12 or not unit.title_shaped or not look or not look[0].body_like:
            return False
        head, _, tail = unit.text.rpartition(" | ")
        return len(head.split()) >= 2 and 1 <= len(tail.split()) <= 4 and tail[:1].isupper()

    # -- closing a piece -------------------------------------------------------------
    def _drop(self, piece: _OpenPiece, reason: str) -> None:
        for unit in piece.units:
            for number in unit.lines:
                self.removed.append(RemovedLine(number, unit.text, reason))

    def _close(self) -> Iterator[SegmentedPiece]:
        piece, self.open = self.open, None
        if piece is None or not piece.units:
            return
        if piece.reply:
            self._drop(piece, "forum-reply")
            return
        if piece.forum_post and piece.body_words < self.options.forum_min_words:
            self._drop(piece, "forum-comment")
            return
        units = assign_roles(piece.units)
        if not piece.has_body or not any(u.role == "body" for u in units):
            self._drop(piece, "no-body")
            return
        result = SegmentedPiece(units=units, start_rule=piece.rule, removed=piece.removed, script=_body_script(piece.units))
        describe(result, self.previous, self.author_outlets)
        self.previous = result
        yield result


def _body_script(units: list[Unit]) -> str:
    arabic = other = 0
    for unit in units:
        if unit.body_like and not unit.is_meta:
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    if arabic + other == 0:  # no long paragraph: count every line
        for unit in units:
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    return "none" if arabic + other == 0 else ("ar" if arabic >= other else "latin")


def assign_roles(units: list[Unit]) -> list[PieceUnit]:
    """Title, header metadata, body and trailing metadata of one piece (see the module docstring)."""
    count = len(units)
    roles: list[Role] = ["body"] * count
    kinds: list[str | None] = [None] * count
    start = 0
    first = units[0]
    if count > 1 and first.title_shaped and first.meta_kind in (None, "name"):
        roles[0], start = "title", 1
    # Header: up to the last metadata line before the first body-like paragraph.
    last_meta = None
    index = start
    while index < count and index < start + 8 and (units[index].is_meta or not units[index].body_like):
        if units[index].is_meta:
            last_meta = index
        index += 1
    body_start = start
    if last_meta is not None:
        for k in range(start, last_meta + 1):
            roles[k], kinds[k] = "meta", _kind(units[k]) or "header"
        body_start = last_meta + 1
    # Trailing metadata: source, date, signature, disclaimer.
    k = count - 1
    while k > body_start and count - k <= 4 and units[k].meta_kind in ("credit", "name", "disclaimer", "date", "byline", "dateline"):
        roles[k], kinds[k] = "meta", units[k].meta_kind
        k -= 1
    # Inside the body: captions under image placeholders, repeated lines, bare date lines.
    for k in range(body_start, count):
        unit = units[k]
        if roles[k] == "body" and (unit.caption_after_image or unit.repeat or unit.meta_kind == "date"):
            roles[k], kinds[k] = "meta", _kind(unit)
    result: list[PieceUnit] = []
    seen_body = False
    for unit, role, kind in zip(units, roles, kinds):
        prefix = DATE_PREFIX_RE.match(unit.text) if role == "body" and not seen_body and len(unit.lines) == 1 else None
        if prefix:  # "date 2020-10-22 Shafaq News/ ..." → a date line and the paragraph
            result.append(PieceUnit(unit.lines, unit.text[: prefix.end()].strip(), "meta", "date"))
            result.append(PieceUnit(unit.lines, unit.text[prefix.end() :].strip(), "body"))
        else:
            result.append(PieceUnit(unit.lines, unit.text, role, kind))
        seen_body = seen_body or role == "body"
    return result


def _kind(unit: Unit) -> str | None:
    if unit.meta_kind:
        return unit.meta_kind
    if unit.repeat:
        return "repeat"
    if unit.caption_after_image:
        return "caption"
    return None


# -- metadata of a closed piece ----------------------------------------------------------


def describe(piece: SegmentedPiece, previous: SegmentedPiece | None, author_outlets: dict[str, str]) -> None:
    """Fill title, date, author and outlet from the piece's own lines (module docstring of metadata.py)."""
    meta = [u for u in piece.units if u.role == "meta"]
    body = [u for u in piece.units if u.role == "body"]
    title_unit = next((u for u in piece.units if u.role == "title"), None)
    outlets: list[str] = []
    if title_unit is not None:
        title = _doubled(title_unit.text) or title_unit.text
        for u in meta:  # a fuller repeat of the headline ("... [2]: ...") is the better title
            if u.kind == "repeat" and same_headline(title, u.text) and len(u.text) > len(title):
                title = u.text
        head, sep, tail = title.rpartition(" | ")
        if sep and len(tail.split()) <= 4 and len(head.split()) >= 2:
            title = head
            outlets.append(outlet_name(tail))
        piece.title = " ".join(title.split())
    names: list[str] = []
    for u in meta:
        found = byline(u.text)
        if found:
            who, outlet, when = found
            piece.author = piece.author or who
            if outlet:
                outlets.insert(0, outlet)
            piece.date = piece.date or when
        if u.kind == "date" and piece.date is None:
            piece.date = parse_date(u.text)
        if u.kind == "name":
            names.append(u.text)
        line_outlet = outlet_from_line(u.text)
        if line_outlet:
            outlets.append(line_outlet)
    if piece.author is None and names:
        piece.author = names[0]
    if body:
        opener = outlet_from_opener(body[0].text)
        if opener:
            outlets.append(opener)
    for record in piece.removed:
        chrome_outlet = outlet_from_line(record.text)
        if chrome_outlet:
            outlets.append(chrome_outlet)
    if piece.script == "ar":
        self_ref = outlet_self_reference_ar(" ".join(u.text for u in body))
        if self_ref:
            outlets.append(self_ref)
    if piece.author and _norm(piece.author) in author_outlets:
        outlets.append(author_outlets[_norm(piece.author)])
    piece.outlet = outlets[0] if outlets else None
    if previous is not None and _continues(previous, piece):
        piece.author = piece.author or previous.author
        piece.outlet = piece.outlet or previous.outlet


def _continues(previous: SegmentedPiece, piece: SegmentedPiece) -> bool:
    """A later part of a series: "[2]" in its header, or the previous part announced it ("غداً ...")."""
    header = [u.text for u in piece.units[:4] if u.role == "title" or u.kind == "repeat"]
    if any(_SERIES.search(text) for text in header):
        return True
    last = previous.paragraphs[-1] if previous.paragraphs else ""
    return bool(_TEASER.match(last)) and previous.script == piece.script


# -- entry points ------------------------------------------------------------------------


def iter_segments(
    lines: Iterable[str],
    options: SegmentOptions | None = None,
    removed: RemovedSink | None = None,
    chrome: ChromeFilter = DEFAULT_FILTER,
) -> Iterator[SegmentedPiece]:
    """Stream pieces out of an iterable of lines; removed lines go to `removed` (a list or a counter)."""
    options = options or SegmentOptions()
    iterator = iter(lines)
    wrapped = options.wrapped
    head: list[str] = []
    if wrapped is None:
        head = list(itertools.islice(iterator, WRAP_SAMPLE_LINES))
        wrapped = looks_hard_wrapped(head)
    units = iter_units(itertools.chain(head, iterator), wrapped, chrome)
    yield from Segmenter(options, removed if removed is not None else RemovedCounter()).run(units)


def segment_dump(text: str, options: SegmentOptions | None = None, chrome: ChromeFilter = DEFAULT_FILTER) -> SegmentResult:
    """Cut a whole dump (one string) into pieces; pure, no store involved.

    >>> result = segment_dump(open("seeds/003_d3a64df3fb8f3d34.txt").read())
    >>> [p.title for p in result.pieces][:2]   # doctest: +SKIP
    """
    removed: list[RemovedLine] = []
    pieces = list(iter_segments(split_lines(text), options, removed, chrome))
    removed.sort(key=lambda r: r.line)
    return SegmentResult(pieces, removed)


def accounting_problems(text: str, result: SegmentResult) -> list[str]:
    """Check the segmenter's promise on `text`: every non-blank line is removed or in exactly one piece.

    Returns a list of problems (empty when the promise holds): a line in no
    piece and not removed, a line in two places, or a piece line whose text
    is not the input line's (whitespace runs compared as one space). Usable
    by any test; the segmenter's own tests use it on the seeds and on
    generated input.
    """
    lines = {n: " ".join(line.split()) for n, line in enumerate(split_lines(text), 1) if line.strip()}
    owner: dict[int, str] = {}
    problems: list[str] = []
    for record in result.removed_lines:
        if record.line in owner:
            problems.append(f"line {record.line} removed twice")
        owner[record.line] = f"removed ({record.reason})"
    for index, piece in enumerate(result.pieces):
        texts: dict[int, list[str]] = {}
        for unit in piece.units:
            for number in unit.lines:
                texts.setdefault(number, []).append(unit.text)
            if len(unit.lines) > 1 and unit.text != " ".join(lines.get(n, "?") for n in unit.lines):
                problems.append(f"lines {unit.lines} are not joined into their unit's text")
        for number, parts in texts.items():
            if number in owner:
                problems.append(f"line {number} is in piece {index} and {owner[number]}")
            owner[number] = f"piece {index}"
            units_here = [u for u in piece.units if number in u.lines]
            if all(len(u.lines) == 1 for u in units_here) and " ".join(parts) != lines.get(number):
                problems.append(f"line {number}: piece text {' '.join(parts)[:60]!r} is not the input line")
        if piece.text != "\n\n".join(piece.paragraphs) or not piece.paragraphs:
            problems.append(f"piece {index}: text is not its paragraphs joined")
    missing = sorted(set(lines) - set(owner))
    if missing:
        problems.append(f"lines in no piece and not removed: {missing[:10]}")
    return problems


def split_paragraphs(text: str, chrome: ChromeFilter | None = None) -> tuple[list[str], int]:
    """Paragraphs of an already-cut piece (JSONL, HTML): blank-line blocks, or one per line.

    Hard-wrapped blocks are joined with spaces; otherwise every line is a
    paragraph. With `chrome`, chrome lines are dropped; returns (paragraphs,
    number of chrome lines dropped).
    """
    lines = list(split_lines(text))
    units = iter_units(lines, looks_hard_wrapped(lines), chrome or ChromeFilter(builtin=False))
    paragraphs, removed = [], 0
    for unit in units:
        if unit.chrome is not None and chrome is not None:
            removed += 1
        else:
            paragraphs.append(unit.text)
    return paragraphs, removed
