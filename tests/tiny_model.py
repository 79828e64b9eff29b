"""A tiny random MarianMT checkpoint for tests: real files, real model, seconds to build.

`build_tiny_marian(path)` writes config.json, generation_config.json,
model.safetensors, source.spm, target.spm, vocab.json and
tokenizer_config.json into `path`; the SentencePiece model is trained on
the project's seeds/ (800 pieces), the model has 2+2 layers of width 32.
Same inputs, same files: everything is seeded and single-threaded. Its
outputs are junk but real, and generation stops after 39 tokens.
The session-scoped fixture `tiny_model_dir` (tests/conftest.py) builds it
once per test session; any stage's tests can use either.
`pickled_weights(path)` is the same state dict as a real pickle
(pytorch_model.bin, `torch.save`), for tests of pickle refusal.
"""

from __future__ import annotations

import io
from pathlib import Path

from random_model import build_random_marian

TINY = dict(spm_vocab_size=800, d_model=32, layers=2, heads=4, ffn=64, max_length=40, num_beams=4, seed=0)


def build_tiny_marian(path: str | Path) -> Path:
    """Build the tiny checkpoint into `path` (created if missing) and return it."""
    return build_random_marian(path, **TINY)


def pickled_weights(path: str | Path) -> bytes:
    """The checkpoint's weights (model.safetensors in `path`) as pytorch_model.bin bytes, via `torch.save`."""
    import torch
    from safetensors.torch import load_file

    buffer = io.BytesIO()
    torch.save(load_file(Path(path) / "model.safetensors"), buffer)
    return buffer.getvalue()
