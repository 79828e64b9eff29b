"""A piece's title, date, author and outlet, read off the labels of its lines, each with its evidence.

Only what the piece's own lines (or the markup) say is used, and where a
field came from goes into the piece's ``evidence`` (stored in its notes):
"title: line 12, labelled title (p=0.97)". Without evidence a field is left
empty: a guess is worse than nothing for the analysts who read them.

Dates
    Found and parsed by :mod:`pipeline.text.dates` (one date parser for the
    whole pipeline), from the lines the labeller calls dateline or byline
    only: a date in page chrome (a clock, an "Updated" line of another page,
    a copyright year, the date line of the neighbouring piece) is no
    evidence. A date in the future or before 1990 is a scraping error, not
    the piece's date: it is left out and the piece's ``notes`` say why.

Bylines
    "By Staff, Agencies" → "Staff, Agencies"; "BY RICK MORAN NOV 07, 2021" →
    "Rick Moran" (the date goes to ``date``); "By Jane Doe for <outlet>" →
    author "Jane Doe" and that outlet; "Author: X | Published: ..." → "X";
    «بقلم X» and an Arabic "city – name" line → "X"; a bare name labelled
    byline is the author (:func:`author_of`).

Outlets
    Only where the page names the outlet or the text names itself (the order
    is :func:`describe_labelled`'s). An outlet the piece says it reproduces
    (a title opening with it, "quoting", «نقلاً عن», «كتبت ... في "<outlet>"»)
    is its original outlet; a site name heading the piece is the page's,
    never every piece's of an aggregated dump. The names, aliases and shapes
    are data (:mod:`pipeline.ingest.gazetteer`); an outlet merely *quoted* in
    an English article ("told <outlet> TV") is not the piece's outlet.
"""

from __future__ import annotations

import re
from datetime import date

from pipeline.ingest.gazetteer import DEFAULT, Gazetteer
from pipeline.ingest.lines import (
    DEFAULT_VOCABULARY,
    Unit,
    Vocabulary,
    byline,
    date_line,
    doubled,
    same_headline,
)
from pipeline.ingest.pieces import CutPiece, PieceUnit, RemovedLine
from pipeline.text.dates import implausible, parse_date


def canonical_outlet(text: str | None, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """The canonical English name of a known outlet (an alias, any case → the name in outlets.yaml), else None."""
    return gazetteer.canonical(text)


def outlet_name(text: str, gazetteer: Gazetteer = DEFAULT) -> str:
    """Canonical name when known, else the cleaned text as written."""
    cleaned = re.sub(r"\s*\((?:youtube|video)\)\s*$", "", text.strip(), flags=re.IGNORECASE).strip(" .,:;{}()«»")
    return gazetteer.canonical(cleaned) or cleaned


def known_outlet(text: str | None, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """A known outlet by one of its names, or by its web site written as a name ("theguardian", "Kataeb.org"), else None."""
    if not text:
        return None
    cleaned = outlet_name(text, gazetteer)
    found = gazetteer.canonical(cleaned)
    if found or " " in cleaned.strip():
        return found
    site = cleaned.strip().lower()
    return gazetteer.outlet_of_url(site) or (gazetteer.outlet_of_url(site + ".com") if "." not in site else None)


_NAMED = re.compile(r"^(?:by\s|بقلم|كتب)", re.IGNORECASE)


def named_outlet(text: str | None, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """The outlet an explicit source line names: a known one by its canonical name, an unknown one as written when it
    reads as a name (a few words, no digits, not "by ..."); None otherwise (a guess is worse than nothing)."""
    if not text:
        return None
    known = known_outlet(text, gazetteer)
    if known:
        return known
    cleaned = outlet_name(text, gazetteer)
    if _NAMED.match(cleaned) or any(c.isdigit() for c in cleaned) or not 1 <= len(cleaned.split()) <= 4:
        return None
    return cleaned


def outlet_from_opener(text: str, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """The outlet an agency-style first paragraph opens with ("<Outlet> / ...", "(City: <Outlet>) ...")."""
    text = text.strip()
    match = gazetteer.leading_outlet.match(text)
    if match:
        return outlet_name(match.group("outlet"), gazetteer)
    for pattern in gazetteer.patterns("openers"):
        match = pattern.match(text)
        if match:
            return outlet_name(match.group("outlet"), gazetteer)
    return None


def opens_like_a_dateline(text: str, gazetteer: Gazetteer = DEFAULT) -> bool:
    """True when a paragraph opens with an agency dateline, named outlet or not ("BEIRUT (AP) —", «دمشق | ...»)."""
    return outlet_from_opener(text, gazetteer) is not None or any(p.match(text) for p in gazetteer.patterns("opener_shapes"))


def outlet_from_line(text: str, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """The outlet a whole metadata line names ("Source: <outlet>", "<Outlet> – City")."""
    text = text.strip()
    for pattern in gazetteer.patterns("lines"):
        match = pattern.match(text)
        if match:
            return named_outlet(match.group("outlet"), gazetteer)
    match = gazetteer.leading_outlet.match(text)
    if match and len(text[match.end() :].split()) <= 3:
        return outlet_name(match.group("outlet"), gazetteer)
    return None


def outlet_self_reference_ar(text: str, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """The paper an Arabic text names in «…» as the one a source spoke to ("قال لـ«<paper>»")."""
    patterns = gazetteer.self_reference
    if patterns is None:
        return None
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return gazetteer.self_outlet(match.group("q"))
    return None


def checked_date(iso: str | None, notes: list[str], what: str, today: date | None = None) -> str | None:
    """`iso` when it can be a piece's date; else None, with the reason appended to `notes`."""
    if not iso:
        return None
    reason = implausible(iso, today)
    if reason:
        notes.append(f"{what}: {reason}; not used")
        return None
    return iso


def continues(previous: CutPiece, piece: CutPiece, vocab: Vocabulary) -> bool:
    """A later part of a series: "[2]" in its header, or the previous part announced it ("غداً ...")."""
    header = [u.text for u in piece.units[:4] if u.role == "title" or u.kind == "repeat"] + [piece.title or ""]
    if any(vocab.series_part.search(text) for text in header):
        return True
    last = previous.paragraphs[-1] if previous.paragraphs else ""
    return bool(vocab.series_next.match(last)) and previous.script == piece.script


# -- from labelled lines (the segmenter) ------------------------------------------------------------

MIN_P = 0.5  # a line whose label the model gives less than this is no evidence for a field
_NAME_LINE_WORDS = 5


def _where(unit: PieceUnit, what: str) -> str:
    line = f"line {unit.lines[0]}" if unit.lines else "a line"
    shaped = ", shaped like one" if unit.shaped and unit.p is not None and unit.p < MIN_P else ""
    return f"{line}, {what}" + (f" (p={unit.p:.2f}{shaped})" if unit.p is not None else "")


def author_of(text: str, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    """(author, outlet, date) of a line labelled byline: a byline shape, else a bare name, else what follows "by"/":"."""
    found = byline(text, vocab)
    if found:
        return found
    if len(text) <= 40 and (vocab.name_en.fullmatch(text) or vocab.is_arabic_name(text)):
        return text, None, None
    match = re.search(r"(?i)(?:^|\s)by\s*:?\s+(?P<who>[^,|;()]{3,60})", text) or re.match(
        r"[^:]{1,25}:\s*(?P<who>[^,|;()]{3,60})", text
    )
    if match:
        who = match.group("who").strip(" -–—.")
        if 1 <= len(who.split()) <= _NAME_LINE_WORDS and not any(c.isdigit() for c in who):
            return who, None, None
    return None, None, None


def outlet_quoted(text: str, gazetteer: Gazetteer = DEFAULT) -> str | None:
    """A known outlet a piece says it reproduces ("quoting <outlet>", «نقلاً عن», «كتبت X في "<outlet>"»), else None.

    The shapes are ``quoting`` in ``data/datelines.yaml``; only an outlet of
    ``outlets.yaml`` counts, so a quoted official is never taken for one.
    """
    for pattern in gazetteer.patterns("quoting"):
        for match in pattern.finditer(text):
            name = gazetteer.canonical(match.group("outlet").strip(" «»\"'“”"))
            if name:
                return name
    return None


def _fuller_repeat(title: str, unit: PieceUnit, meta: list[PieceUnit], removed: list[RemovedLine]) -> str:
    """A fuller repeat of the headline right under it ("<series> [2]: <headline>") is the better title.

    The repeat must hold the headline and at least two more words: a one-word
    label glued to a repeated headline ("Special <headline>") is no fuller title.
    """
    after = unit.lines[-1] if unit.lines else 0
    near = [u.text for u in meta if u.lines and 0 < u.lines[0] - after <= 3]
    near += [r.text for r in removed if 0 < r.line - after <= 3]
    for text in near:
        if same_headline(title, text) and len(text.split()) >= len(title.split()) + 2:
            return text
    return title


_NOT_TITLE_KINDS = {
    "byline": "a byline",
    "date": "a date line",
    "credit": "a credit",
    "dateline": "a dateline",
    "caption": "a caption",
    "section": "a section label",
    "disclaimer": "a disclaimer",
}


def _not_a_title(text: str, script: str, vocab: Vocabulary) -> str | None:
    """Why a line the labeller called a headline cannot be this piece's title (its shape is metadata, or it is in another
    script than the piece's text: the last line of the piece before), or None."""
    unit = Unit((0,), text, vocab=vocab)
    if unit.meta_kind in _NOT_TITLE_KINDS:
        return _NOT_TITLE_KINDS[unit.meta_kind]
    if outlet_from_line(text, vocab.gazetteer) and len(text.split()) <= 6:
        return "a source line"
    if script in ("ar", "latin") and unit.script in ("ar", "latin") and unit.script != script:
        return "in another script than the piece's text"
    return None


HEAD_WORDS = 15  # a paragraph this long is text; a shorter one above it may be a standfirst or a caption


def _head_end(units: list[PieceUnit]) -> int:
    """Where the piece's head ends: at its second paragraph of at least HEAD_WORDS words, or at a headline below its first.

    Date lines, bylines and source lines in the head are the piece's; below
    it they belong to a neighbouring piece run into this one (a headline
    under a paragraph starts one), to a box, or to the page.
    """
    seen = 0
    for index, unit in enumerate(units):
        if seen and (unit.role == "title" or unit.kind in ("repeat", "header")):
            return index
        if unit.role == "body" and len(unit.text.split()) >= HEAD_WORDS:
            seen += 1
            if seen == 2:
                return index
    return len(units)


def _places(units: list[PieceUnit]) -> dict[int, str]:
    """Each unit's place: 'head' (above the second paragraph), 'middle' (between paragraphs below it), 'tail' (after the last)."""
    head_end = _head_end(units)
    last_body = max((i for i, u in enumerate(units) if u.role == "body"), default=-1)
    return {id(u): "head" if i < head_end else ("tail" if i > last_body else "middle") for i, u in enumerate(units)}


def _line_bounds(units: list[PieceUnit]) -> tuple[int, int]:
    """First line of the piece's second paragraph and last line of its last paragraph (the middle lies between)."""
    head_end = _head_end(units)
    body = [u for u in units if u.role == "body" and u.lines]
    if head_end >= len(units) or not units[head_end].lines or not body:
        return 1, 0
    return units[head_end].lines[0], body[-1].lines[-1]


def _closes_piece(unit: PieceUnit, piece: CutPiece, ended: bool) -> bool:
    """No other piece's head can follow `unit` inside this piece: it runs to the end of its input, or a line labelled
    separator (the end of a post or an article) comes after `unit` in it."""
    after = unit.lines[-1] if unit.lines else 0
    return ended or any(r.line > after and r.reason.startswith("separator:") for r in piece.removed)


def describe_labelled(
    piece: CutPiece,
    header: list[Unit],
    previous: CutPiece | None,
    vocab: Vocabulary = DEFAULT_VOCABULARY,
    today: date | None = None,
    gap: bool = True,
    ended: bool = False,
) -> None:
    """Title, date, author and outlet of a piece cut by the labeller, each with its evidence, or left empty.

    Only lines the model labelled (with p >= MIN_P) are evidence: the title is
    the line labelled title or teaser, the date the first date of a line
    labelled dateline or byline, the author a byline's name. A date in a line
    labelled chrome (a clock, another page's "Updated" line, a copyright
    year, a date under the neighbouring piece) is never the piece's: the
    piece is left without one rather than given a guess. A date line after
    the piece's text is the next page's head or a clock more often than the
    piece's own, unless no head can follow it: the piece runs to the end of
    its input (`ended`: the dump, or the markup's article) or a line
    labelled separator (the end of a forum post) closes the piece after it.

    The outlet, first that gives one: a byline naming it; an outlet the piece
    names as the one it reproduces (a title opening with the outlet's name, a
    first paragraph opening with an agency dateline, "quoting", «نقلاً عن»,
    «كتبت ... في "<outlet>"»: the original outlet); a source line; an Arabic
    paper quoting a source to itself; a known columnist's paper; a "Headline |
    Site" title; chrome inside the piece naming its site; and last the site
    name heading this piece (the chrome lines right before it) — a header
    names the page it heads, never every piece of an aggregated dump. The
    items of a teaser list share the site name heading the list, as long as
    no wide gap (`gap`: two blank lines or more before the piece) or other
    header comes between them.
    """
    gazetteer = vocab.gazetteer
    meta = [u for u in piece.units if u.role == "meta"]
    body = [u for u in piece.units if u.role == "body"]
    where = _places(piece.units)
    title_unit = next((u for u in piece.units if u.role == "title"), None)
    outlets: list[tuple[str, str]] = []
    site_in_title: tuple[str, str] | None = None
    if title_unit is not None:
        unfit = _not_a_title(title_unit.text, piece.script, vocab)
        if title_unit.p is not None and title_unit.p < MIN_P:
            piece.notes.append(f"title: {_where(title_unit, 'the most likely headline')} is too uncertain; left empty")
        elif unfit:
            piece.notes.append(f"title: {_where(title_unit, 'labelled title')} is {unfit}; left empty")
        else:
            title = doubled(title_unit.text) or title_unit.text
            title = _fuller_repeat(title, title_unit, meta, piece.removed)
            head, sep, tail = title.rpartition(" | ")
            if sep and len(tail.split()) <= 4 and len(head.split()) >= 2:
                title = head
                site = known_outlet(tail, gazetteer)  # "Headline | Site": only a site the rules know, never a place or a slogan
                if site:
                    site_in_title = (site, _where(title_unit, "the site after '|' in the title"))
            piece.title = " ".join(title.split())
            piece.evidence["title"] = _where(title_unit, "labelled title")
            opener = gazetteer.leading_outlet.match(title_unit.text)
            if opener:
                outlets.append((outlet_name(opener.group("outlet"), gazetteer), _where(title_unit, "the title opens with it")))
    dates: list[tuple[str, PieceUnit]] = []
    names: list[PieceUnit] = []
    for u in meta:
        if u.p is not None and u.p < MIN_P and not u.shaped:
            continue  # an unsure label is evidence only where the line's own shape says the same
        if where[id(u)] == "middle":
            # a date, byline or source line between paragraphs, past the piece's head: the header of a neighbouring
            # piece run into this one, or a box quoting something else; no evidence for this piece
            continue
        if u.kind in ("byline", "date"):  # "By News Desk - 2020-08-17" is both
            who, outlet, when = author_of(u.text, vocab) if u.kind == "byline" else (byline(u.text, vocab) or (None, None, None))
            if who and piece.author is None:
                piece.author = who
                piece.evidence["author"] = _where(u, "labelled byline")
            if outlet:
                outlets.insert(0, (outlet, _where(u, "the byline names it")))
            if when:
                dates.append((when, u))
        if u.kind == "date":
            when = parse_date(u.text)
            if when:
                dates.append((when, u))
        if where[id(u)] == "tail" and not _closes_piece(u, piece, ended):
            dates = [(when, d) for when, d in dates if d is not u]  # a date after the text: the next page's, or a clock
        if u.kind == "name":
            names.append(u)
        line_outlet = outlet_from_line(u.text, gazetteer)
        if line_outlet:
            outlets.append((line_outlet, _where(u, "a source line names it")))
    for when, u in dates:
        piece.date = checked_date(when, piece.notes, "date in the text", today)
        if piece.date:
            piece.evidence["date"] = _where(u, f"labelled {'byline' if u.kind == 'byline' else 'dateline'}")
            break
    head_line, last_line = _line_bounds(piece.units)
    if piece.date is None:
        _date_under_first_line(piece, title_unit, (head_line, last_line), vocab, today)
    if piece.date is None and title_unit is not None and piece.title:
        when = parse_date(piece.title)  # "Secrets of the papers, Monday 07/04/2025": the title states the day
        if when:
            piece.date = checked_date(when, piece.notes, "date in the title", today)
            if piece.date:
                piece.evidence["date"] = _where(title_unit, "a date in the title")
    if body:
        opener_outlet = outlet_from_opener(body[0].text, gazetteer)
        if opener_outlet:
            outlets.append((opener_outlet, _where(body[0], "the first paragraph opens with it")))
        quoted = outlet_quoted(" ".join(u.text[:600] for u in body[:2]), gazetteer)
        if quoted:
            outlets.append((quoted, _where(body[0], "the piece says it reproduces it")))
    if piece.script == "ar":
        self_ref = outlet_self_reference_ar(" ".join(u.text for u in body), gazetteer)
        if self_ref:
            outlets.append((self_ref, "the text quotes a source speaking to it («لـ…»)"))
    columnist_paper = gazetteer.outlet_of_author(piece.author)
    if columnist_paper:
        outlets.append((columnist_paper, f"the paper of its columnist {piece.author}"))
    if site_in_title:
        outlets.append(site_in_title)
    for record in piece.removed:
        if head_line <= record.line <= last_line:
            continue  # between paragraphs past the head: another piece's or a box's
        chrome_outlet = outlet_from_line(record.text, gazetteer)
        if chrome_outlet:
            outlets.append((chrome_outlet, f"line {record.line}, a chrome line in the piece names it"))
    for unit in reversed(header):
        site = gazetteer.canonical(unit.text) if unit.words <= 6 else None
        if site:
            outlets.append((site, f"line {unit.lines[0]}, the site name heading this piece"))
            break
    if outlets:
        piece.outlet, piece.evidence["outlet"] = outlets[0]
    if previous is not None and continues(previous, piece, vocab):
        piece.author = piece.author or previous.author
        if piece.outlet is None and previous.outlet:
            piece.outlet = previous.outlet
            piece.evidence["outlet"] = "a later part of the previous piece's series"
    own_site = any(gazetteer.canonical(u.text) for u in header if u.words <= 6)
    same_list = previous is not None and piece.kind == previous.kind == "teaser" and not gap and not own_site
    listed = previous.evidence.get("outlet", "") if same_list and previous is not None else ""
    if piece.outlet is None and previous is not None and listed.endswith(("heading this piece", "heading its list")):
        piece.outlet = previous.outlet
        piece.evidence["outlet"] = listed.replace("heading this piece", "heading its list")


def _date_under_first_line(
    piece: CutPiece, title_unit: PieceUnit | None, bounds: tuple[int, int], vocab: Vocabulary, today: date | None
) -> None:
    """A date line in the piece's head, under its headline, that the model called furniture: the piece's own date line
    far more often than a clock (clocks head the page, above the headline) or another page's "Updated" line.

    A piece without a headline (its first line a standfirst or a caption) is read the same way, under its first line,
    but only where its head ends before its text does: in a piece of one paragraph, a date line below the first
    line is as likely the next item's head. `bounds`: the piece's :func:`_line_bounds`.
    """
    top = title_unit if title_unit is not None else next((u for u in piece.units if u.lines), None)
    head_line, last_line = bounds
    bounded = head_line <= last_line
    if top is None or not top.lines or (top is not title_unit and not bounded):
        return
    under = "the headline" if top is title_unit else "the piece's first line"
    for record in piece.removed:
        if top.lines[-1] < record.line < (head_line if bounded else record.line + 1):
            when = date_line(record.text, vocab)
            if when:
                piece.date = checked_date(when, piece.notes, f"date under {under}", today)
                if piece.date:
                    piece.evidence["date"] = f"line {record.line}, a date line under {under} (labelled furniture)"
                    return
