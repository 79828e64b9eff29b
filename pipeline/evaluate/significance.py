"""Paired significance tests against a baseline, through sacreBLEU's own code.

We call :class:`sacrebleu.significance.PairedTest` exactly as sacreBLEU's CLI
does for ``--paired-bs`` (paired bootstrap resampling, which also gives each
system's bootstrap mean and 95% confidence interval, "μ ± ci") and
``--paired-ar`` (paired approximate randomization), so the p-values match
the CLI's for the same seed. Two things are added around it:

* the seed comes from the config (sacreBLEU reads ``SACREBLEU_SEED``; we set
  it only while the test runs) and is written into the signatures;
* a system whose hypotheses are identical to the baseline's gets p = 1.
  sacreBLEU counts resampled differences strictly greater than the observed
  one, so with zero difference everywhere it returns its smallest p-value,
  1/(n+1), and would call a system "significantly different" from itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sacrebleu.metrics.base import Metric
from sacrebleu.significance import PairedTest


@dataclass
class PairedOutcome:
    """Per metric name, per system: score, bootstrap mean/CI and p-values."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    means: dict[str, dict[str, float]] = field(default_factory=dict)
    cis: dict[str, dict[str, float]] = field(default_factory=dict)
    p_values: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # test → metric → system → p
    signatures: dict[str, dict[str, str]] = field(default_factory=dict)  # test → metric → signature


@contextmanager
def sacrebleu_seed(seed: int) -> Iterator[None]:
    """sacreBLEU reads its RNG seed from the environment; set it only for this block."""
    old = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SACREBLEU_SEED", None)
        else:
            os.environ["SACREBLEU_SEED"] = old


def paired_tests(
    systems: Mapping[str, Sequence[str]],
    baseline: str,
    metrics: Mapping[str, Metric],
    tests: Sequence[str],
    bs_n: int,
    ar_n: int,
    seed: int,
    jobs: int = 1,
) -> PairedOutcome:
    """Run the requested tests (``"bs"``, ``"ar"``) of every system against `baseline`.

    `metrics` must have their references cached (built with ``references=``).
    The baseline gets a bootstrap mean/CI but no p-value.
    """
    order = [baseline, *[name for name in systems if name != baseline]]
    named: list[tuple[str, Sequence[str]]] = [(name, list(systems[name])) for name in order]
    outcome = PairedOutcome()
    for test in tests:
        # The bootstrap test gives the CI; AR run alone is asked for sacreBLEU's bootstrap CI too.
        confidence = bs_n if (test == "ar" and "bs" not in tests) else -1
        n = bs_n if test == "bs" else ar_n
        with sacrebleu_seed(seed):
            runner = PairedTest(named, dict(metrics), None, test_type=test, n_samples=n, n_ar_confidence=confidence, n_jobs=jobs)
            signatures, columns = runner()
        outcome.signatures[test] = {name: sig.format() for name, sig in signatures.items()}
        p_by_metric: dict[str, dict[str, float]] = {}
        for metric_name, results in columns.items():
            if metric_name == "System":
                continue
            for name, result in zip(order, results):
                assert not isinstance(result, str)  # the "System" column is the only one holding names
                outcome.scores.setdefault(metric_name, {})[name] = float(result.score)
                if result.ci is not None and (test == "bs" or "bs" not in tests):
                    outcome.means.setdefault(metric_name, {})[name] = float(result.mean or 0.0)
                    outcome.cis.setdefault(metric_name, {})[name] = float(result.ci)
                if name != baseline and result.p_value is not None:
                    identical = list(systems[name]) == list(systems[baseline])
                    p_by_metric.setdefault(metric_name, {})[name] = 1.0 if identical else float(result.p_value)
        outcome.p_values[test] = p_by_metric
    return outcome
