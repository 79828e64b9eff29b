"""The store: one SQLite file that every stage reads and writes.

Why SQLite: a single file an analyst can copy, inspect with any SQLite tool,
and that survives crashes (WAL journal, every stage writes in transactions).
The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` is
append-only, so an old store is upgraded in place when opened.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.errors import StorageError, StoreBusy
from pipeline.records import Match, Paragraph, Piece, Segment, SentencePair

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        summary TEXT
    );
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        encoding TEXT,
        kind TEXT,
        status TEXT NOT NULL,
        error TEXT,
        ingested_at TEXT NOT NULL,
        pieces INTEGER,          -- pieces found in this source (new + already known)
        removed_lines INTEGER,   -- chrome lines dropped while segmenting it
        run_id INTEGER,
        UNIQUE (path, sha256)
    );
    CREATE TABLE pieces (
        id TEXT PRIMARY KEY,
        title TEXT,
        date TEXT,
        author TEXT,
        outlet TEXT,
        lang TEXT,
        lang_score REAL,
        title_lang TEXT,  -- detect: the title's own language (translate only routed titles)
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'ingested',
        reason TEXT,
        external_translation TEXT,
        external_model TEXT,
        lang_hint TEXT,          -- language given by the input (JSONL 'lang'), for detect to use
        created_at TEXT NOT NULL
    );
    CREATE TABLE piece_sources (
        piece_id TEXT NOT NULL REFERENCES pieces(id),
        source_id INTEGER NOT NULL REFERENCES sources(id),
        position INTEGER NOT NULL,
        PRIMARY KEY (piece_id, source_id)
    );
    CREATE TABLE paragraphs (
        piece_id TEXT NOT NULL REFERENCES pieces(id),
        idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        lang TEXT,
        lang_score REAL,
        route TEXT,
        reason TEXT,
        PRIMARY KEY (piece_id, idx)
    );
    CREATE TABLE segments (
        piece_id TEXT NOT NULL,
        paragraph_idx INTEGER NOT NULL,
        sentence_idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        translation_key TEXT REFERENCES translations(key),
        reason TEXT,
        PRIMARY KEY (piece_id, paragraph_idx, sentence_idx)
    );  -- paragraph_idx -1 holds the title's sentences
    CREATE TABLE translations (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        revision TEXT NOT NULL,
        backend TEXT NOT NULL,
        settings TEXT NOT NULL,
        source_text TEXT NOT NULL,
        target_text TEXT NOT NULL,
        logprob REAL,
        diagnostics TEXT,
        created_at TEXT NOT NULL,
        run_id INTEGER
    );
    CREATE TABLE matches (
        source_id TEXT NOT NULL REFERENCES pieces(id),
        target_id TEXT NOT NULL REFERENCES pieces(id),
        score REAL NOT NULL,
        evidence TEXT NOT NULL,
        sentence_pairs TEXT NOT NULL,
        run_id INTEGER,
        PRIMARY KEY (source_id, target_id)
    );
    CREATE TABLE alignments (
        piece_id TEXT PRIMARY KEY REFERENCES pieces(id),
        status TEXT NOT NULL,
        reason TEXT,
        run_id INTEGER
    );
    CREATE TABLE refs (
        piece_id TEXT NOT NULL REFERENCES pieces(id),
        idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (piece_id, idx)
    );
    CREATE INDEX piece_sources_source ON piece_sources(source_id);
    CREATE INDEX segments_untranslated ON segments(translation_key) WHERE translation_key IS NULL;
    """,
    # 2: what kind of piece ingest cut ('article' | 'teaser'), and why a field could not be read
    """
    ALTER TABLE pieces ADD COLUMN kind TEXT NOT NULL DEFAULT 'article';
    ALTER TABLE pieces ADD COLUMN ingest_notes TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A connection to the pipeline's SQLite file, with its schema up to date."""

    def __init__(self, path: str | Path, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a
            # transaction is exactly the block in `transaction()`.
            self.conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"{self.path}: cannot open the store: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self._lock_file: Any = None
        try:
            # Switching a brand-new file to WAL needs an exclusive lock and
            # SQLite does not wait for it: two runs creating the same store
            # at once would otherwise fail with "database is locked".
            _retry_while_locked(lambda: self.conn.execute("PRAGMA journal_mode=WAL"), busy_timeout_s)
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # I/O, space, permissions: the file itself may be fine
                raise StorageError(f"{self.path}: cannot open the store: {exc}{_hint(str(exc))}") from exc
            raise StorageError(f"{self.path}: not a usable pipeline store: {exc}") from exc

    # -- schema ---------------------------------------------------------
    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: schema version {version} is newer than this pipeline ({SCHEMA_VERSION}); upgrade the pipeline"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                # Read again under the write lock: another process creating
                # the same store may have applied this step meanwhile.
                if self.conn.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue
                for statement in _split_sql(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={number + 1}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- transactions and locking ----------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any exception.

        IMMEDIATE takes the write lock up front, so two writers queue on the
        busy timeout instead of failing half-way through.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _storage_error(self.path, exc) from exc
        try:
            yield self.conn
        except sqlite3.OperationalError as exc:
            self._rollback()
            if _is_storage_problem(exc):  # disk full, I/O error, read-only file: tell the user, not a traceback
                raise _storage_error(self.path, exc) from exc
            raise
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise _storage_error(self.path, exc) from exc

    def _rollback(self) -> None:
        """Roll back what is still open, keeping the error that brought us here.

        SQLite itself rolls back on some errors (a full disk, an I/O error):
        a second ROLLBACK would then fail with "no transaction is active" and
        hide the real cause from the user.
        """
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the original exception says more than this one

    @contextmanager
    def read_snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the store as of one moment.

        Readers (status, export) use it while a run may be committing: without
        it, two queries of one export could straddle a commit (a piece counted
        in summary.json but missing from pieces.jsonl). WAL lets it run beside
        a writer without taking any lock. Inside a transaction it adds nothing.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN DEFERRED")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def acquire_run_lock(self, wait: bool = False) -> None:
        """Hold an exclusive lock for a writing run (one writer run at a time).

        Readers (status, export) never take it. The lock is a `flock` on a
        side file, released by the OS when the process dies, so a killed run
        never leaves a stale lock behind.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_file = open(lock_path, "a+")
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(self._lock_file, flags)
        except BlockingIOError as exc:
            holder = lock_path.read_text().strip() or "another process"
            self._lock_file.close()
            self._lock_file = None
            raise StoreBusy(
                f"{self.path}: another pipeline run ({holder}) is writing to this store; "
                "wait for it to finish, or pass --wait to queue behind it"
            ) from exc
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"pid {os.getpid()}")
        self._lock_file.flush()
        # With the lock held no other run is alive: a run still marked
        # 'running' was killed (or lost power) before it could finish.
        if self.conn.execute("SELECT 1 FROM runs WHERE status = 'running' LIMIT 1").fetchone():
            with self.transaction() as tx:
                tx.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs -------------------------------------------------------------
    def start_run(self, command: str) -> int:
        with self.transaction() as tx:
            cur = tx.execute("INSERT INTO runs(command, started_at) VALUES (?, ?)", (command, now_iso()))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE runs SET finished_at=?, status=?, summary=? WHERE id=?",
                (now_iso(), status, json.dumps(summary, ensure_ascii=False), run_id),
            )

    # -- pieces -------------------------------------------------------------
    def load_pieces(self, ids: Iterable[str] | None = None, lang: str | None = None) -> list[Piece]:
        """Pieces with their paragraphs and current translations, in source order."""
        sql = (
            "SELECT p.*, (SELECT s.path FROM piece_sources ps JOIN sources s ON s.id = ps.source_id "
            "WHERE ps.piece_id = p.id ORDER BY s.id LIMIT 1) AS source_path, "
            "(SELECT MIN(ps.source_id * 1000000 + ps.position) FROM piece_sources ps WHERE ps.piece_id = p.id) AS ord "
            "FROM pieces p"
        )
        clauses, params = [], []
        if ids is not None:
            id_list = list(ids)
            clauses.append(f"p.id IN ({','.join('?' * len(id_list))})")
            params.extend(id_list)
        if lang is not None:
            clauses.append("p.lang = ?")
            params.append(lang)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY ord, p.id"
        rows = self.conn.execute(sql, params).fetchall()
        piece_ids = [r["id"] for r in rows]
        translations = self._paragraph_translations(piece_ids)
        paragraphs = self._paragraphs_by_piece(piece_ids, translations)
        return [
            self._piece_from_row(row, paragraphs.get(row["id"], []), translations.get((row["id"], -1)))
            for row in rows
        ]

    def _paragraphs_by_piece(
        self, piece_ids: list[str], translations: dict[tuple[str, int], str]
    ) -> dict[str, list[Paragraph]]:
        result: dict[str, list[Paragraph]] = {}
        for chunk in _chunks(piece_ids, 500):
            rows = self.conn.execute(
                f"SELECT * FROM paragraphs WHERE piece_id IN ({','.join('?' * len(chunk))}) ORDER BY piece_id, idx",
                chunk,
            ).fetchall()
            for r in rows:
                result.setdefault(r["piece_id"], []).append(
                    Paragraph(
                        index=r["idx"],
                        text=r["text"],
                        lang=r["lang"],
                        lang_score=r["lang_score"],
                        route=r["route"],
                        reason=r["reason"],
                        translation=translations.get((r["piece_id"], r["idx"])),
                    )
                )
        return result

    def _paragraph_translations(self, piece_ids: list[str]) -> dict[tuple[str, int], str]:
        """Join each paragraph's translated sentences; only fully translated paragraphs count.

        Keys are (piece_id, paragraph_idx); paragraph -1 is the title.
        """
        out: dict[tuple[str, int], list[str | None]] = {}
        for chunk in _chunks(piece_ids, 500):
            rows = self.conn.execute(
                # a segment skipped with a reason (nothing to translate) counts as done, empty
                "SELECT s.piece_id, s.paragraph_idx, "
                "COALESCE(t.target_text, CASE WHEN s.reason IS NOT NULL THEN '' END) FROM segments s "
                "LEFT JOIN translations t ON t.key = s.translation_key "
                f"WHERE s.piece_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY s.piece_id, s.paragraph_idx, s.sentence_idx",
                chunk,
            ).fetchall()
            for r in rows:
                out.setdefault((r[0], r[1]), []).append(r[2])
        return {k: " ".join(t for t in v if t) for k, v in out.items() if all(t is not None for t in v)}

    def _piece_from_row(self, row: sqlite3.Row, paragraphs: list[Paragraph], title_translation: str | None) -> Piece:
        translation = row["external_translation"]
        model = row["external_model"]
        routed = [p for p in paragraphs if p.route == "translate"]
        if translation is None and routed and all(p.translation is not None for p in routed):
            translation = "\n\n".join(p.translation if p.route == "translate" else p.text for p in paragraphs)
            model = self._model_of_piece(row["id"])
        return Piece(
            id=row["id"],
            title_translation=title_translation,
            source=row["source_path"] or "",
            title=row["title"],
            date=row["date"],
            author=row["author"],
            outlet=row["outlet"],
            lang=row["lang"],
            text=row["text"],
            paragraphs=paragraphs,
            translation=translation,
            model=model,
            status=row["status"],
            kind=row["kind"],
        )

    def _model_of_piece(self, piece_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT t.model, t.revision FROM segments s JOIN translations t ON t.key = s.translation_key "
            "WHERE s.piece_id = ? LIMIT 1",
            (piece_id,),
        ).fetchone()
        return f"{row[0]}@{row[1]}" if row else None

    def load_segments(self, piece_id: str, include_title: bool = False) -> list[Segment]:
        """The piece's Arabic sentences in reading order, with translations where done.

        Sentence index i in a match's `sentence_pairs.source` is the i-th body
        segment returned here (titles, paragraph -1, excluded).
        """
        rows = self.conn.execute(
            "SELECT s.*, t.target_text FROM segments s LEFT JOIN translations t ON t.key = s.translation_key "
            "WHERE s.piece_id = ? AND (? OR s.paragraph_idx >= 0) ORDER BY s.paragraph_idx, s.sentence_idx",
            (piece_id, include_title),
        ).fetchall()
        return [
            Segment(
                piece_id=r["piece_id"],
                paragraph_index=r["paragraph_idx"],
                sentence_index=r["sentence_idx"],
                text=r["text"],
                translation=r["target_text"],
            )
            for r in rows
        ]

    # -- matches ------------------------------------------------------------
    def load_matches(self) -> list[Match]:
        rows = self.conn.execute("SELECT * FROM matches ORDER BY source_id, score DESC").fetchall()
        return [
            Match(
                source_id=r["source_id"],
                target_id=r["target_id"],
                score=r["score"],
                evidence=json.loads(r["evidence"]),
                sentence_pairs=[SentencePair(**p) for p in json.loads(r["sentence_pairs"])],
            )
            for r in rows
        ]

    # -- overview -------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        """What the store holds and what is pending: used by `status` and summaries."""
        q = lambda sql: self.conn.execute(sql).fetchall()  # noqa: E731
        return {
            "schema_version": self.schema_version,
            "sources": dict(q("SELECT status, COUNT(*) FROM sources GROUP BY status")),
            "pieces": sum(v for _, v in q("SELECT lang, COUNT(*) FROM pieces GROUP BY lang")),
            "pieces_by_lang": {k or "unknown": v for k, v in q("SELECT lang, COUNT(*) FROM pieces GROUP BY lang")},
            "pieces_by_status": dict(q("SELECT status, COUNT(*) FROM pieces GROUP BY status")),
            "paragraphs_by_route": {k or "undetected": v for k, v in q("SELECT route, COUNT(*) FROM paragraphs GROUP BY route")},
            "segments": q("SELECT COUNT(*) FROM segments")[0][0],
            "segments_pending": q("SELECT COUNT(*) FROM segments WHERE translation_key IS NULL AND reason IS NULL")[0][0],
            "segments_translated": q("SELECT COUNT(*) FROM segments WHERE translation_key IS NOT NULL")[0][0],
            "segments_skipped": q("SELECT COUNT(*) FROM segments WHERE translation_key IS NULL AND reason IS NOT NULL")[0][0],
            "translations_cached": q("SELECT COUNT(*) FROM translations")[0][0],
            "matches": q("SELECT COUNT(*) FROM matches")[0][0],
            "abstentions": q("SELECT COUNT(*) FROM alignments WHERE status = 'no_coverage'")[0][0],
            "runs": q("SELECT COUNT(*) FROM runs")[0][0],
        }


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script; `--` comments are dropped first so a
    `;` inside a comment cannot cut a statement in two."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _retry_while_locked(action: Callable[[], Any], timeout_s: float) -> Any:
    """Run `action`, retrying for up to `timeout_s` while SQLite says the database is locked."""
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_storage_problem(exc: sqlite3.Error) -> bool:
    """An error of the disk or the file (not of our SQL): the user can act on it."""
    text = str(exc)
    return any(word in text for word in ("disk", "full", "readonly", "read-only", "unable to open", "locked", "busy"))


def _hint(text: str) -> str:
    """What an SQLite I/O error usually means, for the message the user sees."""
    if "full" in text or "disk I/O" in text:
        return " (is the disk full? free some space and run again: nothing stored is lost)"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return " (the store's file or its folder is not writable: SQLite needs to write the store and its -wal and -shm files beside it)"
    return ""


def _storage_error(path: Path, exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(f"{path}: the store is locked by another writer and stayed locked: {text}")
    if "full" in text or "disk" in text:
        return StorageError(f"{path}: the disk is full; nothing of this step was stored: {text}")
    return StorageError(f"{path}: {text}; nothing of this step was stored{_hint(text)}")
