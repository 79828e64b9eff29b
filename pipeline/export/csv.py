"""pairs.csv: one row per aligned sentence pair, for spreadsheets.

Rows: every sentence pair of every match (Arabic sentence, its machine
translation, the English sentence it was aligned to, the pair's and the
match's scores, and the evaluate stage's chrF wording similarity of the
match, which is not a quality score). A match
without sentence pairs still gets one row (empty sentence columns), so every
match appears. UTF-8 with a byte-order mark, because Excel otherwise opens
UTF-8 as a legacy code page and the Arabic turns to mojibake; CRLF line ends
(RFC 4180). Text cells that start like a formula (=, +, -, @, tab, CR) get a
leading apostrophe: scraped text must not run as a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from pipeline.export.data import ExportData, MatchView
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


def _fill(data: ExportData, handle: IO[str]) -> None:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, dialect="excel")
    writer.writeheader()
    for match in data.matches:
        for row in rows_for(match):
            writer.writerow({k: cell(row.get(k)) for k in COLUMNS})


def write_csv(data: ExportData, out: OutputDir) -> dict[str, Path]:
    path = out.write_with("pairs.csv", lambda f: _fill(data, f), newline="", encoding="utf-8-sig")
    return {"pairs.csv": path}
