"""pairs.tmx: every system's translations of the Arabic texts as a TMX 1.4 translation memory.

Each translation unit is one Arabic sentence (``xml:lang="ar"``) and its
machine translation (``en``), with the system that made it (``x-system``;
``x-origin`` says whether it was translated here or came with the input),
the piece, its outlet and date as ``<prop>`` and the time the translation
was made as the unit's ``creationdate``. Every system's translation of a
piece has units of its own, named ``PIECE:SYSTEM:WHERE`` (``tuid``). A
translation that came with the input (another MT system) is paired with the
Arabic by paragraph, or only as a whole piece: its units are those
paragraphs (``segtype="paragraph"``) or the whole piece (``segtype="block"``),
as TMX 1.4 allows per unit. The text is the readable translation; when the
system wrote it otherwise (escapes, Moses spacing) the raw output travels as
``<prop type="x-raw">``.

A translation memory is reused as if every unit were right, so a unit the
diagnose stage flagged (Arabic left in the output, a loop, ...) carries
``<prop type="x-flags">`` with the flags' names, and
``export.tmx_leave_out_flagged`` leaves such units out altogether. TM tools
(OmegaT, Trados, memoQ, Okapi) import it as is; identical
source/translation pairs of one system from repeated pieces are written
once. Characters XML 1.0 forbids (control characters from scraped pages) are
dropped, since one of them would make the whole file unreadable. The file is written as text (every value escaped),
not built as a tree: at 100,000 pieces the tree cost more than the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipeline.export.data import ExportData, PieceView, SystemView, TranslatedUnit
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

SEGTYPE = {"paragraph": "paragraph", "piece": "block"}  # TMX segtype of a unit coarser than the header's sentences
DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def tool_version() -> str:
    try:
        return version("arabic-press-pipeline")
    except PackageNotFoundError:
        return "0"


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


@lru_cache(maxsize=4096)  # translations made in one batch share their time: parse each once
def tmx_date(value: str | None, default: str) -> str:
    """ISO 8601 → TMX's YYYYMMDDThhmmssZ (UTC)."""
    if value:
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        except ValueError:
            pass
    return default


def _text(value: str) -> str:
    """Element text as XML: characters XML forbids dropped, markup characters escaped (a CR kept as a reference)."""
    text = xml_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text


def _attr(value: str) -> str:
    text = _text(value).replace('"', "&quot;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;")


def _tu(view: PieceView, system: SystemView, unit: TranslatedUnit, now: str) -> str:
    """One translation unit, written as text: a tree of elements per unit (lxml) cost most of an export's TMX time."""
    segtype = f' segtype="{SEGTYPE[unit.unit]}"' if unit.unit in SEGTYPE else ""
    tuid = _attr(f"{view.piece.id}:{system.name}:{unit.where}")
    props = [
        ("x-system", system.name),
        ("x-origin", "input" if system.external else "pipeline"),
        ("x-flags", " ".join(unit.flags)),
        ("x-piece", view.piece.id),
        ("x-input-id", view.piece.input_id),
        ("x-outlet", view.piece.outlet),
        ("x-date", iso_text(view.piece.date)),
        ("x-raw", unit.raw if unit.raw is not None and unit.raw != unit.translation else None),
    ]
    lines = [f'    <tu tuid="{tuid}" creationdate="{tmx_date(unit.created_at, now)}" srclang="ar"{segtype}>']
    lines += [f'      <prop type="{kind}">{_text(value)}</prop>' for kind, value in props if value]
    for lang, text in (("ar", unit.arabic), ("en", unit.translation)):
        lines += [f'      <tuv xml:lang="{lang}">', f"        <seg>{_text(text)}</seg>", "      </tuv>"]
    lines.append("    </tu>")
    return "\n".join(lines) + "\n"


def _units(
    data: ExportData, include_titles: bool, leave_out_flagged: bool
) -> Iterator[tuple[PieceView, SystemView, TranslatedUnit]]:
    """Every unit that goes into the memory, each (source, translation, system) once."""
    seen: set[tuple[str, str, str]] = set()
    for view in data.pieces:
        for system in view.systems:
            titles = (
                [
                    TranslatedUnit(
                        f"title:{s.sentence_index}",
                        "sentence",
                        s.text,
                        s.translation or "",
                        s.raw_translation,
                        s.model,
                        s.created_at,
                        s.diagnostics,
                    )
                    for s in view.title
                ]
                if include_titles and not system.external
                else []
            )
            for unit in titles + system.units:
                if not unit.translation or not unit.arabic.strip():
                    continue  # pending sentences are not translation memory
                if leave_out_flagged and unit.flags:
                    continue
                key = (unit.arabic, unit.translation, system.name)
                if key in seen:
                    continue
                seen.add(key)
                yield view, system, unit


def build_tmx(data: ExportData, include_titles: bool = True, leave_out_flagged: bool = False) -> bytes:
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    header = (
        f'  <header creationtool="arabic-press-pipeline" creationtoolversion="{_attr(tool_version())}" segtype="sentence" '
        f'adminlang="en" srclang="ar" datatype="plaintext" creationdate="{now}" o-tmf="arabic-press-pipeline-sqlite" '
        'o-encoding="UTF-8"/>\n'
    )
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', DOCTYPE + "\n", '<tmx version="1.4">\n', header, "  <body>\n"]
    parts += [_tu(view, system, unit, now) for view, system, unit in _units(data, include_titles, leave_out_flagged)]
    parts.append("  </body>\n</tmx>\n")
    return "".join(parts).encode("utf-8")


def write_tmx(data: ExportData, out: OutputDir, include_titles: bool = True, leave_out_flagged: bool = False) -> dict[str, Path]:
    payload = build_tmx(data, include_titles, leave_out_flagged).decode("utf-8")
    return {"pairs.tmx": out.write_text("pairs.tmx", payload, newline="")}
