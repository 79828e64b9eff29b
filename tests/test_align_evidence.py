"""Evidence hygiene, figures as quantities, and names across transliterations (issue 22)."""

from __future__ import annotations

import pytest

from pipeline.align import AlignSettings
from pipeline.align.entities import extract, match
from pipeline.align.matcher import pair_components
from pipeline.align.text import is_fact, quantities
from pipeline.records import Piece

SETTINGS = AlignSettings()


# -- evidence hygiene ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["2 SEPTEMBER 2025", "Updated 25 September 2025", "2", "2 / 3", "By: Eva Shoufi", "3 min read", "Thursday, 18:45"]
)
def test_datelines_counters_and_bylines_are_not_facts(line):
    assert not is_fact(line)


def test_a_sentence_of_news_is_a_fact():
    assert is_fact("The cabinet welcomed the army's plan on Friday.")


def test_two_datelines_are_no_shared_fact():
    """Chrome on both sides ("2 SEPTEMBER 2025" / "Updated 25 September 2025", "2" / "2 / 3") links to nothing."""
    chrome_ar = (
        "2 SEPTEMBER 2025\n2\nSEPTEMBER\n2025\nThe committee discussed the budget of the water authority in a long session."
    )
    chrome_en = "Updated 25 September 2025\n2 / 3\nFootball fans celebrated the victory of their club in the city centre."
    ar = Piece(id="ar", source="x", lang="ar", text="x", translation=chrome_ar)
    en = Piece(id="en", source="x", lang="en", text=chrome_en)
    c = pair_components(ar, en, SETTINGS)
    assert c is not None and c.components.shared_sentences == 0
    assert all((a, b) == (4, 2) for a, b, *_ in c.strong)  # only the two sentences of news may link, weakly


# -- quantities ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("a shipment of 14,600 tons", "14.6 thousand tons were held"),
        ("he won 99 votes", "he won ninety-nine votes"),
        ("26% of the sugar", "26 percent of the sugar"),
        ("$1.5bn in aid", "1.5 billion dollars in aid"),
    ],
)
def test_a_figure_written_two_ways_is_one_quantity(a, b):
    assert quantities(a) & quantities(b)


def test_years_and_ordinals_are_kept_apart_from_counts_and_prose_numbers_are_not_figures():
    assert quantities("in 2025 there were 2,025 cases") == {"y2025", "2025"}
    assert quantities("one of the two sides said") == frozenset()
    # which occurrence of a recurring event: a third term, the 14th president (not "first", "second": prose too)
    assert quantities("Sisi won a third term as the 14th president") == {"o3", "o14"}
    assert quantities("at first, a second strike hit") == frozenset()


# -- names --------------------------------------------------------------------------------


def _shared(a: str, b: str) -> set[tuple[str, str]]:
    return {(m.source, m.target) for m in match(extract([f"Yesterday {a} spoke."]), extract([f"On Monday {b} answered."]))}


@pytest.mark.parametrize(
    "press, literal",
    [
        ("Sleiman Frangieh", "Suleiman Franjiya"),
        ("Joseph Aoun", "Josef Oun"),
        ("Joseph Aoun", "Josef Awn"),
        ("Nabih Berri", "Nabeeh Barri"),
        ("Nawaf Salam", "Nawwaf Salaam"),
        ("Najib Mikati", "Najeeb Miqati"),
        ("Paul Morcos", "Bol Morkos"),
        ("Nouhad Machnouk", "Nihad al-Mashnuq"),
        ("Tripoli", "Tarablus"),
        ("Marada Movement", "Al-Marada Current"),
    ],
)
def test_the_press_spelling_meets_a_literal_transliteration(press, literal):
    assert _shared(press, literal), (press, literal)


@pytest.mark.parametrize(
    "demonym, place", [("Omani", "Amman"), ("Nigerian", "Niger"), ("Iraqi", "Iran"), ("Lebanese", "Lebanon")]
)
def test_a_demonym_never_meets_a_place(demonym, place):
    assert not _shared(demonym, place)


@pytest.mark.parametrize("a, b", [("Isis", "Us"), ("Qaani", "Kenya"), ("Ali", "Eli"), ("Kadhimi", "Qassem")])
def test_short_or_different_names_stay_apart(a, b):
    assert not _shared(a, b)
