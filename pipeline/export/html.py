"""report.html: the side-by-side view analysts open in a browser.

Self-contained and inert by construction, because it shows scraped text:
- no network at view time: CSS and JS are inline, no fonts, images or links out;
- Jinja2 with autoescape on, so text from a dump is always text; helpers that
  build markup use ``Markup.format``, which escapes its arguments;
- no URL from the data ever becomes an ``href``: the only links are to anchors
  of our own (numbered sections);
- a Content-Security-Policy allows exactly the one inline style and the one
  inline script, by their SHA-256 hashes computed at render time; everything
  else (other scripts, event-handler attributes, loads of any kind) is blocked
  even if some text slipped through as markup;
- the filter script only reads ``data-*`` attributes and toggles ``hidden``.
Arabic is marked ``dir="rtl" lang="ar"`` with a font stack that renders it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipeline.export.data import AlignedPair, ExportData, MatchView, PieceView, sentence_flags
from pipeline.output import OutputDir
from pipeline.text.dates import iso_text


def _asset(name: str) -> str:
    return (files("pipeline") / "templates" / name).read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(css: str, js: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src {csp_hash(js)}; "
        f"style-src {csp_hash(css)}; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; "
        "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
    )


# -- filters: each returns plain text (escaped by Jinja) or Markup built with .format


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


def _outlets(match: MatchView) -> str:
    return "\n".join(sorted({o for o in (match.source.outlet, match.target.outlet) if o}))


def _langs(match: MatchView) -> str:
    return " ".join(sorted({lang or "unknown" for lang in (match.source.lang, match.target.lang)}))


def _pretty(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _tag(text: str, kind: str = "") -> Markup:
    return Markup('<span class="tag {}">{}</span>').format(kind, text)


def _diag_tags(diag: dict[str, Any]) -> Markup:
    if not diag:
        return _tag("not diagnosed")
    flags = diag.get("flags")
    if isinstance(flags, dict) and flags:
        return Markup("").join(_tag(f"{name} ×{count}", "warn") for name, count in sorted(flags.items()))
    if isinstance(flags, list) and flags:
        return Markup("").join(_tag(str(name), "warn") for name in flags)
    return _tag("flagged", "warn") if diag.get("flagged") else _tag("clean", "ok")


def _diag_block(diag: dict[str, Any]) -> Markup:
    if not diag:
        return Markup('<p class="muted">No diagnostics recorded for this piece.</p>')
    rows = Markup("").join(
        Markup("<dt>{}</dt><dd>{}</dd>").format(key, _pretty(value))
        for key, value in diag.items()
        if key not in {"flags", "flagged"}  # already shown as tags
    )
    return Markup('<div>{}</div><dl class="facts">{}</dl>').format(_diag_tags(diag), rows)


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _sentence_tags(diag: dict[str, Any] | None) -> Markup:
    """A sentence's flags; for a flagged sentence also the measured values behind them."""
    if not diag:
        return Markup("")
    names = sentence_flags(diag)
    if not names:
        return _tag("ok", "ok")
    values: dict[str, Any] = diag["values"] if isinstance(diag.get("values"), dict) else diag
    numbers = [f"{k} {n}" for k, v in values.items() if (n := _number(v)) is not None]
    return Markup("").join([_tag(n, "warn") for n in names] + [_tag(n) for n in numbers])


def _pairs_of(match: MatchView, source_index: int) -> list[AlignedPair]:
    return [p for p in match.pairs if p.source == source_index]


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=_day,
        coverage=_coverage,
        diag_state=_diag_state,
        outlets=_outlets,
        langs=_langs,
        pretty=_pretty,
        diag_tags=_diag_tags,
        diag_block=_diag_block,
        sentence_tags=_sentence_tags,
        pairs_of=_pairs_of,
    )
    return env


def _counts(data: ExportData) -> list[tuple[str, int]]:
    by_lang: dict[str, int] = {}
    for v in data.pieces:
        by_lang[v.piece.lang or "unknown"] = by_lang.get(v.piece.lang or "unknown", 0) + 1
    rows = [(f"pieces in {lang}", n) for lang, n in sorted(by_lang.items())]
    rows.append(("translated", sum(1 for v in data.pieces if v.piece.lang != "en" and v.piece.translation)))
    rows.append(("pending", sum(1 for v in data.pieces if v.piece.status == "pending")))
    rows.append(("matches", len(data.matches)))
    rows.append(("without English coverage", sum(1 for v in data.pieces if v.alignment == "no_coverage")))
    return rows


def render_report(data: ExportData) -> str:
    css, js = _asset("report.css"), _asset("report.js")
    models = sorted({v.piece.model for v in data.pieces if v.piece.model})
    return environment().get_template("report.html").render(
        csp=content_security_policy(css, js),
        css=Markup(css),
        js=Markup(js),
        generated_at=data.generated_at,
        model=", ".join(models),
        counts=_counts(data),
        warnings=data.warnings,
        outlets=sorted({o for v in data.pieces if (o := v.piece.outlet)}),
        langs=sorted({v.piece.lang or "unknown" for v in data.pieces}),
        coverages=sorted({_coverage(v) for v in data.pieces}),
        pieces=data.pieces,
        matches=data.matches,
        uncovered=[v for v in data.pieces if _coverage(v) in {"no_coverage", "unaligned"}],
    )


def write_html(data: ExportData, out: OutputDir) -> dict[str, Path]:
    return {"report.html": out.write_text("report.html", render_report(data))}
