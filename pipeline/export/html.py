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
  loads only when a query needs them (:mod:`pipeline.export.search`).

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
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipeline.export.charts import charts
from pipeline.export.data import AlignedPair, ExportData, MatchView, PieceView, sentence_flags
from pipeline.export.readable import (
    FLAGS,
    date_gap,
    entity_pairs,
    flag_reasons,
    raw_values,
    score_parts,
)
from pipeline.export.search import SearchIndex, search_config, shard_script
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text

FOLDER = "report"
SEARCH = "search"
_OWN_PAGE = re.compile(r"^(matches|pieces)-\d{4,}\.html$")
_OWN_SHARD = re.compile(r"^[0-9a-f]{4}(-[0-9a-f]{4})*\.js$")
# The index rows: one JSON array per piece, in this order (the page's script reads them by name).
ROW_FIELDS = (
    "number",
    "id",
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
    "near",
    "diag",
    "flagged",
    "flags",
    "matches",
    "page",
    "review",
)


@dataclass(frozen=True)
class ReportOptions:
    page_size: int = 100  # matches (or pieces) per page of report/
    review_margin: float = 0.1  # "needs review": this close to the threshold, on either side
    threshold: float = 0.5  # align.threshold as configured, used when the store does not say which one it used


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
    """Why a piece needs a second look: a match just above the threshold, flagged sentences, a near miss."""
    reasons = []
    for m in view.matches:
        if m.source_view is view and m.match.score < lay.threshold + lay.margin:
            reasons.append(f"match {m.number} scored {m.match.score:.2f}, just above the threshold {lay.threshold:.2f}")
    if view.flagged:
        n = view.diagnostics.get("flagged_sentences", 0)
        reasons.append(f"{n} flagged sentence{'s' if n != 1 else ''}")
    near, bar = view.near_score, lay.threshold if view.near_threshold is None else view.near_threshold
    if near is not None and near >= bar - lay.margin:
        reasons.append(f"no coverage, but the best candidate scored {near:.2f} (threshold {bar:.2f})")
    return reasons


def index_row(view: PieceView, lay: Layout) -> list[Any]:
    piece = view.piece
    flags = view.diagnostics.get("flags")
    flags = flags if isinstance(flags, dict) else {}
    row = {
        "number": view.number,
        "id": piece.id,
        "source": piece.source,
        "title": piece.title or "",
        "title_en": piece.title_translation or "",
        "lang": piece.lang or "unknown",
        "date": _day(view),
        "outlet": piece.outlet or "",
        "status": piece.status,
        "reason": (view.reason or "") if piece.status in {"pending", "failed", "not_routed"} else "",
        "coverage": _coverage(view),
        "score": round(view.best_score, 4) if view.best_score is not None else None,
        "near": view.near_score,
        "diag": "english" if piece.lang == "en" else _diag_state(view),
        "flagged": int(view.diagnostics.get("flagged_sentences", 0)),
        "flags": sorted(flags),
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


# -- template helpers: each returns plain text (escaped by Jinja) or Markup built with .format


def _tag(text: str, kind: str = "") -> Markup:
    return Markup('<span class="tag {}">{}</span>').format(kind, text)


def _pairs_of(match: MatchView, source_index: int) -> list[AlignedPair]:
    return [p for p in match.pairs if p.source == source_index]


def _flagged_sentences(view: PieceView) -> list[tuple[str, str, list[Any], list[tuple[str, str]]]]:
    """(label, anchor suffix, reasons, measured values) of each flagged sentence of a piece, title first."""
    out = []
    for segment in view.title:
        names = sentence_flags(segment.diagnostics)
        if names:
            out.append(("Title", "", flag_reasons(segment.diagnostics, names), raw_values(segment.diagnostics)))
    for i, segment in enumerate(view.body):
        names = sentence_flags(segment.diagnostics)
        if names:
            out.append(
                (f"Sentence {i + 1}", f"s{i + 1}", flag_reasons(segment.diagnostics, names), raw_values(segment.diagnostics))
            )
    return out


def _checked(view: PieceView) -> int:
    return sum(1 for s in view.title + view.body if s.diagnostics is not None)


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(day=_day, coverage=_coverage, pretty=_pretty, pairs_of=_pairs_of, tag=_tag)
    env.globals.update(
        score_parts=score_parts,
        entity_pairs=entity_pairs,
        date_gap=date_gap,
        flag_reasons=flag_reasons,
        sentence_flags=sentence_flags,
        raw_values=raw_values,
        flagged_sentences=_flagged_sentences,
        checked=_checked,
    )
    return env


# -- writing


def render_index(data: ExportData, lay: Layout, options: ReportOptions, env: Environment | None = None) -> str:
    env = env or environment()
    css, js = _asset("report.css"), _asset("report.js")
    models = sorted({v.piece.model for v in data.pieces if v.piece.model})
    payload = {
        "fields": list(ROW_FIELDS),
        "rows": [index_row(v, lay) for v in data.pieces],
        "search": {**search_config(), "folder": f"{FOLDER}/{SEARCH}/"},
        "flag_labels": {name: spec[0] for name, spec in FLAGS.items()},
        "folder": FOLDER + "/",
    }
    return env.get_template("report.html").render(
        csp=content_security_policy(css, js),
        css=Markup(css),
        js=Markup(js),
        generated_at=data.generated_at,
        model=", ".join(models),
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


def search_shards(data: ExportData) -> dict[str, str]:
    """report/search/ files: shard file name → script."""
    index = SearchIndex()
    for view in data.pieces:
        p = view.piece
        index.add(view.number, (p.title, p.title_translation, p.text, p.translation))
    return {f"{key}.js": shard_script(key, shard) for key, shard in index.shards().items()}


def write_html(data: ExportData, out: OutputDir, options: ReportOptions | None = None) -> dict[str, Path]:
    """The pages and the search shards first, report.html last: the index never links to a page not yet written.

    Pages and shards left from an earlier export that this one did not write
    are removed, so the folder always matches its index.
    """
    options = options or ReportOptions()
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
    return {"report.html": out.write_text("report.html", render_index(data, lay, options, env))}


def _remove_stale(folder: Path, written: set[str], own: re.Pattern[str]) -> None:
    for path in folder.iterdir():
        if path.is_file() and own.fullmatch(path.name) and path.name not in written:
            path.unlink()


def render_report(data: ExportData, options: ReportOptions | None = None) -> str:
    """The index page alone (report.html), e.g. for a quick look in a test."""
    options = options or ReportOptions()
    return render_index(data, layout(data, options), options)
