"""Typed records: the contract between the stages and the store.

Nothing else crosses a stage boundary. A stage reads records from the store
(:mod:`pipeline.store`), computes new ones in its pure core, and hands them
back to the store; the store is the only place that knows how they are kept.
Keeping every record in this one small module means a stage (or a store
backend) can be swapped without the others noticing.

Vocabulary: a *piece* is one article cut out of a dump; a *paragraph* is a
block of a piece with its own language; a *segment* is a sentence of an
Arabic paragraph (or of an Arabic title): the unit that is translated,
cached and aligned.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.text.normalise import for_identity

# How a paragraph is routed after language detection.
Route = Literal["translate", "english", "skip"]
# Lifecycle of a piece as seen by downstream stages.
PieceStatus = Literal["ingested", "pending", "translated", "english", "not_routed", "failed"]
# Outcome of an input file.
SourceStatus = Literal["ingested", "partial", "failed"]
# A run of the pipeline over a store, as the runs table records it.
RunStatus = Literal["running", "completed", "completed_with_errors", "pending", "failed", "interrupted"]
# What ingest cut: an article, or one item of a list of headline teasers (pipeline/ingest/pieces.py).
PieceKind = Literal["article", "teaser"]
# What the aligner decided for a translated (or untranslated) piece.
AlignmentStatus = Literal["matched", "no_coverage", "pending"]
# How an English piece relates to a translated one: it reports the same event (a match, a comparison pair), or
# another event of the same story thread (related coverage: the eve and the vote, a preview and the signing).
Relation = Literal["same_event", "related"]
# What one translation is paired with on the Arabic side: this pipeline translates sentence by sentence; a
# translation that came with the input is paired paragraph by paragraph when the paragraph counts agree,
# else it is one translation of the whole piece.
TranslationUnit = Literal["sentence", "paragraph", "piece"]
ExternalUnit = Literal["paragraph", "piece"]

TITLE_PARAGRAPH = -1  # paragraph index under which a title's segments are kept


class Record(BaseModel):
    """Base of every record: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


# -- ingest -------------------------------------------------------------------------------


class SourceFile(Record):
    """One input file and what ingesting it gave (the `sources` table)."""

    id: int | None = None  # set by the store
    path: str
    sha256: str = ""
    size: int = 0
    encoding: str | None = None
    kind: str | None = None  # text | html | jsonl (+gz)
    status: SourceStatus = "ingested"
    error: str | None = None  # one line per problem
    pieces: int | None = None  # pieces found in this file (new + already known)
    removed_lines: int | None = None  # chrome lines dropped while cutting it


class ExternalTranslation(Record):
    """A translation that came with the input (another MT system's); the store keeps one per (piece, system).

    `parts` are the readable text (pipeline/text/readable.py), `raw_parts`
    the same parts exactly as the input gave them. With unit 'paragraph'
    part i translates the piece's paragraph i; with unit 'piece' the one
    part translates the whole piece.
    """

    system: str
    unit: ExternalUnit
    parts: list[str]
    raw_parts: list[str]
    input_id: str | None = None  # the id the input line gave the piece
    # reference-free diagnostics of each part (pipeline/evaluate/diagnostics.py), as the diagnose stage stored them;
    # None until it has run (or when the text changed since)
    diagnostics: list[dict[str, Any] | None] | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.parts)

    @property
    def raw(self) -> str:
        return "\n\n".join(self.raw_parts)


class IngestedPiece(Record):
    """A piece as ingest hands it to the store: its paragraphs and what the input said about it."""

    id: str
    position: int  # order of the piece inside its source file
    paragraphs: list[str]
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    lang_hint: str | None = None  # language the input declared (JSONL 'lang')
    input_id: str | None = None  # the id the input gave the piece (JSONL 'id'); `id` stays the content id
    external: ExternalTranslation | None = None  # a translation that came with the input
    kind: PieceKind = "article"
    notes: list[str] = Field(default_factory=list)  # what could not be read, and why (ingest_notes)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


# -- detect ---------------------------------------------------------------------------------


class PieceText(Record):
    """What language detection reads of a piece: its title and paragraphs."""

    id: str
    title: str | None
    paragraphs: list[tuple[int, str]]  # (paragraph index, text)
    translated: bool = False  # the input carried a translation of it (another MT system's)


class RoutedParagraph(Record):
    """A paragraph's language, how sure detection is, and where it goes."""

    index: int
    lang: str
    score: float
    route: Route
    reason: str | None = None  # why it is skipped


class Detection(Record):
    """The languages of one piece and the status that follows from them."""

    piece_id: str
    lang: str
    score: float  # share of the piece's letters that are in `lang`
    title_lang: str | None
    status: PieceStatus  # 'pending' | 'translated' (the input carried a translation) | 'english' | 'not_routed'
    reason: str | None
    paragraphs: list[RoutedParagraph]


# -- translate --------------------------------------------------------------------------------


class TextToSplit(Record):
    """A routed paragraph (or an Arabic title) that has no segments yet."""

    piece_id: str
    paragraph_index: int  # TITLE_PARAGRAPH for the title
    text: str
    title_lang: str | None = None  # for titles: the language detect gave the title


class Segment(Record):
    """A sentence of an Arabic paragraph or title, with its translation once there is one."""

    piece_id: str
    paragraph_index: int
    sentence_index: int
    text: str
    reason: str | None = None  # why it needs no translation (empty, invisible characters only)
    translation_key: str | None = None
    translation: str | None = None  # readable (pipeline/text/readable.py)
    raw_translation: str | None = None  # the model's output as it came
    model: str | None = None  # "model@revision" of the translation
    logprob: float | None = None
    created_at: str | None = None
    diagnostics: dict[str, Any] | None = None

    @property
    def ref(self) -> SegmentRef:
        return SegmentRef(piece_id=self.piece_id, paragraph_index=self.paragraph_index, sentence_index=self.sentence_index)


class SegmentRef(Record):
    """Where a segment is: piece, paragraph, sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    piece_id: str
    paragraph_index: int
    sentence_index: int


class Translation(Record):
    """A cached translation of one source sentence, with its provenance.

    `key` hashes everything that determines the output (model, revision,
    backend, decoding settings, the sentence as the model saw it).
    """

    key: str
    source_text: str
    target_text: str  # readable (pipeline/text/readable.py)
    model: str
    revision: str
    backend: str
    settings: dict[str, Any]
    raw_text: str | None = None  # the model's output as it came; None: the same as target_text
    logprob: float | None = None
    created_at: str | None = None
    run_id: int | None = None
    diagnostics: dict[str, Any] | None = None


class SegmentCounts(Record):
    total: int = 0
    translated: int = 0
    pending: int = 0
    skipped: int = 0  # needing no translation, with the reason recorded


# -- diagnose ----------------------------------------------------------------------------------


class Diagnosis(Record):
    """Reference-free diagnostics of one cached translation."""

    key: str
    diagnostics: dict[str, Any]
    fingerprint: str  # the thresholds they were computed with


class ExternalToDiagnose(Record):
    """A translation that came with the input, part by part beside the Arabic each part translates.

    With unit 'paragraph' part i translates the piece's paragraph i; with
    unit 'piece' the one part translates the whole piece.
    """

    piece_id: str
    system: str
    sources: list[str]  # the Arabic of each part
    parts: list[str]  # the readable translation of each part


class ExternalDiagnosis(Record):
    """Reference-free diagnostics of one external translation, one per part."""

    piece_id: str
    system: str
    diagnostics: list[dict[str, Any]]
    fingerprint: str


# -- pieces as every later stage sees them ---------------------------------------------------------


class Paragraph(Record):
    """One paragraph of a piece, with its own language (mixed pieces exist)."""

    index: int
    text: str
    lang: str | None = None
    lang_score: float | None = None
    route: Route | None = None
    reason: str | None = None  # why it is not routed / pending / failed
    translation: str | None = None


class ModelProvenance(Record):
    """Which system made a translation: this pipeline's model, with where its weights came from, or an external one.

    For a model the fields are those of ``ResolvedModel.provenance()``
    (pipeline/translate/model.py), as the store recorded them when the
    translate stage loaded it; an external system has only its name.
    """

    id: str  # hub id, "local:<folder>", or the external system's name
    revision: str | None = None  # commit (or "sha256:..." of a local folder); None for an external system
    external: bool = False
    ref: str | None = None  # hub ref the files came from ("main", "refs/pr/1")
    weights: str | None = None  # "safetensors" | "pickle"
    weights_sha256: dict[str, str] = Field(default_factory=dict)
    converted_from: str | None = None  # the pickle-only commit a safetensors conversion was made from
    origin: str | None = None  # "local folder" | "hub cache" | "hub download"

    @property
    def name(self) -> str:
        """'model@revision', or the external system's name: how evaluate and the exports name the system."""
        return f"{self.id}@{self.revision}" if self.revision else self.id


class Piece(Record):
    """One article (or forum post carrying an article) cut out of a dump."""

    id: str
    source: str  # path of the first source file it came from
    title: str | None = None
    title_translation: str | None = None
    title_translation_raw: str | None = None  # the model's output as it came
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) or datetime
    author: str | None = None
    outlet: str | None = None
    lang: str | None = None
    text: str
    paragraphs: list[Paragraph] = Field(default_factory=list)
    translation: str | None = None  # the piece's current translation (readable), None for English
    translation_raw: str | None = None  # the same as its system wrote it
    translation_unit: TranslationUnit | None = None
    model: str | None = None  # "model@revision" or the external system name
    provenance: ModelProvenance | None = None  # who made `translation`
    external: bool = False  # the current translation came with the input (another MT system)
    external_translations: list[ExternalTranslation] = Field(default_factory=list)  # every system's, first arrived first
    input_id: str | None = None  # the id the input gave it (the first source that gave one)
    status: PieceStatus = "ingested"
    reason: str | None = None  # why the piece is pending / not routed / failed
    position: int = 0  # order of the piece inside its source
    kind: PieceKind = "article"  # a teaser is one item of a headline list (pipeline/ingest/pieces.py)
    notes: list[str] = Field(default_factory=list)  # what ingest could not read, and why


# -- align --------------------------------------------------------------------------------------


class SentencePair(Record):
    source: int  # index into the translated piece's sentences
    target: int  # index into the English piece's sentences
    score: float


class Match(Record):
    """A translated piece paired with an English piece covering the same event, or (relation "related") another
    event of the same story thread: related coverage, shown apart and never a comparison pair."""

    source_id: str
    target_id: str
    score: float  # P(same event), 0..1, comparable across runs
    evidence: dict[str, Any] = Field(default_factory=dict)
    sentence_pairs: list[SentencePair] = Field(default_factory=list)
    # chrF (0-100) of the translation against the English piece: how much wording they share, not translation
    # quality (pipeline/evaluate/similarity.py); computed once when the match is made. None: not computed (a store
    # aligned before it was kept)
    similarity: float | None = None
    relation: Relation = "same_event"


class Alignment(Record):
    """What the aligner decided for one piece: matched, no coverage (why), or pending (why)."""

    piece_id: str
    status: AlignmentStatus
    reason: str | None = None
    # no coverage: the best candidate, its score and the threshold it fell short of (None: no candidate, or
    # a bar that is not a score, as a short piece sharing no sentence)
    candidate_id: str | None = None
    candidate_score: float | None = None
    threshold: float | None = None


# -- annotations: reviewers' judgements coming back ----------------------------------------------

# What a reviewer said of a pair (a translated piece and an English piece): the same event, a related but
# different event (the same story thread), a different event, or not sure.
Verdict = Literal["same_event", "related", "different", "unsure"]
# Where a judgement came from.
AnnotationTool = Literal["labelstudio", "doccano"]


class ErrorSpan(Record):
    """A span of the translation a reviewer marked, as [start, end) character offsets into the text they saw."""

    start: int
    end: int
    label: str
    text: str | None = None


class Judgement(Record):
    """One reviewer's judgement of one item (a piece's translation by one system, and the English piece shown
    beside it when there was one), as an annotation tool exported it.

    `annotated_at` is the tool's own time (Label Studio's ``updated_at``),
    None when the tool gives none (doccano); the store then orders a
    reviewer's judgements of the same item by when they were imported. A
    later judgement of the same item by the same reviewer supersedes the
    earlier one, which is kept (the history).
    """

    tool: AnnotationTool
    annotator: str  # the id the tool gives the reviewer (Label Studio's user id or e-mail, doccano's user name)
    annotated_at: str | None = None
    kind: str  # what the task showed: 'match', 'no_coverage' (with the nearest candidate or none), 'unaligned', 'piece'
    source_id: str
    target_id: str | None = None
    system: str | None = None  # whose translation was judged ('model@revision' or the external system)
    verdict: Verdict | None = None
    choice: str | None = None  # the tool's own label for the verdict (e.g. "Related, different event")
    adequacy: int | None = None
    fluency: int | None = None
    errors: list[ErrorSpan] = Field(default_factory=list)
    correction: str | None = None  # the reviewer's corrected translation (a post-edit)
    comment: str | None = None
    translation: str | None = None  # the translation as the reviewer saw it (what `errors` and `correction` refer to)
    external_id: str | None = None  # the tool's id of the annotation (or of the task)
    # set by the store
    id: int | None = None
    imported_at: str | None = None
    import_file: str | None = None

    def fingerprint(self) -> str:
        """What makes two imports of a judgement the same one: everything the tool said (not where or when it was imported)."""
        said = self.model_dump(mode="json", exclude={"id", "imported_at", "import_file"})
        return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()

    @property
    def item(self) -> tuple[str, str | None, str | None]:
        """The item judged: (source piece, English piece or None, system)."""
        return (self.source_id, self.target_id, self.system)


class StoreIdentity(Record):
    """Who a store is: exported tasks carry its id and a key made with its secret, so an export of another
    store, or a task whose ids were edited, is recognised on import. Made by the store's first writing run;
    `store copy` keeps it."""

    store_id: str
    secret: str


class Calibration(Record):
    """An operating point fitted on the reviewers' judged pairs (`align.calibration: annotations`)."""

    method: str  # 'annotations'
    threshold: float
    short_threshold: float
    max_false_match_rate: float
    weights: dict[str, float] | None = None  # refitted score weights, None: the table's
    figures: dict[str, Any] = Field(default_factory=dict)  # labels, cross-validated false-match rate and recall, intervals
    created_at: str | None = None
    run_id: int | None = None


# -- runs and the store as a whole -------------------------------------------------------------


class RunRecord(Record):
    id: int
    command: str
    started_at: str
    finished_at: str | None = None
    status: RunStatus
    summary: dict[str, Any] | None = None


class StoreCounts(Record):
    """What the store holds and what is pending: `status` and every summary."""

    schema_version: int
    sources: dict[str, int]
    pieces: int
    pieces_by_lang: dict[str, int]
    pieces_by_status: dict[str, int]
    paragraphs_by_route: dict[str, int]
    segments: int
    segments_pending: int
    segments_translated: int
    segments_skipped: int
    translations_cached: int
    matches: int
    abstentions: int
    runs: int
    # pieces whose translation this pipeline made (every routed sentence translated), and the pieces that carry
    # each other system's translation that came with the input (a piece can have both, and several systems)
    pieces_translated_here: int = 0
    translations_with_input: dict[str, int] = Field(default_factory=dict)
    annotations: int = 0  # reviewers' judgements stored, every version


def content_id(text: str) -> str:
    """Stable content id of a piece: a short SHA-256 of its identity form (see text.normalise.for_identity)."""
    return hashlib.sha256(for_identity(text).encode("utf-8")).hexdigest()[:16]
