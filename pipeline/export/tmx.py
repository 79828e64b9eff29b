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
dropped, since one of them would make the whole file unreadable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lxml import etree

from pipeline.export.data import ExportData, PieceView, SystemView, TranslatedUnit
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
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


def _prop(parent: etree._Element, kind: str, value: str | None) -> None:
    if value:
        etree.SubElement(parent, "prop", type=kind).text = xml_text(value)


def _tu(view: PieceView, system: SystemView, unit: TranslatedUnit, now: str) -> etree._Element:
    tu = etree.Element("tu", tuid=f"{view.piece.id}:{system.name}:{unit.where}", creationdate=tmx_date(unit.created_at, now))
    tu.set("srclang", "ar")
    if unit.unit in SEGTYPE:
        tu.set("segtype", SEGTYPE[unit.unit])
    _prop(tu, "x-system", system.name)
    _prop(tu, "x-origin", "input" if system.external else "pipeline")
    if unit.flags:
        _prop(tu, "x-flags", " ".join(unit.flags))
    _prop(tu, "x-piece", view.piece.id)
    _prop(tu, "x-input-id", view.piece.input_id)
    _prop(tu, "x-outlet", view.piece.outlet)
    _prop(tu, "x-date", iso_text(view.piece.date))
    if unit.raw is not None and unit.raw != unit.translation:
        _prop(tu, "x-raw", unit.raw)
    for lang, text in (("ar", unit.arabic), ("en", unit.translation)):
        tuv = etree.SubElement(tu, "tuv")
        tuv.set(XML_LANG, lang)
        etree.SubElement(tuv, "seg").text = xml_text(text)
    return tu


def build_tmx(data: ExportData, include_titles: bool = True, leave_out_flagged: bool = False) -> bytes:
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(
        root,
        "header",
        creationtool="arabic-press-pipeline",
        creationtoolversion=tool_version(),
        segtype="sentence",
        adminlang="en",
        srclang="ar",
        datatype="plaintext",
        creationdate=now,
    )
    header.set("o-tmf", "arabic-press-pipeline-sqlite")
    header.set("o-encoding", "UTF-8")
    body = etree.SubElement(root, "body")
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
                body.append(_tu(view, system, unit, now))
    # The declaration is written by hand: lxml's uses single quotes, which some TM tools reject.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", pretty_print=True, doctype=DOCTYPE
    )


def write_tmx(data: ExportData, out: OutputDir, include_titles: bool = True, leave_out_flagged: bool = False) -> dict[str, Path]:
    payload = build_tmx(data, include_titles, leave_out_flagged).decode("utf-8")
    return {"pairs.tmx": out.write_text("pairs.tmx", payload, newline="")}
