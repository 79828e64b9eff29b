"""The ingest stage over a store: files in, pieces (with paragraphs) and their sources out.

One transaction per source file: the sources row, its pieces, their
paragraphs and the piece↔source links are committed together or not at all,
so a crash or a bad line half-way through a file leaves nothing of it behind.
A file that fails is then recorded in ``sources`` with status 'failed' and
the reason, and the next file is read.

Identity: a piece's id is :func:`pipeline.records.content_id` of its body
text (title not included), so the same article arriving in two dumps with
different page chrome is stored once and linked to both sources. A source is
keyed by its resolved path and SHA-256: ingesting an unchanged file again is
skipped outright ("skipped unchanged"); a changed file is read again and
only its new pieces are added ("duplicate" counts the rest).

Paragraph rows are the body paragraphs in order (idx from 0) and
``pieces.text`` is exactly ``"\\n\\n".join`` of them. Language, route and
status are left to the detect stage (status 'ingested').
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_OK, InputError, StorageError
from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.cutter import iter_pieces, split_paragraphs
from pipeline.ingest.html import cut_html
from pipeline.ingest.pieces import RemovedCounter
from pipeline.ingest.readers import Probe, RawDocument, discover, iter_source, probe
from pipeline.ingest.settings import IngestSettings
from pipeline.progress import QUIET, Reporter, Task
from pipeline.records import content_id
from pipeline.store import Store, now_iso


@dataclass
class IngestReport:
    """What one ingest call did; `errors` holds one {path, line, reason} per problem."""

    files_seen: int = 0
    files_ingested: int = 0
    files_skipped_unchanged: int = 0
    files_failed: int = 0
    pieces_new: int = 0
    pieces_duplicate: int = 0
    paragraphs_new: int = 0
    removed_lines: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_INPUT_ERRORS if self.errors else EXIT_OK

    def add_error(self, error: InputError) -> None:
        self.errors.append({"path": error.path, "line": error.line, "reason": error.reason})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _FileCounts:
    pieces_new: int = 0
    pieces_duplicate: int = 0
    paragraphs_new: int = 0
    positions: int = 0


def ingest_paths(
    store: Store,
    config: Config,
    paths: list[Path | str],
    reporter: Reporter = QUIET,
    run_id: int | None = None,
) -> IngestReport:
    """Ingest files and folders (txt dumps, HTML, JSONL, any of them .gz) into `store`."""
    settings = config.section("ingest", IngestSettings)
    chrome = ChromeFilter(settings.extra_chrome, gazetteer=settings.rules())
    report = IngestReport()
    for item in discover(paths, settings):
        if isinstance(item, InputError):
            report.files_seen += 1
            _fail(store, report, reporter, item, None, run_id)
            continue
        _ingest_file(store, item, settings, chrome, report, reporter, run_id)
    return report


def _ingest_file(
    store: Store,
    path: Path,
    settings: IngestSettings,
    chrome: ChromeFilter,
    report: IngestReport,
    reporter: Reporter,
    run_id: int | None,
) -> None:
    report.files_seen += 1
    key = str(path.resolve())
    try:
        info = probe(path, settings)
    except InputError as error:
        _fail(store, report, reporter, error, None, run_id)
        return
    row = store.conn.execute("SELECT id, status, error FROM sources WHERE path = ? AND sha256 = ?", (key, info.sha256)).fetchone()
    if row is not None and row["status"] in ("ingested", "partial"):
        report.files_skipped_unchanged += 1
        report.files.append({"path": key, "status": "unchanged"})
        for line in (row["error"] or "").splitlines() if row["status"] == "partial" else []:
            report.errors.append({"path": key, "line": None, "reason": f"(as when first read) {line}"})
        reporter.info(f"{path}: unchanged since it was ingested, skipped")
        return
    line_errors: list[InputError] = []
    removed = RemovedCounter()
    counts = _FileCounts()
    try:
        with store.transaction() as tx, reporter.task(f"ingest {path.name}", total=info.newlines + 1, unit="lines") as task:
            if row is not None:  # an earlier failed attempt on the same bytes
                tx.execute("DELETE FROM sources WHERE id = ?", (row["id"],))
            source_id = tx.execute(
                "INSERT INTO sources(path, sha256, size, encoding, kind, status, ingested_at, run_id) VALUES (?, ?, ?, ?, ?, 'ingested', ?, ?)",
                (key, info.sha256, info.size, info.encoding, info.kind + ("+gz" if info.compressed else ""), now_iso(), run_id),
            ).lastrowid
            for document in iter_source(info, settings, line_errors):
                _write_document(tx, source_id, document, settings, chrome, removed, counts, task)
            if counts.positions == 0 and removed.count == 0 and not line_errors:
                raise InputError(str(path), "empty file (no text, only whitespace)")
            if counts.positions == 0:
                reporter.warn(f"{path}: no article found, only page chrome ({removed.count} lines)")
            status = "partial" if line_errors else "ingested"
            tx.execute(
                "UPDATE sources SET status = ?, error = ?, pieces = ?, removed_lines = ? WHERE id = ?",
                (status, "\n".join(str(e) for e in line_errors) or None, counts.positions, removed.count, source_id),
            )
    except InputError as error:
        _fail(store, report, reporter, error, info, run_id)
        return
    except (StorageError, KeyboardInterrupt):
        raise
    except sqlite3.Error as exc:
        raise StorageError(f"{store.path}: writing {path} failed: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the others
        _fail(store, report, reporter, InputError(str(path), f"internal error while reading it: {type(exc).__name__}: {exc}"), info, run_id)
        return
    for error in line_errors:
        report.add_error(error)
        reporter.error(str(error))
    report.files_ingested += 1
    report.pieces_new += counts.pieces_new
    report.pieces_duplicate += counts.pieces_duplicate
    report.paragraphs_new += counts.paragraphs_new
    report.removed_lines += removed.count
    report.files.append(
        {
            "path": key,
            "status": "partial" if line_errors else "ingested",
            "encoding": info.encoding,
            "kind": info.kind,
            "pieces_new": counts.pieces_new,
            "pieces_duplicate": counts.pieces_duplicate,
            "removed_lines": removed.count,
        }
    )
    reporter.info(f"{path}: {counts.pieces_new} new pieces, {counts.pieces_duplicate} already known, {removed.count} chrome lines removed")


def _fail(store: Store, report: IngestReport, reporter: Reporter, error: InputError, info: Probe | None, run_id: int | None) -> None:
    """Record a failed source (status 'failed', the reason) and report it; nothing else of the file is kept."""
    report.files_failed += 1
    report.add_error(error)
    report.files.append({"path": error.path, "status": "failed", "reason": error.reason})
    reporter.error(str(error))
    path = str(Path(error.path).resolve()) if info is not None else error.path
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sources(path, sha256, size, encoding, kind, status, error, ingested_at, run_id) "
            "VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?) "
            "ON CONFLICT(path, sha256) DO UPDATE SET status = 'failed', error = excluded.error, "
            "ingested_at = excluded.ingested_at, run_id = excluded.run_id",
            (
                path,
                info.sha256 if info else "",
                info.size if info else 0,
                info.encoding if info else None,
                info.kind if info else None,
                str(error),
                now_iso(),
                run_id,
            ),
        )


# -- writing pieces ---------------------------------------------------------------------------


@dataclass
class _PieceRow:
    paragraphs: list[str]
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    lang_hint: str | None = None
    translation: str | None = None
    model: str | None = None
    kind: str = "article"
    notes: list[str] = field(default_factory=list)


def _write_document(
    tx: sqlite3.Connection,
    source_id: int,
    document: RawDocument,
    settings: IngestSettings,
    chrome: ChromeFilter,
    removed: RemovedCounter,
    counts: _FileCounts,
    task: Task,
) -> None:
    for piece in _pieces_of(document, settings, chrome, removed, task):
        _write_piece(tx, source_id, piece, counts)


def _pieces_of(
    document: RawDocument, settings: IngestSettings, chrome: ChromeFilter, removed: RemovedCounter, task: Task
) -> Iterator[_PieceRow]:
    if not document.segment:  # a JSONL line: one piece, its own fields
        paragraphs, dropped = split_paragraphs(document.text, chrome)
        removed.count += dropped
        task.advance(1)
        yield _PieceRow(
            paragraphs, document.title, document.date, document.author, settings.rules().canonical(document.outlet) or document.outlet,
            document.lang, document.translation, document.model,
        )
        return
    if document.kind == "html":  # the page's structure: one piece per article container
        pieces = cut_html(document.text, settings.cut_options(), chrome, removed)
        task.advance(document.text.count("\n") + 1)
    else:
        pieces = iter_pieces(_counting(document.lines(), task), settings.cut_options(), removed, chrome)
    for piece in pieces:
        yield _PieceRow(piece.paragraphs, piece.title, piece.date, piece.author, piece.outlet, kind=piece.kind, notes=piece.notes)


def _counting(lines: Iterator[str], task: Task, every: int = 2000) -> Iterator[str]:
    pending = 0
    for line in lines:
        yield line
        pending += 1
        if pending == every:
            task.advance(pending)
            pending = 0
    task.advance(pending)


def _write_piece(tx: sqlite3.Connection, source_id: int, piece: _PieceRow, counts: _FileCounts) -> None:
    paragraphs = [p for p in piece.paragraphs if p.strip()]
    if not paragraphs:
        return
    text = "\n\n".join(paragraphs)
    pid = content_id(text)
    position = counts.positions
    counts.positions += 1
    known = tx.execute("SELECT 1 FROM pieces WHERE id = ?", (pid,)).fetchone() is not None
    if known:
        counts.pieces_duplicate += 1
        tx.execute(
            "UPDATE pieces SET title = COALESCE(title, ?), date = COALESCE(date, ?), author = COALESCE(author, ?), "
            "outlet = COALESCE(outlet, ?), lang_hint = COALESCE(lang_hint, ?), "
            "external_translation = COALESCE(external_translation, ?), external_model = COALESCE(external_model, ?) "
            "WHERE id = ?",
            (piece.title, piece.date, piece.author, piece.outlet, piece.lang_hint, piece.translation, piece.model, pid),
        )
    else:
        counts.pieces_new += 1
        counts.paragraphs_new += len(paragraphs)
        tx.execute(
            "INSERT INTO pieces(id, title, date, author, outlet, text, status, external_translation, external_model, lang_hint, created_at, "
            "kind, ingest_notes) VALUES (?, ?, ?, ?, ?, ?, 'ingested', ?, ?, ?, ?, ?, ?)",
            (pid, piece.title, piece.date, piece.author, piece.outlet, text, piece.translation, piece.model, piece.lang_hint, now_iso(),
             piece.kind, "\n".join(piece.notes) or None),
        )
        tx.executemany(
            "INSERT INTO paragraphs(piece_id, idx, text) VALUES (?, ?, ?)",
            [(pid, idx, paragraph) for idx, paragraph in enumerate(paragraphs)],
        )
    tx.execute("INSERT OR IGNORE INTO piece_sources(piece_id, source_id, position) VALUES (?, ?, ?)", (pid, source_id, position))
