"""The result of an evaluation: what `pipeline evaluate --json` prints.

One pydantic model tree, so the JSON schema is the model (see
``EvaluationResult.model_json_schema()``) and the table and the JSON cannot
drift apart: the table is rendered from this object.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SIMILARITY_LABEL = "similarity between two texts (chrF), not translation quality"


class MetricScore(BaseModel):
    """One corpus-level score of one system, as sacreBLEU computes and prints it."""

    score: float
    formatted: str  # sacreBLEU's own line, e.g. "BLEU = 33.93 64.9/40.3/27.2/18.7 (BP = 1.000 ...)"
    mean: float | None = None  # bootstrap estimate of the true mean (μ)
    ci: float | None = None  # half-width of the 95% confidence interval (μ ± ci)
    p_bs: float | None = None  # paired bootstrap resampling vs the baseline
    p_ar: float | None = None  # paired approximate randomization vs the baseline
    significant: bool | None = None  # every p-value computed is below alpha

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.mean is None or self.ci is None:
            return None
        return (self.mean - self.ci, self.mean + self.ci)


class SegmentScores(BaseModel):
    """Segment-level (sentence_score) scores of one segment; line numbers are 1-based."""

    line: int
    id: str | None = None  # piece id when the segment is a stored piece
    scores: dict[str, float]


class WorstSegment(BaseModel):
    line: int
    id: str | None = None
    input_id: str | None = None  # the id the input gave the piece (store mode), shown beside its content id
    metric: str
    score: float
    hypothesis: str
    reference: str


class SystemResult(BaseModel):
    name: str
    path: str | None = None
    n_segments: int
    empty_hypotheses: list[int] = Field(default_factory=list)  # 1-based lines left empty
    scores: dict[str, MetricScore]
    comet: float | None = None
    segments: list[SegmentScores] = Field(default_factory=list)
    worst: list[WorstSegment] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class SignificanceInfo(BaseModel):
    baseline: str
    tests: list[Literal["bs", "ar"]]
    bs_resamples: int
    ar_trials: int
    seed: int
    alpha: float
    signatures: dict[str, dict[str, str]]  # test → metric → signature with seed and sample count


class CometInfo(BaseModel):
    status: Literal["scored", "skipped", "failed"]
    model: str | None = None
    message: str


class EvaluationResult(BaseModel):
    unit: Literal["line", "piece"]  # what one segment is: a file line, or a whole stored piece
    references: list[str]  # files, or "store"
    n_segments: int
    metrics: list[str]  # sacreBLEU names: BLEU, chrF2, chrF2++, TER
    signatures: dict[str, str]  # corpus-level signature of each metric
    segment_signatures: dict[str, str]  # signature of the sentence_score metric objects
    systems: list[SystemResult]
    baseline: str | None = None
    significance: SignificanceInfo | None = None
    comet: CometInfo
    warnings: list[str] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict)  # store mode: piece id → why not scored
    # store mode: which form of the stored translations was scored ('readable': entities unescaped, Moses spacing
    # repaired; 'raw': as each system wrote it); None for files, which are scored exactly as given
    text_form: Literal["readable", "raw"] | None = None
    # store mode with --refs annotations: HTER per system and rank correlations with the reviewers' ratings
    # (pipeline/evaluate/reviewed.py)
    reviews: dict[str, Any] | None = None

    def system(self, name: str) -> SystemResult:
        for system in self.systems:
            if system.name == name:
                return system
        raise KeyError(name)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)
