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

With an executor that fans out (``--executor ray``), step 3's batches —
the very batches a local run makes — go to a pool of workers that load the
model once each and store their batches themselves, exactly once
(:mod:`pipeline.translate.pool`); steps 1, 2 and 4 stay on the driver.

A piece whose input carried a translation (another MT system's, see
pipeline/ingest/stage.py) is 'translated' already and is not sent to the
model, unless `translate.retranslate_external` asks for ours too; so a run
over other systems' translations needs no model at all. Without that
setting, segments of such pieces the model had not finished are dropped
(their finished translations stay in the cache).

Model outputs are stored readable (entities unescaped, Moses tokenisation
repaired: pipeline/text/readable.py) with the raw output beside them, and
the model's provenance (ResolvedModel.provenance()) goes into the store's
`models` table and this stage's report.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr

from pipeline.config import Config
from pipeline.errors import EXIT_MODEL_UNAVAILABLE, EXIT_OK, ModelUnavailable
from pipeline.executor import Executor
from pipeline.progress import QUIET, Reporter, Task
from pipeline.records import TITLE_PARAGRAPH, ModelProvenance, Segment, SegmentRef, TextToSplit
from pipeline.stage import Report, RunContext
from pipeline.store import Store
from pipeline.text.normalise import for_model
from pipeline.text.script import is_arabic
from pipeline.text.sentences import split_arabic
from pipeline.translate.backends import TranslationResult, Translator, load_translator
from pipeline.translate.cache import TranslationCache
from pipeline.translate.pool import TranslateActor, TranslateBatch, check_store_reachable, make_job
from pipeline.translate.settings import TranslatorSettings

EMPTY_PARAGRAPH = "empty paragraph"
NOTHING_TO_TRANSLATE = "nothing to translate: only invisible or control characters"


class TranslateReport(Report):
    """What one translate run did; goes into summary.json."""

    status: str = "done"  # done | nothing_to_translate | model_unavailable
    model: str | None = None
    revision: str | None = None
    backend: str | None = None
    settings: dict[str, Any] | None = None
    fallback_reason: str | None = None  # why `auto` did not use CTranslate2
    provenance: dict[str, Any] | None = None  # the model loaded: ResolvedModel.provenance() (ref, weights, sha256, ...)
    pieces: int = 0  # pieces with paragraphs routed to translation
    pieces_translated: int = 0
    pieces_pending: int = 0
    external: dict[str, int] = Field(default_factory=dict)  # system -> pieces whose input carried its translation
    external_segments_dropped: int = 0  # unfinished segments of such pieces, dropped (retranslate_external off)
    segments: int = 0  # sentences of those pieces (titles included)
    segments_skipped: int = 0  # recorded with a reason (empty, invisible characters only)
    cache_hits: int = 0  # segments served without a model call
    new_translations: int = 0  # distinct sentences translated by the model in this run
    pending: int = 0  # segments still without a translation
    model_calls: int = 0  # decoder calls (batches)
    seconds: float = 0.0
    sentences_per_second: float | None = None
    _problem: str | None = PrivateAttr(default=None)  # the model error, with how to fix it

    def exit_code(self) -> int:
        return EXIT_MODEL_UNAVAILABLE if self.status == "model_unavailable" else EXIT_OK

    def messages(self) -> list[str]:
        return [self._problem] if self._problem else []


class TranslateStage:
    """Arabic sentences → English, through the cache first."""

    name: ClassVar[str] = "translate"
    read_only: ClassVar[bool] = False
    writes_outputs: ClassVar[bool] = False

    def settings(self, config: Config) -> TranslatorSettings:
        return TranslatorSettings.from_config(config)

    def run(self, store: Store, settings: TranslatorSettings, ctx: RunContext) -> TranslateReport:
        pool = _Pool(ctx.executor, ctx.config.store.location, ctx.config.store.busy_timeout_s) if ctx.executor.fans_out else None
        return _translate(store, settings, ctx.reporter, ctx.run_id, None, pool)


def translate_store(
    store: Store,
    config: Config,
    reporter: Reporter = QUIET,
    run_id: int | None = None,
    *,
    after_batch: Callable[[int], None] | None = None,
) -> TranslateReport:
    """Translate every pending Arabic sentence in `store` (the Python API; see the module docstring).

    Without a loadable model the pieces are marked pending with the reason and
    the report says `model_unavailable` (exit code 4). `after_batch(n)` is
    called after the n-th batch is committed (tests use it to simulate a crash).
    """
    return _translate(store, TranslatorSettings.from_config(config), reporter, run_id, after_batch)


def _translate(
    store: Store,
    settings: TranslatorSettings,
    reporter: Reporter,
    run_id: int | None,
    after_batch: Callable[[int], None] | None,
    pool: _Pool | None = None,
) -> TranslateReport:
    started = time.perf_counter()
    report = TranslateReport()
    with_external = settings.translate.retranslate_external
    if not with_external:
        report.external_segments_dropped = store.drop_unfinished_external_segments()
    store.save_segments(_new_segments(store.texts_to_split(with_external)))
    pending = store.pending_segments()
    if not pending:
        report.status = "nothing_to_translate"
        return _finish(store, report, started, None)
    reporter.info(
        f"loading model {settings.model_source()} ({settings.translate.backend} backend) "
        f"for {len(pending)} sentences to translate..."
    )
    try:
        translator = load_translator(settings, reporter)
    except ModelUnavailable as exc:
        report.status = "model_unavailable"
        report._problem = str(exc)
        return _finish(store, report, started, None, f"model unavailable: {exc.reason}")
    cache = TranslationCache(translator, run_id)
    provenance = translator.model.provenance()
    store.save_model(ModelProvenance(**provenance), run_id)
    report.provenance = provenance
    report.model, report.revision = translator.model.model_id, translator.model.revision
    report.backend, report.settings = translator.backend, translator.settings_record
    report.fallback_reason = translator.fallback_reason
    reporter.info(f"translating {len(pending)} sentences with {translator.describe()}")

    by_key: dict[str, list[SegmentRef]] = defaultdict(list)
    source_of: dict[str, str] = {}
    for segment in pending:
        source = for_model(segment.text)
        key = cache.key(source)
        by_key[key].append(segment.ref)
        source_of[key] = source
    known = store.existing_translations(by_key)
    with reporter.task("translate", total=len(pending), unit="sentences") as task:
        if known:
            store.link_translations({key: by_key[key] for key in known})
            report.cache_hits += sum(len(by_key[k]) for k in known)
            task.advance(sum(len(by_key[k]) for k in known))
        todo = [k for k in by_key if k not in known]
        if pool is not None:
            sentences = _translate_on_pool(
                store, pool, translator, cache, settings, todo, by_key, source_of, report, task, run_id, reporter
            )
            return _finish(store, report, started, sentences)
        batches = 0

        def commit(indices: list[int], results: list[TranslationResult]) -> None:
            nonlocal batches
            keys = [todo[i] for i in indices]
            records = [cache.record(key, source_of[key], result) for key, result in zip(keys, results)]
            inserted = store.save_translations(records, {key: by_key[key] for key in keys})
            for key in keys:
                if key in inserted:
                    report.new_translations += 1
                    report.cache_hits += len(by_key[key]) - 1  # repeats of the sentence in this run
                else:
                    report.cache_hits += len(by_key[key])
            batches += 1
            task.advance(sum(len(by_key[key]) for key in keys))
            if after_batch is not None:
                after_batch(batches)

        translator.translate([source_of[k] for k in todo], on_batch=commit)
    report.model_calls = translator.model_calls
    return _finish(store, report, started, translator.sentences_translated)


# -- in a pool of workers (executor.kind: ray) ------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    executor: Executor
    location: str  # the store as configured (workers open it themselves)
    busy_timeout_s: float


def _translate_on_pool(
    store: Store,
    pool: _Pool,
    translator: Translator,
    cache: TranslationCache,
    settings: TranslatorSettings,
    todo: list[str],
    by_key: dict[str, list[SegmentRef]],
    source_of: dict[str, str],
    report: TranslateReport,
    task: Task,
    run_id: int | None,
    reporter: Reporter,
) -> int:
    """The batches a local run would make, translated and stored by the pool's actors (pipeline.translate.pool).

    New translations are the rows this run stored. Each batch reports the
    keys it inserted, but an actor that died after committing a batch never
    reports it, and the batch's retry finds it stored: so the count is taken
    from the store (rows with this run's id), and cache hits are the other
    segments the batches linked, as in the local loop. Returns the sentences
    sent to the model.
    """
    if not todo:
        return 0
    check_store_reachable(pool.location, pool.executor.nodes())
    job = make_job(translator, cache, settings, pool.location, pool.busy_timeout_s, run_id)
    batches = [
        TranslateBatch([todo[i] for i in batch], [source_of[todo[i]] for i in batch], [by_key[todo[i]] for i in batch])
        for batch in translator.batches([source_of[k] for k in todo])
    ]
    reporter.info(f"{len(batches)} batches to {pool.executor.kind} translation workers")
    sentences = reported = segments = 0
    workers: set[str] = set()
    for done in pool.executor.map_pool(partial(TranslateActor, job), batches, name="TranslateActor"):
        reported += len(done.inserted)
        segments += sum(len(by_key[key]) for key in done.keys)
        report.model_calls += done.model_calls
        sentences += done.translated
        workers.add(done.worker)
        task.advance(sum(len(by_key[key]) for key in done.keys))
    new = store.translations_made_by(run_id) if run_id is not None else reported
    if new != reported:
        reporter.info(f"{new - reported} translation(s) were stored by a worker that died before it could report them")
    report.new_translations += new
    report.cache_hits += segments - new
    if workers:
        reporter.info(f"translated by {len(workers)} worker(s): {', '.join(sorted(workers))}")
    return sentences


# -- segments ---------------------------------------------------------------------


def _new_segments(texts: list[TextToSplit]) -> list[Segment]:
    """Segments of routed paragraphs, and of titles that are Arabic (detect's verdict, else the script)."""
    segments: list[Segment] = []
    for item in texts:
        if item.paragraph_index == TITLE_PARAGRAPH and not (
            (item.title_lang == "ar") if item.title_lang else is_arabic(item.text)
        ):
            continue  # a Persian or English title is not sent to the model
        segments.extend(split_segments(item.piece_id, item.paragraph_index, item.text))
    return segments


def split_segments(piece_id: str, paragraph_index: int, text: str) -> list[Segment]:
    """A paragraph's sentences as segments; one needing no translation carries the reason."""
    sentences = split_arabic(text)
    if not sentences:
        return [
            Segment(
                piece_id=piece_id, paragraph_index=paragraph_index, sentence_index=0, text=text.strip(), reason=EMPTY_PARAGRAPH
            )
        ]
    return [
        Segment(
            piece_id=piece_id,
            paragraph_index=paragraph_index,
            sentence_index=n,
            text=sentence,
            reason=None if for_model(sentence) else NOTHING_TO_TRANSLATE,
        )
        for n, sentence in enumerate(sentences)
    ]


def _finish(
    store: Store, report: TranslateReport, started: float, sentences: int | None, reason: str | None = None
) -> TranslateReport:
    """Piece statuses brought up to date ('pending' with `reason` when given), and the counts filled in."""
    report.pieces_translated, report.pieces_pending = store.refresh_translation_status(reason)
    report.pieces = report.pieces_translated + report.pieces_pending
    report.external = store.external_systems()
    counts = store.segment_counts()
    report.segments, report.segments_skipped, report.pending = counts.total, counts.skipped, counts.pending
    report.seconds = round(time.perf_counter() - started, 3)
    if sentences:
        report.sentences_per_second = round(sentences / max(report.seconds, 1e-9), 2)
    return report


__all__ = ["TranslateReport", "TranslateStage", "split_segments", "translate_store"]
