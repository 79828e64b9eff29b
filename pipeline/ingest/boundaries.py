"""Where a new piece starts: the streaming cutter and its boundary rules.

The rules, in the order they are tried; each piece records the one that
started it in ``start_rule``:

``post``
    a forum post ended ("Link to comment", "Share on other sites") or a
    thread started ("Recommended Posts"): the next content line starts a piece.
``after-marker``
    a headline-shaped line right after a block that closes an article
    ("Related Stories", "مقالات مرتبطة", "Read more:", "LATEST NEWS").
``teaser``
    a run of headline teasers: headline-shaped lines each followed by at
    most one short blurb (``teaser_max_words``), at least
    ``teaser_min_items`` in a row (two right after a closing block or
    another teaser). A blurb shares at least one content word with its
    headline (it sums it up): short paragraphs after sub-headings or
    rhetorical questions inside an article do not. Each headline starts its own piece, of kind 'teaser'
    when it stays short (see :mod:`~pipeline.ingest.pieces`).
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
    agency dateline ("City / Outlet:", "(City: Outlet)", "Outlet /",
    "BEIRUT (AP) —"; shapes and outlets in ``data/datelines.yaml``).
``page-title``
    a short "Headline | Site" line followed by a paragraph.
``size-cap``
    the open piece already holds ``max_piece_chars`` characters: it is
    closed and the text goes on in a new piece, both noting the cut. No
    article is that long; a dump of one endless "article" (a repeated line,
    an unsplittable paste) must not be held in memory whole.

A piece that has no body yet (only a headline and metadata, at most five
lines) absorbs the soft rules (the last four): a repeated headline or a date
under a headline belongs to that headline, it does not start another piece.

A dump that opens with the name of a known outlet (its site's name, before
any piece) gives that outlet to the pieces that name none themselves.

A closed piece is dropped (its lines go to ``removed_lines`` with the reason)
when it has no body paragraph ('no-body'), when it is a forum reply quoting
another post ('forum-reply'), a forum post shorter than ``forum_min_words``
('forum-comment'), or the page header before a forum thread ('forum-header').

The cutter is a generator with a bounded lookahead, so a 200 MB dump is cut
while it is read, holding one piece at a time, and a piece holds at most
``max_piece_chars`` characters: memory is bounded by that, not by the dump.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator

from pipeline.ingest.lines import Unit, shares_words
from pipeline.ingest.metadata import describe, opens_like_a_dateline
from pipeline.ingest.pieces import (
    CutOptions,
    CutPiece,
    PieceUnit,
    RemovedLine,
    RemovedSink,
)
from pipeline.ingest.roles import assign_roles

LOOKAHEAD = 4  # content units looked at after a headline candidate
MAX_BUFFERED = 1000  # units read ahead at most (a run of chrome lines is not read whole to find the next content)
CAP_RULE = "size-cap"
_QUOTE_HEADER = re.compile(r".{1,80}\bsaid:", re.IGNORECASE)


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
        self.body_units = 0
        self.body_words = 0
        self.reply = False
        self.arabic = 0
        self.other = 0
        self.chars = 0  # text held: units and the chrome lines met while open
        self.cut = False  # closed at max_piece_chars: the text goes on in the next piece

    @property
    def script(self) -> str:
        if self.arabic + self.other == 0:
            return "none"
        return "ar" if self.arabic >= self.other else "latin"

    def add(self, unit: Unit, forum_seen: bool) -> None:
        recent = self.units[-3:] + self.units[:1]
        unit.repeat = any(unit.repeats(prev) for prev in recent)
        self.units.append(unit)
        self.chars += len(unit.text)
        if not unit.is_meta and not unit.title_shaped:
            self.body_units += 1
        if unit.body_like and not unit.is_meta:
            self.has_body = True
            self.body_words += unit.words
        if forum_seen and unit.words <= 12 and _QUOTE_HEADER.fullmatch(unit.text):
            self.reply = True
        a, o = unit.letters
        self.arabic += a
        self.other += o


class Cutter:
    """Streaming cutter: feed units, get pieces; see the module docstring for the rules."""

    def __init__(self, options: CutOptions, removed: RemovedSink):
        self.options = options
        self.vocab = options.vocabulary
        self.removed = removed
        self.open: _OpenPiece | None = None
        self.previous: CutPiece | None = None
        self.after_end = False
        self.after_image = False
        self.pending_post = False
        self.forum_seen = False
        self.site: str | None = None

    def run(self, units: Iterable[Unit]) -> Iterator[CutPiece]:
        source = iter(units)
        buffer: deque[Unit] = deque()
        ahead = 0  # content units in buffer
        exhausted = False
        while True:
            while not exhausted and ahead <= LOOKAHEAD and len(buffer) < MAX_BUFFERED:
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
        if self.open is not None and self.open.chars < self.options.max_piece_chars:
            self.open.removed.append(record)
            self.open.chars += len(record.text)
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

    def _content(self, unit: Unit, look: list[Unit]) -> Iterator[CutPiece]:
        unit.follows_image, self.after_image = self.after_image, False
        if self.previous is None and self.site is None and unit.words <= 4 and self._in_page_header():
            self.site = self.options.gazetteer.canonical(unit.text)  # a dump that opens with its site's name
        rule = self._boundary(unit, look)
        if rule is None and self.open is not None and self.open.chars + len(unit.text) > self.options.max_piece_chars:
            self.open.cut, rule = True, CAP_RULE
        self.after_end = False
        if rule is not None:
            yield from self._close()
            self.open = _OpenPiece(rule, forum_post=rule == "post")
            self.pending_post = False
        assert self.open is not None
        self.open.add(unit, self.forum_seen)

    def _in_page_header(self) -> bool:
        """Nothing but header lines so far: no piece closed, no headline and no paragraph yet."""
        return self.open is None or (not self.open.has_body and not any(u.headline_candidate for u in self.open.units))

    # -- boundary rules ------------------------------------------------------------
    def _boundary(self, unit: Unit, look: list[Unit]) -> str | None:
        if self.open is None:
            if self.pending_post:
                return "post"
            return "teaser" if self._teaser_run(unit, look, relaxed=True) else "start"
        if self.pending_post:
            return "post"
        in_teasers = (
            self.open.rule == "teaser" and self.open.body_units <= 1 and self.open.body_words <= self.options.teaser_max_words
        )
        if (self.after_end or in_teasers) and unit.headline_candidate and self._teaser_run(unit, look, relaxed=True):
            return "teaser"
        if self.after_end and unit.title_shaped:
            return "after-marker"
        if (
            in_teasers
            and unit.headline_candidate
            and self.open.units
            and not unit.repeat
            and not unit.repeats(self.open.units[-1])
        ):
            return "teaser"  # its kind is decided when it closes: an item that grows a body is an article
        if not self.open.has_body and len(self.open.units) <= 5:
            if not any(u.headline_candidate for u in self.open.units) and self._teaser_run(unit, look, relaxed=False):
                return "teaser"  # a teaser list under a page header (site name, section label)
            return None  # a headline's own date, byline or repeat
        if self._teaser_run(unit, look, relaxed=False):
            return "teaser"
        if self._headline_with_anchor(unit, look):
            return "headline"
        if self._script_switch(unit, look):
            return "script-switch"
        if self._dateline_opener(unit, look):
            return "headline+dateline"
        if self._page_title(unit, look):
            return "page-title"
        return None

    def _teaser_run(self, unit: Unit, look: list[Unit], relaxed: bool) -> bool:
        """`unit` opens a run of headlines, each followed by one short blurb (see the module docstring).

        Every headline must have its blurb, except the last one seen when its
        blurb lies beyond the lookahead; a second paragraph ends the run and
        makes its headline an article's.
        """
        if not unit.headline_candidate or unit.words < 3:
            return False
        headlines, with_blurb, expecting_blurb = 1, 0, True
        headline = unit
        for nxt in look:
            if nxt.headline_candidate and nxt.words >= 3 and not nxt.repeats(unit):
                if expecting_blurb:
                    headlines -= 1
                    break  # two headlines in a row: a list of links, not of teasers
                headlines, expecting_blurb, headline = headlines + 1, True, nxt
            elif expecting_blurb and self._blurb(nxt) and shares_words(headline.text, nxt.text):
                with_blurb, expecting_blurb = with_blurb + 1, False
            elif expecting_blurb and nxt.meta_kind == "date":
                continue  # a teaser's own date
            else:  # a second paragraph, or a line that is no blurb of the last headline: not a teaser
                headlines -= 1
                break
        needed = 2 if relaxed else self.options.teaser_min_items
        return headlines >= needed and with_blurb >= headlines - 1

    def _blurb(self, unit: Unit) -> bool:
        """A teaser's blurb: one short paragraph (that shares a word with its headline, checked by the caller)."""
        return not unit.title_shaped and not unit.is_meta and unit.words <= self.options.teaser_max_words

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

    def _dateline_opener(self, unit: Unit, look: list[Unit]) -> bool:
        if not (unit.headline_candidate and unit.words >= 4 and look and look[0].body_like):
            return False
        if look[0].script != unit.script:
            return False
        return opens_like_a_dateline(look[0].text, self.options.gazetteer)

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

    def _close(self) -> Iterator[CutPiece]:
        piece, self.open = self.open, None
        if piece is None or not piece.units:
            return
        if piece.reply:
            self._drop(piece, "forum-reply")
            return
        if piece.forum_post and piece.body_words < self.options.forum_min_words:
            self._drop(piece, "forum-comment")
            return
        teaser = piece.rule == "teaser" and piece.body_units <= 1 and piece.body_words <= self.options.teaser_max_words
        units = assign_roles(piece.units, self.vocab)
        if teaser and not any(u.role == "body" for u in units):
            units = _headline_only(units)
        elif (not piece.has_body and not teaser) or not any(u.role == "body" for u in units):
            self._drop(piece, "no-body")
            return
        result = CutPiece(
            units=units,
            start_rule=piece.rule,
            removed=piece.removed,
            script=_body_script(piece.units),
            kind="teaser" if teaser else "article",
            notes=_cap_notes(piece, self.options.max_piece_chars),
        )
        describe(result, self.previous, self.vocab, self.options.today)
        result.outlet = result.outlet or self.site
        if teaser and result.title is None:
            result.title = result.paragraphs[0] if len(result.paragraphs[0]) <= self.options.max_title_chars else None
        self.previous = result
        yield result


def _cap_notes(piece: _OpenPiece, limit: int) -> list[str]:
    notes = []
    if piece.rule == CAP_RULE:
        notes.append(f"continues the previous piece, cut at ingest.max_piece_chars ({limit:,} characters)")
    if piece.cut:
        notes.append(f"cut at ingest.max_piece_chars ({limit:,} characters): the text goes on in the next piece")
    return notes


def _headline_only(units: list[PieceUnit]) -> list[PieceUnit]:
    """A teaser with no blurb: its headline is its text (and, in describe, its title)."""
    out = []
    for unit in units:
        if unit.role == "title":
            out.append(PieceUnit(unit.lines, unit.text, "body"))
        else:
            out.append(unit)
    return out


def _body_script(units: list[Unit]) -> str:
    arabic = other = 0
    for unit in units:
        if unit.body_like and not unit.is_meta:
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    if arabic + other == 0:  # no long paragraph: count every line
        for unit in units:
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    return "none" if arabic + other == 0 else ("ar" if arabic >= other else "latin")
