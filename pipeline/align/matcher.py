"""`align_pieces`: translated pieces × English pieces → matches and abstentions (pure, no store).

Steps: sentences of both sides → one shared sparse feature space
(:mod:`~pipeline.align.vectors`) → candidates per translation
(:mod:`~pipeline.align.candidates`) → each candidate pair scored from its own
evidence (:mod:`~pipeline.align.scoring`) → pairs at or above the threshold
become matches (at most `max_matches` per translation), everything else is
an abstention with its reason → sentence pairs inside each match
(:mod:`~pipeline.align.sentences`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from pipeline.align import entities as ents
from pipeline.align.candidates import candidates as find_candidates
from pipeline.align.scoring import Components, combine, date_proximity, shared_sentence_evidence
from pipeline.align.sentences import Link, best_pairs, merged_similarity, monotonic_pairs, similarity, strong_links
from pipeline.align.text import numbers, words
from pipeline.text.normalise import fold_typography
from pipeline.text.sentences import split_english
from pipeline.align.vectors import Doc, Vectors, build_vectors
from pipeline.config import Settings
from pipeline.progress import QUIET, Reporter
from pipeline.records import Match, Piece
from pipeline.text.dates import iso_date as parse_date


class ScoreWeights(Settings):
    """Weights of the fixed logistic combination (see scoring.py)."""

    bias: float = -7.0
    sentences: float = 7.0
    lexical: float = 6.0
    entities: float = 1.0
    date: float = 2.0


class AlignSettings(Settings):
    """The `align:` section of the config; defaults here, justified values in configs/default.yaml."""

    threshold: float = 0.5  # a pair scoring below this is not a match
    max_matches: int = 3  # English matches kept per translation (top-k with the threshold as floor)
    candidates: int = 20  # English candidates re-ranked per translation
    candidate_floor: float = 0.02  # minimum query cosine to become a candidate
    query_terms: int = 40  # heaviest stems of a translation used as its query
    date_window_days: int = 30  # candidates must be this close in date when both dates are known
    date_scale_days: float = 14.0  # date component = exp(-gap / scale)
    sentence_threshold: float = 0.38  # a sentence pair this similar counts as a shared fact (half-weight)
    sentence_softness: float = 0.06  # width of that soft step
    min_shared_sentences: int = 2  # shared facts that make full sentence evidence
    pair_threshold: float = 0.35  # sentence pairs reported inside a match need this similarity
    entity_scale: float = 10.0  # summed rarity of shared names at which entity evidence is 63%
    length_exponent: float = 0.25  # shared-fact similarity × (shorter/longer sentence length) ** this
    number_bonus: float = 0.05  # ± to a sentence pair's shared-fact similarity when both hold numbers that agree / disagree
    min_words: int = 3  # translations with fewer content words abstain (too short to match)
    sentence_mode: Literal["best", "monotonic"] = "best"
    monotonic_skip_cost: float = 0.15
    monotonic_merge_penalty: float = 0.05
    char_min_weight: float = 0.0  # character n-grams for words at least this rare (0 = all words)
    one_to_one: bool = False  # mining mode: each English piece backs at most one translation (greedy, best score first)
    one_to_one_threshold: float = 0.02  # score floor in mining mode (competition, not the score alone, rules out near misses)
    weights: ScoreWeights = Field(default_factory=ScoreWeights)


@dataclass
class Candidate:
    target_id: str
    components: Components
    score: float
    shared_entities: list[ents.EntityMatch]
    strong: list[Link]  # one-to-one shared facts: (source, target, similarity, n source, n target sentences)
    target_index: int


@dataclass
class AlignResult:
    matches: list[Match] = field(default_factory=list)
    abstentions: dict[str, str] = field(default_factory=dict)  # piece id -> reason
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # kept English id -> identical ids dropped
    scored_pairs: int = 0
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # only with collect_candidates

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

    def __init__(self, src: list[Piece], src_sents: list[list[str]], tgt: list[Piece], tgt_sents: list[list[str]], s: AlignSettings):
        docs = [Doc(ss, p.title_translation) for p, ss in zip(src, src_sents)]
        docs += [Doc(ts, p.title) for p, ts in zip(tgt, tgt_sents)]
        self.v: Vectors = build_vectors(docs, s.char_min_weight)
        self.n_src = len(src)
        self.sents = src_sents + tgt_sents
        self.titles = [p.title_translation for p in src] + [p.title for p in tgt]
        flat = [x for ss in self.sents for x in ss]
        self.lengths = np.array([max(1, len(x)) for x in flat], dtype=np.float64)
        self.numbers = _number_matrix(flat)
        self.adjacent, self.norms2 = _neighbours(self.v.sent_char)  # for merged (1-2 / 2-1) sentence links
        self.lexical: dict[tuple[int, int], float] = {}
        self._entities: dict[int, ents.EntitySet] = {}

    def rows(self, doc: int) -> slice:
        return self.v.sentences_of(doc)

    def entities(self, doc: int) -> ents.EntitySet:
        if doc not in self._entities:
            extra = [self.titles[doc]] if self.titles[doc] else []
            self._entities[doc] = ents.extract(self.sents[doc] + extra)
        return self._entities[doc]


def align_pieces(
    translated: list[Piece],
    english: list[Piece],
    settings: AlignSettings,
    source_sentences: dict[str, list[str]] | None = None,
    reporter: Reporter = QUIET,
    collect_candidates: bool = False,
) -> AlignResult:
    """Match each translated piece to the English pieces that cover the same event, or abstain.

    `source_sentences[piece_id]` gives the translated sentences in the order
    of the source segments (so pair indices map back to the Arabic); pieces
    without it have `translation` split into sentences.
    """
    result = AlignResult()
    source_sentences = source_sentences or {}
    src, src_sents = [], []
    for p in sorted(translated, key=lambda p: p.id):
        sents = source_sentences.get(p.id)
        # segment sentences are kept as they are, empty ones included: index i must stay Arabic segment i
        sents = [s or "" for s in sents] if sents is not None else split_english(p.translation)
        n_words = sum(len(words(s)) for s in sents)
        if n_words < settings.min_words:
            what = "empty translation" if n_words == 0 else f"translation too short to match ({n_words} content word{'s' if n_words != 1 else ''}; need {settings.min_words})"
            result.abstentions[p.id] = what
            continue
        src.append(p)
        src_sents.append(sents)
    tgt, result.duplicates = dedupe_english(english)
    if not src:
        return result
    if not tgt:
        for p in src:
            result.abstentions[p.id] = "no English pieces to match against"
        return result
    tgt_sents = [split_english(p.text) for p in tgt]
    prep = _Prepared(src, src_sents, tgt, tgt_sents, settings)
    n = len(src)
    src_dates = [parse_date(p.date) for p in src]
    tgt_dates = [parse_date(p.date) for p in tgt]
    cands = find_candidates(
        prep.v.doc_word[:n], prep.v.doc_word[n:], src_dates, tgt_dates,
        settings.candidates, settings.candidate_floor, settings.query_terms, settings.date_window_days,
    )
    prep.lexical = _pair_cosines(prep.v, cands, n)
    all_scored: list[list[Candidate]] = []
    with reporter.task("aligning", total=n, unit="pieces") as bar:
        for i, piece in enumerate(src):
            scored = _score_candidates(prep, i, cands[i], tgt, src_dates[i], tgt_dates, settings)
            result.scored_pairs += len(scored)
            if collect_candidates:
                result.candidates[piece.id] = scored
            if settings.one_to_one:
                all_scored.append(scored)
            else:
                _decide(piece, scored, prep, i, settings, result, src_dates[i] is not None)
            bar.advance()
    if settings.one_to_one:
        _decide_one_to_one(src, all_scored, prep, settings, result, [d is not None for d in src_dates])
    return result


def _decide_one_to_one(src: list[Piece], scored: list[list[Candidate]], prep: _Prepared, s: AlignSettings, result: AlignResult, dated: list[bool]) -> None:
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
        if best.target_id in taken and best.score >= s.one_to_one_threshold:
            result.abstentions[piece.id] = (
                f"no English coverage found (one-to-one): best candidate {best.target_id} ({best.score:.3f}) "
                f"went to {taken[best.target_id]}, and no other candidate scored >= {s.one_to_one_threshold}"
            )
        else:
            result.abstentions[piece.id] = (
                f"no English coverage found: best candidate {best.target_id} scored {best.score:.3f} "
                f"< one-to-one threshold {s.one_to_one_threshold}"
            )


def _pair_cosines(v: Vectors, cands: list[list[tuple[int, float]]], n: int) -> dict[tuple[int, int], float]:
    """Whole-piece lexical similarity (mean of stem and character cosines) of every candidate pair, in one pass."""
    pairs = [(i, t) for i, row in enumerate(cands) for t, _ in row]
    if not pairs:
        return {}
    a = np.array([i for i, _ in pairs])
    b = np.array([n + t for _, t in pairs])
    out: dict[tuple[int, int], float] = {}
    for lo in range(0, len(pairs), 2048):  # chunks: gathered rows of long pieces are large
        sl = slice(lo, lo + 2048)
        word = np.asarray(v.doc_word[a[sl]].multiply(v.doc_word[b[sl]]).sum(axis=1)).ravel()
        char = np.asarray(v.doc_char[a[sl]].multiply(v.doc_char[b[sl]]).sum(axis=1)).ravel()
        out.update({p: float(np.clip((w + c) / 2, 0, 1)) for p, w, c in zip(pairs[sl], word, char)})
    return out


def _score_candidates(prep: _Prepared, i: int, cands: list[tuple[int, float]], tgt: list[Piece], d_src: date | None, tgt_dates: list[date | None], s: AlignSettings) -> list[Candidate]:
    if not cands:
        return []
    v, n = prep.v, prep.n_src
    t_docs = [n + t for t, _ in cands]
    src_rows = prep.rows(i)
    t_rows = [prep.rows(d) for d in t_docs]
    stacked = np.concatenate([np.arange(r.start, r.stop) for r in t_rows])
    sims = similarity(v.sent_word[src_rows], v.sent_char[src_rows], v.sent_word[stacked], v.sent_char[stacked])
    lexical = getattr(prep, "lexical", {})
    if any((i, t) not in lexical for t, _ in cands):
        lexical = _pair_cosines(v, [cands if k == i else [] for k in range(i + 1)], n)
    n_src = src_rows.stop - src_rows.start
    one, one_two, two_one = fact_links(prep, sims, np.arange(src_rows.start, src_rows.stop), stacked, s)
    floor = s.sentence_threshold - 4 * s.sentence_softness
    out, col = [], 0
    for c, ((t, _), rows) in enumerate(zip(cands, t_rows)):
        width = rows.stop - rows.start
        block = (one[:, col : col + width], one_two[:, col : col + width - 1], two_one[:, col : col + width])
        col += width
        strong = strong_links(*block, floor)
        evidence, count = shared_sentence_evidence([x for _, _, x, _, _ in strong], n_src, width, s.sentence_threshold, s.sentence_softness, s.min_shared_sentences)
        shared = ents.match(prep.entities(i), prep.entities(n + t))
        proximity, gap = date_proximity(d_src, tgt_dates[t], s.date_scale_days)
        comp = Components(
            sentences=evidence,
            lexical=lexical[(i, t)],
            entities=ents.overlap(shared, s.entity_scale),
            date=proximity,
            shared_sentences=count,
            date_gap_days=gap,
        )
        score = round(combine(comp, s.weights.model_dump()), 6)
        out.append(Candidate(tgt[t].id, comp, score, shared, strong, t))
    out.sort(key=lambda c: (-c.score, c.target_id))
    return out


def _adjust(sims: np.ndarray, ls: np.ndarray, lt: np.ndarray, has_s: np.ndarray, has_t: np.ndarray, agree: np.ndarray | None, s: AlignSettings) -> np.ndarray:
    """Sentence similarity adjusted for shared-fact evidence: lengths must be comparable, numbers agree.

    A translation and its source sentence have similar lengths; a same-topic
    sentence often has not. Numbers are facts: when both sentences hold some,
    sharing one is evidence for, sharing none is evidence against.
    """
    ratio = np.minimum(ls[:, None], lt[None, :]) / np.maximum(ls[:, None], lt[None, :])
    adj = sims * ratio ** s.length_exponent
    if s.number_bonus and agree is not None:
        both = has_s[:, None] & has_t[None, :]
        adj = adj + s.number_bonus * np.where(both, np.where(agree, 1.0, -1.0), 0.0)
    return np.clip(adj, 0.0, 1.0)


def _neighbours(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(row k · row k+1 for each k, 0 for the last row; squared norm of each row) of a sparse matrix."""
    n2 = np.asarray(m.multiply(m).sum(axis=1)).ravel()
    adjacent = np.zeros(m.shape[0])
    for lo in range(0, m.shape[0] - 1, 4096):  # in chunks: 4x faster than one product of two huge slices
        block = m[lo : min(lo + 4097, m.shape[0])]
        adjacent[lo : lo + block.shape[0] - 1] = np.asarray(block[:-1].multiply(block[1:]).sum(axis=1)).ravel()
    return adjacent, n2


def fact_links(prep: _Prepared, sims: np.ndarray, src_rows: np.ndarray, tgt_rows: np.ndarray, s: AlignSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared-fact similarities of 1-1, 1-2 and 2-1 sentence links (see :func:`~pipeline.align.sentences.strong_links`).

    `tgt_rows` may hold several English pieces one after the other; a 1-2
    column that straddles two pieces is cut off by the caller's slicing (a
    piece of width w owns w - 1 merged columns, starting at its first row).
    """
    ls, lt = prep.lengths[src_rows], prep.lengths[tgt_rows]
    ns, nt = prep.numbers[src_rows], prep.numbers[tgt_rows]
    has_s = np.asarray(ns.sum(axis=1)).ravel() > 0
    has_t = np.asarray(nt.sum(axis=1)).ravel() > 0
    agree = (ns @ nt.T).toarray() > 0 if has_s.any() and has_t.any() else None
    one = _adjust(sims, ls, lt, has_s, has_t, agree, s)
    # neighbours in the whole matrix: wrong only across a piece boundary, a column the caller cuts off
    t_adj, t_n2 = prep.adjacent[tgt_rows[:-1]], prep.norms2[tgt_rows]
    s_adj, s_n2 = prep.adjacent[src_rows[:-1]], prep.norms2[src_rows]
    one_two = _adjust(
        merged_similarity(sims, t_adj, t_n2, axis=1), ls, lt[:-1] + lt[1:], has_s, has_t[:-1] | has_t[1:],
        None if agree is None else agree[:, :-1] | agree[:, 1:], s,
    )
    two_one = _adjust(
        merged_similarity(sims, s_adj, s_n2, axis=0), ls[:-1] + ls[1:], lt, has_s[:-1] | has_s[1:], has_t,
        None if agree is None else agree[:-1] | agree[1:], s,
    )
    return one, one_two, two_one


def _decide(piece: Piece, scored: list[Candidate], prep: _Prepared, i: int, s: AlignSettings, result: AlignResult, dated: bool) -> None:
    if not scored:
        window = f" within {s.date_window_days} days" if dated and s.date_window_days >= 0 else ""
        result.abstentions[piece.id] = f"no English piece{window} shares enough vocabulary to be a candidate"
        return
    accepted = [c for c in scored if c.score >= s.threshold][: s.max_matches]
    if not accepted:
        best = scored[0]
        result.abstentions[piece.id] = (
            f"no English coverage found: best candidate {best.target_id} scored {best.score:.3f} "
            f"< threshold {s.threshold} (shared facts {best.components.shared_sentences:.1f}, "
            f"sentence evidence {best.components.sentences:.2f}, lexical {best.components.lexical:.2f}, "
            f"entities {best.components.entities:.2f})"
        )
        return
    for rank, c in enumerate(accepted, start=1):
        result.matches.append(_match(piece, c, rank, prep, i, s, result.duplicates.get(c.target_id, [])))


def _match(piece: Piece, c: Candidate, rank: int, prep: _Prepared, i: int, s: AlignSettings, duplicates: list[str]) -> Match:
    v, t_doc = prep.v, prep.n_src + c.target_index
    sr, tr = prep.rows(i), prep.rows(t_doc)
    if s.sentence_mode == "monotonic":
        pairs = monotonic_pairs(v.sent_word[sr], v.sent_char[sr], v.sent_word[tr], v.sent_char[tr], s.monotonic_skip_cost, s.monotonic_merge_penalty)
    else:
        pairs = best_pairs(similarity(v.sent_word[sr], v.sent_char[sr], v.sent_word[tr], v.sent_char[tr]), s.pair_threshold)
    src_s, tgt_s = prep.sents[i], prep.sents[t_doc]
    evidence = {
        "components": c.components.as_dict(),
        "weights": s.weights.model_dump(),
        "threshold": s.threshold,
        "rank": rank,
        "shared_sentences": round(c.components.shared_sentences, 3),
        "shared_entities": [
            {"source": m.source, "target": m.target, "how": m.how, "weight": round(m.weight, 2)}
            for m in sorted(c.shared_entities, key=lambda m: (-m.weight, m.source))[:15]
        ],
        "date_gap_days": c.components.date_gap_days,
        "best_sentence_pairs": [
            {
                "source": a, "target": b, "score": round(x, 4), "source_sentences": na, "target_sentences": nb,
                "source_text": " ".join(src_s[a : a + na])[:300], "target_text": " ".join(tgt_s[b : b + nb])[:300],
            }
            for a, b, x, na, nb in c.strong[:3]
        ],
        "source_sentences": len(src_s),
        "target_sentences": len(tgt_s),
        "sentence_mode": s.sentence_mode,
    }
    if duplicates:
        evidence["identical_english_pieces"] = duplicates
    return Match(source_id=piece.id, target_id=c.target_id, score=c.score, evidence=evidence, sentence_pairs=pairs)


def pair_components(translated: Piece, english: Piece, settings: AlignSettings, sentences: list[str] | None = None) -> Candidate | None:
    """Score one pair directly (no candidate generation): used by tests and the harness."""
    src_sents = sentences if sentences is not None else split_english(translated.translation)
    prep = _Prepared([translated], [src_sents], [english], [split_english(english.text)], settings)
    scored = _score_candidates(prep, 0, [(0, 1.0)], [english], parse_date(translated.date), [parse_date(english.date)], settings)
    return scored[0] if scored else None

