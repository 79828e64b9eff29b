"""Random MarianMT checkpoints built locally, for tests and benchmarks.

No pretrained weights can be downloaded where the tests run, so tests build
a tiny MarianMT (and a SentencePiece model trained on the seed dumps) in a
few seconds, and the benchmark builds one with the real opus-mt-ar-en
architecture, which costs per token what the real model costs. Their
outputs are junk but they are real model outputs: every code path (Marian
tokenizer files, safetensors, generation config, CTranslate2 conversion)
is the one a real checkpoint takes.

The layout follows the Helsinki-NLP checkpoints: source.spm/target.spm,
vocab.json with "</s>" = 0, "<unk>" = 1 and "<pad>" last (the decoder
start token), sinusoidal positions, scaled and shared embeddings, swish.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterable
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
# The architecture of Helsinki-NLP/opus-mt-ar-en.
OPUS_MT_AR_EN = dict(vocab_size=62834, d_model=512, layers=6, heads=8, ffn=2048)


def seed_texts(folder: Path = SEEDS) -> list[str]:
    """Non-empty lines of the seed dumps (Arabic and English), in a fixed order."""
    lines: list[str] = []
    for file in sorted(folder.glob("*.txt")):
        lines.extend(line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip())
    return lines


def train_sentencepiece(texts: Iterable[str], vocab_size: int) -> bytes:
    """A unigram SentencePiece model (single-threaded, so the same input gives the same model)."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        unk_id=0,
        eos_id=1,
        bos_id=-1,
        pad_id=-1,
        hard_vocab_limit=False,  # the seeds may not support the full size; take what fits
    )
    return buffer.getvalue()


def build_random_marian(
    path: str | Path,
    *,
    spm_vocab_size: int = 800,
    vocab_size: int | None = None,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 4,
    ffn: int = 64,
    max_length: int = 40,
    num_beams: int = 4,
    seed: int = 0,
    weight_std: float | None = 0.3,
    eos_bias: float = 3.0,
    texts: list[str] | None = None,
) -> Path:
    """Write a random MarianMT checkpoint (safetensors) with its tokenizer files into `path`.

    `vocab_size` pads the vocabulary with filler tokens up to a given size
    (the benchmark uses the real model's 62834). `weight_std` re-draws the
    weight matrices with a larger spread than the default init so that
    different inputs give different outputs; `eos_bias` makes some outputs
    end early, as real ones do. `max_length` bounds generation: a random
    model may never emit </s>.
    """
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    model_proto = train_sentencepiece(texts if texts is not None else seed_texts(), spm_vocab_size)
    (out / "source.spm").write_bytes(model_proto)
    (out / "target.spm").write_bytes(model_proto)
    vocab = _vocabulary(model_proto, vocab_size)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    pad = len(vocab) - 1
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*sacremoses.*")
        tokenizer = MarianTokenizer(
            str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"), source_lang="ar", target_lang="en"
        )
    tokenizer.save_pretrained(out)

    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        static_position_embeddings=True,
        activation_function="swish",
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if weight_std is not None:
            for name, parameter in model.named_parameters():
                if parameter.dim() == 2 and "embed_positions" not in name:
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * weight_std)
        model.model.shared.weight[pad].zero_()  # Marian starts decoding from a zero embedding
        model.final_logits_bias.zero_()
        model.final_logits_bias[0, 0] = eos_bias
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad,
        eos_token_id=0,
        pad_token_id=pad,
        bad_words_ids=[[pad]],
        num_beams=num_beams,
        max_length=max_length,
    )
    model.save_pretrained(out)
    return out


def _vocabulary(model_proto: bytes, size: int | None) -> dict[str, int]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=model_proto)
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    if size is not None:
        if size <= len(vocab):
            raise ValueError(f"vocab_size {size} is smaller than the SentencePiece vocabulary ({len(vocab) + 1})")
        for n in range(size - len(vocab) - 1):
            vocab[f"<filler_{n}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab
