"""The store: schema versioning, WAL, transactions that roll back, the run lock."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlite_surgery import is_wal, set_schema_version
from store_factory import source_file

from pipeline.config import Config, Settings
from pipeline.errors import ConfigError, StorageError, StoreBusy
from pipeline.records import IngestedPiece
from pipeline.store import open_store
from pipeline.store.schema import SCHEMA_VERSION


def test_new_store_is_migrated_and_in_wal_mode(tmp_path):
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert is_wal(path)
    with open_store(path) as again:  # reopening does not re-run migrations
        assert again.schema_version == SCHEMA_VERSION


def test_store_from_a_newer_pipeline_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    open_store(path).close()
    set_schema_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(StorageError, match="newer"):
        open_store(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just text, not a database " * 100)
    with pytest.raises(StorageError, match=r"not a pipeline store \(not an SQLite file\); refusing to touch it"):
        open_store(path)
    assert path.read_text() == "just text, not a database " * 100  # left exactly as it was


def test_transaction_rolls_back_on_error(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        with pytest.raises(RuntimeError), store.writing_source(source_file("d.txt"), None) as writer:
            writer.add_piece(IngestedPiece(id="p1", position=0, paragraphs=["x"]))
            raise RuntimeError("crash mid-way")
        assert store.rows("pieces") == [] and store.rows("sources") == [] and store.rows("paragraphs") == []


def test_second_writer_run_is_refused_while_first_holds_the_lock(tmp_path):
    path = tmp_path / "s.sqlite"
    with open_store(path) as first:
        first.acquire_run_lock()
        code = (
            "import sys; from pipeline.store import open_store; from pipeline.errors import StoreBusy\n"
            f"s = open_store({str(path)!r})\n"
            "try:\n    s.acquire_run_lock()\nexcept StoreBusy as e:\n    print(e); sys.exit(5)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode == 5
        assert "another pipeline run" in proc.stdout
    # released when the holder closes: a new writer gets it
    with open_store(path) as later:
        later.acquire_run_lock()


def test_lock_in_same_process_is_exclusive(tmp_path):
    path = tmp_path / "s.sqlite"
    with open_store(path) as a, open_store(path) as b:
        a.acquire_run_lock()
        with pytest.raises(StoreBusy):
            b.acquire_run_lock()


class _Demo(Settings):
    threshold: float = 0.5


def test_config_sections_validate_and_reject_typos(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("demo:\n  threshold: 0.7\n")
    assert Config.load(cfg_file).section("demo", _Demo).threshold == 0.7
    cfg_file.write_text("demo:\n  treshold: 0.7\n")
    with pytest.raises(ConfigError, match="treshold"):
        Config.load(cfg_file).section("demo", _Demo)


def test_config_overrides_and_missing_file(tmp_path):
    cfg = Config.load(None, {"store.path": str(tmp_path / "x.sqlite")})
    assert cfg.store.path.endswith("x.sqlite")
    with pytest.raises(ConfigError, match="not found"):
        Config.load(tmp_path / "missing.yaml")


def test_default_config_file_parses_every_known_section():
    cfg = Config.load()
    assert cfg.store.path and cfg.output.dir
