"""The pair model: same event / related / none, each with a probability, from a pair's features.

A multinomial logistic regression over the named features of
:mod:`pipeline.align.features`, fitted on real comparable news (Arabic
pieces and the English coverage of the same event, same-thread pieces on
other events, unrelated candidates) by ``python benchmarks/train_align.py``
and shipped as package data (``pair_model.json``): coefficients, the
feature version, the decision thresholds, the data it was fitted on (with
its hash), the library versions and the leave-one-story-out figures. It is
loaded once, never refitted at import; a model made for another feature
version is refused.

Outcomes (:data:`OUTCOMES`): ``same_event`` (the pieces report the same
event: a match), ``related`` (the same story thread, another event: shown
apart, never a comparison pair), ``none``. The probabilities are the
logistic model's, which is calibrated by construction on the data it was
fitted on (held-out reliability in the model's metadata).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from pipeline.align.features import FEATURE_VERSION, FEATURES
from pipeline.errors import ConfigError

MODEL_PATH = Path(__file__).with_name("pair_model.json")
OUTCOMES = ("same_event", "related", "none")
Outcome = Literal["same_event", "related", "none"]


@dataclass(frozen=True)
class PairModel:
    coef: np.ndarray  # outcomes × features
    intercept: np.ndarray  # outcomes
    threshold: float  # P(same event) at or above which a pair is a match
    related_threshold: float  # P(related) + P(same event) at or above which a non-match is related coverage
    meta: dict

    @classmethod
    def from_json(cls, data: dict, where: str = "pair model") -> PairModel:
        if data.get("feature_version") != FEATURE_VERSION or list(data.get("features", [])) != list(FEATURES):
            raise ConfigError(
                f"{where}: made for features {data.get('feature_version')!r}, this aligner computes {FEATURE_VERSION!r}: "
                "refit it (python benchmarks/train_align.py)"
            )
        if list(data.get("outcomes", [])) != list(OUTCOMES):
            raise ConfigError(f"{where}: outcomes {data.get('outcomes')} are not {list(OUTCOMES)}")
        return cls(
            coef=np.array(data["coef"], dtype=np.float64),
            intercept=np.array(data["intercept"], dtype=np.float64),
            threshold=float(data["threshold"]),
            related_threshold=float(data["related_threshold"]),
            meta={k: v for k, v in data.items() if k not in ("coef", "intercept")},
        )

    def same_vs_none(self) -> dict[str, float]:
        """The log-odds of same event against no relation, per feature (and its bias): what each feature adds to it.

        P(same) / (P(same) + P(none)) = sigmoid(bias + Σ weight · feature),
        the form the report explains a score in (pipeline/export/readable.py).
        """
        same, none = OUTCOMES.index("same_event"), OUTCOMES.index("none")
        d = self.coef[same] - self.coef[none]
        return {"bias": round(float(self.intercept[same] - self.intercept[none]), 4)} | {
            name: round(float(w), 4) for name, w in zip(FEATURES, d)
        }

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Pairs × outcomes logits for pairs × features `x`."""
        return x @ self.coef.T + self.intercept

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Pairs × outcomes probabilities (rows sum to 1)."""
        z = self.logits(np.atleast_2d(x))
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def bounds(self, low: np.ndarray, high: np.ndarray, outcome: Outcome) -> np.ndarray:
        """Per row of `low` / `high` (candidates × features): the highest P(outcome) of any vector in that box.

        P(o) = 1 / (1 + Σ_k exp(z_k - z_o)); each difference is linear in the
        features, so its minimum over the box is at a corner, found per
        outcome k: the sum of the minima is at most the sum at any one point
        of the box, which makes this an upper bound (used to skip candidates
        that can become neither a match nor related coverage:
        :mod:`pipeline.align.bounds`).
        """
        o = OUTCOMES.index(outcome)
        total = np.zeros(low.shape[0])
        for k in range(len(OUTCOMES)):
            if k == o:
                continue
            d = self.coef[k] - self.coef[o]
            z = self.intercept[k] - self.intercept[o] + np.where(d > 0, low * d, high * d).sum(axis=1)
            total += np.exp(np.clip(z, -60.0, 60.0))
        return 1.0 / (1.0 + total)


@lru_cache(maxsize=1)
def shipped() -> PairModel:
    """The model shipped with the package (pair_model.json)."""
    return PairModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")), str(MODEL_PATH.name))


def load(path: Path | None) -> PairModel:
    """The model at `path` (a file `benchmarks/train_align.py --out` wrote), or the shipped one."""
    if path is None:
        return shipped()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"align.model: cannot read {path}: {exc}") from None
    return PairModel.from_json(data, str(path))
