"""The match score: a fixed logistic combination of absolute evidence, in 0..1.

Every component is computed from the two pieces alone (never normalised over
the batch, never relative to other candidates), and the combination is a
fixed formula whose weights live in the config. So a pair gets the same
score in every run, whatever else is being aligned, and a threshold keeps
its meaning.

Components (each in 0..1):

* ``sentences`` — shared facts. Translated and English sentences are linked
  one-to-one greedily, a link joining one sentence to one or to two adjacent
  ones (:func:`~pipeline.align.sentences.strong_links`); the
  ``k = min(min_shared_sentences, n_source, n_target)`` strongest pairs each
  count softly, ``sigmoid((sim - sentence_threshold) / softness)``, averaged:
  two strongly matching sentences are full evidence for articles, one is for
  a one-sentence item. This is what separates real coverage from a
  same-topic near miss, which shares words but not facts.
* ``lexical`` — cosine of the whole pieces (mean of stem and character
  n-gram cosines), background-weighted.
* ``entities`` — summed rarity of shared named entities (transliteration
  tolerant, :mod:`pipeline.align.entities`), saturating.
* ``date`` — ``exp(-gap_days / date_scale_days)``; when either date is
  unknown the term is left out (contributes 0), not guessed.

``score = sigmoid(bias + Σ weight_c · component_c)`` (date enters as
``weight · (date - 0.5)``, so a far date pulls down, a near one up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Components:
    sentences: float
    lexical: float
    entities: float
    date: float | None
    shared_sentences: float  # soft count before normalisation
    date_gap_days: int | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "sentences": round(self.sentences, 4),
            "lexical": round(self.lexical, 4),
            "entities": round(self.entities, 4),
            "date": None if self.date is None else round(self.date, 4),
        }


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def shared_sentence_evidence(pair_sims: list[float], n_src: int, n_tgt: int, threshold: float, softness: float, needed: int) -> tuple[float, float]:
    """(evidence in 0..1, count of pairs at or above threshold) from one-to-one pair similarities.

    Only the `k = min(needed, n_src, n_tgt)` strongest pairs count, each
    through a soft step: evidence = mean of sigmoid((sim - threshold) / softness)
    over them. Summing over all pairs instead would let the long tail of weak
    pairs in two long unrelated articles add up to "shared facts".
    """
    k = max(1, min(needed, n_src, n_tgt))
    top = sorted(pair_sims, reverse=True)[:k]
    evidence = sum(sigmoid((x - threshold) / softness) for x in top) / k
    return evidence, float(sum(x >= threshold for x in pair_sims))


def date_proximity(a: date | None, b: date | None, scale_days: float) -> tuple[float | None, int | None]:
    if a is None or b is None:
        return None, None
    gap = abs((a - b).days)
    return math.exp(-gap / scale_days), gap


def combine(c: Components, weights: dict[str, float]) -> float:
    z = weights.get("bias", 0.0)
    z += weights.get("sentences", 0.0) * c.sentences
    z += weights.get("lexical", 0.0) * c.lexical
    z += weights.get("entities", 0.0) * c.entities
    if c.date is not None:
        z += weights.get("date", 0.0) * (c.date - 0.5)
    return sigmoid(z)
