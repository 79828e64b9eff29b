"""Command-line interface: thin verbs over the same stage functions as the Python API.

Each verb opens the store, calls one stage function (or the runner for
`run`), prints a short result and exits with a code from
:mod:`pipeline.errors`. No stage logic lives here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.config import Config
from pipeline.errors import EXIT_OK, PipelineError
from pipeline.progress import Reporter
from pipeline.store import Store

app = typer.Typer(
    name="pipeline",
    help=(
        "Translate the Arabic pieces of scraped news dumps into English (MarianMT), "
        "pair each translation with English coverage of the same event, score quality "
        "with sacreBLEU and export aligned pairs for annotation.\n\n"
        "Typical use:  pipeline run seeds/ --out out/   then open out/report.html"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config; default: configs/default.yaml.")]
DbOpt = Annotated[Optional[Path], typer.Option("--db", help="SQLite store file; default: store.path in the config.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress bars.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder; default: output.dir in the config.")]
ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="Hub id or local folder of a MarianMT checkpoint (overrides model.name)."),
]


@app.callback()
def root() -> None:
    """Arabic→English translation and alignment of scraped news dumps."""


def load_config(config: Path | None, **overrides: object) -> Config:
    return Config.load(config, {k: v for k, v in overrides.items() if v is not None})


def open_store(cfg: Config) -> Store:
    return Store(cfg.store.path, cfg.store.busy_timeout_s)


def fail(exc: PipelineError) -> None:
    Reporter(quiet=False).error(str(exc))
    raise typer.Exit(exc.exit_code)


@app.command()
def status(config: ConfigOpt = None, db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show what the store holds: sources, pieces by language and status, pending work, matches."""
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None})
        if not Path(cfg.store.path).exists():
            fail(PipelineError(f"{cfg.store.path}: no store yet; run `pipeline ingest PATH` first"))
        with open_store(cfg) as store:
            counts = store.counts()
            pieces = store.load_pieces()
    except PipelineError as exc:
        fail(exc)
    if as_json:
        counts["pieces_list"] = [
            {"id": p.id, "title": p.title, "date": p.date, "lang": p.lang, "outlet": p.outlet, "status": p.status, "source": p.source}
            for p in pieces
        ]
        stdout.print_json(json.dumps(counts, ensure_ascii=False))
        return
    summary = Table(title=f"store {cfg.store.path}", show_header=False)
    for key, value in counts.items():
        summary.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    stdout.print(summary)
    listing = Table("id", "lang", "date", "outlet", "status", "title", title="pieces")
    for p in pieces:
        listing.add_row(p.id, p.lang or "?", p.date or "", p.outlet or "", p.status, (p.title or "")[:70])
    stdout.print(listing)


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Dump files or folders (txt, html, jsonl, .gz).", show_default=False)],
    config: ConfigOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
    model: ModelOpt = None,
    english: Annotated[
        Optional[list[Path]],
        typer.Option("--english", "-e", help="Extra English coverage to match against (repeatable)."),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="If another run holds the store, wait for it instead of stopping.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Run every stage: ingest, detect, translate, diagnose, align, export.

    Writes pieces.jsonl, matches.jsonl, summary.json, report.html,
    labelstudio.json, pairs.tmx (and more) into the output folder, also when
    the run stops early. Exit codes: 0 done, 3 some inputs failed,
    4 no model could be loaded (Arabic pieces pending), 5 store busy,
    6 store or output not writable.

    Example:  pipeline run seeds/ --model ./models/opus-mt-ar-en --out out/
    """
    from pipeline.runner import run_pipeline

    reporter = Reporter(quiet=quiet)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None, "output.dir": str(out) if out else None})
        result = run_pipeline(inputs, cfg, out, english, model, wait, reporter)
    except PipelineError as exc:
        fail(exc)
    for message in result.messages:
        reporter.error(message)
    s = result.summary
    if not quiet:
        stdout.print(
            f"pieces {s['pieces_by_language']}  translated segments {s['segments_translated']} "
            f"(new {s['new_translations']}, cached {s['cache_hits']}, pending {s['segments_pending']})  "
            f"matches {s['matches']}  no coverage {s['abstentions']}  → {cfg.output.dir}"
        )
    raise typer.Exit(result.exit_code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except PipelineError as exc:  # a stage raised past its verb
        Reporter(quiet=False).error(str(exc))
        sys.exit(exc.exit_code)


__all__ = ["app", "main", "EXIT_OK"]
