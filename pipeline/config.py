"""Configuration: one tree of sections, one section per stage, built in layers.

The layers, each overriding the one before (spaCy's shape: a default config
inside the package, any key overridable from the command line):

1. the defaults, shipped inside the package (``pipeline/default_config.yaml``,
   generated from the settings models, whose fields hold every default and
   its documentation: ``scripts/config-docs`` writes it and
   docs/configuration.md, and a test keeps both in sync);
2. the user's YAML file (``--config FILE``): only the keys it names change;
3. the environment (``$PIPELINE_MODEL_PATH`` → ``model.path``);
4. overrides from the command line: ``--set section.key=value`` (the value
   is read as YAML: numbers, booleans, null and lists work), and the
   shortcuts ``--db``, ``--out``, ``--model``.

Each stage declares a pydantic settings model and reads its section through
:meth:`Config.section`; unknown keys are errors (a typo must not pass
silently), and so is an unknown section (:meth:`Config.check_sections`).
YAML aliases are refused: a configuration needs none, and expanding them is
how a small file becomes gigabytes. A YAML file the user names (the config,
a gazetteer) is read by :func:`read_config_file`: a regular file of at most
``MAX_CONFIG_BYTES`` in UTF-8 (a FIFO is refused, not waited on), and every
problem with it is one line naming the file (and the line and column).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError
from pipeline.files import FileTooLarge, NotRegularFile, read_bounded

DEFAULT_CONFIG_NAME = "default_config.yaml"
# Environment variables that set a config key (layer 3).
ENVIRONMENT: dict[str, str] = {"PIPELINE_MODEL_PATH": "model.path"}
MAX_CONFIG_BYTES = 1 << 20

S = TypeVar("S", bound=BaseModel)


class Settings(BaseModel):
    """Base of every section's settings: unknown keys are rejected; field docstrings are the documentation."""

    # allow_inf_nan=False: a number in a config is finite (.nan compares false with everything, .inf divides to 0)
    model_config = ConfigDict(extra="forbid", protected_namespaces=(), use_attribute_docstrings=True, allow_inf_nan=False)

    retired: ClassVar[Mapping[str, str]] = {}
    """Keys the section once had, with what replaced them: an old config naming one keeps working (the key is
    ignored, and :meth:`Config.section` says so in one warning line) instead of being refused as a typo."""

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and cls.retired and any(key in cls.retired for key in data):
            return {key: value for key, value in data.items() if key not in cls.retired}
        return data


class HoldsPassword:
    """Marks a setting whose value may hold a password (a store's URL): a printed configuration shows it redacted."""


HOLDS_PASSWORD = HoldsPassword()


class StoreSettings(Settings):
    """Where the pipeline keeps everything it has done."""

    path: Annotated[str, HOLDS_PASSWORD] = "pipeline.sqlite"
    """The store: an SQLite file, or a postgresql:// URL (`--db` sets it and clears `url`)."""
    url: Annotated[str | None, HOLDS_PASSWORD] = None
    """A PostgreSQL store, postgresql://USER@HOST/DB; wins over `path`. The password comes from ~/.pgpass or $PGPASSWORD."""
    busy_timeout_s: float = Field(30.0, ge=0.001, le=86_400)
    """How long a writer waits for another writer's transaction."""

    @property
    def location(self) -> str:
        """Where the store is: `url` when set, else `path`."""
        return self.url or self.path


class OutputSettings(Settings):
    """Where `run` and `export` write their files."""

    dir: str = "out"
    """The output folder (`--out` sets it)."""


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a config never needs them, and an alias bomb expands without limit."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a config", event.start_mark)
        return super().compose_node(parent, index)


def read_yaml(text: str, where: str) -> Any:
    """YAML text as Python values, aliases refused; errors name `where` (and the line and column) on one line."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError(f"{where}{at}: not valid YAML: {' '.join(what.split())}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError as exc:  # thousands of nested [ or {
        raise ConfigError(f"{where}: not valid YAML: nested too deeply") from exc


def default_config_text() -> str:
    return (files("pipeline") / DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def read_config_file(path: Path, what: str = "config file") -> str:
    """The text of a YAML file the user names: a regular UTF-8 file of at most MAX_CONFIG_BYTES; ConfigError otherwise."""
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except NotRegularFile as exc:
        raise ConfigError(f"{path}: {exc}; the {what} must be a YAML file") from None
    except FileTooLarge as exc:
        raise ConfigError(f"{path}: {exc.size:,} bytes is too large for a {what} (at most {MAX_CONFIG_BYTES:,})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the {what} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None


def _read_file(path: Path) -> dict[str, Any]:
    raw = read_yaml(read_config_file(path), str(path)) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (store:, translate:, ...)")
    return raw


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`top` over `base`, recursively for mappings (a list or a value replaces)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> tuple[str, Any]:
    """``section.key=value`` → ("section.key", value read as YAML)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or "." not in key or not all(part.strip() for part in key.split(".")):
        raise ConfigError(f"--set {text!r}: expected SECTION.KEY=VALUE, e.g. --set translate.num_beams=2")
    return key, read_yaml(value, f"--set {key}") if value.strip() else ""


class Config:
    """The merged configuration tree, and where its user part came from."""

    def __init__(self, raw: dict[str, Any] | None = None, path: Path | None = None):
        self.raw: dict[str, Any] = raw or {}
        self.path = path
        self.warnings: list[str] = []  # one line each: retired keys the configuration still names (the CLI prints them)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Config:
        """Defaults, then `path`, then the environment, then `overrides` (dotted keys, e.g. ``{"model.name": "/models/opus"}``).

        An override whose value is None leaves the key alone; use
        :meth:`set` to set a key to null.
        """
        raw = read_yaml(default_config_text(), DEFAULT_CONFIG_NAME)
        file = Path(path) if path else None
        if file is not None:
            raw = _merge(raw, _read_file(file))
        config = cls(raw, file)
        env = os.environ if environ is None else environ
        for variable, key in ENVIRONMENT.items():
            if env.get(variable):
                config.set(key, env[variable])
        for key, value in (overrides or {}).items():
            if value is not None:
                config.set(key, value)
        return config

    def set(self, dotted_key: str, value: Any) -> None:
        node = self.raw
        *parents, leaf = dotted_key.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value

    def section(self, name: str, model: type[S]) -> S:
        """Validate section `name` against its settings model."""
        body = self.raw.get(name)
        if body is not None and not isinstance(body, dict):
            raise ConfigError(f"{self.where}: section '{name}' must be a mapping of keys, not {type(body).__name__}")
        retired = getattr(model, "retired", {})
        for key in body or {}:
            if key in retired:
                message = f"{self.where}: {name}.{key} no longer has an effect ({retired[key]}); remove it from the config"
                if message not in self.warnings:
                    self.warnings.append(message)
        try:
            return model.model_validate(body or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{name}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise ConfigError(f"{self.where}: {problems}") from exc

    def check_sections(self, known: Iterable[str]) -> None:
        """Every top-level key is a known section: `storee:` is a typo, not a new section."""
        known = set(known)
        unknown = sorted(str(k) for k in self.raw if k not in known)
        if unknown:
            raise ConfigError(f"{self.where}: unknown section(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "config"

    @property
    def store(self) -> StoreSettings:
        return self.section("store", StoreSettings)

    @property
    def output(self) -> OutputSettings:
        return self.section("output", OutputSettings)
