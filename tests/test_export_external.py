"""Translations that arrive with the input (another MT system) export with their sentence pairs."""

from __future__ import annotations

from pathlib import Path

from reliability_support import SEEDS, write_external_translations

from pipeline.align import align_store
from pipeline.config import Config
from pipeline.detect import detect_store
from pipeline.export import export_store
from pipeline.export.data import load_export_data
from pipeline.ingest import ingest_paths
from pipeline.store import open_store


def test_external_translations_resolve_every_sentence_pair(tmp_path: Path):
    jsonl = tmp_path / "external.jsonl"
    write_external_translations(jsonl, count=3)
    config = Config.load(None, {"store.path": str(tmp_path / "s.sqlite")})
    with open_store(config.store.path) as store:
        ingest_paths(store, config, [SEEDS, jsonl])
        detect_store(store, config)
        align_store(store, config)
        data = load_export_data(store)
        external = [m for m in data.matches if m.source.model == "external-mt"]
        assert external, "the reworded seed articles must find their English originals"
        assert not [w for w in data.warnings if "point past" in w]
        for view in external:
            assert view.pairs and all(p.translation and p.english for p in view.pairs)
        report = export_store(store, config, tmp_path / "out")
    assert not [w for w in report.warnings if "point past" in w]
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "report").glob("matches-*.html"))
    for view in external:
        arabic = view.source.text.split()[0]
        assert arabic in pages, "the report shows the Arabic an external translation was made from"
    assert "Came with the input" in pages
