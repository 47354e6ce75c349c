"""French date formatting and calendar arithmetic shared by the whole package."""

from __future__ import annotations

import datetime as dt
import re

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


_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MIN_YEAR, MAX_YEAR = 1950, 2100


def parse_fr_date(value: dt.date | str | None) -> dt.date | None:
    """A complete date typed as JJ/MM/AAAA (or AAAA-MM-JJ); None for an empty value.

    Half-typed or absurd values (``2/12/9``, year 0002) raise :class:`ValueError` with a French
    reason, so that nothing incomplete is ever saved.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        if not text:
            return None
        match = _FR_DATE.match(text)
        try:
            if match:
                day = dt.date(int(match[3]), int(match[2]), int(match[1]))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                day = dt.date.fromisoformat(text)
            else:
                raise ValueError("format attendu : JJ/MM/AAAA, par exemple 09/12/2026")
        except ValueError as exc:
            if "format attendu" in str(exc):
                raise
            raise ValueError("cette date n'existe pas (jour ou mois hors limites)") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"année hors des limites ({MIN_YEAR}–{MAX_YEAR})")
    return day
