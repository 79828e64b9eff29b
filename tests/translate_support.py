"""Helpers for the translate tests: stores with Arabic pieces, configs pointing at the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.store import Store, now_iso

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FLORES_AR = SHARED / "data" / "flores-dev" / "flores-dev.ar"


def flores(n: int, start: int = 0) -> list[str]:
    lines = FLORES_AR.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines[start : start + n]]


def add_piece(store: Store, piece_id: str, paragraphs: list[str], title: str | None = None, routes: list[str] | None = None) -> None:
    """A piece as detect leaves it: paragraphs with their route ('translate' for Arabic)."""
    routes = routes or ["translate"] * len(paragraphs)
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO pieces(id, title, text, lang, status, created_at) VALUES (?, ?, ?, 'ar', 'detected', ?)",
            (piece_id, title, "\n\n".join(paragraphs), now_iso()),
        )
        tx.executemany(
            "INSERT INTO paragraphs(piece_id, idx, text, lang, route) VALUES (?, ?, ?, ?, ?)",
            [(piece_id, i, text, "ar" if route == "translate" else "en", route) for i, (text, route) in enumerate(zip(paragraphs, routes))],
        )


def make_config(tmp_path: Path, model: Path | str | None, ct2_cache: Path | None = None, **translate: Any) -> Config:
    overrides: dict[str, Any] = {"store.path": str(tmp_path / "store.sqlite")}
    if model is not None:
        overrides["model.path"] = str(model)
    overrides["translate.cache_dir"] = str(ct2_cache or tmp_path / "ct2")
    for key, value in translate.items():
        overrides[f"translate.{key}"] = value
    return Config.load(None, overrides)


def segment_rows(store: Store) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT s.*, t.target_text, t.run_id, t.logprob FROM segments s LEFT JOIN translations t ON t.key = s.translation_key "
        "ORDER BY s.piece_id, s.paragraph_idx, s.sentence_idx"
    ).fetchall()
    return [dict(r) for r in rows]
