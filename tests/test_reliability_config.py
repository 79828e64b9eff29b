"""Configuration files a user gets wrong or a hostile file, through the command line: one line, exit 2, nothing run.

A config or gazetteer file is read only as a regular UTF-8 file of bounded
size, without YAML aliases (an alias bomb of a few hundred bytes expands to
gigabytes); every key is validated before any work, so an unknown section,
an invalid regular expression or an impossible value stops the command at
once with one `error:` line naming the file or the key, and the store is not
touched.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reliability_support import SEEDS, cli, counts, stderr_lines

SEED = SEEDS / "003_d3a64df3fb8f3d34.txt"


def alias_bomb(levels: int = 12, width: int = 10) -> str:
    """YAML of a few hundred bytes whose `ingest.extra_chrome` expands to width**levels strings (10**12 here)."""
    items = ["&a0 [" + ", ".join(['"xxxxxxxxxx"'] * width) + "]"]
    items += [f"&a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]" for level in range(1, levels + 1)]
    return "ingest:\n  extra_chrome: [" + ", ".join(items) + "]\n"


def run_ingest(tmp_path: Path, *args: object) -> object:
    db = tmp_path / "store.sqlite"
    proc = cli("ingest", SEED, "--db", db, *args, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_a_yaml_alias_bomb_inside_a_known_section_is_refused_at_once(tmp_path):
    config = tmp_path / "bomb.yaml"
    config.write_text(alias_bomb(), encoding="utf-8")
    assert config.stat().st_size < 2000
    proc = run_ingest(tmp_path, "--config", config)
    assert proc.returncode == 2
    (error,) = stderr_lines(proc)
    assert error.startswith(f"error: {config}:2:") and "aliases (*name) are not allowed in a config" in error, error
    assert not (tmp_path / "store.sqlite").exists()
    # the same through --set, whose values are YAML too
    proc = run_ingest(tmp_path, "--set", "ingest.extra_chrome=" + alias_bomb().split("extra_chrome: ", 1)[1])
    assert proc.returncode == 2 and "aliases (*name) are not allowed" in proc.stderr


def test_a_yaml_alias_bomb_in_a_gazetteer_file_is_refused_too(tmp_path):
    gazetteer = tmp_path / "outlets.yaml"
    gazetteer.write_text("outlets: &o [{name: A}]\nchrome: [*o, *o, *o]\n", encoding="utf-8")
    proc = run_ingest(tmp_path, "--set", f"ingest.gazetteer={gazetteer}")
    assert proc.returncode == 2
    (error,) = stderr_lines(proc)
    assert error.startswith(f"error: {gazetteer}:2:") and "aliases" in error


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.mkdir(), "is a folder, not a regular file; the config file must be a YAML file"),
        (
            lambda p: p.write_bytes("store:\n  path: أخبار.sqlite\n".encode("cp1256")),
            "the config file is not UTF-8 (byte 15); save it as UTF-8",
        ),
        (lambda p: os.mkfifo(p), "is a FIFO (named pipe), not a regular file; the config file must be a YAML file"),
        (lambda p: p.write_text("storee:\n  path: x.sqlite\n", encoding="utf-8"), "unknown section(s) storee; known: align,"),
        (lambda p: p.write_text("translate:\n  num_beams: [\n", encoding="utf-8"), "not valid YAML"),
        (lambda p: p.write_text("[" * 5000 + "]" * 5000, encoding="utf-8"), "not valid YAML"),
        (lambda p: p.write_bytes(b"# " + b"x" * (2 << 20)), "bytes is too large for a config file"),
    ],
    ids=["folder", "cp1256", "fifo", "misspelt-section", "broken-yaml", "deep-nesting", "huge"],
)
def test_a_config_file_that_cannot_be_one_is_one_line_and_exit_2(tmp_path, make, reason):
    config = tmp_path / "config.yaml"
    make(config)
    proc = run_ingest(tmp_path, "--config", config)
    assert proc.returncode == 2, proc.stderr
    (error,) = stderr_lines(proc)
    assert error.startswith(f"error: {config}") and reason in error, error
    assert not (tmp_path / "store.sqlite").exists()


def test_an_invalid_regular_expression_in_extra_chrome_names_the_key(tmp_path):
    db = tmp_path / "store.sqlite"
    assert cli("ingest", SEED, "--db", db, "--quiet").returncode == 0
    before = counts(db)
    for args in (("--set", 'ingest.extra_chrome=["Share on .*", "(unclosed"]'),):
        proc = run_ingest(tmp_path, *args)
        assert proc.returncode == 2
        (error,) = stderr_lines(proc)
        assert "ingest.extra_chrome" in error and "'(unclosed' is not a valid regular expression" in error, error
    config = tmp_path / "c.yaml"
    config.write_text("ingest:\n  extra_chrome:\n    - '[a-'\n", encoding="utf-8")
    proc = run_ingest(tmp_path, "--config", config)
    assert (
        proc.returncode == 2 and "ingest.extra_chrome" in proc.stderr and "'[a-' is not a valid regular expression" in proc.stderr
    )
    assert counts(db) == before


def test_a_config_naming_a_retired_ingest_key_still_runs_with_one_warning_line(tmp_path):
    """script_switch_words, forum_min_words and teaser_min_items went with the rule cutter: an old config keeps working."""
    config = tmp_path / "old.yaml"
    config.write_text("ingest:\n  script_switch_words: 30\n  teaser_min_items: 3\n  wrapped: false\n", encoding="utf-8")
    proc = run_ingest(tmp_path, "--config", config, "--set", "ingest.forum_min_words=40", "--quiet", "--no-detect")
    assert proc.returncode == 0, proc.stderr
    warnings = stderr_lines(proc, "warning: ")
    assert len(warnings) == 3, warnings
    for key in ("script_switch_words", "teaser_min_items", "forum_min_words"):
        (line,) = [w for w in warnings if f"ingest.{key} " in w]
        assert line.startswith(f"warning: {config}: ") and "no longer has an effect" in line, line
    assert counts(tmp_path / "store.sqlite").pieces > 0
    shown = cli("config", "--config", config)
    assert shown.returncode == 0 and "script_switch_words" not in shown.stdout and "no longer has an effect" in shown.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("ingest:\n  script_switch_word: 30\n", encoding="utf-8")
    proc = run_ingest(tmp_path, "--config", typo)
    assert proc.returncode == 2 and "script_switch_word" in proc.stderr  # a misspelt key is still refused


def _number_settings():
    """(dotted key, field) of every number setting of every section, nested ones (align.weights.*) included."""
    from pydantic import BaseModel

    from pipeline.stages import sections

    def walk(model, prefix):
        for name, field in model.model_fields.items():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                yield from walk(field.annotation, f"{prefix}{name}.")
            elif any(t in str(field.annotation) for t in ("float", "int")):
                yield f"{prefix}{name}", field

    for section, model in sections().items():
        yield from walk(model, f"{section}.")


def test_every_number_setting_is_finite_bounded_and_documented():
    """The mechanism, for every number setting there is (and any added later): .nan and ±.inf refused, bounds declared and documented."""
    from annotated_types import Ge, Gt, Le, Lt

    from pipeline.config import Config, ConfigError
    from pipeline.config_docs import render_markdown, value_range
    from pipeline.stages import sections

    reference = render_markdown(sections())
    keys = list(_number_settings())
    assert len(keys) > 60
    for key, field in keys:
        has_low = any(isinstance(m, Ge | Gt) for m in field.metadata)
        has_high = any(isinstance(m, Le | Lt) for m in field.metadata)
        assert has_low, f"{key} has no lower bound"
        if "float" in str(field.annotation):
            assert has_high, f"{key} has no upper bound"
            section = key.split(".")[0]
            for bad in (float("nan"), float("inf"), float("-inf")):
                config = Config.load(overrides={key: bad})
                with pytest.raises(ConfigError, match=rf"{key}: Input should be a finite number"):
                    config.section(section, sections()[section])
        assert f"| {value_range(field)} |" in reference and value_range(field), key


# The cases (wrong matches at exit 0, exit 1, a lock wait that never ends), by section: one command each.
OUT_OF_BOUNDS = {
    "align": [
        ("align.threshold=.nan", "align.threshold: Input should be a finite number"),
        ("align.date_scale_days=0", "align.date_scale_days: Input should be greater than or equal to 0.01"),
        ("align.entity_scale=0", "align.entity_scale: Input should be greater than or equal to 0.01"),
        ("align.sentence_softness=0", "align.sentence_softness: Input should be greater than or equal to 0.001"),
        ("align.related_threshold=.nan", "align.related_threshold: Input should be a finite number"),
        ("align.length_exponent=-.inf", "align.length_exponent: Input should be a finite number"),
        ("align.number_bonus=.inf", "align.number_bonus: Input should be a finite number"),
    ],
    "align ": [("align.date_scale_days=-1", "align.date_scale_days: Input should be greater than or equal to 0.01")],
    "model": [("model.hub_timeout_s=.inf", "model.hub_timeout_s: Input should be a finite number")],
    "store": [("store.busy_timeout_s=.inf", "store.busy_timeout_s: Input should be a finite number")],
    "store ": [("store.busy_timeout_s=0.0001", "store.busy_timeout_s: Input should be greater than or equal to 0.001")],
    "executor": [
        ("executor.task_cpus=1e-9", "executor.task_cpus: Input should be greater than or equal to 0.0001"),
        ("executor.actor_cpus=1e-9", "executor.actor_cpus: Input should be greater than or equal to 0.0001"),
        ("executor.local_object_store_mb=64", "executor.local_object_store_mb: Input should be greater than or equal to 75"),
    ],
}


@pytest.mark.parametrize("section", sorted(OUT_OF_BOUNDS))
def test_a_number_outside_its_bounds_is_one_line_and_exit_2(section):
    cases = OUT_OF_BOUNDS[section]
    proc = cli("config", *(arg for setting, _ in cases for arg in ("--set", setting)), timeout=60)
    assert proc.returncode == 2, proc.stderr
    (line,) = stderr_lines(proc)
    assert line.startswith("error: config: ") and len(proc.stderr.splitlines()) == 1, proc.stderr
    for _, why in cases:
        assert why in line
