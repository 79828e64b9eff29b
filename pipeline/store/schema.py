"""The store's schema: append-only migrations, the same for every backend.

A migration is a list of SQL statements written once in the SQL that SQLite
and PostgreSQL share; the only thing that differs, an auto-numbered integer
key, is the ``{serial}`` placeholder each backend fills in. A store records
how many migrations it has applied, and opening an older store applies the
rest, so an analyst's store is upgraded in place and never rebuilt.

Column types are spelled so that both engines store the same values:
``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` has 4 bytes, SQLite's 8) and
``BIGINT`` for ids, run ids and file sizes (PostgreSQL's ``INTEGER`` stops
at 2**31). To SQLite these names mean exactly what ``REAL`` and
``INTEGER`` meant when migration 1 was first written that way, so stores
made before are the same as stores made now.

:data:`TABLES` lists every table and its columns after the last migration:
the store checks an opened file against it, so a damaged or foreign file is
refused before anything is written to it.
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: the initial schema
    [
        """CREATE TABLE runs (
            id {serial},
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            summary TEXT
        )""",
        """CREATE TABLE sources (
            id {serial},
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            encoding TEXT,
            kind TEXT,
            status TEXT NOT NULL,
            error TEXT,
            ingested_at TEXT NOT NULL,
            pieces INTEGER,
            removed_lines INTEGER,
            run_id BIGINT,
            UNIQUE (path, sha256)
        )""",
        """CREATE TABLE pieces (
            id TEXT PRIMARY KEY,
            title TEXT,
            date TEXT,
            author TEXT,
            outlet TEXT,
            lang TEXT,
            lang_score DOUBLE PRECISION,
            title_lang TEXT,
            text TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'ingested',
            reason TEXT,
            external_translation TEXT,
            external_model TEXT,
            lang_hint TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE piece_sources (
            piece_id TEXT NOT NULL REFERENCES pieces(id),
            source_id BIGINT NOT NULL REFERENCES sources(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (piece_id, source_id)
        )""",
        """CREATE TABLE paragraphs (
            piece_id TEXT NOT NULL REFERENCES pieces(id),
            idx INTEGER NOT NULL,
            text TEXT NOT NULL,
            lang TEXT,
            lang_score DOUBLE PRECISION,
            route TEXT,
            reason TEXT,
            PRIMARY KEY (piece_id, idx)
        )""",
        """CREATE TABLE translations (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            revision TEXT NOT NULL,
            backend TEXT NOT NULL,
            settings TEXT NOT NULL,
            source_text TEXT NOT NULL,
            target_text TEXT NOT NULL,
            logprob DOUBLE PRECISION,
            diagnostics TEXT,
            created_at TEXT NOT NULL,
            run_id BIGINT
        )""",
        # paragraph_idx -1 holds the title's sentences
        """CREATE TABLE segments (
            piece_id TEXT NOT NULL,
            paragraph_idx INTEGER NOT NULL,
            sentence_idx INTEGER NOT NULL,
            text TEXT NOT NULL,
            translation_key TEXT REFERENCES translations(key),
            reason TEXT,
            PRIMARY KEY (piece_id, paragraph_idx, sentence_idx)
        )""",
        """CREATE TABLE matches (
            source_id TEXT NOT NULL REFERENCES pieces(id),
            target_id TEXT NOT NULL REFERENCES pieces(id),
            score DOUBLE PRECISION NOT NULL,
            evidence TEXT NOT NULL,
            sentence_pairs TEXT NOT NULL,
            run_id BIGINT,
            PRIMARY KEY (source_id, target_id)
        )""",
        """CREATE TABLE alignments (
            piece_id TEXT PRIMARY KEY REFERENCES pieces(id),
            status TEXT NOT NULL,
            reason TEXT,
            run_id BIGINT
        )""",
        """CREATE TABLE refs (
            piece_id TEXT NOT NULL REFERENCES pieces(id),
            idx INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (piece_id, idx)
        )""",
        "CREATE INDEX piece_sources_source ON piece_sources(source_id)",
        "CREATE INDEX segments_untranslated ON segments(translation_key) WHERE translation_key IS NULL",
    ],
    # 2: the thresholds a translation's diagnostics were computed with, as a column (rows without it
    # are simply diagnosed again, which gives the same result); what kind of piece ingest cut
    # ('article' | 'teaser'), and why a field of it could not be read
    [
        "ALTER TABLE translations ADD COLUMN diagnostics_fingerprint TEXT",
        "ALTER TABLE pieces ADD COLUMN kind TEXT NOT NULL DEFAULT 'article'",
        "ALTER TABLE pieces ADD COLUMN ingest_notes TEXT",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)

TABLES: dict[str, set[str]] = {
    "runs": {"id", "command", "started_at", "finished_at", "status", "summary"},
    "sources": {"id", "path", "sha256", "size", "encoding", "kind", "status", "error", "ingested_at", "pieces",
                "removed_lines", "run_id"},
    "pieces": {"id", "title", "date", "author", "outlet", "lang", "lang_score", "title_lang", "text", "status", "reason",
               "external_translation", "external_model", "lang_hint", "created_at", "kind", "ingest_notes"},
    "piece_sources": {"piece_id", "source_id", "position"},
    "paragraphs": {"piece_id", "idx", "text", "lang", "lang_score", "route", "reason"},
    "translations": {"key", "model", "revision", "backend", "settings", "source_text", "target_text", "logprob",
                     "diagnostics", "created_at", "run_id", "diagnostics_fingerprint"},
    "segments": {"piece_id", "paragraph_idx", "sentence_idx", "text", "translation_key", "reason"},
    "matches": {"source_id", "target_id", "score", "evidence", "sentence_pairs", "run_id"},
    "alignments": {"piece_id", "status", "reason", "run_id"},
    "refs": {"piece_id", "idx", "text"},
}


def statements(version: int, serial: str) -> list[str]:
    """The statements of migration number `version` (1-based) with the backend's auto-numbered key."""
    return [sql.replace("{serial}", serial) for sql in MIGRATIONS[version - 1]]
