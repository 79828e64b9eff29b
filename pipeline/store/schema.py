"""The store's schema: append-only migrations, the same for every backend.

A migration is a list of SQL statements written once in the SQL that SQLite
and PostgreSQL share; the only thing that differs, an auto-numbered integer
key, is the ``{serial}`` placeholder each backend fills in. A store records
how many migrations it has applied, and opening an older store applies the
rest, so an analyst's store is upgraded in place and never rebuilt. A
migration that must rewrite rows, not only reshape tables, has a Python
data step (:data:`DATA_MIGRATIONS`) that every backend runs right after its
statements, in the same transaction.

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

import json
import re
from collections.abc import Callable

from pipeline.store.database import Database
from pipeline.text.readable import readable

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
    # 3: translations as people read them, the output as it came beside them (translations.raw_text; see
    # pipeline/text/readable.py); the id an input gave each piece; translations that came with the input kept
    # per (piece, system), so one store holds several systems' translations of the same piece; and the model
    # behind the pipeline's own translations, with where its weights came from. The rows already there are
    # brought over by `_readable_and_external` below (pieces.external_translation/external_model are no longer
    # written: they are emptied, their content moved to external_translations).
    [
        "ALTER TABLE translations ADD COLUMN raw_text TEXT",
        "ALTER TABLE piece_sources ADD COLUMN input_id TEXT",
        # unit 'paragraph': parts[i] translates paragraph i; unit 'piece': one part, the whole piece.
        # parts and raw_parts are JSON lists of strings; source_id and position say which arrived first.
        """CREATE TABLE external_translations (
            piece_id TEXT NOT NULL REFERENCES pieces(id),
            system TEXT NOT NULL,
            unit TEXT NOT NULL,
            parts TEXT NOT NULL,
            raw_parts TEXT NOT NULL,
            input_id TEXT,
            source_id BIGINT,
            position INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            PRIMARY KEY (piece_id, system)
        )""",
        # ResolvedModel.provenance() of every model that translated into this store; weights_sha256 is JSON
        """CREATE TABLE models (
            model TEXT NOT NULL,
            revision TEXT NOT NULL,
            ref TEXT,
            weights TEXT,
            weights_sha256 TEXT NOT NULL,
            converted_from TEXT,
            origin TEXT,
            created_at TEXT NOT NULL,
            run_id BIGINT,
            PRIMARY KEY (model, revision)
        )""",
    ],
    # 4: an abstention's nearest miss as data: the best candidate, its score and the threshold it fell short of
    # (the report and the exports read these, not the reason's text). The rows already there get them from their
    # reason, by `_nearest_from_reasons` below.
    [
        "ALTER TABLE alignments ADD COLUMN candidate_id TEXT",
        "ALTER TABLE alignments ADD COLUMN candidate_score DOUBLE PRECISION",
        "ALTER TABLE alignments ADD COLUMN threshold DOUBLE PRECISION",
    ],
    # 5: reviewers' judgements coming back from the annotation tools (`pipeline annotations import`), every version
    # kept (a later judgement of the same item by the same reviewer supersedes the earlier one, which stays); the
    # store's identity that exported tasks carry (made by its first writing run, not here, so a new store is empty);
    # operating points fitted on the judged pairs (`align.calibration: annotations`). Matches a reviewer added are
    # ordinary matches rows whose evidence says `reviewed`.
    [
        # fingerprint: Judgement.fingerprint(), so importing the same export twice stores nothing twice;
        # errors: JSON list of {start, end, label, text} spans of `translation`
        """CREATE TABLE annotations (
            id {serial},
            fingerprint TEXT NOT NULL UNIQUE,
            tool TEXT NOT NULL,
            annotator TEXT NOT NULL,
            annotated_at TEXT,
            kind TEXT NOT NULL,
            source_id TEXT NOT NULL REFERENCES pieces(id),
            target_id TEXT REFERENCES pieces(id),
            system TEXT,
            verdict TEXT,
            choice TEXT,
            adequacy INTEGER,
            fluency INTEGER,
            errors TEXT NOT NULL,
            correction TEXT,
            comment TEXT,
            translation TEXT,
            external_id TEXT,
            import_file TEXT,
            imported_at TEXT NOT NULL,
            run_id BIGINT
        )""",
        "CREATE INDEX annotations_item ON annotations(source_id, target_id)",
        """CREATE TABLE store_info (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        # weights and figures are JSON
        """CREATE TABLE calibrations (
            id {serial},
            method TEXT NOT NULL,
            threshold DOUBLE PRECISION NOT NULL,
            short_threshold DOUBLE PRECISION NOT NULL,
            max_false_match_rate DOUBLE PRECISION NOT NULL,
            weights TEXT,
            figures TEXT NOT NULL,
            created_at TEXT NOT NULL,
            run_id BIGINT
        )""",
    ],
    # 6: every system's translation is diagnosed, not only ours: the diagnostics of a translation that came with the
    # input, one per part (a JSON list), with the thresholds' fingerprint (NULL: not diagnosed yet, which the next
    # diagnose does); and a match's chrF similarity (translation against the English piece), computed once when the
    # match is made instead of at every export (NULL in matches made before: the export computes those)
    [
        "ALTER TABLE external_translations ADD COLUMN diagnostics TEXT",
        "ALTER TABLE external_translations ADD COLUMN diagnostics_fingerprint TEXT",
        "ALTER TABLE matches ADD COLUMN similarity DOUBLE PRECISION",
    ],
    # 7: how an English piece relates to a translated one (records.Relation): 'same_event' (a match, a comparison
    # pair; every row before this step is one) or 'related' (the same story thread, another event: shown apart)
    [
        "ALTER TABLE matches ADD COLUMN relation TEXT NOT NULL DEFAULT 'same_event'",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)

TABLES: dict[str, set[str]] = {
    "runs": {"id", "command", "started_at", "finished_at", "status", "summary"},
    "sources": {
        "id",
        "path",
        "sha256",
        "size",
        "encoding",
        "kind",
        "status",
        "error",
        "ingested_at",
        "pieces",
        "removed_lines",
        "run_id",
    },
    "pieces": {
        "id",
        "title",
        "date",
        "author",
        "outlet",
        "lang",
        "lang_score",
        "title_lang",
        "text",
        "status",
        "reason",
        "external_translation",
        "external_model",
        "lang_hint",
        "created_at",
        "kind",
        "ingest_notes",
    },
    "piece_sources": {"piece_id", "source_id", "position", "input_id"},
    "paragraphs": {"piece_id", "idx", "text", "lang", "lang_score", "route", "reason"},
    "translations": {
        "key",
        "model",
        "revision",
        "backend",
        "settings",
        "source_text",
        "target_text",
        "logprob",
        "diagnostics",
        "created_at",
        "run_id",
        "diagnostics_fingerprint",
        "raw_text",
    },
    "segments": {"piece_id", "paragraph_idx", "sentence_idx", "text", "translation_key", "reason"},
    "matches": {"source_id", "target_id", "score", "evidence", "sentence_pairs", "run_id", "similarity", "relation"},
    "alignments": {"piece_id", "status", "reason", "run_id", "candidate_id", "candidate_score", "threshold"},
    "refs": {"piece_id", "idx", "text"},
    "external_translations": {
        "piece_id",
        "system",
        "unit",
        "parts",
        "raw_parts",
        "input_id",
        "source_id",
        "position",
        "created_at",
        "diagnostics",
        "diagnostics_fingerprint",
    },
    "models": {"model", "revision", "ref", "weights", "weights_sha256", "converted_from", "origin", "created_at", "run_id"},
    "annotations": {
        "id",
        "fingerprint",
        "tool",
        "annotator",
        "annotated_at",
        "kind",
        "source_id",
        "target_id",
        "system",
        "verdict",
        "choice",
        "adequacy",
        "fluency",
        "errors",
        "correction",
        "comment",
        "translation",
        "external_id",
        "import_file",
        "imported_at",
        "run_id",
    },
    "store_info": {"key", "value"},
    "calibrations": {
        "id",
        "method",
        "threshold",
        "short_threshold",
        "max_false_match_rate",
        "weights",
        "figures",
        "created_at",
        "run_id",
    },
}


def tables_at(version: int) -> set[str]:
    """The tables a store of schema `version` has: those its migrations created (an older store lacks the newer ones)."""
    created = (re.match(r"\s*CREATE TABLE (\w+)", sql) for migration in MIGRATIONS[:version] for sql in migration)
    return {found.group(1) for found in created if found}


def statements(version: int, serial: str) -> list[str]:
    """The statements of migration number `version` (1-based) with the backend's auto-numbered key."""
    return [sql.replace("{serial}", serial) for sql in MIGRATIONS[version - 1]]


# -- rows a migration must rewrite, not only reshape ---------------------------------------------


def _readable_and_external(db: Database) -> None:
    """Migration 3's rows: the readable form of every stored translation, and the older external translations.

    A model output stored before was the raw output: it is kept as raw_text,
    and target_text becomes its readable form. A translation that came with
    the input was one column of its piece: it becomes that piece's row in
    external_translations, as one translation of the whole piece (unit
    'piece': how its paragraphs paired with the Arabic was not recorded),
    arrived with the first source of the piece.
    """
    db.execute("UPDATE translations SET raw_text = target_text WHERE raw_text IS NULL")
    rows = db.query("SELECT key, target_text FROM translations WHERE target_text LIKE ?", ("%&%",))
    db.executemany(
        "UPDATE translations SET target_text = ? WHERE key = ?",
        [(readable(r["target_text"]), r["key"]) for r in rows if readable(r["target_text"]) != r["target_text"]],
    )
    legacy = db.query(
        "SELECT p.id, p.external_translation, p.external_model, p.created_at, ps.source_id, ps.position FROM pieces p "
        "LEFT JOIN piece_sources ps ON ps.piece_id = p.id AND ps.source_id = "
        "(SELECT MIN(earliest.source_id) FROM piece_sources earliest WHERE earliest.piece_id = p.id) "
        "WHERE p.external_translation IS NOT NULL"
    )
    db.executemany(
        "INSERT INTO external_translations(piece_id, system, unit, parts, raw_parts, source_id, position, created_at) "
        "VALUES (?, ?, 'piece', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (
                r["id"],
                r["external_model"] or "external",
                json.dumps([readable(r["external_translation"])], ensure_ascii=False),
                json.dumps([r["external_translation"]], ensure_ascii=False),
                r["source_id"],
                r["position"] or 0,
                r["created_at"],
            )
            for r in legacy
        ],
    )
    db.execute("UPDATE pieces SET external_translation = NULL, external_model = NULL WHERE external_translation IS NOT NULL")


# What align stages before migration 4 wrote into an abstention's reason: "best candidate ID scored 0.431 <
# threshold 0.5 (...", "< short-piece threshold 0.6 (...", "best candidate ID (0.431) went to OTHER, and no other
# candidate scored >= 0.55" (one-to-one), or for a short piece sharing no sentence "best candidate ID (0.431) shares".
_OLD_NEAREST = re.compile(r"best candidate (?P<id>\S+) (?:scored |\()(?P<score>\d+(?:\.\d+)?)")
_OLD_BAR = re.compile(r"(?:threshold|scored >=) (?P<bar>\d+(?:\.\d+)?)")


def _nearest_from_reasons(db: Database) -> None:
    """Migration 4's rows: the nearest miss of every abstention, read once from the reason the align stage wrote."""
    rows = db.query("SELECT piece_id, reason FROM alignments WHERE status = 'no_coverage' AND reason IS NOT NULL")
    found = [(r["piece_id"], _OLD_NEAREST.search(r["reason"]), _OLD_BAR.search(r["reason"])) for r in rows]
    db.executemany(
        "UPDATE alignments SET candidate_id = ?, candidate_score = ?, threshold = ? WHERE piece_id = ?",
        [
            (near["id"], float(near["score"]), float(bar["bar"]) if bar else None, piece_id)
            for piece_id, near, bar in found
            if near
        ],
    )


# Python steps of a migration, run by every backend right after that migration's statements, in its transaction.
DATA_MIGRATIONS: dict[int, Callable[[Database], None]] = {3: _readable_and_external, 4: _nearest_from_reasons}
