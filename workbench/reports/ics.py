"""Calendar files (iCalendar, RFC 5545) of a client's or a portfolio's certification calendar.

Built with the ``icalendar`` package. Every item becomes an all-day event (``VEVENT``: common
calendar applications ignore or hide to-dos), a window spanning its days. Each event's ``UID`` is
stable per client and item (:attr:`CalendarItem.uid`), so importing a newer file updates the
events instead of duplicating them; ``SEQUENCE`` grows with the generation time (minutes since
2026) and ``LAST-MODIFIED``/``DTSTAMP`` carry it, so applications keep the newest version.
Reminders (``VALARM``, display) fire the configured number of days before a window opens or a
deadline falls. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from icalendar import Alarm, Calendar, Event

from workbench import __version__
from workbench.core.dates import fr_date
from workbench.core.errors import UsageError
from workbench.core.files import write_atomically
from workbench.domain.calendar import CalendarItem

PRODID = f"-//Qualiopi Workbench//{__version__}//FR"
SEQUENCE_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def build_calendar(items: Sequence[CalendarItem], name: str, *, generated_at: dt.datetime | None = None) -> Calendar:
    stamp = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    sequence = max(0, int((stamp - SEQUENCE_EPOCH).total_seconds() // 60))
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in items:
        ev = Event()
        ev.add("uid", item.uid)
        ev.add("dtstamp", stamp)
        ev.add("last-modified", stamp)
        ev.add("sequence", sequence)
        ev.add("dtstart", item.start)
        ev.add("dtend", item.last_day + dt.timedelta(days=1))  # exclusive end of an all-day event
        ev.add("summary", ("[En retard] " if item.late else "") + item.title)
        when = (f"Du {fr_date(item.start)} au {fr_date(item.end)}." if item.end else f"Le {fr_date(item.start)}.")
        ev.add("description", "\n".join(x for x in (item.kind.label + " — " + item.client_name, when, item.detail) if x))
        ev.add("categories", [item.kind.label])
        ev.add("transp", "TRANSPARENT")
        for days in item.reminders:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Dans {days} jour(s) : {item.title}")
            alarm.add("trigger", dt.timedelta(days=-days))
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal


def write_ics(path: Path, items: Sequence[CalendarItem], name: str, *,
              generated_at: dt.datetime | None = None) -> Path:
    """Write the calendar file atomically (a previous export of the same file is replaced)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} est un dossier : indiquez le nom du fichier .ics à créer ; rien n'a été écrit.")
    if path.suffix.lower() != ".ics":
        raise UsageError(f"le fichier de calendrier doit avoir l'extension .ics : « {path} ».")
    data = build_calendar(items, name, generated_at=generated_at).to_ical()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda tmp: tmp.write_bytes(data), overwrite=True)
    return path
