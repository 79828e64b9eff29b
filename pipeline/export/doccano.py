"""doccano: one JSONL line per translated piece and system, for span labelling or classification.

doccano's import format for sequence labelling is ``{"text": ..., "label":
[[start, end, "LABEL"], ...]}`` and for text classification ``{"text": ...,
"label": ["LABEL"]}``; every other key becomes the example's metadata. The
text is the machine translation (what annotators mark errors in), so
``label`` starts empty; the Arabic original, the matched English pieces and
each unit's character span in the text travel as metadata, so a marked
span can be traced back to its Arabic. A unit is a sentence for this
pipeline's translations, a paragraph (or the whole piece) for a translation
that came with the input (``translation_unit`` says which). Every system's
translation of a piece is a line of its own (``system`` and ``model`` name
the system, ``aligned`` says which one the aligner matched, ``flags`` what
the diagnose stage found in each unit). ``target_id`` names the best
match's English piece (a verdict label judges that pair); ``system``,
``store_id`` and ``task_key`` let ``pipeline annotations import`` attach
the labels to the right item (pipeline/annotations/identity.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.annotations.identity import task_fields
from pipeline.export.data import ExportData, PieceView, SystemView
from pipeline.output import OutputDir
from pipeline.records import StoreIdentity
from pipeline.text.dates import iso_text


def _text_and_spans(system: SystemView) -> tuple[str, list[list[int]]]:
    """The translation with one unit per line, and each unit's [start, end) offsets."""
    text, spans = "", []
    for unit in system.units:
        if text:
            text += "\n"
        start = len(text)
        text += unit.translation
        spans.append([start, len(text)])
    return text, spans


def doccano_record(view: PieceView, system: SystemView | None = None, identity: StoreIdentity | None = None) -> dict[str, Any]:
    system = system if system is not None else view.systems[0]
    text, spans = _text_and_spans(system)
    p = view.piece
    own = [m for m in view.matches if m.match.source_id == p.id]
    target = max(own, key=lambda m: m.match.score).match.target_id if own else None
    return {
        "text": text,
        "label": [],
        "piece_id": p.id,
        "input_id": p.input_id,
        "kind": "piece",
        "target_id": target,
        "system": system.name,
        **task_fields(identity, "piece", p.id, target, system.name),
        "title": p.title,
        "title_translation": p.title_translation,
        "outlet": p.outlet,
        "date": iso_text(p.date),
        "model": system.name,
        "origin": "input" if system.external else "pipeline",
        "aligned": system.aligned,
        "translation_unit": system.unit,
        "arabic": [u.arabic for u in system.units] or [p.text],
        "sentence_spans": spans,
        "flags": [u.flags for u in system.units],
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
    records = ((v, s) for v in data.translated for s in v.systems if s.complete)
    path = out.write_with(
        "doccano.jsonl",
        lambda f: f.writelines(json.dumps(doccano_record(v, s, data.identity), ensure_ascii=False) + "\n" for v, s in records),
    )
    return {"doccano.jsonl": path}
