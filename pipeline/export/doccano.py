"""doccano: one JSONL line per translated piece, for span labelling or classification.

doccano's import format for sequence labelling is ``{"text": ..., "label":
[[start, end, "LABEL"], ...]}`` and for text classification ``{"text": ...,
"label": ["LABEL"]}``; every other key becomes the example's metadata. The
text is the machine translation (what annotators mark errors in), so
``label`` starts empty; the Arabic original, the matched English pieces and
each unit's character span in the text travel as metadata, so a marked
span can be traced back to its Arabic. A unit is a sentence for this
pipeline's translations, a paragraph (or the whole piece) for a translation
that came with the input (``translation_unit`` says which).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.export.data import ExportData, PieceView
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text


def _text_and_spans(view: PieceView) -> tuple[str, list[list[int]]]:
    """The translation with one unit per line, and each unit's [start, end) offsets."""
    if not view.units:
        text = view.piece.translation or ""
        return text, [[0, len(text)]] if text else []
    text, spans = "", []
    for unit in view.units:
        if text:
            text += "\n"
        start = len(text)
        text += unit.translation
        spans.append([start, len(text)])
    return text, spans


def doccano_record(view: PieceView) -> dict[str, Any]:
    text, spans = _text_and_spans(view)
    p = view.piece
    return {
        "text": text,
        "label": [],
        "piece_id": p.id,
        "input_id": p.input_id,
        "title": p.title,
        "title_translation": p.title_translation,
        "outlet": p.outlet,
        "date": iso_text(p.date),
        "model": p.model,
        "translation_unit": p.translation_unit,
        "arabic": [u.arabic for u in view.units] or [p.text],
        "sentence_spans": spans,
        "matches": [
            {"target_id": m.match.target_id, "score": round(m.match.score, 4), "title": m.target.title}
            for m in view.matches
            if m.match.source_id == p.id
        ],
        "coverage": "matched" if view.matches else (view.alignment or "unaligned"),
        "related": [
            {"target_id": r.match.target_id, "p_related": r.probability, "title": r.target.title}
            for r in view.related
            if r.match.source_id == p.id
        ],
    }


def write_doccano(data: ExportData, out: OutputDir) -> dict[str, Path]:
    translated = [v for v in data.pieces if v.piece.lang != "en" and v.piece.translation]
    path = out.write_with(
        "doccano.jsonl",
        lambda f: f.writelines(json.dumps(doccano_record(v), ensure_ascii=False) + "\n" for v in translated),
    )
    return {"doccano.jsonl": path}
