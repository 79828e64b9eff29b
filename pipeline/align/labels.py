"""The operating point refitted on the reviewers' judged pairs (``align.calibration: annotations``).

The pair model's own threshold (pair_model.json) was chosen on the
comparable news it was fitted on; on a user's own corpus the same
P(same event) can stand for another false-match rate. Reviewers who judged
pairs (same event / related / different) are labelled data of exactly the
user's corpus, so the threshold is read off their labels instead: the
lowest P(same event) at which at most ``align.max_false_match_rate`` of
the pairs judged *not* the same event (different, or related: another
event on the same story thread) would match. The model's coefficients are
kept: a threshold is what a few dozen labels can move soundly (refitting
the model is ``benchmarks/train_align.py`` with the labels as data).

A figure measured on the labels the threshold was fitted on says little, so
the figures are cross-validated: the judged pairs are split by translated
piece (``GroupKFold``: no piece on both sides), the threshold fitted on the
other folds is applied to each held-out fold, and the pooled held-out
false-match rate, recall and P@1 (of the translated pieces with a pair
judged the same event, the share whose best-scoring judged pair is one and
matches) are reported with 95% Wilson intervals; the figures on the labels
themselves are reported beside them, labelled as such. Below
``align.calibration_min_labels`` labels, or with too few of either verdict,
calibration is refused with a message saying how many there are.

A pair is scored with the translation its reviewers read (the judged
system's); two reviewers who disagree on a pair count once each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.align import pairmodel
from pipeline.align.matcher import AlignSettings, pair_components
from pipeline.errors import UsageError
from pipeline.records import Calibration, Judgement, Piece
from pipeline.store import Store

MIN_PER_VERDICT = 3  # a threshold needs both sides of it


@dataclass
class LabelledPair:
    source_id: str
    target_id: str
    system: str | None
    same: bool
    score: float  # P(same event) under the pair model


def labelled_pairs(store: Store, settings: AlignSettings, judgements: Sequence[Judgement]) -> list[LabelledPair]:
    """Every current verdict on a pair (unsure left out), with the pair's P(same event) under the judged system."""
    judged = [j for j in judgements if j.target_id and j.verdict in ("same_event", "related", "different")]
    if not judged:
        return []
    pieces = {p.id: p for p in store.load_pieces({i for j in judged for i in (j.source_id, j.target_id or "")})}
    ours = [j.source_id for j in judged if j.source_id in pieces and not pieces[j.source_id].external]
    sentences = {
        pid: [s.translation or "" for s in segments]
        for pid, segments in store.segments(ours, with_titles=False).items()
        if segments and all(s.translation is not None for s in segments)
    }
    scored: dict[tuple[str, str, str | None], float | None] = {}
    out = []
    for j in judged:
        key = (j.source_id, j.target_id or "", j.system)
        if key not in scored:
            source, target = pieces.get(j.source_id), pieces.get(j.target_id or "")
            translated = _as_judged(source, j.system) if source else None
            candidate = None
            if translated is not None and target is not None:
                own = sentences.get(j.source_id) if translated.model == source.model and not translated.external else None  # type: ignore[union-attr]
                candidate = pair_components(translated, target, settings, own)
            scored[key] = candidate.score if candidate else None
        score = scored[key]
        if score is not None:
            out.append(LabelledPair(j.source_id, j.target_id or "", j.system, j.verdict == "same_event", score))
    return out


def _as_judged(piece: Piece, system: str | None) -> Piece | None:
    """The piece with the translation of `system` (the one the reviewer read); its current one when unknown."""
    if system is None or system == piece.model:
        return piece if piece.translation else None
    for external in piece.external_translations:
        if external.system == system:
            return piece.model_copy(update={"translation": external.text, "model": system, "external": True})
    return piece if piece.translation else None


# -- fitting ------------------------------------------------------------------------------------------


def threshold_for(negative_scores: Sequence[float], rate: float) -> float:
    """The lowest threshold (4 decimals) at which at most `rate` of the pairs judged not the same event would match."""
    ranked = sorted(negative_scores, reverse=True)
    allowed = math.floor(rate * len(ranked) + 1e-9)
    if allowed >= len(ranked):
        return 0.0
    return min(1.0, math.floor(ranked[allowed] * 10_000) / 10_000 + 0.0001)


def _fit(pairs: Sequence[LabelledPair], settings: AlignSettings) -> float:
    return threshold_for([p.score for p in pairs if not p.same], settings.max_false_match_rate)


def wilson(hits: int, n: int, z: float = 1.96) -> list[float] | None:
    """The 95% Wilson score interval of hits/n (sound at the 0 and 1 ends, unlike the normal approximation)."""
    if n == 0:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def measure(pairs: Sequence[LabelledPair], threshold: float) -> dict[str, int]:
    """Counts at one operating point: false matches among the pairs judged not the same event, matches among the
    same-event pairs, and P@1 over translated pieces with a same-event pair."""
    counts = {"negatives": 0, "false_matches": 0, "positives": 0, "true_matches": 0, "pieces": 0, "top_right": 0}
    best: dict[str, tuple[float, bool]] = {}
    for p in pairs:
        score = p.score
        if p.same:
            counts["positives"] += 1
            counts["true_matches"] += score >= threshold
        else:
            counts["negatives"] += 1
            counts["false_matches"] += score >= threshold
        if p.source_id not in best or score > best[p.source_id][0]:
            best[p.source_id] = (score, p.same)
    for source in {p.source_id for p in pairs if p.same}:
        counts["pieces"] += 1
        score, same = best[source]
        counts["top_right"] += same and score >= threshold
    return counts


def _figures(counts: dict[str, int]) -> dict[str, Any]:
    def rate(hits: str, n: str) -> dict[str, Any]:
        total = counts[n]
        return {
            "value": None if total == 0 else round(counts[hits] / total, 4),
            "ci95": wilson(counts[hits], total),
            "of": total,
        }

    return {
        "false_match_rate": rate("false_matches", "negatives"),
        "recall": rate("true_matches", "positives"),
        "p_at_1": rate("top_right", "pieces"),
    }


def cross_validated(pairs: Sequence[LabelledPair], settings: AlignSettings, folds: int) -> dict[str, Any]:
    """Held-out figures: fit on the other folds (grouped by translated piece), count on each held-out fold, pool."""
    from sklearn.model_selection import GroupKFold

    groups = [p.source_id for p in pairs]
    k = min(folds, len(set(groups)))
    pooled = dict.fromkeys(("negatives", "false_matches", "positives", "true_matches", "pieces", "top_right"), 0)
    thresholds = []
    for train, test in GroupKFold(n_splits=k).split(np.zeros(len(pairs)), groups=groups):
        fitted = [pairs[i] for i in train]
        if not any(p.same for p in fitted) or all(p.same for p in fitted):
            continue  # a fold with one verdict only cannot place a threshold
        threshold = _fit(fitted, settings)
        thresholds.append(threshold)
        for name, value in measure([pairs[i] for i in test], threshold).items():
            pooled[name] += value
    return {"folds": k, "grouped_by": "translated piece", "thresholds": thresholds, **_figures(pooled)}


def calibrate(store: Store, settings: AlignSettings, judgements: Sequence[Judgement]) -> Calibration:
    """The operating point fitted on the judged pairs, with its cross-validated figures; refuses with too few labels."""
    pairs = labelled_pairs(store, settings, judgements)
    same = sum(p.same for p in pairs)
    other = len(pairs) - same
    needed = settings.calibration_min_labels
    if len(pairs) < needed or min(same, other) < MIN_PER_VERDICT:
        raise UsageError(
            f"align.calibration: annotations needs at least {needed} judged pairs, {MIN_PER_VERDICT} of them judged the "
            f"same event and {MIN_PER_VERDICT} not (different or related); the store has {len(pairs)} ({same} same event, "
            f"{other} not): judge more pairs (pipeline export --format labelstudio; pipeline annotations import), "
            "or keep the pair model's own threshold (align.calibration: model)"
        )
    threshold = _fit(pairs, settings)
    model = pairmodel.load(settings.model).threshold
    figures = {
        "labels": len(pairs),
        "same_event": same,
        "not_same_event": other,
        "cross_validated": cross_validated(pairs, settings, settings.calibration_folds),
        "on_the_labels_fitted": _figures(measure(pairs, threshold)),
        "model_threshold": {"threshold": model, **_figures(measure(pairs, model))},
    }
    return Calibration(
        method="annotations",
        threshold=threshold,
        short_threshold=threshold,
        max_false_match_rate=settings.max_false_match_rate,
        weights=None,
        figures=figures,
    )


def describe(fitted: Calibration) -> list[str]:
    """The figures in lines a person reads (the CLI prints them)."""
    f = fitted.figures

    def line(block: dict[str, Any]) -> str:
        parts = []
        for name, label in (("false_match_rate", "false-match rate"), ("recall", "recall"), ("p_at_1", "P@1")):
            fig = block[name]
            if fig["value"] is None:
                parts.append(f"{label} n/a")
            else:
                low, high = fig["ci95"]
                parts.append(f"{label} {fig['value']:.3f} [{low:.3f}, {high:.3f}] (of {fig['of']})")
        return ", ".join(parts)

    model = f["model_threshold"]
    return [
        f"calibrated on {f['labels']} judged pairs ({f['same_event']} same event, {f['not_same_event']} not): threshold "
        f"{fitted.threshold:.3f} on P(same event) (the pair model's own: {model['threshold']:.3f}) for "
        f"max_false_match_rate {fitted.max_false_match_rate:g}",
        f"  held out ({f['cross_validated']['folds']}-fold, grouped by translated piece): " + line(f["cross_validated"]),
        "  on the labels it was fitted on (not a quality figure): " + line(f["on_the_labels_fitted"]),
        "  the model's own threshold on the same labels: " + line(model),
    ]
