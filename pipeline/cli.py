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

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from pipeline.config import Config
from pipeline.errors import EXIT_OK, PipelineError
from pipeline.progress import Reporter
from pipeline.store import Store

VERB_ORDER = ["run", "ingest", "detect", "translate", "align", "evaluate", "export", "status"]


class _OrderedGroup(TyperGroup):
    """List the verbs in pipeline order in --help, not in definition order."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: VERB_ORDER.index(n) if n in VERB_ORDER else len(VERB_ORDER))


app = typer.Typer(
    name="pipeline",
    cls=_OrderedGroup,
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
        with open_store(cfg) as store, store.read_snapshot():
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
    listing = Table(title="pieces", expand=True)
    for name, kwargs in [
        ("id", {"no_wrap": True, "max_width": 8}),
        ("lang", {"no_wrap": True}),
        ("date", {"no_wrap": True}),
        ("outlet", {"no_wrap": True, "max_width": 14}),
        ("status", {"no_wrap": True}),
        ("title", {"no_wrap": True, "ratio": 1}),
    ]:
        listing.add_column(name, overflow="ellipsis", **kwargs)
    for p in pieces:
        listing.add_row(p.id[:8], p.lang or "?", (p.date or "")[:10], p.outlet or "", p.status, p.title or "")
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


@app.command()
def detect(config: ConfigOpt = None, db: DbOpt = None, quiet: QuietOpt = False) -> None:
    """Detect the language of each new piece, paragraph and title, and route the paragraphs.

    Arabic paragraphs go to translation, English ones are kept, anything else
    (Persian, Urdu, no letters, ...) is skipped with the reason. Only pieces
    not detected yet are looked at, so running it again changes nothing.
    Settings: the `detect:` section of the config.
    """
    from pipeline.detect import detect_store

    reporter = Reporter(quiet=quiet)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None})
        with open_store(cfg) as store:
            store.acquire_run_lock()
            report = detect_store(store, cfg, reporter)
    except PipelineError as exc:
        fail(exc)
    if not quiet and report.pieces == 0:
        stdout.print("nothing to detect: every piece in the store is detected already", markup=False, highlight=False)
    elif not quiet:
        stdout.print(
            f"detected {report.pieces} pieces {report.pieces_by_lang}  status {report.pieces_by_status}  "
            f"paragraphs {report.paragraphs_by_route}",
            markup=False,
            highlight=False,
        )
        for reason, n in report.skipped.items():
            stdout.print(f"  skipped {n}: {reason}", markup=False, highlight=False)


@app.command()
def export(
    formats: Annotated[
        Optional[list[str]],
        typer.Option(
            "--format",
            "-f",
            help="jsonl, labelstudio, doccano, tmx, csv, html or all; repeatable or comma-separated. Default: export.formats (all).",
        ),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the store's pieces, translations and matches as files, without re-running any stage.

    jsonl → pieces.jsonl + matches.jsonl; labelstudio → labelstudio.json +
    labelstudio_config.xml; doccano → doccano.jsonl; tmx → pairs.tmx;
    csv → pairs.csv; html → report.html. summary.json is always written.

    Example:  pipeline export --format tmx,labelstudio --out out/
    """
    from pipeline.export import export_store, parse_formats

    reporter = Reporter(quiet=quiet)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None, "output.dir": str(out) if out else None})
        chosen = parse_formats(formats) if formats else None
        if not Path(cfg.store.path).exists():
            fail(PipelineError(f"{cfg.store.path}: no store yet; run `pipeline run INPUT...` or `pipeline ingest INPUT...` first"))
        with open_store(cfg) as store:
            report = export_store(store, cfg, cfg.output.dir, chosen, reporter)
    except PipelineError as exc:
        fail(exc)
    if not quiet:
        for path in report.files:
            stdout.print(str(path), markup=False, highlight=False)


@app.command()
def evaluate(
    ref: Annotated[Optional[list[Path]], typer.Option("--ref", "-r", help="Reference file, one segment a line (repeatable for several references).")] = None,
    hyp: Annotated[Optional[list[str]], typer.Option("--hyp", help="System output as NAME=FILE (repeatable).")] = None,
    src: Annotated[Optional[Path], typer.Option("--src", help="Source file (only COMET uses it).")] = None,
    baseline: Annotated[Optional[str], typer.Option("--baseline", "-b", help="System NAME the others are tested against.")] = None,
    paired: Annotated[Optional[str], typer.Option("--paired", help="Paired tests: bs, ar, bs,ar or none (default: evaluate.paired_tests).")] = None,
    paired_bs_n: Annotated[Optional[int], typer.Option("--paired-bs-n", help="Bootstrap resamples (default 1000).")] = None,
    paired_ar_n: Annotated[Optional[int], typer.Option("--paired-ar-n", help="Approximate randomization trials (default 10000).")] = None,
    worst: Annotated[Optional[int], typer.Option("--worst", help="How many worst segments to list per system.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout instead of tables.")] = False,
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write the JSON result to this file.")] = None,
    import_refs_file: Annotated[Optional[Path], typer.Option("--import-refs", help="Import references into the store first: JSONL of {piece_id, text} or {piece_id, sentences}.")] = None,
    systems: Annotated[Optional[str], typer.Option("--systems", help="Store mode: 'current' translations or 'all' cached models.")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score translations with sacreBLEU (BLEU, chrF, chrF++, TER) and paired significance tests.

    Files:  pipeline evaluate --ref ref.en --hyp opus=opus.en --hyp nllb=nllb.en --baseline opus
    Store:  pipeline evaluate --db pipeline.sqlite --import-refs refs.jsonl
    (without --ref/--hyp the store's translations are scored, one piece a segment,
    against references imported for their pieces). Exit codes: 0 scored,
    2 bad options, 3 unreadable or inconsistent input / nothing to evaluate.
    """
    from pipeline.evaluate.render import print_result
    from pipeline.evaluate.store_eval import evaluate_store, import_refs
    from pipeline.evaluate.metrics import evaluate_files
    from pipeline.evaluate.settings import EvaluateSettings
    from pipeline.errors import ConfigError, InputError, StorageError
    from pipeline.evaluate.textfiles import parse_hyp_specs

    reporter = Reporter(quiet=quiet)
    tests = None if paired is None else [t.strip() for t in paired.split(",") if t.strip() and t.strip() != "none"]
    try:
        cfg = load_config(config, **{
            "store.path": str(db) if db else None, "evaluate.paired_tests": tests, "evaluate.worst_n": worst,
            "evaluate.paired_bs_n": paired_bs_n, "evaluate.paired_ar_n": paired_ar_n,
        })
        settings = cfg.section("evaluate", EvaluateSettings)
        if ref or hyp:
            if not ref or not hyp:
                fail(ConfigError("file mode needs both --ref FILE and at least one --hyp NAME=FILE"))
            result = evaluate_files(ref, parse_hyp_specs(hyp), baseline, settings, source=src, reporter=reporter)
        else:
            if not Path(cfg.store.path).exists():
                fail(InputError(str(cfg.store.path), "no store here; give --ref/--hyp files, or --db STORE"))
            with open_store(cfg) as store:
                if import_refs_file is not None:
                    imported = import_refs(store, import_refs_file)
                    reporter.info(f"imported references for {imported.pieces} piece(s) ({imported.replaced} replaced)")
                result = evaluate_store(store, cfg, baseline, systems, reporter)
        payload = result.to_json()
        if out_file is not None:
            try:
                out_file.write_text(payload + "\n", encoding="utf-8")
            except OSError as exc:
                raise StorageError(f"{out_file}: cannot write the JSON result: {exc.strerror or exc}") from exc
    except PipelineError as exc:
        fail(exc)
    for warning in result.warnings:
        reporter.warn(warning)
    if result.comet.status != "scored" and not quiet:
        reporter.console.print(result.comet.message, markup=False, highlight=False)
    if as_json:
        sys.stdout.write(payload + "\n")
    else:
        print_result(result, stdout)


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="Dump files or folders (txt, html, jsonl, any of them .gz).", show_default=False)],
    config: ConfigOpt = None,
    db: DbOpt = None,
    detect: Annotated[
        bool, typer.Option("--detect/--no-detect", help="Also detect languages and route the new pieces (the detect stage).")
    ] = True,
    quiet: QuietOpt = False,
) -> None:
    """Read dumps into the store: one piece per article, page chrome removed, duplicates stored once.

    New pieces then go through language detection (unless --no-detect), so
    `pipeline status` shows their languages and what waits for translation.
    Folders are read recursively in sorted order. A file that cannot be read
    (missing, empty, binary, undecodable, truncated .gz, too large) is reported
    on one line and recorded as failed; the other files are still ingested.
    Files already ingested unchanged are skipped. Exit codes: 0 done,
    3 some inputs failed, 5 store busy, 6 store not writable.
    Settings: the `ingest:` section of the config.

    Example:  pipeline ingest seeds/ --db store.sqlite
    """
    from pipeline.ingest import ingest_paths

    reporter = Reporter(quiet=quiet)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None})
        with open_store(cfg) as store:
            store.acquire_run_lock()
            run_id = store.start_run("ingest " + " ".join(str(p) for p in inputs))
            report = ingest_paths(store, cfg, list(inputs), reporter, run_id)
            summary = report.as_dict()
            if detect:
                from pipeline.detect import detect_store

                summary["detect"] = detect_store(store, cfg, reporter).model_dump(mode="json")
            store.finish_run(run_id, "completed" if not report.errors else "completed_with_errors", summary)
    except PipelineError as exc:
        fail(exc)
    if not quiet:
        stdout.print(
            f"files {report.files_seen}: ingested {report.files_ingested}, unchanged {report.files_skipped_unchanged}, "
            f"failed {report.files_failed}  pieces: new {report.pieces_new}, already known {report.pieces_duplicate}  "
            f"chrome lines removed {report.removed_lines}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(report.exit_code)


@app.command()
def align(
    config: ConfigOpt = None,
    db: DbOpt = None,
    source: Annotated[
        Optional[Path], typer.Option("--source", help="JSONL of pieces carrying a 'translation' (any MT system); needs --target.")
    ] = None,
    target: Annotated[Optional[Path], typer.Option("--target", help="JSONL of English pieces to match against.")] = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Pair each translated piece with the English pieces covering the same event, sentence by sentence.

    Store mode (default): all translated pieces in the store against all English
    pieces in it; writes the matches and alignments tables (replacing earlier
    results for those pieces). JSONL mode (--source and --target): writes
    matches.jsonl and alignments.jsonl into --out. A piece whose best candidate
    scores below align.threshold is recorded as 'no English coverage found'.

    Example:  pipeline align --source translated.jsonl --target english.jsonl --out out/
    """
    from pipeline.align import align_jsonl, align_store

    reporter = Reporter(quiet=quiet)
    if (source is None) != (target is None):
        reporter.error("--source and --target go together (JSONL mode); give both, or neither for store mode")
        raise typer.Exit(2)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None, "output.dir": str(out) if out else None})
        if source is not None and target is not None:
            report = align_jsonl(source, target, Path(cfg.output.dir), cfg, reporter)
        else:
            if not Path(cfg.store.path).exists():
                fail(PipelineError(f"{cfg.store.path}: no store yet; run `pipeline ingest PATH` first"))
            with open_store(cfg) as store:
                store.acquire_run_lock()
                run_id = store.start_run("align")
                report = align_store(store, cfg, reporter, run_id)
                store.finish_run(run_id, "completed", {"align": report.model_dump()})
    except PipelineError as exc:
        fail(exc)
    if not quiet:
        where = f"  → {', '.join(report.files)}" if report.files else ""
        stdout.print(
            f"translated {report.translated}  English {report.english}  matched {report.matched} "
            f"({report.matches} matches)  no coverage {report.no_coverage}  pending {report.untranslated}{where}"
        )


@app.command()
def translate(config: ConfigOpt = None, db: DbOpt = None, model: ModelOpt = None, quiet: QuietOpt = False) -> None:
    """Translate the Arabic paragraphs and titles in the store (after ingest and detect).

    Sentences already translated with the same model and settings come from
    the cache; an interrupted run resumes where it stopped. Without a usable
    model the pieces stay pending and the exit code is 4.
    Settings: the `model:` and `translate:` sections of the config.

    Example:  pipeline translate --model ./models/opus-mt-ar-en
    """
    from pipeline.errors import ModelUnavailable
    from pipeline.translate import translate_store

    reporter = Reporter(quiet=quiet)
    try:
        cfg = load_config(config, **{"store.path": str(db) if db else None})
        if not Path(cfg.store.path).exists():
            fail(PipelineError(f"{cfg.store.path}: no store yet; run `pipeline ingest INPUT...` and `pipeline detect` first"))
        with open_store(cfg) as store:
            store.acquire_run_lock()
            run_id = store.start_run("translate" + (f" --model {model}" if model else ""))
            try:
                report = translate_store(store, cfg, reporter, run_id, model)
            except ModelUnavailable as exc:
                store.finish_run(run_id, "pending", {"status": "model_unavailable", "reason": str(exc)})
                raise
            except BaseException:
                store.finish_run(run_id, "failed", {})
                raise
            store.finish_run(run_id, "completed", report.model_dump(mode="json"))
    except PipelineError as exc:
        fail(exc)
    if not quiet:
        stdout.print(
            f"segments {report.segments}: new {report.new_translations}, cached {report.cache_hits}, "
            f"pending {report.pending}, skipped {report.segments_skipped}  pieces translated {report.pieces_translated}, "
            f"pending {report.pieces_pending}  ({report.model_calls} batches, {report.seconds:.1f} s"
            + (f", {report.backend}" if report.backend else "")
            + ")",
            markup=False,
            highlight=False,
        )


def main() -> None:
    """Console-script entry point."""
    import sqlite3

    from pipeline.errors import EXIT_STORAGE

    try:
        app()
    except PipelineError as exc:  # a stage raised past its verb
        Reporter(quiet=False).error(str(exc))
        sys.exit(exc.exit_code)
    except sqlite3.OperationalError as exc:  # I/O error, full disk, read-only file outside a transaction
        Reporter(quiet=False).error(f"the store could not be read or written: {exc} (is the disk full or the file read-only?)")
        sys.exit(EXIT_STORAGE)


__all__ = ["app", "main", "EXIT_OK"]
