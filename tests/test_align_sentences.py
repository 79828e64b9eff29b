"""Sentence pairs inside a match: best-counterpart mode and the monotonic DP."""

from __future__ import annotations

import numpy as np

from pipeline.align.sentences import best_pairs, merged_similarity, monotonic_pairs, similarity, strong_links, strong_pairs
from pipeline.align.vectors import Doc, build_vectors
from pipeline.text.sentences import split_english

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
    target = [*TARGET[:3], "A completely unrelated remark about football results in Spain.", *TARGET[4:]]
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
    assert split_english(text) == [
        "Mr. Smith met U.S. officials on Monday.",
        "They talked for 2.5 hours.",
        "A new paragraph starts here",
    ]
    assert split_english("") == [] and split_english(None) == []


def _adjacent(char) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(char[:-1].multiply(char[1:]).sum(axis=1)).ravel(), np.asarray(char.multiply(char).sum(axis=1)).ravel()


def test_merged_similarity_equals_the_cosine_with_the_merged_text():
    sw, sc, tw, tc = vectors(SOURCE, TARGET)
    adj, n2 = _adjacent(tc)
    got = merged_similarity(similarity(sw, sc, tw, tc), adj, n2, axis=1)
    merged = tc[1] + tc[2]  # the split sentence, as one vector
    direct = (sc[1] @ merged.T).toarray()[0, 0] / np.sqrt(merged.multiply(merged).sum())
    assert got.shape == (len(SOURCE), len(TARGET) - 1)
    assert abs(got[1, 1] - direct) < 1e-9
    assert got[1, 1] > max(similarity(sw, sc, tw, tc)[1, 1:3])  # the whole says more than either half


def test_strong_links_take_a_split_sentence_as_one_fact_and_stay_one_to_one():
    sw, sc, tw, tc = vectors(SOURCE, TARGET)
    one = similarity(sw, sc, tw, tc)
    t_adj, t_n2 = _adjacent(tc)
    s_adj, s_n2 = _adjacent(sc)
    links = strong_links(one, merged_similarity(one, t_adj, t_n2, 1), merged_similarity(one, s_adj, s_n2, 0), floor=0.3)
    spans = {(r, c, nr, nc) for r, c, _, nr, nc in links}
    assert (1, 1, 1, 2) in spans  # source 1 -> targets 1+2
    assert (2, 3, 2, 1) in spans  # sources 2+3 -> target 3
    used_src = [r + k for r, _, _, nr, _ in links for k in range(nr)]
    used_tgt = [c + k for _, c, _, _, nc in links for k in range(nc)]
    assert len(used_src) == len(set(used_src)) and len(used_tgt) == len(set(used_tgt))


def test_sentences_without_words_at_the_end_of_a_block_have_zero_vectors():
    """A piece whose last sentences hold no words (digits, punctuation) must not break the norms (CI regression)."""
    v = build_vectors([Doc(["The minister met the envoy in Beirut.", "123", "..."]), Doc(["The envoy met the minister."])])
    char = v.sentence_char(slice(0, 3)).toarray()
    assert np.isclose(np.linalg.norm(char[0]), 1.0)
    word = v.sentence_word(slice(0, 3)).toarray()
    assert np.isclose(np.linalg.norm(word[0]), 1.0)
    assert np.allclose(np.linalg.norm(word[2]), 0.0)
