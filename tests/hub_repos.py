"""The tiny model as hub repositories hold it, for tests against the fake hub (tests/fake_hub.py).

Three states of a repository: main with safetensors; main with only pickle
and the conversion bot's pull request with safetensors; only pickle anywhere.
The `checkpoint` fixture (tests/conftest.py) gives the files they are built from.
"""

from __future__ import annotations

from fake_hub import FakeRepo

from pipeline.translate.model import CONVERSION_BOT

REPO = "tiny-org/opus-mt-tiny"
NEEDED = {"config.json", "generation_config.json", "source.spm", "target.spm", "vocab.json", "tokenizer_config.json"}
EXTRAS = {".gitattributes": b"*.bin filter=lfs\n", "README.md": b"# tiny\n", "tf_model.h5": b"not downloaded" * 64}
SENTENCES = ["مرحبا بكم في بغداد.", "قالت الحكومة إن الاجتماع سيعقد غدا."]


def without(files: dict[str, bytes], *names: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k not in names}


def main_with_safetensors(checkpoint: dict[str, bytes]) -> FakeRepo:
    repo = FakeRepo(REPO)
    repo.commit({**checkpoint, **EXTRAS}, "initial commit")
    return repo


def main_with_pickle_and_a_conversion(checkpoint: dict[str, bytes]) -> FakeRepo:
    """Main publishes pytorch_model.bin only; the bot's PR #1 adds model.safetensors; a stranger's PR #2 too."""
    repo = FakeRepo(REPO)
    main = repo.commit({**without(checkpoint, "model.safetensors"), **EXTRAS}, "initial commit")
    repo.pull_request({"model.safetensors": checkpoint["model.safetensors"]}, main, CONVERSION_BOT)
    repo.pull_request({"model.safetensors": b"weights nobody vouches for"}, main, "someone-else")
    return repo


def only_pickle(checkpoint: dict[str, bytes]) -> FakeRepo:
    repo = FakeRepo(REPO)
    repo.commit({**without(checkpoint, "model.safetensors"), **EXTRAS}, "initial commit")
    return repo
