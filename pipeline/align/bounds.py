"""Upper bounds on candidates' scores, so that candidates which cannot matter are not scored.

Scoring a candidate exactly (greedy sentence links, passages, name
matching) is most of the aligner's time, and most candidates are far from
both the threshold and the best candidate. A candidate whose P(same event)
bound is below the threshold *and* below the best exact P(same event) of
the piece so far, and whose P(related) bound is below the related
threshold, can be neither a match, related coverage nor the best candidate
an abstention names, so leaving it unscored changes nothing in the output (the matcher scores candidates in order of their bound, so the exact
best is known early). The bounds are computed for all candidates of a piece
at once, from the sentence-link matrices the exact scoring uses.

Why they hold:

* **Sentence evidence.** Links are one-to-one on translated sentences: each
  link is charged to its first translated sentence and is worth at most the
  soft step of that sentence's best entry (1-1, 1-2 or 2-1). The evidence
  sums at most k passages' strongest links at full weight and every other
  link at ``passage_weight``, so the k largest per-sentence values plus
  ``passage_weight`` × the rest, over k, bound it. Links are one-to-one on
  English sentences too, so the same count by English sentence is a bound
  as well; the lower of the two is taken.
* **Shared facts counted.** A link at or above the sentence threshold
  starts at a translated sentence whose best entry reaches the threshold,
  and ends at such an English sentence: the fewer of the two counts bounds
  the count.
* **Probabilities.** Every other feature (names, lexical, figures, dates,
  short) is computed exactly for every candidate, as it costs little; the
  pair model's probability of an outcome is bounded over the box the two
  link features make (:meth:`pipeline.align.pairmodel.PairModel.bounds`).
"""

from __future__ import annotations

import numpy as np

from pipeline.align.features import FEATURES, LINK_FEATURES, MAX_FACTS
from pipeline.align.scoring import link_floor


def soft_step(x: np.ndarray, threshold: float, softness: float) -> np.ndarray:
    """The link weight of :func:`~pipeline.align.scoring.shared_sentence_evidence`, and 0 below the link floor."""
    z = np.clip((x - threshold) / softness, -60.0, 60.0)
    return np.where(x >= link_floor(threshold, softness), 1.0 / (1.0 + np.exp(-z)), 0.0)


def evidence_bounds(
    one: np.ndarray,
    one_two: np.ndarray,
    two_one: np.ndarray,
    widths: list[int],
    threshold: float,
    softness: float,
    needed: int,
    passage_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate (a block of `widths[c]` English sentences, side by side in the matrices): bounds on its
    sentence evidence and on its count of links at or above the threshold."""
    n_src = one.shape[0]
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.intp)
    total = int(sum(widths))
    # a 1-2 column that straddles two candidates belongs to neither; pad to `total` columns
    merged_cols = np.zeros((n_src, total))
    merged_cols[:, : one_two.shape[1]] = one_two
    merged_cols[:, starts[1:] - 1] = 0.0
    by_row = np.maximum(np.maximum.reduceat(one, starts, axis=1), np.maximum.reduceat(merged_cols, starts, axis=1))
    if n_src > 1:
        by_row[:-1] = np.maximum(by_row[:-1], np.maximum.reduceat(two_one, starts, axis=1))
    by_col = np.maximum(one.max(axis=0), merged_cols.max(axis=0))
    if n_src > 1:
        by_col = np.maximum(by_col, two_one.max(axis=0))
    ks = np.maximum(1, np.minimum(min(needed, n_src), np.asarray(widths)))
    weight_rest = max(1.0, passage_weight)
    # by translated sentence: every candidate has all n_src rows
    rows = -np.sort(-soft_step(by_row, threshold, softness), axis=0)
    ranks = np.arange(n_src)[:, None]
    top = np.where(ranks < ks[None, :], rows, 0.0).sum(axis=0)
    source = (top + weight_rest * (rows.sum(axis=0) - top)) / ks
    # by English sentence: segments of varying width
    owner = np.repeat(np.arange(len(widths)), widths)
    values = soft_step(by_col, threshold, softness)
    order = np.lexsort((-values, owner))
    rank = np.arange(total) - starts[owner[order]]
    top_t = np.bincount(owner[order], weights=np.where(rank < ks[owner[order]], values[order], 0.0), minlength=len(widths))
    all_t = np.bincount(owner, weights=values, minlength=len(widths))
    target = (top_t + weight_rest * (all_t - top_t)) / ks
    rows_above = (by_row >= threshold).sum(axis=0)
    cols_above = np.bincount(owner, weights=(by_col >= threshold).astype(np.float64), minlength=len(widths))
    return np.minimum(1.0, np.minimum(source, target)), np.minimum(rows_above, cols_above)


def feature_box(exact: np.ndarray, sentences: np.ndarray, facts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate, the low and high ends of each feature (candidates × FEATURES, in order).

    `exact` holds each candidate's features (candidates × FEATURES) with
    those of the greedy links (LINK_FEATURES) left at 0: the others are
    exact, the link features lie in [0, their bound].
    """
    low = np.array(exact, dtype=np.float64).reshape(len(exact), len(FEATURES))
    high = low.copy()
    col = {name: k for k, name in enumerate(FEATURES)}
    low[:, [col[n] for n in LINK_FEATURES]] = 0.0
    high[:, col["sentences"]] = sentences
    high[:, col["facts"]] = np.minimum(facts, MAX_FACTS) / MAX_FACTS
    return low, high
