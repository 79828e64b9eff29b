"""Settings of the evaluate stage (`evaluate:`) and of the diagnostics (`diagnostics:`).

Two sections because they answer different questions: `evaluate` scores
hypotheses against references with sacreBLEU; `diagnostics` flags suspicious
translations when no reference exists. Every threshold lives here, with the
reason for its default in docs/evaluate.md, so it can be tuned without code.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import Field

from pipeline.config import Settings

MetricName = Literal["bleu", "chrf", "chrf++", "ter"]
PairedTestName = Literal["bs", "ar"]


class EvaluateSettings(Settings):
    metrics: list[MetricName] = Field(default_factory=lambda: ["bleu", "chrf", "chrf++", "ter"])
    bleu_tokenize: str = "13a"  # sacreBLEU's default tokenizer: the published figures use it
    lowercase: bool = False  # BLEU and chrF
    ter_case_sensitive: bool = False  # sacreBLEU's default for TER
    paired_tests: list[PairedTestName] = Field(default_factory=lambda: ["bs", "ar"])
    paired_bs_n: int = Field(1000, ge=10)  # sacreBLEU's default resamples
    paired_ar_n: int = Field(10000, ge=10)  # sacreBLEU's default AR trials
    paired_jobs: int = Field(1, ge=0)  # worker processes for the paired tests (0: one per system)
    seed: int = 12345  # sacreBLEU's default SACREBLEU_SEED; recorded in the signatures
    alpha: float = Field(0.05, gt=0, lt=1)  # p below alpha is marked significant ("*")
    worst_n: int = Field(5, ge=0)
    worst_by: Literal["chrF", "BLEU", "TER"] = "chrF"  # sentence chrF is the least noisy at segment level
    store_systems: Literal["current", "all"] = "current"
    comet_model: str | None = None  # folder of a COMET checkpoint; needs the `comet` extra
    comet_batch_size: int = Field(8, ge=1)


class DiagnosticsSettings(Settings):
    # Arabic script left in the output: any untranslated Arabic word.
    arabic_script_min_chars: int = Field(3, ge=1)
    # Output language: checked from this many words (langdetect is unreliable on short strings);
    # flagged when another language is detected with at least this confidence.
    lang_min_words: int = Field(7, ge=1)
    lang_min_confidence: float = Field(0.9, ge=0, le=1)
    # Output copied from the source (after normalisation), when the source is Arabic.
    copy_min_similarity: float = Field(0.8, ge=0, le=1)
    # Length ratio (characters of output / characters of source), ar→en.
    length_min_source_chars: int = Field(20, ge=1)
    length_ratio_min: float = Field(0.5, gt=0)
    length_ratio_max: float = Field(2.5, gt=0)
    # Repeated n-gram loops: the same word n-gram (n ≤ repetition_max_n) this many times in a row.
    repetition_max_n: int = Field(4, ge=1)
    repetition_min_repeats: int = Field(4, ge=2)
    # Mean per-token log-probability (natural log) of the output, where the backend gives it.
    logprob_min: float = -2.0

    def fingerprint(self) -> str:
        """Short hash of the thresholds: stored diagnostics made with others are recomputed."""
        blob = json.dumps(self.model_dump(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]
