#!/usr/bin/env python3
"""Build the labelled real dumps of the ingest segmenter from their spec files.

usage: build.py [FOLDER] [--check] [--tidy]   (default FOLDER: the folder this script is in)

FOLDER/specs/*.yaml each describe one dump: the public pages it is made of,
in order, each with its text exactly as the stored copy of the page gave it
(or, for a page of the comparable-news set, the id of that piece in
``../comparable/stories``), the number of blank lines the dump puts between
pages (``gap``), and every piece on each page with its metadata. From them
this writes, into FOLDER:

- ``<dump>``: the dump, the pages' texts one after the other;
- ``gold.json``: every piece of every dump in the format of
  ``../shared/data/dev-dumps/gold-text.json`` (``dumps``: file name → piece
  ids in order; ``pieces``: ``piece_id``, ``dump``, ``order``, ``lang``,
  ``kind``, ``title`` (null: the text gives none), ``date``,
  ``date_in_text``, ``date_basis``, ``outlet``, ``original_outlet``,
  ``author``, ``source_url``, ``char_start``/``char_end`` in the dump's
  text, ``note``);
- ``SOURCES.md``: every page of every dump, with its URL.

A piece is located by ``at``, the start of its first line (its headline, or
its first line of text when it has none), searched on its page after the
previous piece; it ends where the next piece starts, at the line starting
with ``until`` when given, or at the end of its page. ``--check`` writes
nothing and fails when a written file is not what the specs make (the test
suite runs it); ``--tidy`` rewrites the spec files with the texts as literal
blocks where YAML keeps them byte for byte.

Stops with ``error: FILE: reason`` (exit 1) on a spec that breaks the rules:
an ``at`` or ``until`` not found on its page, a title that is not a line of
its piece, a date not in ISO form, an id used twice, a page without a URL.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

PIECE_KEYS = (
    "lang",
    "kind",
    "title",
    "date",
    "date_in_text",
    "date_basis",
    "outlet",
    "original_outlet",
    "author",
    "note",
)
KINDS = ("article", "teaser")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class SpecError(ValueError):
    pass


def comparable_pieces(folder: Path) -> dict[str, dict[str, Any]]:
    """The pieces of the comparable-news set by id (their text as its story files hold it)."""
    pieces: dict[str, dict[str, Any]] = {}
    for path in sorted((folder.parent / "comparable" / "stories").glob("*.yaml")):
        for piece in yaml.safe_load(path.read_text(encoding="utf-8"))["pieces"]:
            pieces[piece["id"]] = piece
    return pieces


def page_text(page: dict[str, Any], comparable: dict[str, dict[str, Any]]) -> str:
    if "comparable" in page:
        piece = comparable.get(page["comparable"])
        if piece is None:
            raise SpecError(f"{page['comparable']}: no such piece in ../comparable/stories")
        return "\n".join(line.rstrip() for line in piece["text"].strip().splitlines())
    text = page.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{page.get('url', '?')}: a page needs its text (or `comparable: ID`)")
    return text.rstrip()


def page_defaults(page: dict[str, Any], comparable: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What a page of the comparable set says of its one piece (its spec may override any of it)."""
    if "comparable" not in page:
        return {}
    piece = comparable[page["comparable"]]
    return {
        "id": piece["id"],
        "lang": piece["lang"],
        "title": piece.get("title"),
        "date": piece.get("date"),
        "date_basis": piece.get("date_basis"),
        "outlet": piece["outlet"],
        "source_url": piece["source"],
    }


def _line_starts(text: str) -> list[int]:
    starts, at = [0], 0
    for line in text.split("\n")[:-1]:
        at += len(line) + 1
        starts.append(at)
    return starts


def _find_line(text: str, starts: list[int], prefix: str, after: int, what: str) -> int:
    wanted = " ".join(prefix.split())
    for start in starts:
        if start >= after:
            line = " ".join(text[start : text.find("\n", start) if "\n" in text[start:] else len(text)].split())
            if line.startswith(wanted):
                return start
    raise SpecError(f"{what} {prefix!r}: no line of the page starts with it (after offset {after})")


def _loose(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text).split()).casefold()


def build_dump(
    spec: dict[str, Any], comparable: dict[str, dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(dump text, gold pieces, page rows) of one spec."""
    gap = int(spec.get("gap", 2))
    texts: list[str] = []
    gold: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    offset = 0
    for number, page in enumerate(spec["pages"], 1):
        text = page_text(page, comparable)
        defaults = page_defaults(page, comparable)
        url = page.get("url") or defaults.get("source_url")
        if not url:
            raise SpecError(f"page {number}: no url")
        starts = _line_starts(text)
        specs = page.get("pieces") or ([{}] if defaults else [])
        located: list[tuple[int, int, dict[str, Any]]] = []
        after = 0
        for piece_spec in specs:
            piece = {**defaults, **piece_spec}
            if "at" in piece:
                start = _find_line(text, starts, piece["at"], after, "at")
            else:
                start = next(s for s in starts if text[s:].strip() and s >= after and text[s : s + 1].strip())
            until = _find_line(text, starts, piece["until"], start + 1, "until") if piece.get("until") else None
            located.append((start, until if until is not None else -1, piece))
            after = start + 1
        for index, (start, until, piece) in enumerate(located):
            end = until if until >= 0 else (located[index + 1][0] if index + 1 < len(located) else len(text))
            span = text[start:end].rstrip()
            record = gold_piece(piece, spec, url, span, offset + start, offset + start + len(span))
            gold.append(record)
        rows.append(
            {"url": url, "site": page.get("site") or defaults.get("outlet") or "", "pieces": [p["id"] for _, _, p in located]}
        )
        texts.append(text)
        offset += len(text) + gap + 1
    return ("\n" * (gap + 1)).join(texts) + "\n", gold, rows


def gold_piece(piece: dict[str, Any], spec: dict[str, Any], url: str, span: str, start: int, end: int) -> dict[str, Any]:
    pid = piece.get("id")
    if not pid:
        raise SpecError(f"a piece at {piece.get('at')!r} has no id")
    if piece.get("lang") not in ("ar", "en"):
        raise SpecError(f"{pid}: lang must be ar or en")
    kind = piece.get("kind", "article")
    if kind not in KINDS:
        raise SpecError(f"{pid}: kind must be one of {KINDS}")
    title = piece.get("title")
    if title is not None:
        lines = [_loose(line) for line in span.splitlines() if line.strip()]
        if _loose(title) not in lines and not any(_loose(title) in line for line in lines[:12]):
            raise SpecError(f"{pid}: its title {title!r} is not a line of its piece (title: null when the text gives none)")
    date = piece.get("date")
    if date is not None:
        date = str(date)
        if not ISO.fullmatch(date[:10]):
            raise SpecError(f"{pid}: date {date!r} is not YYYY-MM-DD")
        if "date_in_text" not in piece:
            raise SpecError(f"{pid}: a dated piece says whether the text states its date (date_in_text)")
    record = {
        "piece_id": pid,
        "dump": spec["dump"],
        "lang": piece["lang"],
        "kind": kind,
        "title": title,
        "date": date,
        "date_in_text": bool(piece.get("date_in_text", False)) if date else False,
        "date_basis": piece.get("date_basis") or ("text" if piece.get("date_in_text") else None),
        "outlet": piece.get("outlet"),
        "original_outlet": piece.get("original_outlet"),
        "author": piece.get("author"),
        "source_url": url,
        "char_start": start,
        "char_end": end,
        "note": piece.get("note", ""),
    }
    unknown = set(piece) - set(PIECE_KEYS) - {"id", "at", "until", "source_url"}
    if unknown:
        raise SpecError(f"{pid}: unknown keys {sorted(unknown)}")
    return record


def build(folder: Path) -> dict[str, str]:
    """Every file the specs make: name → content."""
    comparable = comparable_pieces(folder)
    files: dict[str, str] = {}
    gold: dict[str, Any] = {
        "description": (
            "Labelled real dumps for the ingest segmenter (tests/data/dumps/README.md): excerpts of public pages as their "
            "stored copies gave them, every piece with its metadata; built by build.py from specs/*.yaml. "
            "char_start/char_end: the piece's span in the dump's text; title null: the text gives no headline; "
            "date_in_text: the dump's text states the piece's date."
        ),
        "dumps": {},
        "pieces": [],
    }
    sources: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    seen: set[str] = set()
    for path in sorted((folder / "specs").glob("*.yaml")):
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
            text, pieces, rows = build_dump(spec, comparable)
        except (SpecError, KeyError, yaml.YAMLError) as exc:
            raise SpecError(f"{path}: {exc}") from exc
        for order, piece in enumerate(pieces, 1):
            if piece["piece_id"] in seen:
                raise SpecError(f"{path}: piece id {piece['piece_id']} used twice")
            seen.add(piece["piece_id"])
            piece["order"] = order
        files[spec["dump"]] = text
        gold["dumps"][spec["dump"]] = {"pieces": [p["piece_id"] for p in pieces], "about": spec.get("about", "")}
        gold["pieces"] += pieces
        sources.append((spec, rows))
    files["gold.json"] = json.dumps(gold, ensure_ascii=False, indent=1) + "\n"
    files["SOURCES.md"] = sources_md(sources)
    return files


def sources_md(sources: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> str:
    out = [
        "# Sources of the labelled dumps",
        "",
        "Every page each dump is made of, in dump order (written by build.py from specs/*.yaml; do not edit). The text is",
        "its publisher's, kept beside the tests as labelled data for research and testing.",
    ]
    for spec, rows in sources:
        out += [
            "",
            f"## {spec['dump']}",
            "",
            " ".join(str(spec.get("about", "")).split()),
            "",
            "| # | site | pieces | source |",
            "|---|---|---|---|",
        ]
        for number, row in enumerate(rows, 1):
            out.append(f"| {number} | {row['site']} | {', '.join(row['pieces'])} | <{row['url']}> |")
    return "\n".join(out) + "\n"


class _Literal(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Literal.add_representer(str, _str)


def tidy(path: Path) -> None:
    """Rewrite a spec with its texts as literal blocks, where that keeps them byte for byte."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = yaml.dump(spec, Dumper=_Literal, allow_unicode=True, sort_keys=False, width=10_000)
    if yaml.safe_load(text) != spec:
        raise SpecError(f"{path}: tidying would change it")
    path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    folder = Path(args[0]) if args else Path(__file__).resolve().parent
    try:
        if "--tidy" in argv:
            for path in sorted((folder / "specs").glob("*.yaml")):
                tidy(path)
        files = build(folder)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if "--check" in argv:
        stale = [
            name
            for name, content in files.items()
            if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != content
        ]
        if stale:
            print(f"error: {folder}: {', '.join(stale)} not what the specs make; run build.py", file=sys.stderr)
            return 1
        return 0
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    print(
        f"wrote {len(files) - 2} dumps, gold.json ({sum(1 for _ in json.loads(files['gold.json'])['pieces'])} pieces), SOURCES.md"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
