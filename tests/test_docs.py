"""The docs stay true: the README's commands exist and every config key is documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _leaf_keys(node: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in node.items():
        if isinstance(value, dict) and key != "author_outlets":
            keys += _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def test_every_config_key_is_documented():
    """Every key of the package's default config is in the configuration reference (docs/configuration.md)."""
    from pipeline.config import default_config_text

    config = yaml.safe_load(default_config_text())
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = []
    for section, body in config.items():
        for key in _leaf_keys(body):
            if f"`{key}`" not in reference:
                missing.append(f"{section}.{key}")
    assert not missing, f"undocumented config keys (run scripts/config-docs): {missing}"


def test_the_two_readme_commands_exist_and_ci_calls_the_test_one():
    commands = re.findall(r"^(scripts/[\w-]+)\s", README, flags=re.M)
    assert commands[:2] == ["scripts/run-seeds", "scripts/test"]
    for command in commands[:2]:
        assert os.access(ROOT / command, os.X_OK), command
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def _store_of(command: str) -> str:
    """The store a `pipeline run` command line uses: its --db, else the default store.path."""
    found = re.search(r"--db\s+(\S+)", command)
    return found.group(1) if found else "pipeline.sqlite"


def test_the_readmes_alternative_command_uses_the_store_run_seeds_uses():
    """`pipeline status` after either must find the same store (it reads the default one)."""
    run_seeds = next(line for line in (ROOT / "scripts" / "run-seeds").read_text().splitlines() if "pipeline run" in line)
    documented = [line for line in README.splitlines() if re.search(r"pipeline run seeds/", line)]
    assert documented
    assert {_store_of(line) for line in documented} == {_store_of(run_seeds)} == {"pipeline.sqlite"}
