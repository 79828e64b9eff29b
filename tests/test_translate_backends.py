"""The two backends against plain `model.generate`: same outputs, scores, batching, long inputs."""

from __future__ import annotations

import pytest
import torch
from translate_support import flores

from pipeline.translate import TranslatorSettings, load_translator
from pipeline.translate.model import load_seq2seq


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ct2")


@pytest.fixture(scope="module")
def sentences():
    # FLORES dev (varied lengths) plus inputs that stress tokenization
    return [*flores(56), "", "123 456", "!!!", "كلمات عربية with English words في الوسط.", "\u200fنص\u200b مع\u2067 علامات"]


def make(tiny_model_dir, ct2_cache, backend: str, **translate):
    return load_translator(
        TranslatorSettings.model_validate(
            {
                "model": {"path": str(tiny_model_dir)},
                "translate": {"backend": backend, "cache_dir": str(ct2_cache), "threads": 2, **translate},
            }
        )
    )


def reference_generate(model, tokenizer, sentence: str, **kwargs) -> str:
    """What a user of transformers gets for one sentence on its own."""
    inputs = tokenizer([sentence], return_tensors="pt")
    with torch.inference_mode():
        output = model.generate(**inputs, **kwargs)
    return tokenizer.decode(output[0], skip_special_tokens=True)


@pytest.mark.parametrize("num_beams", [1, 4])
def test_transformers_backend_equals_generate_sentence_by_sentence(tiny_model_dir, ct2_cache, num_beams):
    translator = make(tiny_model_dir, ct2_cache, "transformers", num_beams=num_beams, batch_tokens=400)
    texts = flores(24)
    results = translator.translate(texts)
    assert translator.model_calls > 1  # really batched (several sentences per call, padded)
    assert translator.model_calls < len(texts)
    model = load_seq2seq(translator.model)
    extra = {"early_stopping": True} if num_beams > 1 else {}
    expected = [reference_generate(model, translator.tokenizer, s, num_beams=num_beams, **extra) for s in texts]
    assert [r.text for r in results] == expected
    assert len(set(expected)) > len(texts) // 2  # the tiny model's outputs depend on the input


@pytest.mark.parametrize("num_beams", [1, 4])
def test_logprob_is_the_mean_of_the_transition_scores(tiny_model_dir, ct2_cache, num_beams):
    translator = make(tiny_model_dir, ct2_cache, "transformers", num_beams=num_beams)
    texts = flores(6)
    results = translator.translate(texts)
    model, tokenizer = load_seq2seq(translator.model), translator.tokenizer
    extra = {"early_stopping": True} if num_beams > 1 else {}
    for text, result in zip(texts, results):
        inputs = tokenizer([text], return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**inputs, num_beams=num_beams, output_scores=True, return_dict_in_generate=True, **extra)
        if num_beams == 1:
            scores = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)[0]
        else:
            scores = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices)[0]
            scores = scores[out.beam_indices[0] >= 0]
        assert result.logprob == pytest.approx(scores.mean().item(), abs=1e-4)


@pytest.mark.parametrize("num_beams", [1, 4])
def test_ctranslate2_float32_agrees_token_for_token(tiny_model_dir, ct2_cache, sentences, num_beams):
    hf = make(tiny_model_dir, ct2_cache, "transformers", num_beams=num_beams).translate(sentences)
    ct2_translator = make(tiny_model_dir, ct2_cache, "ctranslate2", num_beams=num_beams, compute_type="float32")
    assert ct2_translator.backend == "ctranslate2"
    ct2 = ct2_translator.translate(sentences)
    same = [a.tokens == b.tokens for a, b in zip(hf, ct2)]
    assert sum(same) >= 0.95 * len(sentences)
    # where the outputs agree, both report the same mean log-probability
    for a, b, agree in zip(hf, ct2, same):
        if agree and a.tokens:
            assert a.logprob == pytest.approx(b.logprob, abs=5e-3)


def test_ctranslate2_approximates_transformers_longer_beam_search(tiny_model_dir, ct2_cache):
    # early_stopping false: transformers keeps searching while a running beam could still win;
    # CTranslate2 has no such rule and uses patience 4 instead.
    texts = flores(80, start=100)
    hf = make(tiny_model_dir, ct2_cache, "transformers", early_stopping=False).translate(texts)
    ct2 = make(tiny_model_dir, ct2_cache, "ctranslate2", early_stopping=False, compute_type="float32").translate(texts)
    assert sum(a.tokens == b.tokens for a, b in zip(hf, ct2)) >= 0.9 * len(texts)


def test_int8_is_the_cpu_default_and_close_to_float32(tiny_model_dir, ct2_cache):
    texts = flores(40)
    int8 = make(tiny_model_dir, ct2_cache, "auto")
    assert (int8.backend, int8.compute_type) == ("ctranslate2", "int8")
    fp32 = make(tiny_model_dir, ct2_cache, "ctranslate2", compute_type="float32").translate(texts)
    quantized = int8.translate(texts)
    assert all(r.logprob is not None for r in quantized)
    # int8 moves a random model's many near-ties, so whole outputs often differ,
    # but decoding starts the same way for most sentences (measured: 26 of 40)
    assert sum(a.tokens[:1] == b.tokens[:1] for a, b in zip(fp32, quantized)) >= 0.4 * len(texts)


def test_conversion_is_cached_per_checkpoint(tiny_model_dir, ct2_cache):
    first = make(tiny_model_dir, ct2_cache, "ctranslate2")
    stamp = (first.folder / "model.bin").stat().st_mtime_ns
    again = make(tiny_model_dir, ct2_cache, "ctranslate2")
    assert again.folder == first.folder
    assert (again.folder / "model.bin").stat().st_mtime_ns == stamp  # not converted twice
    assert [p.name for p in ct2_cache.iterdir() if p.name.startswith(".")] == []  # no scratch left behind


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_sentences_longer_than_the_limit_are_cut_not_truncated(tiny_model_dir, ct2_cache, backend):
    translator = make(tiny_model_dir, ct2_cache, backend, max_source_tokens=16, num_beams=1)
    long_sentence = "، ".join(flores(3))  # ~100 tokens, clauses joined by Arabic commas
    chunks = translator.chunks(long_sentence)
    assert len(chunks) > 3
    assert all(len(translator._encode(c)) <= 16 for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(long_sentence.split())
    [result] = translator.translate([long_sentence])
    pieces = translator.translate(chunks)
    assert result.text == " ".join(p.text for p in pieces if p.text)  # every piece translated, in order


def test_batches_are_length_sorted_and_within_the_token_budget(tiny_model_dir, ct2_cache):
    translator = make(tiny_model_dir, ct2_cache, "transformers", batch_tokens=300, max_batch_size=8)
    lengths = [5, 80, 12, 40, 41, 7, 300, 3, 60, 9, 11, 13]
    batches = translator.plan(lengths)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)
    for batch in batches:
        assert len(batch) <= 8
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 300


def test_on_batch_reports_every_sentence_once(tiny_model_dir, ct2_cache):
    translator = make(tiny_model_dir, ct2_cache, "ctranslate2", batch_tokens=200, num_beams=1)
    texts = [*flores(30), ""]
    seen: list[int] = []
    results = translator.translate(texts, on_batch=lambda idx, res: seen.extend(idx))
    assert sorted(seen) == list(range(len(texts)))
    assert results[-1].text == "" and results[-1].tokens == ()


def test_auto_falls_back_to_transformers_when_the_conversion_fails(tiny_model_dir, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the conversion cache should go")
    translator = make(tiny_model_dir, blocked, "auto", num_beams=1)
    assert translator.backend == "transformers"
    assert "not-a-folder" in translator.fallback_reason
    assert translator.translate(flores(1))[0].tokens
    from pipeline.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="CTranslate2 backend failed"):
        make(tiny_model_dir, blocked, "ctranslate2")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given on a machine without a GPU")
def test_asking_for_a_gpu_without_one_is_a_clear_error(tiny_model_dir, ct2_cache):
    from pipeline.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="no CUDA device"):
        make(tiny_model_dir, ct2_cache, "transformers", device="cuda")
