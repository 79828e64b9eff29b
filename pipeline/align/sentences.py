"""Sentence pairs inside a matched (translation, English article) pair.

Two modes, because coverage is not translation:

* ``best`` (default): each translated sentence is paired with its most similar
  English sentence when the similarity clears a threshold. No order is
  imposed and most sentences may stay unpaired: an English report of the
  same event tells the facts in its own order and leaves many out.
* ``monotonic``: for true parallel text (a translation against its
  reference), dynamic programming over 1-1, 1-2, 2-1 links and skips, in the
  spirit of Vecalign/Bleualign: the best-scoring path of links in reading
  order. A 1-2 link yields two pairs (one per English sentence).

Both take a similarity function over *groups* of sentences, so merged links
are scored on the merged text (sum of the rows, renormalised), not on the
average of the parts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pipeline.records import SentencePair

WORD_SHARE = 0.0  # share of the stem cosine in sentence similarity (the rest: character n-grams)


def similarity(src_word: sp.csr_matrix, src_char: sp.csr_matrix, tgt_word: sp.csr_matrix, tgt_char: sp.csr_matrix) -> np.ndarray:
    """Sentence × sentence similarity: cosine of character n-gram vectors (chrF-like).

    Stems add nothing here on FLORES (measured), so by default the sentence
    level uses characters only; `WORD_SHARE` mixes the stem cosine back in.
    """
    if src_word.shape[0] == 0 or tgt_word.shape[0] == 0:
        return np.zeros((src_word.shape[0], tgt_word.shape[0]))
    sim = (src_char @ tgt_char.T).toarray()
    if WORD_SHARE:
        sim = (1 - WORD_SHARE) * sim + WORD_SHARE * (src_word @ tgt_word.T).toarray()
    return np.clip(sim, 0.0, 1.0)


def best_pairs(sim: np.ndarray, threshold: float) -> list[SentencePair]:
    """Each source sentence with its best target sentence, if at least `threshold`."""
    pairs = []
    for i in range(sim.shape[0]):
        if sim.shape[1] == 0:
            break
        j = int(np.argmax(sim[i]))  # argmax takes the first of equal scores: deterministic
        if sim[i, j] >= threshold:
            pairs.append(SentencePair(source=i, target=j, score=round(float(sim[i, j]), 4)))
    return pairs


def strong_pairs(sim: np.ndarray, floor: float) -> list[tuple[int, int, float]]:
    """Greedy one-to-one pairs above `floor`, best first: the match's independent shared facts.

    One English sentence can back only one translated sentence here, so a
    single shared fact is counted once, however many translated sentences
    resemble it.
    """
    rows, cols = np.nonzero(sim >= floor)
    order = sorted(zip(rows.tolist(), cols.tolist()), key=lambda rc: (-sim[rc], rc))
    used_r: set[int] = set()
    used_c: set[int] = set()
    out = []
    for r, c in order:
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            out.append((r, c, float(sim[r, c])))
    return out


_NONE = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
Link = tuple[int, int, float, int, int]  # (first source sentence, first target sentence, similarity, n source, n target)


def strong_links(one: np.ndarray, one_two: np.ndarray, two_one: np.ndarray, floor: float) -> list[Link]:
    """Like :func:`strong_pairs`, but a link may also join one sentence to two adjacent ones (1-2 / 2-1).

    Translators split and merge sentences: one Arabic sentence often becomes
    two English ones, and half of it resembles each only partly. A merged
    link is scored on the merged text (see :func:`merged_similarity`) and
    uses up both sentences, so it still counts as one shared fact; it is only
    considered where it beats both halves as 1-1 links. Greedy, best first;
    ties go to the simpler link, then to reading order.
    """
    # a merge is only worth taking where it beats both of its halves as 1-1 links
    found = [np.nonzero(one >= floor)]
    found.append(np.nonzero((one_two >= floor) & (one_two > np.maximum(one[:, :-1], one[:, 1:]))) if one_two.size else _NONE)
    found.append(np.nonzero((two_one >= floor) & (two_one > np.maximum(one[:-1], one[1:]))) if two_one.size else _NONE)
    sim = np.concatenate([m[r, c] for m, (r, c) in zip((one, one_two, two_one), found)])
    rows = np.concatenate([r for r, _ in found])
    cols = np.concatenate([c for _, c in found])
    kind = np.repeat(np.arange(3), [len(r) for r, _ in found])  # 0: 1-1, 1: 1-2, 2: 2-1
    nrs, ncs = 1 + (kind == 2), 1 + (kind == 1)
    order = np.lexsort((cols, rows, kind > 0, -sim))
    n_rows, n_cols = one.shape
    used_r: set[int] = set()
    used_c: set[int] = set()
    out = []
    for r, c, x, nr, nc in zip(
        rows[order].tolist(), cols[order].tolist(), sim[order].tolist(), nrs[order].tolist(), ncs[order].tolist()
    ):
        if r in used_r or c in used_c or (nr == 2 and r + 1 in used_r) or (nc == 2 and c + 1 in used_c):
            continue
        used_r.update(range(r, r + nr))
        used_c.update(range(c, c + nc))
        out.append((r, c, x, nr, nc))
        if len(used_r) >= n_rows or len(used_c) >= n_cols:
            break
    return out


def merged_similarity(sim: np.ndarray, adjacent: np.ndarray, norms2: np.ndarray, axis: int) -> np.ndarray:
    """Cosine with the merge of two adjacent sentences, from the 1-1 cosines alone.

    cos(x, a + b) = (x·a + x·b) / |a + b| and |a + b|² = |a|² + |b|² + 2 a·b,
    so only the dot products of neighbouring sentences (`adjacent[k]` =
    row k · row k+1 along `axis`) and the squared norms (1, or 0 for an empty
    sentence) are needed. The result has one fewer entry along `axis`.
    """
    if sim.shape[axis] < 2:
        shape = list(sim.shape)
        shape[axis] = 0
        return np.zeros(shape)
    denom = np.sqrt(np.maximum(norms2[:-1] + norms2[1:] + 2 * adjacent, 0.0))
    denom = np.where(denom > 0, denom, np.inf)
    if axis == 1:
        return (sim[:, :-1] + sim[:, 1:]) / denom[None, :]
    return (sim[:-1, :] + sim[1:, :]) / denom[:, None]


def _merged(word: sp.csr_matrix, char: sp.csr_matrix, i: int, n: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    def norm(m: sp.csr_matrix) -> sp.csr_matrix:
        v = sp.csr_matrix(m[i : i + n].sum(axis=0))
        length = np.sqrt(v.multiply(v).sum())
        return v / length if length > 0 else v

    return norm(word), norm(char)


def monotonic_pairs(
    src_word: sp.csr_matrix,
    src_char: sp.csr_matrix,
    tgt_word: sp.csr_matrix,
    tgt_char: sp.csr_matrix,
    skip_cost: float = 0.15,
    merge_penalty: float = 0.05,
) -> list[SentencePair]:
    """Monotonic 1-1 / 1-2 / 2-1 alignment by dynamic programming.

    A link gains (similarity - skip_cost), merged links pay `merge_penalty`
    more; leaving a sentence unlinked gains 0. So a link is only made when its
    similarity beats `skip_cost`, and a merge only when the merged text is
    clearly closer than the single sentence.
    """
    n, m = src_word.shape[0], tgt_word.shape[0]
    if n == 0 or m == 0:
        return []
    one = similarity(src_word, src_char, tgt_word, tgt_char)
    src2 = [_merged(src_word, src_char, i, 2) for i in range(n - 1)]
    tgt2 = [_merged(tgt_word, tgt_char, j, 2) for j in range(m - 1)]
    two_one = (
        similarity(sp.vstack([w for w, _ in src2]), sp.vstack([c for _, c in src2]), tgt_word, tgt_char)
        if src2
        else np.zeros((0, m))
    )
    one_two = (
        similarity(src_word, src_char, sp.vstack([w for w, _ in tgt2]), sp.vstack([c for _, c in tgt2]))
        if tgt2
        else np.zeros((n, 0))
    )
    best = np.full((n + 1, m + 1), -np.inf)
    back: dict[tuple[int, int], tuple[int, int, str]] = {}
    best[0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i > 0:
                options.append((best[i - 1, j], i - 1, j, "skip"))
            if j > 0:
                options.append((best[i, j - 1], i, j - 1, "skip"))
            if i > 0 and j > 0:
                options.append((best[i - 1, j - 1] + one[i - 1, j - 1] - skip_cost, i - 1, j - 1, "1-1"))
            if i > 1 and j > 0:
                options.append((best[i - 2, j - 1] + two_one[i - 2, j - 1] - skip_cost - merge_penalty, i - 2, j - 1, "2-1"))
            if i > 0 and j > 1:
                options.append((best[i - 1, j - 2] + one_two[i - 1, j - 2] - skip_cost - merge_penalty, i - 1, j - 2, "1-2"))
            value, pi, pj, kind = max(options, key=lambda o: o[0])
            best[i, j] = value
            back[(i, j)] = (pi, pj, kind)
    pairs: list[SentencePair] = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj, kind = back[(i, j)]
        if kind == "1-1":
            pairs.append(SentencePair(source=pi, target=pj, score=round(float(one[pi, pj]), 4)))
        elif kind == "2-1":
            s = round(float(two_one[pi, pj]), 4)
            pairs += [SentencePair(source=pi + 1, target=pj, score=s), SentencePair(source=pi, target=pj, score=s)]
        elif kind == "1-2":
            s = round(float(one_two[pi, pj]), 4)
            pairs += [SentencePair(source=pi, target=pj + 1, score=s), SentencePair(source=pi, target=pj, score=s)]
        i, j = pi, pj
    return list(reversed(pairs))
