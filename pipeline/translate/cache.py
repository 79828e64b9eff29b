"""The translation cache key: a hash of everything that determines a translation.

The key is a SHA-256 of (model id, revision, backend, decoding settings,
source sentence as the model sees it), so re-running a dump, or a dump that
repeats old sentences, costs no model call; changing any of those inputs
gives new keys and old translations are simply not reused. The store keeps
each translation under its key with its provenance (model, revision,
backend, settings, created_at, run_id) and the mean log-probability, and
the output twice: readable (what every export shows, pipeline/text/readable.py)
and raw, exactly as the model wrote it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pipeline.records import Translation
from pipeline.text.readable import readable
from pipeline.translate.backends import TranslationResult, Translator


def translation_key(model: str, revision: str, backend: str, settings: dict[str, Any], source: str) -> str:
    payload = json.dumps([model, revision, backend, settings, source], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class TranslationCache:
    """Keys and provenance of the translations one loaded translator makes."""

    def __init__(self, translator: Translator, run_id: int | None):
        self.model = translator.model.model_id
        self.revision = translator.model.revision
        self.backend = translator.backend
        self.settings = translator.settings_record
        self.run_id = run_id

    def key(self, source: str) -> str:
        return translation_key(self.model, self.revision, self.backend, self.settings, source)

    def record(self, key: str, source: str, result: TranslationResult) -> Translation:
        """The record the store keeps for one model output."""
        return Translation(
            key=key,
            source_text=source,
            target_text=readable(result.text),
            raw_text=result.text,
            model=self.model,
            revision=self.revision,
            backend=self.backend,
            settings=self.settings,
            logprob=result.logprob,
            run_id=self.run_id,
        )
