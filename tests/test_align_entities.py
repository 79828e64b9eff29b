"""Entity matching across transliteration and translation of names."""

from __future__ import annotations

import pytest

from pipeline.align.entities import canonical, extract, match, overlap, skeleton


def shared(a: str, b: str) -> list[tuple[str, str, str]]:
    return [(m.source, m.target, m.how) for m in match(extract([a]), extract([b]))]


@pytest.mark.parametrize(
    "left, right",
    [
        ("Kadhimi", "Kazemi"),
        ("Kadhimi", "al-Kadhimi"),
        ("Mustafa al-Kadhimi", "Al-Kazemi"),
        ("Qaani", "Ghaani"),
        ("Kataib Hezbollah", "Hezbollah Brigades"),
        ("Kata'ib Hezbollah", "Kataeb Hezbollah"),
        ("Asa'ib Ahl al-Haq", "Asaib People of Truth"),
        ("Hezbollah", "Hizballah"),
    ],
)
def test_transliteration_variants_match(left, right):
    found = shared(f"Yesterday {left} spoke in Baghdad.", f"On Monday {right} answered the critics.")
    names = {(s, t) for s, t, _ in found}
    assert any(left.split()[-1] in s and right.split()[-1] in t for s, t in names), found


@pytest.mark.parametrize(
    "left, right",
    [("Kadhimi", "Khamenei"), ("Iran", "Iraq"), ("America", "ISIS"), ("Qaani", "Kenya"), ("Hezbollah", "Hamas")],
)
def test_different_names_do_not_match(left, right):
    found = shared(f"Yesterday {left} spoke in the capital.", f"On Monday {right} answered the critics.")
    assert found == []


def test_skeletons_fold_transliteration_rules():
    assert skeleton("kadhimi") == skeleton("kazemi") == skeleton("kazimi")
    assert skeleton("qaani") == skeleton("ghaani")
    assert canonical("Hezbollah Brigades")[0] == canonical("Kataib Hezbollah")[0]
    assert canonical("al-Kadhimi")[0] == canonical("Kadhimi")[0]


def test_sentence_initial_common_words_are_not_entities():
    ents = extract(["However, the government said nothing.", "The Iraqi Prime Minister Mustafa al-Kadhimi met Joe Biden."])
    surfaces = {e.surface for e in ents.entities.values()}
    assert not any(s.startswith(("However", "The ")) for s in surfaces)
    assert any("Kadhimi" in s for s in surfaces)


def test_overlap_saturates_and_is_zero_without_shared_names():
    assert overlap([], 10.0) == 0.0
    many = match(
        extract(["Khamenei, Kadhimi, Pompeo and Barham Salih met in Qom."]),
        extract(["Kazemi, Khamenei, Pompeo and Barham Salih were in Qom."]),
    )
    assert 0.8 < overlap(many, 10.0) <= 1.0
    common = match(extract(["Iraq and Iran met America."]), extract(["Iraq, Iran and America met."]))
    assert len(common) == 3 and overlap(common, 10.0) < 0.5  # common country names are weak evidence
