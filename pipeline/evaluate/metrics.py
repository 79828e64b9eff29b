"""Reference-based scores through sacreBLEU's Python API: BLEU, chrF, chrF++, TER.

Each score carries sacreBLEU's signature, so a figure can be reproduced (and
compared with published ones: on FLORES dev our BLEU equals the figures
stored beside each system's output). Several systems are scored against the
same references in one pass; with a baseline, each is tested against it
(:mod:`pipeline.evaluate.significance`). Segment-level scores
(``sentence_score``) are kept for every segment and the worst are listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric
from sacrebleu.significance import _bootstrap_resample, estimate_ci

from pipeline.errors import ConfigError
from pipeline.evaluate.comet import comet_scores
from pipeline.evaluate.result import (
    EvaluationResult,
    MetricScore,
    SegmentScores,
    SignificanceInfo,
    SystemResult,
    WorstSegment,
)
from pipeline.evaluate.settings import EvaluateSettings
from pipeline.evaluate.significance import PairedOutcome, paired_tests, sacrebleu_seed
from pipeline.evaluate.textfiles import check_references, check_same_length, empty_lines, read_segments
from pipeline.progress import QUIET, Reporter

LOWER_IS_BETTER = {"TER"}


def build_metrics(settings: EvaluateSettings, references: Sequence[Sequence[str]] | None = None) -> dict[str, Metric]:
    """Corpus metrics keyed by sacreBLEU's own name (BLEU, chrF2, chrF2++, TER)."""
    made: list[Metric] = []
    for name in settings.metrics:
        if name == "bleu":
            made.append(BLEU(tokenize=settings.bleu_tokenize, lowercase=settings.lowercase, references=references))
        elif name == "chrf":
            made.append(CHRF(lowercase=settings.lowercase, references=references))
        elif name == "chrf++":
            made.append(CHRF(word_order=2, lowercase=settings.lowercase, references=references))
        elif name == "ter":
            made.append(TER(case_sensitive=settings.ter_case_sensitive, references=references))
    return {_metric_name(m): _memoize_statistics(m) for m in made}


def _memoize_statistics(metric: Metric) -> Metric:
    """Extract each system's per-segment statistics once per metric.

    The corpus score, the bootstrap CI, both paired tests and the segment
    scores all start from the same statistics (sacreBLEU's significance code
    re-extracts them per test); TER's take seconds per system, so they are
    kept, keyed by the hypotheses, for this metric object's lifetime.
    """
    extract = metric._extract_corpus_statistics
    cache: dict[tuple[str, ...], object] = {}

    def cached(hypotheses, references):  # type: ignore[no-untyped-def]
        if references is not None:
            return extract(hypotheses, references)
        key = tuple(hypotheses)
        if key not in cache:
            cache[key] = extract(hypotheses, None)
        return cache[key]

    metric._extract_corpus_statistics = cached  # type: ignore[method-assign]
    return metric


def _metric_name(metric: Metric) -> str:
    if isinstance(metric, CHRF):
        return f"chrF{metric.beta}" + "+" * metric.word_order
    return type(metric).__name__


def build_segment_metrics(settings: EvaluateSettings, n_refs: int = 1) -> dict[str, Metric]:
    """Sentence-level twins: BLEU needs effective order there (as sacreBLEU's -sl mode sets).

    ``sentence_score(h, refs)`` of these equals ``_compute_score_from_stats``
    of the segment's corpus statistics, which is how :func:`_segment_scores`
    gets them without extracting the statistics a second time.
    """
    metrics = build_metrics(settings)
    if "BLEU" in metrics:
        metrics["BLEU"] = BLEU(tokenize=settings.bleu_tokenize, lowercase=settings.lowercase, effective_order=True)
    for metric in metrics.values():
        metric.num_refs = n_refs  # they never see the references themselves; the signature needs the count
    return metrics


def evaluate_segments(
    references: Sequence[Sequence[str]],
    systems: Mapping[str, Sequence[str]],
    baseline: str | None,
    settings: EvaluateSettings,
    *,
    sources: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    unit: str = "line",
    reference_names: Sequence[str] = ("references",),
    paths: Mapping[str, str] | None = None,
    reporter: Reporter = QUIET,
) -> EvaluationResult:
    """Score aligned segments: ``references[k][i]`` is reference k of segment i.

    The inputs are assumed valid (same lengths, no empty reference);
    :func:`evaluate_files` and :func:`pipeline.evaluate.store_eval.evaluate_store`
    check them first.
    """
    if not systems:
        raise ConfigError("nothing to evaluate: give at least one system (--hyp NAME=FILE)")
    if baseline is not None and baseline not in systems:
        raise ConfigError(f"--baseline {baseline!r} is not one of the systems: {', '.join(systems)}")
    metrics = build_metrics(settings, references)
    segment_metrics = build_segment_metrics(settings, len(references))
    paired = None
    if baseline is not None and len(systems) > 1 and settings.paired_tests:
        reporter.info(f"paired tests ({', '.join(settings.paired_tests)}) against {baseline}")
        paired = paired_tests(
            systems,
            baseline,
            metrics,
            settings.paired_tests,
            settings.paired_bs_n,
            settings.paired_ar_n,
            settings.seed,
            settings.paired_jobs,
        )
    comet_info, comet = comet_scores(sources, systems, references[0], settings, reporter)
    results = []
    with reporter.task("scoring systems", len(systems), "systems") as task:
        for name, hyps in systems.items():
            result = _system_result(name, hyps, references[0], metrics, segment_metrics, paired, settings, ids)
            result.path = (paths or {}).get(name)
            result.comet = comet.get(name)
            if paired is not None and baseline is not None and name != baseline and list(hyps) == list(systems[baseline]):
                result.notes.append("identical to the baseline: p = 1 by definition")
            results.append(result)
            task.advance()
    warnings = [
        f"{r.name}: {len(r.empty_hypotheses)} empty hypothesis line(s): {_lines(r.empty_hypotheses)}"
        for r in results
        if r.empty_hypotheses
    ]
    return EvaluationResult(
        unit=unit,
        references=list(reference_names),
        n_segments=len(references[0]),
        metrics=list(metrics),
        signatures={name: m.get_signature().format() for name, m in metrics.items()},
        segment_signatures={name: m.get_signature().format() for name, m in segment_metrics.items()},
        systems=results,
        baseline=baseline,
        significance=_significance_info(paired, baseline, settings),
        comet=comet_info,
        warnings=warnings,
    )


def _system_result(
    name: str,
    hyps: Sequence[str],
    first_refs: Sequence[str],
    metrics: Mapping[str, Metric],
    segment_metrics: Mapping[str, Metric],
    paired: PairedOutcome | None,
    settings: EvaluateSettings,
    ids: Sequence[str] | None,
) -> SystemResult:
    scores: dict[str, MetricScore] = {}
    for metric_name, metric in metrics.items():
        score = metric.corpus_score(list(hyps), None)
        mean: float | None
        ci: float | None
        if paired is None:
            mean, ci = bootstrap_ci(metric, hyps, settings.paired_bs_n, settings.seed)
            p_bs = p_ar = None
        else:
            mean = paired.means.get(metric_name, {}).get(name)
            ci = paired.cis.get(metric_name, {}).get(name)
            p_bs = paired.p_values.get("bs", {}).get(metric_name, {}).get(name)
            p_ar = paired.p_values.get("ar", {}).get(metric_name, {}).get(name)
        ps = [p for p in (p_bs, p_ar) if p is not None]
        scores[metric_name] = MetricScore(
            score=score.score,
            formatted=score.format(width=2),
            mean=mean,
            ci=ci,
            p_bs=p_bs,
            p_ar=p_ar,
            significant=all(p < settings.alpha for p in ps) if ps else None,
        )
    segments = _segment_scores(hyps, metrics, segment_metrics, ids)
    return SystemResult(
        name=name,
        n_segments=len(hyps),
        empty_hypotheses=empty_lines(list(hyps)),
        scores=scores,
        segments=segments,
        worst=_worst(segments, hyps, first_refs, settings),
    )


def bootstrap_ci(metric: Metric, hyps: Sequence[str], n: int, seed: int) -> tuple[float, float]:
    """sacreBLEU's bootstrap estimate (μ, 95% CI half-width), as ``corpus_score(n_bootstrap=n)`` gives.

    We call its resampling and CI functions directly: ``corpus_score`` averages
    the resampled scores with ``statistics.mean``, which fails when some are
    numpy floats and others Python floats (any resample scoring exactly 0).
    The metric records n and the seed, so its signature shows ``bs:n|seed:s``.
    """
    stats = metric._extract_corpus_statistics(list(hyps), None)
    with sacrebleu_seed(seed):
        metric.seed, scores = _bootstrap_resample(stats, metric, n)
    metric.n_bootstrap = n
    mean, ci = estimate_ci(np.array([s.score for s in scores], dtype=float))
    return float(mean), float(ci)


def _segment_scores(
    hyps: Sequence[str],
    metrics: Mapping[str, Metric],
    segment_metrics: Mapping[str, Metric],
    ids: Sequence[str] | None,
) -> list[SegmentScores]:
    """sentence_score of every segment, from the statistics the corpus score already extracted."""
    per_metric = {
        name: [
            segment_metrics[name]._compute_score_from_stats(row).score
            for row in metric._extract_corpus_statistics(list(hyps), None)
        ]
        for name, metric in metrics.items()
    }
    return [
        SegmentScores(
            line=i + 1, id=ids[i] if ids else None, scores={name: round(values[i], 4) for name, values in per_metric.items()}
        )
        for i in range(len(hyps))
    ]


def _worst(
    segments: list[SegmentScores], hyps: Sequence[str], refs: Sequence[str], settings: EvaluateSettings
) -> list[WorstSegment]:
    if not segments or settings.worst_n == 0:
        return []
    names = list(segments[0].scores)
    metric = next((n for n in names if n.startswith(settings.worst_by) and not n.endswith("+")), names[0])
    sign = -1 if metric in LOWER_IS_BETTER else 1
    ranked = sorted(segments, key=lambda s: (sign * s.scores[metric], s.line))[: settings.worst_n]
    return [
        WorstSegment(
            line=s.line, id=s.id, metric=metric, score=s.scores[metric], hypothesis=hyps[s.line - 1], reference=refs[s.line - 1]
        )
        for s in ranked
    ]


def _significance_info(paired: PairedOutcome | None, baseline: str | None, settings: EvaluateSettings) -> SignificanceInfo | None:
    if paired is None or baseline is None:
        return None
    return SignificanceInfo(
        baseline=baseline,
        tests=list(settings.paired_tests),
        bs_resamples=settings.paired_bs_n,
        ar_trials=settings.paired_ar_n,
        seed=settings.seed,
        alpha=settings.alpha,
        signatures=paired.signatures,
    )


def _lines(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f", … ({len(numbers) - limit} more)" if len(numbers) > limit else "")


def evaluate_files(
    ref: Path | Sequence[Path],
    hyps: Mapping[str, Path],
    baseline: str | None = None,
    settings: EvaluateSettings | None = None,
    *,
    source: Path | None = None,
    reporter: Reporter = QUIET,
) -> EvaluationResult:
    """Score plain-text hypothesis files (one segment a line) against reference file(s).

    Every file is read and checked before anything is scored; a problem
    raises :class:`pipeline.errors.InputError` naming the file and line.
    """
    settings = settings or EvaluateSettings()
    ref_paths = [Path(ref)] if isinstance(ref, (str, Path)) else [Path(p) for p in ref]
    references: list[list[str]] = []
    for path in ref_paths:
        lines = read_segments(path, "reference")
        check_references(path, lines)
        if references:
            check_same_length(ref_paths[0], len(references[0]), path, len(lines), "reference")
        references.append(lines)
    systems = {}
    for name, path in hyps.items():
        lines = read_segments(Path(path), f"hypothesis ({name})")
        check_same_length(ref_paths[0], len(references[0]), Path(path), len(lines), f"hypothesis {name!r}")
        systems[name] = lines
    sources = None
    if source is not None:
        sources = read_segments(Path(source), "source")
        check_same_length(ref_paths[0], len(references[0]), Path(source), len(sources), "source")
    return evaluate_segments(
        references,
        systems,
        baseline,
        settings,
        sources=sources,
        reference_names=[str(p) for p in ref_paths],
        paths={name: str(p) for name, p in hyps.items()},
        reporter=reporter,
    )
