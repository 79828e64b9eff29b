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
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

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


def value_range(field: FieldInfo) -> str:
    """The bounds a number setting must lie within, as people write them ("0 < x ≤ 1", "x ≥ 1"); "" when none."""
    low: tuple[str, Any] | None = next((("<", m.gt) for m in field.metadata if isinstance(m, Gt)), None)
    low = low or next((("≤", m.ge) for m in field.metadata if isinstance(m, Ge)), None)
    high: tuple[str, Any] | None = next((("<", m.lt) for m in field.metadata if isinstance(m, Lt)), None)
    high = high or next((("≤", m.le) for m in field.metadata if isinstance(m, Le)), None)
    if low and high:
        return f"{_number(low[1])} {low[0]} x {high[0]} {_number(high[1])}"
    if low:
        return f"x {'>' if low[0] == '<' else '≥'} {_number(low[1])}"
    return f"x {high[0]} {_number(high[1])}" if high else ""


def _number(value: Any) -> str:
    return f"{value:,}".replace(",", " ") if isinstance(value, int) and abs(value) >= 10_000 else f"{value:g}"


def _model_yaml(model: type[BaseModel], values: Mapping[str, Any], indent: str) -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        bounds = value_range(field)
        out += _comment((field.description or "") + (f" Range: {bounds}." if bounds else ""), indent)
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
        "Every number is finite (`.nan` and `.inf` are refused) and, where the range column says so, within bounds;",
        "a value outside them is refused before anything runs (exit 2).",
    ]
    for section, model in sections.items():
        out += [
            "",
            f"## `{section}`",
            "",
            _first_paragraph(model.__doc__),
            "",
            "| key | default | range | meaning |",
            "|---|---|---|---|",
        ]
        out += _markdown_rows(model, model().model_dump(mode="json"), "")
        retired = getattr(model, "retired", {})
        if retired:
            out += ["", "Retired keys (an old config naming one still runs; the key is ignored, with one warning line):", ""]
            out += [f"- `{section}.{key}`: {why}" for key, why in retired.items()]
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
        bounds = value_range(field)
        rows.append(f"| `{prefix}{name}` | `{default}` | {bounds} | {meaning} |")
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
