"""The translate stage: Arabic sentences → English with MarianMT (transformers or CTranslate2).

Public API:

- :func:`translate_store` — the stage over the store (what `pipeline translate` and `run` call);
- :func:`split_sentences` — the Arabic sentence splitter;
- :func:`load_translator` — a loaded model with ``translate(sentences) -> list[TranslationResult]``.

Modules: ``settings`` (config sections), ``model`` (finding and loading the
checkpoint), ``split`` (sentences and over-long sentences), ``backends``
(transformers and CTranslate2), ``convert`` (CTranslate2 conversion cache),
``cache`` (the translations table), ``stage`` (the store-level flow),
``random_model`` (random checkpoints for tests and benchmarks).
"""

from pipeline.translate.backends import TranslationResult, Translator, load_translator
from pipeline.translate.settings import ModelSettings, TranslateSettings, TranslatorSettings
from pipeline.translate.split import split_long, split_sentences
from pipeline.translate.stage import TranslateReport, translate_store

__all__ = [
    "ModelSettings",
    "TranslateReport",
    "TranslateSettings",
    "TranslationResult",
    "Translator",
    "TranslatorSettings",
    "load_translator",
    "split_long",
    "split_sentences",
    "translate_store",
]
