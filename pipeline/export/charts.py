"""The report's pictures and the numbers behind each, from the export data.

Each chart is a :class:`Chart`: a matplotlib picture (:mod:`pipeline.export.svg`)
and the same numbers as a table, so a screen reader (or an analyst who
wants the figures) gets them too. The numbers are counted here once and
both the picture and the table are drawn from them:

* match scores against the threshold, with the abstentions' best candidates
  beside them (how close the pieces without coverage came);
* pieces per outlet and per day (one bar a day), by language and status;
* flagged translations by diagnostic, and flagged sentences by outlet;
* BLEU and chrF per system with their bootstrap 95% confidence intervals,
  when the store holds a `pipeline evaluate` result.

The counts agree with summary.json by construction: matches and
abstentions are the store's rows, pieces are counted by language and
status as `status` counts them, diagnostics by translation as the diagnose
stage counts them.

A colour means the same thing in every report: a language-and-status
category or a diagnostic has its own colour (:func:`colour_of`), whatever
else the store holds.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from pipeline.export.data import ExportData, PieceView, sentence_flags
from pipeline.export.readable import FLAGS
from pipeline.export.svg import drawing, figure_svg, new_figure
from pipeline.text.dates import iso_date

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]
BIN = 0.05
TOP_OUTLETS = 15
MAX_CATEGORIES = 8
MAX_DAY_BARS = 90  # up to this many days a bar each; beyond, the same daily counts as stacked steps
# Fixed colours: the categories every store has, and the diagnostics; any other name gets one of the rest by a hash
# of its name, so it too keeps its colour from one report to the next.
FIXED_COLOURS = {
    "en": PALETTE[0],
    "ar translated": PALETTE[1],
    "ar pending": PALETTE[5],
    "ar not routed": PALETTE[8],
    "ar failed": PALETTE[7],
    "other": "#BBBBBB",
    "empty": PALETTE[7],
    "arabic_script": PALETTE[1],
    "not_english": PALETTE[0],
    "copied_source": PALETTE[3],
    "length_ratio": PALETTE[2],
    "repetition": PALETTE[5],
    "low_logprob": PALETTE[4],
}
SPARE_COLOURS = [PALETTE[2], PALETTE[3], PALETTE[4], PALETTE[6], "#882255", "#44AA99", "#117733", "#332288", "#AA4499"]


def colour_of(name: str) -> str:
    """The colour of a category or diagnostic: the same in every report."""
    if name in FIXED_COLOURS:
        return FIXED_COLOURS[name]
    digest = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16)
    return SPARE_COLOURS[digest % len(SPARE_COLOURS)]


@dataclass
class Chart:
    id: str
    title: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    svg: Markup | None = None  # None when there is nothing to draw (the caption says why)
    notes: list[str] = field(default_factory=list)


def charts(data: ExportData, threshold: float) -> list[Chart]:
    return [
        score_chart(data, threshold),
        outlet_chart(data),
        day_chart(data),
        diagnostics_chart(data),
        diagnostics_outlet_chart(data),
        evaluation_chart(data.evaluation),
    ]


# -- match scores ---------------------------------------------------------------------------


def score_chart(data: ExportData, threshold: float) -> Chart:
    scores = [m.match.score for m in data.matches]
    abstained = [v for v in data.pieces if v.alignment == "no_coverage"]
    near = [v.near_score for v in abstained if v.near_score is not None]
    no_candidate = len(abstained) - len(near)
    bins = [round(i * BIN, 2) for i in range(round(1 / BIN))]
    matched = _binned(scores, bins)
    missed = _binned(near, bins)
    rows: list[list[Any]] = [[f"{b:.2f}", f"{b + BIN:.2f}", m, a] for b, m, a in zip(bins, matched, missed) if m or a]
    rows.append(["no candidate", "", 0, no_candidate])
    chart = Chart(
        "chart-scores",
        "Match scores against the threshold",
        f"{_n(len(scores), 'match', 'matches')} (blue) and {_n(len(abstained), 'piece')} without English coverage: "
        f"the best candidate's score of {len(near)} of them (orange), and {no_candidate} with no candidate at all (grey, right). "
        f"The dashed line is the threshold, {threshold:.2f}.",
        ["score from", "below", "matches", "pieces without coverage"],
        rows,
    )
    if not scores and not abstained:
        chart.caption = "No matches and no abstentions yet: no piece is translated yet, or the align stage has not run."
        return chart
    with drawing():
        figure = new_figure(7.5, 2.8)
        left, right = figure.subplots(1, 2, width_ratios=[7, 1])
        centres = [b + BIN / 2 for b in bins]
        left.bar(centres, matched, width=BIN * 0.9, color=PALETTE[0], label="matches")
        left.bar(centres, missed, width=BIN * 0.9, bottom=matched, color=PALETTE[1], label="no coverage: best candidate")
        left.axvline(threshold, color="#000000", linestyle="--", linewidth=1)
        left.annotate(
            f"threshold {threshold:.2f}",
            (threshold, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
        )
        left.set_xlim(0, 1)
        left.set_ylim(0, max(1, max(m + a for m, a in zip(matched, missed))) * 1.1)  # never a negative count
        left.set_xlabel("match score")
        left.set_ylabel("count")
        _legend(figure, 2)
        right.bar(["no\ncandidate"], [no_candidate], color=PALETTE[8])
        right.set_ylabel("pieces")
        right.set_ylim(0, max(1, no_candidate) * 1.05)
        _integer_axis(left, "y")
        _integer_axis(right, "y")
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


def _binned(values: list[float], bins: list[float]) -> list[int]:
    counts = [0] * len(bins)
    for value in values:
        counts[min(len(bins) - 1, max(0, int(value / BIN)))] += 1
    return counts


# -- pieces per outlet and per day ------------------------------------------------------------


def category(view: PieceView) -> str:
    """A piece's language and status in a few words: 'ar translated', 'en', 'fa not routed'."""
    lang = view.piece.lang or "unknown"
    status = view.piece.status
    if status == "english" or (lang == "en" and status in {"english", "ingested"}):
        return lang
    return f"{lang} {status.replace('_', ' ')}"


def _categories(data: ExportData) -> list[str]:
    counts = Counter(category(v) for v in data.pieces)
    names = [name for name, _ in counts.most_common()]
    return names if len(names) <= MAX_CATEGORIES else [*names[: MAX_CATEGORIES - 1], "other"]


def _category_of(view: PieceView, names: list[str]) -> str:
    name = category(view)
    return name if name in names else "other"


def outlet_chart(data: ExportData) -> Chart:
    names = _categories(data)
    by_outlet: dict[str, Counter[str]] = {}
    for view in data.pieces:
        by_outlet.setdefault(view.piece.outlet or "(no outlet)", Counter())[_category_of(view, names)] += 1
    ordered = sorted(by_outlet, key=lambda o: (-sum(by_outlet[o].values()), o))
    rows = [[outlet, *(by_outlet[outlet][n] for n in names), sum(by_outlet[outlet].values())] for outlet in ordered]
    shown = ordered[:TOP_OUTLETS]
    if len(ordered) > TOP_OUTLETS:
        rest: Counter[str] = Counter()
        for outlet in ordered[TOP_OUTLETS:]:
            rest.update(by_outlet[outlet])
        by_outlet[f"{len(ordered) - TOP_OUTLETS} other outlets"] = rest
        shown.append(f"{len(ordered) - TOP_OUTLETS} other outlets")
    chart = Chart(
        "chart-outlets",
        "Pieces per outlet, by language and status",
        f"{len(data.pieces)} pieces from {len(ordered)} outlets"
        + (f" (the {TOP_OUTLETS} largest drawn, the rest together)" if len(ordered) > TOP_OUTLETS else "")
        + ".",
        ["outlet", *names, "total"],
        rows,
    )
    if not data.pieces:
        chart.caption = "The store holds no pieces yet."
        return chart
    with drawing():
        figure = new_figure(7.5, 0.9 + 0.28 * len(shown))
        axes = figure.subplots()
        labels = [_short(o) for o in reversed(shown)]
        left = [0] * len(shown)
        for name in names:
            widths = [by_outlet[o][name] for o in reversed(shown)]
            axes.barh(labels, widths, left=left, color=colour_of(name), label=name)
            left = [a + b for a, b in zip(left, widths)]
        axes.set_xlabel("pieces")
        _integer_axis(axes, "x")
        _legend(figure, len(names))
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


def day_chart(data: ExportData) -> Chart:
    """Pieces per day, one bar a day whatever the span (the table lists the days that have pieces)."""
    names = _categories(data)
    dated = [(day, v) for v in data.pieces if (day := iso_date(v.piece.date)) is not None]
    undated = len(data.pieces) - len(dated)
    chart = Chart("chart-days", "Pieces per day, by language and status", "", ["day", *names, "total"], [])
    if not dated:
        chart.caption = f"None of the {len(data.pieces)} pieces has a date."
        chart.rows = [["no date", *([0] * len(names)), undated]] if data.pieces else []
        return chart
    counts: dict[date, Counter[str]] = {}
    for day, view in dated:
        counts.setdefault(day, Counter())[_category_of(view, names)] += 1
    days = sorted(counts)
    chart.rows = [[d.isoformat(), *(counts[d][n] for n in names), sum(counts[d].values())] for d in days]
    if undated:
        chart.rows.append(["no date", *([0] * len(names)), undated])
    first, last = days[0], days[-1]
    chart.caption = (
        f"{len(dated)} dated pieces on {len(days)} days from {first.isoformat()} to {last.isoformat()}, one bar a day"
        + (f"; {undated} pieces have no date" if undated else "")
        + "."
    )
    with drawing():
        figure = new_figure(7.5, 2.6)
        axes = figure.subplots()
        if (last - first).days < MAX_DAY_BARS:
            bottom = [0] * len(days)
            x: Any = days  # matplotlib takes dates on an axis (its stubs say numbers)
            for name in names:
                heights = [counts[d][name] for d in days]
                axes.bar(x, heights, width=0.8, bottom=bottom, color=colour_of(name), label=name, align="center")
                bottom = [a + b for a, b in zip(bottom, heights)]
        else:  # still one value a day, drawn as stacked steps: hundreds of bars would cost seconds and be hairlines
            every = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            bottom = [0] * len(every)
            x = every
            for name in names:
                top = [b + counts.get(d, Counter())[name] for b, d in zip(bottom, every)]
                axes.fill_between(x, bottom, top, step="mid", color=colour_of(name), label=name, linewidth=0)
                bottom = top
        span: Any = (first - timedelta(days=1), last + timedelta(days=1))
        axes.set_xlim(*span)
        axes.set_ylim(0, max(1, max(bottom)) * 1.1)
        axes.set_ylabel("pieces per day")
        _integer_axis(axes, "y")
        _legend(figure, len(names))
        axes.tick_params(axis="x", labelrotation=30)
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


# -- diagnostics ------------------------------------------------------------------------------


def diagnostics_chart(data: ExportData) -> Chart:
    flags = data.translation_flags
    flagged_any = sum(flags.values())
    rows: list[list[Any]] = [[name, _label(name), n] for name, n in flags.items()]
    chart = Chart(
        "chart-diagnostics",
        "Flagged translations by diagnostic",
        f"{data.translations_diagnosed} translations checked (this pipeline's sentences, and the paragraphs or whole "
        f"pieces of the translations that came with the input); one can carry several flags ({flagged_any} flags "
        "in all). Counted per distinct translation, as summary.json counts them.",
        ["diagnostic", "in words", "translations flagged"],
        rows,
    )
    if not data.translations_diagnosed:
        chart.caption = "No translation has been diagnosed yet (the diagnose stage has not run, or nothing is translated)."
        return chart
    with drawing():
        figure = new_figure(7.5, 0.8 + 0.26 * len(rows))
        axes = figure.subplots()
        labels = [_short(f"{_label(name)} ({name})", 40) for name, _, _ in reversed(rows)]
        axes.barh(labels, [n for _, _, n in reversed(rows)], color=[colour_of(name) for name, _, _ in reversed(rows)])
        axes.set_xlabel("translations flagged")
        _integer_axis(axes, "x")
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


def diagnostics_outlet_chart(data: ExportData) -> Chart:
    checked: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    by_outlet: dict[str, Counter[str]] = {}
    for view in data.pieces:
        outlet = view.piece.outlet or "(no outlet)"
        title = (
            [(s.diagnostics, sentence_flags(s.diagnostics)) for s in view.title]
            if any(not s.external for s in view.systems)
            else []
        )
        for diagnostics, names in title + [(u.diagnostics, u.flags) for s in view.systems for u in s.units]:
            if diagnostics is None:
                continue
            checked[outlet] += 1
            if names:
                flagged[outlet] += 1
                by_outlet.setdefault(outlet, Counter()).update(names)
    kinds = [k for k, _ in sum(by_outlet.values(), Counter()).most_common()]
    outlets = sorted(checked, key=lambda o: (-flagged[o], o))
    rows = [[o, *(by_outlet.get(o, Counter())[k] for k in kinds), flagged[o], checked[o]] for o in outlets]
    chart = Chart(
        "chart-diagnostics-outlets",
        "Flagged translations by outlet",
        f"{sum(flagged.values())} of {sum(checked.values())} checked translations flagged (sentences, paragraphs or "
        "whole pieces, of every system), by outlet and diagnostic (one with two flags counts under both).",
        ["outlet", *kinds, "flagged", "checked"],
        rows,
    )
    if not checked:
        chart.caption = "No translation has diagnostics yet."
        return chart
    shown = [o for o in outlets if flagged[o]][:TOP_OUTLETS]
    if not shown:
        chart.caption = f"None of the {sum(checked.values())} checked translations is flagged."
        return chart
    with drawing():
        figure = new_figure(7.5, 0.9 + 0.28 * len(shown))
        axes = figure.subplots()
        labels = [_short(o) for o in reversed(shown)]
        left = [0] * len(shown)
        for kind in kinds:
            widths = [by_outlet.get(o, Counter())[kind] for o in reversed(shown)]
            axes.barh(labels, widths, left=left, color=colour_of(kind), label=_label(kind))
            left = [a + b for a, b in zip(left, widths)]
        axes.set_xlabel("flags on sentences")
        _integer_axis(axes, "x")
        _legend(figure, len(kinds))
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


# -- evaluate ---------------------------------------------------------------------------------

EVAL_METRICS = ("BLEU", "chrF2")


def evaluation_chart(result: dict[str, Any] | None) -> Chart:
    chart = Chart(
        "chart-evaluation",
        "BLEU and chrF per system, with 95% confidence intervals",
        "",
        ["system", "metric", "score", "CI low", "CI high", "segments"],
        [],
    )
    if not result or not result.get("systems"):
        chart.caption = (
            "No evaluation in this store: `pipeline evaluate --db STORE --import-refs REFS.jsonl` "
            "scores its translations against references, and the next report shows them here."
        )
        return chart
    systems = result["systems"]
    metrics = [m for m in EVAL_METRICS if any(m in s.get("scores", {}) for s in systems)]
    for system in systems:
        for metric in metrics:
            score = system["scores"].get(metric)
            if score is None:
                continue
            low, high = _interval(score)
            chart.rows.append(
                [
                    system["name"],
                    metric,
                    round(score["score"], 2),
                    "" if low is None else round(low, 2),
                    "" if high is None else round(high, 2),
                    system.get("n_segments", ""),
                ]
            )
    unit = "pieces" if result.get("unit") == "piece" else "lines"
    chart.caption = (
        f"{_n(len(systems), 'system')} scored on {result.get('n_segments', '?')} {unit} against references; "
        "the whiskers are the bootstrap 95% confidence intervals (sacreBLEU)."
    )
    if not metrics:
        return chart
    with drawing():
        figure = new_figure(7.5, 0.9 + 0.3 * len(systems))
        panels = figure.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        names = [_short(s["name"]) for s in reversed(systems)]
        for axes, metric in zip(panels, metrics):
            scores = [s["scores"].get(metric) for s in reversed(systems)]
            values = [sc["score"] if sc else 0.0 for sc in scores]
            axes.barh(names, values, color=PALETTE[0] if metric == "BLEU" else PALETTE[2])
            whiskers = [(y, sc["mean"], sc["ci"]) for y, sc in enumerate(scores) if sc and sc.get("ci") is not None]
            if whiskers:
                axes.errorbar(
                    [m for _, m, _ in whiskers],
                    [y for y, _, _ in whiskers],
                    xerr=[c for _, _, c in whiskers],
                    fmt="none",
                    ecolor="#000000",
                    elinewidth=1.2,
                    capsize=3,
                )
            axes.set_xlabel(metric)
            axes.set_xlim(0, max([*values, 1.0]) * 1.15)
        chart.svg = figure_svg(figure, chart.id, chart.id + "-caption")
    return chart


def _interval(score: dict[str, Any]) -> tuple[float | None, float | None]:
    mean, ci = score.get("mean"), score.get("ci")
    if mean is None or ci is None:
        return None, None
    return float(mean) - float(ci), float(mean) + float(ci)


# -- helpers ----------------------------------------------------------------------------------


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _label(flag: str) -> str:
    return _short(FLAGS[flag][0] if flag in FLAGS else flag, 24)


def _legend(figure: Any, entries: int) -> None:
    """The legend above the plot, outside it, so it never hides a bar."""
    figure.legend(loc="outside upper center", ncols=min(entries, 4), frameon=False, fontsize=8)


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _integer_axis(axes: Any, which: str) -> None:
    from matplotlib.ticker import MaxNLocator

    (axes.yaxis if which == "y" else axes.xaxis).set_major_locator(MaxNLocator(integer=True))
