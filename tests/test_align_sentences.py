"""Sentence pairs inside a match: best-counterpart mode and the monotonic DP."""

from __future__ import annotations

from pipeline.align.sentences import best_pairs, monotonic_pairs, similarity, strong_pairs
from pipeline.align.text import split_sentences
from pipeline.align.vectors import Doc, build_vectors

SOURCE = [
    "The Iraqi parliament approved the new budget law on Tuesday after weeks of debate.",
    "The law allocates twelve billion dollars to electricity and water projects.",
    "Opposition deputies walked out of the session in protest.",
    "The speaker said the vote was legal.",
    "Protesters gathered outside the building in the evening.",
]
# Reference-style English: sentence 2 of the source is split in two (a 1-2 link),
# sentences 3 and 4 of the source are merged into one (a 2-1 link).
TARGET = [
    "On Tuesday, after weeks of debate, the Iraqi parliament passed the new budget law.",
    "The law gives twelve billion dollars to projects.",
    "They are electricity and water projects.",
    "Opposition deputies left the session in protest, and the speaker said the vote was legal.",
    "In the evening protesters gathered outside the building.",
]


def vectors(src: list[str], tgt: list[str]):
    v = build_vectors([Doc(src), Doc(tgt)])
    n = len(src)
    return v.sent_word[:n], v.sent_char[:n], v.sent_word[n:], v.sent_char[n:]


def test_monotonic_dp_finds_the_2_1_merge_and_the_1_2_split():
    pairs = monotonic_pairs(*vectors(SOURCE, TARGET))
    links = sorted((p.source, p.target) for p in pairs)
    assert links == [(0, 0), (1, 1), (1, 2), (2, 3), (3, 3), (4, 4)]
    merged = [p for p in pairs if p.target == 3]
    assert len({p.score for p in merged}) == 1  # both halves carry the merged link's score


def test_monotonic_dp_skips_sentences_with_no_counterpart():
    target = TARGET[:3] + ["A completely unrelated remark about football results in Spain."] + TARGET[4:]
    pairs = monotonic_pairs(*vectors(SOURCE, target))
    assert all(p.target != 3 for p in pairs)
    assert (4, 4) in {(p.source, p.target) for p in pairs}


def test_best_mode_is_not_monotonic_and_leaves_unmatched_sentences_out():
    target = [TARGET[4], "Something else entirely happened in Basra.", TARGET[0]]
    sw, sc, tw, tc = vectors(SOURCE, target)
    pairs = best_pairs(similarity(sw, sc, tw, tc), threshold=0.35)
    links = {(p.source, p.target) for p in pairs}
    assert (0, 2) in links and (4, 0) in links
    assert all(p.target != 1 for p in pairs)
    assert len(pairs) < len(SOURCE)


def test_strong_pairs_are_one_to_one():
    sims = similarity(*vectors(SOURCE, [TARGET[0]]))
    pairs = strong_pairs(sims, floor=0.0)
    assert len(pairs) == 1 and pairs[0][0] == 0


def test_splitter_handles_abbreviations_and_paragraphs():
    text = "Mr. Smith met U.S. officials on Monday. They talked for 2.5 hours.\n\nA new paragraph starts here"
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials on Monday.",
        "They talked for 2.5 hours.",
        "A new paragraph starts here",
    ]
    assert split_sentences("") == [] and split_sentences(None) == []
