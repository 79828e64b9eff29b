"""Command-line interface: thin verbs over the run ledger and the same stages as the Python API.

Each verb builds the configuration (package defaults, ``--config FILE``, the
environment, ``--set section.key=value`` and the shortcuts ``--db``,
``--out``, ``--model``), asks the ledger to run its stage(s), prints a short
result and exits with a code from :mod:`pipeline.errors`. No stage logic
lives here, and nothing scraped is printed as terminal markup.

Output is for people and for scripts alike: on a terminal it is laid out to
its width; into a pipe or a file no line is wrapped or padded
(:func:`pipeline.progress.terminal_console`). Results go to stdout; what to do
next (``next: ...``) and progress go to stderr, so ``--json`` stays JSON.
Help examples are kept verbatim (click's ``\b`` paragraphs), so a copied
example is the whole command.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperGroup

from pipeline import __version__
from pipeline.config import Config, parse_override
from pipeline.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ConfigError, PipelineError, UsageError
from pipeline.files import file_kind, path_text
from pipeline.progress import Reporter, print_block, terminal_console, terminal_json

VERB_ORDER = [
    "run",
    "ingest",
    "detect",
    "translate",
    "diagnose",
    "align",
    "evaluate",
    "export",
    "annotations",
    "status",
    "store",
    "model",
    "config",
]


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
        "\b\nTypical use:\n  pipeline run seeds/ --out out/\n  then open out/report.html\n\n"
        "Every verb takes --config FILE and --set SECTION.KEY=VALUE (repeatable) to change any "
        "setting, and -h (--help) to say what it does.\n\n"
        "\b\nDocs:\n  docs/configuration.md   every setting\n  docs/input-formats.md   what each input may hold"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: metavars a user reads (FILE, DIR), not Python types
)


def _out() -> Any:
    """The console results are printed on: stdout, control characters escaped, unwrapped when it is not a terminal."""
    return terminal_console()


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
        _out().print(f"pipeline {__version__}", markup=False)
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
    _out().print(Text(line), soft_wrap=True)


def _next(reporter: Reporter, *steps: str) -> None:
    """What to do after this verb, on stderr (`next: ...`), so stdout holds only the result."""
    for step in steps:
        reporter.info(f"next: {step}")


def _db(cfg: Config) -> str:
    """`--db STORE` as the user would type it again (a URL without its password), for the commands `next:` names."""
    from pipeline.store import describe_location

    return shlex.join(["--db", path_text(describe_location(cfg.store.location))])


def _require_store(cfg: Config) -> None:
    """A verb that reads the store stops with exit code 2 when there is none (it never creates an empty one).

    An SQLite file must exist; a database URL is checked when the store opens.
    """
    if not _store_exists(cfg.store.location):
        raise UsageError(
            f"{cfg.store.location}: no store yet; run `pipeline ingest INPUT...` (or `pipeline run`) first, or give --db FILE"
        )


def _store_exists(location: str) -> bool:
    """False for an SQLite path with nothing there; a database location is checked when the store opens.

    os.stat, not Path.exists(), which raises past "no such file" (a name too
    long, a folder on the way that cannot be searched): that is exit 6, named.
    """
    from pipeline.errors import StorageError
    from pipeline.store import kind

    if kind(location) != "sqlite":
        return True
    try:
        os.stat(location)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StorageError(f"{path_text(location)}: cannot open the store: {exc.strerror or exc}") from None
    return True


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

    \b
    Examples:
      pipeline run seeds/ --model ./models/opus-mt-ar-en --out out/
      pipeline run arabic.jsonl --english english.jsonl --out out/
    """
    from pipeline.stages import PIPELINE

    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, out=out, model=model, extra={"executor.kind": executor})
        every = [*inputs, *(english or [])]
        result = _run_stages(
            PIPELINE, cfg, reporter, command=shlex.join(["run", *map(path_text, every)]), inputs=every, wait=wait
        )
    for message in result.messages:
        reporter.error(message)
    if not quiet:
        print_block(_out(), _run_table(result.summary, cfg.output.dir))
        report = Path(cfg.output.dir) / "report.html"
        if report.exists():
            _next(reporter, f"open {path_text(report)} in a browser (the report; the other files are beside it)")
    raise typer.Exit(result.exit_code)


def translations_line(here: int, with_input: dict[str, int]) -> str:
    """How many pieces carry a translation: made here, and each other system's that came with the input."""
    line = f"{here} piece{'s' if here != 1 else ''} translated here"
    if with_input:
        systems = ", ".join(f"{name} {n}" for name, n in with_input.items())
        line += f"; came with the input: {systems}"
    return line


def _run_table(summary: dict[str, Any], out_dir: str) -> Table:
    """The end-of-run summary: a few rows a person reads at a glance."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    by_lang = ", ".join(f"{n} {lang}" for lang, n in summary["pieces_by_language"].items()) or "none"
    table.add_row("pieces", Text(by_lang))
    translated = summary.get("pieces_translated") or {}
    table.add_row("translations", Text(translations_line(translated.get("here", 0), translated.get("with_input") or {})))
    table.add_row(
        "sentences",
        Text(
            f"{summary['segments_translated']} translated here (new {summary['new_translations']}, "
            f"cached {summary['cache_hits']}), {summary['segments_pending']} pending"
        ),
    )
    diagnostics = summary.get("diagnostics") or {}
    if diagnostics.get("translations") is not None:
        table.add_row(
            "diagnostics",
            Text(f"{diagnostics['translations']} translations checked (every system's), {diagnostics['flagged']} flagged"),
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
    Settings: the `ingest:` section of the config; what each input format
    may hold: docs/input-formats.md.

    \b
    Examples:
      pipeline ingest seeds/ --db store.sqlite
      pipeline ingest opus.jsonl nllb.jsonl english.jsonl --db store.sqlite
    """
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, extra={"executor.kind": executor})
        names = ["ingest", "detect"] if detect else ["ingest"]
        result = _run_stages(
            names, cfg, reporter, command=shlex.join(["ingest", *map(path_text, inputs)]), inputs=inputs, wait=wait
        )
    report = result.reports["ingest"]
    if not quiet:
        _print(
            f"files {report.files_seen}: ingested {report.files_ingested}, unchanged {report.files_skipped_unchanged}, "
            f"failed {report.files_failed}  pieces: new {report.pieces_new}, already known {report.pieces_duplicate}  "
            f"chrome lines removed {report.removed_lines}"
        )
        _next(reporter, f"pipeline translate {_db(cfg)}   (or `pipeline run` over the same inputs: every stage at once)")
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
    else:
        _print(
            f"detected {report.pieces} pieces {report.pieces_by_lang}  status {report.pieces_by_status}  "
            f"paragraphs {report.paragraphs_by_route}"
        )
        for reason, n in report.skipped.items():
            _print(f"  skipped {n}: {reason}")
    _next(reporter, f"pipeline translate {_db(cfg)}")


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

    \b
    Example:
      pipeline translate --model ./models/opus-mt-ar-en
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
    if not quiet and report.status == "model_unavailable":
        _next(reporter, f"pipeline translate {_db(cfg)} --model /path/to/opus-mt-ar-en   (a local copy of the model)")
    elif not quiet:
        _next(reporter, f"pipeline diagnose {_db(cfg)}, then pipeline align {_db(cfg)}")
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
        for name, counts in report.by_system.items():
            who = "translated here" if name == "pipeline" else "came with the input"
            _print(f"  {name} ({who}): {counts.get('translations', 0)} checked, {counts.get('flagged', 0)} flagged")
        _next(reporter, f"pipeline align {_db(cfg)}")


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
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate-from-annotations",
            help="Refit the operating point on the pairs reviewers judged (align.calibration: annotations); prints its "
            "cross-validated false-match rate, recall and P@1.",
        ),
    ] = False,
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
    candidate_score, threshold) so near misses can be reviewed; English pieces
    on the same story thread but another event are kept apart as related
    coverage. Pairs reviewers judged the same event stay matched (pipeline
    annotations import); --calibrate-from-annotations refits the threshold on
    their verdicts.
    Exit codes: 0 done, 2 no store (store mode), --source without --target, or
    too few judged pairs to calibrate, 3 unreadable JSONL, 5 store busy,
    6 store or output not writable.

    \b
    Examples:
      pipeline align --db store.sqlite
      pipeline align --source translated.jsonl --target english.jsonl --out out/
    """
    from pipeline.align import align_jsonl

    reporter = Reporter(quiet=quiet)
    if (source is None) != (target is None):
        reporter.error("--source and --target go together (JSONL mode); give both, or neither for store mode")
        raise typer.Exit(EXIT_USAGE)
    with _errors():
        cfg = build_config(config, sets, db=db, out=out, extra={"align.calibration": "annotations" if calibrate else None})
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
            + (f"  reviewed matches {report.reviewed_matches}" if report.reviewed_matches else "")
        )
        if report.calibration is not None:
            from pipeline.align.labels import describe
            from pipeline.records import Calibration

            for line in describe(Calibration(**report.calibration)):
                _print(line)
        if source is None and report.translated and not report.english:
            _next(
                reporter,
                'give English coverage: `pipeline ingest ENGLISH...` (dumps, or JSONL lines with "lang": "en"), then `pipeline align` again',
            )
        elif source is None:
            _next(reporter, f"pipeline export {_db(cfg)} --out DIR   (the report and the other files)")


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
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--system",
            metavar="NAME",
            help="Store mode: score only this system (repeatable; evaluate.systems), e.g. one that shares no piece with the others.",
        ),
    ] = None,
    refs: Annotated[
        str | None,
        typer.Option(
            "--refs",
            metavar="imported|annotations",
            help="Store mode: score against imported references, or the reviewers' corrections (post-edits; evaluate.refs).",
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

    Without --ref/--hyp the store's translations (every system's) are scored,
    one piece a segment, against references imported for their pieces; a
    reference names its piece by `piece_id`: the content id or the id the
    input gave it. --refs annotations scores them against the reviewers'
    post-edits instead. Exit codes: 0 scored, 2 bad options, no store, or
    nothing to score (no reference, nothing translated), 3 unreadable or
    inconsistent input, 6 --out not writable.

    \b
    Examples:
      pipeline evaluate --ref ref.en --hyp opus=opus.en --hyp nllb=nllb.en --baseline opus
      pipeline evaluate --db pipeline.sqlite --import-refs refs.jsonl
      pipeline evaluate --db pipeline.sqlite --refs annotations
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
                "evaluate.systems": only,
                "evaluate.refs": refs,
            },
        )
        store_mode = not (ref or hyp)
        if not store_mode:
            if not ref or not hyp:
                raise ConfigError("file mode needs both --ref FILE and at least one --hyp NAME=FILE")
            settings = cfg.section("evaluate", EvaluateSettings)
            result = evaluate_files(ref, parse_hyp_specs(hyp), settings.baseline, settings, source=src, reporter=reporter)
        else:
            if not _store_exists(cfg.store.location):
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
        sys.stdout.write(terminal_json(payload) + "\n")
    else:
        print_result(result, _out())
        if result.reviews is not None:
            for line in _review_lines(result.reviews):
                _print(line)
    if store_mode and not quiet:
        _next(reporter, f"pipeline export {_db(cfg)} --out DIR   (the report then shows these scores per system)")
    elif not quiet and not as_json:
        _next(reporter, "--json (or --out FILE) for the whole result as JSON; the store's own translations: evaluate --db STORE")


def _review_lines(reviews: dict[str, Any]) -> list[str]:
    """HTER and the rank correlations with reviewers' ratings, as lines (the JSON has every figure)."""
    lines = [f"references: {reviews['references']} ({reviews['post_edits']} pieces)"]
    for system, hter in reviews["hter"].items():
        lines.append(f"HTER {system}: {hter['hter']:.2f} on {hter['pieces']} post-edits of its own output  {hter['signature']}")
    for system, ratings in reviews["correlation"].items():
        for rating, measures in ratings.items():
            said = ", ".join(
                f"{name} {'n/a' if m['rho'] is None else format(m['rho'], '.2f')} (n={m['n']})" for name, m in measures.items()
            )
            lines.append(f"Spearman rho with {rating} ({system}): {said}")
    return lines


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

    \b
    Examples:
      pipeline export --db pipeline.sqlite --out out/
      pipeline export --format tmx,csv --db pipeline.sqlite --out out/
      pipeline export --format tmx --set export.tmx_leave_out_flagged=true --out out/
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
        report = next((path for path in result.outputs if Path(path).name == "report.html"), None)
        if report is not None:
            _next(reporter, f"open {path_text(report)} in a browser")


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

    Each piece is listed with the id its input gave it (JSONL `id`) beside
    its content id, and the systems that translated it. Exit codes: 0 shown,
    2 no store.
    """
    from pipeline.store import open_store

    reporter = Reporter(quiet=False)
    with _errors():
        cfg = build_config(config, sets, db=db)
        _require_store(cfg)
        with open_store(cfg.store.location, cfg.store.busy_timeout_s, create=False) as store, store.snapshot():
            where = store.location
            counts = store.counts().model_dump()
            pieces = store.load_pieces()
            judgements = store.judgements() if counts["annotations"] else []
    reviews: dict[str, Any] = {}
    if judgements:  # what reviewers said: their pairs' states and how far they agree (pipeline/annotations/reviews.py)
        from collections import Counter

        from pipeline.annotations.reviews import agreement, pair_reviews

        states = Counter(r.state for r in pair_reviews(judgements).values())
        reviews = {
            "current_judgements": len(judgements),
            "pairs": dict(sorted(states.items())),
            "agreement": agreement(judgements),
        }
    limit = limit if limit is not None else (len(pieces) if as_json else 50)
    shown = pieces[: max(limit, 0)]
    if as_json:
        counts["pieces_list"] = [
            {
                "id": p.id,
                "input_id": p.input_id,
                "title": p.title,
                "date": p.date,
                "lang": p.lang,
                "outlet": p.outlet,
                "status": p.status,
                "source": p.source,
                "translations": _systems_of(p),
            }
            for p in shown
        ]
        if reviews:
            counts["reviews"] = reviews
        sys.stdout.write(terminal_json(json.dumps(counts, ensure_ascii=False, indent=2)) + "\n")
        return
    out = _out()
    summary = Table(title=Text(f"store {path_text(where)}"), show_header=False)
    summary.add_row(
        Text("pieces translated"),
        Text(translations_line(counts.pop("pieces_translated_here"), counts.pop("translations_with_input"))),
    )
    for key, value in counts.items():
        summary.add_row(
            Text(key), Text(", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value))
        )
    if reviews:
        said = ", ".join(f"{state} {n}" for state, n in reviews["pairs"].items()) or "none"
        summary.add_row(Text("reviews"), Text(f"{reviews['current_judgements']} current judgements; pairs {said}"))
        summary.add_row(Text("reviewer agreement"), Text(_agreement_line(reviews["agreement"]).removeprefix("agreement: ")))
    print_block(out, summary)
    if shown:
        # on a terminal the rows fit its width (long fields end in …); in a pipe or a file every field is whole
        fit = out.is_terminal
        listing = Table(title=Text(f"pieces ({len(shown)} of {len(pieces)})"), expand=fit)
        columns: list[tuple[str, dict[str, Any]]] = [
            ("id", {"no_wrap": True, "max_width": 8 if fit else None}),
            ("input id", {"no_wrap": True, "max_width": 14 if fit else None}),
            ("lang", {"no_wrap": True}),
            ("date", {"no_wrap": True}),
            ("outlet", {"no_wrap": True, "max_width": 14 if fit else None}),
            ("status", {"no_wrap": True}),
            ("translations", {"no_wrap": True, "max_width": 20 if fit else None}),
            ("title", {"no_wrap": True, "ratio": 1 if fit else None}),
        ]
        for name, kwargs in columns:
            listing.add_column(name, overflow="ellipsis", **kwargs)
        for p in shown:
            cells = (
                p.id[:8] if fit else p.id,
                p.input_id or "",
                p.lang or "?",
                (p.date or "")[:10],
                p.outlet or "",
                p.status,
                ", ".join(_systems_of(p)),
                p.title or "",
            )
            listing.add_row(*(Text(x) for x in cells))
        print_block(out, listing)
    if counts["segments_pending"]:
        _next(reporter, f"pipeline translate {_db(cfg)} --model /path/to/opus-mt-ar-en   (translates what is pending)")
    else:
        _next(reporter, f"pipeline export {_db(cfg)} --out DIR   (the report and the other files)")


def _systems_of(piece: Any) -> list[str]:
    """The systems that translated a piece: this pipeline's model when its translation is complete, then the others."""
    ours = [piece.model] if piece.translation and not piece.external and piece.model else []
    return ours + [e.system for e in piece.external_translations]


store_app = typer.Typer(
    name="store",
    help="Move a store: `pipeline store copy --from FILE.sqlite --to postgresql://...`.",
    context_settings={"help_option_names": ["-h", "--help"]},
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

    \b
    Example:
      pipeline store copy --from pipeline.sqlite --to postgresql://pipeline@db.internal/pipeline
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
        _next(Reporter(quiet=False), f"pipeline status --db {shlex.quote(path_text(where))}")


model_app = typer.Typer(
    name="model",
    help=(
        "Get a translation checkpoint the pipeline loads: `pipeline model fetch` on a machine with network, "
        "`pipeline model convert DIR` for a folder that only has pickle weights."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(model_app)


@model_app.command("fetch")
def model_fetch(
    name: Annotated[
        str | None, typer.Argument(metavar="[HUB_ID]", help="The checkpoint; default: model.name (Helsinki-NLP/opus-mt-ar-en).")
    ] = None,
    to: Annotated[
        Path | None,
        typer.Option("--to", metavar="DIR", help="Where to put it; default: models/NAME (found there by later runs)."),
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite the model already in DIR.")] = False,
    config: ConfigOpt = None,
    sets: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Download a checkpoint exactly as a run resolves it (safetensors only) into a folder of its own.

    The pinned revision, the hub's safetensors conversion and the weight digests
    are those a run would use; the folder records the hub id and commit
    (.pipeline-source.json), so translations made from it name them. Copy the
    folder to a machine without network and run there with no flags (models/NAME)
    or with --model DIR.

    \b
    Example:
      pipeline model fetch --to models/opus-mt-ar-en
    """
    from pipeline.translate.local_copy import fetch_model
    from pipeline.translate.settings import TranslatorSettings

    with _errors():
        cfg = build_config(config, sets, model=name)
        settings = TranslatorSettings.from_config(cfg)
        target = to if to is not None else Path(settings.model.local_dir or "models") / settings.model.name.rsplit("/", 1)[-1]
        model = fetch_model(settings, target, replace_existing=replace)
    if not quiet:
        _print(f"{model.describe()} is in {path_text(model.path)}")
        _print(
            f"next: pipeline run INPUT... --model {path_text(model.path)}  (or copy the folder to models/ on the machine that runs it)"
        )


@model_app.command("convert")
def model_convert(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A checkpoint folder with pytorch_model.bin and config.json.")],
    to: Annotated[
        Path | None, typer.Option("--to", metavar="DIR", help="Write a new folder instead of adding model.safetensors to DIR.")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Turn a checkpoint's pickle weights into model.safetensors, which the pipeline loads.

    The pickle is read with torch's weights_only loader (tensors only: no code
    in the file runs), saved through the architecture config.json names, and read
    back: every weight must come back equal, or nothing is written.

    \b
    Example:
      pipeline model convert models/opus-mt-ar-en
    """
    from pipeline.translate.to_safetensors import convert_to_safetensors

    with _errors():
        out = convert_to_safetensors(folder, to)
    if not quiet:
        _print(f"wrote {path_text(out / 'model.safetensors')} (every weight checked against the pickle)")
        _print(f"next: pipeline run INPUT... --model {path_text(out)}")


annotations_app = typer.Typer(
    name="annotations",
    help="Reviewers' judgements back from Label Studio and doccano: `pipeline annotations import EXPORT.json`.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(annotations_app)


@annotations_app.command("import")
def annotations_import(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="Label Studio exports (JSON or JSON-MIN) and doccano exports (JSONL, or the zip of USER.jsonl files).",
            show_default=False,
        ),
    ],
    annotator: Annotated[
        str | None,
        typer.Option(
            "--annotator",
            metavar="NAME",
            help="Who reviewed a doccano file, when its name does not say (doccano names it USER.jsonl).",
        ),
    ] = None,
    config: ConfigOpt = None,
    sets: SetOpt = None,
    db: DbOpt = None,
    wait: WaitOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Store reviewers' judgements of the tasks `pipeline export` wrote: verdicts, ratings, error spans, corrections.

    Each record must be a task this store exported, with its ids as exported:
    tasks from another project, from another store, or with edited ids are
    refused, each named on one line, and the other records are imported.
    Importing the same export again stores nothing; a later judgement of an item
    by the same reviewer supersedes the earlier one (both are kept). Pairs that
    reviewers judged the same event and the aligner missed become reviewed
    matches; matches judged a different event are shown as rejected and leave
    the exports (export.include_rejected keeps them). Exit codes: 0 done,
    2 no store, 3 some records or files refused (the others imported),
    5 store busy, 6 store not writable.

    \b
    Example:
      pipeline annotations import project-1-at-2026-01-05.json --db pipeline.sqlite
    """
    reporter = Reporter(quiet=quiet)
    with _errors():
        cfg = build_config(config, sets, db=db, extra={"annotations.doccano_annotator": annotator})
        _require_store(cfg)
        result = _run_stages(
            ["annotations"],
            cfg,
            reporter,
            command="annotations import " + " ".join(map(path_text, files)),
            inputs=files,
            wait=wait,
            create_store=False,
        )
    for message in result.messages:
        reporter.error(message)
    report = result.reports["annotations"]
    if not quiet:
        for f in report.files:
            _print(
                f"{f.path}: {f.imported} new judgement(s), {f.already} already stored, {len(f.refused)} refused, "
                f"{f.skipped} skipped"
            )
        pairs = ", ".join(f"{state} {n}" for state, n in report.pairs.items()) or "none"
        _print(
            f"store: {report.judgements} judgement(s) ({report.current} current), reviewed pairs: {pairs}; "
            f"reviewed matches added {report.reviewed_matches_added}"
        )
        _print(_agreement_line(report.agreement))
    raise typer.Exit(result.exit_code)


def _agreement_line(agreement: dict[str, Any]) -> str:
    """Reviewer agreement in one line: where two reviewers judged the same item."""
    parts = []
    for name in ("verdict", "adequacy", "fluency"):
        block = agreement.get(name) or {}
        if block.get("pairs"):
            kappa = "n/a" if block.get("kappa") is None else f"{block['kappa']:.2f}"
            parts.append(f"{name} {block['agreement']:.0%} agree, kappa {kappa} ({block['pairs']} pairs of judgements)")
    return "agreement: " + ("; ".join(parts) if parts else "no item judged by two reviewers yet")


@app.command("config")
def show_config(
    config: ConfigOpt = None, sets: SetOpt = None, db: DbOpt = None, out: OutOpt = None, model: ModelOpt = None
) -> None:
    """Print the configuration a run would use (defaults, --config FILE, the environment, --set), as commented YAML.

    Save it as a file to start a config of your own; it only needs the keys you change.

    \b
    Example:
      pipeline config --set translate.num_beams=2 > my.yaml
    """
    from pipeline.config_docs import render_yaml
    from pipeline.stages import sections

    with _errors():
        cfg = build_config(config, sets, db=db, out=out, model=model)
        cfg.check_sections(sections())
        text = render_yaml(sections(), cfg, header=f"# The configuration a run would use ({cfg.where} over the defaults).\n")
        for message in cfg.warnings:
            Reporter(quiet=False).warn(message)
        sys.stdout.write(text)
    _next(Reporter(quiet=False), "save it as a file, keep the keys you change, and pass it with --config FILE")


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
