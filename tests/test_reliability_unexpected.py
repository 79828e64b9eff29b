"""The last resort: an error no stage expected still ends in one `error:` line, exit 1, and the run marked failed.

Every case of issue 14 now has its own message; this is the net under them
for the next one nobody thought of. A stage is made to fail from the inside
(monkeypatched, in process, through the console entry point `main()`): the
user sees one line that says which exception it was and how to get the
traceback, the run's row says 'failed' (or 'interrupted' for Ctrl-C), and
what earlier stages committed is kept. PIPELINE_DEBUG=1 shows the traceback.
"""

from __future__ import annotations

import sys

import pytest
from reliability_support import SEEDS, counts, run_statuses

from pipeline import cli
from pipeline.detect import DetectStage

SEED = SEEDS / "003_d3a64df3fb8f3d34.txt"


def boom(*_: object, **__: object) -> None:
    raise RuntimeError("a bug nobody expected")


def interrupt(*_: object, **__: object) -> None:
    raise KeyboardInterrupt


def run_main(monkeypatch: pytest.MonkeyPatch, *args: object) -> int:
    monkeypatch.setattr(sys, "argv", ["pipeline", *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0)


def test_an_unexpected_error_in_a_stage_is_one_line_exit_1_and_the_run_failed(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PIPELINE_DEBUG", raising=False)
    monkeypatch.setattr(DetectStage, "run", boom)
    db = tmp_path / "store.sqlite"
    assert run_main(monkeypatch, "ingest", SEED, "--db", db, "--quiet") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()] == [
        "error: unexpected RuntimeError: a bug nobody expected (please report it; rerun with PIPELINE_DEBUG=1 for the traceback)"
    ]
    assert run_statuses(db) == ["failed"]
    assert counts(db).pieces > 0  # what ingest committed before the failure is kept


def test_pipeline_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_DEBUG", "1")
    monkeypatch.setattr(DetectStage, "run", boom)
    monkeypatch.setattr(sys, "argv", ["pipeline", "ingest", str(SEED), "--db", str(tmp_path / "store.sqlite"), "--quiet"])
    with pytest.raises(RuntimeError, match="a bug nobody expected"):
        cli.main()
    assert "error: unexpected RuntimeError" in capsys.readouterr().err


def test_ctrl_c_in_a_stage_is_exit_130_and_the_run_interrupted(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(DetectStage, "run", interrupt)
    db = tmp_path / "store.sqlite"
    assert run_main(monkeypatch, "ingest", SEED, "--db", db, "--quiet") == 130
    assert "error: interrupted; what was committed is kept" in capsys.readouterr().err
    assert run_statuses(db) == ["interrupted"]
