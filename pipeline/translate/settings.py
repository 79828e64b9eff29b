"""Settings of the translation stage: the `model:` and `translate:` config sections.

Two sections because they change for different reasons: `model:` says *which*
checkpoint (and where it lives), `translate:` says *how* to run it. Every
field has a default and its documentation (docs/configuration.md is
generated from them), so an empty section is valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from pipeline.config import Config, Settings

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-ar-en"
MODEL_PATH_ENV = "PIPELINE_MODEL_PATH"  # sets model.path (pipeline.config.ENVIRONMENT)


class ModelSettings(Settings):
    """Which translation checkpoint (MarianMT), and where it lives (manifests: pipeline/models/)."""

    name: str = DEFAULT_MODEL
    """Hub id or local folder of the checkpoint (`--model` sets it and clears `path`)."""
    revision: str | None = None
    """Hub revision; null: the revision pinned in the model's manifest (pipeline/models/), else "main"."""
    path: str | None = None
    """A local copy of the checkpoint; wins over `name` ($PIPELINE_MODEL_PATH sets it)."""
    local_dir: str | None = "models"
    """Local checkpoints: hub id ORG/NAME loads from LOCAL_DIR/NAME when that folder has a config.json
    (`pipeline model fetch` fills it), unless `revision` asks for another; null: always the hub."""
    allow_pickle: bool = False
    """Accept folders that only have pytorch_model.bin (pickle can run code when loaded)."""
    hub_timeout_s: float = Field(default=5.0, ge=0.1, le=3600)
    """Give up on the hub after this long (no minutes of retries offline)."""
    hub_endpoint: str | None = None
    """null: $HF_ENDPOINT or https://huggingface.co."""
    cache_dir: str | None = None
    """Hugging Face cache; null: $HF_HUB_CACHE or ~/.cache/huggingface/hub."""


class TranslateSettings(Settings):
    """How the checkpoint runs: backend, device, batching, decoding."""

    backend: Literal["auto", "transformers", "ctranslate2"] = "auto"
    """auto: CTranslate2 when installed and the conversion works, else transformers."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto: the GPU when there is one (fp16), else the CPU."""
    threads: int | None = Field(default=None, ge=1)
    """CPU threads; null: every core available to the process."""
    num_beams: int | None = Field(default=None, ge=1)
    """Beam size; null: the checkpoint's generation config (4 for opus-mt-ar-en); 1 = greedy."""
    max_length: int | None = Field(default=None, ge=2)
    """Output length limit as transformers counts it (decoder start token included); null: the checkpoint's (512).
    At most the decoder's positions + 1 (max_position_embeddings): more is refused, a checkpoint's larger value lowered."""
    max_new_tokens: int | None = Field(default=None, ge=1)
    """Alternative limit on generated tokens (wins over max_length); at most the decoder's positions, more is refused."""
    min_new_tokens: int | None = Field(default=None, ge=0)
    """Forbid </s> before this many tokens (benchmarks use it to fix the output length)."""
    early_stopping: bool | Literal["never"] | None = True
    """Beam search ends when num_beams hypotheses are finished, as Marian and CTranslate2 do (then both backends agree);
    false/"never" is transformers' longer search; null: the checkpoint's generation config."""
    max_source_tokens: int = Field(default=256, ge=8)
    """Longer sentences (in source tokens, </s> included) are cut at clauses, then whitespace, never truncated;
    capped by the model's own limit."""
    batch_tokens: int = Field(default=2048, ge=1)
    """Padded source tokens per batch (batches are length-sorted)."""
    max_batch_size: int = Field(default=32, ge=1)
    """Sentences (or pieces of long sentences) per batch."""
    logprobs: bool = True
    """Record each translation's mean log-probability (used by diagnostics)."""
    compute_type: str = "auto"
    """CTranslate2: auto = int8 on CPU, float16 on GPU; or float32, int8_float32, ..."""
    cache_dir: str | None = None
    """CTranslate2 conversions; null: ~/.cache/arabic-press-pipeline/ct2."""
    ct2_patience: float | None = Field(default=None, gt=0, le=100)
    """CTranslate2 beam patience; null: 1 with early_stopping true, else 4."""
    retranslate_external: bool = False
    """Also translate pieces whose input carried a translation (another MT system's), to compare with ours;
    false: those pieces need no model. The pipeline's own translation, once complete, becomes the current one."""


class TranslatorSettings(Settings):
    """Both sections together: what `load_translator` needs."""

    model: ModelSettings = Field(default_factory=ModelSettings)
    translate: TranslateSettings = Field(default_factory=TranslateSettings)

    @classmethod
    def from_config(cls, config: Config) -> TranslatorSettings:
        return cls(model=config.section("model", ModelSettings), translate=config.section("translate", TranslateSettings))

    def model_source(self) -> str:
        """The folder or hub id to load: `model.path` when set, else `model.name`.

        `--model` sets `model.name` and clears `model.path`; $PIPELINE_MODEL_PATH
        sets `model.path` (see :mod:`pipeline.config` for the layers). A hub id
        with a local copy under `model.local_dir` (./models/NAME) loads from there.
        """
        if self.model.path:
            return self.model.path
        local = self.local_copy()
        return str(local) if local is not None else self.model.name

    def local_copy(self) -> Path | None:
        """LOCAL_DIR/NAME for hub id ORG/NAME, when that folder holds a checkpoint and no revision is asked for."""
        name, local_dir = self.model.name, self.model.local_dir
        if not local_dir or self.model.revision is not None or "/" not in name or Path(name).expanduser().exists():
            return None
        folder = Path(local_dir).expanduser() / name.rsplit("/", 1)[-1]
        return folder if (folder / "config.json").is_file() else None
