"""The readable form of an :class:`EvaluationResult`: rich tables, as sacreBLEU's CLI lays them out.

One row per system, one column per metric. A cell holds the corpus score,
the bootstrap estimate with its 95% confidence interval ("μ ± ci"), and,
against a baseline, the p-values of the paired tests ("*" when below alpha
for every test run). Signatures follow the table, then the worst segments.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.evaluate.result import EvaluationResult, MetricScore
from pipeline.progress import print_block

TEST_NAMES = {"bs": "paired bootstrap resampling", "ar": "paired approximate randomization"}


def _cell(score: MetricScore, is_baseline: bool, alpha: float) -> Text:
    text = Text(f"{score.score:.1f}", style="bold")
    if score.mean is not None and score.ci is not None:
        text.append(f"\n(μ = {score.mean:.1f} ± {score.ci:.1f})", style="dim")
    ps = [(name, p) for name, p in (("bs", score.p_bs), ("ar", score.p_ar)) if p is not None]
    if ps and not is_baseline:
        style = "green" if score.significant else "red"
        for name, p in ps:
            text.append(f"\np_{name} = {p:.4f}" + ("*" if p < alpha else " "), style=style)
    return text


def scores_table(result: EvaluationResult) -> Table:
    unit = "pieces" if result.unit == "piece" else "segments"
    table = Table(title=f"{len(result.systems)} system(s) × {result.n_segments} {unit}", show_lines=True)
    table.add_column("System", style="bold")
    for metric in result.metrics:
        table.add_column(metric + (" ↓" if metric == "TER" else ""), justify="right")
    has_comet = any(s.comet is not None for s in result.systems)
    if has_comet:
        table.add_column("COMET", justify="right")
    alpha = result.significance.alpha if result.significance else 0.05
    for system in result.systems:
        is_baseline = system.name == result.baseline
        name = Text(("Baseline: " if is_baseline else "") + system.name, style="yellow" if is_baseline else "")
        row = [name, *(_cell(system.scores[m], is_baseline, alpha) for m in result.metrics)]
        if has_comet:
            row.append(Text(f"{system.comet:.4f}" if system.comet is not None else "–"))
        table.add_row(*row)
    return table


def signatures_block(result: EvaluationResult) -> list[Text]:
    lines = [Text("Metric signatures", style="bold")]
    lines += [Text(f"  {name:<8} {sig}") for name, sig in result.signatures.items()]
    lines.append(Text("Segment-level (sentence_score) signatures", style="bold"))
    lines += [Text(f"  {name:<8} {sig}") for name, sig in result.segment_signatures.items()]
    sig = result.significance
    if sig is not None:
        tests = ", ".join(
            f"{TEST_NAMES[t]} ({sig.bs_resamples if t == 'bs' else sig.ar_trials} {'resamples' if t == 'bs' else 'trials'})"
            for t in sig.tests
        )
        lines.append(
            Text(
                f"Each system is compared with the baseline {sig.baseline!r} by {tests}, seed {sig.seed}. "
                f"p < {sig.alpha} in every test is marked *: the difference is unlikely to be chance "
                "(it says the systems differ, not which is better). μ ± ci: bootstrap mean and 95% confidence interval.",
                style="dim",
            )
        )
        for test, by_metric in sig.signatures.items():
            lines.append(Text(f"{TEST_NAMES[test]} signatures", style="bold"))
            lines += [Text(f"  {name:<8} {s}") for name, s in by_metric.items()]
    else:
        lines.append(Text("μ ± ci: bootstrap mean and 95% confidence interval.", style="dim"))
    return lines


def worst_table(result: EvaluationResult) -> Table | None:
    rows = [(s.name, w) for s in result.systems for w in s.worst]
    if not rows:
        return None
    metric = rows[0][1].metric
    where = "piece" if result.unit == "piece" else "line"
    table = Table(title=f"Worst {where}s by sentence-level {metric}", show_lines=True)
    for column in ("System", where.capitalize(), metric, "Hypothesis", "Reference"):
        table.add_column(column, overflow="fold")
    for name, w in rows:
        where_is = f"{w.input_id} ({w.id})" if w.input_id else (w.id or str(w.line))
        cells = (name, where_is, f"{w.score:.1f}", _clip(w.hypothesis), _clip(w.reference))
        table.add_row(*(Text(cell) for cell in cells))  # system output and references are text, never markup
    return table


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_result(result: EvaluationResult, console: Console) -> None:
    print_block(console, scores_table(result))
    if result.text_form is not None:
        form = (
            "readable (entities unescaped, Moses spacing repaired)"
            if result.text_form == "readable"
            else "raw (as each system wrote it)"
        )
        console.print(f"Scored the {form} form of the stored translations (evaluate.store_text).", markup=False, highlight=False)
    for system in result.systems:
        for note in system.notes:
            console.print(f"{system.name}: {note}", markup=False, highlight=False)
    for line in signatures_block(result):
        console.print(line, soft_wrap=True)  # signatures are copied whole: never wrap them
    worst = worst_table(result)
    if worst is not None:
        print_block(console, worst)
