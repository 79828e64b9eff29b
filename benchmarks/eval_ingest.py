"""How well ingest cuts dumps into pieces, measured on dumps the segmenter was not trained on.

    python benchmarks/eval_ingest.py                     # leave one dump out, every real dump with gold (the headline)
    python benchmarks/eval_ingest.py --training          # the shipped model on its own training dumps (training figures)
    python benchmarks/eval_ingest.py DUMP_DIR GOLD.json  # the shipped model on the dumps of one gold file
    python benchmarks/eval_ingest.py --baseline TREE     # the headline beside another version's cutter, same dumps, same scorer

``--baseline TREE``: TREE holds another version's ``pipeline/`` and
``configs/`` (``git archive 26f115c pipeline configs | tar -x -C TREE``, the
rule cutter). Every real dump of the data list is read by that tree's
``pipeline ingest`` (this python, ``PYTHONPATH=TREE``, a fresh store per
dump, ``--no-detect``), its pieces exported as JSONL by that tree's
``pipeline export`` and scored exactly as the held-out model's. Printed: both
tables, a "model vs rules" line per dump, and totals over the dumps of
``tests/data/dumps/`` alone (which no rule and, left out one at a time, no
model saw); the rules were written looking at the seeds and the dev dumps, so
their figures there are not held out.

Leave one dump out: for every dump of the data list
(``tests/data/segmenter/data.yaml``) that is real (not a hand-written
shape), a model is trained on all the other dumps (shapes included) exactly
as ``scripts/train-segmenter`` trains the shipped one, and the held-out dump
is cut with it as ``pipeline ingest`` cuts it. No dump is ever on both
sides. The table's title line names the split and the data list's hash.

The gold format is the one of ``../shared/data/dev-dumps/gold.json``: a
``dumps`` mapping (file name → its piece ids in dump order) and a ``pieces``
list, each with ``piece_id``, ``dump``, ``char_start``/``char_end`` (the
piece's span in the file's decoded text; for HTML, in the raw markup),
``lang``, ``title`` (null: the page gives none), ``date``, ``author`` and
``outlet``.

Matching a predicted piece to the gold is done by text, not by position, so
the same harness judges text dumps and HTML pages: every paragraph (and the
title) of a predicted piece is looked up, as letters and digits only, in the
gold spans (tags stripped), the next gold piece first. A gold piece *is in* a
predicted piece when at least min(200, a quarter of its text, and no fewer
than 40) characters of it are.

Printed per dump and in total:

found   gold pieces that are the main content of some predicted piece
glued   predicted pieces that hold two or more gold pieces
split   gold pieces spread over two or more predicted pieces
extra   predicted pieces with no gold text (page furniture kept as a piece)
lang    the detect stage's ``detect_language`` on the piece text = gold lang
title   both null, or equal up to case/punctuation/spacing (or rapidfuzz ratio >= 90)
date    the same calendar day, over the gold pieces whose date the dump states (``date_in_text``;
        every dated piece of a gold file without that field); "wrong" counts every date given
        that is not the gold's, also where the gold has none (a date from chrome is such a trap)
author  equal up to case/punctuation, or one contains the other (both null: right)
outlet  right: the gold ``outlet`` or ``original_outlet`` (their name or the name in parentheses,
        "Al Mayadeen (الميادين)"); wrong: an outlet given that is neither; empty: none given

Title, author and language accuracies are over all gold pieces (a piece not found counts as wrong).
"""

from __future__ import annotations

import argparse
import hashlib
import html as html_lib
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lxml import html as lxml_html
from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.detect import detect_language  # noqa: E402
from pipeline.ingest import IngestSettings, read_source  # noqa: E402
from pipeline.ingest.chrome import ChromeFilter  # noqa: E402
from pipeline.ingest.cutter import iter_pieces  # noqa: E402
from pipeline.ingest.html import cut_html  # noqa: E402
from pipeline.ingest.pieces import CutPiece  # noqa: E402

FIELDS = ("lang", "title", "date", "author", "outlet")
DATA_LIST = ROOT / "tests" / "data" / "segmenter" / "data.yaml"
UNSEEN_DIR = ROOT / "tests" / "data" / "dumps"  # labelled after the rule cutter was written: no rule was made on them
PYTHON = sys.executable


class ScoredPiece(Protocol):
    """What the scorer reads of a predicted piece: a `CutPiece` of this code, or a piece another version stored."""

    @property
    def title(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def outlet(self) -> str | None: ...
    @property
    def paragraphs(self) -> list[str]: ...
    @property
    def text(self) -> str: ...


@dataclass
class StoredPiece:
    """A piece as another version's `pipeline export` wrote it (pieces.jsonl)."""

    title: str | None
    date: str | None
    author: str | None
    outlet: str | None
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @classmethod
    def from_export(cls, row: dict[str, Any]) -> StoredPiece:
        paragraphs = [p["text"] for p in row.get("paragraphs") or []] or [row["text"]]
        return cls(row.get("title"), row.get("date"), row.get("author"), row.get("outlet"), paragraphs)


def key(text: str) -> str:
    """Letters and digits only, case-folded: how texts are compared across formats."""
    text = unicodedata.normalize("NFKC", html_lib.unescape(text))
    return re.sub(r"[\W_]+", "", text).casefold()


def loose(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFKC", text or "")).split()).casefold()


def cut_file(path: Path, settings: IngestSettings) -> list[CutPiece]:
    """Pieces of one dump, cut exactly as `pipeline ingest` cuts it."""
    chrome = ChromeFilter(settings.extra_chrome, gazetteer=settings.rules())
    pieces: list[CutPiece] = []
    for document in read_source(path, settings):
        if document.kind == "html":
            pieces += cut_html(document.text, settings.cut_options(), chrome)
        elif document.segment:
            pieces += list(iter_pieces(document.lines(), settings.cut_options(), None, chrome))
    return pieces


def gold_text(raw: str, piece: dict[str, Any], is_html: bool) -> str:
    span = raw[piece["char_start"] : piece["char_end"]]
    if is_html and "<" in span:
        span = lxml_html.fragment_fromstring(span, create_parent="div").text_content()
    return key(span)


def same_title(pred: str | None, gold: str | None) -> bool:
    if not pred or not gold:
        return not pred and not gold
    a, b = loose(pred), loose(gold)
    return a == b or fuzz.ratio(a, b) >= 90


def same_date(pred: str | None, gold: str | None) -> bool:
    return (pred or "")[:10] == (gold or "")[:10]


def same_name(pred: str | None, gold: str | None) -> bool:
    if not pred or not gold:
        return not pred and not gold
    a, b = loose(pred), loose(gold)
    return bool(a) and bool(b) and (a == b or a in b or b in a)


def same_outlet(pred: str | None, gold: str | None) -> bool:
    if not pred or not gold:
        return not pred and not gold
    names = [re.sub(r"\s*\([^)]*\)", "", gold), *re.findall(r"\(([^)]*)\)", gold)]
    names += [part for n in names for part in re.split(r"[,;]", n)]
    return any(loose(pred) == loose(n) for n in names if n.strip())


def outlet_verdict(pred: str | None, gold: dict[str, Any]) -> str:
    """'right', 'wrong' or 'empty' (abstained): the gold outlet or the original outlet it reproduces is right."""
    if not pred:
        return "right" if not gold.get("outlet") else "empty"
    if any(same_outlet(pred, gold.get(key)) for key in ("outlet", "original_outlet") if gold.get(key)):
        return "right"
    return "wrong"


def dated_in_text(gold: dict[str, Any]) -> bool:
    """The gold piece has a date that its dump states (a gold file without `date_in_text` derives every date from the text)."""
    return bool(gold.get("date")) and gold.get("date_in_text", True) is not False


@dataclass
class Score:
    gold: int = 0
    predicted: int = 0
    found: int = 0
    glued: int = 0
    split: int = 0
    extra: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    dated: int = 0  # gold pieces whose date the dump states
    dated_right: int = 0
    dates_wrong: int = 0  # dates given that are not the gold's
    outlets_wrong: int = 0
    outlets_empty: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in (
            "gold",
            "predicted",
            "found",
            "glued",
            "split",
            "extra",
            "dated",
            "dated_right",
            "dates_wrong",
            "outlets_wrong",
            "outlets_empty",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for f in FIELDS:
            self.right[f] += other.right[f]
        self.misses += other.misses

    def share(self, f: str) -> float:
        return self.right[f] / self.gold if self.gold else 0.0

    def date_share(self) -> float:
        return self.dated_right / self.dated if self.dated else 1.0

    def row(self, name: str) -> str:
        cells = [f"{self.share(f):.0%} ({self.right[f]})" for f in ("lang", "title")]
        cells.append(f"{self.date_share():.0%} ({self.dated_right}/{self.dated}), {self.dates_wrong} wrong")
        cells.append(f"{self.share('author'):.0%} ({self.right['author']})")
        cells.append(f"{self.right['outlet']} right, {self.outlets_wrong} wrong, {self.outlets_empty} empty")
        return f"| {name} | {self.found}/{self.gold} | {self.glued} | {self.split} | {self.extra} | " + " | ".join(cells) + " |"


def score_dump(
    path: Path, gold_pieces: list[dict[str, Any]], settings: IngestSettings, predicted: list[ScoredPiece] | None = None
) -> Score:
    """Scores of the pieces `path` is cut into (or of `predicted`, when given) against its gold pieces."""
    raw = path.read_text(encoding=(read_source(path, settings)[0].encoding))
    is_html = path.suffix.lower() in (".html", ".htm", ".xhtml")
    texts = [gold_text(raw, g, is_html) for g in gold_pieces]
    if predicted is None:
        predicted = list(cut_file(path, settings))
    score = Score(gold=len(gold_pieces), predicted=len(predicted))
    chars: list[dict[int, int]] = []
    cursor = 0
    for piece in predicted:
        counts: dict[int, int] = {}
        for part in ([piece.title] if piece.title else []) + piece.paragraphs:
            k = key(part)
            if len(k) < 8:
                continue
            order = list(range(cursor, len(texts))) + list(range(cursor))
            for g in order:
                if k in texts[g]:
                    counts[g] = counts.get(g, 0) + len(k)
                    cursor = g
                    break
        chars.append(counts)
    holders: dict[int, list[int]] = {}
    main: dict[int, int] = {}
    for p, counts in enumerate(chars):
        inside = [g for g, n in counts.items() if n >= max(40, min(200, len(texts[g]) // 4))]
        if len(inside) >= 2:
            score.glued += 1
            score.misses.append(
                f"{path.name}: piece {p} ({predicted[p].title!r}) glues {[gold_pieces[g]['piece_id'] for g in sorted(inside)]}"
            )
        for g in inside:
            holders.setdefault(g, []).append(p)
        if not counts:
            score.extra += 1
            continue
        best = max(counts, key=lambda g: counts[g])
        if best not in main or counts[best] > chars[main[best]].get(best, 0):
            main[best] = p
    for g, ps in holders.items():
        if len(ps) >= 2:
            score.split += 1
            score.misses.append(f"{path.name}: {gold_pieces[g]['piece_id']} split over pieces {ps}")
    for g, gold in enumerate(gold_pieces):
        score.dated += dated_in_text(gold)
        if g not in main:
            score.misses.append(f"{path.name}: {gold['piece_id']} not found")
            score.outlets_empty += bool(gold.get("outlet"))
            continue
        score.found += 1
        piece = predicted[main[g]]
        checks = {
            "lang": detect_language(piece.text).lang == gold.get("lang"),
            "title": same_title(piece.title, gold.get("title")),
            "date": same_date(piece.date, gold.get("date")),
            "author": same_name(piece.author, gold.get("author")),
            "outlet": same_outlet(piece.outlet, gold.get("outlet")),
        }
        verdict = outlet_verdict(piece.outlet, gold)
        checks["outlet"] = verdict == "right"
        score.outlets_wrong += verdict == "wrong"
        score.outlets_empty += verdict == "empty"
        score.dated_right += dated_in_text(gold) and checks["date"]
        score.dates_wrong += bool(piece.date) and not checks["date"]
        for f, ok in checks.items():
            score.right[f] += ok
            if not ok:
                mine = {"lang": detect_language(piece.text).lang}.get(f, getattr(piece, f, None))
                score.misses.append(f"{path.name}: {gold['piece_id']} {f}: {mine!r} (gold {gold.get(f)!r})")
    return score


def evaluate(dump_dir: Path, gold_path: Path, settings: IngestSettings | None = None) -> dict[str, Score]:
    """Scores per dump and under 'total'."""
    settings = settings or IngestSettings()
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    by_dump: dict[str, list[dict[str, Any]]] = {}
    for piece in gold["pieces"]:
        by_dump.setdefault(piece["dump"], []).append(piece)
    scores: dict[str, Score] = {}
    total = Score()
    for name in gold["dumps"]:
        order = {pid: i for i, pid in enumerate(gold["dumps"][name]["pieces"])}
        pieces = sorted(by_dump.get(name, []), key=lambda p: order.get(p["piece_id"], len(order)))
        scores[name] = score_dump(dump_dir / name, pieces, settings)
        total.add(scores[name])
    scores["total"] = total
    return scores


def table(scores: dict[str, Score], title: str = "") -> str:
    head = (
        "| dump | found | glued | split | extra | language | title | date (of those the dump dates) | author | outlet |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    return "\n".join(([title, ""] if title else []) + [head] + [s.row(name) for name, s in scores.items()])


def _gold_of_file(gold_path: Path, name: str) -> list[dict[str, Any]]:
    """The gold pieces of dump `name`, in dump order."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    order = {pid: i for i, pid in enumerate(gold["dumps"][name]["pieces"])}
    pieces = [p for p in gold["pieces"] if p["dump"] == name]
    return sorted(pieces, key=lambda p: order.get(p["piece_id"], len(order)))


def _gold_of(dump: Any) -> list[dict[str, Any]]:
    return _gold_of_file(dump.gold, dump.path.name)


def leave_one_dump_out(data_list: Path = DATA_LIST, names: list[str] | None = None) -> dict[str, Score]:
    """Scores of every real dump (or those named) cut by a model trained on all the other dumps."""
    from pipeline.ingest.training import load_data_list, train

    dumps = load_data_list(data_list)
    scores: dict[str, Score] = {}
    total = Score()
    with tempfile.TemporaryDirectory() as folder:
        for held in dumps:
            if not held.real or held.gold is None or (names and held.name not in names):
                continue
            model = Path(folder) / f"without-{held.name}.crfsuite"
            train([d for d in dumps if d is not held], model)
            settings = IngestSettings(model=str(model))
            scores[held.name] = score_dump(held.path, _gold_of(held), settings)
            total.add(scores[held.name])
    scores["total"] = total
    return scores


def on_training_dumps(data_list: Path = DATA_LIST) -> dict[str, Score]:
    """Scores of the shipped model on the real dumps it was trained on: training figures, not quality figures."""
    from pipeline.ingest.training import load_data_list

    scores: dict[str, Score] = {}
    total = Score()
    for dump in load_data_list(data_list):
        if dump.real and dump.gold is not None:
            scores[dump.name] = score_dump(dump.path, _gold_of(dump), IngestSettings())
            total.add(scores[dump.name])
    scores["total"] = total
    return scores


def tree_pipeline(tree: Path, *args: str) -> str:
    """Run `pipeline ARGS` of the code in `tree` (this python, PYTHONPATH=TREE); its output, or exit with its error."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [PYTHON, "-m", "pipeline", *args], env=env, cwd=tree, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        sys.exit(f"error: {tree}: pipeline {args[0]} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout + done.stderr


def check_tree(tree: Path) -> None:
    """Exit with a one-line error unless `python -m pipeline` run in `tree` imports the code there, not this checkout's."""
    if not (tree / "pipeline" / "__main__.py").is_file():
        sys.exit(f"error: {tree}: no pipeline/__main__.py (make it with: git archive COMMIT pipeline configs | tar -x -C {tree})")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = "import pipeline; print(pipeline.__file__)"
    where = subprocess.run([PYTHON, "-c", code], env=env, cwd=tree, capture_output=True, text=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"error: {tree}: python imports the pipeline from {where}, not from the tree")


def cut_with_tree(tree: Path, dump: Path, workdir: Path) -> tuple[list[ScoredPiece], int]:
    """The pieces `tree`'s `pipeline ingest` stores for `dump` (a fresh store), in source order, and how many it
    dropped as already known (the store keeps one piece per body text)."""
    store, out = workdir / f"{dump.name}.sqlite", workdir / f"{dump.name}.out"
    said = tree_pipeline(tree, "ingest", str(dump), "--db", str(store), "--no-detect")
    tree_pipeline(tree, "export", "--format", "jsonl", "--db", str(store), "--out", str(out), "--quiet")
    rows = [json.loads(line) for line in (out / "pieces.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    known = re.search(r"already known (\d+)", said)
    return [StoredPiece.from_export(row) for row in rows], int(known.group(1)) if known else 0


def with_baseline(tree: Path, data_list: Path = DATA_LIST, names: list[str] | None = None) -> dict[str, Score]:
    """Scores of every real dump (or those named) as the code in `tree` cuts it, with this harness's scorer."""
    from pipeline.ingest.training import load_data_list

    check_tree(tree)
    scores: dict[str, Score] = {}
    total = Score()
    with tempfile.TemporaryDirectory() as folder:
        for dump in load_data_list(data_list):
            if not dump.real or dump.gold is None or (names and dump.name not in names):
                continue
            pieces, known = cut_with_tree(tree, dump.path, Path(folder))
            scores[dump.name] = score_dump(dump.path, _gold_of(dump), IngestSettings(), pieces)
            if known:
                scores[dump.name].misses.append(f"{dump.path.name}: {known} pieces stored once as duplicates of another")
            total.add(scores[dump.name])
    scores["total"] = total
    return scores


def unseen(data_list: Path = DATA_LIST) -> set[str]:
    """Names of the real dumps labelled in tests/data/dumps/: written after the rule cutter, never looked at for it."""
    from pipeline.ingest.training import load_data_list

    return {d.name for d in load_data_list(data_list) if d.real and d.path.is_relative_to(UNSEEN_DIR.resolve())}


def subtotal(scores: dict[str, Score], names: set[str]) -> Score:
    total = Score()
    for name, score in scores.items():
        if name in names:
            total.add(score)
    return total


def side_by_side(model: dict[str, Score], rules: dict[str, Score], names: set[str]) -> str:
    """Per dump: glued, split, titles right, dates right (wrong) of the held-out model vs the rules; then totals."""

    def cells(s: Score) -> str:
        return f"{s.glued} | {s.split} | {s.right['title']}/{s.gold} | {s.dated_right}/{s.dated} ({s.dates_wrong} wrong)"

    lines = [
        "model vs rules per dump: glued, split, titles right, dates right (dates wrong); the model is held out on every dump",
        "",
        "| dump | rules held out | model glued | split | title | date | rules glued | split | title | date |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in model:
        if name in rules and name != "total":
            held = "yes" if name in names else "no"
            lines.append(f"| {name} | {held} | {cells(model[name])} | {cells(rules[name])} |")
    lines.append(f"| total, all {len(model) - 1} dumps | | {cells(model['total'])} | {cells(rules['total'])} |")
    lines.append(
        f"| total, the {len(names & set(model))} unseen dumps | yes | {cells(subtotal(model, names))} "
        f"| {cells(subtotal(rules, names))} |"
    )
    return "\n".join(lines)


def record(scores: dict[str, Score], data_list: Path = DATA_LIST) -> None:
    """Write the leave-one-dump-out figures into the shipped model's metadata (segmenter.json)."""
    from pipeline.ingest.labeller import model_folder

    path = model_folder() / "segmenter.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["leave_one_dump_out"] = {
        "data_list_sha256": hashlib.sha256(data_list.read_bytes()).hexdigest(),
        "dumps": {
            name: {
                "gold": s.gold,
                "found": s.found,
                "glued": s.glued,
                "split": s.split,
                "titles_right": s.right["title"],
                "dated": s.dated,
                "dates_right": s.dated_right,
                "dates_wrong": s.dates_wrong,
                "outlets_right": s.right["outlet"],
                "outlets_wrong": s.outlets_wrong,
                "outlets_empty": s.outlets_empty,
            }
            for name, s in scores.items()
        },
    }
    path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def signature(data_list: Path = DATA_LIST) -> str:
    """What a figure was measured with: the data list's hash and the shipped model's."""
    from pipeline.ingest.labeller import model_folder

    meta = json.loads((model_folder() / "segmenter.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(data_list.read_bytes()).hexdigest()[:12]
    return f"data list {data_list.name} sha256:{digest}, shipped model sha256:{meta['model_sha256'][:12]}"


def print_baseline(model: dict[str, Score], tree: Path, only: list[str] | None, misses: bool) -> None:
    """The baseline's table, both methods' totals (all dumps, the unseen ones) and the per-dump comparison."""
    rules = with_baseline(tree, names=only)
    names = unseen()
    count = len(names & set(model))
    print()
    print(
        table(
            rules,
            f"baseline: the code in {tree}, its `pipeline ingest` on the same dumps, same scorer (NOT held out on the "
            "seeds and dev dumps A-D, which its rules were written looking at; held out on the dumps of tests/data/dumps/)",
        )
    )
    totals = {
        f"model, held out, all {len(model) - 1} dumps": model["total"],
        f"rules, all {len(rules) - 1} dumps (partly not held out)": rules["total"],
        f"model, held out, the {count} unseen dumps": subtotal(model, names),
        f"rules, held out, the {count} unseen dumps": subtotal(rules, names),
    }
    print()
    print(table(totals, f"totals side by side (unseen: the dumps of tests/data/dumps/, baseline {tree})"))
    print()
    print(side_by_side(model, rules, names))
    if misses:
        print("\n".join(rules["total"].misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump_dir", type=Path, nargs="?", help="with GOLD: score the shipped model on these dumps")
    parser.add_argument("gold", type=Path, nargs="?")
    parser.add_argument("--training", action="store_true", help="the shipped model on its training dumps (training figures)")
    parser.add_argument("--only", nargs="+", help="leave out only these dumps (names of the data list)")
    parser.add_argument("--misses", action="store_true", help="also list every miss")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="TREE",
        help="also cut every dump with the pipeline in TREE (another version's pipeline/ and configs/) and print it beside",
    )
    parser.add_argument(
        "--record", action="store_true", help="store the leave-one-dump-out figures in the shipped model's metadata record"
    )
    args = parser.parse_args()
    if args.baseline is not None and (args.dump_dir is not None or args.training):
        parser.error("--baseline goes with the held-out headline only (no DUMP_DIR, no --training)")
    if args.dump_dir is not None:
        if args.gold is None:
            parser.error("DUMP_DIR needs GOLD.json")
        scores = evaluate(args.dump_dir, args.gold)
        title = f"shipped model on {args.gold} ({signature()})"
    elif args.training:
        scores = on_training_dumps()
        title = f"TRAINING figures: the shipped model on the dumps it was trained on ({signature()})"
    else:
        scores = leave_one_dump_out(names=args.only)
        title = f"leave one dump out: each dump cut by a model trained on all the others ({signature()})"
    print(table(scores, title))
    if args.baseline is not None:
        print_baseline(scores, args.baseline.resolve(), args.only, args.misses)
    if args.record and args.dump_dir is None and not args.training and not args.only:
        record(scores)
    if args.misses:
        print("\n".join(scores["total"].misses))


if __name__ == "__main__":
    main()
