"""Every query of the pipeline, written once, behind typed methods per unit of work.

Stages never see SQL: they call a method that says what they do
(``pieces_to_detect``, ``save_detections``, ``pending_segments``,
``save_translations``, ``replace_alignments`` ...) and exchange the records of
:mod:`pipeline.records`. Each writing method is one transaction, so a crash
leaves a unit of work either stored whole or not at all.

The SQL is the dialect SQLite and PostgreSQL share (``INSERT ... ON CONFLICT
DO NOTHING``, ``RETURNING``, ``COUNT(*) FILTER``); the backend's
:class:`~pipeline.store.database.Database` runs it. Inserts of translations
are idempotent on their cache key, and linking a segment only fills an empty
link, so a batch that is run twice (a retried task, a resumed run) stores
nothing twice.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pipeline.records import (
    Alignment,
    Calibration,
    Detection,
    Diagnosis,
    ErrorSpan,
    ExternalDiagnosis,
    ExternalToDiagnose,
    ExternalTranslation,
    IngestedPiece,
    Judgement,
    Match,
    ModelProvenance,
    Paragraph,
    Piece,
    PieceText,
    Relation,
    RunRecord,
    RunStatus,
    Segment,
    SegmentCounts,
    SegmentRef,
    SentencePair,
    SourceFile,
    StoreCounts,
    StoreIdentity,
    TextToSplit,
    Translation,
)
from pipeline.store.database import Database, Row, chunks, marks
from pipeline.store.schema import TABLES

# The order rows() lists each table in: its primary key.
_TABLE_ORDER = {
    "runs": "id",
    "sources": "id",
    "pieces": "id",
    "piece_sources": "piece_id, source_id",
    "paragraphs": "piece_id, idx",
    "translations": "key",
    "segments": "piece_id, paragraph_idx, sentence_idx",
    "matches": "source_id, target_id",
    "alignments": "piece_id",
    "refs": "piece_id, idx",
    "external_translations": "piece_id, system",
    "models": "model, revision",
    "annotations": "id",
    "store_info": "key",
    "calibrations": "id",
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SourceWriter:
    """Writes one source file's pieces inside the transaction :meth:`SQLStore.writing_source` opened."""

    def __init__(self, db: Database, source_id: int):
        self._db = db
        self.source_id = source_id
        self.pieces_new = 0
        self.pieces_known = 0
        self.paragraphs_new = 0

    def add_piece(self, piece: IngestedPiece) -> bool:
        """Store `piece` (or fill what an earlier copy of it lacked) and link it to this source; True when new.

        A translation that came with it is stored under its system: a second
        system's translation of a known piece is kept beside the first, the
        same system's again replaces its text (a corrected file) but keeps
        when it first arrived; a changed text loses its diagnostics, so the
        diagnose stage checks it again.
        """
        db = self._db
        known = bool(db.query("SELECT 1 FROM pieces WHERE id = ?", (piece.id,)))
        if known:
            self.pieces_known += 1
            db.execute(
                "UPDATE pieces SET title = COALESCE(title, ?), date = COALESCE(date, ?), author = COALESCE(author, ?), "
                "outlet = COALESCE(outlet, ?), lang_hint = COALESCE(lang_hint, ?) WHERE id = ?",
                (piece.title, piece.date, piece.author, piece.outlet, piece.lang_hint, piece.id),
            )
        else:
            self.pieces_new += 1
            self.paragraphs_new += len(piece.paragraphs)
            db.execute(
                "INSERT INTO pieces(id, title, date, author, outlet, text, status, lang_hint, created_at, kind, ingest_notes) "
                "VALUES (?, ?, ?, ?, ?, ?, 'ingested', ?, ?, ?, ?)",
                (
                    piece.id,
                    piece.title,
                    piece.date,
                    piece.author,
                    piece.outlet,
                    piece.text,
                    piece.lang_hint,
                    now_iso(),
                    piece.kind,
                    "\n".join(piece.notes) or None,
                ),
            )
            db.executemany(
                "INSERT INTO paragraphs(piece_id, idx, text) VALUES (?, ?, ?)",
                [(piece.id, idx, paragraph) for idx, paragraph in enumerate(piece.paragraphs)],
            )
        db.execute(
            "INSERT INTO piece_sources(piece_id, source_id, position, input_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (piece.id, self.source_id, piece.position, piece.input_id),
        )
        if piece.external is not None:
            self._add_external(piece.id, piece.external, piece.position, known)
        return not known

    def _add_external(self, piece_id: str, external: ExternalTranslation, position: int, known: bool) -> None:
        if known and external.unit == "paragraph":
            # paired with this input's paragraphs: the stored copy of the piece must have as many
            stored = self._db.query("SELECT COUNT(*) AS n FROM paragraphs WHERE piece_id = ?", (piece_id,))[0]["n"]
            if stored != len(external.parts):
                external = as_whole_piece(external)
        self._db.execute(
            "INSERT INTO external_translations(piece_id, system, unit, parts, raw_parts, input_id, source_id, position, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (piece_id, system) DO UPDATE SET unit = excluded.unit, "
            "parts = excluded.parts, raw_parts = excluded.raw_parts, "
            "input_id = COALESCE(excluded.input_id, external_translations.input_id), "
            "diagnostics = CASE WHEN external_translations.parts = excluded.parts AND external_translations.unit = excluded.unit "
            "THEN external_translations.diagnostics END, "
            "diagnostics_fingerprint = CASE WHEN external_translations.parts = excluded.parts "
            "AND external_translations.unit = excluded.unit THEN external_translations.diagnostics_fingerprint END",
            (
                piece_id,
                external.system,
                external.unit,
                json.dumps(external.parts, ensure_ascii=False),
                json.dumps(external.raw_parts, ensure_ascii=False),
                external.input_id,
                self.source_id,
                position,
                now_iso(),
            ),
        )

    def finish(self, status: str, error: str | None, pieces: int, removed_lines: int) -> None:
        self._db.execute(
            "UPDATE sources SET status = ?, error = ?, pieces = ?, removed_lines = ? WHERE id = ?",
            (status, error, pieces, removed_lines, self.source_id),
        )


class SQLStore:
    """The pipeline's store over any :class:`Database`; backends add opening, locking and migrations."""

    def __init__(self, db: Database):
        self.db = db

    @property
    def location(self) -> str:
        return self.db.location

    # -- transactions -------------------------------------------------------------------
    def transaction(self) -> Any:
        return self.db.transaction()

    def snapshot(self) -> Any:
        """A consistent read: use around several reads that must agree (status, export)."""
        return self.db.snapshot()

    # -- runs ----------------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        """Record a writing run; the store's first one also gives it its identity (:meth:`identity`)."""
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO store_info(key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [("store_id", str(uuid.uuid4())), ("task_secret", secrets.token_hex(32))],
            )
            return self.db.insert_returning_id(
                "INSERT INTO runs(command, started_at) VALUES (?, ?) RETURNING id", (command, now_iso())
            )

    def identity(self) -> StoreIdentity | None:
        """The store's id and the secret its exported tasks are keyed with; None before its first writing run."""
        info = {r["key"]: r["value"] for r in self.db.query("SELECT key, value FROM store_info")}
        if "store_id" not in info or "task_secret" not in info:
            return None
        return StoreIdentity(store_id=info["store_id"], secret=info["task_secret"])

    def finish_run(self, run_id: int, status: RunStatus, summary: Mapping[str, Any]) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (now_iso(), status, json.dumps(summary, ensure_ascii=False, default=str), run_id),
            )

    def mark_interrupted_runs(self) -> int:
        """Runs still marked 'running' when no run holds the lock were killed: mark them so."""
        with self.db.transaction():
            return self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    def last_run(self) -> RunRecord | None:
        rows = self.db.query("SELECT * FROM runs WHERE summary IS NOT NULL ORDER BY id DESC LIMIT 1")
        return _run(rows[0]) if rows else None

    def runs(self) -> list[RunRecord]:
        return [_run(r) for r in self.db.query("SELECT * FROM runs ORDER BY id")]

    # -- ingest ------------------------------------------------------------------------------
    def find_source(self, path: str, sha256: str) -> SourceFile | None:
        rows = self.db.query("SELECT * FROM sources WHERE path = ? AND sha256 = ?", (path, sha256))
        return _source(rows[0]) if rows else None

    def sources(self) -> list[SourceFile]:
        return [_source(r) for r in self.db.query("SELECT * FROM sources ORDER BY id")]

    @contextmanager
    def writing_source(self, source: SourceFile, run_id: int | None) -> Iterator[SourceWriter]:
        """One transaction for one file: its sources row, pieces, paragraphs and links, or nothing of them.

        An earlier failed attempt on the same bytes is replaced.
        """
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM sources WHERE path = ? AND sha256 = ? AND status = 'failed'", (source.path, source.sha256)
            )
            source_id = self.db.insert_returning_id(
                "INSERT INTO sources(path, sha256, size, encoding, kind, status, ingested_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (source.path, source.sha256, source.size, source.encoding, source.kind, source.status, now_iso(), run_id),
            )
            yield SourceWriter(self.db, source_id)

    def record_failed_source(self, source: SourceFile, run_id: int | None) -> None:
        """A file that could not be ingested: status 'failed' and the reason, nothing else of it."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO sources(path, sha256, size, encoding, kind, status, error, ingested_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?) "
                "ON CONFLICT(path, sha256) DO UPDATE SET status = 'failed', error = excluded.error, "
                "ingested_at = excluded.ingested_at, run_id = excluded.run_id",
                (source.path, source.sha256, source.size, source.encoding, source.kind, source.error, now_iso(), run_id),
            )

    # -- detect --------------------------------------------------------------------------------
    def pieces_to_detect(self) -> list[str]:
        return [r["id"] for r in self.db.query("SELECT id FROM pieces WHERE status = 'ingested' ORDER BY id")]

    def piece_texts(self, ids: Sequence[str]) -> list[PieceText]:
        titles: dict[str, str | None] = {}
        paragraphs: dict[str, list[tuple[int, str]]] = {pid: [] for pid in ids}
        translated: set[str] = set()
        for chunk in chunks(ids):
            for r in self.db.query(f"SELECT id, title FROM pieces WHERE id IN ({marks(chunk)})", chunk):
                titles[r["id"]] = r["title"]
            translated.update(
                r["piece_id"]
                for r in self.db.query(
                    f"SELECT DISTINCT piece_id FROM external_translations WHERE piece_id IN ({marks(chunk)})", chunk
                )
            )
            for r in self.db.query(
                f"SELECT piece_id, idx, text FROM paragraphs WHERE piece_id IN ({marks(chunk)}) ORDER BY piece_id, idx", chunk
            ):
                paragraphs[r["piece_id"]].append((r["idx"], r["text"]))
        return [PieceText(id=pid, title=titles.get(pid), paragraphs=paragraphs[pid], translated=pid in translated) for pid in ids]

    def save_detections(self, detections: Sequence[Detection]) -> None:
        with self.db.transaction():
            for d in detections:
                self.db.executemany(
                    "UPDATE paragraphs SET lang = ?, lang_score = ?, route = ?, reason = ? WHERE piece_id = ? AND idx = ?",
                    [(p.lang, round(p.score, 4), p.route, p.reason, d.piece_id, p.index) for p in d.paragraphs],
                )
                self.db.execute(
                    "UPDATE pieces SET lang = ?, lang_score = ?, title_lang = ?, status = ?, reason = ? "
                    "WHERE id = ? AND status = 'ingested'",
                    (d.lang, d.score, d.title_lang, d.status, d.reason, d.piece_id),
                )

    # -- translate: segments -------------------------------------------------------------------
    def texts_to_split(self, with_external: bool = False) -> list[TextToSplit]:
        """Routed paragraphs without segments, then titles of pieces with routed paragraphs and no title segments.

        Pieces whose input carried a translation are left out unless `with_external`.
        """
        external = "" if with_external else " AND NOT EXISTS (SELECT 1 FROM external_translations e WHERE e.piece_id = {})"
        out = [
            TextToSplit(piece_id=r["piece_id"], paragraph_index=r["idx"], text=r["text"])
            for r in self.db.query(
                "SELECT p.piece_id, p.idx, p.text FROM paragraphs p WHERE p.route = 'translate' AND NOT EXISTS "
                "(SELECT 1 FROM segments s WHERE s.piece_id = p.piece_id AND s.paragraph_idx = p.idx)"
                + external.format("p.piece_id")
            )
        ]
        out += [
            TextToSplit(piece_id=r["id"], paragraph_index=-1, text=r["title"], title_lang=r["title_lang"])
            for r in self.db.query(
                "SELECT pc.id, pc.title, pc.title_lang FROM pieces pc WHERE pc.title IS NOT NULL AND TRIM(pc.title) != '' "
                "AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate') "
                "AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.piece_id = pc.id AND s.paragraph_idx = -1)"
                + external.format("pc.id")
            )
        ]
        return out

    def drop_unfinished_external_segments(self) -> int:
        """Forget the segments of pieces whose input carried a translation and that the model has not finished.

        For when our own translation of those pieces is no longer asked for: the
        translations already made stay in the cache (asking again links them at
        no cost), and no sentence of such a piece is left pending. A piece the
        model finished keeps its segments. Returns the segments dropped.
        """
        with self.db.transaction():
            return self.db.execute(
                "DELETE FROM segments WHERE EXISTS (SELECT 1 FROM external_translations e WHERE e.piece_id = segments.piece_id) "
                "AND EXISTS (SELECT 1 FROM segments unfinished WHERE unfinished.piece_id = segments.piece_id "
                "AND unfinished.translation_key IS NULL AND unfinished.reason IS NULL)"
            )

    def save_segments(self, segments: Sequence[Segment]) -> None:
        """Store new segments; segments of paragraphs no longer routed to translation (detect ran again) go."""
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM segments WHERE NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = segments.piece_id "
                "AND p.route = 'translate' AND (p.idx = segments.paragraph_idx OR segments.paragraph_idx = -1))"
            )
            self.db.executemany(
                "INSERT INTO segments(piece_id, paragraph_idx, sentence_idx, text, reason) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(s.piece_id, s.paragraph_index, s.sentence_index, s.text, s.reason) for s in segments],
            )

    def pending_segments(self) -> list[Segment]:
        """Segments that need a translation and have none, in reading order."""
        rows = self.db.query(
            "SELECT piece_id, paragraph_idx, sentence_idx, text FROM segments "
            "WHERE translation_key IS NULL AND reason IS NULL ORDER BY piece_id, paragraph_idx, sentence_idx"
        )
        return [
            Segment(piece_id=r["piece_id"], paragraph_index=r["paragraph_idx"], sentence_index=r["sentence_idx"], text=r["text"])
            for r in rows
        ]

    def segments(self, piece_ids: Collection[str] | None = None, with_titles: bool = True) -> dict[str, list[Segment]]:
        """Segments with their translations and diagnostics, per piece in reading order (titles first)."""
        sql = (
            "SELECT s.piece_id, s.paragraph_idx, s.sentence_idx, s.text, s.reason, s.translation_key, t.target_text, "
            "t.raw_text, t.model, t.revision, t.logprob, t.created_at, t.diagnostics FROM segments s "
            "LEFT JOIN translations t ON t.key = s.translation_key"
        )
        where = "" if with_titles else " s.paragraph_idx >= 0"
        order = " ORDER BY s.piece_id, s.paragraph_idx, s.sentence_idx"
        rows: list[Row] = []
        if piece_ids is None:
            rows = self.db.query(sql + (" WHERE" + where if where else "") + order)
        else:
            ids = sorted(piece_ids)
            for chunk in chunks(ids):
                extra = f" AND{where}" if where else ""
                rows += self.db.query(f"{sql} WHERE s.piece_id IN ({marks(chunk)}){extra}{order}", chunk)
        out: dict[str, list[Segment]] = {}
        for r in rows:
            out.setdefault(r["piece_id"], []).append(_segment(r))
        return out

    def existing_translations(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` the translation cache already holds."""
        found: set[str] = set()
        for chunk in chunks(list(keys)):
            found.update(r["key"] for r in self.db.query(f"SELECT key FROM translations WHERE key IN ({marks(chunk)})", chunk))
        return found

    def link_translations(self, links: Mapping[str, Sequence[SegmentRef]]) -> None:
        """Point segments at cached translations (each key → the segments with that sentence)."""
        with self.db.transaction():
            self._link(links)

    def save_translations(self, translations: Sequence[Translation], links: Mapping[str, Sequence[SegmentRef]]) -> set[str]:
        """One batch: insert the translations (keys already cached are left alone) and link their segments.

        Returns the keys this call inserted: a batch retried after a crash
        inserts nothing and counts nothing as new.
        """
        inserted: set[str] = set()
        with self.db.transaction():
            for t in translations:
                changed = self.db.execute(
                    "INSERT INTO translations(key, model, revision, backend, settings, source_text, target_text, raw_text, "
                    "logprob, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        t.key,
                        t.model,
                        t.revision,
                        t.backend,
                        json.dumps(t.settings, sort_keys=True),
                        t.source_text,
                        t.target_text,
                        t.target_text if t.raw_text is None else t.raw_text,
                        t.logprob,
                        t.created_at or now_iso(),
                        t.run_id,
                    ),
                )
                if changed == 1:
                    inserted.add(t.key)
            self._link(links)
        return inserted

    def _link(self, links: Mapping[str, Sequence[SegmentRef]]) -> None:
        self.db.executemany(
            "UPDATE segments SET translation_key = ? WHERE piece_id = ? AND paragraph_idx = ? AND sentence_idx = ? "
            "AND translation_key IS NULL",
            [(key, s.piece_id, s.paragraph_index, s.sentence_index) for key, refs in links.items() for s in refs],
        )

    def refresh_translation_status(self, reason: str | None) -> tuple[int, int]:
        """'translated' where every routed paragraph (and the title) is done, or where the input carried a
        translation; else 'pending' with a reason.

        Returns (translated, pending) piece counts.
        """
        rows = self.db.query(
            "SELECT pc.id, "
            "(SELECT COUNT(*) FROM segments s WHERE s.piece_id = pc.id AND s.translation_key IS NULL AND s.reason IS NULL) "
            "AS open_segments, "
            "(SELECT COUNT(*) FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate' AND NOT EXISTS "
            "   (SELECT 1 FROM segments s WHERE s.piece_id = p.piece_id AND s.paragraph_idx = p.idx)) AS unsegmented, "
            "(SELECT COUNT(*) FROM external_translations e WHERE e.piece_id = pc.id) AS external "
            "FROM pieces pc WHERE EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate')"
        )
        updates: list[tuple[str, str | None, str]] = []
        translated = pending = 0
        for r in rows:
            if (r["open_segments"] == 0 and r["unsegmented"] == 0) or r["external"]:
                translated += 1
                updates.append(("translated", None, r["id"]))
            else:
                pending += 1
                updates.append(("pending", reason or f"{r['open_segments']} sentence(s) not translated yet", r["id"]))
        with self.db.transaction():
            self.db.executemany("UPDATE pieces SET status = ?, reason = ? WHERE id = ?", updates)
        return translated, pending

    def segment_counts(self) -> SegmentCounts:
        r = self.db.query(
            "SELECT COUNT(*) AS total, "
            "COUNT(*) FILTER (WHERE translation_key IS NOT NULL) AS translated, "
            "COUNT(*) FILTER (WHERE translation_key IS NULL AND reason IS NULL) AS pending, "
            "COUNT(*) FILTER (WHERE translation_key IS NULL AND reason IS NOT NULL) AS skipped FROM segments"
        )[0]
        return SegmentCounts(total=r["total"], translated=r["translated"], pending=r["pending"], skipped=r["skipped"])

    def translations_made_by(self, run_id: int) -> int:
        """How many translations run `run_id` stored: each row once, whichever attempt of a retried batch stored it."""
        return int(self.db.query("SELECT COUNT(*) AS n FROM translations WHERE run_id = ?", (run_id,))[0]["n"])

    def translations_of_sources(self, sources: Collection[str]) -> list[Translation]:
        """Every cached translation of these source sentences (all models), oldest first."""
        out: list[Translation] = []
        for chunk in chunks(sorted(sources)):
            out += [
                _translation(r)
                for r in self.db.query(
                    f"SELECT * FROM translations WHERE source_text IN ({marks(chunk)}) ORDER BY created_at", chunk
                )
            ]
        out.sort(key=lambda t: t.created_at or "")
        return out

    # -- diagnose --------------------------------------------------------------------------------
    def translations_to_diagnose(self, fingerprint: str) -> list[Translation]:
        """Translations without diagnostics, or with diagnostics computed under other thresholds."""
        rows = self.db.query(
            "SELECT * FROM translations WHERE diagnostics IS NULL OR diagnostics_fingerprint IS NULL "
            "OR diagnostics_fingerprint != ?",
            (fingerprint,),
        )
        return [_translation(r) for r in rows]

    def save_diagnoses(self, diagnoses: Sequence[Diagnosis]) -> None:
        with self.db.transaction():
            self.db.executemany(
                "UPDATE translations SET diagnostics = ?, diagnostics_fingerprint = ? WHERE key = ?",
                [(json.dumps(d.diagnostics, ensure_ascii=False), d.fingerprint, d.key) for d in diagnoses],
            )

    def external_to_diagnose(self, fingerprint: str) -> list[ExternalToDiagnose]:
        """Translations that came with the input and have no diagnostics (or diagnostics made under other thresholds),
        each part beside the Arabic it translates."""
        rows = self.db.query(
            "SELECT e.piece_id, e.system, e.unit, e.parts, p.text FROM external_translations e JOIN pieces p ON p.id = e.piece_id "
            "WHERE e.diagnostics IS NULL OR e.diagnostics_fingerprint IS NULL OR e.diagnostics_fingerprint != ? "
            "ORDER BY e.piece_id, e.system",
            (fingerprint,),
        )
        paragraphs: dict[str, list[str]] = {}
        by_paragraph = sorted({r["piece_id"] for r in rows if r["unit"] == "paragraph"})
        for chunk in chunks(by_paragraph):
            for r in self.db.query(
                f"SELECT piece_id, text FROM paragraphs WHERE piece_id IN ({marks(chunk)}) ORDER BY piece_id, idx", chunk
            ):
                paragraphs.setdefault(r["piece_id"], []).append(r["text"])
        out = []
        for r in rows:
            parts = json.loads(r["parts"])
            sources = paragraphs.get(r["piece_id"], []) if r["unit"] == "paragraph" else [r["text"]]
            if len(sources) != len(parts):  # paired as a whole when the paragraphs do not line up
                sources, parts = [r["text"]], ["\n\n".join(parts)]
            out.append(ExternalToDiagnose(piece_id=r["piece_id"], system=r["system"], sources=sources, parts=parts))
        return out

    def save_external_diagnoses(self, diagnoses: Sequence[ExternalDiagnosis]) -> None:
        with self.db.transaction():
            self.db.executemany(
                "UPDATE external_translations SET diagnostics = ?, diagnostics_fingerprint = ? WHERE piece_id = ? AND system = ?",
                [(json.dumps(d.diagnostics, ensure_ascii=False), d.fingerprint, d.piece_id, d.system) for d in diagnoses],
            )

    def external_diagnostics(self) -> list[tuple[str, str, list[dict[str, Any] | None]]]:
        """(piece, system, diagnostics of each part) of every diagnosed translation that came with the input."""
        return [
            (r["piece_id"], r["system"], _json_list(r["diagnostics"]))
            for r in self.db.query(
                "SELECT piece_id, system, diagnostics FROM external_translations WHERE diagnostics IS NOT NULL "
                "ORDER BY piece_id, system"
            )
        ]

    def translation_diagnostics(self) -> list[tuple[int | None, dict[str, Any] | None]]:
        """(run that made it, diagnostics) of every diagnosed translation."""
        return [
            (r["run_id"], _json_or_none(r["diagnostics"]))
            for r in self.db.query("SELECT run_id, diagnostics FROM translations WHERE diagnostics IS NOT NULL")
        ]

    def segment_diagnostics(self) -> list[tuple[str, dict[str, Any] | None]]:
        """(piece, diagnostics) of every translated segment whose translation is diagnosed."""
        return [
            (r["piece_id"], _json_or_none(r["diagnostics"]))
            for r in self.db.query(
                "SELECT s.piece_id, t.diagnostics FROM segments s JOIN translations t ON t.key = s.translation_key "
                "WHERE t.diagnostics IS NOT NULL"
            )
        ]

    # -- pieces ------------------------------------------------------------------------------------
    def load_pieces(self, ids: Iterable[str] | None = None, lang: str | None = None) -> list[Piece]:
        """Pieces with their paragraphs and current translations, in source order.

        The current translation of a piece is the pipeline's own when the model
        has translated all of it; else the translation that came with the input
        first (see :func:`_piece`). Every system's translation that came with the
        input is in `external_translations`.
        """
        sql = (
            "SELECT p.*, (SELECT s.path FROM piece_sources ps JOIN sources s ON s.id = ps.source_id "
            "WHERE ps.piece_id = p.id ORDER BY s.id LIMIT 1) AS source_path, "
            "(SELECT ps.input_id FROM piece_sources ps WHERE ps.piece_id = p.id AND ps.input_id IS NOT NULL "
            "ORDER BY ps.source_id LIMIT 1) AS input_id, "
            "(SELECT MIN(CAST(ps.source_id AS BIGINT) * 1000000 + ps.position) FROM piece_sources ps WHERE ps.piece_id = p.id) AS ord "
            "FROM pieces p"
        )
        order = " ORDER BY ord NULLS FIRST, p.id"
        lang_clause, lang_params = (" AND p.lang = ?", [lang]) if lang is not None else ("", [])
        if ids is None:
            rows = self.db.query(sql + " WHERE 1 = 1" + lang_clause + order, lang_params)
        else:
            rows = []
            for chunk in chunks(sorted(set(ids))):
                rows += self.db.query(f"{sql} WHERE p.id IN ({marks(chunk)}){lang_clause}{order}", [*chunk, *lang_params])
            rows.sort(key=lambda r: (r["ord"] is not None, r["ord"] or 0, r["id"]))
        piece_ids = [r["id"] for r in rows]
        translations = self._paragraph_translations(piece_ids)
        paragraphs = self._paragraphs_by_piece(piece_ids, translations)
        models = self._models_of(piece_ids)
        externals = self.external_translations(piece_ids) if piece_ids else {}
        known_models = {(m.id, m.revision): m for m in self.models()}
        raw: dict[str, dict[int, str]] = {}
        for (piece_id, idx), (_, raw_text) in translations.items():
            raw.setdefault(piece_id, {})[idx] = raw_text
        out = []
        for row in rows:
            model = models.get(row["id"])
            provenance = None if model is None else known_models.get(model, ModelProvenance(id=model[0], revision=model[1]))
            out.append(
                _piece(
                    row,
                    paragraphs.get(row["id"], []),
                    raw.get(row["id"], {}),
                    translations.get((row["id"], -1)),
                    provenance,
                    externals.get(row["id"], []),
                )
            )
        return out

    def piece_ids(self) -> set[str]:
        return {r["id"] for r in self.db.query("SELECT id FROM pieces")}

    def pieces_by_input_id(self, input_ids: Collection[str]) -> dict[str, set[str]]:
        """The pieces each of these ids names as the input gave it (JSONL `id`); an id may name several pieces."""
        out: dict[str, set[str]] = {}
        for chunk in chunks(sorted(set(input_ids))):
            for table in ("piece_sources", "external_translations"):
                for r in self.db.query(
                    f"SELECT DISTINCT input_id, piece_id FROM {table} WHERE input_id IN ({marks(chunk)})", chunk
                ):
                    out.setdefault(r["input_id"], set()).add(r["piece_id"])
        return out

    def external_systems(self) -> dict[str, int]:
        """How many pieces carry each external system's translation."""
        return {
            r["system"]: r["n"]
            for r in self.db.query("SELECT system, COUNT(*) AS n FROM external_translations GROUP BY system ORDER BY system")
        }

    def external_translations(self, piece_ids: Collection[str] | None = None) -> dict[str, list[ExternalTranslation]]:
        """The translations that came with the input, per piece: first arrived first (source, then line)."""
        sql = "SELECT * FROM external_translations"
        order = " ORDER BY piece_id, source_id NULLS LAST, position, system"
        rows: list[Row] = []
        if piece_ids is None:
            rows = self.db.query(sql + order)
        else:
            for chunk in chunks(sorted(piece_ids)):
                rows += self.db.query(f"{sql} WHERE piece_id IN ({marks(chunk)}){order}", chunk)
        out: dict[str, list[ExternalTranslation]] = {}
        for r in rows:
            out.setdefault(r["piece_id"], []).append(
                ExternalTranslation(
                    system=r["system"],
                    unit=r["unit"],
                    parts=json.loads(r["parts"]),
                    raw_parts=json.loads(r["raw_parts"]),
                    input_id=r["input_id"],
                    diagnostics=_json_list(r["diagnostics"]) if r["diagnostics"] is not None else None,
                )
            )
        return out

    def _paragraphs_by_piece(
        self, piece_ids: list[str], translations: dict[tuple[str, int], tuple[str, str]]
    ) -> dict[str, list[Paragraph]]:
        result: dict[str, list[Paragraph]] = {}
        for chunk in chunks(piece_ids):
            for r in self.db.query(f"SELECT * FROM paragraphs WHERE piece_id IN ({marks(chunk)}) ORDER BY piece_id, idx", chunk):
                translated = translations.get((r["piece_id"], r["idx"]))
                result.setdefault(r["piece_id"], []).append(
                    Paragraph.model_construct(  # the store's own typed columns: no validation needed
                        index=r["idx"],
                        text=r["text"],
                        lang=r["lang"],
                        lang_score=r["lang_score"],
                        route=r["route"],
                        reason=r["reason"],
                        translation=translated[0] if translated else None,
                    )
                )
        return result

    def _paragraph_translations(self, piece_ids: list[str]) -> dict[tuple[str, int], tuple[str, str]]:
        """Each paragraph's translated sentences joined, (readable, raw); only fully translated paragraphs count
        (-1: the title)."""
        out: dict[tuple[str, int], list[tuple[str | None, str | None]]] = {}
        for chunk in chunks(piece_ids):
            rows = self.db.query(
                # a segment skipped with a reason (nothing to translate) counts as done, empty
                "SELECT s.piece_id, s.paragraph_idx, "
                "COALESCE(t.target_text, CASE WHEN s.reason IS NOT NULL THEN '' END) AS target, "
                "COALESCE(t.raw_text, t.target_text, CASE WHEN s.reason IS NOT NULL THEN '' END) AS raw FROM segments s "
                "LEFT JOIN translations t ON t.key = s.translation_key "
                f"WHERE s.piece_id IN ({marks(chunk)}) ORDER BY s.piece_id, s.paragraph_idx, s.sentence_idx",
                chunk,
            )
            for r in rows:
                out.setdefault((r["piece_id"], r["paragraph_idx"]), []).append((r["target"], r["raw"]))
        return {
            k: (" ".join(t for t, _ in v if t), " ".join(raw for _, raw in v if raw))
            for k, v in out.items()
            if all(t is not None for t, _ in v)
        }

    def _models_of(self, piece_ids: list[str]) -> dict[str, tuple[str, str]]:
        """(model, revision) of one translation of each piece that has any (the first in name order)."""
        out: dict[str, tuple[str, str]] = {}
        for chunk in chunks(piece_ids):
            for r in self.db.query(
                "SELECT DISTINCT s.piece_id, t.model, t.revision FROM segments s JOIN translations t ON t.key = s.translation_key "
                f"WHERE s.piece_id IN ({marks(chunk)}) ORDER BY s.piece_id, t.model, t.revision",
                chunk,
            ):
                out.setdefault(r["piece_id"], (r["model"], r["revision"]))
        return out

    # -- models ----------------------------------------------------------------------------------------
    def save_model(self, model: ModelProvenance, run_id: int | None) -> None:
        """Record a model that translates into this store (kept as first recorded: a revision is fixed files)."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO models(model, revision, ref, weights, weights_sha256, converted_from, origin, created_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    model.id,
                    model.revision or "",
                    model.ref,
                    model.weights,
                    json.dumps(model.weights_sha256, sort_keys=True),
                    model.converted_from,
                    model.origin,
                    now_iso(),
                    run_id,
                ),
            )

    def models(self) -> list[ModelProvenance]:
        """Every model recorded by the translate stage, with where its weights came from."""
        return [
            ModelProvenance(
                id=r["model"],
                revision=r["revision"],
                ref=r["ref"],
                weights=r["weights"],
                weights_sha256=json.loads(r["weights_sha256"]),
                converted_from=r["converted_from"],
                origin=r["origin"],
            )
            for r in self.db.query("SELECT * FROM models ORDER BY model, revision")
        ]

    # -- align ---------------------------------------------------------------------------------------
    def replace_alignments(self, matches: Sequence[Match], alignments: Sequence[Alignment], run_id: int | None) -> None:
        """The aligner's results for these pieces replace their earlier ones, in one transaction."""
        ids = [a.piece_id for a in alignments]
        with self.db.transaction():
            for chunk in chunks(ids):
                self.db.execute(f"DELETE FROM matches WHERE source_id IN ({marks(chunk)})", chunk)
                self.db.execute(f"DELETE FROM alignments WHERE piece_id IN ({marks(chunk)})", chunk)
            self.db.executemany(INSERT_MATCH, [_match_row(m, run_id) for m in matches])
            self.db.executemany(
                "INSERT INTO alignments(piece_id, status, reason, candidate_id, candidate_score, threshold, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(a.piece_id, a.status, a.reason, a.candidate_id, a.candidate_score, a.threshold, run_id) for a in alignments],
            )

    def load_matches(self, relation: Relation = "same_event") -> list[Match]:
        """The matches (English coverage of the same event), or with `relation` "related" the related coverage."""
        return [
            Match(
                source_id=r["source_id"],
                target_id=r["target_id"],
                score=r["score"],
                evidence=json.loads(r["evidence"]),
                sentence_pairs=[SentencePair.model_construct(**p) for p in json.loads(r["sentence_pairs"])],
                similarity=r["similarity"],
                relation=r["relation"],
            )
            for r in self.db.query("SELECT * FROM matches WHERE relation = ? ORDER BY source_id, score DESC", (relation,))
        ]

    def alignments(self) -> dict[str, Alignment]:
        rows = self.db.query("SELECT piece_id, status, reason, candidate_id, candidate_score, threshold FROM alignments")
        return {r["piece_id"]: Alignment.model_construct(**r) for r in rows}

    def add_reviewed_matches(self, matches: Sequence[Match], run_id: int | None) -> int:
        """Matches reviewers made (a pair judged the same event that the aligner missed), in one transaction.

        A pair already matched keeps its row; the translated piece's alignment
        becomes 'matched'. Returns how many matches were added.
        """
        added = 0
        with self.db.transaction():
            for m in matches:
                # the aligner's 'related' row of the same pair gives way: the reviewer said same event
                self.db.execute(
                    "DELETE FROM matches WHERE source_id = ? AND target_id = ? AND relation != 'same_event'",
                    (m.source_id, m.target_id),
                )
                added += self.db.execute(f"{INSERT_MATCH} ON CONFLICT DO NOTHING", _match_row(m, run_id))
                reason = f"matched by a reviewer with {m.target_id}"
                if not self.db.execute(
                    "UPDATE alignments SET status = 'matched', reason = ?, candidate_id = NULL, candidate_score = NULL, "
                    "threshold = NULL, run_id = ? WHERE piece_id = ? AND status != 'matched'",
                    (reason, run_id, m.source_id),
                ):
                    self.db.execute(
                        "INSERT INTO alignments(piece_id, status, reason, run_id) VALUES (?, 'matched', ?, ?) ON CONFLICT DO NOTHING",
                        (m.source_id, reason, run_id),
                    )
        return added

    # -- annotations ---------------------------------------------------------------------------------
    def save_judgements(self, judgements: Sequence[Judgement], import_file: str | None, run_id: int | None) -> int:
        """Store reviewers' judgements in one transaction; one already stored (same fingerprint) is not stored again.

        Returns how many were new.
        """
        added = 0
        imported_at = now_iso()
        with self.db.transaction():
            for j in judgements:
                added += self.db.execute(
                    "INSERT INTO annotations(fingerprint, tool, annotator, annotated_at, kind, source_id, target_id, system, "
                    "verdict, choice, adequacy, fluency, errors, correction, comment, translation, external_id, import_file, "
                    "imported_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (
                        j.fingerprint(),
                        j.tool,
                        j.annotator,
                        j.annotated_at,
                        j.kind,
                        j.source_id,
                        j.target_id,
                        j.system,
                        j.verdict,
                        j.choice,
                        j.adequacy,
                        j.fluency,
                        json.dumps([e.model_dump() for e in j.errors], ensure_ascii=False),
                        j.correction,
                        j.comment,
                        j.translation,
                        j.external_id,
                        import_file,
                        imported_at,
                        run_id,
                    ),
                )
        return added

    def judgements(self, current: bool = True) -> list[Judgement]:
        """Reviewers' judgements, oldest first; `current`: only each reviewer's latest of each item (the history
        without it). A judgement's time is the tool's, else when it was imported."""
        rows = self.db.query("SELECT * FROM annotations ORDER BY COALESCE(annotated_at, imported_at), imported_at, id")
        found = [_judgement(r) for r in rows]
        if not current:
            return found
        latest: dict[tuple[str, str | None, str | None, str, str], Judgement] = {}
        for j in found:  # later rows replace earlier ones of the same reviewer and item
            latest[(*j.item, j.tool, j.annotator)] = j
        return sorted(latest.values(), key=lambda j: j.id or 0)

    def save_calibration(self, calibration: Calibration, run_id: int | None) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO calibrations(method, threshold, short_threshold, max_false_match_rate, weights, figures, "
                "created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    calibration.method,
                    calibration.threshold,
                    calibration.short_threshold,
                    calibration.max_false_match_rate,
                    None if calibration.weights is None else json.dumps(calibration.weights, sort_keys=True),
                    json.dumps(calibration.figures, ensure_ascii=False, sort_keys=True),
                    now_iso(),
                    run_id,
                ),
            )

    def last_calibration(self) -> Calibration | None:
        rows = self.db.query("SELECT * FROM calibrations ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        r = rows[0]
        return Calibration(
            method=r["method"],
            threshold=r["threshold"],
            short_threshold=r["short_threshold"],
            max_false_match_rate=r["max_false_match_rate"],
            weights=json.loads(r["weights"]) if r["weights"] else None,
            figures=json.loads(r["figures"]),
            created_at=r["created_at"],
            run_id=r["run_id"],
        )

    # -- evaluate ----------------------------------------------------------------------------------
    def replace_references(self, references: Mapping[str, Sequence[str]]) -> int:
        """Store reference translations per piece (replacing earlier ones); returns how many pieces had some."""
        replaced = 0
        with self.db.transaction():
            for piece_id, sentences in references.items():
                replaced += self.db.execute("DELETE FROM refs WHERE piece_id = ?", (piece_id,)) > 0
                self.db.executemany(
                    "INSERT INTO refs(piece_id, idx, text) VALUES (?, ?, ?)", [(piece_id, i, s) for i, s in enumerate(sentences)]
                )
        return replaced

    def references(self) -> dict[str, list[str]]:
        refs: dict[str, list[str]] = {}
        for r in self.db.query("SELECT piece_id, text FROM refs ORDER BY piece_id, idx"):
            refs.setdefault(r["piece_id"], []).append(r["text"])
        return refs

    # -- overview ------------------------------------------------------------------------------------
    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table as plain dicts, in key order: for inspection (tests, debugging)."""
        return [row for page in self.row_pages(table, size=None) for row in page]

    def row_pages(self, table: str, size: int | None = 5000) -> Iterator[list[dict[str, Any]]]:
        """Every row of one table, in key order, `size` rows at a time (`store copy` of a store of any size).

        Pages follow the key (``WHERE (a, b) > (?, ?)``), not an OFFSET, so
        each page costs the same however far into the table it is.
        """
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; tables: {', '.join(sorted(TABLES))}")
        key = _TABLE_ORDER[table]
        columns = [c.strip() for c in key.split(",")]
        after: list[Any] | None = None
        while True:
            where = f" WHERE ({key}) > ({marks(columns)})" if after is not None else ""
            limit = f" LIMIT {int(size)}" if size is not None else ""
            page = [dict(r) for r in self.db.query(f"SELECT * FROM {table}{where} ORDER BY {key}{limit}", after or ())]
            if page:
                yield page
            if size is None or len(page) < size:
                return
            after = [page[-1][c] for c in columns]

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows as :meth:`rows` returns them (ids included), in one transaction: `store copy` writes with it."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; tables: {', '.join(sorted(TABLES))}")
        if not rows:
            return
        columns = sorted(TABLES[table])
        with self.db.transaction():
            self.db.executemany(
                f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks(columns)})",
                [tuple(row[c] for c in columns) for row in rows],
            )

    def counts(self, schema_version: int) -> StoreCounts:
        def grouped(sql: str) -> dict[str | None, int]:
            return {r["k"]: r["n"] for r in self.db.query(sql + " ORDER BY 1 NULLS FIRST")}

        def one(sql: str) -> int:
            return int(self.db.query(sql)[0]["n"])

        by_lang = grouped("SELECT lang AS k, COUNT(*) AS n FROM pieces GROUP BY lang")
        segments = self.segment_counts()
        return StoreCounts(
            schema_version=schema_version,
            sources={str(k): v for k, v in grouped("SELECT status AS k, COUNT(*) AS n FROM sources GROUP BY status").items()},
            pieces=sum(by_lang.values()),
            pieces_by_lang={k or "unknown": v for k, v in by_lang.items()},
            pieces_by_status={
                str(k): v for k, v in grouped("SELECT status AS k, COUNT(*) AS n FROM pieces GROUP BY status").items()
            },
            paragraphs_by_route={
                k or "undetected": v
                for k, v in grouped("SELECT route AS k, COUNT(*) AS n FROM paragraphs GROUP BY route").items()
            },
            segments=segments.total,
            segments_pending=segments.pending,
            segments_translated=segments.translated,
            segments_skipped=segments.skipped,
            translations_cached=one("SELECT COUNT(*) AS n FROM translations"),
            matches=one("SELECT COUNT(*) AS n FROM matches WHERE relation = 'same_event'"),
            abstentions=one("SELECT COUNT(*) AS n FROM alignments WHERE status = 'no_coverage'"),
            runs=one("SELECT COUNT(*) AS n FROM runs"),
            pieces_translated_here=one(
                "SELECT COUNT(*) AS n FROM pieces pc WHERE EXISTS (SELECT 1 FROM segments s WHERE s.piece_id = pc.id) "
                "AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.piece_id = pc.id AND s.translation_key IS NULL "
                "AND s.reason IS NULL) AND NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = pc.id "
                "AND p.route = 'translate' AND NOT EXISTS "
                "(SELECT 1 FROM segments s WHERE s.piece_id = p.piece_id AND s.paragraph_idx = p.idx))"
            ),
            translations_with_input=self.external_systems(),
            annotations=one("SELECT COUNT(*) AS n FROM annotations"),
        )


# -- rows to records -------------------------------------------------------------------------------


def _json_or_none(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_list(raw: str | None) -> list[dict[str, Any] | None]:
    """A stored JSON list of diagnostics (one per part); an unreadable one is no diagnostics."""
    try:
        value = json.loads(raw) if raw is not None else []
    except ValueError:
        return []
    return [v if isinstance(v, dict) else None for v in value] if isinstance(value, list) else []


def _run(r: Row) -> RunRecord:
    return RunRecord(
        id=r["id"],
        command=r["command"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        status=r["status"],
        summary=_json_or_none(r["summary"]),
    )


def _source(r: Row) -> SourceFile:
    return SourceFile(
        id=r["id"],
        path=r["path"],
        sha256=r["sha256"],
        size=r["size"],
        encoding=r["encoding"],
        kind=r["kind"],
        status=r["status"],
        error=r["error"],
        pieces=r["pieces"],
        removed_lines=r["removed_lines"],
    )


def _segment(r: Row) -> Segment:
    # built without validation: every field comes from the store's own typed columns, and an export of 100,000
    # pieces builds a million of these
    return Segment.model_construct(
        piece_id=r["piece_id"],
        paragraph_index=r["paragraph_idx"],
        sentence_index=r["sentence_idx"],
        text=r["text"],
        reason=r["reason"],
        translation_key=r["translation_key"],
        translation=r["target_text"],
        raw_translation=r["raw_text"] if r["raw_text"] is not None else r["target_text"],
        model=f"{r['model']}@{r['revision']}" if r["model"] is not None else None,
        logprob=r["logprob"],
        created_at=r["created_at"],
        diagnostics=_json_or_none(r["diagnostics"]),
    )


def _judgement(r: Row) -> Judgement:
    return Judgement(
        id=r["id"],
        tool=r["tool"],
        annotator=r["annotator"],
        annotated_at=r["annotated_at"],
        kind=r["kind"],
        source_id=r["source_id"],
        target_id=r["target_id"],
        system=r["system"],
        verdict=r["verdict"],
        choice=r["choice"],
        adequacy=r["adequacy"],
        fluency=r["fluency"],
        errors=[ErrorSpan(**e) for e in json.loads(r["errors"])],
        correction=r["correction"],
        comment=r["comment"],
        translation=r["translation"],
        external_id=r["external_id"],
        import_file=r["import_file"],
        imported_at=r["imported_at"],
    )


def _translation(r: Row) -> Translation:
    return Translation(
        key=r["key"],
        source_text=r["source_text"],
        target_text=r["target_text"],
        model=r["model"],
        revision=r["revision"],
        backend=r["backend"],
        settings=json.loads(r["settings"]),
        raw_text=r["raw_text"],
        logprob=r["logprob"],
        created_at=r["created_at"],
        run_id=r["run_id"],
        diagnostics=_json_or_none(r["diagnostics"]),
    )


def as_whole_piece(external: ExternalTranslation) -> ExternalTranslation:
    """The same translation as one translation of the whole piece (unit 'piece')."""
    return external.model_copy(update={"unit": "piece", "parts": [external.text], "raw_parts": [external.raw]})


def _piece(
    row: Row,
    paragraphs: list[Paragraph],
    raw: dict[int, str],
    title: tuple[str, str] | None,
    model: ModelProvenance | None,
    externals: list[ExternalTranslation],
) -> Piece:
    """A piece with its current translation: the pipeline's own when complete, else the first external one.

    The pipeline's translation is complete when every paragraph routed to
    translation is translated (English paragraphs of a mixed piece are kept
    as they are in it). Otherwise, when the input carried translations, the
    first that arrived is the current one; its paragraphs are paired with the
    piece's when its unit is 'paragraph', and no paragraph has a translation
    of its own when it translates the whole piece.
    """
    fields: dict[str, Any] = {}
    routed = [p for p in paragraphs if p.route == "translate"]
    if routed and all(p.translation is not None for p in routed):
        fields = {
            "translation": "\n\n".join(
                p.translation if p.route == "translate" and p.translation is not None else p.text for p in paragraphs
            ),
            "translation_raw": "\n\n".join(raw.get(p.index, "") if p.route == "translate" else p.text for p in paragraphs),
            "translation_unit": "sentence",
            "provenance": model,
            "model": model.name if model else None,
        }
    elif externals:
        current = externals[0]
        fields = {
            "translation": current.text,
            "translation_raw": current.raw,
            "translation_unit": current.unit,
            "provenance": ModelProvenance(id=current.system, external=True),
            "model": current.system,
            "external": True,
        }
        pairs = current.parts if current.unit == "paragraph" and len(current.parts) == len(paragraphs) else None
        paragraphs = [p.model_copy(update={"translation": pairs[i] if pairs else None}) for i, p in enumerate(paragraphs)]
    return Piece(
        id=row["id"],
        source=row["source_path"] or "",
        title=row["title"],
        title_translation=title[0] if title else None,
        title_translation_raw=title[1] if title else None,
        date=row["date"],
        author=row["author"],
        outlet=row["outlet"],
        lang=row["lang"],
        text=row["text"],
        paragraphs=paragraphs,
        status=row["status"],
        reason=row["reason"],
        kind=row["kind"],
        notes=row["ingest_notes"].split("\n") if row["ingest_notes"] else [],
        external_translations=externals,
        input_id=row["input_id"],
        **fields,
    )


INSERT_MATCH = (
    "INSERT INTO matches(source_id, target_id, score, evidence, sentence_pairs, similarity, run_id, relation) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _match_row(m: Match, run_id: int | None) -> tuple[Any, ...]:
    """A match as INSERT_MATCH's values: the aligner's and the reviewers' matches are written alike."""
    evidence = json.dumps(m.evidence, ensure_ascii=False)
    pairs = json.dumps([p.model_dump() for p in m.sentence_pairs])
    return (m.source_id, m.target_id, m.score, evidence, pairs, m.similarity, run_id, m.relation)
