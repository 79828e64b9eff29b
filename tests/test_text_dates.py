"""One date module for the pipeline: dates found in Arabic and English text, markup dates, plausibility, ISO helpers."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.text.dates import (
    find_date,
    from_markup,
    implausible,
    iso_date,
    iso_text,
    parse_date,
)


@pytest.mark.parametrize(
    "text,iso",
    [
        ("الخميس 29 كانون الثاني 2015", "2015-01-29"),  # Levantine month, weekday prefix
        ("الخميس، 29 كانون الثاني، 2015", "2015-01-29"),  # Arabic commas
        ("السبت ١٢ شباط ٢٠٢٢", "2022-02-12"),  # Arabic-Indic digits
        ("الجمعة ۱۲ كانون الأول ۲۰۱۴", "2014-12-12"),  # Persian digits
        ("3 ايلول 2020", "2020-09-03"),  # alef without hamza
        ("15 يوليو 2021", "2021-07-15"),  # Egyptian / Gulf month names
        ("الثلاثاء 3 فبراير 2015", "2015-02-03"),
        ("3 جانفي 2020", "2020-01-03"),  # Maghrebi month names
        ("14 جويلية 2019", "2019-07-14"),
        ("1 أوت 2018", "2018-08-01"),
        ("السبت 9 شتنبر 2023", "2023-09-09"),  # Moroccan month names
        ("16 يوليوز 2022", "2022-07-16"),
        ("تاريخ النشر: 8th, February 2025 GMT", "2025-02-08"),  # an ordinal day then a comma
        ("Published Thursday, January 29, 2015", "2015-01-29"),
        ("Published On 29 Jan 2015", "2015-01-29"),
        ("6th August 2024", "2024-08-06"),
        ("Nov. 05, 2014 | 12:20 AM", "2014-11-05"),
        ("Sept 3, 2021", "2021-09-03"),
        ("10/22/2020 22:19", "2020-10-22T22:19"),  # month first only when the day cannot be a month
    ],
)
def test_dates_in_arabic_and_english_text(text, iso):
    assert parse_date(text) == iso


def test_found_date_says_where_it_is():
    text = "نشر في الخميس 29 كانون الثاني 2015 عند الظهر"
    iso, (start, end) = find_date(text)
    assert iso == "2015-01-29" and text[start:end].strip() == "الخميس 29 كانون الثاني 2015"


@pytest.mark.parametrize("text", ["في عام 2015", "قرار مجلس الأمن 2334", "قبل يومين", "Summary 5, 2021", "5,000 operations"])
def test_numbers_years_and_relative_words_are_not_dates(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "value,iso",
    [
        ("2024-08-15T23:39:00+03:00", "2024-08-15"),  # the day as written, not shifted to UTC
        ("2024-08-16T02:32:00+03:00", "2024-08-16"),
        ("2021-08-28T10:00:00Z", "2021-08-28"),
        ("2024-08-06", "2024-08-06"),
        ("Aug 15, 2024", "2024-08-15"),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_machine_dates_from_markup(value, iso):
    assert from_markup(value) == iso


def test_future_and_pre_1990_dates_are_implausible_with_a_reason():
    today = date(2024, 8, 20)
    assert implausible("2024-08-20", today) is None
    assert implausible("2024-08-21T01:00", today) is None  # a day of slack for time zones
    assert "in the future" in implausible("2031-05-01", today)
    assert "before 1990" in implausible("1985-03-02", today)
    assert "not a date" in implausible("someday", today)


def test_iso_helpers_read_what_the_store_holds():
    assert iso_date("2021-07-27T15:59") == date(2021, 7, 27)
    assert iso_date(" 2021-07-27 ") == date(2021, 7, 27)
    assert iso_date("27/07/2021") is None and iso_date(None) is None
    assert iso_text("2021-07-27") == "2021-07-27"
    assert iso_text("2021-07-27T15:59") == "2021-07-27T15:59:00"
    assert iso_text("yesterday") is None
