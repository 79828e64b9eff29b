"""Export: the store's content as files for people and for other tools.

Reads the store only (no stage is re-run) and writes into one output folder:

==============  ===============================================================
format          files
==============  ===============================================================
jsonl           pieces.jsonl, matches.jsonl (the output contract)
labelstudio     labelstudio.json (tasks) + labelstudio_config.xml (interface)
doccano         doccano.jsonl
tmx             pairs.tmx (TMX 1.4, ar → en)
csv             pairs.csv (UTF-8 with BOM, one row per sentence pair)
html            report.html (self-contained side-by-side view)
==============  ===============================================================

summary.json is written by every export: the run's summary when `run` calls
us, otherwise one built from the store's counts (and the last run's summary).
Every file is written atomically, so readers never see half a file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from pipeline.config import Config, Settings
from pipeline.errors import ConfigError
from pipeline.export.csv import write_csv
from pipeline.export.data import ExportData, load_export_data
from pipeline.export.doccano import write_doccano
from pipeline.export.files import OutputDir
from pipeline.export.html import write_html
from pipeline.export.jsonl import write_jsonl
from pipeline.export.labelstudio import write_labelstudio
from pipeline.export.tmx import write_tmx
from pipeline.progress import QUIET, Reporter
from pipeline.store import Store

FORMATS: tuple[str, ...] = ("jsonl", "labelstudio", "doccano", "tmx", "csv", "html")
ALL = FORMATS


class ExportSettings(Settings):
    """The `export:` section of the config."""

    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    labelstudio_unmatched: bool = True  # also make tasks for translations with no English coverage
    tmx_include_titles: bool = True  # titles are translated sentences too

    @field_validator("formats")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return parse_formats(value)


class ExportReport(BaseModel):
    """What an export wrote: used by the CLI and for summary.json."""

    out_dir: str
    formats: list[str]
    files: list[Path]
    counts: dict[str, int]
    warnings: list[str] = Field(default_factory=list)
    seconds: float = 0.0


def parse_formats(values: Iterable[str] | str | None) -> list[str]:
    """'jsonl,tmx' / ['jsonl', 'tmx'] / 'all' → known format names in canonical order."""
    if values is None:
        return list(FORMATS)
    items = [values] if isinstance(values, str) else list(values)
    wanted: set[str] = set()
    for item in items:
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name == "all":
                wanted.update(FORMATS)
            elif name in FORMATS:
                wanted.add(name)
            else:
                raise ConfigError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)} or all")
    if not wanted:
        raise ConfigError(f"no export format given; choose from {', '.join(FORMATS)} or all")
    return [f for f in FORMATS if f in wanted]


def _writers(settings: ExportSettings) -> dict[str, Callable[[ExportData, OutputDir], dict[str, Path]]]:
    return {
        "jsonl": write_jsonl,
        "labelstudio": lambda d, o: write_labelstudio(d, o, settings.labelstudio_unmatched),
        "doccano": write_doccano,
        "tmx": lambda d, o: write_tmx(d, o, settings.tmx_include_titles),
        "csv": write_csv,
        "html": write_html,
    }


def store_summary(store: Store) -> dict[str, Any]:
    """A summary for an export run on its own: what the store holds, and the last run's summary."""
    counts = store.counts()
    summary: dict[str, Any] = {
        "source": "store",
        "pieces_by_language": counts["pieces_by_lang"],
        "pieces_by_status": counts["pieces_by_status"],
        "segments_translated": counts["segments_translated"],
        "segments_skipped": counts["segments_skipped"],
        "segments_pending": counts["segments_pending"],
        "translations_cached": counts["translations_cached"],
        "matches": counts["matches"],
        "abstentions": counts["abstentions"],
    }
    row = store.conn.execute(
        "SELECT id, command, status, finished_at, summary FROM runs WHERE summary IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is not None:
        try:
            last = json.loads(row["summary"])
        except ValueError:
            last = None
        summary["last_run"] = {"id": row["id"], "command": row["command"], "status": row["status"],
                               "finished_at": row["finished_at"], "summary": last}
    return summary


def export_store(
    store: Store,
    config: Config,
    out_dir: str | Path | None = None,
    formats: Iterable[str] | str | None = None,
    reporter: Reporter = QUIET,
    summary: dict[str, Any] | None = None,
) -> ExportReport:
    """Write the chosen formats (default: `export.formats`, i.e. all) and summary.json into `out_dir`.

    Raises StorageError (naming the folder) when the folder cannot be written;
    nothing is half-written in that case.
    """
    start = time.perf_counter()
    settings = config.section("export", ExportSettings)
    chosen = parse_formats(formats) if formats is not None else settings.formats
    out = OutputDir(out_dir or config.output.dir)
    with store.read_snapshot():  # one moment of the store, also while a run commits beside us
        data = load_export_data(store)
        full = dict(summary) if summary is not None else store_summary(store)
    for warning in data.warnings:
        reporter.warn(warning)
    written: dict[str, Path] = {}
    writers = _writers(settings)
    with reporter.task("export", total=len(chosen) + 1, unit="formats") as task:
        for name in chosen:
            written.update(writers[name](data, out))
            task.advance()
        report = ExportReport(
            out_dir=str(out.path),
            formats=chosen,
            files=[],
            counts={
                "pieces": len(data.pieces),
                "matches": len(data.matches),
                "translated": sum(1 for v in data.pieces if v.piece.lang != "en" and v.piece.translation),
                "no_coverage": sum(1 for v in data.pieces if v.alignment == "no_coverage"),
            },
            warnings=data.warnings,
        )
        names = sorted([*written, "summary.json"])
        full["export"] = {"out_dir": str(out.path), "formats": chosen, "files": names, "generated_at": data.generated_at}
        written["summary.json"] = out.write_text("summary.json", json.dumps(full, ensure_ascii=False, indent=2, default=str) + "\n")
        task.advance()
    report.files = [written[name] for name in sorted(written)]
    report.seconds = round(time.perf_counter() - start, 3)
    reporter.info(f"exported {', '.join(chosen)} → {out.path} ({len(written)} files)")
    return report


__all__ = ["ALL", "FORMATS", "ExportReport", "ExportSettings", "export_store", "parse_formats", "store_summary"]
