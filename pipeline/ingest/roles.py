"""Roles of the lines of one closed piece: title, header metadata, body, trailing metadata.

The title is the first headline-shaped line among the piece's leading lines
that is no metadata: a section label, a date line, a bare personal name
(«إيفا الشوفي»), a byline ("By: X", «بقلم ...»), a photo caption or credit
(a line ending in a photo agency's credit) is never a title; reading-time,
print, share and font-size furniture never reaches a piece at all (it is
chrome, ``data/chrome.yaml``). Lines before the title are header metadata.

The *header* runs from there to the last metadata line before the first
body-like paragraph (so a section label or a standfirst sandwiched between
headline and byline is header too); trailing metadata ("Source: <outlet>",
"Date: 24 July, 2020", a signature name, a tag list) is metadata; inside the
body, a caption under an image placeholder or with a photo credit, a line
repeating the line before it, a tag list and a bare date line are metadata.

A date glued to the front of the first paragraph after a label or before a
dash ("date 2020-10-22 The minister...", "12/03/2022 – The minister...") is
split off as a date line: both halves keep the line's number.
"""

from __future__ import annotations

import re

from pipeline.ingest.lines import Unit, Vocabulary, shares_words
from pipeline.ingest.pieces import PieceUnit, Role
from pipeline.text.dates import find_date

HEADER_SPAN = 8  # lines after the title in which header metadata is looked for
_TRAILING = ("credit", "name", "disclaimer", "date", "byline", "dateline", "tags")
_INSIDE_BODY = ("date", "caption", "tags")


def title_index(units: list[Unit]) -> int | None:
    """Index of the title among the leading lines (see the module docstring), or None."""
    if len(units) < 2:
        return None
    names: list[int] = []
    for index, unit in enumerate(units[:6]):
        if unit.body_like:
            break
        if unit.headline_candidate:
            return index
        if unit.title_shaped and unit.meta_kind == "name":
            names.append(index)
        elif not unit.is_meta and unit.words > 1:
            break  # a line that is neither metadata nor a headline: no title here
    # A name-shaped line with no other headline before the body is the title only when it opens
    # the piece and the next line is no byline or date of its own (short Arabic headlines look like names).
    if names and names[0] == 0 and not any(u.meta_kind in ("byline", "date") for u in units[1:2]):
        return 0
    return None


def assign_roles(
    units: list[Unit], vocab: Vocabulary, markup_title: int | None = None, needs_support: bool = False
) -> list[PieceUnit]:
    """Title, header metadata, body and trailing metadata of one piece (see the module docstring).

    `markup_title` is the index of the line the markup calls the headline
    (an HTML ``<h1>``); without it the title is found from line shapes, and
    with `needs_support` (a container whose markup names no headline) it must
    also share a content word with the first paragraphs: an unmarked first
    line such as a donation banner ("Support truly") is not a title.
    """
    count = len(units)
    roles: list[Role] = ["body"] * count
    kinds: list[str | None] = [None] * count
    title = markup_title if markup_title is not None else title_index(units)
    if markup_title is None and needs_support and title is not None and not _supported(units, title):
        roles[title], kinds[title] = "meta", "header"
        title = None
    start = 0
    if title is not None:
        for k in range(title):
            roles[k], kinds[k] = "meta", kind_of(units[k]) or "header"
        roles[title], start = "title", title + 1
    last_meta = None
    index = start
    while index < count and index < start + HEADER_SPAN and (units[index].is_meta or not units[index].body_like):
        if units[index].is_meta:
            last_meta = index
        index += 1
    body_start = start
    if last_meta is not None:
        for k in range(start, last_meta + 1):
            roles[k], kinds[k] = "meta", kind_of(units[k]) or "header"
        body_start = last_meta + 1
    k = count - 1
    while k > body_start and count - k <= 4 and units[k].meta_kind in _TRAILING:
        roles[k], kinds[k] = "meta", units[k].meta_kind
        k -= 1
    for k in range(body_start, count):
        unit = units[k]
        if roles[k] == "body" and (unit.caption_after_image or unit.repeat or unit.meta_kind in _INSIDE_BODY):
            roles[k], kinds[k] = "meta", kind_of(unit)
    result: list[PieceUnit] = []
    seen_body = False
    for unit, role, kind in zip(units, roles, kinds, strict=True):
        split = date_prefix(unit.text, vocab) if role == "body" and not seen_body and len(unit.lines) == 1 else None
        if split:
            result.append(PieceUnit(unit.lines, unit.text[:split].strip(), "meta", "date"))
            result.append(PieceUnit(unit.lines, unit.text[split:].strip(), "body"))
        else:
            result.append(PieceUnit(unit.lines, unit.text, role, kind))
        seen_body = seen_body or role == "body"
    return result


def _supported(units: list[Unit], title: int) -> bool:
    body = [u.text for u in units[title + 1 :] if u.body_like and not u.is_meta][:3]
    return shares_words(units[title].text, " ".join(body))


def kind_of(unit: Unit) -> str | None:
    if unit.meta_kind:
        return unit.meta_kind
    if unit.repeat:
        return "repeat"
    if unit.caption_after_image:
        return "caption"
    return None


_AFTER_DATE = re.compile(r"\s*(?:[–—|:-]\s*)?(?=\S)")


def date_prefix(text: str, vocab: Vocabulary) -> int | None:
    """Where the body starts when `text` opens with a labelled or dash-separated date, else None."""
    label = re.match(rf"\s*(?:(?:{vocab.gazetteer.alternation('date_labels')})\s*:?\s*)?", text, re.IGNORECASE)
    found = find_date(text[:80])
    if not found or label is None or found[1][0] != label.end():
        return None
    end = found[1][1]
    rest = _AFTER_DATE.match(text, end)
    separated = bool(re.match(r"\s*[–—|:-]", text[end:]))
    if rest is None or not (label.end() > 0 or separated) or len(text[rest.end() :].split()) < 5:
        return None
    return rest.end()
