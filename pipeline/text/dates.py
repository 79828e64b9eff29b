"""Dates as the pipeline stores them: ISO 8601 strings, read back into dates.

Pieces carry their date as ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM``; these
helpers read such a value back, and tolerate anything else by returning
None (a store written by an older version, a JSONL field in another form).
"""

from __future__ import annotations

from datetime import date, datetime


def iso_day(value: str | None) -> date | None:
    """The calendar day of an ISO date or datetime string; None when it is missing or not one."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def iso_date_or_none(value: str | None) -> str | None:
    """The value as a normalised ISO 8601 date or datetime, or None when it is missing or not a date."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None
