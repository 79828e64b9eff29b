"""Translators: the same checkpoint run by transformers or by CTranslate2.

Both backends share everything but the decoder call: the checkpoint's own
SentencePiece tokenizer, the cleaning of invisible characters, the cutting
of over-long sentences (never truncation), length-sorted batches under a
token budget, and detokenization. So the two differ only in arithmetic,
and the cache can key a translation on (model, revision, backend, settings).

`Translator.translate(sentences, on_batch)` calls `on_batch` after every
model call with the results of that batch, which is how the stage commits
batch by batch and resumes after a crash.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import ConfigError, PipelineError
from pipeline.progress import QUIET, Reporter
from pipeline.text.normalise import for_model
from pipeline.translate.model import (
    ResolvedModel,
    generation_defaults,
    load_seq2seq,
    load_tokenizer,
    resolve_model,
    unavailable,
)
from pipeline.translate.settings import TranslateSettings, TranslatorSettings
from pipeline.translate.split import split_long


@dataclass(frozen=True)
class TranslationResult:
    """One sentence's translation; `logprob` is the mean log-probability per output token."""

    text: str
    logprob: float | None = None
    tokens: tuple[int, ...] = ()  # output token ids without special tokens (to compare backends)


@dataclass(frozen=True)
class Decoding:
    """Decoding settings after applying the config over the checkpoint's generation config."""

    num_beams: int
    max_length: int | None  # as transformers counts it: decoder start token included
    max_new_tokens: int | None
    min_new_tokens: int | None
    length_penalty: float
    early_stopping: bool | str

    @classmethod
    def resolve(cls, settings: TranslateSettings, checkpoint: dict[str, Any], positions: int | None = None) -> Decoding:
        """The decoding settings, within what the decoder can generate.

        `positions` is the decoder's position limit (``max_position_embeddings``):
        a token past it has no position embedding, and both backends fail on it
        (transformers with an IndexError, CTranslate2 with a RuntimeError). So a
        limit the user sets beyond it is refused with a ConfigError, and one the
        checkpoint sets (its ``max_length``) is lowered to it: a degenerate output
        that never emits </s> then stops at the limit and is recorded as it is.
        """
        if positions is not None:
            _check_limits(settings, positions)
        max_length = settings.max_length or checkpoint.get("max_length")
        if settings.max_new_tokens is None and max_length is None:
            max_length = 512  # never decode unbounded: a random or broken model may never emit </s>
        if positions is not None and max_length is not None:
            max_length = min(int(max_length), positions + 1)  # the decoder start token plus `positions` tokens
        return cls(
            num_beams=settings.num_beams or int(checkpoint.get("num_beams") or 1),
            max_length=None if settings.max_new_tokens or max_length is None else int(max_length),
            max_new_tokens=settings.max_new_tokens,
            min_new_tokens=settings.min_new_tokens,
            length_penalty=float(checkpoint.get("length_penalty", 1.0)),
            early_stopping=settings.early_stopping
            if settings.early_stopping is not None
            else checkpoint.get("early_stopping", False),
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @property
    def max_steps(self) -> int:
        """Most tokens generated after the decoder start token."""
        return self.max_new_tokens if self.max_new_tokens else max(1, (self.max_length or 2) - 1)


def _check_limits(settings: TranslateSettings, positions: int) -> None:
    """Refuse output limits the decoder cannot reach, naming the setting and the model's limit."""
    why = f"this model's decoder has {positions} positions (max_position_embeddings), so it generates at most {positions} tokens"
    if settings.max_new_tokens is not None and settings.max_new_tokens > positions:
        raise ConfigError(
            f"translate.max_new_tokens {settings.max_new_tokens} is impossible: {why}; set it to {positions} or less"
        )
    if settings.max_new_tokens is None and settings.max_length is not None and settings.max_length > positions + 1:
        raise ConfigError(
            f"translate.max_length {settings.max_length} is impossible: {why} (max_length counts the start token too); "
            f"set it to {positions + 1} or less"
        )
    most = settings.max_new_tokens or (settings.max_length - 1 if settings.max_length else positions)
    if settings.min_new_tokens is not None and settings.min_new_tokens > most:
        raise ConfigError(f"translate.min_new_tokens {settings.min_new_tokens} is more than the {most} tokens an output may have")


OnBatch = Callable[[list[int], list[TranslationResult]], None]


class Translator(ABC):
    """A loaded model that turns sentences into `TranslationResult`s, batch by batch."""

    backend: str = ""
    fallback_reason: str | None = None  # set when `auto` fell back to transformers

    def __init__(self, model: ResolvedModel, tokenizer: Any, settings: TranslateSettings):
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
        self.decoding = Decoding.resolve(settings, generation_defaults(model), decoder_positions(model))
        self.max_source_tokens = min(settings.max_source_tokens, _model_position_limit(model, tokenizer))
        self.threads = settings.threads or len(os.sched_getaffinity(0))
        self.model_calls = 0
        self.sentences_translated = 0

    # -- identity (what the cache key and provenance record) ------------------
    @property
    def settings_record(self) -> dict[str, Any]:
        """Everything that changes the output, besides model, revision and backend."""
        return {**self.decoding.as_dict(), "max_source_tokens": self.max_source_tokens, **self._numeric_record()}

    @abstractmethod
    def _numeric_record(self) -> dict[str, Any]: ...

    def describe(self) -> str:
        return f"{self.model.describe()} ({self.backend}, {json.dumps(self.settings_record, sort_keys=True)})"

    # -- tokens -------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """Source tokens of `text`, without the </s> the tokenizer appends."""
        return len(self.tokenizer.tokenize(text))

    def chunks(self, sentence: str) -> list[str]:
        """The sentence cleaned, cut into pieces the model accepts (one piece when it fits)."""
        cleaned = for_model(sentence)
        if not cleaned:
            return []
        return split_long(cleaned, self.count_tokens, self.max_source_tokens - 1)

    # -- translation -------------------------------------------------------------
    def translate(self, sentences: Sequence[str], on_batch: OnBatch | None = None) -> list[TranslationResult]:
        """Translate `sentences` (order kept); `on_batch(indices, results)` after each model call."""
        encoded = self._encode_sentences(sentences)
        results: list[TranslationResult | None] = [None] * len(sentences)
        empty = [i for i, chunks in enumerate(encoded) if not chunks]
        for i in empty:
            results[i] = TranslationResult("")
        if empty and on_batch:
            on_batch(empty, [TranslationResult("")] * len(empty))
        for batch in self._plan_encoded(encoded):
            batch = [i for i in batch if encoded[i]]
            if not batch:
                continue
            rows = [ids for i in batch for ids in encoded[i]]
            outputs = self._run_rows(rows)
            done: list[TranslationResult] = []
            position = 0
            for i in batch:
                parts = outputs[position : position + len(encoded[i])]
                position += len(encoded[i])
                result = self._join(parts)
                results[i] = result
                done.append(result)
            self.sentences_translated += len(batch)
            if on_batch:
                on_batch(batch, done)
        return [r if r is not None else TranslationResult("") for r in results]

    def batches(self, sentences: Sequence[str]) -> list[list[int]]:
        """The batches `translate(sentences)` runs, as indices into `sentences` (those with nothing to translate first).

        Translating one of these batches on its own makes the same model call
        as translating it among the others: a pool of workers given these
        batches computes what one process would, batch for batch.
        """
        encoded = self._encode_sentences(sentences)
        empty = [i for i, chunks in enumerate(encoded) if not chunks]
        planned = [[i for i in batch if encoded[i]] for batch in self._plan_encoded(encoded)]
        return ([empty] if empty else []) + [batch for batch in planned if batch]

    def _encode_sentences(self, sentences: Sequence[str]) -> list[list[list[int]]]:
        """Each sentence as the token-id rows of its pieces (none when nothing is left to translate)."""
        return [[self._encode(chunk) for chunk in self.chunks(s)] for s in sentences]

    def _plan_encoded(self, encoded: list[list[list[int]]]) -> list[list[int]]:
        return self.plan([len(c) and max(map(len, c)) for c in encoded], [len(c) for c in encoded])

    def plan(self, lengths: list[int], rows: list[int] | None = None) -> list[list[int]]:
        """Length-sorted batches: padded tokens (longest row × rows) within `batch_tokens`."""
        rows = rows or [1] * len(lengths)
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        current: list[int] = []
        longest = count = 0
        for i in order:
            new_longest, new_count = max(longest, lengths[i]), count + rows[i]
            too_big = new_longest * new_count > self.settings.batch_tokens or new_count > self.settings.max_batch_size
            if current and too_big:
                batches.append(current)
                current, longest, new_longest, new_count = [], 0, lengths[i], rows[i]
            current.append(i)
            longest, count = new_longest, new_count
        if current:
            batches.append(current)
        return batches

    def _run_rows(self, rows: list[list[int]]) -> list[tuple[list[int], float | None]]:
        """Run the decoder over token-id rows, in groups no larger than the batch limits."""
        out: list[tuple[list[int], float | None]] = []
        group: list[list[int]] = []
        for ids in rows:
            longest = max([len(ids), *map(len, group)])
            if group and (longest * (len(group) + 1) > self.settings.batch_tokens or len(group) >= self.settings.max_batch_size):
                out.extend(self._generate(group))
                self.model_calls += 1
                group = []
            group.append(ids)
        if group:
            out.extend(self._generate(group))
            self.model_calls += 1
        return out

    def _join(self, parts: list[tuple[list[int], float | None]]) -> TranslationResult:
        texts = [self.tokenizer.decode(ids, skip_special_tokens=True) for ids, _ in parts]
        tokens = tuple(t for ids, _ in parts for t in ids)
        scored = [(lp, len(ids) + 1) for ids, lp in parts if lp is not None]
        logprob = sum(lp * n for lp, n in scored) / sum(n for _, n in scored) if scored and len(scored) == len(parts) else None
        return TranslationResult(" ".join(t for t in texts if t), logprob, tokens)

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, truncation=False)["input_ids"])

    @abstractmethod
    def _generate(self, rows: list[list[int]]) -> list[tuple[list[int], float | None]]:
        """One model call: source id rows → (output ids without special tokens, mean logprob)."""

    def _special_ids(self) -> set[int]:
        return {i for i in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id) if i is not None}


def decoder_positions(model: ResolvedModel) -> int | None:
    """The decoder's position limit (``max_position_embeddings`` of config.json), when the checkpoint states one."""
    config = json.loads((model.path / "config.json").read_text(encoding="utf-8"))
    limit = config.get("max_position_embeddings")
    return limit if isinstance(limit, int) and 0 < limit < 1_000_000 else None


def _model_position_limit(model: ResolvedModel, tokenizer: Any) -> int:
    config = json.loads((model.path / "config.json").read_text(encoding="utf-8"))
    limits = [config.get("max_position_embeddings"), getattr(tokenizer, "model_max_length", None)]
    return (
        min(int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000)
        if any(isinstance(x, int) and 0 < x < 1_000_000 for x in limits)
        else 512
    )


def _use_cuda(device: str) -> bool:
    if device == "cpu":
        return False
    import torch

    available = torch.cuda.is_available()
    if device == "cuda" and not available:
        raise RuntimeError("translate.device is 'cuda' but no CUDA device is available")
    return available


# -- transformers -----------------------------------------------------------------


class TransformersTranslator(Translator):
    """`model.generate` under `torch.inference_mode`, fp16 on GPU, threads from the config."""

    backend = "transformers"

    def __init__(self, model: ResolvedModel, tokenizer: Any, settings: TranslateSettings, hf_model: Any | None = None):
        import torch

        super().__init__(model, tokenizer, settings)
        self.device = "cuda" if _use_cuda(settings.device) else "cpu"
        if self.device == "cpu":
            torch.set_num_threads(self.threads)
        self.hf_model = hf_model if hf_model is not None else load_seq2seq(model)
        if self.device == "cuda":
            self.hf_model = self.hf_model.half().to("cuda")
        self.dtype = str(next(self.hf_model.parameters()).dtype).removeprefix("torch.")

    def _numeric_record(self) -> dict[str, Any]:
        return {"dtype": self.dtype}

    def _generate(self, rows: list[list[int]]) -> list[tuple[list[int], float | None]]:
        import torch

        pad = self.tokenizer.pad_token_id
        width = max(map(len, rows))
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for r, ids in enumerate(rows):
            input_ids[r, : len(ids)] = torch.tensor(ids)
            attention[r, : len(ids)] = 1
        input_ids, attention = input_ids.to(self.device), attention.to(self.device)
        d = self.decoding
        recorder = _StepLogprobs(d.num_beams) if self.settings.logprobs else None
        with torch.inference_mode():
            output = self.hf_model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                logits_processor=[recorder] if recorder else None,
                return_dict_in_generate=True,
                **self._generate_kwargs(),
            )
        sequences = output.sequences
        logprobs: list[float | None] = [None] * len(rows)
        if recorder is not None:
            logprobs = recorder.means(sequences, getattr(output, "beam_indices", None), self.tokenizer.eos_token_id)
        special = self._special_ids()
        return [([t for t in seq.tolist()[1:] if t not in special], lp) for seq, lp in zip(sequences, logprobs)]

    def _generate_kwargs(self) -> dict[str, Any]:
        d = self.decoding
        kwargs: dict[str, Any] = {"num_beams": d.num_beams, "do_sample": False}
        if d.num_beams > 1:
            kwargs["early_stopping"] = d.early_stopping
        if d.max_new_tokens:
            kwargs["max_new_tokens"] = d.max_new_tokens
            kwargs["max_length"] = None  # the checkpoint's max_length would clash with it
        else:
            kwargs["max_length"] = d.max_length
        if d.min_new_tokens is not None:
            kwargs["min_new_tokens"] = d.min_new_tokens
        return kwargs


class _StepLogprobs:
    """A logits processor that keeps, per step and row, the best few log-probabilities.

    Placed after the checkpoint's own processors, it sees the scores decoding
    chooses from. Greedy search takes the row's best token; beam search takes
    its tokens among each row's top (#eos + 1) × num_beams. Keeping a few more
    than that is enough to read back the log-probability of every chosen
    token (through `beam_indices` for beam search) — the numbers
    `compute_transition_scores` gives — without `output_scores=True`, which
    keeps a rows × vocabulary tensor per step (gigabytes with 62k tokens).
    """

    def __init__(self, num_beams: int) -> None:
        self.k = 1 if num_beams == 1 else 4 * num_beams
        self.normalize = num_beams == 1  # beam search hands processors log-softmaxed scores already
        self.values: list[Any] = []
        self.indices: list[Any] = []

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        logprobs = torch.log_softmax(scores.float(), dim=-1) if self.normalize else scores.float()
        values, indices = logprobs.topk(min(self.k, logprobs.shape[-1]), dim=-1)
        self.values.append(values.cpu())
        self.indices.append(indices.cpu())
        return scores

    def means(self, sequences: Any, beam_indices: Any, eos_id: int) -> list[float | None]:
        """Mean log-probability of each returned sequence's generated tokens (</s> included)."""
        import torch

        if not self.values:
            return [None] * sequences.shape[0]
        values, indices = torch.stack(self.values, dim=1), torch.stack(self.indices, dim=1)  # rows × steps × k
        tokens = sequences[:, 1:].cpu()
        steps = min(tokens.shape[1], values.shape[1])
        tokens = tokens[:, :steps]
        if beam_indices is None:  # greedy: row i produced sequence i; count up to the first </s>
            rows = torch.arange(tokens.shape[0]).unsqueeze(1).expand(-1, steps)
            is_eos = (tokens == eos_id).int()
            valid = (is_eos.cumsum(dim=1) - is_eos) == 0
        else:  # beam search: the row each token came from; -1 after the sequence ended
            rows = beam_indices[:, :steps].cpu()
            valid = rows >= 0
            rows = rows.clamp(min=0)
        step = torch.arange(steps).unsqueeze(0).expand_as(rows)
        candidates, scores = indices[rows, step], values[rows, step]  # sequences × steps × k
        match = candidates == tokens.unsqueeze(-1)
        chosen = torch.where(match, scores, torch.zeros_like(scores)).sum(-1)
        found = match.any(-1) | ~valid
        means: list[float | None] = []
        for i in range(tokens.shape[0]):
            n = int(valid[i].sum())
            means.append(float(chosen[i][valid[i]].sum()) / n if n and bool(found[i].all()) else None)
        return means


# -- CTranslate2 --------------------------------------------------------------------


class CTranslate2Translator(Translator):
    """CTranslate2 with the checkpoint's tokenizer: int8 on CPU, float16 on GPU by default."""

    backend = "ctranslate2"

    def __init__(self, model: ResolvedModel, tokenizer: Any, settings: TranslateSettings):
        import ctranslate2

        from pipeline.translate.convert import converted_model

        super().__init__(model, tokenizer, settings)
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 and settings.device != "cpu" else "cpu"
        if settings.device == "cuda" and device != "cuda":
            raise RuntimeError("translate.device is 'cuda' but CTranslate2 sees no CUDA device")
        compute = settings.compute_type
        if compute == "auto":
            compute = "float16" if device == "cuda" else "int8"
        self.device, self.compute_type = device, compute
        # CTranslate2 stops once beam_size × patience hypotheses are finished: patience 1 is
        # transformers' early_stopping=True exactly; 4 approximates its longer default search.
        self.patience = settings.ct2_patience or (1.0 if self.decoding.early_stopping is True else 4.0)
        self.folder = converted_model(model, settings.cache_dir)
        self.ct2 = ctranslate2.Translator(
            str(self.folder), device=device, compute_type=compute, intra_threads=self.threads, inter_threads=1
        )

    def _numeric_record(self) -> dict[str, Any]:
        return {"compute_type": self.compute_type, "patience": self.patience}

    def _generate(self, rows: list[list[int]]) -> list[tuple[list[int], float | None]]:
        d = self.decoding
        sources = [self.tokenizer.convert_ids_to_tokens(ids) for ids in rows]
        results = self.ct2.translate_batch(
            sources,
            beam_size=d.num_beams,
            patience=self.patience,
            length_penalty=d.length_penalty,
            max_decoding_length=d.max_steps,
            min_decoding_length=d.min_new_tokens or 0,
            return_scores=self.settings.logprobs,
            return_end_token=True,
            max_batch_size=0,
        )
        special = self._special_ids()
        out: list[tuple[list[int], float | None]] = []
        for result in results:
            tokens = result.hypotheses[0]
            ids = self.tokenizer.convert_tokens_to_ids(tokens)
            logprob = None
            if self.settings.logprobs and result.scores:
                # CTranslate2 reports sum(log p) / length**length_penalty; turn it into a mean.
                length = max(1, len(tokens))
                logprob = float(result.scores[0]) * length**d.length_penalty / length
            out.append(([t for t in ids if t not in special], logprob))
        return out


# -- choosing and loading a backend ------------------------------------------------------


def load_translator(settings: TranslatorSettings, reporter: Reporter = QUIET) -> Translator:
    """Resolve the checkpoint and load it with the configured backend.

    `translate.backend: auto` uses CTranslate2 when it is installed and the
    conversion works, and transformers otherwise (with a warning saying why).
    Raises :class:`pipeline.errors.ModelUnavailable` when no checkpoint can be loaded.
    """
    model = resolve_model(settings)
    tokenizer = load_tokenizer(model)
    Decoding.resolve(
        settings.translate, generation_defaults(model), decoder_positions(model)
    )  # ConfigError before any backend loads
    backend = settings.translate.backend
    if backend == "transformers":
        return _transformers(model, tokenizer, settings.translate)
    try:
        return CTranslate2Translator(model, tokenizer, settings.translate)
    except PipelineError:
        raise
    except Exception as exc:  # ImportError, ConversionError, CUDA errors: all mean "not this backend"
        if backend == "ctranslate2":
            raise unavailable(str(model.path), f"the CTranslate2 backend failed: {exc}") from exc
        reporter.warn(f"CTranslate2 backend unavailable ({type(exc).__name__}: {exc}); using transformers")
        fallback = _transformers(model, tokenizer, settings.translate)
        fallback.fallback_reason = f"{type(exc).__name__}: {exc}"
        return fallback


def _transformers(model: ResolvedModel, tokenizer: Any, settings: TranslateSettings) -> Translator:
    try:
        return TransformersTranslator(model, tokenizer, settings)
    except PipelineError:
        raise
    except Exception as exc:  # e.g. device: cuda without a GPU
        raise unavailable(str(model.path), f"the transformers backend failed: {type(exc).__name__}: {exc}") from exc
