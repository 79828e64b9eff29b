"""Cutting a scraped dump into pieces: what a piece is, and the options of the cut.

A *piece* is one article (or forum post carrying one, or one teaser of a
headline list) cut out of a dump. "Segment" is kept for sentences, the unit
the translate stage works on.

Every non-blank input line ends up in exactly one place: either in
``removed_lines`` (page chrome, see :mod:`~pipeline.ingest.chrome`, or a
dropped non-article such as a forum reply) or in one piece, as its title, a
metadata line (date, byline, caption, dateline, repeated headline) or a body
paragraph. Nothing is dropped silently, so :func:`accounting_problems` can
re-join the pieces and the removed lines and get the input back. The one
exception to "whole lines" is a date label glued to the front of a first
paragraph ("date 2020-10-22 The minister said..."): that line is split into
a metadata part and a body part, both carrying its line number.

This module holds the records and options; :mod:`~pipeline.ingest.cutter`
the entry points (:func:`cut_dump`, :func:`iter_pieces`). The work is split
by job:

* :mod:`~pipeline.ingest.lines` — what one line looks like on its own;
* :mod:`~pipeline.ingest.features` and :mod:`~pipeline.ingest.labeller` —
  each line's label (title, teaser, dateline, byline, body, chrome,
  separator, and whether it starts a piece), from a model trained on
  labelled dumps;
* :mod:`~pipeline.ingest.segmenter` — pieces from the labels, streaming
  (``start_rule`` names the label that started a piece);
* :mod:`~pipeline.ingest.metadata` — title, date, author and outlet read off
  the labels, each with its evidence.

Kinds of piece (``CutPiece.kind``, stored as ``pieces.kind``):

``article``
    a full piece.
``teaser``
    one item of a run of headline teasers (a headline followed by at most a
    short blurb, then the next headline): its title is the headline and its
    text the blurb (or the headline itself when there is none). Teasers are
    short and often only name the event, so the aligner holds them to a
    higher evidence bar and the report can list them apart.

When something could not be read — a date in the future, a title too long to
be one — the piece keeps what could be read and says why in ``notes``; a
value is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from pipeline.ingest.gazetteer import DEFAULT, Gazetteer
from pipeline.ingest.lines import Vocabulary

Role = Literal["title", "meta", "body"]
PieceKind = Literal["article", "teaser"]


@dataclass(frozen=True)
class CutOptions:
    """Tunables of the cutter (mirrored by the ``ingest:`` config section)."""

    teaser_max_words: int = 60  # an HTML container with one paragraph this short, among several, is a listing card
    max_title_chars: int = 300  # a longer "title" is body text; the piece says so in its notes
    max_piece_chars: int = 1_000_000  # a piece this long is closed and its text goes on in the next (memory bound)
    wrapped: bool | None = None  # None: decide from the text (see looks_hard_wrapped)
    gazetteer: Gazetteer = DEFAULT
    today: date | None = None  # dates after this are flagged, not used (None: the day it runs)
    model: str | None = None  # a segmenter model file to use instead of the shipped one (training and evaluation)

    @property
    def vocabulary(self) -> Vocabulary:
        return _vocabulary(self.gazetteer)


_VOCABULARIES: dict[int, Vocabulary] = {}


def _vocabulary(gazetteer: Gazetteer) -> Vocabulary:
    found = _VOCABULARIES.get(id(gazetteer))
    if found is None or found.gazetteer is not gazetteer:
        found = _VOCABULARIES[id(gazetteer)] = Vocabulary(gazetteer)
    return found


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
    kind: str | None = None  # for metadata: date, byline, name, caption, credit, dateline, repeat, header, tags...
    p: float | None = None  # the labeller's probability of the line's label (None: the markup or a rule decided)
    shaped: bool = False  # the line's own shape (a bare name, a byline) says what its label says: evidence beside p


@dataclass
class CutPiece:
    """One piece cut out of a dump, with the metadata read off its lines (or its markup)."""

    units: list[PieceUnit]
    start_rule: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    removed: list[RemovedLine] = field(default_factory=list)  # chrome met while this piece was open
    script: str = "none"  # 'ar' or 'latin': the script of most of the body's letters
    kind: PieceKind = "article"
    notes: list[str] = field(default_factory=list)  # why a field could not be read ("date 2031-05-01 is in the future")
    evidence: dict[str, str] = field(default_factory=dict)  # where title, date, author and outlet came from

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
            "kind": self.kind,
            "start_rule": self.start_rule,
            "lines": [self.lines[0], self.lines[-1]] if self.units else [],
            "paragraphs": self.paragraphs,
            "notes": self.notes,
            "evidence": self.evidence,
        }


@dataclass
class CutResult:
    """Pieces in input order, and every non-blank line that is in none of them."""

    pieces: list[CutPiece]
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
