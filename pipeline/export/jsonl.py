"""pieces.jsonl and matches.jsonl: the output contract downstream tools rely on.

One JSON object per line, UTF-8 (Arabic written as is, not \\u-escaped). The
fields are the contract in DESIGN.md; `title_translation` and `reason` are
additions a consumer may ignore. pieces.jsonl is also what `align --source`
reads back, so it carries each piece's whole translation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.export.data import ExportData, PieceView, model_fields
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text


def piece_record(view: PieceView) -> dict[str, Any]:
    p = view.piece
    return {
        "id": p.id,
        "source": p.source,
        "title": p.title,
        "title_translation": p.title_translation,
        "date": iso_text(p.date),
        "outlet": p.outlet,
        "author": p.author,
        "kind": p.kind,
        "lang": p.lang,
        "text": p.text,
        "paragraphs": [{"lang": para.lang, "text": para.text, "translation": para.translation} for para in p.paragraphs],
        "translation": None if p.lang == "en" else p.translation,
        "model": model_fields(p.model),
        "status": p.status,
        "reason": view.reason,
    }


def match_record(match: Any) -> dict[str, Any]:
    m = match.match
    return {
        "source_id": m.source_id,
        "target_id": m.target_id,
        "score": min(1.0, max(0.0, float(m.score))),
        "evidence": m.evidence,
        "sentence_pairs": [{"source": sp.source, "target": sp.target, "score": sp.score} for sp in m.sentence_pairs],
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n"


def write_jsonl(data: ExportData, out: OutputDir) -> dict[str, Path]:
    pieces = out.write_with("pieces.jsonl", lambda f: f.writelines(_dump(piece_record(v)) for v in data.pieces))
    matches = out.write_with("matches.jsonl", lambda f: f.writelines(_dump(match_record(m)) for m in data.matches))
    return {"pieces.jsonl": pieces, "matches.jsonl": matches}
