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
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from pipeline.align import bounds as bounds_
from pipeline.align import calibration
from pipeline.align import entities as ents
from pipeline.align.candidates import candidates as find_candidates
from pipeline.align.scoring import (
    Components,
    combine,
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
from pipeline.align.text import numbers, words
from pipeline.align.vectors import Doc, PieceVectors, Vectors, build_vectors, stack
from pipeline.config import Settings
from pipeline.progress import QUIET, Reporter
from pipeline.records import Match, Piece
from pipeline.text.dates import iso_date as parse_date
from pipeline.text.normalise import fold_typography
from pipeline.text.sentences import split_english_numbered


def _calibrated(name: str) -> float:
    return float(calibration.table()["weights"][name])


class ScoreWeights(Settings):
    """score = sigmoid(bias + Σ weight·component); the defaults are the calibration table's fit (calibration.json)."""

    bias: float = Field(default_factory=lambda: _calibrated("bias"), ge=-100, le=100)
    """Fitted with the others on half of FLORES dev (`python benchmarks/eval_align.py --calibrate`)."""
    sentences: float = Field(default_factory=lambda: _calibrated("sentences"), ge=-100, le=100)
    """Weight of shared facts (soft one-to-one strong sentence links)."""
    lexical: float = Field(default_factory=lambda: _calibrated("lexical"), ge=-100, le=100)
    """Weight of the whole-piece cosine (stems + character n-grams)."""
    entities: float = Field(default_factory=lambda: _calibrated("entities"), ge=-100, le=100)
    """Weight of transliteration-tolerant shared names."""
    date: float = Field(2.0, ge=-100, le=100)
    """Weight of × (exp(-gap/14) - 0.5); not fitted (FLORES has no dates): same day +1, a month apart -0.8."""


class AlignSettings(Settings):
    """`pipeline align`: translated pieces × English pieces → matches; figures in benchmarks/README.md (held out)."""

    threshold: float | None = Field(None, ge=0, le=1)
    """A pair scoring below this is no match; null: derived from max_false_match_rate (matches record the rate it stands for)."""
    max_false_match_rate: float = Field(0.02, gt=0.0, lt=1.0)
    """Share of translations without English coverage allowed to match; the threshold comes from the calibration table
    (pipeline/align/calibration.json, fitted on half of FLORES dev; held-out rates listed there)."""
    short_sentences: int = Field(2, ge=0, le=10_000)
    """A translation of at most this many sentences (or kind "teaser") is short: it needs a shared sentence."""
    short_words: int = Field(25, ge=0, le=1_000_000)
    """... as is one with fewer content words; short pieces use the short-piece threshold (the teaser curve)."""
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
    """Date component = exp(-gap_days / scale): analysis pieces often follow the news by a week or two."""
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
    """Score floor in mining mode (competition, not the score alone, rules out near misses)."""
    exclude_flags: list[str] = Field(default_factory=lambda: ["repetition", "arabic_script", "not_english", "copied_source"])
    """Diagnostics flags that leave a translated sentence out of the matching evidence (a loop or untranslated text
    must not hide a piece's coverage); the match records which sentences were left out."""
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    """The logistic combination's weights."""
    calibration: Literal["table", "annotations"] = "table"
    """Where the operating point comes from: the shipped table (calibration.json), or the reviewers' judged pairs in the
    store, refitted on every align run (`--calibrate-from-annotations`; pipeline/align/labels.py, docs/annotation.md)."""
    calibration_min_labels: int = Field(20, ge=6)
    """Judged pairs needed to calibrate from annotations (fewer: refused, saying how many there are)."""
    calibration_min_labels_for_weights: int = Field(200, ge=20)
    """Judged pairs (at least 20 of each verdict) from which the score weights are refitted too, not only the threshold."""
    calibration_folds: int = Field(5, ge=2)
    """Cross-validation folds (grouped by translated piece) for the figures a calibration reports."""


@dataclass
class Candidate:
    target_id: str
    components: Components
    score: float
    shared_entities: list[ents.EntityMatch]
    strong: list[Link]  # one-to-one shared facts: (source, target, similarity, n source, n target sentences)
    target_index: int
    short: bool = False  # the translated piece is short (higher evidence bar)


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
        return {"matches": len(self.matches), "abstentions": len(self.abstentions), "scored_pairs": self.scored_pairs}


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


def _number_matrix(sentences: list[str]) -> sp.csr_matrix:
    """Sentences × distinct numbers (binary), so number agreement is one sparse product."""
    ids: dict[str, int] = {}
    rows, cols = [], []
    for r, sentence in enumerate(sentences):
        for num in numbers(sentence):
            rows.append(r)
            cols.append(ids.setdefault(num, len(ids)))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sentences), max(1, len(ids))))


class _Prepared:
    """Both sides in one feature space, with per-piece entity sets computed on demand."""

    def __init__(
        self, src: list[Piece], src_sents: list[list[str]], tgt: list[Piece], tgt_sents: list[list[str]], s: AlignSettings
    ):
        docs = [Doc(ss, p.title_translation) for p, ss in zip(src, src_sents)]
        docs += [Doc(ts, p.title) for p, ts in zip(tgt, tgt_sents)]
        self.v: Vectors = build_vectors(docs, s.char_min_weight)
        self.n_src = len(src)
        self.sents = src_sents + tgt_sents
        self.titles = [p.title_translation for p in src] + [p.title for p in tgt]
        flat = [x for ss in self.sents for x in ss]
        self.lengths = np.array([max(1, len(x)) for x in flat], dtype=np.float64)
        self.numbers = _number_matrix(flat)
        self.has_number = np.diff(self.numbers.indptr) > 0
        self.lexical: dict[tuple[int, int], float] = {}
        self.lines: list[list[int] | None] = [None] * len(self.sents)  # line of each sentence (split texts); None: each its own
        self._entities: dict[int, ents.EntitySet] = {}
        self._pieces: dict[int, PieceVectors] = {}  # character vectors of the pieces being scored (see load/evict)
        self.op = calibration.operating_point(s.threshold, s.max_false_match_rate, s.weights.model_dump())
        self.short: list[str | None] = [None] * len(src)  # why each translated piece is short, None if not
        self.excluded: list[list[int]] = [[] for _ in src]  # flagged sentences left out of each piece's evidence

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
        """Drop the vectors and entities of `docs` (memory stays bounded by the pieces in reach)."""
        for d in docs:
            self._pieces.pop(d, None)
            self._entities.pop(d, None)

    def cached(self) -> list[int]:
        return list(self._pieces)

    def entities(self, doc: int) -> ents.EntitySet:
        if doc not in self._entities:
            title = self.titles[doc]
            extra = [title] if title else []
            self._entities[doc] = ents.extract(self.sents[doc] + extra)
        return self._entities[doc]


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
    point: calibration.OperatingPoint | None = None,
) -> AlignResult:
    """Match each translated piece to the English pieces that cover the same event, or abstain.

    `source_sentences[piece_id]` gives the translated sentences in the order
    of the source segments (so pair indices map back to the Arabic); pieces
    without it have `translation` split into sentences. `flagged[piece_id]`
    holds indices into those sentences that reference-free diagnostics
    flagged (a looping output, Arabic left in, not English): they are left
    out of all the evidence (they keep their index, so pairs still map to
    segment i), and the match or abstention says so. `point` replaces the
    operating point the settings give (one fitted on reviewers' labels).
    """
    result = AlignResult()
    source_sentences = source_sentences or {}
    flagged = flagged or {}
    op = point or calibration.operating_point(settings.threshold, settings.max_false_match_rate, settings.weights.model_dump())
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
        n_words = sum(len(words(x)) for x in sents)
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
    prep = _Prepared(src, src_sents, tgt, tgt_sents, settings)
    prep.lines = src_lines + tgt_lines
    prep.op, prep.short = op, shorts
    prep.excluded = [result.excluded.get(p.id, []) for p in src]
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
            in_block = set(block)
            prep.lexical = _pair_cosines(prep, [cands[i] if i in in_block else [] for i in range(max(block) + 1)], n)
            for i in block:
                needed = None if collect_candidates else _needed(settings, op, shorts[i] is not None)
                scored = _score_candidates(prep, i, cands[i], tgt, src_dates[i], tgt_dates, settings, needed)
                result.scored_pairs += len(cands[i])  # every candidate was weighed, if only by its bound
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


def _needed(s: AlignSettings, op: calibration.OperatingPoint, short: bool) -> float:
    """The lowest score with which a candidate of this piece could still become a match."""
    if s.one_to_one:
        return s.one_to_one_threshold
    return op.short_threshold if short else op.threshold


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


def _pair_cosines(prep: _Prepared, cands: list[list[tuple[int, float]]], n: int) -> dict[tuple[int, int], float]:
    """Whole-piece lexical similarity (mean of stem and character cosines) of every candidate pair, in one pass."""
    pairs = [(i, t) for i, row in enumerate(cands) for t, _ in row]
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

    With `needed` (the lowest score that could still make a match), a
    candidate whose score bound (:mod:`pipeline.align.bounds`) is below both `needed`
    and the best exact score so far is not scored: it can be neither a match
    nor the best candidate an abstention names, so the result is the same,
    without the cost of its sentence links and names. Without it (the
    harness, which keeps every candidate's components), all are scored.
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
    t_word = stack([x.word for x in tvs]) if WORD_SHARE else t_char  # stems only enter when WORD_SHARE mixes them in
    sims = similarity(sv.word, sv.char, t_word, t_char)
    lexical = prep.lexical
    if any((i, t) not in lexical for t, _ in cands):
        lexical = _pair_cosines(prep, [cands if k == i else [] for k in range(i + 1)], n)
    n_src = src_rows.stop - src_rows.start
    t_adj = (np.concatenate([x.adjacent for x in tvs]), np.concatenate([x.norms2 for x in tvs]))
    one, one_two, two_one = fact_links(
        prep, sims, np.arange(src_rows.start, src_rows.stop), stacked, s, (sv.adjacent, sv.norms2), t_adj
    )
    floor = link_floor(s.sentence_threshold, s.sentence_softness)
    weights = s.weights.model_dump()
    blocks, col = [], 0
    for (t, _), rows in zip(cands, t_rows):
        width = rows.stop - rows.start
        blocks.append((t, width, (one[:, col : col + width], one_two[:, col : col + width - 1], two_one[:, col : col + width])))
        col += width
    proximities = [date_proximity(d_src, tgt_dates[t], s.date_scale_days) for t, _, _ in blocks]
    order, bounds = _by_bound(prep, i, blocks, (one, one_two, two_one), lexical, proximities, weights, s, needed)
    out: list[Candidate] = []
    best = -1.0
    for k in order:
        if needed is not None and bounds[k] < needed - BOUND_MARGIN and bounds[k] < best - BOUND_MARGIN:
            break  # neither a match nor the best candidate, nor is any after it
        t, width, block = blocks[k]
        proximity, gap = proximities[k]
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
        shared = ents.match(prep.entities(i), prep.entities(n + t))
        comp = Components(
            sentences=evidence,
            lexical=lexical[(i, t)],
            entities=ents.overlap(shared, s.entity_scale),
            date=proximity,
            shared_sentences=count,
            date_gap_days=gap,
        )
        score = round(combine(comp, weights), 6)
        best = max(best, score)
        out.append(Candidate(tgt[t].id, comp, score, shared, strong, t))
    out.sort(key=lambda c: (-c.score, c.target_id))
    return out


def _by_bound(
    prep: _Prepared,
    i: int,
    blocks: list[tuple[int, int, tuple[np.ndarray, np.ndarray, np.ndarray]]],
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    lexical: dict[tuple[int, int], float],
    proximities: list[tuple[float | None, int | None]],
    weights: dict[str, float],
    s: AlignSettings,
    needed: float | None,
) -> tuple[list[int], list[float]]:
    """The order to score the candidates in (best bound first) and their score bounds (:mod:`pipeline.align.bounds`).

    Without `needed`, or with an English piece without sentences among them,
    every bound is 1: all candidates are scored.
    """
    order = list(range(len(blocks)))
    widths = [width for _, width, _ in blocks]
    if needed is None or not all(widths):
        return order, [1.0] * len(blocks)
    sentences = bounds_.evidence_bounds(
        *links, widths, s.sentence_threshold, s.sentence_softness, s.min_shared_sentences, s.passage_weight
    )
    names = bounds_.name_bound([e.weight for e in prep.entities(i).entities.values()], s.entity_scale)
    lex = [lexical[(i, t)] for t, _, _ in blocks]
    bounds = bounds_.score_bounds(sentences, names, lex, [p for p, _ in proximities], weights)
    order.sort(key=lambda k: -bounds[k])
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

    `tgt_rows` may hold several English pieces one after the other; a 1-2
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
    return one, one_two, two_one


def _decide(
    piece: Piece, scored: list[Candidate], prep: _Prepared, i: int, s: AlignSettings, result: AlignResult, dated: bool
) -> None:
    note = _excluded_note(prep.excluded[i])
    if not scored:
        window = f" within {s.date_window_days} days" if dated and s.date_window_days >= 0 else ""
        result.abstain(piece.id, "no candidate", f"no English piece{window} shares enough vocabulary to be a candidate{note}")
        return
    short = prep.short[i]
    op = prep.op
    floor = op.short_threshold if short else op.threshold
    eligible = [c for c in scored if not short or c.components.shared_sentences >= 1]
    accepted = [c for c in eligible if c.score >= floor][: s.max_matches]
    if not accepted:
        best = scored[0]
        rate = "" if op.rate is None else f", set for a false-match rate of {op.rate:g}"
        if short and best.components.shared_sentences < 1:
            names = ", ".join(sorted({m.target for m in best.shared_entities})[:5])
            why = f"; shared names alone ({names}) are not evidence of the same event" if names else ""
            result.abstain(
                piece.id,
                "short piece, no shared sentence",
                f"no English coverage found: short piece ({short}): best candidate {best.target_id} ({best.score:.3f}) "
                f"shares no sentence with it{why}{note}",
                Nearest(best.target_id, best.score, None),
            )
            return
        what = (
            f"short-piece threshold {floor} (short piece: {short}{rate}; "
            if short
            else f"threshold {floor} ({rate[2:]}; "
            if rate
            else f"threshold {floor} ("
        )
        result.abstain(
            piece.id,
            "below threshold",
            f"no English coverage found: best candidate {best.target_id} scored {best.score:.3f} "
            f"< {what}shared facts {best.components.shared_sentences:.1f}, "
            f"sentence evidence {best.components.sentences:.2f}, lexical {best.components.lexical:.2f}, "
            f"entities {best.components.entities:.2f}){note}",
            Nearest(best.target_id, best.score, floor),
        )
        return
    for rank, c in enumerate(accepted, start=1):
        result.matches.append(_match(piece, c, rank, prep, i, s, result.duplicates.get(c.target_id, [])))


def _match(piece: Piece, c: Candidate, rank: int, prep: _Prepared, i: int, s: AlignSettings, duplicates: list[str]) -> Match:
    t_doc = prep.n_src + c.target_index
    a, b = prep.piece(i), prep.piece(t_doc)
    if s.sentence_mode == "monotonic":
        pairs = monotonic_pairs(a.word, a.char, b.word, b.char, s.monotonic_skip_cost, s.monotonic_merge_penalty)
    else:
        pairs = best_pairs(similarity(a.word, a.char, b.word, b.char), s.pair_threshold)
    src_s, tgt_s = prep.sents[i], prep.sents[t_doc]
    point = prep.op.as_evidence(prep.short[i] is not None)
    if s.one_to_one:
        point = {"threshold": s.one_to_one_threshold, "false_match_rate": None, "operating_point": "one-to-one mining floor"}
    evidence = {
        "components": c.components.as_dict(),
        "weights": s.weights.model_dump(),
        **point,
        "short_piece": prep.short[i],
        "rank": rank,
        "shared_sentences": round(c.components.shared_sentences, 3),
        "shared_entities": [
            {"source": m.source, "target": m.target, "how": m.how, "weight": round(m.weight, 2)}
            for m in sorted(c.shared_entities, key=lambda m: (-m.weight, m.source))[:15]
        ],
        "date_gap_days": c.components.date_gap_days,
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
    return Match(source_id=piece.id, target_id=c.target_id, score=c.score, evidence=evidence, sentence_pairs=pairs)


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
