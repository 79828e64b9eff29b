"""Helpers for the translate tests: stores with Arabic pieces, configs pointing at the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store_factory import ingest_pieces, ingested

from pipeline.config import Config
from pipeline.records import Detection, RoutedParagraph
from pipeline.store import Store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FLORES_AR = SHARED / "data" / "flores-dev" / "flores-dev.ar"


def flores(n: int, start: int = 0) -> list[str]:
    lines = FLORES_AR.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines[start : start + n]]


def add_piece(
    store: Store,
    piece_id: str,
    paragraphs: list[str],
    title: str | None = None,
    routes: list[str] | None = None,
    title_lang: str | None = None,
) -> None:
    """A piece as detect leaves it: paragraphs with their route ('translate' for Arabic), the title's language."""
    routes = routes or ["translate"] * len(paragraphs)
    ingest_pieces(store, f"{piece_id}.txt", [ingested(piece_id, paragraphs, title)])
    routed = [
        RoutedParagraph(index=i, lang="ar" if route == "translate" else "en", score=1.0, route=route)
        for i, route in enumerate(routes)
    ]
    arabic = "translate" in routes
    store.save_detections(
        [
            Detection(
                piece_id=piece_id,
                lang="ar" if arabic else "en",
                score=1.0,
                status="pending" if arabic else "english",
                title_lang=title_lang,
                reason=None,
                paragraphs=routed,
            )
        ]
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
    """Every segment in reading order, with its translation's text, run and log-probability (None while pending)."""
    translations = {t["key"]: t for t in store.rows("translations")}
    rows = []
    for segment in store.rows("segments"):
        t = translations.get(segment["translation_key"], {})
        rows.append({**segment, "target_text": t.get("target_text"), "run_id": t.get("run_id"), "logprob": t.get("logprob")})
    return rows
