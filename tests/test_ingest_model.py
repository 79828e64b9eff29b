"""The line labeller as data: the shipped model is what the training script makes of its data list, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.ingest import decoding
from pipeline.ingest.decoding import Decoder
from pipeline.ingest.features import FEATURE_VERSION
from pipeline.ingest.labeller import Labeller, model_folder
from pipeline.ingest.lines import Unit
from pipeline.ingest.training import LABELS, labelled_sequences, load_data_list, read_labels

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "segmenter" / "data.yaml"


def test_the_shipped_model_is_what_the_training_script_makes(tmp_path):
    """Needs ../shared beside the checkout: the real dumps are read from there."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "train-segmenter"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stderr
    shipped = model_folder()
    assert (tmp_path / "segmenter.crfsuite").read_bytes() == (shipped / "segmenter.crfsuite").read_bytes()
    made = json.loads((tmp_path / "segmenter.json").read_text(encoding="utf-8"))
    meta = json.loads((shipped / "segmenter.json").read_text(encoding="utf-8"))
    made.pop("leave_one_dump_out", None)
    meta.pop("leave_one_dump_out", None)
    assert made == meta


def test_the_metadata_says_what_the_model_was_trained_on():
    meta = json.loads((model_folder() / "segmenter.json").read_text(encoding="utf-8"))
    assert meta["feature_version"] == FEATURE_VERSION and meta["labels"] == list(LABELS)
    assert meta["trained_on"]["dumps"] == [d.name for d in load_data_list(DATA)]
    assert len(meta["trained_on"]["data_sha256"]) == 64


def test_every_label_file_still_labels_its_dump():
    """A label file names no text, only a hash per unit: a changed dump or unit reader fails here, not silently in training."""
    for dump in load_data_list(DATA):
        units = sum(len(u) for u, _, _ in labelled_sequences(dump))
        assert units == len(read_labels(dump.labels))
        first = next(label for label, _ in read_labels(dump.labels) if label not in ("chrome", "separator"))
        assert first.startswith("B-"), f"{dump.name}: its first line of text must start a piece"


def test_a_model_of_another_feature_version_is_refused(tmp_path):
    meta = {"feature_version": FEATURE_VERSION - 1}
    with pytest.raises(ConfigError, match="feature version"):
        Labeller(model_folder() / "segmenter.crfsuite", meta)


PARAGRAPH = "The minister said on {} that the plan had won support from most of the parties in parliament this week."


def _paragraphs(gaps: list[int]) -> list[Unit]:
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    return [Unit((i,), PARAGRAPH.format(days[i]), blank_before=gap) for i, gap in enumerate(gaps)]


def test_a_wide_gap_the_open_piece_already_has_inside_it_is_a_context_of_its_own():
    """A layout that puts wide gaps between an article's paragraphs: one more such gap is no sign of a new piece."""
    units = _paragraphs([0, 1, 3, 1, 3, 1])
    labels = ["B-body", "body", "body", "body", "body", "body"]
    priors = decoding.start_priors([(units, labels)])
    assert priors["para>para|wider|cont=False|before=stop"] == [1, 0]  # the first wide gap inside the piece
    assert priors["para>para|wider-again|cont=False|before=stop"] == [1, 0]  # a second one as wide
    record = {"start_priors": {"para>para|wider-again|cont=False|before=stop": [decoding.MIN_SUPPORT, 0]}}
    decoder = Decoder(record)
    # a start at the second wide gap of a piece that kept its first one is dropped
    one_piece = ["B-body", "body", "body", "body", "body", "body"]
    assert decoder.starts(units, ["B-body", "body", "body", "body", "B-body", "body"], lambda i: 0.5) == one_piece
    # where the labeller starts a piece at every wide gap, each is the first wide gap of its piece: all are kept
    every_gap = ["B-body", "body", "B-body", "body", "B-body", "body"]
    assert decoder.starts(units, every_gap, lambda i: 0.5) == every_gap
    # the gap before a piece's first paragraph is not inside it: after a start, the new piece has seen no wide gap yet
    assert decoding.start_priors([(units, every_gap)])["para>para|wider|cont=False|before=stop"] == [2, 2]
