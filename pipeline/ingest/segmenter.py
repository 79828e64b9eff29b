"""Cutting a dump into pieces with the line labeller: units in, labelled windows, pieces out.

The units of a text dump (its non-blank lines, or hard-wrapped blocks) are
read in *windows*: a window closes at the first wide gap (two or more blank
lines) after :data:`WINDOW_UNITS` units, or at :data:`MAX_WINDOW_UNITS`
units or ``max_piece_chars`` characters whatever comes; the two units
before it go with it as context. The labeller
(:mod:`~pipeline.ingest.labeller`) tags each window, and the tags are read
in order:

* a ``B-`` label starts a new piece (a dateline or byline only once the
  open piece has a body: under a headline, they are that headline's);
* ``chrome`` and ``separator`` lines go to ``removed_lines`` with their
  label (and the page-chrome rule they match, when one does);
* ``title``/``teaser``, ``dateline``, ``byline`` and ``body`` lines become
  the piece's title, metadata and paragraphs; a piece whose first label is
  ``B-teaser`` is of kind 'teaser', one item of a list;
* the chrome lines right before a piece are its *header*: a site name there
  is evidence of the piece's outlet (:mod:`~pipeline.ingest.metadata`), and
  the items of a teaser list under it share it, but the header of one page
  is never given to the pieces of another.

A piece holds at most ``max_piece_chars`` characters (the text goes on in a
new piece, both say so in their notes), and a window is bounded too, so
memory is bounded by those, not by the size of the dump.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.ingest.chrome import DEFAULT_FILTER, ChromeFilter
from pipeline.ingest.features import sequence_features
from pipeline.ingest.gazetteer import Gazetteer
from pipeline.ingest.labeller import Labeller, Tag, load_labeller
from pipeline.ingest.lines import Unit, Vocabulary, iter_units, looks_hard_wrapped
from pipeline.ingest.metadata import describe_labelled
from pipeline.ingest.pieces import CutOptions, CutPiece, PieceUnit, RemovedLine, RemovedSink
from pipeline.ingest.roles import date_prefix

WINDOW_UNITS = 200
MAX_WINDOW_UNITS = 1000
CONTEXT_UNITS = 2
HEADER_UNITS = 6  # chrome lines kept as the header of the next piece
CAP_RULE = "size-cap"
SURE = 0.9  # below this, a header line's own shape (a bare name, a byline, a date line) decides its role
_HEADER_SHAPES = {"name": "byline", "byline": "byline", "date": "date"}
WRAP_SAMPLE_LINES = 400
WRAP_SAMPLE_CHARS = 1_000_000


def text_units(lines: Iterable[str], options: CutOptions, chrome: ChromeFilter = DEFAULT_FILTER) -> Iterator[Unit]:
    """The units of a text dump: its lines (joined into paragraphs when the dump is hard-wrapped)."""
    iterator = iter(lines)
    wrapped = options.wrapped
    head: list[str] = []
    if wrapped is None:
        size = 0
        for line in iterator:
            head.append(line)
            size += len(line)
            if len(head) == WRAP_SAMPLE_LINES or size >= WRAP_SAMPLE_CHARS:
                break
        wrapped = looks_hard_wrapped(head)
    return iter_units(itertools.chain(head, iterator), wrapped, chrome, options.vocabulary, options.max_piece_chars)


def windows(units: Iterable[Unit], max_chars: int = 1_000_000) -> Iterator[list[Unit]]:
    """Consecutive windows of units (see the module docstring)."""
    window: list[Unit] = []
    chars = 0
    for unit in units:
        if window and (
            (len(window) >= WINDOW_UNITS and unit.blank_before >= 2) or len(window) >= MAX_WINDOW_UNITS or chars >= max_chars
        ):
            yield window
            window, chars = [], 0
        window.append(unit)
        chars += len(unit.text)
    if window:
        yield window


def sequence_context(previous: list[Unit], units: list[Unit]) -> list[Unit]:
    """The units before a window that its features may look at."""
    return previous[-CONTEXT_UNITS:] if units else []


def tag_sequence(labeller: Labeller, units: list[Unit], gazetteer: Gazetteer, before: list[Unit]) -> list[Tag]:
    return labeller.tag(sequence_features(units, gazetteer, before), units, before)


@dataclass
class _Open:
    start: Tag
    header: list[tuple[Unit, Tag]]
    units: list[tuple[Unit, Tag]] = field(default_factory=list)
    removed: list[RemovedLine] = field(default_factory=list)
    chars: int = 0
    has_body: bool = False
    cut: bool = False  # closed at max_piece_chars: the text goes on in the next piece
    continued: bool = False  # the continuation of a piece cut at max_piece_chars
    tail: list[tuple[Unit, Tag]] = field(default_factory=list)  # paragraphs labelled chrome under a head with no body yet


def removal_reason(unit: Unit, role: str) -> str:
    return f"{role}:{unit.chrome.rule}" if unit.chrome is not None else f"{role}:model"


class Segmenter:
    """Streaming: units in, pieces out (see the module docstring)."""

    def __init__(self, options: CutOptions, removed: RemovedSink, labeller: Labeller | None = None):
        self.options = options
        self.vocab: Vocabulary = options.vocabulary
        self.removed = removed
        self.labeller = labeller or load_labeller(options.model)
        self.open: _Open | None = None
        self.header: list[tuple[Unit, Tag]] = []
        self.previous: CutPiece | None = None
        self.pending_start = False  # the model started a piece on a line a chrome rule removes: the next line starts it
        self.in_container = False  # reading one HTML article container

    def run(self, units: Iterable[Unit]) -> Iterator[CutPiece]:
        previous: list[Unit] = []
        for window in windows(units, self.options.max_piece_chars):
            yield from self.feed(window, previous)
            previous = window
        yield from self.close(ended=True)

    def feed(self, window: list[Unit], previous: list[Unit]) -> Iterator[CutPiece]:
        tags = tag_sequence(self.labeller, window, self.options.gazetteer, sequence_context(previous, window))
        for unit, tag in zip(window, tags, strict=True):
            yield from self._unit(unit, tag)

    def container(self, units: list[Unit]) -> Iterator[CutPiece]:
        """The pieces of one HTML container: its first line starts a piece; inside it only teasers of a list start more."""
        yield from self.close()
        self.header = []
        self.in_container = True
        tags = tag_sequence(self.labeller, units, self.options.gazetteer, [])
        for unit, tag in zip(units, tags, strict=True):
            yield from self._unit(unit, tag)
        yield from self.close(ended=True)
        self.in_container = False

    def _unit(self, unit: Unit, tag: Tag) -> Iterator[CutPiece]:
        role = tag.role
        if unit.chrome is not None and role not in ("chrome", "separator"):
            # a line a page-chrome rule names (built in, or the user's ingest.extra_chrome) is never text
            self.pending_start = self.pending_start or tag.starts
            role = "separator" if unit.chrome.kind in ("end", "post", "thread") else "chrome"
        if role == "chrome" and self._unsure_name_in_head(unit, tag):
            role = "byline"  # kept in the piece: _piece_units reads it by its shape
        if role in ("chrome", "separator"):
            if role == "chrome" and unit.chrome is None and unit.body_like and self._headless_so_far():
                self.open.tail.append((unit, tag))  # type: ignore[union-attr]  # decided when the piece closes
            else:
                self._remove(unit, role)
            self.header = [*self.header[-(HEADER_UNITS - 1) :], (unit, tag)]
            return
        self._flush_tail()
        if self._starts(tag) or (self.pending_start and not self.in_container):
            self.pending_start = False
            yield from self.close()
            self.open = _Open(tag, self.header)
        elif self.open is not None and self.open.chars + len(unit.text) > self.options.max_piece_chars:
            self.open.cut = True
            yield from self.close()
            self.open = _Open(Tag(CAP_RULE, 1.0), [], continued=True)
        assert self.open is not None
        self.header = []
        self.open.units.append((unit, tag))
        self.open.chars += len(unit.text)
        self.open.has_body = self.open.has_body or role == "body"

    def _remove(self, unit: Unit, role: str) -> None:
        reason = removal_reason(unit, role)
        for number in unit.lines:
            record = RemovedLine(number, unit.text, reason)
            self.removed.append(record)
            if self.open is not None and self.open.chars < self.options.max_piece_chars:
                self.open.removed.append(record)
                self.open.chars += len(unit.text)

    def _headless_so_far(self) -> bool:
        """An article piece is open with its head (a title, metadata) and no body yet."""
        return self.open is not None and not self.open.has_body and self.open.start.role != "teaser" and not self.open.continued

    def _drop(self, piece: _Open, reason: str) -> None:
        for unit, _ in piece.units:
            for number in unit.lines:
                self.removed.append(RemovedLine(number, unit.text, reason))

    def _unsure_name_in_head(self, unit: Unit, tag: Tag) -> bool:
        """A line the model is unsure is furniture (p < SURE), shaped like a byline or a bare name, under a head with no
        body yet: an author line is as likely (the model's other labels for it are byline and body)."""
        return (
            unit.chrome is None
            and tag.p < SURE
            and _HEADER_SHAPES.get(unit.meta_kind or "") == "byline"
            and self._headless_so_far()
            and not self.open.tail  # type: ignore[union-attr]
        )

    def _flush_tail(self) -> None:
        """The paragraphs called furniture under a bodiless head are furniture after all: the piece goes on."""
        if self.open is not None and self.open.tail:
            tail, self.open.tail = self.open.tail, []
            for unit, _ in tail:
                self._remove(unit, "chrome")

    def _starts(self, tag: Tag) -> bool:
        if self.open is None:
            return True
        if not tag.starts or (self.in_container and tag.role != "teaser"):
            return False  # the markup says where an article ends: inside it, only a list of teasers is cut
        return self.open.has_body or tag.role in ("title", "teaser", "body")

    def close(self, ended: bool = False) -> Iterator[CutPiece]:
        """Emit the open piece. A piece needs a body: an article whose head is followed only by paragraphs the model
        called furniture (a one-paragraph article at the end of a dump or of a window) takes them for its body.
        `ended`: the piece runs to the end of its input (the dump, or an HTML article container), no other head after it."""
        if self.open is not None and self.open.tail:
            if self.open.has_body:
                self._flush_tail()
            else:
                tail, self.open.tail = self.open.tail, []
                self.open.units += [(unit, Tag("body", 1.0 - tag.p)) for unit, tag in tail]
                self.open.chars += sum(len(unit.text) for unit, _ in tail)
                self.open.has_body = True
                self.header = [entry for entry in self.header if all(entry[0] is not unit for unit, _ in tail)]
        piece, self.open = self.open, None
        if piece is None or not piece.units:
            return
        teaser = piece.start.role == "teaser"
        units = _piece_units(piece, self.vocab)
        if not any(u.role == "body" for u in units):
            if teaser or piece.continued:
                units = [PieceUnit(u.lines, u.text, "body") if u.role == "title" else u for u in units]
            else:
                self._drop(piece, "no-body")
                return
        script = _body_script(piece.units)
        if script == "none" and not piece.continued:
            self._drop(piece, "no-text")  # not a letter in it (digits, punctuation): no text to translate or align
            return
        result = CutPiece(
            units=units,
            start_rule=f"model:{piece.start.label}" if not piece.continued else CAP_RULE,
            removed=piece.removed,
            script=script,
            kind="teaser" if teaser else "article",
            notes=_cap_notes(piece, self.options.max_piece_chars),
        )
        header = [u for u, _ in piece.header]
        first = header[0] if header else piece.units[0][0]
        gap = first.blank_before >= 2 or any(u.blank_before >= 2 for u in [*header[1:], piece.units[0][0]])
        describe_labelled(result, header, self.previous, self.vocab, self.options.today, gap, ended)
        self.previous = result
        yield result


def _piece_units(piece: _Open, vocab: Vocabulary) -> list[PieceUnit]:
    """Roles of the piece's lines: the first title, its metadata, its body (a date glued to the first paragraph split off,
    whether the model called that paragraph body or, seeing it open like a date line under a headline, a headline).

    Above the first paragraph, a line the model calls body with less than
    :data:`SURE` probability, whose own shape is a bare name, a byline or a
    date line (:attr:`~pipeline.ingest.lines.Unit.meta_kind`), is taken for
    that: a two-word name between a headline and its date is not a paragraph.
    """
    out: list[PieceUnit] = []
    titled = seen_body = False
    for unit, tag in piece.units:
        role = tag.role
        glued = date_prefix(unit.text, vocab) if titled and not seen_body and len(unit.lines) == 1 else None
        if role in ("title", "teaser") and glued:
            # a second "headline" under the title that opens with a labelled or dash-separated date and goes on with
            # a sentence is the first paragraph with its date glued to it, not a repeat of the headline
            out.append(PieceUnit(unit.lines, unit.text[:glued].strip(), "meta", "date", tag.p))
            out.append(PieceUnit(unit.lines, unit.text[glued:].strip(), "body", None, tag.p))
            seen_body = True
        elif role in ("title", "teaser"):
            if titled or seen_body:
                out.append(PieceUnit(unit.lines, unit.text, "meta", "repeat" if titled else "header", tag.p))
            else:
                out.append(PieceUnit(unit.lines, unit.text, "title", None, tag.p))
                titled = True
        elif role == "dateline":
            out.append(PieceUnit(unit.lines, unit.text, "meta", "date", tag.p))
        elif role == "byline":
            out.append(
                PieceUnit(unit.lines, unit.text, "meta", "byline", tag.p, _HEADER_SHAPES.get(unit.meta_kind or "") == "byline")
            )
        elif not seen_body and tag.p < SURE and unit.meta_kind in _HEADER_SHAPES:
            # the model is unsure of a line above the first paragraph that has the shape of a name, byline or date line
            out.append(PieceUnit(unit.lines, unit.text, "meta", _HEADER_SHAPES[unit.meta_kind], tag.p, shaped=True))
        else:
            split = date_prefix(unit.text, vocab) if not seen_body and len(unit.lines) == 1 else None
            if split:
                out.append(PieceUnit(unit.lines, unit.text[:split].strip(), "meta", "date", tag.p))
                out.append(PieceUnit(unit.lines, unit.text[split:].strip(), "body", None, tag.p))
            else:
                out.append(PieceUnit(unit.lines, unit.text, "body", None, tag.p))
            seen_body = True
    return out


def _cap_notes(piece: _Open, limit: int) -> list[str]:
    notes = []
    if piece.continued:
        notes.append(f"continues the previous piece, cut at ingest.max_piece_chars ({limit:,} characters)")
    if piece.cut:
        notes.append(f"cut at ingest.max_piece_chars ({limit:,} characters): the text goes on in the next piece")
    return notes


def _body_script(units: list[tuple[Unit, Tag]]) -> str:
    arabic = other = 0
    for unit, tag in units:
        if tag.role == "body":
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    if arabic + other == 0:
        for unit, _ in units:
            arabic, other = arabic + unit.letters[0], other + unit.letters[1]
    return "none" if arabic + other == 0 else ("ar" if arabic >= other else "latin")
