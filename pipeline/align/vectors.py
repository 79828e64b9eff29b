"""Sparse weighted vectors for sentences and whole pieces, in one shared feature space.

Texts are tokenised once into ``W``, the counts of each lower-cased word per
text row (a sentence or a title); everything after that is sparse-matrix
algebra (scipy), so the cost is in C, not in Python loops over tokens:

* word features = ``W @ P`` where ``P`` maps each word to its stem;
* character features = ``W @ C`` where ``C`` holds each word's character
  3-5-grams (all words, stopwords included, unless ``char_min_weight`` limits
  them to rare words);
* piece rows = sums of their text rows.

Then sublinear tf (1 + log tf), weights (stems: the fixed background weights
of :class:`~pipeline.align.text.Background`; character n-grams: uniform, like
chrF — measured better on FLORES than background-weighted grams), and L2
normalisation, so the dot product of two rows is their cosine. The column
numbering depends on the batch, the values of any dot product do not.

**Memory.** Only ``W`` (one entry per distinct word of a sentence) and the
pieces' stem vectors (the candidate index) are kept for the whole batch.
Character n-gram vectors are ten times larger (a 100k × 100k batch: ~430M
entries, most of the 10.8 GB it used to take), so they are computed for the
pieces that are being scored, a block at a time (:meth:`Vectors.pieces`),
and dropped when the block moves on (see the matcher's cache).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count

import numpy as np
import scipy.sparse as sp

from pipeline.align.sentences import WORD_SHARE
from pipeline.align.text import Background, char_ngrams, is_content, is_fact_word, may_state_figure, stem, words

GRAM_WEIGHTS = False  # background-weighted character n-grams (True) or uniform (False, the default)


@dataclass
class Doc:
    """What a piece contributes: its sentences and optional extra text (title)."""

    sentences: list[str]
    extra: str | None = None


@dataclass
class PieceVectors:
    """One piece's sentence vectors (characters; stems on demand), neighbour products and whole-piece character vector.

    The stem vectors are made only when asked for: sentence similarity uses
    character n-grams alone unless ``WORD_SHARE`` mixes stems in, so the
    matcher, which loads every piece it scores, would otherwise build them
    for nothing (about 1 s of 60 at 10k × 10k).
    """

    char: sp.csr_matrix  # sentences × character n-grams
    adjacent: np.ndarray  # char row k · row k+1 (0 for the last row): merged 1-2 / 2-1 links
    norms2: np.ndarray  # squared norm of each char row (1, or 0 for an empty sentence)
    doc_char: sp.csr_matrix  # 1 × character n-grams, the whole piece (title included)
    vectors: Vectors = field(repr=False, compare=False)  # where the stem vectors come from
    sentence_rows: np.ndarray = field(repr=False, compare=False)  # the piece's sentences, as rows of `vectors`

    @cached_property
    def word(self) -> sp.csr_matrix:
        """Sentences × stems."""
        return self.vectors.sentence_word(self.sentence_rows)

    @property
    def similarity_word(self) -> sp.csr_matrix:
        """What :func:`~pipeline.align.sentences.similarity` takes as the stem vectors: the stems where
        ``WORD_SHARE`` mixes them in; otherwise it reads only their row count, and the character vectors stand in."""
        return self.word if WORD_SHARE else self.char


def _finish(counts: sp.csr_matrix, weights: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf × weight, rows L2-normalised; in place on the product's arrays (no copies)."""
    m = counts.tocsr()
    m.sum_duplicates()
    data = m.data.astype(np.float64, copy=False)
    np.log(data, out=data)
    data += 1.0
    data *= weights[m.indices]
    row_len = np.diff(m.indptr)
    # bincount, not add.reduceat: reduceat fails on trailing empty rows (an offset equal to len(data))
    rows = np.repeat(np.arange(m.shape[0]), row_len)
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=m.shape[0]))
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, row_len)
    return sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape)


def _adjacent(m: sp.csr_matrix) -> np.ndarray:
    """row k · row k+1 for each k, 0 for the last row (in chunks: 4x faster than one product of two huge slices)."""
    out = np.zeros(m.shape[0])
    for lo in range(0, m.shape[0] - 1, 4096):
        block = m[lo : min(lo + 4097, m.shape[0])]
        out[lo : lo + block.shape[0] - 1] = np.asarray(block[:-1].multiply(block[1:]).sum(axis=1)).ravel()
    return out


def rows_of(m: sp.csr_matrix, a: int, b: int) -> sp.csr_matrix:
    """Rows a:b of a CSR matrix, copied straight from its arrays (scipy's slicing is slow for many small slices).

    A copy, not a view: a cached piece must not keep its whole block's arrays alive.
    """
    lo, hi = m.indptr[a], m.indptr[b]
    return sp.csr_matrix(
        (m.data[lo:hi].copy(), m.indices[lo:hi].copy(), m.indptr[a : b + 1] - lo), shape=(b - a, m.shape[1]), copy=False
    )


def stack(mats: list[sp.csr_matrix]) -> sp.csr_matrix:
    """Row-wise concatenation of CSR matrices with the same columns, straight from their arrays."""
    if not mats:
        return sp.csr_matrix((0, 0))
    indptr = [np.zeros(1, dtype=np.int64)]
    at = 0
    for m in mats:
        indptr.append(m.indptr[1:].astype(np.int64) + at)
        at += m.indptr[-1]
    return sp.csr_matrix(
        (np.concatenate([m.data for m in mats]), np.concatenate([m.indices for m in mats]), np.concatenate(indptr)),
        shape=(sum(m.shape[0] for m in mats), mats[0].shape[1]),
        copy=False,
    )


@dataclass
class Vectors:
    counts: sp.csr_matrix  # W: text rows × words (float32 counts)
    stems: sp.csr_matrix  # P: words × stems
    grams: sp.csr_matrix  # C: words × character n-grams
    stem_w: np.ndarray
    gram_w: np.ndarray
    doc_word: sp.csr_matrix  # one stem row per doc (the candidate index)
    offsets: np.ndarray  # sentences of doc d are sentence rows offsets[d]:offsets[d+1]
    sentence_rows: np.ndarray  # sentence row -> its row in `counts`
    doc_rows: sp.csr_matrix  # docs × text rows (which rows, titles included, make a doc)
    sent_tokens: np.ndarray  # content words per sentence (for length checks)
    sent_facts: np.ndarray  # fact words per sentence (text.is_fact_word): fewer than text.FACT_WORDS is chrome
    stem_names: np.ndarray  # the stem of each column of the word vectors (strings)
    sent_figures: np.ndarray  # words per sentence that are or may start a figure (text.may_state_figure)

    def stems_of(self, d: int) -> frozenset[str]:
        """The stems of doc `d` (title included)."""
        lo, hi = self.doc_word.indptr[d], self.doc_word.indptr[d + 1]
        return frozenset(self.stem_names[self.doc_word.indices[lo:hi]].tolist())

    def sentences_of(self, d: int) -> slice:
        return slice(int(self.offsets[d]), int(self.offsets[d + 1]))

    def sentence_word(self, rows: np.ndarray | slice) -> sp.csr_matrix:
        return _finish(self.counts[self.sentence_rows[rows]] @ self.stems, self.stem_w)

    def sentence_char(self, rows: np.ndarray | slice) -> sp.csr_matrix:
        return _finish(self.counts[self.sentence_rows[rows]] @ self.grams, self.gram_w)

    @property
    def sent_word(self) -> sp.csr_matrix:
        """Every sentence's stem vector (small batches and tests; the matcher works per piece)."""
        return self.sentence_word(slice(None))

    @property
    def sent_char(self) -> sp.csr_matrix:
        return self.sentence_char(slice(None))

    def pieces(self, docs: list[int]) -> list[PieceVectors]:
        """Sentence and whole-piece vectors of `docs`, computed in one product each."""
        if not docs:
            return []
        bounds = [(int(self.offsets[d]), int(self.offsets[d + 1])) for d in docs]
        rows = np.concatenate([np.arange(a, b) for a, b in bounds])
        char = self.sentence_char(rows)
        adjacent = _adjacent(char)  # across a piece boundary too: cut below
        norms2 = np.asarray(char.multiply(char).sum(axis=1)).ravel()
        doc_char = _finish((self.doc_rows[docs] @ self.counts) @ self.grams, self.gram_w)
        out, at = [], 0
        for k, (a, b) in enumerate(bounds):
            end = at + b - a
            adj = adjacent[at:end].copy()
            if len(adj):
                adj[-1] = 0.0
            out.append(PieceVectors(rows_of(char, at, end), adj, norms2[at:end], rows_of(doc_char, k, k + 1), self, rows[at:end]))
            at = end
        return out


def build_vectors(docs: list[Doc], char_min_weight: float = 4.0) -> Vectors:
    bg = Background.get()
    ids: defaultdict[str, int] = defaultdict(count().__next__)  # a new word gets the next id (first seen first)
    indices, indptr = array("i"), array("q", [0])
    sentence_rows: list[int] = []
    doc_of_row: list[int] = []
    for d, doc in enumerate(docs):
        texts = [(s, True) for s in doc.sentences] + ([(doc.extra, False)] if doc.extra else [])
        for text, is_sentence in texts:
            toks = words(text, keep_stopwords=True)
            indices.extend(map(ids.__getitem__, toks))  # at C speed: ~4.5 M tokens at 10k x 10k
            indptr.append(len(indices))
            doc_of_row.append(d)
            if is_sentence:
                sentence_rows.append(len(indptr) - 2)
    vocab = dict(ids)
    n_rows, n_words = len(indptr) - 1, len(vocab)
    idx = np.frombuffer(indices, dtype=np.int32) if len(indices) else np.zeros(0, dtype=np.int32)
    W = sp.csr_matrix((np.ones(len(idx), dtype=np.float32), idx, np.frombuffer(indptr, dtype=np.int64)), shape=(n_rows, n_words))
    W.sum_duplicates()

    # word -> stem and word -> char n-gram maps, built over unique words only
    stems: dict[str, int] = {}
    p_rows, p_cols = [], []
    grams: dict[str, int] = {}
    c_rows, c_cols = [], []
    for w, i in vocab.items():
        if is_content(w):  # stopwords take part in character n-grams only
            p_rows.append(i)
            p_cols.append(stems.setdefault(stem(w), len(stems)))
        if char_min_weight <= 0 or bg.word(w) >= char_min_weight:
            for g in char_ngrams(w):
                c_rows.append(i)
                c_cols.append(grams.setdefault(g, len(grams)))
    P = sp.csr_matrix((np.ones(len(p_rows), dtype=np.float32), (p_rows, p_cols)), shape=(n_words, max(len(stems), 1)))
    C = sp.csr_matrix((np.ones(len(c_rows), dtype=np.float32), (c_rows, c_cols)), shape=(n_words, max(len(grams), 1)))
    content = (np.diff(P.indptr) > 0).astype(np.float32)  # the words that map to a stem
    fact_words = np.zeros(n_words, dtype=np.float32)
    fact_words[[i for w, i in vocab.items() if is_fact_word(w)]] = 1.0
    figure_words = np.zeros(n_words, dtype=np.float32)
    figure_words[[i for w, i in vocab.items() if may_state_figure(w)]] = 1.0
    rows = np.array(sentence_rows, dtype=np.int64)
    stem_w = np.zeros(max(len(stems), 1))
    for s, j in stems.items():
        stem_w[j] = bg.stem_weight.get(s, bg.unseen_stem)
    gram_w = np.zeros(max(len(grams), 1))
    for g, j in grams.items():
        gram_w[j] = bg.gram(g) if GRAM_WEIGHTS else 1.0

    A = sp.csr_matrix(
        (np.ones(n_rows, dtype=np.float32), (np.array(doc_of_row, dtype=np.int64), np.arange(n_rows))), shape=(len(docs), n_rows)
    )
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc.sentences) for doc in docs], out=offsets[1:])
    return Vectors(
        counts=W,
        stems=P,
        grams=C,
        stem_w=stem_w,
        gram_w=gram_w,
        doc_word=_finish((A @ W) @ P, stem_w),
        offsets=offsets,
        sentence_rows=rows,
        doc_rows=A,
        sent_tokens=np.rint(W @ content)[rows].astype(np.int64),
        sent_facts=np.rint(W @ fact_words)[rows].astype(np.int64),
        stem_names=np.array(list(stems) or [""], dtype=object),
        sent_figures=np.rint(W @ figure_words)[rows].astype(np.int64),
    )
