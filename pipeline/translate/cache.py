"""The translation cache: the `translations` table, keyed by what determines the output.

The key is a SHA-256 of (model id, revision, backend, decoding settings,
source sentence as the model sees it), so re-running a dump, or a dump that
repeats old sentences, costs no model call; changing any of those inputs
gives new keys and old translations are simply not reused. Each row keeps
its provenance (model, revision, backend, settings, created_at, run_id) and
the mean log-probability of the output.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from pipeline.store import Store, now_iso
from pipeline.translate.backends import TranslationResult, Translator


def translation_key(model: str, revision: str, backend: str, settings: dict[str, Any], source: str) -> str:
    payload = json.dumps([model, revision, backend, settings, source], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class TranslationCache:
    """Keys and rows of the `translations` table for one loaded translator."""

    def __init__(self, store: Store, translator: Translator, run_id: int | None):
        self.store = store
        self.model = translator.model.model_id
        self.revision = translator.model.revision
        self.backend = translator.backend
        self.settings = translator.settings_record
        self.settings_json = json.dumps(self.settings, sort_keys=True)
        self.run_id = run_id

    def key(self, source: str) -> str:
        return translation_key(self.model, self.revision, self.backend, self.settings, source)

    def existing(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` already have a translation."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self.store.conn.execute(
                f"SELECT key FROM translations WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update(r[0] for r in rows)
        return found

    def add(self, tx: sqlite3.Connection, key: str, source: str, result: TranslationResult) -> bool:
        """Insert one translation inside the caller's transaction; False if it was already there."""
        cursor = tx.execute(
            "INSERT OR IGNORE INTO translations(key, model, revision, backend, settings, source_text, target_text, "
            "logprob, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                self.model,
                self.revision,
                self.backend,
                self.settings_json,
                source,
                result.text,
                result.logprob,
                now_iso(),
                self.run_id,
            ),
        )
        return cursor.rowcount == 1
