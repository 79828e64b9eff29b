"""What the reviewers' judgements say, computed from the stored judgements: the state of each judged pair, and
how far reviewers agree.

A pair (translated piece, English piece) is judged by each reviewer's latest
verdict on it, whatever system's translation they read ("unsure" says
nothing): all "same event" → **confirmed**; none "same event" (different, or
related: the same story thread, another event) → **rejected**; both →
**disputed**, left as the aligner had it and flagged. A confirmed pair the
aligner did not match becomes a reviewed match (pipeline/align/reviewed.py);
a rejected match stays in the store, shown as rejected, and leaves the
exports unless asked (``export.include_rejected``).

Agreement is measured where two reviewers judged the same item (the same
pair, or for ratings the same translation): the share of reviewer pairs who
agree, and Cohen's kappa (scikit-learn's ``cohen_kappa_score``; quadratic
weights for the 1–5 ratings), which discounts the agreement chance alone
would give. Kappa is None where it is undefined (every judgement in one
category).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

from pipeline.records import Judgement

ReviewState = Literal["confirmed", "rejected", "disputed"]
NOT_SAME = {"related", "different"}


@dataclass
class PairReview:
    """The reviewers' current word on one pair."""

    state: ReviewState
    verdicts: dict[str, str] = field(default_factory=dict)  # reviewer -> verdict

    def describe(self) -> str:
        said = ", ".join(f"{v.replace('_', ' ')} ({who})" for who, v in sorted(self.verdicts.items()))
        return f"{self.state} by reviewers: {said}"

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "verdicts": dict(sorted(self.verdicts.items()))}


def reviewer(j: Judgement) -> str:
    """A reviewer as the store knows them: the tool and the id it gives (two tools may reuse an id)."""
    return f"{j.tool}:{j.annotator}"


def pair_reviews(judgements: Iterable[Judgement]) -> dict[tuple[str, str], PairReview]:
    """The state of every pair a reviewer gave a verdict on (`judgements`: the current ones)."""
    said: dict[tuple[str, str], dict[str, str]] = {}
    for j in judgements:
        if j.target_id and j.verdict and j.verdict != "unsure":
            said.setdefault((j.source_id, j.target_id), {})[reviewer(j)] = j.verdict
    out: dict[tuple[str, str], PairReview] = {}
    for pair, verdicts in said.items():
        same = sum(v == "same_event" for v in verdicts.values())
        state: ReviewState = "confirmed" if same == len(verdicts) else "rejected" if same == 0 else "disputed"
        out[pair] = PairReview(state, verdicts)
    return out


def _kappa(a: Sequence[Any], b: Sequence[Any], weights: str | None = None) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2 or len(set(a) | set(b)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(cohen_kappa_score(a, b, weights=weights))
    return None if math.isnan(value) else round(value, 4)


def _paired(judgements: Iterable[Judgement], value: str, by_pair: bool) -> list[tuple[Any, Any]]:
    """(one reviewer's value, another's) for every two reviewers who judged the same item."""
    items: dict[tuple[Any, ...], dict[str, Any]] = {}
    for j in judgements:
        v = getattr(j, value)
        if v is None or (value == "verdict" and v == "unsure"):
            continue
        key = (j.source_id, j.target_id) if by_pair else (j.source_id, j.system)
        items.setdefault(key, {})[reviewer(j)] = v
    pairs = []
    for said in items.values():
        for first, second in combinations(sorted(said), 2):
            pairs.append((said[first], said[second]))
    return pairs


def agreement(judgements: Sequence[Judgement]) -> dict[str, Any]:
    """Agreement between reviewers on verdicts and on ratings (`judgements`: the current ones)."""
    out: dict[str, Any] = {"reviewers": len({reviewer(j) for j in judgements}), "judgements": len(judgements)}
    for name, by_pair, weights in (("verdict", True, None), ("adequacy", False, "quadratic"), ("fluency", False, "quadratic")):
        pairs = _paired(judgements, name, by_pair)
        if not pairs:
            out[name] = {"pairs": 0, "agreement": None, "kappa": None}
            continue
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
        out[name] = {
            "pairs": len(pairs),  # two reviewers' judgements of one item
            "agreement": round(sum(x == y for x, y in pairs) / len(pairs), 4),
            "kappa": _kappa(a, b, weights),
            "kappa_weights": weights,
        }
    return out
