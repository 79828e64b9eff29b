#!/usr/bin/env python3
"""Build the comparable-news set from its per-story source files.

usage: assemble.py [FOLDER]   (default: the folder this script is in)

FOLDER/stories/*.yaml hold one story thread each: its events (what happened,
when) and its pieces (real excerpts, where each came from, which event it
reports and, for an Arabic piece, a careful and a weak English translation
written paragraph by paragraph). From them this writes, into FOLDER:

- pieces-careful.jsonl / pieces-weak.jsonl: every piece as one JSONL line as
  `pipeline run` reads it (the shape of ../shared/data/dev-align);
- gold-pairs.json: expected, must_not_match (every Arabic piece against every
  English piece of its story that reports another event), stories, events;
- SOURCES.md: every piece's outlet, date and source.

The gold is derived from the event labels, never written pair by pair, so a
pair cannot be labelled twice in two ways. Stops with `error: FILE: reason`
(exit 1) on a story file that breaks the rules (unknown event, a translation
whose paragraph count differs from the Arabic, a missing source, an id used
twice).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

PIECE_KEYS = ("id", "lang", "title", "date", "outlet", "text")


def paragraphs(text: str) -> list[str]:
    """Every non-empty line is a paragraph (written out with a blank line between paragraphs).

    A line of page chrome ("A +A -", a byline, a list item) is a paragraph of
    its own, so the i-th paragraph of a translation always translates the
    i-th paragraph of the Arabic, however a reader groups lines.
    """
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def normalised(text: str) -> str:
    return "\n\n".join(paragraphs(text))


def as_on_page(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


class StoryError(ValueError):
    pass


def load_story(path: Path) -> dict[str, Any]:
    story = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("story", "thread", "events", "pieces"):
        if key not in story:
            raise StoryError(f"no '{key}'")
    for piece in story["pieces"]:
        pid = piece.get("id", "?")
        for key in ("id", "lang", "outlet", "text", "source"):
            if not piece.get(key):
                raise StoryError(f"{pid}: no '{key}'")
        events = piece_events(piece)
        unknown = [e for e in events if e not in story["events"]]
        if unknown:
            raise StoryError(f"{pid}: unknown event(s) {unknown}")
        if piece["lang"] == "ar":
            n = len(paragraphs(piece["text"]))
            for kind in ("careful", "weak"):
                if not piece.get(kind):
                    raise StoryError(f"{pid}: no '{kind}' translation")
                m = len(paragraphs(piece[kind]))
                if m != n:
                    raise StoryError(f"{pid}: '{kind}' has {m} paragraphs, the Arabic {n}")
        elif piece["lang"] != "en":
            raise StoryError(f"{pid}: lang must be 'ar' or 'en'")
    return story


def piece_events(piece: dict[str, Any]) -> list[str]:
    event = piece.get("event")
    return [event] if isinstance(event, str) else list(event or [])


def jsonl_line(piece: dict[str, Any], kind: str | None) -> str:
    out: dict[str, Any] = {}
    for key in PIECE_KEYS:
        value = piece.get(key)
        if value is None or value == "":
            continue
        if key == "text":
            # An Arabic piece: one paragraph per line, so its translations correspond line by line;
            # an English piece keeps the page's own line shape (blank lines, hard wrapping).
            out[key] = normalised(value) if piece["lang"] == "ar" else as_on_page(value)
        else:
            out[key] = str(value)
    if kind:
        out["translation"] = normalised(piece[kind])
        out["model"] = "careful" if kind == "careful" else "weak-mt"
    return json.dumps(out, ensure_ascii=False)


def source_cell(source: Any) -> str:
    if isinstance(source, str):
        return f"<{source}>"
    return f"{source['repo']} @ {source['commit'][:12]} : `{source['path']}`" + (
        f" ({source['note']})" if source.get("note") else ""
    )


def build(folder: Path) -> dict[str, Any]:
    stories = []
    for path in sorted((folder / "stories").glob("*.yaml")):
        try:
            stories.append(load_story(path))
        except (StoryError, yaml.YAMLError) as exc:
            raise SystemExit(f"error: {path}: {exc}") from None
    seen: set[str] = set()
    for story in stories:
        for piece in story["pieces"]:
            if piece["id"] in seen:
                raise SystemExit(f"error: {story['story']}: id {piece['id']} used twice")
            seen.add(piece["id"])

    careful, weak, arabic, english = [], [], [], []
    expected: dict[str, list[str]] = {}
    must_not: list[dict[str, str]] = []
    story_ids: dict[str, list[str]] = {}
    event_of: dict[str, list[str]] = {}
    events: dict[str, dict[str, Any]] = {}
    rows = []
    for story in stories:
        sid = story["story"]
        story_ids[sid] = [p["id"] for p in story["pieces"]]
        for eid, ev in story["events"].items():
            events[f"{sid}/{eid}"] = {"date": str(ev.get("date")) if ev.get("date") else None, "what": ev["what"]}
        ens = [p for p in story["pieces"] if p["lang"] == "en"]
        for piece in story["pieces"]:
            evs = piece_events(piece)
            event_of[piece["id"]] = [f"{sid}/{e}" for e in evs]
            rows.append((sid, piece))
            if piece["lang"] == "ar":
                arabic.append(piece["id"])
                careful.append(jsonl_line(piece, "careful"))
                weak.append(jsonl_line(piece, "weak"))
                expected[piece["id"]] = [e["id"] for e in ens if set(piece_events(e)) & set(evs)]
                for en in ens:
                    if not set(piece_events(en)) & set(evs):
                        a = ", ".join(f"{e} {story['events'][e].get('date') or 'undated'}" for e in evs)
                        b = ", ".join(f"{e} {story['events'][e].get('date') or 'undated'}" for e in piece_events(en))
                        must_not.append(
                            {
                                "ar": piece["id"],
                                "en": en["id"],
                                "story": sid,
                                "why": f"same thread ({sid}), other event: {a} vs {b}",
                            }
                        )
            else:
                english.append(piece["id"])
                line = jsonl_line(piece, None)
                careful.append(line)
                weak.append(line)

    gold = {
        "description": (
            "Real comparable news built from public pages (SOURCES.md). expected[ar_id] = the English ids that report "
            "the same event ([] = the aligner should abstain); must_not_match = every Arabic piece against every English "
            "piece of its story thread that reports another event; stories = story id -> its piece ids (for "
            "leave-one-story-out); piece_events / events = the event labels the gold is derived from."
        ),
        "arabic": arabic,
        "english": english,
        "expected": expected,
        "must_not_match": must_not,
        "stories": story_ids,
        "piece_events": event_of,
        "events": events,
    }
    (folder / "pieces-careful.jsonl").write_text("\n".join(careful) + "\n", encoding="utf-8")
    (folder / "pieces-weak.jsonl").write_text("\n".join(weak) + "\n", encoding="utf-8")
    (folder / "gold-pairs.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_sources(folder / "SOURCES.md", stories, rows)
    return gold


def write_sources(path: Path, stories: list[dict[str, Any]], rows: list[tuple[str, dict[str, Any]]]) -> None:
    lines = [
        "# Sources of the comparable-news set",
        "",
        "Every piece is an excerpt (its first paragraphs, or the whole of a short piece) of a public news page or of a",
        "public repository of scraped articles, kept for research and testing only; the text stays its publisher's.",
        "This list says where each piece came from, so it can be checked and rebuilt.",
        "The translations beside the Arabic pieces were written for this set.",
        "`date` is the publication date where the page, its URL or its dateline gives it (`date_basis`); empty: undated.",
        "",
    ]
    by_story: dict[str, list[dict[str, Any]]] = {}
    for sid, piece in rows:
        by_story.setdefault(sid, []).append(piece)
    for story in stories:
        sid = story["story"]
        lines += [f"## {sid}: {story['thread']}", ""]
        for eid, ev in story["events"].items():
            lines.append(f"- event `{eid}` ({ev.get('date') or 'undated'}): {ev['what']}")
        lines += ["", "| id | lang | event | outlet | date (basis) | source |", "|---|---|---|---|---|---|"]
        for p in by_story[sid]:
            date = f"{p.get('date') or ''} ({p.get('date_basis', 'page')})" if p.get("date") else "undated"
            ev = ", ".join(piece_events(p))
            lines.append(f"| {p['id']} | {p['lang']} | {ev} | {p['outlet']} | {date} | {source_cell(p['source'])} |")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


COUNTS_START, COUNTS_END = "<!-- counts:start -->", "<!-- counts:end -->"


def counts_table(gold: dict[str, Any], folder: Path) -> str:
    """The set's size by story, by year of the event and by kind of date, as a Markdown block."""
    pieces = {}
    path = folder / "pieces-careful.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pieces[row["id"]] = row
    story_of = {pid: sid for sid, ids in gold["stories"].items() for pid in ids}
    near = {sid: 0 for sid in gold["stories"]}
    for pair in gold["must_not_match"]:
        near[pair["story"]] += 1
    rows = [
        "| story | Arabic covered | Arabic uncovered | English | same-thread other-event pairs | Arabic outlets |",
        "|---|---|---|---|---|---|",
    ]
    for sid, ids in gold["stories"].items():
        ar = [p for p in ids if p in gold["expected"]]
        covered = sum(1 for p in ar if gold["expected"][p])
        outlets = len({pieces[p]["outlet"] for p in ar})
        rows.append(f"| {sid} | {covered} | {len(ar) - covered} | {len(ids) - len(ar)} | {near[sid]} | {outlets} |")
    covered = sum(1 for e in gold["expected"].values() if e)
    rows.append(
        f"| **all** | **{covered}** | **{len(gold['arabic']) - covered}** | **{len(gold['english'])}** | "
        f"**{len(gold['must_not_match'])}** | **{len({pieces[p]['outlet'] for p in gold['arabic']})}** |"
    )

    def year(pid: str) -> str:
        date = gold["events"][gold["piece_events"][pid][0]]["date"]
        return date[:4] if date else "undated"

    years: dict[str, list[int]] = {}
    for pid in gold["arabic"] + gold["english"]:
        years.setdefault(year(pid), [0, 0])[0 if pid in gold["expected"] else 1] += 1
    by_year = ", ".join(f"{y}: {a} ar / {e} en" for y, (a, e) in sorted(years.items()))
    dated = [sum(1 for p in gold[lang] if "date" in pieces[p]) for lang in ("arabic", "english")]
    short = sum(1 for p in gold["arabic"] if len(pieces[p]["text"]) < 400)
    lines = [
        COUNTS_START,
        *rows,
        "",
        f"By year of the event: {by_year}.",
        f"Pieces with a `date`: {dated[0]} of {len(gold['arabic'])} Arabic, {dated[1]} of {len(gold['english'])} English "
        '(the others are undated, as the page gave no date of its own; many say "on Wednesday" or "yesterday" in the text).',
        f"Short Arabic pieces (under 400 characters: teasers, one-paragraph reports): {short}. "
        f"Stories: {len(gold['stories'])}; outlets: {len({pieces[p]['outlet'] for p in pieces})}; "
        f"story of every piece: `stories` in gold-pairs.json ({len(story_of)} pieces).",
        COUNTS_END,
    ]
    return "\n".join(lines)


def write_counts(folder: Path, gold: dict[str, Any]) -> None:
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    if COUNTS_START in text and COUNTS_END in text:
        head, rest = text.split(COUNTS_START, 1)
        tail = rest.split(COUNTS_END, 1)[1]
        readme.write_text(head + counts_table(gold, folder) + tail, encoding="utf-8")


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    gold = build(folder)
    write_counts(folder, gold)
    covered = sum(1 for e in gold["expected"].values() if e)
    print(
        f"{len(gold['stories'])} stories, {len(gold['arabic'])} Arabic ({covered} covered, {len(gold['arabic']) - covered} uncovered), "
        f"{len(gold['english'])} English, {len(gold['must_not_match'])} same-thread other-event pairs"
    )


if __name__ == "__main__":
    main()
