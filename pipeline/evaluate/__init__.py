"""The evaluate stage: translation quality with and without references.

* with references: sacreBLEU BLEU, chrF, chrF++ and TER with their
  signatures, several systems in one table, paired significance against a
  baseline, segment scores and the worst segments
  (:func:`evaluate_files` for plain-text files, :func:`evaluate_store` for the
  store's translations against references imported with :func:`import_refs`);
* without references: :func:`diagnose` flags suspicious translations, and
  :func:`diagnose_store` does so for every translation in the store;
* aligned pairs: :func:`pair_similarity` / :func:`similarity_for_matches`,
  a chrF *similarity* between a translation and its English coverage, which
  is not a quality score and is always labelled so.
"""

from pipeline.evaluate.diagnostics import DiagnosticsReport, diagnose, diagnose_store, piece_diagnostics
from pipeline.evaluate.metrics import evaluate_files, evaluate_segments
from pipeline.evaluate.result import SIMILARITY_LABEL, EvaluationResult
from pipeline.evaluate.settings import DiagnosticsSettings, EvaluateSettings
from pipeline.evaluate.similarity import pair_similarity, similarity_for_matches
from pipeline.evaluate.store_eval import RefsImportReport, evaluate_store, import_refs

__all__ = [
    "SIMILARITY_LABEL",
    "DiagnosticsReport",
    "DiagnosticsSettings",
    "EvaluateSettings",
    "EvaluationResult",
    "RefsImportReport",
    "diagnose",
    "diagnose_store",
    "evaluate_files",
    "evaluate_segments",
    "evaluate_store",
    "import_refs",
    "pair_similarity",
    "piece_diagnostics",
    "similarity_for_matches",
]
