"""`align_pieces`: translated pieces × English pieces → matches and abstentions (pure, no store).

Steps: sentences of both sides → one shared sparse feature space
(:mod:`~pipeline.align.vectors`) → candidates per translation
(:mod:`~pipeline.align.candidates`) → each candidate pair scored from its own
evidence (:mod:`~pipeline.align.scoring`) → pairs at or above the threshold
become matches (at most `max_matches` per translation), everything else is
an abstention with its reason → sentence pairs inside each match
(:mod:`~pipeline.align.sentences`).

The threshold stands for a false-match rate (:mod:`~pipeline.align.calibration`);
short pieces (teasers, one or two sentences) need a shared sentence and a
higher threshold, so a single shared name never makes a match. Sentences
that diagnostics flagged (loops, Arabic left, not English) are left out of
the evidence but keep their index. Translations are scored in blocks of
`BLOCK`, in date order, so the character vectors of only the pieces within
reach are held at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from pipeline.align import bounds as bounds_
from pipeline.align import entities as ents
from pipeline.align import features as features_
from pipeline.align import pairmodel
from pipeline.align import profile as profile_
from pipeline.align.candidates import candidates as find_candidates
from pipeline.align.scoring import (
    Components,
    date_proximity,
    link_floor,
    shared_sentence_evidence,
)
from pipeline.align.sentences import (
    WORD_SHARE,
    Link,
    best_pairs,
    merged_similarity,
    monotonic_pairs,
    similarity,
    strong_links,
)
from pipeline.align.text import FACT_WORDS, is_fact, numbers, words
from pipeline.align.vectors import Doc, PieceVectors, Vectors, build_vectors, stack
from pipeline.config import Settings
from pipeline.progress import QUIET, Reporter
from pipeline.records import Match, Piece, Relation
from pipeline.text.dates import iso_date as parse_date
from pipeline.text.normalise import fold_typography
from pipeline.text.sentences import split_english_numbered


class AlignSettings(Settings):
    """`pipeline align`: translated pieces × English pieces → matches; figures in benchmarks/README.md (held out)."""

    model: Path | None = None
    """The pair model (same event / related / none) as `python benchmarks/train_align.py --out FILE` writes it; null: the
    one shipped with the package (pipeline/align/pair_model.json, fitted on real comparable news)."""
    threshold: float | None = Field(None, ge=0, le=1)
    """P(same event) at or above which a pair is a match; null: the model's own (pair_model.json, held-out figures there),
    or with `calibration: annotations` the one fitted on the store's judged pairs."""
    related_threshold: float | None = Field(None, ge=0, le=1)
    """P(related: same story thread, another event) at or above which a pair that is no match is shown as related
    coverage; null: the model's own."""
    max_related: int = Field(5, ge=0, le=10_000)
    """Related pieces kept per translation (most likely first)."""
    max_false_match_rate: float = Field(0.02, gt=0.0, lt=1.0)
    """With `calibration: annotations`: the share of pairs reviewers judged not the same event that may match; the
    threshold is fitted to it on the judged pairs."""
    short_sentences: int = Field(2, ge=0, le=10_000)
    """A translation of at most this many sentences (or kind "teaser") is short (a pair feature the model weighs)."""
    short_words: int = Field(25, ge=0, le=1_000_000)
    """... as is one with fewer content words."""
    max_matches: int = Field(3, ge=1, le=10_000)
    """English matches kept per translation (best first, all at or above the threshold)."""
    candidates: int = Field(20, ge=1, le=100_000)
    """English candidates re-ranked per translation (from the sparse stem index)."""
    candidate_floor: float = Field(0.02, ge=0, le=1)
    """Minimum query cosine to become a candidate."""
    query_terms: int = Field(40, ge=1, le=100_000)
    """Heaviest stems of a translation used as its query (keeps the index lookup sub-quadratic)."""
    date_window_days: int = Field(30, ge=-1, le=36_500)
    """When both dates are known, candidates must be this close (-1: no date blocking)."""
    date_scale_days: float = Field(14.0, ge=0.01, le=36_500)
    """Publication-date feature = exp(-gap_days / scale): analysis pieces often follow the news by a week or two."""
    sentence_threshold: float = Field(0.38, ge=0, le=1)
    """Character n-gram cosine at which a sentence pair counts as half a shared fact."""
    sentence_softness: float = Field(0.06, ge=0.001, le=1)
    """Width of that soft step."""
    min_shared_sentences: int = Field(2, ge=1, le=10_000)
    """Shared facts that make full sentence evidence (1 for one-sentence items)."""
    passage_weight: float = Field(0.25, ge=0, le=1)
    """A link continuing a shared passage (next sentence to next sentence on both sides) counts this much of a fact."""
    pair_threshold: float = Field(0.35, ge=0, le=1)
    """Sentence pairs reported inside a match (best mode) need this similarity."""
    entity_scale: float = Field(10.0, ge=0.01, le=10_000)
    """Summed rarity of shared names at which entity evidence reaches 63% (one unseen name: 5.8)."""
    length_exponent: float = Field(0.25, ge=0, le=10)
    """Shared-fact similarity × (shorter/longer sentence length) ** this."""
    number_bonus: float = Field(0.05, ge=0, le=1)
    """± to a sentence pair's shared-fact similarity when both hold numbers that agree / all differ."""
    min_words: int = Field(3, ge=0, le=1_000_000)
    """Translations with fewer content words abstain as too short."""
    sentence_mode: Literal["best", "monotonic"] = "best"
    """best: each translated sentence to its best English one (coverage); monotonic: dynamic programming for parallel text."""
    monotonic_skip_cost: float = Field(0.15, ge=0, le=1)
    """Monotonic mode: a link must beat this similarity."""
    monotonic_merge_penalty: float = Field(0.05, ge=0, le=1)
    """Monotonic mode: extra cost of a 1-2 / 2-1 link."""
    char_min_weight: float = Field(0.0, ge=0, le=100)
    """Character n-grams for all words (0) or only words at least this rare."""
    one_to_one: bool = False
    """Mining mode (bitext mining): each English piece backs at most one translation, greedy best score first; off for
    news, where several outlets' translations may match one English article."""
    one_to_one_threshold: float = Field(0.02, ge=0, le=1)
    """P(same event) floor in mining mode (competition, not the score alone, rules out near misses)."""
    exclude_flags: list[str] = Field(default_factory=lambda: ["repetition", "arabic_script", "not_english", "copied_source"])
    """Diagnostics flags that leave a translated sentence out of the matching evidence (a loop or untranslated text
    must not hide a piece's coverage); the match records which sentences were left out."""
    calibration: Literal["model", "annotations"] = "model"
    """Where the operating point comes from: the pair model's own threshold, or the reviewers' judged pairs in the
    store, refitted on every align run (`--calibrate-from-annotations`; pipeline/align/labels.py, docs/annotation.md)."""
    calibration_min_labels: int = Field(20, ge=6)
    """Judged pairs needed to calibrate from annotations (fewer: refused, saying how many there are)."""
    calibration_folds: int = Field(5, ge=2)
    """Cross-validation folds (grouped by translated piece) for the figures a calibration reports."""


@dataclass
class Candidate:
    target_id: str
    components: Components
    score: float  # P(same event)
    shared_entities: list[ents.EntityMatch]
    strong: list[Link]  # one-to-one shared facts: (source, target, similarity, n source, n target sentences)
    target_index: int
    short: bool = False  # the translated piece is short
    features: dict[str, float] = field(default_factory=dict)  # the pair features (pipeline/align/features.py)
    probabilities: tuple[float, float, float] = (0.0, 0.0, 1.0)  # P(same event), P(related), P(none)

    @property
    def related(self) -> float:
        return self.probabilities[1]


@dataclass(frozen=True)
class Nearest:
    """The best candidate of a piece that abstained: the English piece, its score, and the bar it fell short of.

    Kept as data beside the abstention's reason so the report and exports can
    rank near misses without reading numbers back out of a sentence.
    """

    target_id: str
    score: float
    threshold: float | None  # None: the bar was not a score (a short piece sharing no sentence)


# Why a piece has no match, in kinds a summary can count (the reason says the same in words, with the numbers).
AbstentionKind = Literal[
    "empty translation",
    "too short",
    "all sentences flagged",
    "no English pieces",
    "no candidate",
    "below threshold",
    "short piece, no shared sentence",
    "best candidate taken (one-to-one)",
    "no translation",
]


@dataclass
class AlignResult:
    matches: list[Match] = field(default_factory=list)
    related: list[Match] = field(default_factory=list)  # same story thread, another event (relation "related")
    abstentions: dict[str, str] = field(default_factory=dict)  # piece id -> reason
    kinds: dict[str, AbstentionKind] = field(default_factory=dict)  # piece id -> what kind of abstention
    nearest: dict[str, Nearest] = field(default_factory=dict)  # abstaining piece id -> its best candidate
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # kept English id -> identical ids dropped
    scored_pairs: int = 0
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # only with collect_candidates
    excluded: dict[str, list[int]] = field(default_factory=dict)  # piece id -> flagged sentence indices left out of the evidence

    def abstain(self, piece_id: str, kind: AbstentionKind, reason: str, nearest: Nearest | None = None) -> None:
        """Record that `piece_id` has no match: the kind, the reason in words, and its best candidate if it had one."""
        self.abstentions[piece_id] = reason
        self.kinds[piece_id] = kind
        if nearest is not None:
            self.nearest[piece_id] = nearest

    def as_dict(self) -> dict:
        return {
            "matches": len(self.matches),
            "related": len(self.related),
            "abstentions": len(self.abstentions),
            "scored_pairs": self.scored_pairs,
        }


def _text_key(piece: Piece) -> str:
    return hashlib.sha256(" ".join(fold_typography(piece.text).casefold().split()).encode()).hexdigest()


def dedupe_english(english: list[Piece]) -> tuple[list[Piece], dict[str, list[str]]]:
    """Identical English texts collapse onto the smallest id (deterministic); the others are recorded."""
    groups: dict[str, list[Piece]] = {}
    for p in english:
        groups.setdefault(_text_key(p), []).append(p)
    kept, dropped = [], {}
    for group in groups.values():
        group.sort(key=lambda p: p.id)
        kept.append(group[0])
        if len(group) > 1:
            dropped[group[0].id] = [p.id for p in group[1:]]
    kept.sort(key=lambda p: p.id)
    return kept, dropped


def _number_matrix(sentences: list[str], stated: list[frozenset[str]] | None = None) -> sp.csr_matrix:
    """Sentences × distinct quantities (binary), so number agreement is one sparse product."""
    ids: dict[str, int] = {}
    rows, cols = [], []
    for r, sentence in enumerate(sentences):
        for num in stated[r] if stated is not None else numbers(sentence):
            rows.append(r)
            cols.append(ids.setdefault(num, len(ids)))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sentences), max(1, len(ids))))


LEAD_LINK = 2  # lead sentences compared for lead_link / lead_found (pipeline/align/features.py)


class _Prepared:
    """Both sides in one feature space, with per-piece profiles (names, lead, figures, event time) computed on demand."""

    def __init__(
        self,
        src: list[Piece],
        src_sents: list[list[str]],
        tgt: list[Piece],
        tgt_sents: list[list[str]],
        s: AlignSettings,
        model: pairmodel.PairModel | None = None,
    ):
        docs = [Doc(ss, p.title_translation) for p, ss in zip(src, src_sents)]
        docs += [Doc(ts, p.title) for p, ts in zip(tgt, tgt_sents)]
        self.v: Vectors = build_vectors(docs, s.char_min_weight)
        self.n_src = len(src)
        self.pieces_: list[Piece] = src + tgt
        self.sents = src_sents + tgt_sents
        self.titles = [p.title_translation for p in src] + [p.title for p in tgt]
        flat = [x for ss in self.sents for x in ss]
        self.lengths = np.array([max(1, len(x)) for x in flat], dtype=np.float64)
        figures = self.v.sent_figures
        self.stated = [numbers(x) if figures[k] else frozenset() for k, x in enumerate(flat)]
        self.numbers = _number_matrix(flat, self.stated)
        self.has_number = np.diff(self.numbers.indptr) > 0
        # sentences that can be a shared fact (not a dateline, a byline); a sentence one fact word short is read
        self.fact = self.v.sent_facts >= FACT_WORDS
        for k in np.flatnonzero(self.v.sent_facts == FACT_WORDS - 1):
            self.fact[k] = is_fact(flat[k], FACT_WORDS - 1)
        self.lexical: dict[tuple[int, int], float] = {}
        self.lines: list[list[int] | None] = [None] * len(self.sents)  # line of each sentence (split texts); None: each its own
        self._profiles: dict[int, profile_.Profile] = {}
        self._pieces: dict[int, PieceVectors] = {}  # character vectors of the pieces being scored (see load/evict)
        self.model = model or pairmodel.load(s.model)
        self.threshold = self.model.threshold if s.threshold is None else s.threshold
        self.related_threshold = self.model.related_threshold if s.related_threshold is None else s.related_threshold
        self._sims: tuple[int, np.ndarray, dict[int, tuple[int, int]]] = (-1, np.zeros((0, 0)), {})
        self.weights = self.model.same_vs_none()  # one dict, shared by every match's evidence (read only)
        self.short: list[str | None] = [None] * len(src)  # why each translated piece is short, None if not
        self.excluded: list[list[int]] = [[] for _ in src]  # flagged sentences left out of each piece's evidence
        self.point: str | None = None  # where an explicit threshold came from, when not the user (align_pieces)

    def rows(self, doc: int) -> slice:
        return self.v.sentences_of(doc)

    def load(self, docs: list[int]) -> None:
        """Compute the vectors of the pieces in `docs` that are not cached yet, in one batch."""
        missing = sorted({d for d in docs if d not in self._pieces})
        self._pieces.update(zip(missing, self.v.pieces(missing)))

    def piece(self, doc: int) -> PieceVectors:
        if doc not in self._pieces:
            self.load([doc])
        return self._pieces[doc]

    def evict(self, docs: list[int]) -> None:
        """Drop the vectors and profiles of `docs` (memory stays bounded by the pieces in reach)."""
        for d in docs:
            self._pieces.pop(d, None)
            self._profiles.pop(d, None)

    def keep_similarities(self, i: int, sims: np.ndarray, docs: list[int], widths: list[int]) -> None:
        """Keep translated piece `i`'s sentence similarities against its candidates `docs` (columns side by side,
        `widths` each) until the next piece is scored: its matches' sentence pairs read them instead of recomputing."""
        starts = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        self._sims = (i, sims, {d: (int(starts[k]), int(starts[k + 1])) for k, d in enumerate(docs)})

    def similarities(self, i: int, doc: int) -> np.ndarray:
        """Sentence × sentence similarities of translated piece `i` and English piece `doc`."""
        kept_i, sims, cols = self._sims
        if kept_i == i and doc in cols:
            lo, hi = cols[doc]
            return sims[:, lo:hi]
        a, b = self.piece(i), self.piece(doc)
        return similarity(a.similarity_word, a.char, b.similarity_word, b.char)

    def cached(self) -> list[int]:
        return list(self._pieces)

    def profile(self, doc: int) -> profile_.Profile:
        if doc not in self._profiles:
            piece = self.pieces_[doc]
            translated = doc < self.n_src
            rows = self.rows(doc)
            self._profiles[doc] = profile_.build(
                self.sents[doc],
                self.titles[doc],
                piece.date,
                original_title=piece.title if translated else None,
                original_text=piece.text if translated and piece.text != piece.translation else None,
                stated=self.stated[rows.start : rows.stop],
                fact=self.fact[rows.start : rows.stop].tolist(),
                stems=self.v.stems_of(doc),
            )
        return self._profiles[doc]

    def entities(self, doc: int) -> ents.EntitySet:
        return self.profile(doc).names

    def lead_rows(self, doc: int) -> np.ndarray:
        """The first LEAD_LINK sentences of `doc` that state a fact (indices into its sentences)."""
        rows = self.rows(doc)
        return np.flatnonzero(self.fact[rows.start : rows.stop])[:LEAD_LINK]


def is_short(piece: Piece, sentences: list[str], n_words: int, settings: AlignSettings) -> str | None:
    """Why the piece is short (a teaser, one or two sentences, few content words), or None when it is not."""
    n_sent = sum(1 for x in sentences if x.strip())
    if piece.kind == "teaser":
        return "a teaser"
    if n_sent <= settings.short_sentences:
        return f"{n_sent} sentence{'s' if n_sent != 1 else ''}"
    if n_words < settings.short_words:
        return f"{n_words} content words"
    return None


def _content_words_up_to(sentences: list[str], enough: int) -> int:
    """The content words of `sentences`, counted only until there are `enough`: the length checks (too short to
    match, short) need no more, and counting every word of every piece cost ~5% of a 10k x 10k run."""
    n = 0
    for x in sentences:
        n += len(words(x))
        if n >= enough:
            break
    return n


def _excluded_note(excluded: list[int]) -> str:
    return f" (sentences {', '.join(map(str, excluded))} left out: flagged by diagnostics)" if excluded else ""


def align_pieces(
    translated: list[Piece],
    english: list[Piece],
    settings: AlignSettings,
    source_sentences: dict[str, list[str]] | None = None,
    reporter: Reporter = QUIET,
    collect_candidates: bool = False,
    *,
    flagged: Mapping[str, Collection[int]] | None = None,
    model: pairmodel.PairModel | None = None,
    point: str | None = None,
) -> AlignResult:
    """Match each translated piece to the English pieces that cover the same event, or abstain.

    `source_sentences[piece_id]` gives the translated sentences in the order
    of the source segments (so pair indices map back to the Arabic); pieces
    without it have `translation` split into sentences. `flagged[piece_id]`
    holds indices into those sentences that reference-free diagnostics
    flagged (a looping output, Arabic left in, not English): they are left
    out of all the evidence (they keep their index, so pairs still map to
    segment i), and the match or abstention says so. `point` says where the
    settings' explicit threshold came from (one fitted on reviewers' labels):
    each same-event match's evidence names it as its operating point.
    """
    result = AlignResult()
    source_sentences = source_sentences or {}
    flagged = flagged or {}
    src, src_sents, src_lines, shorts = [], [], [], []
    for p in sorted(translated, key=lambda p: p.id):
        sents = source_sentences.get(p.id)
        # segment sentences are kept as they are, empty ones included: index i must stay Arabic segment i
        lines = None
        if sents is not None:
            sents = [fold_typography(x or "") for x in sents]
        else:
            sents, lines = split_english_numbered(p.translation)
        excluded = sorted({int(k) for k in flagged.get(p.id, ()) if 0 <= int(k) < len(sents)})
        if excluded:
            result.excluded[p.id] = excluded
            sents = ["" if k in excluded else x for k, x in enumerate(sents)]
        n_words = _content_words_up_to(sents, max(settings.min_words, settings.short_words))
        if n_words < settings.min_words:
            if excluded and len(excluded) == len(sents):
                result.abstain(
                    p.id,
                    "all sentences flagged",
                    f"nothing left to match: all {len(sents)} sentences of the translation are flagged by diagnostics",
                )
                continue
            what = (
                "empty translation"
                if n_words == 0
                else f"translation too short to match ({n_words} content word{'s' if n_words != 1 else ''}; need {settings.min_words})"
            )
            result.abstain(p.id, "empty translation" if n_words == 0 else "too short", what + _excluded_note(excluded))
            continue
        src.append(p)
        src_sents.append(sents)
        src_lines.append(lines)
        shorts.append(is_short(p, sents, n_words, settings))
    tgt, result.duplicates = dedupe_english(english)
    if not src:
        return result
    if not tgt:
        for p in src:
            result.abstain(p.id, "no English pieces", "no English pieces to match against")
        return result
    tgt_sents, tgt_lines = map(list, zip(*(split_english_numbered(p.text) for p in tgt)))
    prep = _Prepared(src, src_sents, tgt, tgt_sents, settings, model)
    prep.lines = src_lines + tgt_lines
    prep.short = shorts
    prep.excluded = [result.excluded.get(p.id, []) for p in src]
    prep.point = point
    n = len(src)
    src_dates = [parse_date(p.date) for p in src]
    tgt_dates = [parse_date(p.date) for p in tgt]
    cands = find_candidates(
        prep.v.doc_word[:n],
        prep.v.doc_word[n:],
        src_dates,
        tgt_dates,
        settings.candidates,
        settings.candidate_floor,
        settings.query_terms,
        settings.date_window_days,
    )
    all_scored: list[list[Candidate]] = [[] for _ in src]
    t_ord = np.array([d.toordinal() if d else -1 for d in tgt_dates])
    with reporter.task("aligning", total=n, unit="pieces") as bar:
        for block, reach in _blocks(src_dates, settings.date_window_days):
            prep.load(list(block) + sorted({n + t for i in block for t, _ in cands[i]}))
            prep.lexical = _pair_cosines(prep, {i: cands[i] for i in block}, n)
            for i in block:
                needed = None if collect_candidates else _needed(settings, prep)
                scored = _score_candidates(prep, i, cands[i], tgt, src_dates[i], tgt_dates, settings, needed)
                result.scored_pairs += len(cands[i])  # every candidate was weighed, if only by its bound
                cands[i] = []  # done with: 100k pieces' candidate lists are ~0.2 GB
                for c in scored:
                    c.short = shorts[i] is not None
                if collect_candidates:
                    result.candidates[src[i].id] = scored
                if settings.one_to_one:  # kept only here: all pairs' candidates would take ~1 GB per 30k pieces
                    all_scored[i] = scored
                else:
                    _decide(src[i], scored, prep, i, settings, result, src_dates[i] is not None)
                bar.advance()
            # English pieces dated before everything still to come (minus the window) are out of reach
            prep.evict(list(block) + [d for d in prep.cached() if d >= n and 0 <= t_ord[d - n] < reach])
    if settings.one_to_one:
        _decide_one_to_one(src, all_scored, prep, settings, result, [d is not None for d in src_dates])
    result.matches.sort(key=lambda m: m.source_id)  # stable: each piece's matches stay best first
    result.abstentions = dict(sorted(result.abstentions.items()))
    return result


def _needed(s: AlignSettings, prep: _Prepared) -> float:
    """The lowest P(same event) with which a candidate could still become a match."""
    if s.one_to_one:
        return s.one_to_one_threshold
    return prep.threshold


BLOCK = 256  # translated pieces scored per block (their candidates' vectors are computed together)


def _blocks(dates: list[date | None], window_days: int) -> list[tuple[list[int], int]]:
    """Translated pieces in date order (undated last), in blocks, each with the earliest date still in reach after it.

    English pieces dated before that ordinal can no longer be a candidate of
    a later block (candidates are within `window_days`), so their vectors can go.
    """
    ords = np.array([d.toordinal() if d else np.iinfo(np.int64).max for d in dates])
    order = [int(i) for i in np.argsort(ords, kind="stable")]
    blocks = [order[k : k + BLOCK] for k in range(0, len(order), BLOCK)]
    out = []
    for k, block in enumerate(blocks):
        nxt = blocks[k + 1][0] if k + 1 < len(blocks) else None
        reach = -1
        if nxt is not None and dates[nxt] is not None and window_days >= 0:
            reach = int(ords[nxt]) - window_days
        out.append((block, reach))
    return out


def _decide_one_to_one(
    src: list[Piece], scored: list[list[Candidate]], prep: _Prepared, s: AlignSettings, result: AlignResult, dated: list[bool]
) -> None:
    """Mining mode: a greedy one-to-one assignment, best score first, over all pairs at or above the mining floor.

    For sentence mining (a translation and its source sentence), where each
    English item has at most one counterpart, the strongest competitor is
    evidence the score alone cannot give: a near miss loses its English item
    to the true translation, which scores higher (the idea of margin-based
    mining, Artetxe & Schwenk 2019, as a hard constraint). The scores are
    unchanged and still depend on the two pieces alone; which pairs become
    matches depends on the batch, by design. Ties go to the smaller ids.
    """
    pairs = sorted(
        ((c.score, i, c) for i, cs in enumerate(scored) for c in cs if c.score >= s.one_to_one_threshold),
        key=lambda p: (-p[0], src[p[1]].id, p[2].target_id),
    )
    taken: dict[str, str] = {}
    done: set[int] = set()
    for _, i, c in pairs:
        if i in done or c.target_id in taken:
            continue
        done.add(i)
        taken[c.target_id] = src[i].id
        result.matches.append(_match(src[i], c, 1, prep, i, s, result.duplicates.get(c.target_id, [])))
    for i, piece in enumerate(src):
        if i in done:
            continue
        if not scored[i]:
            _decide(piece, scored[i], prep, i, s, result, dated[i])
            continue
        best = scored[i][0]
        near = Nearest(best.target_id, best.score, s.one_to_one_threshold)
        if best.target_id in taken and best.score >= s.one_to_one_threshold:
            result.abstain(
                piece.id,
                "best candidate taken (one-to-one)",
                f"no English coverage found (one-to-one): best candidate {best.target_id} ({best.score:.3f}) "
                f"went to {taken[best.target_id]}, and no other candidate scored >= {s.one_to_one_threshold}",
                near,
            )
        else:
            result.abstain(
                piece.id,
                "below threshold",
                f"no English coverage found: best candidate {best.target_id} scored {best.score:.3f} "
                f"< one-to-one threshold {s.one_to_one_threshold}",
                near,
            )


def _pair_cosines(prep: _Prepared, cands: dict[int, list[tuple[int, float]]], n: int) -> dict[tuple[int, int], float]:
    """Whole-piece lexical similarity (mean of stem and character cosines) of every candidate pair of the translated
    pieces in `cands` (piece → its candidates), in one pass."""
    pairs = [(i, t) for i, row in cands.items() for t, _ in row]
    if not pairs:
        return {}
    v = prep.v
    a = np.array([i for i, _ in pairs])
    b = np.array([n + t for _, t in pairs])
    out: dict[tuple[int, int], float] = {}
    for lo in range(0, len(pairs), 2048):  # chunks: gathered rows of long pieces are large
        sl = slice(lo, lo + 2048)
        word = np.asarray(v.doc_word[a[sl]].multiply(v.doc_word[b[sl]]).sum(axis=1)).ravel()
        ca = stack([prep.piece(int(d)).doc_char for d in a[sl]])
        cb = stack([prep.piece(int(d)).doc_char for d in b[sl]])
        char = np.asarray(ca.multiply(cb).sum(axis=1)).ravel()
        out.update({p: float(np.clip((w + c) / 2, 0, 1)) for p, w, c in zip(pairs[sl], word, char)})
    return out


def _score_candidates(
    prep: _Prepared,
    i: int,
    cands: list[tuple[int, float]],
    tgt: list[Piece],
    d_src: date | None,
    tgt_dates: list[date | None],
    s: AlignSettings,
    needed: float | None = None,
) -> list[Candidate]:
    """The candidates of translated piece `i`, scored, best first.

    With `needed` (the lowest P(same event) that could still make a match),
    a candidate whose bounds (:mod:`pipeline.align.bounds`) are below
    `needed` for P(same event), below the related threshold for P(related)
    and below the best exact P(same event) so far is not scored: it can be
    neither a match, related coverage nor the best candidate an abstention
    names, so the result is the same without the cost of its sentence links
    and names. Without it (the harness, which keeps every candidate's
    features), all are scored.
    """
    if not cands:
        return []
    n = prep.n_src
    t_docs = [n + t for t, _ in cands]
    src_rows = prep.rows(i)
    t_rows = [prep.rows(d) for d in t_docs]
    stacked = np.concatenate([np.arange(r.start, r.stop) for r in t_rows])
    sv, tvs = prep.piece(i), [prep.piece(d) for d in t_docs]
    t_char = stack([x.char for x in tvs])
    t_word = stack([x.similarity_word for x in tvs]) if WORD_SHARE else t_char  # the same stand-in, stacked once
    sims = similarity(sv.similarity_word, sv.char, t_word, t_char)
    prep.keep_similarities(i, sims, t_docs, [r.stop - r.start for r in t_rows])
    lexical = prep.lexical
    if any((i, t) not in lexical for t, _ in cands):
        lexical = _pair_cosines(prep, {i: cands}, n)
    n_src = src_rows.stop - src_rows.start
    t_adj = (np.concatenate([x.adjacent for x in tvs]), np.concatenate([x.norms2 for x in tvs]))
    one, one_two, two_one = fact_links(
        prep, sims, np.arange(src_rows.start, src_rows.stop), stacked, s, (sv.adjacent, sv.norms2), t_adj
    )
    floor = link_floor(s.sentence_threshold, s.sentence_softness)
    blocks, col = [], 0
    for (t, _), rows in zip(cands, t_rows):
        width = rows.stop - rows.start
        blocks.append((t, width, (one[:, col : col + width], one_two[:, col : col + width - 1], two_one[:, col : col + width])))
        col += width
    short = prep.short[i] is not None
    reads = _read_off(one, prep.lead_rows(i), [prep.lead_rows(n + t) for t, _, _ in blocks], [w for _, w, _ in blocks])
    a = prep.profile(i)
    shared = [ents.match(a.names, prep.profile(n + t).names) for t, _, _ in blocks]
    # every feature but those of the greedy sentence links, exact for every candidate
    exact = [
        features_.pair_values(
            a,
            prep.profile(n + t),
            sentences=0.0,
            facts=0.0,
            read=read,
            lexical=lexical[(i, t)],
            names=ents.overlap(names, s.entity_scale),
            shared=names,
            short=short,
            date_scale_days=s.date_scale_days,
        )
        for (t, _, _), read, names in zip(blocks, reads, shared)
    ]
    order, bounds = _by_bound(prep, blocks, (one, one_two, two_one), np.array(exact), s, needed)
    out: list[Candidate] = []
    best = -1.0
    for k in order:
        if needed is not None and bounds[k] < best - BOUND_MARGIN:
            break  # neither a match, related coverage nor the best candidate, nor is any after it
        t, width, block = blocks[k]
        gap = date_proximity(d_src, tgt_dates[t], s.date_scale_days)[1]  # reported, not a feature: scored ones only
        strong = strong_links(*block, floor)
        evidence, count = shared_sentence_evidence(
            strong,
            n_src,
            width,
            s.sentence_threshold,
            s.sentence_softness,
            s.min_shared_sentences,
            s.passage_weight,
            _lines(prep, i),
            _lines(prep, n + t),
        )
        f = features_.named(exact[k]) | {"sentences": evidence, "facts": min(count, features_.MAX_FACTS) / features_.MAX_FACTS}
        comp = Components(shared_sentences=count, date_gap_days=gap)
        probs = prep.model.probabilities(np.array(features_.vector(f)))[0]
        score = round(float(probs[0]), 6)
        best = max(best, score)
        out.append(
            Candidate(
                tgt[t].id,
                comp,
                score,
                shared[k],
                strong,
                t,
                short,
                f,
                (score, round(float(probs[1]), 6), round(float(probs[2]), 6)),
            )
        )
    out.sort(key=lambda c: (-c.score, c.target_id))
    return out


def _read_off(one: np.ndarray, lead_a: np.ndarray, leads_b: list[np.ndarray], widths: list[int]) -> list[dict[str, float]]:
    """lead_link and lead_found (features.READ_OFF_LINKS) of every candidate, from the 1-1 shared-fact similarities
    of the translation's sentences (rows) against all candidates' sentences side by side (columns, `widths` each)."""
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.intp)
    out = [dict.fromkeys(features_.READ_OFF_LINKS, 0.0) for _ in widths]
    has = [k for k, lead in enumerate(leads_b) if len(lead) and widths[k]]
    if one.size == 0 or not len(lead_a) or not has:
        return out
    first_row = np.maximum.reduceat(one[lead_a[0]], starts) if len(starts) else np.zeros(0)  # its best in each candidate
    cols = np.concatenate([starts[k] + leads_b[k] for k in has])
    owner = np.repeat(np.arange(len(has)), [len(leads_b[k]) for k in has])
    lead_cols = one[lead_a][:, cols].max(axis=0)  # per lead column: its best against the translation's lead
    link = np.full(len(has), -np.inf)
    np.maximum.at(link, owner, lead_cols)
    first_cols = one[:, starts[has] + np.array([leads_b[k][0] for k in has])].max(axis=0)
    for j, k in enumerate(has):
        out[k] = {"lead_link": float(link[j]), "lead_found": (float(first_row[k]) + float(first_cols[j])) / 2}
    return out


def _by_bound(
    prep: _Prepared,
    blocks: list[tuple[int, int, tuple[np.ndarray, np.ndarray, np.ndarray]]],
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    exact: np.ndarray,
    s: AlignSettings,
    needed: float | None,
) -> tuple[list[int], list[float]]:
    """The order to score the candidates in (best bound first) and their bounds (:mod:`pipeline.align.bounds`).

    Every feature but those of the greedy sentence links is exact (`exact`);
    those are bounded. A candidate's bound is its P(same event) bound,
    raised to 1 when it could still be a match or related coverage (its
    P(same event) bound reaches `needed`, or its P(related) bound the related
    threshold): such a candidate is always scored. Without `needed`, or with
    an English piece without sentences among them, every bound is 1: all
    candidates are scored.
    """
    order = list(range(len(blocks)))
    widths = [width for _, width, _ in blocks]
    if needed is None or not all(widths):
        return order, [1.0] * len(blocks)
    sentences, facts = bounds_.evidence_bounds(
        *links, widths, s.sentence_threshold, s.sentence_softness, s.min_shared_sentences, s.passage_weight
    )
    low, high = bounds_.feature_box(exact, sentences, facts)
    same = prep.model.bounds(low, high, "same_event")
    related = prep.model.bounds(low, high, "related")
    live = (same >= needed - BOUND_MARGIN) | (related >= prep.related_threshold - BOUND_MARGIN)
    bounds = np.where(live, 1.0, same).tolist()
    order.sort(key=lambda k: -bounds[k])  # the live ones first, then by bound: scoring stops at the first that cannot matter
    return order, bounds


BOUND_MARGIN = 1e-6  # scores are rounded to 6 decimals: a bound must clear a value by more than that to rule it out


def _lines(prep: _Prepared, doc: int) -> list[int]:
    """The line of each sentence of `doc`; given sentences (segments) are each a line of their own."""
    lines = prep.lines[doc]
    return lines if lines is not None else list(range(len(prep.sents[doc])))


def _adjust(
    sims: np.ndarray,
    ls: np.ndarray,
    lt: np.ndarray,
    has_s: np.ndarray,
    has_t: np.ndarray,
    agree: np.ndarray | None,
    s: AlignSettings,
) -> np.ndarray:
    """Sentence similarity adjusted for shared-fact evidence: lengths must be comparable, numbers agree.

    A translation and its source sentence have similar lengths; a same-topic
    sentence often has not. Numbers are facts: when both sentences hold some,
    sharing one is evidence for, sharing none is evidence against.
    """
    ratio = np.minimum(ls[:, None], lt[None, :]) / np.maximum(ls[:, None], lt[None, :])
    adj = sims * ratio**s.length_exponent
    if s.number_bonus and agree is not None:
        both = has_s[:, None] & has_t[None, :]
        adj = adj + s.number_bonus * np.where(both, np.where(agree, 1.0, -1.0), 0.0)
    return np.clip(adj, 0.0, 1.0)


Neighbours = tuple[np.ndarray, np.ndarray]  # (row k · row k+1, 0 for a piece's last row; squared norm of each row)


def fact_links(
    prep: _Prepared,
    sims: np.ndarray,
    src_rows: np.ndarray,
    tgt_rows: np.ndarray,
    s: AlignSettings,
    src_nb: Neighbours,
    tgt_nb: Neighbours,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared-fact similarities of 1-1, 1-2 and 2-1 sentence links (see :func:`~pipeline.align.sentences.strong_links`).

    A sentence that states no fact (fewer than ``text.FACT_WORDS`` fact
    words: "2 SEPTEMBER 2025", "2 / 3", "By: Eva Shoufi") links to nothing:
    two datelines are not a shared fact. `tgt_rows` may hold several English pieces one after the other; a 1-2
    column that straddles two pieces is cut off by the caller's slicing (a
    piece of width w owns w - 1 merged columns, starting at its first row).
    """
    ls, lt = prep.lengths[src_rows], prep.lengths[tgt_rows]
    has_s, has_t = prep.has_number[src_rows], prep.has_number[tgt_rows]
    agree = None
    if has_s.any() and has_t.any():  # sparse row gathering is slow: only when both sides state numbers
        agree = (prep.numbers[src_rows] @ prep.numbers[tgt_rows].T).toarray() > 0
    one = _adjust(sims, ls, lt, has_s, has_t, agree, s)
    # neighbours in the whole matrix: wrong only across a piece boundary, a column the caller cuts off
    t_adj, t_n2 = tgt_nb[0][:-1], tgt_nb[1]
    s_adj, s_n2 = src_nb[0][:-1], src_nb[1]
    one_two = _adjust(
        merged_similarity(sims, t_adj, t_n2, axis=1),
        ls,
        lt[:-1] + lt[1:],
        has_s,
        has_t[:-1] | has_t[1:],
        None if agree is None else agree[:, :-1] | agree[:, 1:],
        s,
    )
    two_one = _adjust(
        merged_similarity(sims, s_adj, s_n2, axis=0),
        ls[:-1] + ls[1:],
        lt,
        has_s[:-1] | has_s[1:],
        has_t,
        None if agree is None else agree[:-1] | agree[1:],
        s,
    )
    # evidence hygiene: a sentence with too few fact words (a dateline, a counter, a byline) is no shared fact;
    # a merged pair is one when either half is
    fs, ft = prep.fact[src_rows], prep.fact[tgt_rows]
    one *= fs[:, None] & ft[None, :]
    one_two *= fs[:, None] & (ft[:-1] | ft[1:])[None, :]
    two_one *= (fs[:-1] | fs[1:])[:, None] & ft[None, :]
    return one, one_two, two_one


def _decide(
    piece: Piece, scored: list[Candidate], prep: _Prepared, i: int, s: AlignSettings, result: AlignResult, dated: bool
) -> None:
    """Matches (P(same event) at or above the threshold), related coverage (P(related) at or above its threshold), or why none."""
    note = _excluded_note(prep.excluded[i])
    if not scored:
        window = f" within {s.date_window_days} days" if dated and s.date_window_days >= 0 else ""
        result.abstain(piece.id, "no candidate", f"no English piece{window} shares enough vocabulary to be a candidate{note}")
        return
    accepted = [c for c in scored if c.score >= prep.threshold][: s.max_matches]
    taken = {c.target_id for c in accepted}
    related = sorted(
        (c for c in scored if c.target_id not in taken and c.related >= prep.related_threshold),
        key=lambda c: (-c.related, c.target_id),
    )[: s.max_related]
    for rank, c in enumerate(related, start=1):
        result.related.append(_match(piece, c, rank, prep, i, s, result.duplicates.get(c.target_id, []), "related"))
    if not accepted:
        best = scored[0]
        result.abstain(
            piece.id,
            "below threshold",
            f"no English coverage of the same event found: best candidate {best.target_id} P(same event) {best.score:.3f} "
            f"< threshold {prep.threshold:g} ({describe(best)}){note}",
            Nearest(best.target_id, best.score, prep.threshold),
        )
        return
    for rank, c in enumerate(accepted, start=1):
        result.matches.append(_match(piece, c, rank, prep, i, s, result.duplicates.get(c.target_id, [])))


def describe(c: Candidate) -> str:
    """A candidate's evidence in a few words: probabilities, shared facts, and what speaks against the same event."""
    f = c.features
    parts = [f"P(related) {c.related:.2f}", f"shared facts {c.components.shared_sentences:.0f}"]
    parts.append(f"lead names found {f.get('lead_names', 0.0):.0%}" if not f.get("no_lead_names") else "no rare lead names")
    if f.get("event_apart"):
        parts.append("event dates apart")
    elif not f.get("event_same"):
        parts.append("event dates not both known")
    if f.get("weekday_conflict"):
        parts.append("the leads name different weekdays")
    if f.get("preview"):
        parts.append("one piece looks ahead to the other's event")
    if f.get("lead_numbers_missed", 0.0) > 0.5:
        parts.append("the lead's figures differ")
    return ", ".join(parts)


def _match(
    piece: Piece,
    c: Candidate,
    rank: int,
    prep: _Prepared,
    i: int,
    s: AlignSettings,
    duplicates: list[str],
    relation: Relation = "same_event",
) -> Match:
    t_doc = prep.n_src + c.target_index
    a, b = prep.piece(i), prep.piece(t_doc)
    if s.sentence_mode == "monotonic":
        pairs = monotonic_pairs(
            a.similarity_word, a.char, b.similarity_word, b.char, s.monotonic_skip_cost, s.monotonic_merge_penalty
        )
    else:
        pairs = best_pairs(prep.similarities(i, t_doc), s.pair_threshold)
    src_s, tgt_s = prep.sents[i], prep.sents[t_doc]
    if s.one_to_one:
        point: dict[str, object] = {"threshold": s.one_to_one_threshold, "operating_point": "one-to-one mining floor"}
    elif relation == "related":
        point = {"threshold": prep.related_threshold, "operating_point": _how(s.related_threshold)}
    else:
        point = {"threshold": prep.threshold, "operating_point": prep.point or _how(s.threshold)}
    model = prep.model
    evidence = {
        "relation": relation,
        "probabilities": dict(zip(pairmodel.OUTCOMES, c.probabilities)),
        "components": {k: round(v, 4) for k, v in c.features.items()},
        "weights": prep.weights,
        **point,
        "model": model.meta.get("data_sha256", "")[:12],
        "short_piece": prep.short[i],
        "rank": rank,
        "shared_sentences": round(c.components.shared_sentences, 3),
        "shared_entities": [
            {"source": m.source, "target": m.target, "how": m.how, "weight": round(m.weight, 2)}
            for m in sorted(c.shared_entities, key=lambda m: (-m.weight, m.source))[:15]
        ],
        "date_gap_days": c.components.date_gap_days,
        "event_time": {"source": prep.profile(i).when.as_dict(), "target": prep.profile(t_doc).when.as_dict()},
        "best_sentence_pairs": [
            {
                "source": a,
                "target": b,
                "score": round(x, 4),
                "source_sentences": na,
                "target_sentences": nb,
                "source_text": " ".join(src_s[a : a + na])[:300],
                "target_text": " ".join(tgt_s[b : b + nb])[:300],
            }
            for a, b, x, na, nb in c.strong[:3]
        ],
        "source_sentences": len(src_s),
        "target_sentences": len(tgt_s),
        "sentence_mode": s.sentence_mode,
    }
    if prep.excluded[i]:
        evidence["excluded_sentences"] = prep.excluded[i]
    if duplicates:
        evidence["identical_english_pieces"] = duplicates
    return Match(
        source_id=piece.id, target_id=c.target_id, score=c.score, evidence=evidence, sentence_pairs=pairs, relation=relation
    )


def _how(explicit: float | None) -> str:
    return "model threshold" if explicit is None else "explicit threshold"


def pair_components(
    translated: Piece, english: Piece, settings: AlignSettings, sentences: list[str] | None = None
) -> Candidate | None:
    """Score one pair directly (no candidate generation): used by tests and the harness."""
    src_sents, src_lines = (sentences, None) if sentences is not None else split_english_numbered(translated.translation)
    tgt_sents, tgt_lines = split_english_numbered(english.text)
    prep = _Prepared([translated], [src_sents], [english], [tgt_sents], settings)
    prep.lines = [src_lines, tgt_lines]
    scored = _score_candidates(prep, 0, [(0, 1.0)], [english], parse_date(translated.date), [parse_date(english.date)], settings)
    return scored[0] if scored else None
