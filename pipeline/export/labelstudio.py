"""Label Studio: review tasks for each match, plus the labeling config they need.

One task per match and system shows the Arabic original (right-to-left),
that system's machine translation and the matched English coverage side by
side, and asks what an annotation team asks of MT-for-monitoring: is it the
same event, how adequate and fluent is the translation, what is the
corrected text, and where exactly are the errors (span labels on the
translation). Every system's translation of a piece is a task of its own
(`system` says whose, `flags` what the diagnose stage found), so systems
can be rated side by side. Translated pieces with no English coverage get
tasks too (when configured), so their translations can still be reviewed.
Related coverage (English pieces on the same story thread that report
another event) is listed in each task apart from the compared English piece
(`related`), never as a task of its own. Import: create a project with labelstudio_config.xml as its labeling
interface, then import labelstudio.json.

A translated piece without English coverage shows its nearest candidate,
when the aligner had one, so a reviewer can say the aligner missed it.
Every task carries the store's id, the system whose translation it shows
and a key over its ids (pipeline/annotations/identity.py), so
``pipeline annotations import`` attaches what comes back to the right pair,
and refuses tasks from another store or with edited ids.

Only plain <Text> objects are used, never <HyperText>: scraped text must not
become markup inside the annotation tool either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.annotations.identity import task_fields
from pipeline.export.data import ExportData, MatchView, PieceView, SystemView
from pipeline.output import OutputDir
from pipeline.records import StoreIdentity
from pipeline.text.dates import iso_text

ARABIC_FONTS = "'Noto Naskh Arabic', 'Amiri', 'DejaVu Sans', Arial, sans-serif"
NO_COVERAGE = "(no English coverage of this event was found in the store)"

SAME_EVENT = ["Same event", "Related, different event", "Unrelated", "No English coverage", "Not sure"]
SPAN_LABELS = {
    "Mistranslation": "#d62728",
    "Omission": "#ff7f0e",
    "Addition": "#9467bd",
    "Name or number error": "#8c564b",
    "Not in English coverage": "#1f77b4",
    "Contradicts coverage": "#e377c2",
}

LABEL_CONFIG = f"""<View>
  <View style="direction: rtl; text-align: right; font-family: {ARABIC_FONTS};">
    <Header value="$title_ar"/>
  </View>
  <Header value="$title_en" size="5"/>
  <Text name="meta" value="$meta"/>
  <View style="display: flex; gap: 1.5em; align-items: flex-start;">
    <View style="flex: 1; min-width: 0; direction: rtl; text-align: right; font-family: {ARABIC_FONTS};">
      <Header value="النص الأصلي (Arabic original)" size="4"/>
      <Text name="arabic" value="$arabic" granularity="word"/>
    </View>
    <View style="flex: 1; min-width: 0;">
      <Header value="Machine translation" size="4"/>
      <Labels name="errors" toName="translation" showInline="true">
{chr(10).join(f'        <Label value="{name}" background="{color}"/>' for name, color in SPAN_LABELS.items())}
      </Labels>
      <Text name="translation" value="$translation" granularity="word"/>
    </View>
    <View style="flex: 1; min-width: 0;">
      <Header value="English coverage" size="4"/>
      <Text name="english" value="$english" granularity="word"/>
    </View>
  </View>
  <Header value="Sentence alignment (Arabic #, English #, score)" size="5"/>
  <Text name="alignment" value="$alignment"/>
  <Header value="Related coverage: the same story thread, another event (not compared here)" size="5"/>
  <Text name="related" value="$related"/>
  <Header value="Does the English coverage report the same event?" size="4"/>
  <Choices name="same_event" toName="english" choice="single-radio" showInline="true" required="true">
{chr(10).join(f'    <Choice value="{c}"/>' for c in SAME_EVENT)}
  </Choices>
  <Header value="Adequacy: how much of the Arabic meaning does the translation keep? (1 none … 5 all)" size="4"/>
  <Rating name="adequacy" toName="translation" maxRating="5" required="true"/>
  <Header value="Fluency: how natural is the English of the translation? (1 incomprehensible … 5 flawless)" size="4"/>
  <Rating name="fluency" toName="translation" maxRating="5" required="true"/>
  <Header value="Corrected translation (optional; edit where the machine translation is wrong)" size="4"/>
  <TextArea name="correction" toName="translation" rows="6" editable="true" maxSubmissions="1"
            placeholder="Paste and correct the translation here"/>
  <TextArea name="comment" toName="translation" rows="2" maxSubmissions="1" placeholder="Notes for the team (optional)"/>
</View>
"""


def _meta(view: PieceView, system: SystemView | None, score: float | None, target: Any = None) -> str:
    p = view.piece
    name = f"piece {p.input_id} ({p.id})" if p.input_id else f"piece {p.id}"
    parts = [name, p.outlet or "outlet unknown", iso_text(p.date) or "date unknown"]
    if system is not None:
        origin = "came with the input" if system.external else "translated here"
        parts.append(f"translation by {system.name} ({origin})")
        if system.flagged_units:
            parts.append(f"flagged: {', '.join(sorted({f for u in system.units for f in u.flags}))}")
    if target is not None:
        parts.append(f"matched English piece {target.id} ({target.outlet or 'outlet unknown'}, score {score:.2f})")
    return " · ".join(parts)


NO_RELATED = "(none found)"


def _related(view: PieceView) -> str:
    """The translated piece's related coverage, one English piece a line: title, id, outlet, P(related)."""
    lines = []
    for r in view.related:
        if r.match.source_id != view.piece.id:
            continue
        p = f", P(related) {r.probability:.2f}" if r.probability is not None else ""
        lines.append(f"{r.target.title or '(untitled)'} [{r.target.id}; {r.target.outlet or 'outlet unknown'}{p}]")
    return "\n".join(lines) or NO_RELATED


def _sentences(view: PieceView, system: SystemView | None) -> tuple[str, str]:
    """Arabic and translation, one unit per line (a sentence, or a paragraph of a translation that came with the
    input), so annotators can follow by line."""
    if system is not None and system.units:
        return "\n".join(u.arabic for u in system.units), "\n".join(
            u.translation or "[translation pending]" for u in system.units
        )
    return view.piece.text, "[translation pending]"


def _alignment(match: MatchView, system: SystemView | None) -> str:
    if system is not None and not system.aligned:
        aligned = match.source_view.systems[0].name if match.source_view.systems else "another system"
        return f"(the sentence pairs were computed on {aligned}'s translation, the one the aligner matched)"
    lines = [
        f"{pair.source + 1} ↔ {pair.target + 1}  ({pair.score:.2f})  {pair.translation or '?'}  ⟷  {pair.english or '?'}"
        for pair in match.pairs
    ]
    return "\n".join(lines) or "(no sentence pairs)"


def _system_fields(view: PieceView, system: SystemView | None) -> dict[str, Any]:
    return {
        "system": _system_name(view, system),
        "system_origin": (("input" if system.external else "pipeline") if system else None),
        "aligned": system.aligned if system else None,
        "flags": sorted({f for u in system.units for f in u.flags}) if system else [],
    }


def _system_name(view: PieceView, system: SystemView | None) -> str | None:
    """Whose translation a task shows (the name its task_key is made with)."""
    return system.name if system else view.piece.model


def match_task(
    match: MatchView, source: PieceView, system: SystemView | None = None, identity: StoreIdentity | None = None
) -> dict[str, Any]:
    system = system if system is not None else (source.systems[0] if source.systems else None)
    arabic, translation = _sentences(source, system)
    return {
        "data": {
            "kind": "match",
            "source_id": match.match.source_id,
            "input_id": source.piece.input_id,
            **_system_fields(source, system),
            "target_id": match.match.target_id,
            **task_fields(identity, "match", match.match.source_id, match.match.target_id, _system_name(source, system)),
            "review": match.review_label,
            "score": round(match.match.score, 4),
            "title_ar": source.piece.title or "(untitled)",
            "title_en": match.target.title or source.piece.title_translation or "",
            "meta": _meta(source, system, match.match.score, match.target),
            "arabic": arabic,
            "translation": translation,
            "english": "\n".join(match.english) or match.target.text,
            "alignment": _alignment(match, system),
            "related": _related(source),
            "evidence": json.dumps(match.match.evidence, ensure_ascii=False),
            "outlet": source.piece.outlet,
            "date": iso_text(source.piece.date),
        }
    }


def unmatched_task(
    view: PieceView, system: SystemView | None = None, identity: StoreIdentity | None = None, near: PieceView | None = None
) -> dict[str, Any]:
    """A translation with no match; with `near` (the aligner's nearest candidate) shown as the English side."""
    system = system if system is not None else (view.systems[0] if view.systems else None)
    arabic, translation = _sentences(view, system)
    kind = "no_coverage" if view.alignment == "no_coverage" else "unaligned"
    target = near.piece if near is not None else None
    shown = (
        f"(nearest candidate, below the threshold: score {view.near_score:.2f})\n{target.title or ''}\n{target.text}"
        if target is not None and view.near_score is not None
        else NO_COVERAGE
    )
    return {
        "data": {
            "kind": kind,
            "source_id": view.piece.id,
            "input_id": view.piece.input_id,
            **_system_fields(view, system),
            "target_id": target.id if target is not None else None,
            **task_fields(identity, kind, view.piece.id, target.id if target is not None else None, _system_name(view, system)),
            "review": None,
            "score": None if target is None or view.near_score is None else round(view.near_score, 4),
            "title_ar": view.piece.title or "(untitled)",
            "title_en": view.piece.title_translation or "",
            "meta": _meta(view, system, None) + (f" · no coverage: {view.alignment_reason}" if view.alignment_reason else ""),
            "arabic": arabic,
            "translation": translation,
            "english": shown,
            "alignment": "(no English piece to align with)",
            "related": _related(view),
            "evidence": "{}",
            "outlet": view.piece.outlet,
            "date": iso_text(view.piece.date),
        }
    }


def _complete(view: PieceView) -> list[SystemView | None]:
    """The systems a piece gets tasks for: every finished translation (a pending one is no work for annotators yet)."""
    return [s for s in view.systems if s.complete] or [None]


def build_tasks(data: ExportData, include_unmatched: bool = True, near_floor: float = 0.05) -> list[dict[str, Any]]:
    """A task per match and system, then (when asked) per translated piece without coverage and system, with its
    nearest candidate when that scored at least `near_floor`."""
    by_id = {v.piece.id: v for v in data.pieces}
    tasks = []
    for m in data.matches:
        source = by_id[m.match.source_id]
        tasks += [match_task(m, source, system, data.identity) for system in _complete(source)]
    if include_unmatched:
        for v in data.unmatched_translations:
            near = by_id.get(v.near_id) if v.near_id and v.near_score is not None and v.near_score >= near_floor else None
            tasks += [unmatched_task(v, system, data.identity, near) for system in _complete(v)]
    return tasks


def tasks_json(tasks: list[dict[str, Any]]) -> str:
    """The tasks as one JSON array, a task a line (json's C encoder: an indented dump is its pure-Python one)."""
    return "[\n" + ",\n".join(json.dumps(task, ensure_ascii=False) for task in tasks) + ("\n]\n" if tasks else "]\n")


def write_labelstudio(
    data: ExportData, out: OutputDir, include_unmatched: bool = True, near_floor: float = 0.05
) -> dict[str, Path]:
    tasks = build_tasks(data, include_unmatched, near_floor)
    return {
        "labelstudio.json": out.write_text("labelstudio.json", tasks_json(tasks)),
        "labelstudio_config.xml": out.write_text("labelstudio_config.xml", LABEL_CONFIG),
    }
