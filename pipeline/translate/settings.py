"""Settings of the translation stage: the `model:` and `translate:` config sections.

Two sections because they change for different reasons: `model:` says *which*
checkpoint (and where it lives), `translate:` says *how* to run it. Every
field has a default, so an empty section is valid; configs/default.yaml
documents each key.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from pipeline.config import Config, Settings

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-ar-en"
MODEL_PATH_ENV = "PIPELINE_MODEL_PATH"


class ModelSettings(Settings):
    """Which checkpoint to load and from where."""

    name: str = DEFAULT_MODEL  # hub id, or a local folder
    revision: str | None = None  # None: the pinned revision of models/<name>.yaml, else "main"
    path: str | None = None  # local folder; wins over `name`
    allow_pickle: bool = False  # accept pytorch_model.bin (pickle) when a folder has no safetensors
    hub_timeout_s: float = Field(default=5.0, gt=0)  # how long to wait for the hub before giving up
    hub_endpoint: str | None = None  # None: $HF_ENDPOINT or https://huggingface.co
    cache_dir: str | None = None  # Hugging Face cache; None: $HF_HUB_CACHE / ~/.cache/huggingface/hub


class TranslateSettings(Settings):
    """How to run the checkpoint: backend, device, batching, decoding."""

    backend: Literal["auto", "transformers", "ctranslate2"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(default=None, ge=1)  # None: every core this process may use
    # Decoding; None means "what the checkpoint's generation_config says".
    num_beams: int | None = Field(default=None, ge=1)
    max_length: int | None = Field(default=None, ge=2)  # counts the decoder start token, as in transformers
    max_new_tokens: int | None = Field(default=None, ge=1)
    min_new_tokens: int | None = Field(default=None, ge=0)
    # Beam search stops once num_beams hypotheses are finished, as Marian's own
    # decoder and CTranslate2 do; then both backends agree exactly. false/"never"
    # is transformers' longer search (CTranslate2 approximates it with patience 4).
    # None: the checkpoint's generation config.
    early_stopping: bool | Literal["never"] | None = True
    # Sentences longer than this (in source tokens, </s> included) are split at
    # clause boundaries, then at whitespace; capped by the model's own limit.
    max_source_tokens: int = Field(default=256, ge=8)
    batch_tokens: int = Field(default=2048, ge=1)  # padded source tokens per batch
    max_batch_size: int = Field(default=32, ge=1)
    logprobs: bool = True  # record the mean log-probability of every translation
    # CTranslate2 only.
    compute_type: str = "auto"  # auto: int8 on CPU, float16 on GPU; or float32, int8_float32, ...
    cache_dir: str | None = None  # converted models; None: ~/.cache/arabic-press-pipeline/ct2
    ct2_patience: float | None = Field(default=None, gt=0)  # None: 1 with early_stopping true, else 4


class TranslatorSettings(Settings):
    """Both sections together, plus the CLI's --model: what `load_translator` needs."""

    model: ModelSettings = Field(default_factory=ModelSettings)
    translate: TranslateSettings = Field(default_factory=TranslateSettings)
    model_override: str | None = None  # --model NAME_OR_PATH: wins over everything

    @classmethod
    def from_config(cls, config: Config, model_override: str | None = None) -> "TranslatorSettings":
        return cls(
            model=config.section("model", ModelSettings),
            translate=config.section("translate", TranslateSettings),
            model_override=model_override,
        )

    def model_source(self) -> str:
        """The folder or hub id to load: --model, then $PIPELINE_MODEL_PATH, then model.path, then model.name."""
        return self.model_override or os.environ.get(MODEL_PATH_ENV) or self.model.path or self.model.name
