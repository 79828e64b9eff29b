"""pairs.csv: every translated piece with its matches, one row per aligned sentence pair, for spreadsheets.

The last column, `related`, lists the piece's related coverage (English
pieces on the same story thread that report another event), apart from the
compared pairs.

Rows, piece by piece in source order: every sentence pair of every match of
the piece (Arabic sentence, its machine translation, the English sentence it
was aligned to, the pair's and the match's scores, and the evaluate stage's
chrF wording similarity of the match, which is not a quality score). A match
without sentence pairs still gets one row (empty sentence columns), so every
match appears; a translated piece without a match gets one row too, with no
target and the aligner's reason (`alignment` 'no_coverage', or 'unaligned'
when align has not run since it was translated), so the file lists every
translated piece. A translation that came with the input has no Arabic
sentence of its own (it is paired by paragraph at best): its `arabic` cells
are empty. UTF-8 with a byte-order mark, because Excel otherwise opens
UTF-8 as a legacy code page and the Arabic turns to mojibake; CRLF line ends
(RFC 4180). Text cells that start like a formula (=, +, -, @, tab, CR) get a
leading apostrophe: scraped text must not run as a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from pipeline.export.data import ExportData, MatchView, PieceView
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

COLUMNS = [
    "match",
    "source_id",
    "target_id",
    "match_score",
    "coverage_chrf_similarity",
    "source_index",
    "target_index",
    "pair_score",
    "arabic",
    "translation",
    "english",
    "source_title",
    "target_title",
    "outlet",
    "date",
    "model",
    "alignment",
    "alignment_reason",
    "related",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text; numbers and None pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def rows_for(match: MatchView) -> list[dict[str, Any]]:
    base = {
        "match": match.number,
        "source_id": match.match.source_id,
        "target_id": match.match.target_id,
        "match_score": round(match.match.score, 4),
        "coverage_chrf_similarity": match.similarity,
        "source_title": match.source.title,
        "target_title": match.target.title,
        "outlet": match.source.outlet,
        "date": iso_text(match.source.date),
        "model": match.source.model,
        "alignment": "matched",
        "related": related_ids(match.source_view),
    }
    if not match.pairs:
        return [base]
    return [
        base
        | {
            "source_index": pair.source,
            "target_index": pair.target,
            "pair_score": round(pair.score, 4),
            "arabic": pair.arabic,
            "translation": pair.translation,
            "english": pair.english,
        }
        for pair in match.pairs
    ]


def unmatched_row(view: PieceView) -> dict[str, Any]:
    """The one row of a translated piece without a match: who it is, and why it has none."""
    p = view.piece
    return {
        "source_id": p.id,
        "source_title": p.title,
        "outlet": p.outlet,
        "date": iso_text(p.date),
        "model": p.model,
        "alignment": view.alignment if view.alignment == "no_coverage" else "unaligned",
        "alignment_reason": view.alignment_reason,
        "related": related_ids(view),
    }


def related_ids(view: PieceView) -> str:
    """The ids of a translated piece's related coverage, most likely first, separated by "; "."""
    return "; ".join(r.match.target_id for r in view.related if r.match.source_id == view.piece.id)


def rows(data: ExportData) -> list[dict[str, Any]]:
    """Every translated piece with its matches (or why it has none), then matches of pieces no longer translated."""
    out: list[dict[str, Any]] = []
    listed: set[str] = set()
    for view in data.translated:
        listed.add(view.piece.id)
        own = [m for m in view.matches if m.match.source_id == view.piece.id]
        if not own:
            out.append(unmatched_row(view))
        for match in own:
            out += rows_for(match)
    for match in data.matches:
        if match.match.source_id not in listed:
            out += rows_for(match)
    return out


def _fill(data: ExportData, handle: IO[str]) -> None:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, dialect="excel")
    writer.writeheader()
    for row in rows(data):
        writer.writerow({k: cell(row.get(k)) for k in COLUMNS})


def write_csv(data: ExportData, out: OutputDir) -> dict[str, Path]:
    path = out.write_with("pairs.csv", lambda f: _fill(data, f), newline="", encoding="utf-8-sig")
    return {"pairs.csv": path}
