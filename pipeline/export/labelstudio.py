"""Label Studio: review tasks for each match, plus the labeling config they need.

One task per match shows the Arabic original (right-to-left), the machine
translation and the matched English coverage side by side, and asks what an
annotation team asks of MT-for-monitoring: is it the same event, how adequate
and fluent is the translation, what is the corrected text, and where exactly
are the errors (span labels on the translation). Translated pieces with no
English coverage get tasks too (when configured), so their translations can
still be reviewed. Related coverage (English pieces on the same story thread
that report another event) is listed in each task apart from the compared
English piece (`related`), never as a task of its own. Import: create a project with labelstudio_config.xml as
its labeling interface, then import labelstudio.json.

Only plain <Text> objects are used, never <HyperText>: scraped text must not
become markup inside the annotation tool either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.export.data import ExportData, MatchView, PieceView
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

ARABIC_FONTS = "'Noto Naskh Arabic', 'Amiri', 'DejaVu Sans', Arial, sans-serif"
NO_COVERAGE = "(no English coverage of this event was found in the store)"

SAME_EVENT = ["Same event", "Related, different event", "Unrelated", "No English coverage"]
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


def _meta(view: PieceView, score: float | None, target: Any = None) -> str:
    p = view.piece
    parts = [f"piece {p.id}", p.outlet or "outlet unknown", iso_text(p.date) or "date unknown"]
    if p.model:
        parts.append(f"{'system' if p.external else 'model'} {p.model}")
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


def _sentences(view: PieceView) -> tuple[str, str]:
    """Arabic and translation, one unit per line (a sentence, or a paragraph of a translation that came with the
    input), so annotators can follow by line."""
    if view.piece.external and view.units:
        return "\n".join(u.arabic for u in view.units), "\n".join(u.translation for u in view.units)
    if view.body:
        arabic = "\n".join(s.text for s in view.body)
        translation = "\n".join(s.translation or "[translation pending]" for s in view.body)
        return arabic, translation
    return view.piece.text, view.piece.translation or "[translation pending]"


def _alignment(match: MatchView) -> str:
    lines = [
        f"{pair.source + 1} ↔ {pair.target + 1}  ({pair.score:.2f})  {pair.translation or '?'}  ⟷  {pair.english or '?'}"
        for pair in match.pairs
    ]
    return "\n".join(lines) or "(no sentence pairs)"


def match_task(match: MatchView, source: PieceView) -> dict[str, Any]:
    arabic, translation = _sentences(source)
    return {
        "data": {
            "kind": "match",
            "source_id": match.match.source_id,
            "input_id": source.piece.input_id,
            "target_id": match.match.target_id,
            "score": round(match.match.score, 4),
            "title_ar": source.piece.title or "(untitled)",
            "title_en": match.target.title or source.piece.title_translation or "",
            "meta": _meta(source, match.match.score, match.target),
            "arabic": arabic,
            "translation": translation,
            "english": "\n".join(match.english) or match.target.text,
            "alignment": _alignment(match),
            "related": _related(source),
            "evidence": json.dumps(match.match.evidence, ensure_ascii=False),
            "outlet": source.piece.outlet,
            "date": iso_text(source.piece.date),
        }
    }


def unmatched_task(view: PieceView) -> dict[str, Any]:
    arabic, translation = _sentences(view)
    return {
        "data": {
            "kind": "no_coverage" if view.alignment == "no_coverage" else "unaligned",
            "source_id": view.piece.id,
            "input_id": view.piece.input_id,
            "target_id": None,
            "score": None,
            "title_ar": view.piece.title or "(untitled)",
            "title_en": view.piece.title_translation or "",
            "meta": _meta(view, None) + (f" · no coverage: {view.alignment_reason}" if view.alignment_reason else ""),
            "arabic": arabic,
            "translation": translation,
            "english": NO_COVERAGE,
            "alignment": "(no English piece to align with)",
            "related": _related(view),
            "evidence": "{}",
            "outlet": view.piece.outlet,
            "date": iso_text(view.piece.date),
        }
    }


def build_tasks(data: ExportData, include_unmatched: bool = True) -> list[dict[str, Any]]:
    by_id = {v.piece.id: v for v in data.pieces}
    tasks = [match_task(m, by_id[m.match.source_id]) for m in data.matches]
    if include_unmatched:
        tasks += [unmatched_task(v) for v in data.unmatched_translations]
    return tasks


def write_labelstudio(data: ExportData, out: OutputDir, include_unmatched: bool = True) -> dict[str, Path]:
    tasks = build_tasks(data, include_unmatched)
    return {
        "labelstudio.json": out.write_text("labelstudio.json", json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"),
        "labelstudio_config.xml": out.write_text("labelstudio_config.xml", LABEL_CONFIG),
    }
