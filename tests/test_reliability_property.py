"""Property tests along the whole text path: dump → pieces → sentences → what the model is fed.

The stage tests already check each step on its own (tests/test_ingest_property.py:
the segmenter accounts for every line; tests/test_translate_split.py: the
splitters lose nothing, over an alphabet of the characters they look at).
These close the gaps between them:

* any Unicode at all, control and format characters included, through the
  sentence splitter: no crash, nothing lost, sentences in input order;
* the chain itself: a dump is segmented, every paragraph split into
  sentences and cut into chunks by the real translator (the tiny model's
  SentencePiece tokenizer, a small `max_source_tokens` so that cutting
  happens often), and the chunks re-join to the paragraph minus only the
  invisible characters the model must not see — every chunk within the
  model's limit.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import SEEDS, seed_arabic

from pipeline.config import Config
from pipeline.ingest import cut_dump
from pipeline.ingest.cutter import accounting_problems
from pipeline.text.normalise import for_model
from pipeline.text.sentences import split_arabic
from pipeline.translate.backends import load_translator
from pipeline.translate.settings import TranslatorSettings

MAX_SOURCE_TOKENS = 12


def squeeze(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_through_the_sentence_splitter(text):
    sentences = split_arabic(text)
    assert squeeze("".join(sentences)) == squeeze(text)
    position = 0
    for sentence in sentences:  # each sentence is the next stretch of the input
        found = text.find(sentence, position)
        assert found >= 0 and text[position:found].strip() == ""
        position = found + len(sentence)
    assert text[position:].strip() == ""


@pytest.fixture(scope="module")
def translator(tiny_model_dir):
    config = Config(
        {"model": {"path": str(tiny_model_dir)}, "translate": {"backend": "transformers", "max_source_tokens": MAX_SOURCE_TOKENS}}
    )
    return load_translator(TranslatorSettings.from_config(config))


_TITLES, _SENTENCES = seed_arabic()
_SEED_LINES = sorted(
    {line for path in SEEDS.glob("*.txt") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
)
_NOISE = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs", "Cf", "Mn"), include_characters="\u200f\u200b\u202b\u2067\ufeff\u00ad\t"),
    max_size=80,
)
_LINE = st.one_of(st.sampled_from(_SEED_LINES), st.sampled_from(_SENTENCES), st.sampled_from(_TITLES), _NOISE)
_DUMP = st.lists(st.tuples(_LINE, st.sampled_from(["\n", "\n\n", "\r\n"])), min_size=1, max_size=25).map(
    lambda parts: "".join(line + sep for line, sep in parts)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_DUMP)
def test_from_dump_to_model_input_nothing_is_lost_but_invisible_marks(translator, dump):
    result = cut_dump(dump)
    assert accounting_problems(dump, result) == []
    for piece in result.pieces:
        for paragraph in piece.paragraphs:
            chunks = [chunk for sentence in split_arabic(paragraph) for chunk in translator.chunks(sentence)]
            assert squeeze("".join(chunks)) == squeeze(for_model(paragraph))
            for chunk in chunks:
                assert translator.count_tokens(chunk) <= MAX_SOURCE_TOKENS - 1 or len(chunk) == 1, chunk
                assert for_model(chunk) == chunk  # the model never sees an invisible mark
