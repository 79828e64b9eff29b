"""pairs.tmx: the translated Arabic sentences as a TMX 1.4 translation memory.

Each translation unit is one Arabic sentence (``xml:lang="ar"``) and its
machine translation (``en``), with the model (``x-model``), the piece, its
outlet and date as ``<prop>`` and the time the translation was made as the
unit's ``creationdate``. TM tools (OmegaT, Trados, memoQ, Okapi) import it
as is; identical sentence/translation pairs from repeated pieces are written
once. Characters XML 1.0 forbids (control characters from scraped pages) are
dropped, since one of them would make the whole file unreadable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lxml import etree

from pipeline.export.data import ExportData, PieceView
from pipeline.output import OutputDir
from pipeline.records import Segment
from pipeline.text.dates import iso_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
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


def _tu(view: PieceView, sentence: Segment, where: str, now: str) -> etree._Element:
    tu = etree.Element("tu", tuid=f"{view.piece.id}:{where}", creationdate=tmx_date(sentence.created_at, now))
    tu.set("srclang", "ar")
    _prop(tu, "x-model", sentence.model)
    _prop(tu, "x-piece", view.piece.id)
    _prop(tu, "x-outlet", view.piece.outlet)
    _prop(tu, "x-date", iso_text(view.piece.date))
    for lang, text in (("ar", sentence.text), ("en", sentence.translation or "")):
        tuv = etree.SubElement(tu, "tuv")
        tuv.set(XML_LANG, lang)
        etree.SubElement(tuv, "seg").text = xml_text(text)
    return tu


def build_tmx(data: ExportData, include_titles: bool = True) -> bytes:
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
    seen: set[tuple[str, str, str | None]] = set()
    for view in data.pieces:
        places = [(s, f"title:{s.sentence_index}") for s in view.title] if include_titles else []
        places += [(s, f"body:{i}") for i, s in enumerate(view.body)]
        for sentence, where in places:
            if not sentence.translation or not sentence.text.strip():
                continue  # pending sentences are not translation memory
            key = (sentence.text, sentence.translation, sentence.model)
            if key in seen:
                continue
            seen.add(key)
            body.append(_tu(view, sentence, where, now))
    # The declaration is written by hand: lxml's uses single quotes, which some TM tools reject.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True, doctype=DOCTYPE)


def write_tmx(data: ExportData, out: OutputDir, include_titles: bool = True) -> dict[str, Path]:
    payload = build_tmx(data, include_titles).decode("utf-8")
    return {"pairs.tmx": out.write_text("pairs.tmx", payload, newline="")}
