"""Typed records that the stages exchange.

Every stage reads and writes these through :class:`pipeline.store.Store`;
keeping them in one small module means a stage can be swapped without the
others noticing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Field

# How a paragraph is routed after language detection.
Route = Literal["translate", "english", "skip"]
# Lifecycle of a piece as seen by downstream stages.
PieceStatus = Literal["ingested", "detected", "pending", "translated", "english", "not_routed", "failed"]


class Paragraph(BaseModel):
    """One paragraph of a piece, with its own language (mixed pieces exist)."""

    index: int
    text: str
    lang: str | None = None
    lang_score: float | None = None
    route: Route | None = None
    reason: str | None = None  # why it is not routed / pending / failed
    translation: str | None = None


class Piece(BaseModel):
    """One article (or forum post carrying an article) cut out of a dump."""

    id: str
    source: str  # path of the first source file it came from
    title: str | None = None
    title_translation: str | None = None
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) or datetime
    author: str | None = None
    outlet: str | None = None
    lang: str | None = None
    text: str
    paragraphs: list[Paragraph] = Field(default_factory=list)
    translation: str | None = None  # whole-piece translation, None for English
    model: str | None = None  # "model@revision" or the external system name
    status: str = "ingested"
    position: int = 0  # order of the piece inside its source
    kind: str = "article"  # "article" | "teaser" (a short item pointing to a story: align needs more evidence)


class Segment(BaseModel):
    """A sentence of an Arabic paragraph: the unit that is translated and cached."""

    piece_id: str
    paragraph_index: int
    sentence_index: int
    text: str
    translation: str | None = None


class Translation(BaseModel):
    """A cached translation of one source sentence, with its provenance."""

    source_text: str
    target_text: str
    model: str
    revision: str
    backend: str
    settings: dict[str, Any]
    logprob: float | None = None
    created_at: str | None = None


class SentencePair(BaseModel):
    source: int  # index into the translated piece's sentences
    target: int  # index into the English piece's sentences
    score: float


class Match(BaseModel):
    """A translated piece paired with an English piece covering the same event."""

    source_id: str
    target_id: str
    score: float  # 0..1, comparable across runs
    evidence: dict[str, Any] = Field(default_factory=dict)
    sentence_pairs: list[SentencePair] = Field(default_factory=list)


# Invisible characters that only steer rendering (bidi marks and embeddings,
# zero-width spaces and joiners, BOM, soft hyphen): scrapers sprinkle them
# unpredictably, so they must not make one article two.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def normalize_for_id(text: str) -> str:
    """Canonical form used for identity: NFKC, no tatweel, no invisible marks, collapsed whitespace.

    Two copies of an article that differ only in page chrome, spacing,
    direction marks or Unicode composition must get the same id, so dedup
    works across dumps.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).replace("\u0640", ""))
    return " ".join(text.split()).casefold()


def content_id(text: str) -> str:
    """Stable content id of a piece: a short SHA-256 of its normalised text."""
    return hashlib.sha256(normalize_for_id(text).encode("utf-8")).hexdigest()[:16]
