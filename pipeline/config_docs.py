"""The configuration written out: as commented YAML, and as the Markdown reference.

The settings models hold every default and its documentation (the field's
docstring), so both renderings come from them: ``pipeline config`` prints the
configuration a run would use, ``scripts/config-docs`` writes the shipped
defaults (pipeline/default_config.yaml) and docs/configuration.md, and a
test checks that both are what the models say.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from pipeline.config import HOLDS_PASSWORD, Config
from pipeline.store.location import redact

WIDTH = 100
HEADER = """\
# The pipeline's configuration: every section and key with its default.
# Generated from the settings models by scripts/config-docs: edit the models, not this file.
# A config file of your own (--config FILE) needs only the keys it changes;
# any key can also be set on the command line: --set section.key=value.
"""


def _scalar(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1_000_000).strip()
    return text.removesuffix("\n...").strip()


def _comment(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in " ".join(text.split()).split("\n") if text else []:
        lines += textwrap.wrap(paragraph, WIDTH - len(indent) - 2)
    return [f"{indent}# {line}" for line in lines]


def _model_yaml(model: type[BaseModel], values: Mapping[str, Any], indent: str) -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        out += _comment(field.description or "", indent)
        value = values.get(name)
        if HOLDS_PASSWORD in field.metadata and isinstance(value, str):
            value = redact(value)  # `pipeline config --db postgresql://user:PASSWORD@...` prints no password
        nested = _submodel(field.annotation)
        if nested is not None and isinstance(value, Mapping):
            out.append(f"{indent}{name}:")
            out += _model_yaml(nested, value, indent + "  ")
        elif isinstance(value, Mapping) and value:
            out.append(f"{indent}{name}:")
            out += [f"{indent}  {_scalar(k)}: {_scalar(v)}" for k, v in value.items()]
        else:
            out.append(f"{indent}{name}: {_scalar(value)}")
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def render_yaml(sections: Mapping[str, type[BaseModel]], config: Config | None = None, header: str = HEADER) -> str:
    """The configuration as commented YAML: `config`'s values (the defaults when None)."""
    lines = [header.rstrip("\n")]
    for section, model in sections.items():
        settings = config.section(section, model) if config is not None else model()
        lines.append("")
        lines += _comment(_first_paragraph(model.__doc__), "")
        lines.append(f"{section}:")
        lines += _model_yaml(model, settings.model_dump(mode="json"), "  ")
    return "\n".join(lines) + "\n"


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def render_markdown(sections: Mapping[str, type[BaseModel]]) -> str:
    """docs/configuration.md: one table per section, every key with its default and meaning."""
    out = [
        "# Configuration",
        "",
        "Generated from the settings models by `scripts/config-docs`; do not edit by hand.",
        "",
        "Every key has a default, so a config file (`--config FILE`) only names what it changes; the layers are: these",
        "defaults, then the file, then the environment (`PIPELINE_MODEL_PATH` sets `model.path`), then the command line",
        "(`--set section.key=value`, and the shortcuts `--db` = `store.path`, `--out` = `output.dir`, `--model` = `model.name`).",
        "An unknown section or key is an error. `pipeline config` prints the configuration a run would use.",
    ]
    for section, model in sections.items():
        out += ["", f"## `{section}`", "", _first_paragraph(model.__doc__), "", "| key | default | meaning |", "|---|---|---|"]
        out += _markdown_rows(model, model().model_dump(mode="json"), "")
    return "\n".join(out) + "\n"


def _markdown_rows(model: type[BaseModel], values: Mapping[str, Any], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        nested = _submodel(field.annotation)
        if nested is not None:
            rows += _markdown_rows(nested, values.get(name) or {}, f"{prefix}{name}.")
            continue
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        default = _scalar(values.get(name)).replace("|", "\\|")
        rows.append(f"| `{prefix}{name}` | `{default}` | {meaning} |")
    return rows


def undocumented(sections: Mapping[str, type[BaseModel]]) -> list[str]:
    """Keys whose settings field has no docstring."""
    missing: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            nested = _submodel(field.annotation)
            if nested is not None:
                walk(nested, f"{prefix}{name}.")
            elif not field.description:
                missing.append(prefix + name)

    for section, model in sections.items():
        walk(model, f"{section}.")
    return missing
