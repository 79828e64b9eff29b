"""Translation in a pool of workers (Ray actors), exactly once through the store.

The driver (the translate stage) does what it does in one process — splits
sentences, finds pending ones, links the cached ones — and loads the model
once itself, for two reasons: its identity (model, revision, backend,
settings) makes the cache keys, and its tokenizer plans the batches exactly
as a local run would (:meth:`~pipeline.translate.backends.Translator.batches`),
so a pool translates each sentence in the same company, with the same
result. Each batch is then an item for the pool.

A :class:`TranslateActor` loads the model once, with the driver's backend,
device and compute type pinned and its threads set to the CPUs Ray gave it
(inside a 1-CPU actor the CPU affinity still shows every core), and refuses
to work if its identity differs from the driver's: its translations would be
stored under keys the run did not make. Then, per batch:

1. ask the store which keys it already holds (a batch retried after its
   actor died, or an orphan actor of a killed run, may have stored it): no
   model call for those;
2. translate the rest;
3. in one transaction, insert the translations (``ON CONFLICT DO NOTHING``)
   and link every segment of the batch that has no link yet;
4. return the keys this call inserted: the driver counts new translations
   from them, never from model calls, so a retried batch counts nothing twice.

Ray runs a batch at least once; the store makes it count once. Each thread
that calls an actor has its own connection to the store (Ray Data calls an
actor from threads other than the one that built it), so an SQLite store
works in a pool on one node as a PostgreSQL one does on many.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, PipelineError
from pipeline.records import SegmentRef
from pipeline.store import Store, is_url, open_store
from pipeline.translate.backends import Translator, load_translator
from pipeline.translate.cache import TranslationCache
from pipeline.translate.settings import TranslatorSettings

Identity = tuple[str, str, str, str]  # model, revision, backend, settings (JSON)


@dataclass(frozen=True)
class TranslateJob:
    """What every actor of the pool needs: where the store is, how to load the model, what it must be."""

    store: str  # a postgresql:// URL, or the absolute path of an SQLite file
    busy_timeout_s: float
    settings: TranslatorSettings
    identity: Identity
    run_id: int | None


@dataclass(frozen=True)
class TranslateBatch:
    """One planned batch: distinct sentences (cleaned for the model), their keys, and the segments that have each."""

    keys: list[str]
    sources: list[str]
    refs: list[list[SegmentRef]]


@dataclass(frozen=True)
class BatchDone:
    """What one batch stored."""

    keys: list[str]
    inserted: list[str]  # keys this call inserted (none when the batch had been stored before)
    translated: int  # sentences sent to the model
    model_calls: int
    worker: str  # host and pid of the actor, for the log


def identity_of(cache: TranslationCache) -> Identity:
    return cache.model, cache.revision, cache.backend, json.dumps(cache.settings, sort_keys=True)


def make_job(
    translator: Translator,
    cache: TranslationCache,
    settings: TranslatorSettings,
    location: str,
    busy_timeout_s: float,
    run_id: int | None,
) -> TranslateJob:
    """The job for the pool: the driver's model folder, backend, device and compute type pinned."""
    pinned = {"backend": translator.backend, "device": getattr(translator, "device", settings.translate.device)}
    compute_type = getattr(translator, "compute_type", None)
    if compute_type is not None:
        pinned["compute_type"] = compute_type
    settings = settings.model_copy(
        update={
            "model": settings.model.model_copy(update={"path": str(translator.model.path)}),
            "translate": settings.translate.model_copy(update=pinned),
        }
    )
    store = location if is_url(location) else str(Path(location).resolve())
    return TranslateJob(store, busy_timeout_s, settings, identity_of(cache), run_id)


def check_store_reachable(location: str, nodes: int) -> None:
    """An SQLite file lives on one machine: a pool spread over several needs a PostgreSQL store."""
    if nodes > 1 and not is_url(location):
        raise ConfigError(
            f"{location}: an SQLite store is one file on one machine, and this Ray cluster has {nodes} nodes; "
            "use a PostgreSQL store (--db postgresql://...; `pipeline store copy` moves this one there)"
        )


class TranslateActor:
    """One worker of the pool: the model loaded once, one batch per call (see the module docstring)."""

    def __init__(self, job: TranslateJob):
        threads = _assigned_cpus()
        translate = job.settings.translate.model_copy(update={"threads": threads} if threads else {})
        self.translator = load_translator(job.settings.model_copy(update={"translate": translate}))
        self.cache = TranslationCache(self.translator, job.run_id)
        mine = identity_of(self.cache)
        if mine != job.identity:
            raise PipelineError(
                f"a translation worker on {socket.gethostname()} loaded the model as {mine}, but this run keys its "
                f"translations as {job.identity}: every node must have the same model files and libraries"
            )
        self.job = job
        self._local = threading.local()
        self.store  # noqa: B018 - opened now: a store that cannot be reached fails the pool before any model call
        node = _ray_node()
        self.worker = f"{socket.gethostname()} pid {os.getpid()}" + (f" node {node[:8]}" if node else "")

    @property
    def store(self) -> Store:
        """This thread's connection to the store.

        Ray Data builds the actor in one thread and calls it from others (a
        thread pool), and a store connection belongs to the thread that
        opened it (sqlite3 refuses any other; a transaction must not be
        shared either): each thread opens its own.
        """
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.job.store, self.job.busy_timeout_s, create=False)
        return store

    def __call__(self, batch: TranslateBatch) -> BatchDone:
        existing = self.store.existing_translations(batch.keys)
        todo = [i for i, key in enumerate(batch.keys) if key not in existing]
        calls = self.translator.model_calls
        results = self.translator.translate([batch.sources[i] for i in todo]) if todo else []
        records = [self.cache.record(batch.keys[i], batch.sources[i], result) for i, result in zip(todo, results)]
        inserted = self.store.save_translations(records, dict(zip(batch.keys, batch.refs)))
        return BatchDone(batch.keys, sorted(inserted), len(todo), self.translator.model_calls - calls, self.worker)


def _ray() -> Any:
    """The ray module when this process is a Ray worker (already imported there), else None."""
    ray = sys.modules.get("ray")
    return ray if ray is not None and ray.is_initialized() else None


def _assigned_cpus() -> int | None:
    """Whole CPUs Ray assigned to this actor (None outside Ray)."""
    ray = _ray()
    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 0) if ray else 0
    return max(1, int(cpus)) if cpus else None


def _ray_node() -> str | None:
    ray = _ray()
    return str(ray.get_runtime_context().get_node_id()) if ray else None
