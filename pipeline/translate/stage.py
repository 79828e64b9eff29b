"""The translate stage over the store: segment, look up the cache, translate the rest.

1. Every paragraph routed to translation (route='translate', set by detect)
   and the Arabic title of its piece (paragraph_idx -1) are split into
   sentences once and stored as `segments`. This needs no model, so a run
   without one still records exactly what is pending.
2. Pending segments whose sentence is already in `translations` (same
   model, revision, backend and settings) are linked to it: no model call.
3. The other sentences, each distinct sentence once, go to the model in
   length-sorted batches; each batch is committed in one transaction
   (translation rows + segments.translation_key), so a killed run resumes
   where it stopped, with no sentence lost or translated twice.
4. Pieces whose routed paragraphs are all done become 'translated'; the
   rest stay 'pending' with the reason.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable

from pydantic import BaseModel

from pipeline.config import Config
from pipeline.errors import ModelUnavailable
from pipeline.progress import QUIET, Reporter
from pipeline.store import Store
from pipeline.translate.backends import TranslationResult, load_translator
from pipeline.translate.cache import TranslationCache
from pipeline.translate.settings import TranslatorSettings
from pipeline.translate.split import clean_for_model, split_sentences

EMPTY_PARAGRAPH = "empty paragraph"
NOTHING_TO_TRANSLATE = "nothing to translate: only invisible or control characters"
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")


class TranslateReport(BaseModel):
    """What one translate run did; goes into summary.json."""

    status: str = "done"  # done | nothing_to_translate
    model: str | None = None
    revision: str | None = None
    backend: str | None = None
    settings: dict | None = None
    fallback_reason: str | None = None  # why `auto` did not use CTranslate2
    pieces: int = 0  # pieces with paragraphs routed to translation
    pieces_translated: int = 0
    pieces_pending: int = 0
    segments: int = 0  # sentences of those pieces (titles included)
    segments_skipped: int = 0  # recorded with a reason (empty, invisible characters only)
    cache_hits: int = 0  # segments served without a model call
    new_translations: int = 0  # distinct sentences translated by the model in this run
    pending: int = 0  # segments still without a translation
    model_calls: int = 0  # decoder calls (batches)
    seconds: float = 0.0
    sentences_per_second: float | None = None


def translate_store(
    store: Store,
    config: Config,
    reporter: Reporter = QUIET,
    run_id: int | None = None,
    model_override: str | None = None,
    *,
    after_batch: Callable[[int], None] | None = None,
) -> TranslateReport:
    """Translate every pending Arabic sentence in `store`; see the module docstring.

    `model_override` is the CLI's --model (a folder or hub id). Raises
    :class:`ModelUnavailable` (after marking the pieces pending with the
    reason) when no model can be loaded. `after_batch(n)` is called after the
    n-th batch is committed (used by tests to simulate a crash).
    """
    started = time.perf_counter()
    settings = TranslatorSettings.from_config(config, model_override)
    report = TranslateReport()
    _segment(store)
    pending = _pending_segments(store)
    if not pending:
        report.status = "nothing_to_translate"
        return _finish(store, report, started, None)
    try:
        translator = load_translator(settings, reporter)
    except ModelUnavailable as exc:
        _mark_pieces(store, f"model unavailable: {getattr(exc, 'reason', exc)}")
        raise
    cache = TranslationCache(store, translator, run_id)
    report.model, report.revision = translator.model.model_id, translator.model.revision
    report.backend, report.settings = translator.backend, translator.settings_record
    report.fallback_reason = translator.fallback_reason
    reporter.info(f"translating {len(pending)} sentences with {translator.describe()}")

    by_key: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    source_of: dict[str, str] = {}
    for piece_id, paragraph_idx, sentence_idx, text in pending:
        source = clean_for_model(text)
        key = cache.key(source)
        by_key[key].append((piece_id, paragraph_idx, sentence_idx))
        source_of[key] = source
    known = cache.existing(by_key)
    with reporter.task("translate", total=len(pending), unit="sentences") as task:
        if known:
            with store.transaction() as tx:
                for key in known:
                    _link(tx, key, by_key[key])
            report.cache_hits += sum(len(by_key[k]) for k in known)
            task.advance(sum(len(by_key[k]) for k in known))
        todo = [k for k in by_key if k not in known]
        batches = 0

        def commit(indices: list[int], results: list[TranslationResult]) -> None:
            nonlocal batches
            with store.transaction() as tx:
                for i, result in zip(indices, results):
                    key = todo[i]
                    if cache.add(tx, key, source_of[key], result):
                        report.new_translations += 1
                        report.cache_hits += len(by_key[key]) - 1  # repeats of the sentence in this run
                    else:
                        report.cache_hits += len(by_key[key])
                    _link(tx, key, by_key[key])
            batches += 1
            task.advance(sum(len(by_key[todo[i]]) for i in indices))
            if after_batch is not None:
                after_batch(batches)

        translator.translate([source_of[k] for k in todo], on_batch=commit)
    report.model_calls = translator.model_calls
    return _finish(store, report, started, translator.sentences_translated)


# -- segments ---------------------------------------------------------------------


def _segment(store: Store) -> None:
    """Create the segments of routed paragraphs and Arabic titles that have none yet."""
    conn = store.conn
    paragraphs = conn.execute(
        "SELECT p.piece_id, p.idx, p.text FROM paragraphs p WHERE p.route = 'translate' AND NOT EXISTS "
        "(SELECT 1 FROM segments s WHERE s.piece_id = p.piece_id AND s.paragraph_idx = p.idx)"
    ).fetchall()
    titles = conn.execute(
        "SELECT pc.id, pc.title, pc.title_lang FROM pieces pc WHERE pc.title IS NOT NULL AND TRIM(pc.title) != '' "
        "AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate') "
        "AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.piece_id = pc.id AND s.paragraph_idx = -1)"
    ).fetchall()
    rows: list[tuple[str, int, int, str, str | None]] = []
    for piece_id, idx, text in paragraphs:
        rows.extend(_sentence_rows(piece_id, idx, text))
    for piece_id, title, title_lang in titles:
        # detect's verdict on the title when it gave one (a Persian title is not Arabic), else the script
        if (title_lang == "ar") if title_lang else is_arabic(title):
            rows.extend(_sentence_rows(piece_id, -1, title))
    with store.transaction() as tx:
        # Paragraphs no longer routed to translation (detect ran again) lose their segments.
        tx.execute(
            "DELETE FROM segments WHERE NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = segments.piece_id "
            "AND p.route = 'translate' AND (p.idx = segments.paragraph_idx OR segments.paragraph_idx = -1))"
        )
        tx.executemany(
            "INSERT OR IGNORE INTO segments(piece_id, paragraph_idx, sentence_idx, text, reason) VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def _sentence_rows(piece_id: str, idx: int, text: str) -> list[tuple[str, int, int, str, str | None]]:
    sentences = split_sentences(text)
    if not sentences:
        return [(piece_id, idx, 0, text.strip(), EMPTY_PARAGRAPH)]
    return [
        (piece_id, idx, n, sentence, None if clean_for_model(sentence) else NOTHING_TO_TRANSLATE)
        for n, sentence in enumerate(sentences)
    ]


def is_arabic(text: str) -> bool:
    """At least half of the letters are Arabic script (titles of stores whose detect recorded no title_lang)."""
    letters = _LETTER.findall(text)
    return bool(letters) and sum(1 for ch in letters if _ARABIC.match(ch)) * 2 >= len(letters)


def _pending_segments(store: Store) -> list[tuple[str, int, int, str]]:
    rows = store.conn.execute(
        "SELECT piece_id, paragraph_idx, sentence_idx, text FROM segments "
        "WHERE translation_key IS NULL AND reason IS NULL ORDER BY piece_id, paragraph_idx, sentence_idx"
    ).fetchall()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _link(tx: sqlite3.Connection, key: str, segments: list[tuple[str, int, int]]) -> None:
    tx.executemany(
        "UPDATE segments SET translation_key = ? WHERE piece_id = ? AND paragraph_idx = ? AND sentence_idx = ?",
        [(key, *segment) for segment in segments],
    )


# -- piece status -------------------------------------------------------------------


def _mark_pieces(store: Store, reason: str | None) -> tuple[int, int]:
    """'translated' where every routed paragraph (and the title) is done, else 'pending' with a reason."""
    rows = store.conn.execute(
        "SELECT pc.id, pc.status, "
        "(SELECT COUNT(*) FROM segments s WHERE s.piece_id = pc.id AND s.translation_key IS NULL AND s.reason IS NULL), "
        "(SELECT COUNT(*) FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate' AND NOT EXISTS "
        "   (SELECT 1 FROM segments s WHERE s.piece_id = p.piece_id AND s.paragraph_idx = p.idx)) "
        "FROM pieces pc WHERE EXISTS (SELECT 1 FROM paragraphs p WHERE p.piece_id = pc.id AND p.route = 'translate')"
    ).fetchall()
    translated = pending = 0
    updates = []
    for piece_id, _status, open_segments, unsegmented in rows:
        if open_segments == 0 and unsegmented == 0:
            translated += 1
            updates.append(("translated", None, piece_id))
        else:
            pending += 1
            why = reason or f"{open_segments} sentence(s) not translated yet"
            updates.append(("pending", why, piece_id))
    with store.transaction() as tx:
        tx.executemany("UPDATE pieces SET status = ?, reason = ? WHERE id = ?", updates)
    return translated, pending


def _finish(store: Store, report: TranslateReport, started: float, sentences: int | None) -> TranslateReport:
    report.pieces_translated, report.pieces_pending = _mark_pieces(store, None)
    report.pieces = report.pieces_translated + report.pieces_pending
    counts = store.conn.execute(
        "SELECT COUNT(*), SUM(reason IS NOT NULL AND translation_key IS NULL), "
        "SUM(translation_key IS NULL AND reason IS NULL) FROM segments"
    ).fetchone()
    report.segments, report.segments_skipped, report.pending = counts[0], counts[1] or 0, counts[2] or 0
    report.seconds = round(time.perf_counter() - started, 3)
    if sentences:
        report.sentences_per_second = round(sentences / max(report.seconds, 1e-9), 2)
    return report


__all__ = ["TranslateReport", "translate_store", "is_arabic"]
