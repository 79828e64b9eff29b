"""The evidence of shared facts between two pieces, and today's components of a pair, each in 0..1.

Every component is computed from the two pieces alone (never normalised over
the batch, never relative to other candidates), so a pair gets the same
value in every run, whatever else is being aligned. They are features of the
pair model (:mod:`pipeline.align.features`, :mod:`pipeline.align.pairmodel`):

* ``sentences`` — shared facts. Translated and English sentences are linked
  one-to-one greedily, a link joining one sentence to one or to two adjacent
  ones (:func:`~pipeline.align.sentences.strong_links`); each link counts
  softly, ``sigmoid((sim - sentence_threshold) / softness)``; links that
  continue one another on both sides form one passage, worth its best link
  plus ``passage_weight`` of each other one; the
  ``k = min(min_shared_sentences, n_source, n_target)`` strongest passages
  are summed and divided by k (capped at 1): two separate facts are full
  evidence for articles, one is for a one-sentence item. A sentence that
  states no fact (a dateline, a byline, a page counter) links to nothing.
* ``lexical`` — cosine of the whole pieces (mean of stem and character
  n-gram cosines), background-weighted.
* ``entities`` — summed rarity of shared named entities (transliteration
  tolerant, :mod:`pipeline.align.entities`), saturating.
* ``date`` — ``exp(-gap_days / date_scale_days)`` of the publication dates;
  None when either is unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass
class Components:
    """What a candidate's evidence reports beside its pair features: the soft count of shared facts, the date gap."""

    shared_sentences: float  # soft count before normalisation
    date_gap_days: int | None = None


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


LINK_FLOOR_WIDTHS = 4  # a sentence pair below threshold - 4 × softness (soft weight < 2%) is no link at all


def link_floor(threshold: float, softness: float) -> float:
    """The similarity below which a sentence pair is not a link (see :func:`shared_sentence_evidence`)."""
    return threshold - LINK_FLOOR_WIDTHS * softness


def shared_sentence_evidence(
    links: list[tuple[int, int, float, int, int]],
    n_src: int,
    n_tgt: int,
    threshold: float,
    softness: float,
    needed: int,
    passage_weight: float = 1.0,
    src_lines: list[int] | None = None,
    tgt_lines: list[int] | None = None,
) -> tuple[float, float]:
    """(evidence in 0..1, count of links at or above threshold) from one-to-one sentence links.

    Each link (source start, target start, similarity, n source, n target)
    counts through a soft step, sigmoid((sim - threshold) / softness). Links
    that continue one another on both sides (the next source sentence linked
    to the next target sentence) form one *passage*: its strongest link
    counts fully, every other one `passage_weight`. So one long sentence
    split in two on both sides is one shared fact and a quarter, not two,
    while a whole shared article still adds up. A passage never crosses a
    line (paragraph) break on either side (`src_lines` / `tgt_lines`: the
    line of each sentence): two paragraphs that each share a fact are two
    facts, even when they follow one another. Only the `k = min(needed, n_src,
    n_tgt)` strongest passages count, and evidence = min(1, their sum / k):
    summing over all links would let the long tail of weak pairs in two long
    unrelated articles add up to "shared facts".
    """
    k = max(1, min(needed, n_src, n_tgt))
    soft = {(a, b): sigmoid((x - threshold) / softness) for a, b, x, _, _ in links}

    def same_line(lines: list[int] | None, k: int) -> bool:
        return lines is None or (0 < k < len(lines) and lines[k - 1] == lines[k])

    ends = {  # the link a continuation would follow
        (a + na, b + nb): (a, b) for a, b, _, na, nb in links if same_line(src_lines, a + na) and same_line(tgt_lines, b + nb)
    }
    passages: dict[tuple[int, int], list[float]] = {}
    for a, b, _, _, _ in sorted(links):
        head = (a, b)
        while head in ends:  # walk back to the first link of the passage
            head = ends[head]
        passages.setdefault(head, []).append(soft[(a, b)])
    values = sorted((max(v) + passage_weight * (sum(v) - max(v)) for v in passages.values()), reverse=True)
    evidence = min(1.0, sum(values[:k]) / k)
    return evidence, float(sum(x >= threshold for _, _, x, _, _ in links))


def date_proximity(a: date | None, b: date | None, scale_days: float) -> tuple[float | None, int | None]:
    if a is None or b is None:
        return None, None
    gap = abs((a - b).days)
    return math.exp(-gap / scale_days), gap
