"""Dates, bylines and outlets read off header lines."""

from __future__ import annotations

import pytest

from pipeline.ingest import cut_dump, parse_date
from pipeline.ingest.lines import byline, date_line
from pipeline.ingest.metadata import (
    canonical_outlet,
    describe_labelled,
    outlet_from_line,
    outlet_from_opener,
    outlet_self_reference_ar,
)
from pipeline.ingest.pieces import CutPiece, PieceUnit, RemovedLine


@pytest.mark.parametrize(
    "text,iso",
    [
        ("Sunday, 07 May 2023 12:24 AM", "2023-05-07T00:24"),
        ("Sunday, 07 May 2023 12:24 AM  [ Last Update: Sunday, 07 May 2023 2:14 AM ]", "2023-05-07T00:24"),
        ("27 Jul 2021", "2021-07-27"),
        ("27 Jul, 2021", "2021-07-27"),
        ("Dec 1 , 2021", "2021-12-01"),
        (" July 30, 2021", "2021-07-30"),
        ("September 01 2022", "2022-09-01"),
        ("18/07/2021", "2021-07-18"),  # day first
        ("03/04/2021", "2021-04-03"),  # ambiguous: day first
        ("10/22/2020 22:19", "2020-10-22T22:19"),  # cannot be day first: month first
        ("2020-10-22 18:09", "2020-10-22T18:09"),
        ("2020/10/22 21:20", "2020-10-22T21:20"),
        ("Thursday, November 11, 2021 8:37 PM", "2021-11-11T20:37"),
        ("Published August 25, 2021 at 9:07am", "2021-08-25T09:07"),
        ("NOV 07, 2021 3:59 PM ET", "2021-11-07T15:59"),
        ("Date: 24 July, 2020", "2020-07-24"),
        ("الأربعاء 18 آب 2021", "2021-08-18"),
        ("الإثنين 10 أيار 2021", "2021-05-10"),
        ("السبت ١٢ شباط ٢٠٢٢", "2022-02-12"),  # Arabic-Indic digits
        ("15 يوليو 2021", "2021-07-15"),  # Egyptian month names too
    ],
)
def test_dates_in_english_and_arabic_forms(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "name,month",
    [
        ("كانون الثاني", 1),
        ("شباط", 2),
        ("آذار", 3),
        ("نيسان", 4),
        ("أيار", 5),
        ("حزيران", 6),
        ("تموز", 7),
        ("آب", 8),
        ("أيلول", 9),
        ("تشرين الأول", 10),
        ("تشرين الثاني", 11),
        ("كانون الأول", 12),
    ],
)
def test_every_levantine_month(name, month):
    assert parse_date(f"الخميس 3 {name} 2022") == f"2022-{month:02d}-03"


@pytest.mark.parametrize(
    "text",
    [
        "the group carried out 5,000 operations",
        "Resolution 2334 of 2016",
        "31/02/2021",  # no such day
        "call 0791234567 now",
        "yesterday",
        "2 hours ago",
        "in 2021",
        "Summary 5, 2021",
    ],
)
def test_numbers_and_relative_words_are_not_dates(text):
    assert parse_date(text) is None


def test_a_date_line_is_a_date_and_little_else():
    assert date_line("Time: 10/22/2020 21:34:06 Read: 975 times") == "2020-10-22T21:34"
    assert date_line("170 Policy 2020/10/22 21:20 ht") == "2020-10-22T21:20"
    assert date_line("Arab and internationalIsraelSudan 2020-10-22 11:13A- A A+") == "2020-10-22T11:13"
    assert date_line("The Minister of Finance announced, on Thursday, October 22, 2020, the support") is None


@pytest.mark.parametrize(
    "line,expected",
    [
        ("By Staff, Agencies", ("Staff, Agencies", None, None)),
        ("BY RICK MORAN NOV 07, 2021 3:59 PM ET", ("Rick Moran", None, "2021-11-07T15:59")),
        ("By Al Mayadeen English", (None, "Al Mayadeen", None)),
        ("By The Cradle’s Iraq Correspondent", ("The Cradle’s Iraq Correspondent", "The Cradle", None)),
        ("By Aram Mirzaei for the Saker blog", ("Aram Mirzaei", "The Saker", None)),
        ("By Elijah J. Magnier: @ejmalrai", ("Elijah J. Magnier", None, None)),
        ("By News Desk -2020-08-17", ("News Desk", None, "2020-08-17")),
        ("باريس – نضال حمادة", ("نضال حمادة", None, None)),  # city dateline, then the author
        ("بقلم محمد صادق الحسيني", ("محمد صادق الحسيني", None, None)),
    ],
)
def test_bylines(line, expected):
    assert byline(line) == expected


@pytest.mark.parametrize(
    "line", ["By doing so, the Iraqi government recognized the troops.", "by the end of the year", "Bypass road closed"]
)
def test_sentences_starting_with_by_are_not_bylines(line):
    assert byline(line) is None


@pytest.mark.parametrize(
    "text,outlet",
    [
        ("Shafaq News / The British “Middle East Eye” website revealed", "Shafaq News"),
        ("Shafaq News/ The commander of the Quds Force", "Shafaq News"),
        ("(Baghdad: Al Furat News) A political analyst", "Al Furat News"),
        ("{Political: Al-Furat News} Prime Minister Mustafa Al-Kazemi expressed", "Al Furat News"),
        ("Baghdad / Obelisk: Prime Minister Mustafa Al-Kazemi received", "Al-Masalla"),
        ("Baghdad today – Baghdad", "Baghdad Today"),
        ("The Minister of Finance announced on Thursday", None),
    ],
)
def test_outlet_from_the_opening_words(text, outlet):
    assert outlet_from_opener(text) == outlet


@pytest.mark.parametrize(
    "line,outlet",
    [
        ("Source: Press TV", "Press TV"),
        ("Source: Afaq TV (YouTube)", "Afaq TV"),
        ("Translated by Al-Ahed News", "Al-Ahed News"),
        ("Press TV’s website can also be accessed at the following alternate addresses:", "Press TV"),
        ("The views expressed in this article do not necessarily reflect those of The Cradle.", "The Cradle"),
        ("Baghdad / The National News Center", "The National News Center"),
    ],
)
def test_outlet_lines(line, outlet):
    assert outlet_from_line(line) == outlet


def test_arabic_papers_naming_themselves():
    assert outlet_self_reference_ar("وقال مصدر دبلوماسي عربي في دمشق، لـ«الأخبار»، أن الحكومة") == "Al-Akhbar"
    assert outlet_self_reference_ar("نعود بك أيها القارئ الكريم إلى مقالة «البناء» في شهر تشرين الثاني") == "Al-Binaa"
    assert outlet_self_reference_ar("قالت مصادر وثيقة الصلة بمطبخ صناعة القرار") is None


def test_canonical_outlet_names():
    assert canonical_outlet("al-mayadeen") == "Al Mayadeen"
    assert canonical_outlet("الأخبار") == "Al-Akhbar"
    assert canonical_outlet("«البناء»") == "Al-Binaa"
    assert canonical_outlet("Shafaq News Agency") == "Shafaq News"
    assert canonical_outlet("Some Unknown Blog") is None


def test_english_article_quoting_an_outlet_does_not_take_its_name():
    text = (
        "Resistance group rejects US presence\n\n27 Jul 2021\n\n"
        "“Diplomatic facilities are not targets,” the spokesman told Beirut-based al-Mayadeen TV on Thursday, "
        "adding that the attacks on the embassy were meant to trick the Iraqi people and disrupt the equations.\n"
    )
    (piece,) = cut_dump(text).pieces
    assert piece.outlet is None and piece.date == "2021-07-27"


BAGHDAD_SUMMIT = (
    "Iraq hosted a regional summit on Saturday supposedly aimed at easing "
    "tensions in the Middle East while emphasizing the Arab country’s new role as a mediator.\n"
)


def test_page_title_site_name_becomes_the_outlet():
    (piece,) = cut_dump("Baghdad summit | Shafaq News\n\n" + BAGHDAD_SUMMIT).pieces
    assert (piece.title, piece.outlet) == ("Baghdad summit", "Shafaq News")
    assert "title" in piece.evidence["outlet"]


def test_an_unknown_word_after_the_bar_of_a_title_is_not_taken_for_the_outlet():
    # "Headline | X": X may be a site, a place, a section or a slogan; only a site the rules know is evidence
    (piece,) = cut_dump("Baghdad summit | Mideastream\n\n" + BAGHDAD_SUMMIT).pieces
    assert (piece.title, piece.outlet) == ("Baghdad summit", None)


def _labelled_piece(tail: list[PieceUnit], removed: tuple[RemovedLine, ...] = ()) -> CutPiece:
    units = [
        PieceUnit((1,), "Cabinet meets on the budget", "title", None, 0.98),
        PieceUnit((3,), ENGLISH_PARAGRAPH, "body", None, 0.99),
        PieceUnit((5,), ENGLISH_PARAGRAPH.replace("Monday", "Tuesday"), "body", None, 0.99),
        *tail,
    ]
    return CutPiece(units=units, start_rule="model:B-title", script="latin", removed=list(removed))


ENGLISH_PARAGRAPH = (
    "The cabinet met on Monday to discuss the draft budget, and ministers said the talks would go on for several more "
    "days before a vote in parliament."
)
DATE_AFTER_TEXT = PieceUnit((7,), "Date: 24 July, 2020", "meta", "date", 0.95)


def test_a_date_line_after_the_text_is_the_pieces_only_when_no_other_head_can_follow_it():
    another_head_may_follow = _labelled_piece([DATE_AFTER_TEXT])
    describe_labelled(another_head_may_follow, [], None)
    assert another_head_may_follow.date is None  # the next page's head, or a clock: not taken
    at_the_end = _labelled_piece([DATE_AFTER_TEXT])
    describe_labelled(at_the_end, [], None, ended=True)  # the dump (or the markup's article) ends here
    assert at_the_end.date == "2020-07-24" and "line 7" in at_the_end.evidence["date"]
    end_of_post = _labelled_piece([DATE_AFTER_TEXT], (RemovedLine(9, "Link to comment", "separator:model"),))
    describe_labelled(end_of_post, [], None)
    assert end_of_post.date == "2020-07-24"
    separator_before_it = _labelled_piece([DATE_AFTER_TEXT], (RemovedLine(6, "Link to comment", "separator:model"),))
    describe_labelled(separator_before_it, [], None)
    assert separator_before_it.date is None  # the post ended above the date line


CAPTION = PieceUnit(
    (1,),
    "Security forces gather outside a cafe hit by two suicide bombers in a crowded district on Saturday night",
    "body",
    None,
    0.9,
)


def _untitled(units: list[PieceUnit], date_at: int) -> CutPiece:
    """A piece without a headline, described, with a date line the model called furniture at line `date_at`."""
    removed = [RemovedLine(date_at, "Published Sunday, January 11, 2015", "chrome:model")]
    piece = CutPiece(units=units, start_rule="model:B-body", script="latin", removed=removed)
    describe_labelled(piece, [], None)
    return piece


def test_a_date_line_labelled_furniture_under_a_pieces_first_line_is_its_date_even_without_a_headline():
    body = [PieceUnit((5,), ENGLISH_PARAGRAPH, "body", None, 0.99), PieceUnit((7,), ENGLISH_PARAGRAPH, "body", None, 0.99)]
    # a caption, then the date line, then the text
    in_the_head = _untitled([CAPTION, *body], 3)
    assert in_the_head.date == "2015-01-11" and "under the piece's first line" in in_the_head.evidence["date"]
    # the same date line past the text's second paragraph is another piece's (or the page's): not taken
    assert _untitled([CAPTION, *body], 9).date is None
    # a piece of one paragraph has no head to speak of: a date line under it may be the next item's head
    assert _untitled([body[0]], 6).date is None
