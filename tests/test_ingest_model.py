"""The line labeller as data: the shipped model is what the training script makes of its data list, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.ingest.features import FEATURE_VERSION
from pipeline.ingest.labeller import Labeller, model_folder
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
