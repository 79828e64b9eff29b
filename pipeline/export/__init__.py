"""Export: the store's content as files for people and for other tools.

Reads the store only (no stage is re-run) and writes into one output folder:

==============  ===============================================================
format          files
==============  ===============================================================
jsonl           pieces.jsonl, matches.jsonl (the output contract)
labelstudio     labelstudio.json (tasks) + labelstudio_config.xml (interface)
doccano         doccano.jsonl
tmx             pairs.tmx (TMX 1.4, ar → en)
csv             pairs.csv (UTF-8 with BOM, one row per piece and system)
html            report.html (the index: pictures, search, sorting) + report/
                (pages of matches and of pieces without coverage, search index)
==============  ===============================================================

summary.json is written beside them by the run ledger (pipeline/summary.py),
for `run` and `export` alike. Every file is written atomically, so readers
never see half a file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator

from pipeline.config import Config, Settings
from pipeline.errors import ConfigError
from pipeline.export.csv import write_csv
from pipeline.export.data import ExportData, load_export_data, paused_gc
from pipeline.export.doccano import write_doccano
from pipeline.export.html import ReportOptions, write_html
from pipeline.export.jsonl import write_jsonl
from pipeline.export.labelstudio import write_labelstudio
from pipeline.export.tmx import write_tmx
from pipeline.files import path_text
from pipeline.output import OutputDir
from pipeline.progress import QUIET, Reporter
from pipeline.stage import Report, RunContext, SectionStage
from pipeline.store import Store
from pipeline.summary import FILE as SUMMARY_FILE
from pipeline.summary import build_summary, write_summary

FORMATS: tuple[str, ...] = ("jsonl", "labelstudio", "doccano", "tmx", "csv", "html")
ALL = FORMATS


class ExportSettings(Settings):
    """Files written from the store by `run` and `export` (summary.json always)."""

    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    """Which files: jsonl, labelstudio, doccano, tmx, csv, html, or all (`--format` sets it)."""
    labelstudio_unmatched: bool = True
    """Also make Label Studio tasks for translations with no English coverage."""
    labelstudio_near_miss_floor: float = Field(0.05, ge=0.0, le=1.0)
    """A task for a translation without coverage shows the aligner's nearest candidate when it scored at least this, so
    a reviewer can say the aligner missed it (a pair judged the same event becomes a reviewed match)."""
    tmx_include_titles: bool = True
    """Titles are translated sentences too: put them in pairs.tmx."""
    tmx_leave_out_flagged: bool = False
    """Leave out of pairs.tmx the units the diagnose stage flagged (kept by default, with an x-flags property)."""
    report_page_size: int = Field(100, ge=1)
    """Matches (and pieces without coverage) per page of the report's folder (report/)."""
    review_margin: float = Field(0.1, ge=0.0, le=1.0)
    """Needs review: matches scoring less than this above align.threshold, abstentions whose best candidate came this close."""
    include_rejected: bool = False
    """Keep matches reviewers judged a different (or only related) event in pairs.csv, matches.jsonl and the annotation
    files (the report always shows them, as rejected)."""

    @field_validator("formats")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return parse_formats(value)


class ExportReport(Report):
    """What an export wrote: its files go into summary.json's `export` block."""

    out_dir: str
    formats: list[str]
    files: list[str]  # names written into out_dir (summary.json is added by the ledger)
    generated_at: str
    counts: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def summary_block(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "formats": self.formats,
            "files": sorted([*self.files, SUMMARY_FILE]),
            "generated_at": self.generated_at,
        }

    def output_paths(self) -> list[Path]:
        return [Path(self.out_dir) / name for name in sorted([*self.files, SUMMARY_FILE])]


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


def _writers(
    settings: ExportSettings, config: Config, store: Store, out: OutputDir
) -> dict[str, Callable[[ExportData, OutputDir], dict[str, Path]]]:
    from pipeline.align.matcher import AlignSettings
    from pipeline.align.pairmodel import load
    from pipeline.store import describe_location
    from pipeline.translate.settings import ModelSettings

    align = config.section("align", AlignSettings)
    fitted = store.last_calibration() if align.calibration == "annotations" else None
    report = ReportOptions(
        page_size=settings.report_page_size,
        review_margin=settings.review_margin,
        # the threshold align uses: the one fitted on reviewers' labels, the explicit one, or the pair model's own
        threshold=fitted.threshold
        if fitted is not None
        else align.threshold
        if align.threshold is not None
        else load(align.model).threshold,
        # as text any file takes (a path whose bytes are not UTF-8 is written with \x escapes, pipeline/files.py)
        store=path_text(describe_location(config.store.location)),
        out_dir=path_text(out.path),
        model=path_text(config.section("model", ModelSettings).name),
    )

    def kept(data: ExportData) -> ExportData:
        return data if settings.include_rejected else data.without_rejected()

    return {
        "jsonl": lambda d, o: write_jsonl(kept(d), o),
        "labelstudio": lambda d, o: write_labelstudio(
            kept(d), o, settings.labelstudio_unmatched, settings.labelstudio_near_miss_floor
        ),
        "doccano": lambda d, o: write_doccano(kept(d), o),
        "tmx": lambda d, o: write_tmx(d, o, settings.tmx_include_titles, settings.tmx_leave_out_flagged),
        "csv": lambda d, o: write_csv(kept(d), o),
        "html": lambda d, o: write_html(d, o, report),
    }


class ExportStage(SectionStage[ExportSettings]):
    """The store's content as files for people and other tools, into the output folder."""

    name: ClassVar[str] = "export"
    section: ClassVar[str] = "export"
    settings_type = ExportSettings
    read_only: ClassVar[bool] = True
    writes_outputs: ClassVar[bool] = True

    def run(self, store: Store, settings: ExportSettings, ctx: RunContext) -> ExportReport:
        """Write the chosen formats into the output folder; nothing is half-written if it cannot be.

        Raises StorageError (naming the folder) when the folder cannot be written.
        """
        with paused_gc():  # see paused_gc: the data lives until the last file is written
            return self._run(store, settings, ctx)

    def _run(self, store: Store, settings: ExportSettings, ctx: RunContext) -> ExportReport:
        start = time.perf_counter()
        out = OutputDir(ctx.out_dir or ctx.config.output.dir)
        with store.snapshot():  # one moment of the store, also while a run commits beside us
            data = load_export_data(store)
        translate = ctx.earlier.get("translate")  # this run's translate stage: its summary is not stored yet
        status = getattr(translate, "status", None)
        if isinstance(status, str):
            data.last_translate_status = status
        for warning in data.warnings:
            ctx.reporter.warn(warning)
        written: dict[str, Path] = {}
        with store.snapshot():
            writers = _writers(settings, ctx.config, store, out)
        with ctx.reporter.task("export", total=len(settings.formats), unit="formats") as task:
            for name in settings.formats:
                written.update(writers[name](data, out))
                task.advance()
        report = ExportReport(
            out_dir=path_text(out.path),
            formats=settings.formats,
            files=sorted(written),
            generated_at=data.generated_at,
            counts={
                "pieces": len(data.pieces),
                "matches": len(data.matches),
                "translated": sum(1 for v in data.pieces if v.piece.lang != "en" and v.piece.translation),
                "no_coverage": sum(1 for v in data.pieces if v.alignment == "no_coverage"),
            },
            warnings=data.warnings,
            seconds=round(time.perf_counter() - start, 3),
        )
        ctx.reporter.info(f"exported {', '.join(settings.formats)} → {path_text(out.path)} ({len(written) + 1} files)")
        return report


def export_store(
    store: Store,
    config: Config,
    out_dir: str | Path | None = None,
    formats: Iterable[str] | str | None = None,
    reporter: Reporter = QUIET,
) -> ExportReport:
    """Write the chosen formats (default: `export.formats`) and summary.json into `out_dir` (the Python API)."""
    stage = ExportStage()
    settings = stage.settings(config)
    if formats is not None:
        settings = settings.model_copy(update={"formats": parse_formats(formats)})
    ctx = RunContext(config, reporter, out_dir=Path(out_dir) if out_dir else None)
    start = time.perf_counter()
    report = stage.run(store, settings, ctx)
    summary = build_summary(store, None, {"export": report}, {"export": round(time.perf_counter() - start, 3)}, 0, [])
    write_summary(OutputDir(report.out_dir), summary)
    return report


__all__ = ["ALL", "FORMATS", "ExportReport", "ExportSettings", "ExportStage", "export_store", "parse_formats"]
