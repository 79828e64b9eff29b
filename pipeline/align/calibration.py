"""The operating point: which score threshold stands for which false-match rate.

A raw threshold on the match score means nothing to a user; a false-match
rate does ("at most 2% of the translations that have no English coverage get
paired with something anyway"). The mapping comes from a calibration table
shipped with the package (``calibration.json`` beside this module), made by
``python benchmarks/eval_align.py --calibrate`` on real MT output (FLORES dev,
seven systems): the score weights are fitted on one half of the lines and the
curve *false-match rate of uncovered pieces ↔ threshold* is measured on that
half; the table also lists the rate each threshold gave on the other,
held-out half. Short pieces (one or two sentences, teasers) have their own
curve, measured on one-sentence teasers against whole stories (the story,
or only the rest of it: a near miss), because one shared sentence is all
the evidence they can have; their threshold is never below the articles'.

How ``align.threshold`` and ``align.max_false_match_rate`` interact:

* ``threshold: null`` (the default): the threshold is the lowest one whose
  false-match rate in the table is at most ``max_false_match_rate``. The
  table is only valid for the weights it was made for; other weights with
  no explicit threshold are a configuration error (regenerate the table).
* an explicit ``threshold`` wins; the rate it stands for is read off the
  table's curve (``None`` when the weights are not the table's).

Every match records the threshold used and the rate it stands for.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ConfigError

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
FITTED = ("sentences", "lexical", "entities")  # the components whose weights the table was fitted for
GRID = 1000  # the curves hold the false-match rate at thresholds 0, 1/GRID, ..., 1


def features(components) -> list[float]:
    """The fitted components of a candidate pair, in the order of FITTED."""
    return [float(getattr(components, name)) for name in FITTED]


@dataclass(frozen=True)
class Curve:
    """False-match rate (share of uncovered pieces whose best candidate scores >= t) on a grid of thresholds t."""

    rates: tuple[float, ...]  # GRID + 1 values, non-increasing

    @classmethod
    def from_scores(cls, best_scores: list[float]) -> Curve:
        ordered = sorted(best_scores)
        n = max(1, len(ordered))
        return cls(tuple((len(ordered) - bisect.bisect_left(ordered, k / GRID)) / n for k in range(GRID + 1)))

    @classmethod
    def worst(cls, curves: list[Curve]) -> Curve:
        """The pointwise highest rate: a threshold read off it keeps every curve's rate at most the target."""
        return cls(tuple(max(r) for r in zip(*(c.rates for c in curves))))

    def rate_at(self, threshold: float) -> float:
        k = min(GRID, max(0, int(threshold * GRID)))  # the grid point at or below the threshold: never understates
        return self.rates[k]

    def threshold_for(self, rate: float) -> float:
        """The lowest grid threshold whose false-match rate is at most `rate`."""
        for k, r in enumerate(self.rates):
            if r <= rate:
                return k / GRID
        return 1.0

    def as_json(self) -> list[float]:
        return [round(r, 5) for r in self.rates]


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    short_threshold: float
    rate: float | None  # the false-match rate the threshold stands for (None: unknown for these weights)
    how: str  # "calibrated" (from max_false_match_rate) or "explicit threshold"

    def as_evidence(self, short: bool) -> dict:
        return {
            "threshold": self.short_threshold if short else self.threshold,
            "false_match_rate": self.rate,
            "operating_point": self.how,
        }


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))


def _weights_match(weights: dict[str, float], calibrated: dict[str, float]) -> bool:
    return all(abs(weights.get(k, 0.0) - calibrated[k]) < 1e-6 for k in ("bias", *FITTED))


def operating_point(threshold: float | None, rate: float, weights: dict[str, float]) -> OperatingPoint:
    """The thresholds for long and short pieces, from an explicit threshold or from the rate through the table."""
    t = table()
    matches = _weights_match(weights, t["weights"])
    curve, short_curve = Curve(tuple(t["curve"])), Curve(tuple(t["short_curve"]))
    if threshold is not None:
        if not matches:
            return OperatingPoint(threshold, threshold, None, "explicit threshold")
        stands_for = curve.rate_at(threshold)
        return OperatingPoint(threshold, max(threshold, short_curve.threshold_for(stands_for)), stands_for, "explicit threshold")
    if not matches:
        raise ConfigError(
            "align.weights differ from those pipeline/align/calibration.json was made for, so align.max_false_match_rate "
            "cannot be turned into a threshold: set align.threshold, or regenerate the table "
            "(python benchmarks/eval_align.py --calibrate)"
        )
    long_t = curve.threshold_for(rate)
    return OperatingPoint(
        long_t, max(long_t, short_curve.threshold_for(rate)), rate, f"calibrated for max_false_match_rate {rate}"
    )
