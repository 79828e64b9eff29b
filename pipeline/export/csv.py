"""pairs.csv: every non-English piece with every system's translation, for spreadsheets.

One row per piece and system (and per match, when a piece has several):
the Arabic, that system's whole translation, its flags and diagnostics in
words, and what the aligner decided for the piece: the matched English
piece (its text, the match's score and log-odds, and the chrF wording
similarity, which is not a quality score) or why there is none (the reason
and the closest candidate); `review` says whether reviewers added or confirmed
the match (rejected matches are left out unless export.include_rejected).
The match is decided for the piece on its
aligned translation (`aligned` says which system's): every system's row of
the piece carries it; the chrF similarity is of the aligned translation
only. A piece without any translation yet (pending, not routed, failed)
still has one row, with its status, so the file lists every piece that is
not English; `input_id` is the id the input gave the piece. The last column,
`related`, lists the piece's related coverage (English pieces on the same
story thread that report another event), apart from the compared pairs.

UTF-8 with a byte-order mark, because Excel otherwise opens UTF-8 as a
legacy code page and the Arabic turns to mojibake; CRLF line ends (RFC
4180). Text cells that start like a formula (=, +, -, @, tab, CR) get a
leading apostrophe: scraped text must not run as a formula in a spreadsheet.
Excel holds at most 32,767 characters in a cell: a longer text is kept
whole here (other tools read it) and cut by Excel when it opens the file.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from pipeline.export.data import ExportData, MatchView, PieceView, SystemView
from pipeline.export.readable import FLAGS, log_odds
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

COLUMNS = [
    "piece_id",
    "input_id",
    "title",
    "title_translation",
    "outlet",
    "date",
    "system",
    "origin",
    "aligned",
    "translation_unit",
    "arabic",
    "translation",
    "flags",
    "diagnostics",
    "coverage",
    "match",
    "target_id",
    "target_input_id",
    "target_title",
    "match_score",
    "match_log_odds",
    "coverage_chrf_similarity",
    "english",
    "alignment_reason",
    "closest_candidate_id",
    "closest_candidate_title",
    "closest_candidate_score",
    "review",
    "related",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text; numbers and None pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def diagnostics_text(system: SystemView) -> str:
    """One system's diagnostics in words: 'clean (5 paragraphs checked)', or which units carry which flags."""
    checked = system.checked
    if not checked:
        return "not diagnosed"
    flagged = [(i, u) for i, u in enumerate(system.units, start=1) if u.flags]
    if not flagged:
        return f"clean ({checked} {system.units_word(checked)} checked)"
    word = system.units_word(1)
    where = "; ".join(
        f"{word} {i}: {', '.join(FLAGS[f][0] if f in FLAGS else f for f in u.flags)}"
        if system.unit != "piece"
        else ", ".join(FLAGS[f][0] if f in FLAGS else f for f in u.flags)
        for i, u in flagged
    )
    return f"{len(flagged)} of {checked} {system.units_word(checked)} flagged: {where}"


def _coverage(view: PieceView) -> str:
    if view.own_matches:
        return "matched"
    if view.alignment == "no_coverage":
        return "no_coverage"
    if not any(s.complete for s in view.systems):
        return view.piece.status.replace("_", " ")  # pending, not routed, failed
    return "unaligned"


def _piece_cells(view: PieceView) -> dict[str, Any]:
    p = view.piece
    near = view.near
    return {
        "piece_id": p.id,
        "input_id": p.input_id,
        "title": p.title,
        "title_translation": p.title_translation,
        "outlet": p.outlet,
        "date": iso_text(p.date),
        "arabic": p.text,
        "coverage": _coverage(view),
        "alignment_reason": view.alignment_reason
        if view.alignment == "no_coverage"
        else (view.reason if not any(s.complete for s in view.systems) else None),
        "closest_candidate_id": view.near_id,
        "closest_candidate_title": near.piece.title if near else None,
        "closest_candidate_score": round(view.near_score, 4) if view.near_score is not None else None,
        "related": related_ids(view),
    }


def related_ids(view: PieceView) -> str:
    """The ids of a translated piece's related coverage, most likely first, separated by "; "."""
    return "; ".join(r.match.target_id for r in view.related if r.match.source_id == view.piece.id)


def _system_cells(system: SystemView) -> dict[str, Any]:
    names = sorted({name for u in system.units for name in u.flags})
    return {
        "system": system.name,
        "origin": "with the input" if system.external else "translated here",
        "aligned": "yes" if system.aligned else "no",
        "translation_unit": system.unit,
        # not finished: the sentences translated so far
        "translation": system.text if system.complete else " ".join(u.translation for u in system.units if u.translation),
        "flags": ", ".join(names),
        "diagnostics": diagnostics_text(system),
    }


def _match_cells(match: MatchView, aligned: bool) -> dict[str, Any]:
    odds = log_odds(match.match.evidence)
    return {
        "match": match.number,
        "target_id": match.match.target_id,
        "target_input_id": match.target.input_id,
        "target_title": match.target.title,
        "match_score": round(match.match.score, 4),
        "match_log_odds": round(odds, 4) if odds is not None else None,
        "coverage_chrf_similarity": match.similarity if aligned else None,
        "english": match.target.text,
        "review": match.review_label,
    }


def piece_rows(view: PieceView) -> list[dict[str, Any]]:
    """The rows of one non-English piece: one per system (per system and match when it has matches)."""
    base = _piece_cells(view)
    systems: list[SystemView | None] = list(view.systems) or [None]
    out = []
    for system in systems:
        row = base | (_system_cells(system) if system else {})
        matches = view.own_matches
        if not matches:
            out.append(row)
        out += [row | _match_cells(m, system is not None and system.aligned) for m in matches]
    return out


def rows(data: ExportData) -> list[dict[str, Any]]:
    """Every non-English piece, system by system, in source order."""
    out: list[dict[str, Any]] = []
    for view in data.pieces:
        if view.piece.lang != "en":
            out += piece_rows(view)
    return out


def _fill(data: ExportData, handle: IO[str]) -> None:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, dialect="excel")
    writer.writeheader()
    for row in rows(data):
        writer.writerow({k: cell(row.get(k)) for k in COLUMNS})


def write_csv(data: ExportData, out: OutputDir) -> dict[str, Path]:
    path = out.write_with("pairs.csv", lambda f: _fill(data, f), newline="", encoding="utf-8-sig")
    return {"pairs.csv": path}
