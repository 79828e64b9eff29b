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

A JSONL line may carry its own ``id`` (kept as the piece's ``input_id``) and
a ``translation`` from another MT system (kept per system, readable and raw,
see :func:`external_translation`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from pipeline.config import Config
from pipeline.errors import EXIT_INPUT_ERRORS, EXIT_OK, InputError, StorageError
from pipeline.files import path_text
from pipeline.ingest.chrome import ChromeFilter
from pipeline.ingest.cutter import iter_pieces, split_paragraphs
from pipeline.ingest.html import cut_html
from pipeline.ingest.pieces import CutPiece, RemovedCounter
from pipeline.ingest.readers import Probe, RawDocument, Skipped, discover, iter_source, probe
from pipeline.ingest.settings import IngestSettings
from pipeline.progress import NO_TASK, QUIET, Reporter, Task
from pipeline.records import ExternalTranslation, IngestedPiece, SourceFile, content_id
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import SourceWriter, Store, is_url
from pipeline.text.readable import readable


class IngestReport(Report):
    """What one ingest call did; `errors` holds one {path, line, reason} per problem."""

    files_seen: int = 0
    files_ingested: int = 0
    files_skipped_unchanged: int = 0
    files_failed: int = 0
    pieces_new: int = 0
    pieces_duplicate: int = 0
    paragraphs_new: int = 0
    removed_lines: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)
    files: list[dict[str, Any]] = Field(default_factory=list)

    def exit_code(self) -> int:
        return EXIT_INPUT_ERRORS if self.errors else EXIT_OK

    def messages(self) -> list[str]:
        return [f"{e['path']}{':' + str(e['line']) if e.get('line') else ''}: {e['reason']}" for e in self.errors]

    def add_error(self, error: InputError) -> None:
        self.errors.append({"path": error.path, "line": error.line, "reason": error.reason})


class IngestStage(SectionStage[IngestSettings]):
    """Files and folders (txt dumps, HTML, JSONL, any of them .gz) → pieces in the store."""

    name: ClassVar[str] = "ingest"
    section: ClassVar[str] = "ingest"
    settings_type = IngestSettings

    def run(self, store: Store, settings: IngestSettings, ctx: RunContext) -> IngestReport:
        chrome = ChromeFilter(settings.extra_chrome, gazetteer=settings.rules())
        report = IngestReport()
        if ctx.executor.fans_out:
            _ingest_fanned_out(store, settings, chrome, report, ctx)
            return report
        for item in discover(ctx.inputs, settings, _not_inputs(ctx)):
            if isinstance(item, Skipped):
                _skip(report, ctx.reporter, item)
                continue
            if isinstance(item, InputError):
                report.files_seen += 1
                _fail(store, report, ctx.reporter, item, None, ctx.run_id)
                continue
            _ingest_file(store, item, settings, chrome, report, ctx.reporter, ctx.run_id)
        return report


def _skip(report: IngestReport, reporter: Reporter, item: Skipped) -> None:
    """A path the walk found and must not read (the store's own files, the output folder): said, not read."""
    reporter.warn(f"{path_text(item.path)}: {item.reason}")
    report.files.append({"path": path_text(item.path), "status": "skipped", "reason": item.reason})


def _not_inputs(ctx: RunContext) -> dict[tuple[int, int], str]:
    """(device, inode) → why, of what a walk must never read: this run's output folder and the store's own files."""
    places: dict[Path, str] = {}
    if not is_url(ctx.config.store.location):  # a PostgreSQL store has no files here
        store = Path(ctx.config.store.location)
        places[store] = "the store itself: not read as input"
        places |= {
            store.with_name(store.name + suffix): "a file of the store: not read as input"
            for suffix in ("-wal", "-shm", "-journal", ".lock")
        }
    if ctx.out_dir is not None:
        places[ctx.out_dir] = "the output folder (output.dir): not read as input"
    found = {}
    for path, why in places.items():
        try:
            st = path.stat()
        except OSError:
            continue
        found[(st.st_dev, st.st_ino)] = why
    return found


def ingest_paths(
    store: Store,
    config: Config,
    paths: list[Path | str],
    reporter: Reporter = QUIET,
    run_id: int | None = None,
) -> IngestReport:
    """Ingest files and folders (txt dumps, HTML, JSONL, any of them .gz) into `store` (the Python API)."""
    stage = IngestStage()
    ctx = RunContext(config, reporter, run_id, [Path(p) for p in paths])
    return stage.run(store, stage.settings(config), ctx)


def _ingest_file(
    store: Store,
    path: Path,
    settings: IngestSettings,
    chrome: ChromeFilter,
    report: IngestReport,
    reporter: Reporter,
    run_id: int | None,
    read: _ReadFile | None = None,
) -> None:
    """Probe, read and store one file; `read`: what a worker already read of it (executor fanning out)."""
    report.files_seen += 1
    key = path_text(path.resolve())
    shown = path_text(path)
    try:
        info = probe(path, settings) if read is None else read.probe()
    except InputError as error:
        _fail(store, report, reporter, error, None, run_id)
        return
    if info.note:
        reporter.warn(f"{shown}: {info.note}")
    known = store.find_source(key, info.sha256)
    if known is not None and known.status in ("ingested", "partial"):
        report.files_skipped_unchanged += 1
        report.files.append({"path": key, "status": "unchanged"})
        for line in (known.error or "").splitlines() if known.status == "partial" else []:
            report.errors.append({"path": key, "line": None, "reason": f"(as when first read) {line}"})
        reporter.info(f"{shown}: unchanged since it was ingested, skipped")
        return
    if read is not None and read.unchanged:  # the worker skipped it, but the store does not have it: read it here
        read = None
    line_errors: list[InputError] = [] if read is None else read.line_errors()
    removed = RemovedCounter()
    removed.count = 0 if read is None else read.removed
    source = SourceFile(
        path=key, sha256=info.sha256, size=info.size, encoding=info.encoding, kind=info.kind + ("+gz" if info.compressed else "")
    )
    try:
        bar = (
            reporter.task(f"ingest {path_text(path.name)}", total=info.newlines + 1, unit="lines")
            if read is None
            else nullcontext(NO_TASK)
        )
        with store.writing_source(source, run_id) as writer, bar as task:
            positions = 0
            pieces = _read_pieces(info, settings, chrome, removed, task, line_errors) if read is None else read.replay()
            for piece in pieces:
                positions += _write_piece(writer, piece, positions)
            if positions == 0 and removed.count == 0 and not line_errors:
                raise InputError(shown, "empty file (no text, only whitespace)")
            if positions == 0:
                reporter.warn(f"{shown}: no article found, only page chrome ({removed.count} lines)")
            writer.finish(
                "partial" if line_errors else "ingested", "\n".join(str(e) for e in line_errors) or None, positions, removed.count
            )
    except InputError as error:
        _fail(store, report, reporter, error, info, run_id)
        return
    except (StorageError, KeyboardInterrupt):
        raise
    except Exception as exc:
        _fail(
            store,
            report,
            reporter,
            InputError(shown, f"internal error while reading it: {type(exc).__name__}: {exc}"),
            info,
            run_id,
        )
        return
    for line_error in line_errors:
        report.add_error(line_error)
        reporter.error(str(line_error))
    report.files_ingested += 1
    report.pieces_new += writer.pieces_new
    report.pieces_duplicate += writer.pieces_known
    report.paragraphs_new += writer.paragraphs_new
    report.removed_lines += removed.count
    report.files.append(
        {
            "path": key,
            "status": "partial" if line_errors else "ingested",
            "encoding": info.encoding,
            "kind": info.kind,
            "pieces_new": writer.pieces_new,
            "pieces_duplicate": writer.pieces_known,
            "removed_lines": removed.count,
        }
    )
    reporter.info(
        f"{shown}: {writer.pieces_new} new pieces, {writer.pieces_known} already known, {removed.count} chrome lines removed"
    )


def _fail(
    store: Store, report: IngestReport, reporter: Reporter, error: InputError, info: Probe | None, run_id: int | None
) -> None:
    """Record a failed source (status 'failed', the reason) and report it; nothing else of the file is kept."""
    report.files_failed += 1
    report.add_error(error)
    report.files.append({"path": error.path, "status": "failed", "reason": error.reason})
    reporter.error(str(error))
    path = path_text(info.path.resolve()) if info is not None else error.path
    store.record_failed_source(
        SourceFile(
            path=path,
            sha256=info.sha256 if info else "",
            size=info.size if info else 0,
            encoding=info.encoding if info else None,
            kind=info.kind if info else None,
            status="failed",
            error=str(error),
        ),
        run_id,
    )


# -- fanning out: workers read, the driver stores in input order ---------------------------------


def _ingest_fanned_out(
    store: Store, settings: IngestSettings, chrome: ChromeFilter, report: IngestReport, ctx: RunContext
) -> None:
    """Files read by the executor's workers (a task per file), stored here one transaction each, in input order.

    Reading — decoding, cutting pages into pieces, removing chrome — is the
    work; storing a file's pieces is quick. Storing in the order of the
    inputs gives every source the id, and every piece the position, a local
    run gives them, so pieces.jsonl comes out in the same order. The workers
    need the inputs at the same paths (a shared filesystem); files the store
    already holds unchanged are only hashed, not read.
    """
    items = list(discover(ctx.inputs, settings, _not_inputs(ctx)))
    known = frozenset((s.path, s.sha256) for s in store.sources() if s.status in ("ingested", "partial"))
    reader = partial(_read_file, settings=settings, known=known, cwd=os.getcwd())
    reads = ctx.executor.map(reader, [item for item in items if isinstance(item, Path)])
    with ctx.reporter.task("ingest", total=len(items), unit="files") as bar:
        for item in items:
            if isinstance(item, Skipped):
                _skip(report, ctx.reporter, item)
            elif isinstance(item, InputError):
                report.files_seen += 1
                _fail(store, report, ctx.reporter, item, None, ctx.run_id)
            else:
                _ingest_file(store, item, settings, chrome, report, ctx.reporter, ctx.run_id, next(reads))
            bar.advance(1)


@dataclass
class _ReadFile:
    """What a worker read of one file: its probe, its pieces, or why it could not (picklable, no open handles)."""

    info: Probe | None
    error: tuple[str, str, int | None] | None = None  # (path, reason, line) of the InputError that stopped the read
    unchanged: bool = False  # the store held these bytes already: not read
    pieces: list[_PieceRow] = field(default_factory=list)
    line_error_fields: list[tuple[str, str, int | None]] = field(default_factory=list)
    removed: int = 0

    def probe(self) -> Probe:
        if self.info is None:
            assert self.error is not None  # a worker returns a probe or the error that prevented it
            raise InputError(*self.error)
        return self.info

    def line_errors(self) -> list[InputError]:
        return [InputError(*fields) for fields in self.line_error_fields]

    def replay(self) -> Iterator[_PieceRow]:
        """The pieces in the order they were read, then the error that stopped the reading (as reading here would)."""
        yield from self.pieces
        if self.error is not None:
            raise InputError(*self.error)


def _read_file(path: Path, settings: IngestSettings, known: frozenset[tuple[str, str]], cwd: str) -> _ReadFile:
    """A worker's task: probe `path` and, unless the store holds it unchanged, cut it into pieces."""
    if not path.is_absolute():
        os.chdir(cwd)  # relative inputs are relative to the driver's folder (one task at a time per worker process)
    try:
        info = probe(path, settings)
    except InputError as error:
        return _ReadFile(None, (error.path, error.reason, error.line))
    if (path_text(path.resolve()), info.sha256) in known:
        return _ReadFile(info, unchanged=True)
    chrome = ChromeFilter(settings.extra_chrome, gazetteer=settings.rules())
    removed, line_errors, read = RemovedCounter(), list[InputError](), _ReadFile(info)
    try:
        for piece in _read_pieces(info, settings, chrome, removed, NO_TASK, line_errors):
            read.pieces.append(piece)
    except InputError as error:
        read.error = (error.path, error.reason, error.line)
    except Exception as exc:  # reported as a local read's failure is; the other files go on
        read.error = (str(path), f"internal error while reading it: {type(exc).__name__}: {exc}", None)
    read.line_error_fields = [(e.path, e.reason, e.line) for e in line_errors]
    read.removed = removed.count
    return read


# -- writing pieces ---------------------------------------------------------------------------


@dataclass
class _PieceRow:
    paragraphs: list[str]
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    lang_hint: str | None = None
    translation: str | list[str] | None = None
    model: str | None = None
    input_id: str | None = None
    kind: str = "article"
    notes: list[str] = field(default_factory=list)


def _pieces_of(
    document: RawDocument, settings: IngestSettings, chrome: ChromeFilter, removed: RemovedCounter, task: Task
) -> Iterator[_PieceRow]:
    if not document.segment:  # a JSONL line: one piece, its own fields
        paragraphs, dropped = split_paragraphs(document.text, chrome)
        removed.count += dropped
        task.advance(1)
        yield _PieceRow(
            paragraphs,
            document.title,
            document.date,
            document.author,
            settings.rules().canonical(document.outlet) or document.outlet,
            document.lang,
            document.translation,
            document.model,
            document.input_id,
        )
        return
    pieces: Iterable[CutPiece]
    if document.kind == "html":  # the page's structure: one piece per article container
        pieces = cut_html(document.text, settings.cut_options(), chrome, removed)
        task.advance(document.text.count("\n") + 1)
    else:
        pieces = iter_pieces(_counting(document.lines(), task), settings.cut_options(), removed, chrome)
    for piece in pieces:
        notes = [*piece.notes, *(f"{field}: {where}" for field, where in piece.evidence.items())]
        yield _PieceRow(piece.paragraphs, piece.title, piece.date, piece.author, piece.outlet, kind=piece.kind, notes=notes)


def _read_pieces(
    info: Probe,
    settings: IngestSettings,
    chrome: ChromeFilter,
    removed: RemovedCounter,
    task: Task,
    line_errors: list[InputError],
) -> Iterator[_PieceRow]:
    """The file's pieces as they are read (line errors appended to `line_errors`, removed lines counted)."""
    for document in iter_source(info, settings, line_errors):
        yield from _pieces_of(document, settings, chrome, removed, task)


def _counting(lines: Iterator[str], task: Task, every: int = 2000) -> Iterator[str]:
    pending = 0
    for line in lines:
        yield line
        pending += 1
        if pending == every:
            task.advance(pending)
            pending = 0
    task.advance(pending)


def _write_piece(writer: SourceWriter, piece: _PieceRow, position: int) -> int:
    """Hand one piece to the store; returns 1 when it has text (it takes a position), else 0."""
    paragraphs = [p for p in piece.paragraphs if p.strip()]
    if not paragraphs:
        return 0
    external = None
    if piece.translation is not None:
        external = external_translation(paragraphs, piece.translation, piece.model or "external", piece.input_id)
    writer.add_piece(
        IngestedPiece(
            id=content_id("\n\n".join(paragraphs)),
            position=position,
            paragraphs=paragraphs,
            title=piece.title,
            date=piece.date,
            author=piece.author,
            outlet=piece.outlet,
            lang_hint=piece.lang_hint,
            input_id=piece.input_id,
            external=external,
            kind=piece.kind,
            notes=piece.notes,
        )
    )
    return 1


def external_translation(
    paragraphs: list[str], translation: str | list[str], system: str, input_id: str | None = None
) -> ExternalTranslation:
    """A translation that came with a piece, paired with its paragraphs when the counts agree.

    The translation is cut into paragraphs as the piece's text is (a list is
    taken as its paragraphs already). When there are as many as the piece
    has, paragraph i translates paragraph i (unit 'paragraph'); otherwise
    nothing says which part translates which, and it is kept whole, one
    translation of the whole piece (unit 'piece'). Each part is stored
    readable (pipeline/text/readable.py) and raw, as the system wrote it.
    """
    if isinstance(translation, list):
        parts = [part for part in translation if part.strip()]
    else:
        parts = [part for part in split_paragraphs(translation)[0] if part.strip()]
    if len(parts) == len(paragraphs):
        return ExternalTranslation(
            system=system, unit="paragraph", parts=[readable(p) for p in parts], raw_parts=parts, input_id=input_id
        )
    whole = "\n\n".join(parts) if isinstance(translation, list) else translation
    return ExternalTranslation(system=system, unit="piece", parts=[readable(whole)], raw_parts=[whole], input_id=input_id)
