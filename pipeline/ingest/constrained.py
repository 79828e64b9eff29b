"""The best label sequence in which every piece has a body: Viterbi with the CRF's own weights and one constraint.

A piece is text: in the labelled dumps 367 of 368 pieces have a body line
(the one exception is a teaser with no blurb). The CRF's Viterbi path sees
two labels at a time and now and then breaks that: it labels a short
page's headline and metadata a piece of their own and starts another at
the first paragraph, or calls the one paragraph of a dump's last article
chrome, so the headline over it has nothing under it and is dropped. Which
repair is right (the paragraph joins the headline's piece, or the headline
was furniture, or a line between them is a byline, not chrome) is the
model's call, so the sequence is decoded again, exactly, over states
(label, *the open piece has a body yet*): a ``B-`` label may only follow a
state whose piece has a body (or no piece yet). The last piece of a window
may go on in the next one, so the end is free; the segmenter gives a piece
still without a body when it closes the paragraphs the model called
furniture under its head. The CRF's state and transition weights come from the model file
(``Tagger.info()``); this decoding runs only on windows whose plain Viterbi
path breaks the constraint, so on the others the labels are the model's
own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.ingest.features import Features

NEG = -1e18
ATTRIBUTES_KEPT = 100_000  # (name, value) features kept with their weight row: a few thousand occur


def lone_teasers(labels: Sequence[str]) -> list[str]:
    """`labels` with the teaser of a window that holds no other one called a headline: a list has more than one item.

    Every window of the labelled dumps that holds a teaser holds at least
    three; a lone "teaser" is the headline of an article saved on its own
    (its piece is of kind 'article', not one item of a list).
    """
    if sum(label == "B-teaser" for label in labels) != 1:
        return list(labels)
    return ["B-title" if label == "B-teaser" else label for label in labels]


def violates(labels: Sequence[str]) -> bool:
    """Whether a piece in `labels` has no body line before the next start."""
    open_piece = False
    has_body = True
    for label in labels:
        if label.startswith("B-"):
            if open_piece and not has_body:
                return True
            open_piece, has_body = True, label == "B-body"
        elif label == "body":
            has_body = True
    return False  # the last piece of a window may go on in the next one (the segmenter checks it when it closes)


class ConstrainedDecoder:
    """Viterbi over (label, has body) with the weights of one CRF model."""

    def __init__(
        self, labels: Sequence[str], state_features: dict[tuple[str, str], float], transitions: dict[tuple[str, str], float]
    ):
        self.labels = list(labels)
        index = {label: i for i, label in enumerate(self.labels)}
        n = len(self.labels)
        attributes = sorted({attribute for attribute, _ in state_features})
        self.rows = {attribute: i for i, attribute in enumerate(attributes)}  # attribute -> row of the weight matrix
        self.weights = np.zeros((len(attributes), n))
        for (attribute, label), weight in state_features.items():
            self.weights[self.rows[attribute], index[label]] = weight
        self.transition = np.zeros((n, n))
        for (a, b), weight in transitions.items():
            self.transition[index[a], index[b]] = weight
        self.starts = np.array([label.startswith("B-") for label in self.labels])
        self.body_start = np.array([label == "B-body" for label in self.labels])
        self.body = np.array([label == "body" for label in self.labels])
        self._attributes: dict[tuple[str, str | float], tuple[int, float] | None] = {}

    def state_scores(self, features: list[Features]) -> np.ndarray:
        """Per unit and label, the sum of the model's state weights, added in the order of the unit's features."""
        units: list[int] = []
        rows: list[int] = []
        scales: list[float] = []
        known = self._attributes
        for t, item in enumerate(features):
            for feature in item.items():
                try:
                    found = known[feature]
                except KeyError:  # first seen (or past ATTRIBUTES_KEPT): looked up in the model
                    found = self._attribute(feature)
                if found is not None:
                    units.append(t)
                    rows.append(found[0])
                    scales.append(found[1])
        scores = np.zeros((len(features), len(self.labels)))
        np.add.at(scores, np.array(units, dtype=int), self.weights[np.array(rows, dtype=int)] * np.array(scales)[:, None])
        return scores

    def _attribute(self, feature: tuple[str, str | float]) -> tuple[int, float] | None:
        """The weight row and scale of python-crfsuite's attribute for a (name, value) feature ("name:value" x 1.0 for a
        string, "name" x value for a number), None where the model has no weight for it; kept, so that a line costs
        one look-up per feature instead of a string built per feature (the features' values are few: buckets, kinds)."""
        name, value = feature
        row = self.rows.get(f"{name}:{value}" if isinstance(value, str) else name)
        found = None if row is None else (row, 1.0 if isinstance(value, str) else value)
        if len(self._attributes) < ATTRIBUTES_KEPT:
            self._attributes[feature] = found
        return found

    def _lattice(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The augmented states' label and flag, the flag after each (state, label) step, and the step weights."""
        n = len(self.labels)
        has_body_of = np.concatenate([np.zeros(n, bool), np.ones(n, bool)])  # flag 1 also stands for "no piece open yet"
        label_of = np.concatenate([np.arange(n), np.arange(n)])
        after_flag = np.where(self.starts[None, :], self.body_start[None, :], self.body[None, :] | has_body_of[:, None])
        allowed = ~self.starts[None, :] | has_body_of[:, None]  # a start only after a piece with a body
        step = np.where(allowed, self.transition[label_of], NEG)  # 2n x n: from state i to label j
        return has_body_of, label_of, after_flag, step

    def _first(self, scores: np.ndarray) -> np.ndarray:
        n = len(self.labels)
        delta = np.full(2 * n, NEG)
        first_flag = np.where(self.starts, self.body_start, True)
        delta[np.arange(n) + n * first_flag] = scores[0]
        return delta

    def decode(self, features: list[Features]) -> tuple[list[str], np.ndarray]:
        """The best label sequence under the constraint, and each unit's label marginals under it (units x labels)."""
        scores = self.state_scores(features)
        n = len(self.labels)
        has_body_of, label_of, after_flag, step = self._lattice()
        columns = np.arange(n)
        delta = self._first(scores)
        back: list[np.ndarray] = []
        for t in range(1, len(features)):
            candidate = delta[:, None] + step
            new = np.full(2 * n, NEG)
            pointer = np.zeros(2 * n, dtype=int)
            for flag in (0, 1):
                masked = np.where(after_flag == flag, candidate, NEG)
                best = masked.argmax(axis=0)
                new[columns + n * flag] = masked[best, columns] + scores[t]
                pointer[columns + n * flag] = best
            delta = new
            back.append(pointer)
        state = int(np.argmax(delta))
        path = [state]
        for pointer in reversed(back):
            state = int(pointer[state])
            path.append(state)
        labels = [self.labels[label_of[s]] for s in reversed(path)]
        return labels, self._marginals(scores, has_body_of, after_flag, step)

    def _marginals(self, scores: np.ndarray, has_body_of: np.ndarray, after_flag: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Forward-backward over the constrained lattice: P(label at t) among the sequences that keep the constraint.

        In probability space, each step rescaled to sum to one (matrix products, no log-sum-exp per step).
        """
        n = len(self.labels)
        size = 2 * n
        # move[i, k]: weight of going from state i to state k (label k % n, flag k // n); 0 where the constraint forbids it
        move = np.zeros((size, size))
        for flag in (0, 1):
            allowed = after_flag == flag
            move[:, n * flag : n * (flag + 1)] = np.where(allowed, np.exp(np.where(allowed, step, 0.0)), 0.0)
        emit = np.exp(np.concatenate([scores, scores], axis=1) - scores.max(axis=1, keepdims=True))  # T x 2n, per-step scale
        steps = len(scores)
        alpha = np.zeros((steps, size))
        first = self._first(scores)
        alpha[0] = np.where(first > NEG / 2, np.exp(first - scores[0].max()), 0.0)
        alpha[0] /= alpha[0].sum()
        for t in range(1, steps):
            row = (alpha[t - 1] @ move) * emit[t]
            alpha[t] = row / row.sum()
        beta = np.ones((steps, size))
        for t in range(steps - 2, -1, -1):
            row = move @ (emit[t + 1] * beta[t + 1])
            beta[t] = row / row.sum()
        joint = alpha * beta
        joint /= joint.sum(axis=1, keepdims=True)
        return joint[:, :n] + joint[:, n:]
