"""Everything the exporters show, read from the store once.

The exporters are formatters: they never query the store themselves. This
module resolves what the records only point at (a match's sentence indices
into the Arabic segments and the English sentences, the diagnostics stored per
translated sentence), and tolerates missing parts: a store with no matches,
no diagnostics or pending translations still exports.

Every system's translation of a piece is first-class: :class:`SystemView`
holds one system's translation unit by unit (this pipeline's sentence by
sentence; another system's that came with the input paragraph by paragraph,
or whole) with each unit's diagnostics, and every exporter writes each
system of each piece. The *aligned* system is the piece's current
translation, the one the aligner matched with the English coverage (its
sentence pairs index that translation's sentences).
"""

from __future__ import annotations

import gc
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pipeline.annotations.reviews import PairReview, agreement, pair_reviews
from pipeline.evaluate.diagnostics import DIAGNOSTICS, flags_of
from pipeline.evaluate.similarity import match_similarity
from pipeline.records import Judgement, Match, Piece, RunRecord, Segment, StoreIdentity
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
    model: str | None  # the system that made it
    created_at: str | None = None
    diagnostics: dict[str, Any] | None = None  # as the diagnose stage stored them; None: not diagnosed
    flags: list[str] = field(init=False)  # the flags' names, read once from the diagnostics

    def __post_init__(self) -> None:
        self.flags = sentence_flags(self.diagnostics)


UNIT_WORDS = {"sentence": ("sentence", "sentences"), "paragraph": ("paragraph", "paragraphs"), "piece": ("piece", "pieces")}


@dataclass
class SystemView:
    """One system's translation of a piece: this pipeline's model, or a system whose translation came with the input."""

    name: str  # "model@revision", or the system's name as the input gave it
    external: bool
    unit: str  # 'sentence' | 'paragraph' | 'piece': what one unit pairs with on the Arabic side
    units: list[TranslatedUnit]
    text: str  # the whole translation (readable)
    aligned: bool  # the piece's current translation: the one the aligner matched
    complete: bool = True  # False: this pipeline's translation with sentences still pending
    input_id: str | None = None  # the id the input gave the piece, with this translation

    @property
    def checked(self) -> int:
        return sum(1 for u in self.units if u.diagnostics is not None)

    @property
    def flagged_units(self) -> list[TranslatedUnit]:
        return [u for u in self.units if u.flags]

    @property
    def flag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for u in self.units:
            for name in u.flags:
                counts[name] = counts.get(name, 0) + 1
        return counts

    def units_word(self, n: int) -> str:
        one, many = UNIT_WORDS.get(self.unit, (self.unit, self.unit + "s"))
        return one if n == 1 else many


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
    review: PairReview | None = None  # the reviewers' word on this pair (pipeline/annotations/reviews.py)

    @property
    def reviewed(self) -> bool:
        """Added by reviewers: a pair they judged the same event that the aligner had not matched."""
        return bool(self.match.evidence.get("reviewed"))

    @property
    def rejected(self) -> bool:
        return self.review is not None and self.review.state == "rejected"

    @property
    def review_label(self) -> str:
        """automatic (no reviewer judged it), reviewed (added by reviewers), confirmed, rejected or disputed."""
        if self.reviewed:
            return "reviewed"
        return self.review.state if self.review else "automatic"


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
    near: PieceView | None = None  # the best candidate's piece, when it is in the store
    diagnostics: dict[str, Any] = field(default_factory=dict)  # every system's units together (see _diagnostics_of)
    matches: list[MatchView] = field(default_factory=list)
    related: list[RelatedView] = field(default_factory=list)  # same story thread, another event (as source or target)
    systems: list[SystemView] = field(default_factory=list)  # every system's translation, the aligned one first

    @property
    def units(self) -> list[TranslatedUnit]:
        """The aligned translation's units (see :class:`TranslatedUnit`)."""
        return self.systems[0].units if self.systems else []

    @property
    def best_score(self) -> float | None:
        return max((m.match.score for m in self.matches), default=None)

    @property
    def flagged(self) -> bool:
        return bool(self.diagnostics.get("flagged"))

    @property
    def own_matches(self) -> list[MatchView]:
        """The matches where this piece is the translated side."""
        return [m for m in self.matches if m.match.source_id == self.piece.id]


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
    # the inputs of the last `pipeline run` (to name the command that finishes a run), and how the last translate
    # stage ended ('model_unavailable': no model could be loaded), from the runs table
    last_run_inputs: list[str] = field(default_factory=list)
    last_translate_status: str | None = None
    identity: StoreIdentity | None = None  # what exported tasks carry (pipeline/annotations/identity.py)
    judgements: list[Judgement] = field(default_factory=list)  # reviewers' current judgements
    agreement: dict[str, Any] = field(default_factory=dict)  # between reviewers (pipeline/annotations/reviews.py)

    def without_rejected(self) -> ExportData:
        """The same data without the matches reviewers rejected: what the exports for tools hold by default."""
        if not any(m.rejected for m in self.matches):
            return self
        kept = [m for m in self.matches if not m.rejected]
        pieces = [replace(v, matches=[m for m in v.matches if not m.rejected]) for v in self.pieces]
        return replace(self, pieces=pieces, matches=kept)

    @property
    def unmatched_translations(self) -> list[PieceView]:
        """Translated pieces with no English coverage (the aligner abstained or never ran)."""
        return [v for v in self.pieces if v.piece.translation and not v.matches and v.piece.lang != "en"]

    @property
    def translated(self) -> list[PieceView]:
        """Every non-English piece with a translation, matched or not, in source order."""
        return [v for v in self.pieces if v.piece.translation and v.piece.lang != "en"]

    @property
    def systems(self) -> dict[str, tuple[int, bool]]:
        """Every system with a translation in the store: name → (pieces it translated, whether it came with the input);
        this pipeline's first, then the others in the order they arrived."""
        found: dict[str, tuple[int, bool]] = {}
        for view in self.pieces:
            for system in view.systems:
                if system.complete:
                    n, _ = found.get(system.name, (0, system.external))
                    found[system.name] = (n + 1, system.external)
        return dict(sorted(found.items(), key=lambda item: item[1][1]))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off while an export builds and writes its data, back as it was after.

    An export holds millions of small objects (a segment, its diagnostics, a row of the index) that live until it
    ends, and it makes next to no reference cycles: every pass of the collector walked all of them, more often the
    more there were, and took half an export's time at 10,000 pieces and more at 100,000. Reference counting still
    frees everything that is let go.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_export_data(store: Store) -> ExportData:
    with paused_gc():
        return _load_export_data(store)


def _load_export_data(store: Store) -> ExportData:
    pieces = store.load_pieces()
    segments = store.segments()
    alignments = store.alignments()
    views = {}
    for number, piece in enumerate(pieces, start=1):
        own = segments.get(piece.id, [])
        alignment = alignments.get(piece.id)
        body = [s for s in own if s.paragraph_index >= 0]
        view = PieceView(
            piece=piece,
            number=number,
            # the body the aligner's sentence pairs index: the current translation's sentences
            body=_external_sentences(piece) if piece.external else body,
            title=[s for s in own if s.paragraph_index < 0],
            reason=piece.reason,
            alignment=alignment.status if alignment else None,
            alignment_reason=alignment.reason if alignment else None,
        )
        if alignment and alignment.status == "no_coverage":
            view.near_id, view.near_score = alignment.candidate_id, alignment.candidate_score
            view.near_threshold = alignment.threshold
        view.systems = _systems(piece, body)
        view.diagnostics = _diagnostics_of(view)
        views[piece.id] = view
    for view in views.values():
        if view.near_id is not None:
            view.near = views.get(view.near_id)
    data = ExportData(list(views.values()), [], datetime.now(UTC).isoformat(timespec="seconds"))
    split: dict[str, list[str]] = {}  # an English piece matched several times is split once
    for match in store.load_matches():
        source, target = views.get(match.source_id), views.get(match.target_id)
        if source is None or target is None:
            data.warnings.append(f"match {match.source_id}→{match.target_id} names a piece that is not in the store; skipped")
            continue
        if target.piece.id not in split:
            split[target.piece.id] = split_english(target.piece.text)
        match_view = _match_view(len(data.matches) + 1, match, source, target, split[target.piece.id], data.warnings)
        # kept with the match since schema 6; a match made before is scored here
        match_view.similarity = match.similarity if match.similarity is not None else match_similarity(source.piece, target.piece)
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
    data.judgements = store.judgements()
    reviews = pair_reviews(data.judgements)
    for match_view in data.matches:
        match_view.review = reviews.get((match_view.match.source_id, match_view.match.target_id))
    data.agreement = agreement(data.judgements) if data.judgements else {}
    data.identity = store.identity()
    data.translations_diagnosed, data.translation_flags = _translation_flags(store, data.pieces)
    runs = store.runs()
    data.evaluation_run = last_evaluation(runs)
    data.evaluation = data.evaluation_run.summary["evaluate"] if data.evaluation_run and data.evaluation_run.summary else None
    data.last_run_inputs, data.last_translate_status = _last_run(runs)
    return data


def _last_run(runs: list[RunRecord]) -> tuple[list[str], str | None]:
    """The inputs of the newest `pipeline run`, and the status of the newest translate stage's report."""
    inputs: list[str] = []
    for run in reversed(runs):
        if run.command.startswith("run "):
            try:
                inputs = shlex.split(run.command)[1:]
            except ValueError:  # a command recorded before it was quoted, with an unbalanced quote in a path
                inputs = run.command.split()[1:]
            break
    for run in reversed(runs):
        translate = ((run.summary or {}).get("stages") or {}).get("translate")
        if isinstance(translate, dict) and isinstance(translate.get("status"), str):
            return inputs, translate["status"]
    return inputs, None


def _translation_flags(store: Store, views: list[PieceView]) -> tuple[int, dict[str, int]]:
    """Diagnosed translations, and how many carry each flag: counted as the diagnose stage counts them (each distinct
    cached translation of ours once, each part of every translation that came with the input)."""
    diagnostics = [d for _, d in store.translation_diagnostics()]
    diagnostics += [e for v in views for t in v.piece.external_translations for e in t.diagnostics or []]
    diagnosed, counts = 0, dict.fromkeys(DIAGNOSTICS, 0)
    for one in diagnostics:
        flags = flags_of(one)
        if flags is None:
            continue
        diagnosed += 1
        for name in flags:
            counts[name] = counts.get(name, 0) + 1
    return diagnosed, counts


def last_evaluation(runs: list[RunRecord]) -> RunRecord | None:
    """The newest completed run whose summary holds an `evaluate` block (store-mode `pipeline evaluate`)."""
    for run in reversed(runs):
        if run.status == "completed" and run.summary and isinstance(run.summary.get("evaluate"), dict):
            return run
    return None


def _diagnostics_of(view: PieceView) -> dict[str, Any]:
    """The piece's diagnostics over every system's units (and this pipeline's title); empty when none is diagnosed.

    ``{"diagnosed": units checked, "flagged_units": units flagged, "flags": {name: units}, "flagged": bool,
    "by_system": {system: (flagged units, what a unit is)}}``.
    """
    title = [s for s in view.title if s.translation_key is not None]
    diagnosed = sum(s.diagnostics is not None for s in title) + sum(s.checked for s in view.systems)
    if not diagnosed:
        return {}
    flags: dict[str, int] = {}
    flagged_title = 0
    for segment in title:
        names = sentence_flags(segment.diagnostics)
        flagged_title += bool(names)
        for name in names:
            flags[name] = flags.get(name, 0) + 1
    by_system: dict[str, tuple[int, str]] = {}
    title_counted = False
    for system in view.systems:
        n = len(system.flagged_units)
        if not system.external:  # the title is translated by this pipeline only
            n, title_counted = n + flagged_title, True
        if n:
            by_system[system.name] = (n, system.units_word(n))
        for name, count in system.flag_counts.items():
            flags[name] = flags.get(name, 0) + count
    flagged = sum(n for n, _ in by_system.values()) + (0 if title_counted else flagged_title)
    return {
        "diagnosed": diagnosed,
        "flagged_units": flagged,
        "flags": {name: flags[name] for name in [*DIAGNOSTICS, *sorted(flags)] if name in flags},
        "flagged": flagged > 0,
        "by_system": by_system,
    }


def _external_sentences(piece: Piece) -> list[Segment]:
    """Sentences of a translation that came with the input (JSONL from another MT system).

    Such a piece has no segments; the aligner splits its translation with the
    English splitter, so the pair indices of its matches count these sentences.
    The Arabic side is not split per sentence, hence empty texts. Each sentence
    carries the diagnostics of the part (paragraph) it is in, when splitting
    part by part gives the same sentences as splitting the whole.
    """
    if not piece.translation or piece.lang == "en":
        return []
    sentences = split_english(piece.translation)
    diagnostics: list[dict[str, Any] | None] = [None] * len(sentences)
    current = piece.external_translations[0] if piece.external_translations else None
    if current is not None and current.diagnostics and len(current.diagnostics) == len(current.parts):
        by_part = [(d, split_english(part)) for d, part in zip(current.diagnostics, current.parts)]
        if [x for _, split in by_part for x in split] == sentences:
            diagnostics = [d for d, split in by_part for _ in split]
    return [
        Segment(
            piece_id=piece.id,
            paragraph_index=0,
            sentence_index=i,
            text="",
            translation=sentence,
            model=piece.model,
            diagnostics=diagnostics[i],
        )
        for i, sentence in enumerate(sentences)
    ]


def _systems(piece: Piece, body: list[Segment]) -> list[SystemView]:
    """Every system's translation of the piece with both sides of each unit, the aligned (current) one first.

    This pipeline's translation is one system when it is complete (it is then
    the current one), or, still pending, when no other system translated the
    piece (its pending sentences have empty translations). Each translation
    that came with the input is another.
    """
    out: list[SystemView] = []
    if piece.lang == "en":
        return out
    ours_complete = bool(body) and not piece.external and piece.translation is not None
    if body and (ours_complete or not piece.external_translations):
        name = piece.model or _model_of(body) or "this pipeline's model"
        units = [
            TranslatedUnit(
                f"body:{i}", "sentence", s.text, s.translation or "", s.raw_translation, name, s.created_at, s.diagnostics
            )
            for i, s in enumerate(body)
        ]
        out.append(SystemView(name, False, "sentence", units, piece.translation or "", True, ours_complete, piece.input_id))
    for i, external in enumerate(piece.external_translations):
        if external.unit == "paragraph" and len(external.parts) == len(piece.paragraphs):
            found = _part_diagnostics(external.diagnostics, len(external.parts))
            units = [
                TranslatedUnit(f"paragraph:{p.index}", "paragraph", p.text, part, raw, external.system, None, found[k])
                for k, (p, part, raw) in enumerate(zip(piece.paragraphs, external.parts, external.raw_parts))
            ]
            unit = "paragraph"
        else:
            # kept whole, or paired as a whole by the diagnose stage when the paragraphs did not line up
            whole = _part_diagnostics(external.diagnostics, 1)[0]
            units = [TranslatedUnit("piece", "piece", piece.text, external.text, external.raw, external.system, None, whole)]
            unit = "piece"
        aligned = piece.external and i == 0
        out.append(
            SystemView(external.system, True, unit, units, external.text, aligned, True, external.input_id or piece.input_id)
        )
    return out


def _part_diagnostics(stored: list[dict[str, Any] | None] | None, parts: int) -> list[dict[str, Any] | None]:
    """The stored diagnostics of each of `parts` parts (None each when there are none, or not one per part)."""
    return list(stored) if stored is not None and len(stored) == parts else [None] * parts


def _model_of(body: list[Segment]) -> str | None:
    return next((s.model for s in body if s.model), None)


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
