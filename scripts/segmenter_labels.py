"""Annotating dumps for the ingest line labeller: draft labels from a gold file, show them for review, set them.

    python scripts/segmenter_labels.py show NAME                 # every unit: index, label, line, text
    python scripts/segmenter_labels.py draft NAME [--force]      # first draft from the gold pieces (spans, titles, dates, authors)
    python scripts/segmenter_labels.py set NAME 12=B-title 13-15=chrome ...

NAME is a dump of tests/data/segmenter/data.yaml. A draft is only a start:
read it with `show`, fix every line by hand with `set`, and commit the TSV.
The draft puts units outside every gold span in `chrome` (a page-chrome
rule of kind end/post makes it `separator`), the first unit matching the
gold title in `title` (`teaser` for a list item, "#" in its id), units
whose date line is the gold date in `dateline`, short units naming the gold
author in `byline`, and the rest in `body`; the first unit of each piece
that is not chrome gets the `B-` prefix.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.ingest.gazetteer import DEFAULT  # noqa: E402
from pipeline.ingest.lines import Unit  # noqa: E402
from pipeline.ingest.training import (  # noqa: E402
    LABELS,
    TrainingDump,
    dump_sequences,
    load_data_list,
    read_labels,
    write_labels,
)

DATA = ROOT / "tests" / "data" / "segmenter" / "data.yaml"


def loose(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFKC", text or "")).split()).casefold()


def find(name: str) -> TrainingDump:
    for dump in load_data_list(DATA):
        if dump.name == name:
            return dump
    raise SystemExit(f"error: {name}: not in {DATA}")


def units_of(dump: TrainingDump) -> list[Unit]:
    return [u for seq in dump_sequences(dump, DEFAULT) for u in seq]


def gold_pieces(dump: TrainingDump) -> list[dict[str, Any]]:
    assert dump.gold is not None
    gold = json.loads(dump.gold.read_text(encoding="utf-8"))
    return [p for p in gold["pieces"] if p["dump"] == dump.path.name]


def line_offsets(text: str) -> list[int]:
    offsets, at = [0], 0
    for line in text.split("\n"):
        at += len(line) + 1
        offsets.append(at)
    return offsets


def draft(dump: TrainingDump) -> list[str]:
    units = units_of(dump)
    pieces = gold_pieces(dump)
    owner: list[int | None] = []
    if dump.kind == "html":
        from pipeline.ingest.chrome import ChromeFilter
        from pipeline.ingest.html import page_sequences
        from pipeline.ingest.pieces import CutOptions

        raw = dump.path.read_text(encoding="utf-8")
        sequences = page_sequences(raw, CutOptions(), ChromeFilter())
        by_index = {p.get("html_article_index", i): i for i, p in enumerate(pieces)}
        for index, (_, seq) in enumerate(sequences):
            owner += [by_index.get(index)] * len(seq)
    else:
        text = dump.path.read_text(encoding="utf-8")
        offsets = line_offsets(text)
        for unit in units:
            start = offsets[unit.lines[0] - 1]
            owner.append(next((i for i, p in enumerate(pieces) if p["char_start"] <= start < p["char_end"]), None))
    labels: list[str] = []
    titled: set[int] = set()
    started: set[int] = set()
    suggested = model_roles(dump)
    for index, (unit, piece_index) in enumerate(zip(units, owner, strict=True)):
        if piece_index is None:
            labels.append("separator" if unit.chrome is not None and unit.chrome.kind in ("end", "post") else "chrome")
            continue
        gold = pieces[piece_index]
        title = gold.get("title")
        same_title = bool(title) and (loose(unit.text) == loose(title) or fuzz.ratio(loose(unit.text), loose(title)) >= 90)
        model = suggested[index]
        if same_title and piece_index not in titled and piece_index not in started:
            role = "teaser" if "#" in gold["piece_id"] or gold.get("kind") == "teaser" else "title"
            titled.add(piece_index)
        elif same_title or unit.chrome is not None:
            role = "separator" if unit.chrome is not None and unit.chrome.kind in ("end", "post") else "chrome"
        elif unit.date and gold.get("date") and unit.date[:10] == str(gold["date"])[:10]:
            role = "dateline"
        elif (
            gold.get("author") and unit.words <= 12 and loose(str(gold["author"]).split(";")[0].split("(")[0]) in loose(unit.text)
        ):
            role = "byline"
        elif piece_index in started and (
            model in ("chrome", "separator", "byline", "dateline") or (model == "title" and piece_index in titled)
        ):
            role = model  # the shipped model's suggestion (never on a piece's first line): review it with `show`
        else:
            role = "body"
        if role not in ("chrome", "separator") and piece_index not in started:
            started.add(piece_index)
            role = "B-" + role
        labels.append(role)
    return labels


def model_roles(dump: TrainingDump) -> list[str]:
    """The shipped model's role for every unit (p >= 0.5, else body): a draft's suggestions for the lines gold does not decide."""
    from pipeline.ingest.features import sequence_features
    from pipeline.ingest.labeller import load_labeller
    from pipeline.ingest.segmenter import sequence_context

    labeller = load_labeller()
    roles: list[str] = []
    previous: list[Unit] = []
    for units in dump_sequences(dump, DEFAULT):
        for tag in labeller.tag(sequence_features(units, DEFAULT, sequence_context(previous, units))):
            roles.append(tag.role if tag.p >= 0.5 else "body")
        previous = units
    return roles


def show(dump: TrainingDump) -> None:
    units = units_of(dump)
    labels = [label for label, _ in read_labels(dump.labels)] if dump.labels.exists() else ["?"] * len(units)
    for index, (unit, label) in enumerate(zip(units, labels, strict=False)):
        tag = f"<{unit.tag}>" if unit.tag else ""
        print(f"{index:4} {label:11} {unit.lines[0]:5} {unit.blank_before} {tag}{unit.text[:110]}")


def set_labels(dump: TrainingDump, changes: list[str]) -> None:
    units = units_of(dump)
    labels = [label for label, _ in read_labels(dump.labels)]
    for change in changes:
        where, label = change.split("=")
        if label not in LABELS:
            raise SystemExit(f"error: {label}: not a label ({', '.join(LABELS)})")
        first, _, last = where.partition("-")
        for index in range(int(first), int(last or first) + 1):
            labels[index] = label
    write_labels(dump.labels, units, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["show", "draft", "set"])
    parser.add_argument("name")
    parser.add_argument("changes", nargs="*")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    dump = find(args.name)
    if args.command == "show":
        show(dump)
    elif args.command == "draft":
        if dump.labels.exists() and not args.force:
            raise SystemExit(f"error: {dump.labels}: exists (--force to overwrite)")
        write_labels(dump.labels, units_of(dump), draft(dump))
        show(dump)
    else:
        set_labels(dump, args.changes)


if __name__ == "__main__":
    main()
