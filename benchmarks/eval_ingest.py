"""How well ingest cuts dumps into pieces, against a hand-made gold: `eval_ingest.py DUMP_DIR GOLD.json`.

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
date    the same calendar day (both null counts as right)
author  equal up to case/punctuation, or one contains the other (both null: right)
outlet  the same, against the gold name or the name in its parentheses ("Al Mayadeen (الميادين)")

Field accuracies are over all gold pieces (a piece not found counts as wrong).
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    return any(loose(pred) == loose(n) for n in names if n.strip())


@dataclass
class Score:
    gold: int = 0
    predicted: int = 0
    found: int = 0
    glued: int = 0
    split: int = 0
    extra: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("gold", "predicted", "found", "glued", "split", "extra"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for f in FIELDS:
            self.right[f] += other.right[f]
        self.misses += other.misses

    def row(self, name: str) -> str:
        share = {f: self.right[f] / self.gold if self.gold else 0.0 for f in FIELDS}
        return (
            f"| {name} | {self.found}/{self.gold} | {self.glued} | {self.split} | {self.extra} | "
            + " | ".join(f"{share[f]:.0%} ({self.right[f]})" for f in FIELDS)
            + " |"
        )


def score_dump(path: Path, gold_pieces: list[dict[str, Any]], settings: IngestSettings) -> Score:
    raw = path.read_text(encoding=(read_source(path, settings)[0].encoding))
    is_html = path.suffix.lower() in (".html", ".htm", ".xhtml")
    texts = [gold_text(raw, g, is_html) for g in gold_pieces]
    predicted = cut_file(path, settings)
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
        if g not in main:
            score.misses.append(f"{path.name}: {gold['piece_id']} not found")
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


def table(scores: dict[str, Score]) -> str:
    head = "| dump | found | glued | split | extra | " + " | ".join(FIELDS) + " |\n|---|---|---|---|---|" + "---|" * len(FIELDS)
    return "\n".join([head] + [s.row(name) for name, s in scores.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump_dir", type=Path)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--misses", action="store_true", help="also list every miss")
    args = parser.parse_args()
    scores = evaluate(args.dump_dir, args.gold)
    print(table(scores))
    if args.misses:
        print("\n".join(scores["total"].misses))


if __name__ == "__main__":
    main()
