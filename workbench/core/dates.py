"""French date formatting and calendar arithmetic shared by the whole package."""

from __future__ import annotations

import datetime as dt

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic (negative allowed), clamping the day to the month's end."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def fr_date(day: dt.date | dt.datetime | None) -> str:
    """21/11/2026, or a dash when there is no date."""
    return day.strftime("%d/%m/%Y") if day else "—"


def fr_date_long(day: dt.date | dt.datetime | None) -> str:
    """21 novembre 2026 (1er for the first of the month)."""
    if not day:
        return "—"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"
