"""The translate stage: Arabic sentences → English with MarianMT (transformers or CTranslate2).

Public API:

- :func:`translate_store` — the stage over the store (what `pipeline translate` and `run` call);
- :func:`load_translator` — a loaded model with ``translate(sentences) -> list[TranslationResult]``.

Modules: ``settings`` (config sections), ``model`` (finding and loading the
checkpoint), ``split`` (over-long sentences; sentences themselves come from
:mod:`pipeline.text.sentences`), ``backends`` (transformers and
CTranslate2), ``convert`` (CTranslate2 conversion cache), ``cache`` (the
cache key and provenance record), ``stage`` (the store-level flow).
"""

from pipeline.translate.backends import TranslationResult, Translator, load_translator
from pipeline.translate.settings import ModelSettings, TranslateSettings, TranslatorSettings
from pipeline.translate.split import split_long
from pipeline.translate.stage import TranslateReport, TranslateStage, translate_store

__all__ = [
    "ModelSettings",
    "TranslateReport",
    "TranslateSettings",
    "TranslateStage",
    "TranslationResult",
    "Translator",
    "TranslatorSettings",
    "load_translator",
    "split_long",
    "translate_store",
]
