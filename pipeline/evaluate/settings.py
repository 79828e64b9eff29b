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
    """`pipeline evaluate`: sacreBLEU scores against references."""

    metrics: list[MetricName] = ["bleu", "chrf", "chrf++", "ter"]  # noqa: RUF012 - pydantic copies defaults
    """Corpus metrics, reported with their sacreBLEU signatures."""
    bleu_tokenize: str = "13a"
    """sacreBLEU's default tokenizer (the one behind published BLEU figures)."""
    lowercase: bool = False
    """BLEU and chrF case-insensitive when true."""
    ter_case_sensitive: bool = False
    """sacreBLEU's default for TER."""
    paired_tests: list[PairedTestName] = ["bs", "ar"]  # noqa: RUF012 - pydantic copies defaults
    """With a baseline: paired bootstrap resampling and approximate randomization (`--paired`)."""
    paired_bs_n: int = Field(1000, ge=10)
    """Bootstrap resamples (they also give every system's 95% CI, μ ± ci)."""
    paired_ar_n: int = Field(10000, ge=10)
    """Approximate randomization trials."""
    paired_jobs: int = Field(1, ge=0)
    """Worker processes for the paired tests (0: one per system)."""
    seed: int = Field(12345, ge=0, le=2**32 - 1)
    """sacreBLEU's default seed; written into the significance signatures."""
    alpha: float = Field(0.05, gt=0, lt=1)
    """p below this (in every test run) is marked significant, "*"."""
    worst_n: int = Field(5, ge=0)
    """Worst segments listed per system (`--worst`)."""
    worst_by: Literal["chrF", "BLEU", "TER"] = "chrF"
    """Sentence-level metric that ranks them (chrF is the least noisy per sentence)."""
    baseline: str | None = None
    """The system the others are tested against (`--baseline`); null: no paired tests."""
    store_systems: Literal["current", "all"] = "current"
    """Store mode: each piece's current model translation, or 'all' models in the cache (`--systems`); every
    external system's translations are scored in both."""
    systems: list[str] | None = None
    """Store mode: score only these systems (names as the result shows them, `--system`); null: every system, compared
    on the pieces they all translated (a system sharing none with the others is scored alone by naming it here)."""
    refs: Literal["imported", "annotations"] = "imported"
    """Store mode: score against imported references, or against the reviewers' corrections (post-edits, `--refs
    annotations`: TER against a system's own post-edits is HTER; rank correlations with the reviewers' ratings)."""
    store_text: Literal["readable", "raw"] = "readable"
    """Store mode: score the readable form of the stored translations, or the raw output as each system wrote it
    (escapes and Moses spacing as they came: what published scores of those outputs were computed on)."""
    comet_model: str | None = None
    """Folder of a COMET checkpoint (needs the `comet` extra); null: COMET is skipped."""
    comet_batch_size: int = Field(8, ge=1)
    """Segments per COMET batch."""


class DiagnosticsSettings(Settings):
    """Reference-free checks on every translation (why each default: docs/evaluate.md)."""

    arabic_script_min_chars: int = Field(3, ge=1)
    """Arabic-script letters left in the output that flag it (one untranslated word)."""
    lang_min_words: int = Field(7, ge=1)
    """Outputs shorter than this are not language-checked (langdetect guesses there)."""
    lang_min_confidence: float = Field(0.9, ge=0, le=1)
    """Flag when another language is detected with at least this confidence."""
    copy_min_similarity: float = Field(0.8, ge=0, le=1)
    """Output this similar (0..1, after normalisation) to an Arabic source counts as copied."""
    length_min_source_chars: int = Field(20, ge=1)
    """Sources shorter than this are not length-checked."""
    length_ratio_min: float = Field(0.5, gt=0, le=100)
    """Lowest output/source character ratio (FLORES dev ar→en references: 0.61–2.46, median 1.15)."""
    length_ratio_max: float = Field(2.5, gt=0, le=1000)
    """Highest output/source character ratio."""
    repetition_max_n: int = Field(4, ge=1)
    """Word n-grams up to this length are checked for loops."""
    repetition_min_repeats: int = Field(4, ge=2)
    """The same n-gram this many times in a row is a loop (FLORES references: at most 3)."""
    logprob_min: float = Field(-2.0, ge=-1000, le=0)
    """Mean per-token log-probability (natural log) below this is flagged, when the backend gives it."""

    def fingerprint(self) -> str:
        """Short hash of the thresholds: stored diagnostics made with others are recomputed."""
        blob = json.dumps(self.model_dump(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]
