"""Everything the exporters show, read from the store once.

The exporters are formatters: they never query the store themselves. This
module resolves what the records only point at (a match's sentence indices
into the Arabic segments and the English sentences, the diagnostics stored per
translated sentence), and tolerates missing parts: a store with no matches,
no diagnostics or pending translations still exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.evaluate.diagnostics import DIAGNOSTICS, flags_of, piece_diagnostics
from pipeline.evaluate.similarity import similarity_for_matches
from pipeline.records import Match, Piece, RunRecord, Segment
from pipeline.store import Store
from pipeline.text.sentences import split_english


@dataclass
class AlignedPair:
    """A sentence pair of a match with its texts resolved; texts are None when an index is out of range."""

    source: int
    target: int
    score: float
    arabic: str | None
    translation: str | None
    english: str | None
    diagnostics: dict[str, Any] | None = None


@dataclass
class TranslatedUnit:
    """An Arabic text and its translation at the unit they are paired at.

    The pipeline's translations pair sentence by sentence (`unit` 'sentence',
    `where` "body:i", i indexing the piece's body segments); a translation that
    came with the input pairs paragraph by paragraph ('paragraph', "paragraph:i")
    or only as a whole ('piece', "piece"). This is what translation memories and
    annotation tools need: both sides of every unit.
    """

    where: str
    unit: str
    arabic: str
    translation: str
    raw: str | None  # the translation as its system wrote it
    model: str | None
    created_at: str | None = None


@dataclass
class MatchView:
    number: int  # 1-based, stable within one export: used for anchors and task ids
    match: Match
    source: Piece
    target: Piece
    pairs: list[AlignedPair]
    english: list[str]
    source_view: PieceView
    target_view: PieceView
    similarity: float | None = None


@dataclass
class RelatedView:
    """Related coverage: an English piece on the same story thread as a translated piece, reporting another event.

    Shown apart from the matches: it is never a comparison pair (no sentence
    pairs, not in TMX), but an analyst following the story wants to see it.
    """

    match: Match  # relation "related"; its evidence holds the probabilities
    source: Piece
    target: Piece

    @property
    def probability(self) -> float | None:
        """P(related) as the aligner gave it."""
        value = (self.match.evidence.get("probabilities") or {}).get("related")
        return float(value) if isinstance(value, (int, float)) else None


@dataclass
class PieceView:
    piece: Piece
    number: int
    body: list[Segment] = field(default_factory=list)  # pair index i is body[i]
    title: list[Segment] = field(default_factory=list)
    reason: str | None = None  # why the piece is pending / not routed / failed
    alignment: str | None = None  # 'matched', 'no_coverage', ... from the aligner
    alignment_reason: str | None = None
    # no coverage: the best candidate, its score, and the threshold it fell short of (None: not a score's bar)
    near_id: str | None = None
    near_score: float | None = None
    near_threshold: float | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    matches: list[MatchView] = field(default_factory=list)
    related: list[RelatedView] = field(default_factory=list)  # same story thread, another event (as source or target)
    units: list[TranslatedUnit] = field(default_factory=list)  # the body's translated units (see TranslatedUnit)

    @property
    def best_score(self) -> float | None:
        return max((m.match.score for m in self.matches), default=None)

    @property
    def flagged(self) -> bool:
        return bool(self.diagnostics.get("flagged"))


@dataclass
class ExportData:
    pieces: list[PieceView]
    matches: list[MatchView]
    generated_at: str
    warnings: list[str] = field(default_factory=list)
    related: list[RelatedView] = field(default_factory=list)  # related coverage, apart from the matches
    # flagged translations by diagnostic over the whole translation cache (summary.json's diagnostics.by_diagnostic)
    translation_flags: dict[str, int] = field(default_factory=dict)
    translations_diagnosed: int = 0
    # the last `pipeline evaluate` over this store (its EvaluationResult as JSON), from the runs table
    evaluation: dict[str, Any] | None = None
    evaluation_run: RunRecord | None = None

    @property
    def unmatched_translations(self) -> list[PieceView]:
        """Translated pieces with no English coverage (the aligner abstained or never ran)."""
        return [v for v in self.pieces if v.piece.translation and not v.matches and v.piece.lang != "en"]

    @property
    def translated(self) -> list[PieceView]:
        """Every non-English piece with a translation, matched or not, in source order."""
        return [v for v in self.pieces if v.piece.translation and v.piece.lang != "en"]


def load_export_data(store: Store) -> ExportData:
    pieces = store.load_pieces()
    segments = store.segments()
    alignments = store.alignments()
    views = {}
    for number, piece in enumerate(pieces, start=1):
        own = segments.get(piece.id, [])
        alignment = alignments.get(piece.id)
        view = PieceView(
            piece=piece,
            number=number,
            # the body the aligner's sentence pairs index: the current translation's sentences
            body=_external_sentences(piece) if piece.external else [s for s in own if s.paragraph_index >= 0],
            title=[s for s in own if s.paragraph_index < 0],
            reason=piece.reason,
            alignment=alignment.status if alignment else None,
            alignment_reason=alignment.reason if alignment else None,
        )
        if alignment and alignment.status == "no_coverage":
            view.near_id, view.near_score = alignment.candidate_id, alignment.candidate_score
            view.near_threshold = alignment.threshold
        view.units = _units(view)
        view.diagnostics = _diagnostics_of(view)
        views[piece.id] = view
    data = ExportData(list(views.values()), [], datetime.now(UTC).isoformat(timespec="seconds"))
    similarity = similarity_for_matches(store)
    split: dict[str, list[str]] = {}  # an English piece matched several times is split once
    for match in store.load_matches():
        source, target = views.get(match.source_id), views.get(match.target_id)
        if source is None or target is None:
            data.warnings.append(f"match {match.source_id}→{match.target_id} names a piece that is not in the store; skipped")
            continue
        if target.piece.id not in split:
            split[target.piece.id] = split_english(target.piece.text)
        match_view = _match_view(len(data.matches) + 1, match, source, target, split[target.piece.id], data.warnings)
        match_view.similarity = similarity.get((match.source_id, match.target_id))
        source.matches.append(match_view)
        target.matches.append(match_view)
        data.matches.append(match_view)
    for match in store.load_matches("related"):
        source, target = views.get(match.source_id), views.get(match.target_id)
        if source is None or target is None:
            data.warnings.append(f"related {match.source_id}→{match.target_id} names a piece that is not in the store; skipped")
            continue
        related = RelatedView(match, source.piece, target.piece)
        source.related.append(related)
        target.related.append(related)
        data.related.append(related)
    data.translations_diagnosed, data.translation_flags = _translation_flags(store)
    data.evaluation_run = last_evaluation(store)
    data.evaluation = data.evaluation_run.summary["evaluate"] if data.evaluation_run and data.evaluation_run.summary else None
    return data


def _translation_flags(store: Store) -> tuple[int, dict[str, int]]:
    """Diagnosed translations, and how many carry each flag: counted as the diagnose stage counts them."""
    diagnosed, counts = 0, dict.fromkeys(DIAGNOSTICS, 0)
    for _, diagnostics in store.translation_diagnostics():
        flags = flags_of(diagnostics)
        if flags is None:
            continue
        diagnosed += 1
        for name in flags:
            counts[name] = counts.get(name, 0) + 1
    return diagnosed, counts


def last_evaluation(store: Store) -> RunRecord | None:
    """The newest completed run whose summary holds an `evaluate` block (store-mode `pipeline evaluate`)."""
    for run in reversed(store.runs()):
        if run.status == "completed" and run.summary and isinstance(run.summary.get("evaluate"), dict):
            return run
    return None


def _diagnostics_of(view: PieceView) -> dict[str, Any]:
    """The piece's diagnostics summary; empty when it has no diagnosed translation yet."""
    summary = piece_diagnostics(view.title + view.body)
    return summary if summary.get("diagnosed") else {}


def _external_sentences(piece: Piece) -> list[Segment]:
    """Sentences of a translation that came with the input (JSONL from another MT system).

    Such a piece has no segments; the aligner splits its translation with the
    English splitter, so the pair indices of its matches count these sentences.
    The Arabic side is not split per sentence, hence empty texts.
    """
    if not piece.translation or piece.lang == "en":
        return []
    return [
        Segment(piece_id=piece.id, paragraph_index=0, sentence_index=i, text="", translation=sentence, model=piece.model)
        for i, sentence in enumerate(split_english(piece.translation))
    ]


def _units(view: PieceView) -> list[TranslatedUnit]:
    """The current translation's units with both sides (see :class:`TranslatedUnit`); a sentence without a
    translation (pending, or nothing to translate) has an empty one."""
    piece = view.piece
    if piece.external and piece.external_translations:
        current = piece.external_translations[0]
        if current.unit == "paragraph" and len(current.parts) == len(piece.paragraphs):
            return [
                TranslatedUnit(f"paragraph:{p.index}", "paragraph", p.text, part, raw, current.system)
                for p, part, raw in zip(piece.paragraphs, current.parts, current.raw_parts)
            ]
        return [TranslatedUnit("piece", "piece", piece.text, current.text, current.raw, current.system)]
    return [
        TranslatedUnit(f"body:{i}", "sentence", s.text, s.translation or "", s.raw_translation, s.model, s.created_at)
        for i, s in enumerate(view.body)
    ]


def sentence_flags(diag: dict[str, Any] | None) -> list[str]:
    if not diag:
        return []
    names = [str(f) for f in diag.get("flags", []) or []] if isinstance(diag.get("flags"), list) else []
    names += [k for k, v in diag.items() if v is True]
    return sorted(set(names))


def _match_view(
    number: int, match: Match, source: PieceView, target: PieceView, english: list[str], warnings: list[str]
) -> MatchView:
    pairs = []
    bad = 0
    for pair in sorted(match.sentence_pairs, key=lambda p: (p.source, p.target)):
        src = source.body[pair.source] if 0 <= pair.source < len(source.body) else None
        en = english[pair.target] if 0 <= pair.target < len(english) else None
        bad += src is None or en is None
        pairs.append(
            AlignedPair(
                source=pair.source,
                target=pair.target,
                score=pair.score,
                arabic=src.text if src else None,
                translation=src.translation if src else None,
                english=en,
                diagnostics=src.diagnostics if src else None,
            )
        )
    if bad:
        warnings.append(
            f"match {match.source_id}→{match.target_id}: {bad} sentence pair(s) point past the sentences in the store "
            "(re-run align after re-translating)"
        )
    return MatchView(number, match, source.piece, target.piece, pairs, english, source, target)


def model_fields(model: str | None) -> dict[str, str | None] | None:
    """'name@revision' → {"id": name, "revision": revision}; an external system name has no revision."""
    if not model:
        return None
    name, sep, revision = model.rpartition("@")
    return {"id": name, "revision": revision} if sep and name else {"id": model, "revision": None}


def provenance_fields(piece: Piece) -> dict[str, Any] | None:
    """The `model` object of pieces.jsonl: who made the piece's translation (docs/output-contract.md)."""
    if piece.provenance is not None:
        return piece.provenance.model_dump(mode="json")
    fields = model_fields(piece.model)
    return None if fields is None else {**fields, "external": piece.external}
