"""The terminal: usage errors exit 2 on every verb, and translate says which model it loads before loading it."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_factory import seeds_like_store
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import EXIT_USAGE

READERS = [["detect"], ["translate"], ["diagnose"], ["align"], ["export"], ["status"], ["evaluate"]]


@pytest.mark.parametrize("verb", READERS, ids=lambda v: v[0])
def test_a_verb_without_a_store_is_a_usage_error_and_creates_none(tmp_path: Path, verb: list[str]):
    missing = tmp_path / "none.sqlite"
    result = CliRunner().invoke(app, [*verb, "--db", str(missing)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "none.sqlite: no store" in " ".join(result.stderr.split())
    assert not missing.exists()


def test_evaluate_with_nothing_to_score_is_a_usage_error(tmp_path: Path):
    db = tmp_path / "store.sqlite"
    seeds_like_store(db).close()
    result = CliRunner().invoke(app, ["evaluate", "--db", str(db)])
    assert result.exit_code == EXIT_USAGE
    assert "no references in the store" in " ".join(result.stderr.split())


def test_translate_says_which_model_it_loads_before_loading_it(tmp_path: Path, tiny_model_dir: Path):
    db = tmp_path / "store.sqlite"
    seeds_like_store(db).close()  # one Arabic piece pending: two sentences and its title
    result = CliRunner().invoke(
        app, ["translate", "--db", str(db), "--model", str(tiny_model_dir), "--set", "translate.backend=transformers"]
    )
    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    loading = f"loading model {tiny_model_dir} (transformers backend) for 3 sentences to translate..."
    assert loading in err and err.index(loading) < err.index("translating 3 sentences with")
    quiet = CliRunner().invoke(app, ["translate", "--db", str(db), "--model", str(tiny_model_dir), "-q"])
    assert quiet.exit_code == 0 and "loading model" not in quiet.stderr
