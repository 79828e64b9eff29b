"""report.html and its folder: the report analysts open in a browser every morning.

What it is, and why it is cut this way:

* ``report.html`` is the index: counts, the pictures (:mod:`pipeline.export.charts`),
  and one table of every piece that the page's script searches, sorts, filters
  and pages through (a "needs review" view among them). Its rows are data in
  a JSON block, drawn 100 at a time, so 100,000 pieces stay one light page.
* ``report/matches-NNNN.html`` hold the matches, ``report_page_size`` a page,
  sentence by sentence with the evidence in words (:mod:`pipeline.export.readable`);
  ``report/pieces-NNNN.html`` the translated pieces without English coverage.
  The index links each row to its section; a page needs no script at all.
* ``report/search/*.js`` is the search index, cut into shards the index page
  loads only when a query needs them (:mod:`pipeline.export.search`), and
  ``report/text/*.js`` the searched texts, 100 pieces a file, which the page
  loads for the rows a search shows, to quote each hit in its context.
* Every system's translation of a piece is shown: a page lays each system
  out in a panel of its own, picked with radio buttons (CSS alone: the pages
  run no script), the aligned one first.

It opens from disk with no server (``file://``): the pages link to one
another, the shards are loaded by ``<script>`` elements, never ``fetch()``.

Inert by construction, because it shows scraped text:

* no network at view time: CSS, JS and the pictures (SVG) are inline;
* Jinja2 with autoescape on, so text from a dump is always text; the index
  rows are JSON in a ``<script type="application/json">`` block (``tojson``
  escapes ``<``, ``>``, ``&``), read with ``JSON.parse`` and put on the page
  only through ``textContent``; the page's script never parses data as markup;
* no URL from the data ever becomes an ``href``: links go to our own pages
  and anchors, built from numbers;
* a Content-Security-Policy allows exactly our one inline style and, on the
  index, our one inline script by their SHA-256 hashes (computed at render
  time) plus the scripts that script itself adds (``'strict-dynamic'``: the
  search shards); the pages allow no script at all. Everything else (other
  scripts, event-handler attributes, loads of any kind) is blocked even if
  some text slipped through as markup.

Arabic is marked ``dir="rtl" lang="ar"`` with a font stack that renders it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.export.charts import charts
from pipeline.export.data import AlignedPair, ExportData, MatchView, PieceView, SystemView, paused_gc, sentence_flags
from pipeline.export.readable import (
    FLAGS,
    clip,
    date_gap,
    entity_pairs,
    flag_reasons,
    log_odds,
    raw_values,
    score_parts,
)
from pipeline.export.search import SearchIndex, search_config, shard_script
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

FOLDER = "report"
SEARCH = "search"
TEXT = "text"
TEXT_CHUNK = 100  # pieces per file of report/text/
TEXT_LIMIT = 20_000  # characters of one text kept for quoting search hits
TITLE_LIMIT = 200  # characters of a title shown before it is clipped (a looping translated title can run for pages)
_OWN_PAGE = re.compile(r"^(matches|pieces)-\d{4,}\.html$")
_OWN_SHARD = re.compile(r"^[0-9a-f]{4}(-[0-9a-f]{4})*\.js$")
_OWN_TEXT = re.compile(r"^\d{4,}\.js$")
# The index rows: one JSON array per piece, in this order (the page's script reads them by name).
ROW_FIELDS = (
    "number",
    "id",
    "input_id",
    "source",
    "title",
    "title_en",
    "lang",
    "date",
    "outlet",
    "status",
    "reason",
    "coverage",
    "score",
    "strength",
    "near",
    "diag",
    "flagged",
    "flags",
    "systems",
    "matches",
    "page",
    "review",
)


@dataclass(frozen=True)
class ReportOptions:
    page_size: int = 100  # matches (or pieces) per page of report/
    review_margin: float = 0.1  # "needs review": this close to the threshold, on either side
    threshold: float = 0.5  # align.threshold as configured, used when the store does not say which one it used
    store: str | None = None  # where the store is (a URL without its password), for the commands the report names
    out_dir: str | None = None  # where the report is written, for the same
    model: str = "Helsinki-NLP/opus-mt-ar-en"  # the model a run loads (model.name), named when none could be loaded


def _asset(name: str) -> str:
    return (files("pipeline") / "templates" / name).read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(css: str, js: str | None) -> str:
    """Our inline style and (on the index) our inline script by hash, plus what that script adds; nothing else."""
    scripts = f"{csp_hash(js)} 'strict-dynamic'" if js is not None else "'none'"
    return (
        "default-src 'none'; "
        f"script-src {scripts}; "
        f"style-src {csp_hash(css)}; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; "
        "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
    )


# -- what a piece is, for the filters and the table


def _day(view: PieceView) -> str:
    iso = iso_text(view.piece.date)
    return iso[:10] if iso else ""


def _coverage(view: PieceView) -> str:
    if view.matches:
        return "matched"
    if view.piece.lang == "en":
        return "english"
    if view.alignment == "no_coverage":
        return "no_coverage"
    if not view.piece.translation:
        return view.piece.status if view.piece.status in {"pending", "failed", "not_routed"} else "not_translated"
    return "unaligned"


def _diag_state(view: PieceView) -> str:
    if not view.diagnostics:
        return "none"
    return "flagged" if view.flagged else "clean"


def _has_page(view: PieceView) -> bool:
    """A translated piece without coverage gets a section of its own (a matched one is shown in its matches)."""
    return _coverage(view) in {"no_coverage", "unaligned"}


@dataclass
class Layout:
    """Which page each match and each piece without coverage is on; the threshold the matches were scored against."""

    match_page: dict[int, int]
    piece_page: dict[int, int]
    match_pages: int
    piece_pages: int
    threshold: float
    margin: float

    def match_href(self, number: int, from_folder: bool = False) -> str:
        page = f"matches-{self.match_page[number]:04d}.html#match-{number}"
        return page if from_folder else f"{FOLDER}/{page}"


def layout(data: ExportData, options: ReportOptions) -> Layout:
    size = options.page_size
    uncovered = [v for v in data.pieces if _has_page(v)]
    return Layout(
        match_page={m.number: (i // size) + 1 for i, m in enumerate(data.matches)},
        piece_page={v.number: (i // size) + 1 for i, v in enumerate(uncovered)},
        match_pages=(len(data.matches) + size - 1) // size,
        piece_pages=(len(uncovered) + size - 1) // size,
        threshold=_threshold(data, options.threshold),
        margin=options.review_margin,
    )


def _threshold(data: ExportData, configured: float) -> float:
    """The threshold the store's matches were scored against (their evidence says), else the configured one."""
    seen = Counter(t for m in data.matches if isinstance(t := m.match.evidence.get("threshold"), (int, float)))
    seen.update(v.near_threshold for v in data.pieces if v.near_threshold is not None)
    return float(seen.most_common(1)[0][0]) if seen else configured


def review_reasons(view: PieceView, lay: Layout) -> list[str]:
    """Why a piece needs a second look: a match just above the threshold, flagged units, a near miss."""
    reasons = []
    for m in view.matches:
        if m.source_view is view and m.match.score < lay.threshold + lay.margin:
            reasons.append(f"match {m.number} scored {m.match.score:.2f}, just above the threshold {lay.threshold:.2f}")
    flagged = view.diagnostics.get("by_system") or {}
    for name, (n, word) in flagged.items():
        reasons.append(f"{n} flagged {word}" + (f" ({name})" if len(view.systems) > 1 else ""))
    near, bar = view.near_score, lay.threshold if view.near_threshold is None else view.near_threshold
    if near is not None and near >= bar - lay.margin:
        reasons.append(f"no coverage, but the best candidate scored {near:.2f} (threshold {bar:.2f})")
    return reasons


def _strength(view: PieceView) -> float | None:
    """The log-odds of the piece's best match: unlike the score it does not saturate at 1.00, so it ranks matches."""
    values = [v for m in view.matches if (v := log_odds(m.match.evidence)) is not None]
    return round(max(values), 2) if values else None


def index_row(view: PieceView, lay: Layout) -> list[Any]:
    piece = view.piece
    flags = view.diagnostics.get("flags")
    flags = flags if isinstance(flags, dict) else {}
    row = {
        "number": view.number,
        "id": piece.id,
        "input_id": piece.input_id or "",
        "source": piece.source,
        "title": clip(piece.title or "", TITLE_LIMIT),
        "title_en": clip(piece.title_translation or "", TITLE_LIMIT),
        "lang": piece.lang or "unknown",
        "date": _day(view),
        "outlet": piece.outlet or "",
        "status": piece.status,
        # a pending piece's reason is said once, in the banner above the table
        "reason": clip(view.reason or "", TITLE_LIMIT) if piece.status in {"failed", "not_routed"} else "",
        "coverage": _coverage(view),
        "score": round(view.best_score, 4) if view.best_score is not None else None,
        "strength": _strength(view),
        "near": view.near_score,
        "diag": "english" if piece.lang == "en" else _diag_state(view),
        "flagged": int(view.diagnostics.get("flagged_units", 0)),
        "flags": sorted(flags),
        "systems": [s.name for s in view.systems if s.complete],
        "matches": [[m.number, lay.match_page[m.number], round(m.match.score, 4)] for m in view.matches],
        "page": lay.piece_page.get(view.number, 0),
        "review": review_reasons(view, lay),
    }
    return [row[name] for name in ROW_FIELDS]


def _counts(data: ExportData) -> list[tuple[str, int | str]]:
    by_lang: dict[str, int] = {}
    for v in data.pieces:
        by_lang[v.piece.lang or "unknown"] = by_lang.get(v.piece.lang or "unknown", 0) + 1
    rows: list[tuple[str, int | str]] = [(f"pieces in {lang}", n) for lang, n in sorted(by_lang.items())]
    rows.append(("translated", sum(1 for v in data.pieces if v.piece.lang != "en" and v.piece.translation)))
    here = sum(1 for v in data.pieces if any(not s.external and s.complete for s in v.systems))
    with_input = sum(1 for v in data.pieces if any(s.external for s in v.systems))
    if with_input:
        rows.append(("translated here", here))
        rows.append(("came with another system's translation", with_input))
    rows.append(("pending", sum(1 for v in data.pieces if v.piece.status == "pending")))
    rows.append(("matches", len(data.matches)))
    rows.append(("without English coverage", sum(1 for v in data.pieces if v.alignment == "no_coverage")))
    if data.judgements:  # what reviewers said (pipeline annotations import): reviewed vs automatic matches
        labels = [m.review_label for m in data.matches]
        rows.append(("matches automatic (no reviewer judged them)", labels.count("automatic")))
        for label, words in (
            ("confirmed", "confirmed by reviewers"),
            ("reviewed", "added by reviewers (the aligner had missed them)"),
            ("rejected", "rejected by reviewers (left out of the exports)"),
            ("disputed", "disputed between reviewers"),
        ):
            rows.append((f"matches {words}", labels.count(label)))
        rows.append(("reviewers' judgements", len(data.judgements)))
        verdict = data.agreement.get("verdict") or {}
        if verdict.get("pairs"):
            kappa = "n/a" if verdict.get("kappa") is None else f"{verdict['kappa']:.2f}"
            rows.append(
                (
                    f"reviewer agreement on the event (Cohen's kappa {kappa}, {verdict['pairs']} pairs of judgements)",
                    f"{verdict['agreement']:.0%}",
                )
            )
    return rows


@dataclass
class Pending:
    """What a report of a run that stopped early says once, at the top: what waits, why, and the command that finishes it."""

    pieces: int
    sentences: int
    reasons: list[tuple[str, int]]  # the distinct reasons, most pieces first
    command: str
    model_missing: bool


MODEL_PLACEHOLDER = "/path/to/opus-mt-ar-en"


def pending_banner(data: ExportData, options: ReportOptions) -> Pending | None:
    """The pending pieces in one banner, with the command that finishes the run (None when nothing is pending)."""
    pending = [v for v in data.pieces if v.piece.status == "pending"]
    if not pending:
        return None
    reasons = Counter(v.reason or "not translated yet" for v in pending).most_common()
    sentences = sum(1 for v in pending for s in v.title + v.body if s.translation is None and s.reason is None)
    model_missing = data.last_translate_status == "model_unavailable"
    store = ["--db", options.store] if options.store else []
    out = ["--out", options.out_dir] if options.out_dir else []
    model = ["--model", MODEL_PLACEHOLDER] if model_missing else []
    if data.last_run_inputs:
        command = shlex.join(["pipeline", "run", *data.last_run_inputs, *store, *out, *model])
    else:
        command = " && ".join(
            shlex.join(words)
            for words in (
                ["pipeline", "translate", *store, *model],
                ["pipeline", "diagnose", *store],
                ["pipeline", "align", *store],
                ["pipeline", "export", *store, *out],
            )
        )
    return Pending(len(pending), sentences, reasons, command, model_missing)


def systems_line(data: ExportData) -> str:
    """Which systems translated the store's pieces, with how many pieces and where each came from."""
    parts = [
        f"{name} ({n} piece{'s' if n != 1 else ''}, {'came with the input' if external else 'translated here'})"
        for name, (n, external) in data.systems.items()
    ]
    return ", ".join(parts)


# -- template helpers: each returns plain text (escaped by Jinja) or Markup built with .format


def _tag(text: str, kind: str = "") -> Markup:
    return Markup('<span class="tag {}">{}</span>').format(kind, text)


def _pairs_of(match: MatchView, source_index: int) -> list[AlignedPair]:
    return [p for p in match.pairs if p.source == source_index]


def _flagged_units(view: PieceView, system: SystemView) -> list[tuple[str, str, list[Any], list[tuple[str, str]]]]:
    """(label, anchor suffix, reasons, measured values) of each flagged unit of one system's translation, title first.

    The anchor suffix names the unit's row: ``s{i}`` in this pipeline's sentence table, ``u{i}`` in a unit table.
    """
    out = []
    if not system.external:
        for segment in view.title:
            names = sentence_flags(segment.diagnostics)
            if names:
                out.append(("Title", "", flag_reasons(segment.diagnostics, names), raw_values(segment.diagnostics)))
    word = {"sentence": "Sentence", "paragraph": "Paragraph"}.get(system.unit)
    for i, unit in enumerate(system.units):
        names = unit.flags
        if names:
            label = f"{word} {i + 1}" if word else "The whole translation"
            suffix = f"s{i + 1}" if system.unit == "sentence" else f"u{i + 1}"
            out.append((label, suffix, flag_reasons(unit.diagnostics, names), raw_values(unit.diagnostics)))
    return out


# -- the big tables of the pages, written here rather than by template macros: they are most of a page's bytes,
# and a Jinja macro call per row cost more than the rest of the page (every text goes through escape())


def _flag_tags(names: list[str]) -> str:
    return "".join(f'<span class="tag warn">{escape(FLAGS[n][0] if n in FLAGS else n)}</span> ' for n in names)


def units_table(system: SystemView, anchor: str) -> Markup:
    """One system's translation beside the Arabic, unit by unit (sentences, paragraphs, or the whole piece)."""
    letter = "s" if system.unit == "sentence" else "u"
    rows = []
    for i, u in enumerate(system.units, start=1):
        translation = escape(u.translation) if u.translation else '<span class="pending">translation pending</span>'
        rows.append(
            f'<tr id="{anchor}-{letter}{i}"><td class="num idx">{i}</td><td class="text ar" dir="rtl" lang="ar">'
            f'{escape(u.arabic)}</td><td class="text" lang="en">{translation}</td>'
            f'<td class="flagcell">{_flag_tags(u.flags)}</td></tr>\n'
        )
    return Markup(
        '<table class="aligned units">\n<colgroup><col class="idx"><col><col><col class="flags"></colgroup>\n'
        f'<thead><tr><th scope="col">#</th><th scope="col">Arabic original</th><th scope="col">{escape(system.name)}</th>'
        '<th scope="col">Flagged</th></tr></thead>\n<tbody>\n' + "".join(rows) + "</tbody>\n</table>\n"
    )


def sentence_pairs_table(match: MatchView, view: PieceView, anchor: str) -> Markup:
    """The aligned translation sentence by sentence beside the English sentences the aligner paired with it."""
    with_arabic = any(s.text for s in view.body)
    # this pipeline's sentences are its units, whose flags are read already
    ours = view.systems[0] if view.systems and view.systems[0].unit == "sentence" else None
    flags = [u.flags for u in ours.units] if ours and len(ours.units) == len(view.body) else None
    by_source: dict[int, list[AlignedPair]] = {}
    for pair in match.pairs:
        by_source.setdefault(pair.source, []).append(pair)
    rows = []
    for i, s in enumerate(view.body):
        pairs = by_source.get(i, [])
        english = "".join(
            f'<div class="pair"><span class="tag">EN {p.target + 1}</span> '
            + (
                str(escape(p.english))
                if p.english is not None
                else f'<span class="pending">sentence {p.target + 1} not found</span>'
            )
            + "</div>"
            for p in pairs
        )
        scores = "".join(f'<div class="pair">{p.score:.2f}</div>' for p in pairs)
        translation = escape(s.translation) if s.translation else '<span class="pending">translation pending</span>'
        rows.append(
            (f'<tr id="{anchor}-s{i + 1}">\n' if with_arabic else "<tr>\n")
            + f'<td class="num idx">{i + 1}</td>\n'
            + (f'<td class="text ar" dir="rtl" lang="ar">{escape(s.text)}</td>\n' if with_arabic else "")
            + f'<td class="text" lang="en">{translation}</td>\n'
            + f'<td class="text" lang="en">{english or """<span class="muted">—</span>"""}</td>\n'
            + f'<td class="num">{scores}</td>\n'
            + f'<td class="flagcell">{_flag_tags(flags[i] if flags else sentence_flags(s.diagnostics))}</td>\n</tr>\n'
        )
    head = '<th scope="col">#</th>' + ('<th scope="col">Arabic original</th>' if with_arabic else "")
    head += '<th scope="col">Machine translation</th><th scope="col">English coverage</th><th scope="col">Score</th>'
    head += '<th scope="col">Flagged</th>'
    cols = '<col class="idx">' + ("<col>" if with_arabic else "") + '<col><col><col class="score"><col class="flags">'
    return Markup(
        f'<table class="aligned">\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "".join(rows)
        + "</tbody>\n</table>\n"
    )


def _checked(view: PieceView, system: SystemView) -> int:
    title = sum(1 for s in view.title if s.diagnostics is not None) if not system.external else 0
    return title + system.checked


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


def _pretty_all(evidence: dict[str, Any]) -> str:
    """The whole evidence as stored, a key a line, each value as compact JSON (json's C encoder: an indented dump
    goes through its pure-Python one, which cost more than the rest of the report's pages)."""
    return "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in evidence.items())


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=_day, coverage=_coverage, pretty=_pretty, pretty_all=_pretty_all, pairs_of=_pairs_of, tag=_tag, clip=clip
    )
    env.globals.update(
        score_parts=score_parts,
        log_odds=log_odds,
        entity_pairs=entity_pairs,
        date_gap=date_gap,
        flag_reasons=flag_reasons,
        sentence_flags=sentence_flags,
        raw_values=raw_values,
        flagged_units=_flagged_units,
        checked=_checked,
        units_table=units_table,
        sentence_pairs_table=sentence_pairs_table,
        TITLE_LIMIT=TITLE_LIMIT,
    )
    return env


# -- writing


def render_index(data: ExportData, lay: Layout, options: ReportOptions, env: Environment | None = None) -> str:
    env = env or environment()
    css, js = _asset("report.css"), _asset("report.js")
    payload = {
        "fields": list(ROW_FIELDS),
        "rows": [index_row(v, lay) for v in data.pieces],
        "search": {**search_config(), "folder": f"{FOLDER}/{SEARCH}/"},
        "text": {"folder": f"{FOLDER}/{TEXT}/", "chunk": TEXT_CHUNK},
        "flag_labels": {name: spec[0] for name, spec in FLAGS.items()},
        "folder": FOLDER + "/",
    }
    return env.get_template("report.html").render(
        csp=content_security_policy(css, js),
        css=Markup(css),
        js=Markup(js),
        generated_at=data.generated_at,
        systems=systems_line(data),
        pending=pending_banner(data, options),
        pending_model=options.model,
        system_names=list(data.systems),
        counts=_counts(data),
        warnings=data.warnings,
        charts=charts(data, lay.threshold),
        outlets=sorted({o for v in data.pieces if (o := v.piece.outlet)}),
        langs=sorted({v.piece.lang or "unknown" for v in data.pieces}),
        coverages=sorted({_coverage(v) for v in data.pieces}),
        lay=lay,
        pieces=len(data.pieces),
        matches=len(data.matches),
        page_size=options.page_size,
        uncovered=sum(1 for v in data.pieces if _has_page(v)),
        payload=payload,
    )


def piece_href(view: PieceView, lay: Layout) -> str:
    """Where a page of report/ links to show a piece: its first match, its own section, else its row in the index."""
    if view.matches:
        return lay.match_href(view.matches[0].number, from_folder=True)
    if view.number in lay.piece_page:
        return f"pieces-{lay.piece_page[view.number]:04d}.html#piece-{view.number}"
    return f"../report.html#piece-{view.number}"


def render_pages(data: ExportData, lay: Layout, options: ReportOptions, env: Environment | None = None) -> dict[str, str]:
    """report/ pages: name → HTML (matches-NNNN.html, pieces-NNNN.html)."""
    env = env or environment()
    css = _asset("report.css")
    template = env.get_template("report_page.html")
    common = {
        "csp": content_security_policy(css, None),
        "css": Markup(css),
        "generated_at": data.generated_at,
        "lay": lay,
        "pages": {"matches": lay.match_pages, "pieces": lay.piece_pages},
        "near_href": lambda view: piece_href(view, lay),
    }
    out = {}
    size = options.page_size
    for page in range(1, lay.match_pages + 1):
        chunk = data.matches[(page - 1) * size : page * size]
        out[f"matches-{page:04d}.html"] = template.render(
            kind="matches",
            page=page,
            first=(page - 1) * size + 1,
            last=(page - 1) * size + len(chunk),
            total=len(data.matches),
            matches=chunk,
            pieces=[],
            **common,
        )
    uncovered = [v for v in data.pieces if _has_page(v)]
    for page in range(1, lay.piece_pages + 1):
        some = uncovered[(page - 1) * size : page * size]
        out[f"pieces-{page:04d}.html"] = template.render(
            kind="pieces",
            page=page,
            first=(page - 1) * size + 1,
            last=(page - 1) * size + len(some),
            total=len(uncovered),
            matches=[],
            pieces=some,
            **common,
        )
    return out


def searched_texts(view: PieceView) -> list[tuple[str, str]]:
    """(label, text) of what the search reads of a piece: its title, title translation, text and every system's
    translation."""
    p = view.piece
    texts = [("title", p.title or ""), ("title translation", p.title_translation or "")]
    texts.append(("Arabic" if p.lang == "ar" else "English" if p.lang == "en" else "text", p.text))
    texts += [(s.name, s.text) for s in view.systems if s.complete]
    return [(label, text) for label, text in texts if text]


def search_shards(data: ExportData) -> dict[str, str]:
    """report/search/ files: shard file name → script."""
    index = SearchIndex()
    for view in data.pieces:
        index.add(view.number, [text for _, text in searched_texts(view)])
    return {f"{key}.js": shard_script(key, shard) for key, shard in index.shards().items()}


def text_chunks(data: ExportData) -> dict[str, str]:
    """report/text/ files: the searched texts of TEXT_CHUNK pieces a file, so the page can quote a hit in its context."""
    chunks: dict[int, dict[int, list[tuple[str, str]]]] = {}
    for view in data.pieces:
        texts = [(label, text[:TEXT_LIMIT]) for label, text in searched_texts(view)]
        chunks.setdefault(view.number // TEXT_CHUNK, {})[view.number] = texts
    return {f"{chunk:04d}.js": text_script(chunk, texts) for chunk, texts in chunks.items()}


def text_script(chunk: int, texts: dict[int, list[tuple[str, str]]]) -> str:
    """One file of report/text/: a call that hands the page its texts (JSON, so text stays data)."""
    payload = json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.reportText({chunk},{payload});\n"


def write_html(data: ExportData, out: OutputDir, options: ReportOptions | None = None) -> dict[str, Path]:
    """The pages and the search shards first, report.html last: the index never links to a page not yet written.

    Pages and shards left from an earlier export that this one did not write
    are removed, so the folder always matches its index.
    """
    with paused_gc():
        return _write_html(data, out, options or ReportOptions())


def _write_html(data: ExportData, out: OutputDir, options: ReportOptions) -> dict[str, Path]:
    env = environment()
    lay = layout(data, options)
    folder = out.folder(FOLDER)
    pages = render_pages(data, lay, options, env)
    for name, text in pages.items():
        folder.write_text(name, text, durable=False)
    _remove_stale(folder.path, set(pages), _OWN_PAGE)
    shards_dir = folder.folder(SEARCH)
    shards = search_shards(data)
    for name, text in shards.items():
        shards_dir.write_text(name, text, durable=False)
    _remove_stale(shards_dir.path, set(shards), _OWN_SHARD)
    texts_dir = folder.folder(TEXT)
    texts = text_chunks(data)
    for name, text in texts.items():
        texts_dir.write_text(name, text, durable=False)
    _remove_stale(texts_dir.path, set(texts), _OWN_TEXT)
    return {"report.html": out.write_text("report.html", render_index(data, lay, options, env))}


def _remove_stale(folder: Path, written: set[str], own: re.Pattern[str]) -> None:
    for path in folder.iterdir():
        if path.is_file() and own.fullmatch(path.name) and path.name not in written:
            path.unlink()


def render_report(data: ExportData, options: ReportOptions | None = None) -> str:
    """The index page alone (report.html), e.g. for a quick look in a test."""
    options = options or ReportOptions()
    return render_index(data, layout(data, options), options)
