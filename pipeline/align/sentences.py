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
    used_r, used_c, out = set(), set(), []
    for r, c in order:
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            out.append((r, c, float(sim[r, c])))
    return out


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
        similarity(sp.vstack([w for w, _ in src2]), sp.vstack([c for _, c in src2]), tgt_word, tgt_char) if src2 else np.zeros((0, m))
    )
    one_two = (
        similarity(src_word, src_char, sp.vstack([w for w, _ in tgt2]), sp.vstack([c for _, c in tgt2])) if tgt2 else np.zeros((n, 0))
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
