"""Event time: the day a piece's event happened, read from its lead and resolved against its date."""

from __future__ import annotations

from datetime import date

from pipeline.align.eventtime import event_time, original_lead

THURSDAY = "2025-01-09"  # a Thursday


def test_a_weekday_is_the_last_one_on_or_before_the_pieces_date():
    friday_paper = event_time("2025-01-10", [], ["Parliament on Thursday elected army commander Joseph Aoun president."])
    assert friday_paper.event == date(2025, 1, 9) and friday_paper.weekday == 3
    same_day = event_time(THURSDAY, [], ["Parliament on Thursday elected army commander Joseph Aoun president."])
    assert same_day.event == date(2025, 1, 9)


def test_arabic_weekdays_and_relative_days_are_read_from_the_original():
    lead = original_lead(None, "انتخب مجلس النواب يوم الخميس قائد الجيش العماد جوزاف عون رئيساً للجمهورية بعد جولتين")
    assert event_time("2025-01-10", [], lead).event == date(2025, 1, 9)
    yesterday = original_lead(None, "نقل زوار رئيس مجلس النواب عنه أمس قوله إن الجلسة قائمة في موعدها")
    assert event_time("2024-11-29", [], yesterday).event == date(2024, 11, 28)


def test_tomorrow_and_next_friday_look_ahead_they_are_not_the_event():
    eve = event_time("2025-01-08", [], ["Frangieh said the conditions for electing a president tomorrow are in place."])
    assert eve.ahead == date(2025, 1, 9) and eve.event is None and eve.ahead_only
    preview = event_time(
        "2025-09-02", [], ["All eyes are on the cabinet session expected next Friday, devoted to the army's plan."]
    )
    assert preview.ahead == date(2025, 9, 5) and preview.looks_ahead
    ahead_of = event_time("2025-09-01", [], ["Ahead of Friday's cabinet session, officials are exploring ways to proceed."])
    assert ahead_of.ahead == date(2025, 9, 5)


def test_an_undated_piece_keeps_its_weekday_and_its_day_and_month():
    undated = event_time(None, [], ["Lebanon's parliament on Thursday elected Joseph Aoun president of the republic."])
    assert undated.published is None and undated.event is None and undated.weekday == 3
    funeral = event_time(None, [], ["Tens of thousands of mourners packed the stadium on February 23 for the funeral."])
    assert funeral.event_md == (2, 23) and funeral.event is None
    announced = event_time(None, [], ["Qassem announced that the funeral would be held on 23 February in Beirut."])
    assert (2, 23) in announced.ahead_md and announced.event_md is None


def test_a_dateline_stands_in_for_a_missing_date_but_a_caption_does_not():
    dated = event_time(None, ["Wednesday 26 February 2025 22:09:58"], ["The government won a vote of confidence on Wednesday."])
    assert dated.published == date(2025, 2, 26) and dated.event == date(2025, 2, 26)
    caption = "Members of the new government pose for an official picture at the Presidential Palace, Tuesday, Feb. 11, 2025"
    assert event_time(None, [caption], ["The parliament granted confidence."]).published is None


def test_background_dates_are_not_the_event():
    # a date far behind the piece's own is background: an anniversary piece's event is its own day
    anniversary = event_time("2021-08-04", [], ["A painful anniversary of the explosion that struck the port on 4 August 2020."])
    assert anniversary.event == date(2021, 8, 4)
    # a full date on none of the weekdays the lead names is background ("since 8 October 2023")
    truce = event_time(
        None,
        [],
        ["The ceasefire took effect on Wednesday after strikes that went on since 8 October 2023 until the last minute."],
    )
    assert truce.event is None and truce.weekday == 2


def test_a_lead_without_any_day_leaves_the_event_unknown():
    unknown = event_time("2025-01-10", [], ["The parliament elected a president after a long vacancy."])
    assert unknown.event is None and unknown.weekday is None and unknown.ahead is None
