"""The comparable-news set (tests/data/comparable) holds together: what the aligner is fitted and scored on.

The gold (gold-pairs.json), the sources (SOURCES.md), the story files the set
is assembled from (stories/*.yaml) and the pieces (pieces-careful.jsonl,
pieces-weak.jsonl: excerpts of public news pages, each source recorded, kept
for research and testing) all live beside the tests and are always checked.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.ingest.cutter import split_paragraphs
from pipeline.ingest.readers import read_source

HERE = Path(__file__).resolve().parent / "data" / "comparable"
GOLD = json.loads((HERE / "gold-pairs.json").read_text(encoding="utf-8"))
SOURCES = (HERE / "SOURCES.md").read_text(encoding="utf-8")


PIECES = HERE


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (PIECES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _story_of() -> dict[str, str]:
    return {pid: story for story, ids in GOLD["stories"].items() for pid in ids}


# -- the gold, always -------------------------------------------------------------------------


def test_ids_are_unique_and_every_gold_id_is_a_listed_piece():
    arabic, english = GOLD["arabic"], GOLD["english"]
    assert len(set(arabic)) == len(arabic) and len(set(english)) == len(english)
    assert not set(arabic) & set(english)
    assert set(GOLD["expected"]) == set(arabic), "every Arabic piece has an expected list (possibly empty)"
    for ar, ens in GOLD["expected"].items():
        assert set(ens) <= set(english), f"{ar}: expected ids that are not English pieces: {set(ens) - set(english)}"
    for pair in GOLD["must_not_match"]:
        assert pair["ar"] in arabic and pair["en"] in english, pair
        assert pair["en"] not in GOLD["expected"][pair["ar"]], f"{pair} is both expected and must-not-match"


def test_every_piece_belongs_to_exactly_one_story_and_gold_pairs_stay_inside_it():
    listed = Counter(pid for ids in GOLD["stories"].values() for pid in ids)
    assert set(listed) == set(GOLD["arabic"]) | set(GOLD["english"])
    assert max(listed.values()) == 1, [pid for pid, n in listed.items() if n > 1]
    story = _story_of()
    for ar, ens in GOLD["expected"].items():
        assert all(story[en] == story[ar] for en in ens), ar
    for pair in GOLD["must_not_match"]:
        assert story[pair["ar"]] == story[pair["en"]], pair


def test_every_story_is_non_trivial():
    """Leave-one-story-out needs stories with both languages, several events and a same-thread near miss."""
    lang = {pid: "ar" for pid in GOLD["arabic"]} | {pid: "en" for pid in GOLD["english"]}
    near_misses = Counter(_story_of()[pair["ar"]] for pair in GOLD["must_not_match"])
    for story, ids in GOLD["stories"].items():
        events = {e for pid in ids for e in GOLD["piece_events"][pid]}
        assert len(events) >= 2, f"{story}: one event only"
        assert any(lang[p] == "ar" for p in ids) and any(lang[p] == "en" for p in ids), story
        assert any(GOLD["expected"].get(p) for p in ids), f"{story}: no covered Arabic piece"
        assert near_misses[story] >= 1, f"{story}: no same-thread other-event pair"


def test_the_gold_agrees_with_the_event_labels():
    """expected = same story and a shared event; must_not_match = same story, no shared event."""
    story, events = _story_of(), GOLD["piece_events"]
    english = set(GOLD["english"])
    for ar in GOLD["arabic"]:
        same_event = {en for en in english if story[en] == story[ar] and set(events[en]) & set(events[ar])}
        assert set(GOLD["expected"][ar]) == same_event, ar
    pairs = {(p["ar"], p["en"]) for p in GOLD["must_not_match"]}
    for ar in GOLD["arabic"]:
        others = {en for en in english if story[en] == story[ar] and not set(events[en]) & set(events[ar])}
        assert {en for a, en in pairs if a == ar} == others, ar


def test_the_set_is_large_enough_to_measure_on_stories_it_never_saw():
    """Issue 22's floor: 60 covered Arabic pieces, 20 uncovered, 40 same-thread near misses, 15 stories."""
    covered = sum(1 for ens in GOLD["expected"].values() if ens)
    assert covered >= 60
    assert len(GOLD["arabic"]) - covered >= 20
    assert len(GOLD["must_not_match"]) >= 40
    assert len(GOLD["stories"]) >= 15
    assert max(len(ids) for ids in GOLD["stories"].values()) < len(GOLD["arabic"]) / 3, "one story dominates the set"


def test_every_piece_has_its_source_recorded():
    rows = {}
    for line in SOURCES.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] in ("ar", "en"):
            rows[cells[0]] = cells
    missing = (set(GOLD["arabic"]) | set(GOLD["english"])) - set(rows)
    assert not missing, f"pieces without a row in SOURCES.md: {sorted(missing)}"
    for pid, cells in rows.items():
        assert cells[3], f"{pid}: no outlet"
        assert re.search(r"<https?://\S+>|\S+/\S+ @ [0-9a-f]{12}", cells[5]), f"{pid}: no URL or repo@commit: {cells[5]!r}"


# -- the pieces, where they are ------------------------------------------------------------------


def test_both_files_hold_every_piece_once_and_differ_only_in_the_arabic_translations():
    careful, weak = _lines("pieces-careful.jsonl"), _lines("pieces-weak.jsonl")
    for rows in (careful, weak):
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids))
        assert set(ids) == set(GOLD["arabic"]) | set(GOLD["english"])
    by_id = {row["id"]: row for row in weak}
    for row in careful:
        other = by_id[row["id"]]
        assert row["lang"] == other["lang"] == ("ar" if row["id"] in GOLD["arabic"] else "en")
        assert {k: v for k, v in row.items() if k not in ("translation", "model")} == {
            k: v for k, v in other.items() if k not in ("translation", "model")
        }
        if row["lang"] == "ar":
            assert (row["model"], other["model"]) == ("careful", "weak-mt")
            assert row["translation"] != other["translation"], f"{row['id']}: the weak translation is the careful one"
        else:
            assert "translation" not in row and "translation" not in other


@pytest.mark.parametrize("name", ["pieces-careful.jsonl", "pieces-weak.jsonl"])
def test_every_arabic_translation_has_the_paragraphs_of_its_piece(name):
    """The reader takes every line; the i-th paragraph of a translation translates the i-th of the Arabic.

    Paragraphs as the pipeline cuts a JSONL piece (split_paragraphs), before
    any chrome rule drops one: which lines are chrome is the ingest's
    judgement and may change, the correspondence of the data may not.
    """
    assert PIECES is not None
    documents = read_source(PIECES / name)
    assert len(documents) == len(GOLD["arabic"]) + len(GOLD["english"])
    mismatched = []
    for document in documents:
        if document.lang != "ar":
            continue
        assert isinstance(document.translation, str) and document.model in ("careful", "weak-mt"), document.input_id
        source, _ = split_paragraphs(document.text)
        target, _ = split_paragraphs(document.translation)
        if len(source) != len(target):
            mismatched.append(f"{document.input_id}: {len(source)} Arabic paragraphs, {len(target)} translated")
    assert not mismatched, mismatched


def test_dates_are_iso_and_texts_are_real_lengths():
    for row in _lines("pieces-careful.jsonl"):
        if "date" in row:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]), row["id"]
        assert len(row["text"]) >= 60, f"{row['id']}: text too short to be an excerpt"
        assert row.get("outlet"), row["id"]
