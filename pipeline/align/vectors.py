"""Sparse weighted vectors for sentences and whole pieces, in one shared feature space.

Texts are tokenised once; everything after that is sparse-matrix algebra
(scipy), so the cost is in C, not in Python loops over tokens:

* ``W``: counts of each lower-cased word per text row (a sentence or a title);
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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pipeline.align.text import Background, char_ngrams, is_content, stem, words


GRAM_WEIGHTS = False  # background-weighted character n-grams (True) or uniform (False, the default)


@dataclass
class Doc:
    """What a piece contributes: its sentences and optional extra text (title)."""

    sentences: list[str]
    extra: str | None = None


@dataclass
class Vectors:
    sent_word: sp.csr_matrix  # one row per sentence, all docs in order
    sent_char: sp.csr_matrix
    doc_word: sp.csr_matrix  # one row per doc
    doc_char: sp.csr_matrix
    offsets: np.ndarray  # sentences of doc d are rows offsets[d]:offsets[d+1]
    sent_tokens: np.ndarray  # content words per sentence (for length checks)

    def sentences_of(self, d: int) -> slice:
        return slice(int(self.offsets[d]), int(self.offsets[d + 1]))


def _finish(counts: sp.csr_matrix, weights: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf × weight, rows L2-normalised; in place on the product's arrays (no copies)."""
    m = counts.tocsr()
    m.sum_duplicates()
    data = m.data.astype(np.float64, copy=False)
    np.log(data, out=data)
    data += 1.0
    data *= weights[m.indices]
    row_len = np.diff(m.indptr)
    norms = np.sqrt(np.add.reduceat(data * data, m.indptr[:-1])) if len(data) else np.zeros(m.shape[0])
    norms = np.where(row_len > 0, norms, 1.0)
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, row_len)
    return sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape)


def build_vectors(docs: list[Doc], char_min_weight: float = 4.0) -> Vectors:
    bg = Background.get()
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    n_tokens: list[int] = []
    sentence_rows: list[int] = []
    doc_of_row: list[int] = []
    for d, doc in enumerate(docs):
        texts = [(s, True) for s in doc.sentences] + ([(doc.extra, False)] if doc.extra else [])
        for text, is_sentence in texts:
            toks = words(text, keep_stopwords=True)
            for w in toks:
                indices.append(vocab.setdefault(w, len(vocab)))
            indptr.append(len(indices))
            doc_of_row.append(d)
            if is_sentence:
                sentence_rows.append(len(indptr) - 2)
                n_tokens.append(sum(map(is_content, toks)))
    n_rows, n_words = len(indptr) - 1, len(vocab)
    W = sp.csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr)), shape=(n_rows, n_words))

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
    P = sp.csr_matrix((np.ones(len(p_rows)), (p_rows, p_cols)), shape=(n_words, max(len(stems), 1)))
    C = sp.csr_matrix((np.ones(len(c_rows)), (c_rows, c_cols)), shape=(n_words, max(len(grams), 1)))
    stem_w = np.zeros(max(len(stems), 1))
    for s, j in stems.items():
        stem_w[j] = bg.stem_weight.get(s, bg.unseen_stem)
    gram_w = np.zeros(max(len(grams), 1))
    for g, j in grams.items():
        gram_w[j] = bg.gram(g) if GRAM_WEIGHTS else 1.0

    A = sp.csr_matrix((np.ones(n_rows), (np.array(doc_of_row, dtype=np.int64), np.arange(n_rows))), shape=(len(docs), n_rows))
    S = sp.csr_matrix(W[sentence_rows]) if sentence_rows else sp.csr_matrix((0, n_words))
    doc_counts = A @ W
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc.sentences) for doc in docs], out=offsets[1:])
    return Vectors(
        sent_word=_finish(S @ P, stem_w),
        sent_char=_finish(S @ C, gram_w),
        doc_word=_finish(doc_counts @ P, stem_w),
        doc_char=_finish(doc_counts @ C, gram_w),
        offsets=offsets,
        sent_tokens=np.array(n_tokens, dtype=np.int64),
    )
