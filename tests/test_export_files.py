"""The output folder: atomic writes, no escape from the folder, clear errors; the CLI verb."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from store_factory import seeds_like_store
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config
from pipeline.errors import EXIT_STORAGE, EXIT_USAGE, StorageError
from pipeline.export import export_store
from pipeline.output import OutputDir


def test_a_failed_write_leaves_the_previous_file_and_no_temp_file(tmp_path):
    out = OutputDir(tmp_path)
    out.write_text("pieces.jsonl", "old complete content\n")

    def crash(handle):
        handle.write("half of the new ")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        out.write_with("pieces.jsonl", crash)
    assert (tmp_path / "pieces.jsonl").read_text() == "old complete content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pieces.jsonl"]


def test_written_files_get_the_usual_permissions_not_the_temp_files_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        path = OutputDir(tmp_path).write_text("summary.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "sub/dir.txt", "..", ".hidden", "a\x00b", ""])
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name):
    with pytest.raises(StorageError, match="refusing output file name"):
        OutputDir(tmp_path / "out").write_text(name, "x")
    assert not (tmp_path / "escape.txt").exists()


def test_symlinked_output_file_pointing_outside_is_refused(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("do not overwrite")
    out = tmp_path / "out"
    out.mkdir()
    (out / "pieces.jsonl").symlink_to(outside)
    with seeds_like_store(tmp_path / "s.sqlite") as store, pytest.raises(StorageError, match="outside the output folder"):
        export_store(store, Config.load(), out, ["jsonl"])
    assert outside.read_text() == "do not overwrite"


def test_a_symlink_inside_the_folder_is_replaced_not_written_through(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    (out / "report.html").symlink_to(out / "old.txt")
    OutputDir(out).write_text("report.html", "<p>new</p>")
    assert not (out / "report.html").is_symlink() and (out / "report.html").read_text() == "<p>new</p>"
    assert (out / "old.txt").read_text() == "keep me"


@contextmanager
def unprivileged():
    """Permission bits do not stop root: drop the effective uid for the block when we are root."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_read_only_output_folder_is_a_clear_error_naming_it(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="ro-out-"))  # under /tmp, reachable by an unprivileged uid
    try:
        folder.chmod(0o555)
        with seeds_like_store(tmp_path / "s.sqlite") as store, unprivileged(), pytest.raises(StorageError) as caught:
            export_store(store, Config.load(), folder)
        assert str(folder) in str(caught.value) and "not writable" in str(caught.value)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
        folder.rmdir()


def test_an_output_path_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(StorageError, match="not a folder"):
        OutputDir(tmp_path / "out")


# -- the CLI verb ------------------------------------------------------------------------------------


def test_cli_export_writes_the_chosen_formats(tmp_path):
    seeds_like_store(tmp_path / "s.sqlite").close()
    result = CliRunner().invoke(
        app,
        ["export", "--db", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out"), "--format", "tmx,csv", "-f", "html", "-q"],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "pairs.csv",
        "pairs.tmx",
        "report",
        "report.html",
        "summary.json",
    ]


def test_cli_export_defaults_to_every_format(tmp_path):
    seeds_like_store(tmp_path / "s.sqlite").close()
    result = CliRunner().invoke(app, ["export", "--db", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").iterdir())) == 11  # 10 files and the report's folder
    assert str(tmp_path / "out" / "report.html") in result.output


def test_cli_export_refuses_an_unknown_format_and_a_missing_store(tmp_path):
    seeds_like_store(tmp_path / "s.sqlite").close()
    runner = CliRunner()
    bad = runner.invoke(app, ["export", "--db", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "o"), "-f", "xliff"])
    assert bad.exit_code == EXIT_USAGE and not (tmp_path / "o").exists()
    missing = runner.invoke(app, ["export", "--db", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "o")])
    assert missing.exit_code != 0 and not (tmp_path / "none.sqlite").exists()


def test_cli_export_into_a_file_path_exits_with_the_storage_code(tmp_path):
    seeds_like_store(tmp_path / "s.sqlite").close()
    (tmp_path / "out").write_text("not a folder")
    result = CliRunner().invoke(app, ["export", "--db", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_STORAGE
