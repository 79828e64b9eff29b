"""Which store and which item an exported task belongs to, in a form an import can check.

Every task the exports write carries ``store_id`` (the store's identity,
made by its first writing run and kept by `store copy`) and ``task_key``, an
HMAC of what the task is about (kind, translated piece, English piece,
system) under a secret that never leaves the store. On import a task from
another project has neither, a task exported from another store names
another ``store_id``, and a task whose ids were edited by hand (in the tool
or in the file) no longer matches its key: each is refused with its reason,
instead of attaching a reviewer's judgement to the wrong pair.
"""

from __future__ import annotations

import hashlib
import hmac

from pipeline.records import StoreIdentity

KEY_CHARS = 24  # 96 bits: enough that an edited id never matches by chance


def task_key(identity: StoreIdentity, kind: str, source_id: str, target_id: str | None, system: str | None) -> str:
    """The key of a task about `source_id` (and `target_id`, as translated by `system`) in this store."""
    message = "\x1f".join([kind, source_id, target_id or "", system or ""]).encode("utf-8")
    return hmac.new(identity.secret.encode("ascii"), message, hashlib.sha256).hexdigest()[:KEY_CHARS]


def task_fields(
    identity: StoreIdentity | None, kind: str, source_id: str, target_id: str | None, system: str | None
) -> dict[str, str | None]:
    """The identity fields an exported task carries (both None for a store that has had no writing run yet)."""
    if identity is None:
        return {"store_id": None, "task_key": None}
    return {"store_id": identity.store_id, "task_key": task_key(identity, kind, source_id, target_id, system)}
