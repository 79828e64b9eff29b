"""Candidate generation: which English pieces are worth re-ranking for each translation.

Comparing every translation with every English piece is quadratic. Instead:

* each translation is a *query* made of its `query_terms` heaviest stems
  (fixed background weights), so the sparse product touches only the
  postings of those terms, and stems as common as "the" carry no weight;
* translations are processed in chunks sorted by date; each chunk is
  multiplied only with the English pieces whose date falls within
  `date_window_days` of the chunk (plus the undated ones), so a dump
  spanning years is blocked into windows;
* per translation the `k` best English pieces above `floor` are kept
  (ties broken by English row, i.e. deterministically).

The candidate similarity is only used to choose whom to re-rank; the final
score (:mod:`pipeline.align.scoring`) is computed afresh for each pair.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import scipy.sparse as sp


def prune_rows(m: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep the `keep` largest entries of each row (the query terms)."""
    m = m.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(m.shape[0]):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        d, ix = m.data[lo:hi], m.indices[lo:hi]
        if hi - lo > keep:
            top = np.lexsort((ix, -d))[:keep]
            d, ix = d[top], ix[top]
        data.append(d)
        indices.append(ix)
        indptr.append(indptr[-1] + len(d))
    return sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
            indptr,
        ),
        shape=m.shape,
    )


def candidates(
    src: sp.csr_matrix,
    tgt: sp.csr_matrix,
    src_dates: list[date | None],
    tgt_dates: list[date | None],
    k: int,
    floor: float,
    query_terms: int,
    window_days: int,
    chunk: int = 512,
) -> list[list[tuple[int, float]]]:
    """For each source row, up to `k` (target row, similarity) pairs, best first."""
    out: list[list[tuple[int, float]]] = [[] for _ in range(src.shape[0])]
    if src.shape[0] == 0 or tgt.shape[0] == 0:
        return out
    queries = prune_rows(src, query_terms)
    tgt_t = sp.csc_matrix(tgt.T)
    t_ord = np.array([d.toordinal() if d else -1 for d in tgt_dates])
    s_ord = np.array([d.toordinal() if d else -1 for d in src_dates])
    undated_t = np.nonzero(t_ord < 0)[0]
    dated_sorted = np.argsort(np.where(t_ord < 0, np.iinfo(np.int64).max, t_ord), kind="stable")[: len(t_ord) - len(undated_t)]
    dated_vals = t_ord[dated_sorted]
    order = np.argsort(np.where(s_ord < 0, np.iinfo(np.int64).max, s_ord), kind="stable")
    for start in range(0, len(order), chunk):
        rows = order[start : start + chunk]
        known = s_ord[rows][s_ord[rows] >= 0]
        if len(known) == len(rows) and window_days >= 0:
            lo = np.searchsorted(dated_vals, known.min() - window_days, "left")
            hi = np.searchsorted(dated_vals, known.max() + window_days, "right")
            cols = np.sort(np.concatenate([dated_sorted[lo:hi], undated_t]))
        else:
            cols = np.arange(tgt.shape[0])
        if len(cols) == 0:
            continue
        sims = (queries[rows] @ tgt_t[:, cols]).tocsr()
        for r_local, r in enumerate(rows):
            lo_p, hi_p = sims.indptr[r_local], sims.indptr[r_local + 1]
            vals, idx = sims.data[lo_p:hi_p], cols[sims.indices[lo_p:hi_p]]
            if s_ord[r] >= 0 and window_days >= 0:
                gap_ok = (t_ord[idx] < 0) | (np.abs(t_ord[idx] - s_ord[r]) <= window_days)
                vals, idx = vals[gap_ok], idx[gap_ok]
            keep = vals >= floor
            vals, idx = vals[keep], idx[keep]
            if len(vals) > k:
                top = np.lexsort((idx, -vals))[:k]
                vals, idx = vals[top], idx[top]
            ranked = np.lexsort((idx, -vals))
            out[int(r)] = [(int(idx[t]), float(vals[t])) for t in ranked]
    return out
