"""Entry points of the text-dump cutter: a dump (lines or one string) in, pieces out.

:func:`iter_pieces` streams (a 200 MB dump is cut while it is read);
:func:`cut_dump` is the same on one string, with every removed line listed;
:func:`accounting_problems` checks the promise that every non-blank line is
in exactly one piece or removed with a reason. What a piece is and how it is
cut: :mod:`~pipeline.ingest.pieces`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipeline.ingest.chrome import DEFAULT_FILTER, ChromeFilter
from pipeline.ingest.lines import iter_units, looks_hard_wrapped, split_lines
from pipeline.ingest.pieces import (
    CutOptions,
    CutPiece,
    CutResult,
    RemovedCounter,
    RemovedLine,
    RemovedSink,
)
from pipeline.ingest.segmenter import Segmenter, text_units


def iter_pieces(
    lines: Iterable[str],
    options: CutOptions | None = None,
    removed: RemovedSink | None = None,
    chrome: ChromeFilter = DEFAULT_FILTER,
) -> Iterator[CutPiece]:
    """Stream pieces out of an iterable of lines; removed lines go to `removed` (a list or a counter)."""
    options = options or CutOptions()
    units = text_units(lines, options, chrome)
    yield from Segmenter(options, removed if removed is not None else RemovedCounter()).run(units)


def cut_dump(text: str, options: CutOptions | None = None, chrome: ChromeFilter = DEFAULT_FILTER) -> CutResult:
    """Cut a whole dump (one string) into pieces; pure, no store involved.

    >>> result = cut_dump(open("seeds/003_d3a64df3fb8f3d34.txt").read())
    >>> [p.title for p in result.pieces][:2]   # doctest: +SKIP
    """
    removed: list[RemovedLine] = []
    pieces = list(iter_pieces(split_lines(text), options, removed, chrome))
    removed.sort(key=lambda r: r.line)
    return CutResult(pieces, removed)


def accounting_problems(text: str, result: CutResult) -> list[str]:
    """Check the cutter's promise on `text`: every non-blank line is removed or in exactly one piece.

    Returns a list of problems (empty when the promise holds): a line in no
    piece and not removed, a line in two places, or a piece line whose text
    is not the input line's (whitespace runs compared as one space).
    """
    lines = {n: " ".join(line.split()) for n, line in enumerate(split_lines(text), 1) if line.strip()}
    owner: dict[int, str] = {}
    problems: list[str] = []
    for record in result.removed_lines:
        if record.line in owner:
            problems.append(f"line {record.line} removed twice")
        owner[record.line] = f"removed ({record.reason})"
    for index, piece in enumerate(result.pieces):
        texts: dict[int, list[str]] = {}
        for unit in piece.units:
            for number in unit.lines:
                texts.setdefault(number, []).append(unit.text)
            if len(unit.lines) > 1 and unit.text != " ".join(lines.get(n, "?") for n in unit.lines):
                problems.append(f"lines {unit.lines} are not joined into their unit's text")
        for number, parts in texts.items():
            if number in owner:
                problems.append(f"line {number} is in piece {index} and {owner[number]}")
            owner[number] = f"piece {index}"
            units_here = [u for u in piece.units if number in u.lines]
            if all(len(u.lines) == 1 for u in units_here) and " ".join(parts) != lines.get(number):
                problems.append(f"line {number}: piece text {' '.join(parts)[:60]!r} is not the input line")
        if piece.text != "\n\n".join(piece.paragraphs) or not piece.paragraphs:
            problems.append(f"piece {index}: text is not its paragraphs joined")
    missing = sorted(set(lines) - set(owner))
    if missing:
        problems.append(f"lines in no piece and not removed: {missing[:10]}")
    return problems


def split_paragraphs(text: str, chrome: ChromeFilter | None = None) -> tuple[list[str], int]:
    """Paragraphs of an already-cut piece (JSONL): blank-line blocks, or one per line.

    Hard-wrapped blocks are joined with spaces; otherwise every line is a
    paragraph. With `chrome`, chrome lines are dropped; returns (paragraphs,
    number of chrome lines dropped).
    """
    lines = list(split_lines(text))
    units = iter_units(lines, looks_hard_wrapped(lines), chrome or ChromeFilter(builtin=False))
    paragraphs, removed = [], 0
    for unit in units:
        if unit.chrome is not None and chrome is not None:
            removed += 1
        else:
            paragraphs.append(unit.text)
    return paragraphs, removed
