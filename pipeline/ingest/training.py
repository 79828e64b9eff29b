"""Training the line labeller: a data list of labelled dumps in, a CRF model and its metadata out.

    python -m pipeline.ingest.training tests/data/segmenter/data.yaml --out pipeline/ingest/model

(``scripts/train-segmenter`` runs exactly that.) The data list names every
dump, where its text is (a path relative to the repository root: the seeds,
``tests/data/shapes``, and the real dumps of ``../shared/data/dev-dumps``,
read from there and never copied), its line labels (a TSV file beside the
list: ``unit index, label, text hash``; no text, so the labels of a
copyrighted dump can live in the repository), its gold file, and whether it
is a real dump (measured) or a hand-written shape (training only). The model
is written byte for byte the same from the same list: the training order is
the list's, the trainer is deterministic (L-BFGS, no sampling), and the
metadata record carries no time stamp. Reproducing the shipped model needs
``../shared`` beside the checkout, as the tests do.

Labels (:data:`LABELS`) are a role and, for the first line of a piece that
is not chrome, a ``B-`` prefix: a piece starts where a ``B-`` label is.
``title`` is a piece's headline, ``teaser`` the headline of one item of a
list of teasers (its piece is of kind 'teaser'), ``dateline`` a line giving
the piece's date (and place or agency), ``byline`` its author, ``body`` its
text, ``chrome`` page furniture (site names, section labels, captions,
repeated headlines, clocks, share buttons), ``separator`` furniture that
closes an article or a list item ("Read more", "Full Story", "Related").
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycrfsuite
import yaml

from pipeline.ingest import decoding
from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.features import FEATURE_VERSION, Features, sequence_features
from pipeline.ingest.gazetteer import DEFAULT, Gazetteer
from pipeline.ingest.html import page_sequences
from pipeline.ingest.labeller import META_FILE, MODEL_FILE
from pipeline.ingest.lines import Unit
from pipeline.ingest.pieces import CutOptions
from pipeline.ingest.readers import read_source
from pipeline.ingest.segmenter import sequence_context, text_units, windows

ROLES = ("title", "teaser", "dateline", "byline", "body", "chrome", "separator")
STARTS = ("B-title", "B-teaser", "B-dateline", "B-byline", "B-body")
LABELS = (*STARTS, "title", "dateline", "byline", "body", "chrome", "separator")
TRAINER_PARAMS: dict[str, Any] = {
    "c1": 0.05,  # L1: most of the many one-hot features get no weight
    "c2": 0.01,
    "max_iterations": 150,
    "feature.possible_transitions": True,
    "feature.minfreq": 1,
}
AUGMENT_SEQUENCES = 80
AUGMENT_SEED = 21
HEADLESS_SHARE = 0.5


def text_hash(text: str) -> str:
    """Eight hex digits of the unit's text: a label file names no text, only checks it still labels the same line."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class TrainingDump:
    """One entry of the data list."""

    name: str
    path: Path
    labels: Path
    gold: Path | None
    real: bool  # a real dump (measured, leave one out) or a hand-written shape (training only)
    source: str

    @property
    def kind(self) -> str:
        return "html" if self.path.suffix.lower() in (".html", ".htm", ".xhtml") else "text"


def repository_root(start: Path) -> Path:
    """The folder holding pyproject.toml at or above `start`: dump paths in a data list are relative to it."""
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").exists():
            return folder
    raise ValueError(f"{start}: not inside a checkout (no pyproject.toml above it)")


def load_data_list(path: Path, root: Path | None = None) -> list[TrainingDump]:
    """The data list at `path`; dump paths are relative to `root` (by default the checkout holding the list)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = root or repository_root(path.resolve().parent)
    dumps = []
    for entry in spec["dumps"]:
        dumps.append(
            TrainingDump(
                name=str(entry["name"]),
                path=(root / entry["path"]).resolve(),
                labels=(path.parent / entry["labels"]).resolve(),
                gold=(root / entry["gold"]).resolve() if entry.get("gold") else None,
                real=bool(entry.get("real", True)),
                source=str(entry.get("source", "")),
            )
        )
    return dumps


def read_labels(path: Path) -> list[tuple[str, str]]:
    """(label, text hash) per unit, in unit order."""
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        index, label, digest = line.split("\t")[:3]
        if int(index) != len(rows):
            raise ValueError(f"{path}:{number}: unit {index} out of order (expected {len(rows)})")
        if label not in LABELS:
            raise ValueError(f"{path}:{number}: unknown label {label!r} (one of {', '.join(LABELS)})")
        rows.append((label, digest))
    return rows


def write_labels(path: Path, units: Sequence[Unit], labels: Sequence[str], comment: str = "") -> None:
    out = io.StringIO()
    if comment:
        out.write("".join(f"# {line}\n" for line in comment.splitlines()))
    for index, (unit, label) in enumerate(zip(units, labels, strict=True)):
        out.write(f"{index}\t{label}\t{text_hash(unit.text)}\n")
    path.write_text(out.getvalue(), encoding="utf-8")


def document_sequences(path: Path, gazetteer: Gazetteer, options: CutOptions | None = None) -> list[list[Unit]]:
    """The unit sequences of one file as ingest labels them: windows of a text dump, the containers of an HTML page."""
    options = options or CutOptions(gazetteer=gazetteer)
    chrome = ChromeFilter(gazetteer=gazetteer)
    sequences: list[list[Unit]] = []
    for document in read_source(path):
        if document.kind == "html":
            sequences += [units for _, units in page_sequences(document.text, options, chrome)]
        elif document.segment:
            sequences += list(windows(text_units(document.lines(), options, chrome), options.max_piece_chars))
    return sequences


def dump_sequences(dump: TrainingDump, gazetteer: Gazetteer = DEFAULT) -> list[list[Unit]]:
    """The unit sequences the labeller sees for this dump, as ingest would cut them (windows or HTML containers)."""
    return document_sequences(dump.path, gazetteer)


def labelled_sequences(
    dump: TrainingDump, gazetteer: Gazetteer = DEFAULT
) -> Iterator[tuple[list[Unit], list[Features], list[str]]]:
    """(units, features, labels) per sequence of the dump; fails when the labels no longer fit its units."""
    labels = read_labels(dump.labels)
    sequences = dump_sequences(dump, gazetteer)
    total = sum(len(s) for s in sequences)
    if total != len(labels):
        raise ValueError(f"{dump.labels}: {len(labels)} labels for {total} units of {dump.path.name}")
    at = 0
    previous: list[Unit] = []
    for units in sequences:
        mine = labels[at : at + len(units)]
        for offset, (unit, (_, digest)) in enumerate(zip(units, mine, strict=True)):
            if text_hash(unit.text) != digest:
                raise ValueError(f"{dump.labels}: unit {at + offset} is now {unit.text[:60]!r}, not the labelled line")
        # an HTML container is tagged on its own (ingest does so: the markup says where an article ends), a window of a
        # text dump with the last units of the window before it
        before = [] if dump.kind == "html" else sequence_context(previous, units)
        feats = sequence_features(units, gazetteer, before)
        yield units, feats, [label for label, _ in mine]
        at += len(units)
        previous = units


Block = list[tuple[Unit, str]]


def blocks_of(units: Sequence[Unit], labels: Sequence[str]) -> list[Block]:
    """A labelled sequence cut before every ``B-`` label: one piece (with the chrome after it) per block."""
    blocks: list[Block] = []
    for unit, label in zip(units, labels, strict=True):
        if label.startswith("B-") or not blocks:
            blocks.append([])
        blocks[-1].append((unit, label))
    return blocks


# Blank lines (inside a piece, between pieces) of the made-up aggregates: the layouts real dumps come in.
GAP_STYLES = ((None, None), (0, 2), (1, 2), (1, 3), (0, 1))


def aggregates(blocks: Sequence[Block], count: int, seed: int = AUGMENT_SEED) -> Iterator[tuple[list[Unit], list[str]]]:
    """Made-up aggregator dumps: pieces of the training dumps in a new order and layout, their labels kept.

    Why: an aggregator puts pieces of many sites one after the other, with
    whatever blank lines its scraper wrote. Real labelled dumps are few, so
    the model would learn their layouts (two blank lines between pages in
    one, none in another) instead of what starts a piece. Shuffling the
    labelled pieces of the training dumps (never of a held-out one) into new
    sequences with other gap styles teaches it that a gap's width means
    something only relative to the dump's other gaps. Half of the pieces
    lose their headline and metadata lines, as excerpts stored without their
    headline do, so that a piece starting with a paragraph (after a change of
    script, a wide gap) is seen often enough. Deterministic (`seed`).
    """
    rng = random.Random(seed)
    pieces = [b for b in blocks if any(label.startswith("B-") for _, label in b)]
    if len(pieces) < 2:
        return
    for _ in range(count):
        chosen = rng.sample(pieces, min(len(pieces), rng.randint(4, 14)))
        inside, between = GAP_STYLES[rng.randrange(len(GAP_STYLES))]
        units: list[Unit] = []
        labels: list[str] = []
        for block in chosen:
            if rng.random() < HEADLESS_SHARE:
                block = _headless(block)
            for position, (unit, label) in enumerate(block):
                moved = copy.copy(unit)
                if inside is not None and between is not None:
                    moved.blank_before = between if position == 0 else inside
                units.append(moved)
                labels.append(label)
        units[0].blank_before = 0
        yield units, labels


def _headless(block: Block) -> Block:
    """The piece without the lines before its first paragraph, that paragraph starting it (``B-body``)."""
    for index, (_, label) in enumerate(block):
        if label.removeprefix("B-") == "body":
            return [(block[index][0], "B-body"), *block[index + 1 :]]
        if label.removeprefix("B-") == "teaser":
            return block
    return block


def train(
    dumps: Sequence[TrainingDump],
    model_path: Path,
    gazetteer: Gazetteer = DEFAULT,
    params: dict[str, Any] | None = None,
    augment: int = AUGMENT_SEQUENCES,
) -> dict[str, Any]:
    """Fit the CRF on `dumps` (in their order) and `augment` made-up aggregates of them; write it to `model_path`."""
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params(params or TRAINER_PARAMS)
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    blocks: list[Block] = []
    seen: list[tuple[list[Unit], list[str]]] = []
    for dump in dumps:
        for units, feats, labels in labelled_sequences(dump, gazetteer):
            trainer.append(pycrfsuite.ItemSequence(feats), labels)
            blocks += blocks_of(units, labels)
            seen.append((units, labels))
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        digest.update(dump.name.encode() + b"\0" + dump.labels.read_bytes() + b"\0" + dump.path.read_bytes())
    for units, labels in aggregates(blocks, augment):
        trainer.append(pycrfsuite.ItemSequence(sequence_features(units, gazetteer)), labels)
    trainer.train(str(model_path))
    trained = {
        "dumps": [d.name for d in dumps],
        "labels": dict(sorted(counts.items())),
        "aggregates": {"sequences": augment, "seed": AUGMENT_SEED},
        "data_sha256": digest.hexdigest(),
        "decoding": decoding.learn(seen),
    }
    meta = metadata(trained, model_path)
    model_path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return trained


def metadata(trained: dict[str, Any], model_path: Path) -> dict[str, Any]:
    """The record shipped beside the model: feature version, data, library versions, the model's hash, its decoding priors."""
    return {
        "feature_version": FEATURE_VERSION,
        "labels": list(LABELS),
        "trainer": {"library": "python-crfsuite", "version": _version("python-crfsuite"), "params": TRAINER_PARAMS},
        "trained_on": {k: v for k, v in trained.items() if k != "decoding"},
        "decoding": trained["decoding"],
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
    }


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the ingest line labeller from a data list (see the module docstring).")
    parser.add_argument("data", type=Path, help="the data list (tests/data/segmenter/data.yaml)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write segmenter.crfsuite and segmenter.json to")
    args = parser.parse_args(argv)
    dumps = load_data_list(args.data)
    missing = [str(d.path) for d in dumps if not d.path.exists()]
    if missing:
        print(f"error: {missing[0]}: missing (the real dumps are read from ../shared beside the checkout)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / MODEL_FILE
    trained = train(dumps, model_path)
    meta = metadata(trained, model_path)
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{model_path}: trained on {len(dumps)} dumps, {sum(trained['labels'].values())} units; sha256 {meta['model_sha256'][:16]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
