"""Configuration: one YAML file, one section per stage.

Each stage declares its own pydantic settings model with defaults and reads
its section through :meth:`Config.section`; the YAML only overrides. This
keeps stages swappable (a new stage brings its own settings) and makes a typo
in a key an error instead of a silently ignored value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"

S = TypeVar("S", bound=BaseModel)


class Settings(BaseModel):
    """Base for stage settings: unknown keys are rejected so typos surface."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class StoreSettings(Settings):
    path: str = "pipeline.sqlite"
    busy_timeout_s: float = 30.0


class OutputSettings(Settings):
    dir: str = "out"


class Config:
    """The merged configuration: defaults, then the YAML file, then overrides."""

    def __init__(self, raw: dict[str, Any] | None = None, path: Path | None = None):
        self.raw: dict[str, Any] = raw or {}
        self.path = path

    @classmethod
    def load(cls, path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> "Config":
        """Read `path` (or configs/default.yaml when it exists) and apply overrides.

        Overrides use dotted keys, e.g. ``{"model.name": "/models/opus"}``.
        """
        file = Path(path) if path else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
        raw: dict[str, Any] = {}
        if file is not None:
            if not file.exists():
                raise ConfigError(f"{file}: config file not found")
            try:
                raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
            if not isinstance(raw, dict):
                raise ConfigError(f"{file}: top level must be a mapping of sections")
        config = cls(raw, file)
        for key, value in (overrides or {}).items():
            if value is not None:
                config.set(key, value)
        return config

    def set(self, dotted_key: str, value: Any) -> None:
        node = self.raw
        *parents, leaf = dotted_key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    def section(self, name: str, model: type[S]) -> S:
        """Validate section `name` against the stage's settings model."""
        try:
            return model.model_validate(self.raw.get(name) or {})
        except ValidationError as exc:
            where = self.path or "config"
            raise ConfigError(f"{where}: section '{name}': {exc}") from exc

    @property
    def store(self) -> StoreSettings:
        return self.section("store", StoreSettings)

    @property
    def output(self) -> OutputSettings:
        return self.section("output", OutputSettings)
