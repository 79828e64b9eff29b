"""The line labeller: a linear-chain CRF over the units of a dump, shipped as package data.

Why a linear-chain CRF (python-crfsuite): cutting a dump is sequence
labelling. Whether a short line is a headline, a site name or a teaser
depends on the lines around it and on the labels they get (a title is
followed by a dateline or a body, a teaser by one blurb and the next
teaser), which a CRF learns as label transitions, while a per-line
classifier would label each line alone and need hand rules to make the
sequence consistent again. A CRF also trains in a second on the few
thousand labelled lines we have, is deterministic (so the shipped model is
reproducible byte for byte), gives each label a marginal probability (the
evidence a piece's metadata records, and what the segmenter abstains on),
and tags a window of lines in C, fast enough to stream a 200 MB dump.
Neural taggers need far more labelled dumps than exist here.

The model (``model/segmenter.crfsuite``) and its metadata record
(``model/segmenter.json``: feature version, labels, trainer parameters,
training data hash, leave-one-dump-out scores) are written by
:mod:`~pipeline.ingest.training`. A model whose feature version is not
:data:`~pipeline.ingest.features.FEATURE_VERSION` is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pycrfsuite

from pipeline.errors import ConfigError
from pipeline.ingest.constrained import ConstrainedDecoder, lone_teasers, violates
from pipeline.ingest.decoding import Decoder
from pipeline.ingest.features import FEATURE_VERSION, Features
from pipeline.ingest.lines import Unit

MODEL_FILE = "segmenter.crfsuite"
META_FILE = "segmenter.json"


@dataclass(frozen=True)
class Tag:
    """A unit's label and the marginal probability of its role under the model."""

    label: str
    p: float

    @property
    def role(self) -> str:
        return self.label.removeprefix("B-")

    @property
    def starts(self) -> bool:
        return self.label.startswith("B-")


class Labeller:
    """Tags sequences of feature dicts with a trained CRF model file."""

    def __init__(self, model_path: Path, meta: dict[str, Any] | None = None):
        self.path = Path(model_path)
        self.meta = meta or {}
        version = self.meta.get("feature_version", FEATURE_VERSION)
        if version != FEATURE_VERSION:
            raise ConfigError(
                f"{self.path}: segmenter model built for feature version {version}, this code has {FEATURE_VERSION}: retrain it"
                " (scripts/train-segmenter)"
            )
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(self.path))
        self.labels = tuple(self.tagger.labels())
        self.starts = tuple(label for label in self.labels if label.startswith("B-"))
        self.decoder = Decoder(self.meta.get("decoding"))
        info = self.tagger.info()
        self.constrained = ConstrainedDecoder(self.labels, info.state_features, info.transitions)
        self._role_labels: dict[str, tuple[str, ...]] = {}
        self._marginals: np.ndarray | None = None  # the last window's marginals where constrained decoding chose its labels

    def tag(self, features: list[Features], units: list[Unit] | None = None, before: list[Unit] | None = None) -> list[Tag]:
        """The most likely label sequence, each label with its marginal probability.

        Every piece gets a body line and a lone teaser is a headline
        (:mod:`~pipeline.ingest.constrained`). With the `units` the features
        were made of (and the `before` units they looked at), the starts are checked against the model's layout
        priors (:mod:`~pipeline.ingest.decoding`).
        """
        if not features:
            return []
        self.tagger.set(features)  # converted once in C (an ItemSequence built first would be converted, then copied)
        labels = list(self.tagger.tag())
        self._marginals = None
        if violates(labels):  # a piece with no body: the best sequence in which every piece has one, and its marginals
            labels, self._marginals = self.constrained.decode(features)
        labels = lone_teasers(labels)
        if units is not None:
            labels = self.decoder.starts(units, labels, self._start_p, before or [])
        return [Tag(label, self._role_p(label, i)) for i, label in enumerate(labels)]

    def _marginal(self, name: str, position: int) -> float:
        if self._marginals is not None:
            return float(self._marginals[position, self.labels.index(name)])
        return self.tagger.marginal(name, position)

    def _start_p(self, position: int) -> float:
        """The marginal probability that a piece starts at `position`, whatever its role."""
        return sum(self._marginal(name, position) for name in self.starts)

    def _role_p(self, label: str, position: int) -> float:
        """The marginal probability of the label's role, starting a piece or not (a headline is a headline either way,
        of an article or of a list item: a lone teaser is called a title)."""
        names = self._role_labels.get(label)
        if names is None:
            names = self._role_labels[label] = self._labels_of_role(label)
        return min(1.0, sum(self._marginal(name, position) for name in names))

    def _labels_of_role(self, label: str) -> tuple[str, ...]:
        """The model's labels whose marginals make up the probability of `label`'s role (found once per label)."""
        role = label.removeprefix("B-")
        names = ("title", "B-title", "B-teaser") if role in ("title", "teaser") else (role, "B-" + role)
        return tuple(name for name in names if name in self.labels)


def model_folder() -> Path:
    return Path(str(resources.files("pipeline.ingest") / "model"))


@lru_cache(maxsize=4)
def load_labeller(path: str | None = None) -> Labeller:
    """The shipped labeller (or the model file at `path`, with its ``.json`` beside it when there is one)."""
    model = Path(path) if path else model_folder() / MODEL_FILE
    meta_path = model.with_suffix(".json") if path else model_folder() / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else None
    if not model.exists():
        raise ConfigError(f"{model}: no segmenter model (train one with scripts/train-segmenter)")
    return Labeller(model, meta)
