"""The reviewers' corrections as references, and how far the automatic measures agree with the reviewers' ratings.

``pipeline evaluate --db STORE --refs annotations`` takes as each piece's
reference the latest correction a reviewer made of its translation (a
post-edit, `pipeline annotations import`) and scores every system with
sacreBLEU, as against imported references. Scored against the post-edit of
its *own* output, TER is HTER (human-targeted TER, Snover et al. 2006): the
edits a reviewer needed; each system's HTER on the pieces whose post-edit is
of its own output is reported apart (``reviews.hter``), since against
another system's post-edit TER is only a reference score.

Reviewers also rated adequacy and fluency (1–5). Per system, the Spearman
rank correlation (scipy) between those ratings and each measure over the
rated pieces says how far the measure can stand in for a reviewer: the
sentence-level BLEU, chrF and TER against the post-edits (TER negated, so
higher is better for all), and the reference-free diagnostics of the
pipeline's own translations (flagged sentences, negated; mean
log-probability). A correlation needs three rated pieces and some spread;
otherwise it is None, with n saying why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from pipeline.evaluate.diagnostics import piece_diagnostics
from pipeline.evaluate.result import EvaluationResult
from pipeline.records import Judgement
from pipeline.store import Store


def _when(j: Judgement) -> str:
    return j.annotated_at or j.imported_at or ""


def post_edits(judgements: Sequence[Judgement]) -> dict[str, Judgement]:
    """Per piece, the latest judgement that carries a correction (each reviewer's latest already)."""
    out: dict[str, Judgement] = {}
    for j in sorted(judgements, key=lambda j: (_when(j), j.id or 0)):
        if j.correction and j.correction.strip():
            out[j.source_id] = j
    return out


def _spearman(xs: list[float], ys: list[float]) -> dict[str, Any]:
    from scipy.stats import spearmanr

    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return {"rho": None, "p": None, "n": len(xs)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho, p = spearmanr(xs, ys)
    if math.isnan(rho):
        return {"rho": None, "p": None, "n": len(xs)}
    return {"rho": round(float(rho), 4), "p": round(float(p), 4), "n": len(xs)}


def _ratings(judgements: Sequence[Judgement], name: str) -> dict[tuple[str, str | None], float]:
    """Mean rating per (piece, system) over the reviewers who gave one."""
    found: dict[tuple[str, str | None], list[int]] = {}
    for j in judgements:
        value = getattr(j, name)
        if value is not None:
            found.setdefault((j.source_id, j.system), []).append(value)
    return {key: sum(v) / len(v) for key, v in found.items()}


def _reference_free(store: Store, piece_ids: list[str]) -> dict[str, dict[str, float]]:
    """The pipeline's own translations' diagnostics per piece: flagged sentences (negated) and mean log-probability."""
    out: dict[str, dict[str, float]] = {}
    for piece_id, segments in store.segments(piece_ids).items():
        summary = piece_diagnostics(segments)
        if summary.get("diagnosed"):
            out[piece_id] = {"-flagged sentences": -float(summary.get("flagged_sentences", 0))}
            if summary.get("mean_logprob") is not None:
                out[piece_id]["mean log-probability"] = float(summary["mean_logprob"])
    return out


def review_block(
    store: Store, result: EvaluationResult, judgements: Sequence[Judgement], ter_case_sensitive: bool
) -> dict[str, Any]:
    """HTER per system against post-edits of its own output, and rank correlations with the reviewers' ratings."""
    from sacrebleu.metrics import TER

    edits = post_edits(judgements)
    hypotheses: dict[str, dict[str, str]] = {}
    for system in result.systems:
        hypotheses[system.name] = {}
    pieces = {p.id: p for p in store.load_pieces(list(edits))}
    block: dict[str, Any] = {
        "references": "reviewers' corrections (post-edits), the latest per piece",
        "post_edits": len(edits),
        "hter": {},
        "correlation": {},
    }
    metric = TER(case_sensitive=ter_case_sensitive)
    for system in result.systems:
        own = [pid for pid, j in edits.items() if j.system == system.name and pid in pieces]
        texts = _system_texts(pieces, system.name, own)
        if texts:
            ids = [pid for pid in own if pid in texts]
            score = metric.corpus_score([texts[pid] for pid in ids], [[" ".join(edits[pid].correction.split()) for pid in ids]])  # type: ignore[union-attr]
            block["hter"][system.name] = {
                "pieces": len(ids),
                "hter": round(score.score, 2),
                "signature": str(metric.get_signature()),
            }
    rated = {name: _ratings(judgements, name) for name in ("adequacy", "fluency")}
    free = _reference_free(store, [s.id for system in result.systems for s in system.segments if s.id])
    for system in result.systems:
        per: dict[str, Any] = {}
        for rating, values in rated.items():
            rows = [(s, values[(s.id, system.name)]) for s in system.segments if s.id and (s.id, system.name) in values]
            if not rows:
                continue
            measures: dict[str, Any] = {}
            for name in rows[0][0].scores:
                sign = -1.0 if name.startswith("TER") else 1.0
                pairs = [(sign * s.scores[name], r) for s, r in rows if name in s.scores]
                measures[("-" if sign < 0 else "") + name] = _spearman([x for x, _ in pairs], [y for _, y in pairs])
            for name in ("-flagged sentences", "mean log-probability"):
                pairs = [(free[s.id][name], r) for s, r in rows if s.id in free and name in free[s.id]]
                if pairs:
                    measures[name] = _spearman([x for x, _ in pairs], [y for _, y in pairs])
            per[rating] = measures
        if per:
            block["correlation"][system.name] = per
    return block


def _system_texts(pieces: dict[str, Any], system: str, ids: list[str]) -> dict[str, str]:
    """The translation by `system` of each piece (the pipeline's current one, or an external system's)."""
    out = {}
    for pid in ids:
        piece = pieces[pid]
        if piece.model == system and piece.translation:
            out[pid] = " ".join(piece.translation.split())
            continue
        for external in piece.external_translations:
            if external.system == system:
                out[pid] = " ".join(external.text.split())
    return out
