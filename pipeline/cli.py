"""Command-line interface: thin verbs over the run ledger and the same stages as the Python API.

Each verb builds the configuration (package defaults, ``--config FILE``, the
environment, ``--set section.key=value`` and the shortcuts ``--db``,
``--out``, ``--model``), asks the ledger to run its stage(s), prints a short
result and exits with a code from :mod:`pipeline.errors`. No stage logic
lives here, and nothing scraped is printed as terminal markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperGroup

from pipeline import __version__
from pipeline.config import Config, parse_override
from pipeline.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ConfigError, PipelineError, UsageError
from pipeline.files import file_kind, path_text
from pipeline.progress import Reporter

VERB_ORDER = ["run", "ingest", "detect", "translate", "diagnose", "align", "evaluate", "export", "status", "store", "config"]


class _OrderedGroup(TyperGroup):
    """List the verbs in pipeline order in --help, not in definition order."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: VERB_ORDER.index(n) if n in VERB_ORDER else len(VERB_ORDER))


# typer prints an argument's Python type beside its name ("INPUT <list[Path]>"); a user reads the
# metavar alone, as click would show it.
TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="pipeline",
    cls=_OrderedGroup,
    help=(
        "Translate the Arabic pieces of scraped news dumps into English (MarianMT), "
        "pair each translation with English coverage of the same event, score quality "
        "with sacreBLEU and export aligned pairs for annotation.\n\n"
        "Typical use:  pipeline run seeds/ --out out/   then open out/report.html\n\n"
        "Every verb takes --config FILE and --set SECTION.KEY=VALUE (repeatable) to change any "
        "setting; docs/configuration.md lists them all."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: metavars a user reads (FILE, DIR), not Python types
)
stdout = Console(highlight=False)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", metavar="FILE", help="YAML config over the built-in defaults (only the keys it names change)."
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="SECTION.KEY=VALUE",
        help="Change one setting, e.g. --set translate.num_beams=2 (repeatable; wins over --config).",
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", metavar="FILE|URL", help="The store: an SQLite file or a postgresql:// URL; same as --set store.path=FILE."
    ),
]
ExecutorOpt = Annotated[
    str | None,
    typer.Option(
        "--executor",
        metavar="local|ray",
        help="Run the work here (local) or on a Ray cluster (ray); same as --set executor.kind=...",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr; no progress bars.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", metavar="DIR", help="Output folder; same as --set output.dir=DIR.")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        metavar="NAME_OR_DIR",
        help="Hub id or local folder of a MarianMT checkpoint; same as --set model.name=... (and model.path cleared).",
    ),
]
WaitOpt = Annotated[bool, typer.Option("--wait", help="If another run holds the store, wait for it instead of stopping.")]


def _version(value: bool) -> None:
    if value:
        stdout.print(f"pipeline {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Arabic→English translation and alignment of scraped news dumps."""


# -- shared plumbing ------------------------------------------------------------------------


def build_config(
    config: Path | None,
    sets: Sequence[str] | None,
    *,
    db: str | None = None,
    out: Path | None = None,
    model: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Config:
    """The configuration a verb runs with: file, environment, then --set, then the shortcut options."""
    overrides = dict(parse_override(item) for item in sets or [])
    overrides.update({k: v for k, v in (extra or {}).items() if v is not None})
    if db is not None:
        overrides["store.path"] = db
    if out is not None:
        overrides["output.dir"] = str(out)
    cfg = Config.load(config, overrides)
    if db is not None:
        cfg.set("store.url", None)
    if model is not None:
        cfg.set("model.name", model)
        cfg.set("model.path", None)
    return cfg


INTERRUPTED = "interrupted; what was committed is kept, run the same command again to resume"


@contextmanager
def _errors() -> Iterator[None]:
    """A PipelineError ends the verb with its one-line message and its exit code; Ctrl-C with exit 130 and what it kept.

    (typer would turn Ctrl-C into a bare exit 130 before `main()` could say anything.)
    """
    try:
        yield
    except PipelineError as exc:
        fail(exc)
    except KeyboardInterrupt:
        Reporter(quiet=False).error(INTERRUPTED)
        raise typer.Exit(130) from None


def fail(exc: PipelineError) -> NoReturn:
    Reporter(quiet=False).error(str(exc))
    raise typer.Exit(exc.exit_code)


def _run_stages(names: Sequence[str], cfg: Config, reporter: Reporter, **kwargs: Any) -> Any:
    from pipeline.ledger import execute
    from pipeline.stages import stages

    return execute(stages(*names), cfg, reporter=reporter, **kwargs)


def _print(line: str) -> None:
    """A line that may hold scraped text or paths: printed as text, never as markup."""
    stdout.print(Text(line), soft_wrap=True)


def _require_store(cfg: Config) -> None:
    """A verb that reads the store stops with exit code 2 when there is none (it never creates an empty one).

    An SQLite file must exist; a database URL is checked when the store opens.
    """
    from pipeline.store import is_url

    if not is_url(cfg.store.location) and not Path(cfg.store.location).exists():
        raise UsageError(
            f"{cfg.store.location}: no store yet; run `pipeline ingest INPUT...` (or `pipeline run`) first, or give --db FILE"
        )


# -- verbs --------------------------------------------------------------------------------------


@app.command()
def run(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT", help="Dump files or folders (txt, html, jsonl, .gz); several may be given.", show_default=False
        ),
    ],
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
    model: ModelOpt = None,
    english: Annotated[
        list[Path] | None,
        typer.Option("--english", "-e", metavar="INPUT", help="Extra English coverage to match against (repeatable)."),
    ] = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = None,
) -> None:
    """Run every stage: ingest, detect, translate, diagnose, align, export.

    Writes pieces.jsonl, matches.jsonl, summary.json, report.html,
    labelstudio.json, pairs.tmx (and more) into the output folder, also when
    the run stops early. Exit codes: 0 done, 3 some inputs failed,
    4 no model could be loaded (Arabic pieces pending), 5 store busy,
    6 store or output not writable.

    Example:  pipeline run seeds/ --model ./models/opus-mt-ar-en --out out/
    """
    from pipeline.stages import PIPELINE

    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, out=out, model=model, extra={"executor.kind": executor})
        every = [*inputs, *(english or [])]
        result = _run_stages(PIPELINE, cfg, reporter, command="run " + " ".join(map(path_text, every)), inputs=every, wait=wait)
    for message in result.messages:
        reporter.error(message)
    if not quiet:
        stdout.print(_run_table(result.summary, cfg.output.dir))
    raise typer.Exit(result.exit_code)


def _run_table(summary: dict[str, Any], out_dir: str) -> Table:
    """The end-of-run summary: a few rows a person reads at a glance."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    by_lang = ", ".join(f"{n} {lang}" for lang, n in summary["pieces_by_language"].items()) or "none"
    table.add_row("pieces", Text(by_lang))
    table.add_row(
        "sentences",
        Text(
            f"{summary['segments_translated']} translated (new {summary['new_translations']}, "
            f"cached {summary['cache_hits']}), {summary['segments_pending']} pending"
        ),
    )
    table.add_row("matches", Text(f"{summary['matches']}, no English coverage for {summary['abstentions']}"))
    table.add_row("output", Text(path_text(out_dir)))
    return table


@app.command()
def ingest(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT",
            help="Dump files or folders (txt, html, jsonl, any of them .gz); several may be given.",
            show_default=False,
        ),
    ],
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    detect: Annotated[
        bool, typer.Option("--detect/--no-detect", help="Also detect languages and route the new pieces (the detect stage).")
    ] = True,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = None,
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
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, extra={"executor.kind": executor})
        names = ["ingest", "detect"] if detect else ["ingest"]
        result = _run_stages(names, cfg, reporter, command="ingest " + " ".join(map(path_text, inputs)), inputs=inputs, wait=wait)
    report = result.reports["ingest"]
    if not quiet:
        _print(
            f"files {report.files_seen}: ingested {report.files_ingested}, unchanged {report.files_skipped_unchanged}, "
            f"failed {report.files_failed}  pieces: new {report.pieces_new}, already known {report.pieces_duplicate}  "
            f"chrome lines removed {report.removed_lines}"
        )
    raise typer.Exit(result.exit_code)


@app.command()
def detect(
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = None,
) -> None:
    """Detect the language of each new piece, paragraph and title, and route the paragraphs.

    Arabic paragraphs go to translation, English ones are kept, anything else
    (Persian, Urdu, no letters, ...) is skipped with the reason. Only pieces
    not detected yet are looked at, so running it again changes nothing.
    Exit codes: 0 done, 2 no store, 5 store busy, 6 store not writable.
    Settings: the `detect:` section of the config.
    """
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, extra={"executor.kind": executor})
        _require_store(cfg)
        result = _run_stages(["detect"], cfg, reporter, command="detect", wait=wait, create_store=False)
    report = result.reports["detect"]
    if quiet:
        return
    if report.pieces == 0:
        _print("nothing to detect: every piece in the store is detected already")
        return
    _print(
        f"detected {report.pieces} pieces {report.pieces_by_lang}  status {report.pieces_by_status}  paragraphs {report.paragraphs_by_route}"
    )
    for reason, n in report.skipped.items():
        _print(f"  skipped {n}: {reason}")


@app.command()
def translate(
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    model: ModelOpt = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = None,
) -> None:
    """Translate the Arabic paragraphs and titles in the store (after ingest and detect).

    Sentences already translated with the same model and settings come from
    the cache; an interrupted run resumes where it stopped. Says which model
    it loads before loading it. Exit codes: 0 done, 2 no store, 4 no model
    could be loaded (the pieces stay pending), 5 store busy, 6 store not writable.
    Settings: the `model:` and `translate:` sections of the config.

    Example:  pipeline translate --model ./models/opus-mt-ar-en
    """
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, model=model, extra={"executor.kind": executor})
        _require_store(cfg)
        result = _run_stages(["translate"], cfg, reporter, command="translate", wait=wait, create_store=False)
    for message in result.messages:
        reporter.error(message)
    report = result.reports["translate"]
    if not quiet and report.status != "model_unavailable":
        _print(
            f"segments {report.segments}: new {report.new_translations}, cached {report.cache_hits}, "
            f"pending {report.pending}, skipped {report.segments_skipped}  pieces translated {report.pieces_translated}, "
            f"pending {report.pieces_pending}  ({report.model_calls} batches, {report.seconds:.1f} s"
            + (f", {report.backend}" if report.backend else "")
            + ")"
        )
    raise typer.Exit(result.exit_code)


@app.command()
def diagnose(
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = None,
) -> None:
    """Check every translation in the store without references: Arabic left, not English, copied, length, loops, low log-probability.

    Only translations not diagnosed yet (or diagnosed under other thresholds)
    are looked at. Exit codes: 0 done, 2 no store, 5 store busy, 6 store not
    writable. Settings: the `diagnostics:` section (docs/evaluate.md says
    why each threshold is what it is).
    """
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, extra={"executor.kind": executor})
        _require_store(cfg)
        result = _run_stages(["diagnose"], cfg, reporter, command="diagnose", wait=wait, create_store=False)
    report = result.reports["diagnose"]
    if not quiet:
        flags = ", ".join(f"{name} {n}" for name, n in report.by_diagnostic.items() if n) or "none"
        _print(f"translations {report.translations} (checked now {report.diagnosed}), flagged {report.flagged}: {flags}")


@app.command()
def align(
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source", metavar="PIECES.jsonl", help="JSONL of pieces carrying a 'translation' (any MT system); needs --target."
        ),
    ] = None,
    target: Annotated[
        Path | None, typer.Option("--target", metavar="PIECES.jsonl", help="JSONL of English pieces to match against.")
    ] = None,
    out: OutOpt = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Pair each translated piece with the English pieces covering the same event, sentence by sentence.

    Each candidate pair gets three probabilities from the pair model fitted on
    real comparable news: same event, related (the same story thread, another
    event: the eve and the vote, a preview and the signing) and none. A pair
    with P(same event) at or above the threshold (align.threshold, or the
    model's own) is a match; a pair with P(related) at or above
    align.related_threshold is related coverage, kept apart from the matches.
    Store mode (default): all translated pieces in the store against all English
    pieces in it; writes the matches and alignments tables (replacing earlier
    results for those pieces). JSONL mode (--source and --target): writes
    matches.jsonl, related.jsonl and alignments.jsonl into --out. A piece with
    no match is recorded as 'no English coverage of the same event found',
    with its best candidate, its P(same event) and the threshold (candidate_id,
    candidate_score, threshold) so near misses can be reviewed.
    Exit codes: 0 done, 2 no store (store mode) or --source without --target,
    3 unreadable JSONL, 5 store busy, 6 store or output not writable.

    Example:  pipeline align --source translated.jsonl --target english.jsonl --out out/
    """
    from pipeline.align import align_jsonl

    reporter = Reporter(quiet=quiet)
    if (source is None) != (target is None):
        reporter.error("--source and --target go together (JSONL mode); give both, or neither for store mode")
        raise typer.Exit(EXIT_USAGE)
    with _errors():
        cfg = build_config(config, sets, db=db, out=out)
        if source is not None and target is not None:
            report = align_jsonl(source, target, Path(cfg.output.dir), cfg, reporter)
        else:
            _require_store(cfg)
            report = _run_stages(["align"], cfg, reporter, command="align", wait=wait, create_store=False).reports["align"]
    if not quiet:
        where = f"  → {', '.join(report.files)}" if report.files else ""
        _print(
            f"translated {report.translated}  English {report.english}  matched {report.matched} "
            f"({report.matches} matches, {report.related} related)  no coverage {report.no_coverage}  "
            f"pending {report.untranslated}{where}"
        )


@app.command()
def evaluate(
    ref: Annotated[
        list[Path] | None,
        typer.Option(
            "--ref", "-r", metavar="FILE", help="Reference file, one segment a line (repeatable for several references)."
        ),
    ] = None,
    hyp: Annotated[
        list[str] | None, typer.Option("--hyp", metavar="NAME=FILE", help="System output as NAME=FILE (repeatable).")
    ] = None,
    src: Annotated[Path | None, typer.Option("--src", metavar="FILE", help="Source file (only COMET uses it).")] = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", "-b", metavar="NAME", help="System the others are tested against (evaluate.baseline)."),
    ] = None,
    paired: Annotated[
        str | None, typer.Option("--paired", metavar="TESTS", help="Paired tests: bs, ar, bs,ar or none (evaluate.paired_tests).")
    ] = None,
    paired_bs_n: Annotated[
        int | None, typer.Option("--paired-bs-n", metavar="N", help="Bootstrap resamples (evaluate.paired_bs_n, default 1000).")
    ] = None,
    paired_ar_n: Annotated[
        int | None,
        typer.Option(
            "--paired-ar-n", metavar="N", help="Approximate randomization trials (evaluate.paired_ar_n, default 10000)."
        ),
    ] = None,
    worst: Annotated[
        int | None, typer.Option("--worst", metavar="N", help="How many worst segments to list per system (evaluate.worst_n).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout instead of tables.")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="FILE", help="Also write the JSON result to this file.")
    ] = None,
    import_refs_file: Annotated[
        Path | None,
        typer.Option(
            "--import-refs",
            metavar="REFS.jsonl",
            help="Import references into the store first: JSONL of {piece_id, text} or {piece_id, sentences}.",
        ),
    ] = None,
    systems: Annotated[
        str | None,
        typer.Option(
            "--systems",
            metavar="current|all",
            help="Store mode: 'current' translations or 'all' cached models (evaluate.store_systems).",
        ),
    ] = None,
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score translations with sacreBLEU (BLEU, chrF, chrF++, TER) and paired significance tests.

    Files:  pipeline evaluate --ref ref.en --hyp opus=opus.en --hyp nllb=nllb.en --baseline opus
    Store:  pipeline evaluate --db pipeline.sqlite --import-refs refs.jsonl
    (without --ref/--hyp the store's translations are scored, one piece a segment,
    against references imported for their pieces). Exit codes: 0 scored,
    2 bad options, no store, or nothing to score (no reference, nothing
    translated), 3 unreadable or inconsistent input, 6 --out not writable.
    """
    from pipeline.errors import StorageError
    from pipeline.evaluate.metrics import evaluate_files
    from pipeline.evaluate.render import print_result
    from pipeline.evaluate.settings import EvaluateSettings
    from pipeline.evaluate.textfiles import parse_hyp_specs

    reporter = Reporter(quiet=quiet)
    tests = None if paired is None else [t.strip() for t in paired.split(",") if t.strip() and t.strip() != "none"]
    with _errors():
        cfg = build_config(
            config,
            sets,
            db=db,
            extra={
                "evaluate.paired_tests": tests,
                "evaluate.worst_n": worst,
                "evaluate.paired_bs_n": paired_bs_n,
                "evaluate.paired_ar_n": paired_ar_n,
                "evaluate.baseline": baseline,
                "evaluate.store_systems": systems,
            },
        )
        if ref or hyp:
            if not ref or not hyp:
                raise ConfigError("file mode needs both --ref FILE and at least one --hyp NAME=FILE")
            settings = cfg.section("evaluate", EvaluateSettings)
            result = evaluate_files(ref, parse_hyp_specs(hyp), settings.baseline, settings, source=src, reporter=reporter)
        else:
            from pipeline.store import is_url

            if not is_url(cfg.store.location) and not Path(cfg.store.location).exists():
                raise UsageError(f"{cfg.store.location}: no store here; give --ref/--hyp files, or --db STORE")
            inputs = [import_refs_file] if import_refs_file else []
            run = _run_stages(["evaluate"], cfg, reporter, command="evaluate", inputs=inputs, create_store=False)
            result = run.reports["evaluate"].result
        payload = result.to_json()
        if out_file is not None:
            try:
                kind = file_kind(out_file.stat().st_mode) if out_file.exists() else None
                if kind is not None:  # a FIFO would block the write until something reads it
                    raise StorageError(f"{out_file}: is {kind}, not a regular file; --out takes a file to write")
                out_file.write_text(payload + "\n", encoding="utf-8")
            except OSError as exc:
                raise StorageError(f"{out_file}: cannot write the JSON result: {exc.strerror or exc}") from exc
    for warning in result.warnings:
        reporter.warn(warning)
    if result.comet.status != "scored" and not quiet:
        reporter.console.print(result.comet.message, markup=False, highlight=False)
    if as_json:
        sys.stdout.write(payload + "\n")
    else:
        print_result(result, stdout)


@app.command()
def export(
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl, labelstudio, doccano, tmx, csv, html or all; repeatable or comma-separated (export.formats; default all).",
        ),
    ] = None,
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the store's pieces, translations and matches as files, without re-running any stage.

    report.html is the entry point of the report; its folder report/ (pages of
    matches, the search index) goes with it. Exit codes: 0 done, 2 no store
    or an unknown format, 6 output folder not writable.

    Example:  pipeline export --format tmx,csv --db pipeline.sqlite --out out/
    """
    from pipeline.export import parse_formats

    reporter = Reporter(quiet=quiet)
    with _errors():
        chosen = parse_formats(formats) if formats else None
        cfg = build_config(config, sets, db=db, out=out, extra={"export.formats": chosen})
        _require_store(cfg)
        result = _run_stages(["export"], cfg, reporter, command="export", create_store=False)
    if not quiet:
        for path in result.outputs:
            _print(path_text(path))


@app.command()
def status(
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", metavar="N", help="List at most N pieces (0: none; default 50 in the table, all in --json)."),
    ] = None,
) -> None:
    """Show what the store holds: sources, pieces by language and status, pending work, matches.

    Exit codes: 0 shown, 2 no store.
    """
    from pipeline.store import open_store

    with _errors():
        cfg = build_config(config, sets, db=db)
        _require_store(cfg)
        with open_store(cfg.store.location, cfg.store.busy_timeout_s, create=False) as store, store.snapshot():
            where = store.location
            counts = store.counts().model_dump()
            pieces = store.load_pieces()
    limit = limit if limit is not None else (len(pieces) if as_json else 50)
    shown = pieces[: max(limit, 0)]
    if as_json:
        counts["pieces_list"] = [
            {
                "id": p.id,
                "title": p.title,
                "date": p.date,
                "lang": p.lang,
                "outlet": p.outlet,
                "status": p.status,
                "source": p.source,
            }
            for p in shown
        ]
        sys.stdout.write(json.dumps(counts, ensure_ascii=False, indent=2) + "\n")
        return
    summary = Table(title=Text(f"store {path_text(where)}"), show_header=False)
    for key, value in counts.items():
        summary.add_row(
            Text(key), Text(", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value))
        )
    stdout.print(summary)
    if not shown:
        return
    listing = Table(title=Text(f"pieces ({len(shown)} of {len(pieces)})"), expand=True)
    columns: list[tuple[str, dict[str, Any]]] = [
        ("id", {"no_wrap": True, "max_width": 8}),
        ("lang", {"no_wrap": True}),
        ("date", {"no_wrap": True}),
        ("outlet", {"no_wrap": True, "max_width": 14}),
        ("status", {"no_wrap": True}),
        ("title", {"no_wrap": True, "ratio": 1}),
    ]
    for name, kwargs in columns:
        listing.add_column(name, overflow="ellipsis", **kwargs)
    for p in shown:
        listing.add_row(
            *(Text(x) for x in (p.id[:8], p.lang or "?", (p.date or "")[:10], p.outlet or "", p.status, p.title or ""))
        )
    stdout.print(listing)


store_app = typer.Typer(
    name="store",
    help="Move a store: `pipeline store copy --from FILE.sqlite --to postgresql://...`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(store_app)


@store_app.command("copy")
def store_copy(
    source: Annotated[str, typer.Option("--from", metavar="FILE|URL", help="The store to copy (left unchanged).")],
    target: Annotated[
        str, typer.Option("--to", metavar="FILE|URL", help="A new, empty store (an SQLite file or a postgresql:// URL).")
    ],
    config: ConfigOpt = None,
    sets: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Copy every table of a store, translation cache included, into a new empty store of either backend.

    Example:  pipeline store copy --from pipeline.sqlite --to postgresql://pipeline@db.internal/pipeline
    """
    from pipeline.store import open_store
    from pipeline.store.copy import copy_store

    with _errors():
        cfg = build_config(config, sets)
        timeout = cfg.store.busy_timeout_s
        with open_store(source, timeout, create=False) as src, open_store(target, timeout) as dst:
            copied = copy_store(src, dst)
            where = dst.location
    if not quiet:
        _print(f"copied into {path_text(where)}: " + ", ".join(f"{table} {n}" for table, n in copied.items()))


@app.command("config")
def show_config(
    config: ConfigOpt = None, sets: SetOpt = None, db: DbOpt = None, out: OutOpt = None, model: ModelOpt = None
) -> None:
    """Print the configuration a run would use (defaults, --config FILE, the environment, --set), as commented YAML.

    Save it as a file to start a config of your own; it only needs the keys you change.

    Example:  pipeline config --set translate.num_beams=2 > my.yaml
    """
    from pipeline.config_docs import render_yaml
    from pipeline.stages import sections

    with _errors():
        cfg = build_config(config, sets, db=db, out=out, model=model)
        cfg.check_sections(sections())
        sys.stdout.write(
            render_yaml(sections(), cfg, header=f"# The configuration a run would use ({cfg.where} over the defaults).\n")
        )


def main() -> None:
    """Console-script entry point: any error the verbs did not expect still ends in one `error:` line."""
    try:
        app()
    except PipelineError as exc:  # a stage raised past its verb
        Reporter(quiet=False).error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Reporter(quiet=False).error(INTERRUPTED)
        sys.exit(130)
    except Exception as exc:
        Reporter(quiet=False).error(
            f"unexpected {type(exc).__name__}: {exc} (please report it; rerun with PIPELINE_DEBUG=1 for the traceback)"
        )
        if _debug():
            raise
        sys.exit(EXIT_FAILURE)


def _debug() -> bool:
    import os

    return os.environ.get("PIPELINE_DEBUG", "") not in ("", "0")


__all__ = ["EXIT_OK", "app", "build_config", "main"]
