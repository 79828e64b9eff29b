"""pieces.jsonl, matches.jsonl and related.jsonl: the output contract downstream tools rely on.

One JSON object per line, UTF-8 (Arabic written as is, not \\u-escaped).
Every field is described in docs/output-contract.md. pieces.jsonl is also
what `align --source` reads back, so it carries each piece's whole
translation; `model` says who made it (this pipeline's model with where its
weights came from, or the external system that came with the input), and
`other_translations` holds the other systems' translations of the piece.
matches.jsonl holds the English coverage of the same event (`relation`
"same_event"); related.jsonl, in the same shape, the English pieces on the
same story thread that report another event (`relation` "related").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.export.data import ExportData, PieceView, provenance_fields
from pipeline.output import OutputDir
from pipeline.records import Match
from pipeline.text.dates import iso_text


def piece_record(view: PieceView) -> dict[str, Any]:
    p = view.piece
    translated = p.lang != "en" and p.translation is not None
    return {
        "id": p.id,
        "input_id": p.input_id,
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
        "translation": p.translation if translated else None,
        "translation_raw": p.translation_raw if translated else None,
        "translation_unit": p.translation_unit if translated else None,
        "model": provenance_fields(p) if translated else None,
        "other_translations": [
            {
                "model": {"id": e.system, "revision": None, "external": True},
                "translation": e.text,
                "translation_raw": e.raw,
                "translation_unit": e.unit,
            }
            for i, e in enumerate(p.external_translations)
            if not (p.external and i == 0)
        ],
        "status": p.status,
        "reason": view.reason,
        "notes": p.notes,
    }


def match_record(m: Match, similarity: float | None, review: str) -> dict[str, Any]:
    """A line of matches.jsonl, or of related.jsonl (related coverage: no wording similarity, never reviewed)."""
    return {
        "source_id": m.source_id,
        "target_id": m.target_id,
        "score": min(1.0, max(0.0, float(m.score))),
        "relation": m.relation,
        "evidence": m.evidence,
        "sentence_pairs": [{"source": sp.source, "target": sp.target, "score": sp.score} for sp in m.sentence_pairs],
        # shared wording, not translation quality (pipeline/evaluate/similarity.py); kept with the match since schema 6
        "coverage_chrf_similarity": similarity,
        "review": review,  # automatic | reviewed (added by reviewers) | confirmed | rejected | disputed
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n"


def write_jsonl(data: ExportData, out: OutputDir) -> dict[str, Path]:
    pieces = out.write_with("pieces.jsonl", lambda f: f.writelines(_dump(piece_record(v)) for v in data.pieces))
    matches = out.write_with(
        "matches.jsonl", lambda f: f.writelines(_dump(match_record(m.match, m.similarity, m.review_label)) for m in data.matches)
    )
    related = out.write_with(
        "related.jsonl", lambda f: f.writelines(_dump(match_record(r.match, None, "automatic")) for r in data.related)
    )
    return {"pieces.jsonl": pieces, "matches.jsonl": matches, "related.jsonl": related}
