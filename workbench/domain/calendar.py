"""The certification calendar of one client and of a portfolio (pure functions, ``today`` given).

Items, each with a stable key per client (so calendar files re-import without duplicates):

* ``certificate_expiry`` — the last day of validity (certificate date + 36 months − 1 day);
* ``surveillance_window`` — months 14 to 22 after the certificate date (the date it was obtained,
  not the initial audit);
* ``renewal_window`` — the advised renewal audit window, 5 to 3 months before expiry, so that a major
  NC can still be lifted within 3 months before the certificate ends (practice, not a rule);
* ``audit`` — every planned mission: its audit date (for a follow-up visit, the visit date);
* ``nc_deadline`` — the NCs of the client's current mission: lifted within 3 months of the audit for
  a major, the action plan carried out within 6 months for a minor. Before the audit is held this is
  what the deadline *would* be if the certifier confirmed the finding, and the title says so;
* ``action_due`` — every open action of the current mission with a due date;
* ``task_due`` — the next due date of every active recurring task.

Every item carries reminders (days before its start) used for the calendar files' alarms, and a
``late`` flag for open actions and tasks past due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workbench.core.dates import add_months, fr_date
from workbench.core.vocab import ActionStatus, AuditType, LabelledEnum, MissionType, Verdict
from workbench.domain.audit_cycle import CycleDates
from workbench.domain.tasks import TaskStatus, TaskView

MAJOR_LIFT_MONTHS = 3
MINOR_PLAN_MONTHS = 6


class CalendarKind(LabelledEnum):
    CERTIFICATE_EXPIRY = "certificate_expiry", "Fin de validité du certificat"
    SURVEILLANCE_WINDOW = "surveillance_window", "Fenêtre de l'audit de surveillance"
    RENEWAL_WINDOW = "renewal_window", "Fenêtre conseillée du renouvellement"
    AUDIT = "audit", "Audit ou mission prévu"
    NC_DEADLINE = "nc_deadline", "Échéance de levée de NC"
    ACTION_DUE = "action_due", "Échéance d'action"
    TASK_DUE = "task_due", "Tâche récurrente à faire"



#: Reminders, in days before the item starts (calendar alarms).
REMINDERS: dict[CalendarKind, tuple[int, ...]] = {
    CalendarKind.CERTIFICATE_EXPIRY: (90, 30),
    CalendarKind.SURVEILLANCE_WINDOW: (90, 30),
    CalendarKind.RENEWAL_WINDOW: (60, 14),
    CalendarKind.AUDIT: (14, 2),
    CalendarKind.NC_DEADLINE: (30, 7),
    CalendarKind.ACTION_DUE: (7,),
    CalendarKind.TASK_DUE: (7,),
}


@dataclass(frozen=True)
class CalendarItem:
    client: str
    kind: CalendarKind
    start: dt.date
    end: dt.date | None
    """Last day of a window (inclusive); None for a single day."""
    title: str
    key: str
    """Stable within the client: same item, same key, whatever its dates."""
    detail: str = ""
    client_name: str = ""
    consultant: str | None = None
    late: bool = False
    reminders: tuple[int, ...] = ()

    @property
    def uid(self) -> str:
        return f"{self.client}.{self.key}@qualiopi-workbench"

    @property
    def last_day(self) -> dt.date:
        return self.end or self.start

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        return (start is None or self.last_day >= start) and (end is None or self.start <= end)

    def to_dict(self) -> dict:
        return {"client": self.client, "client_name": self.client_name, "kind": self.kind.value,
                "kind_label": self.kind.label, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None, "title": self.title, "detail": self.detail,
                "late": self.late, "uid": self.uid, "consultant": self.consultant}


@dataclass(frozen=True)
class PlannedMission:
    id: str
    type: MissionType
    audit_type: AuditType
    audit_date: dt.date
    label: str | None = None


@dataclass(frozen=True)
class OpenNC:
    """The NCs found by a mission at one level (indicator numbers)."""

    mission_id: str
    audit_date: dt.date
    level: Verdict
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class PlannedAction:
    id: int
    title: str
    due_date: dt.date | None
    status: ActionStatus
    indicator: int | None = None


@dataclass(frozen=True)
class ClientCalendarInput:
    """What the calendar needs about one client, read from the store by the services layer."""

    client_id: str
    client_name: str
    consultant: str | None = None
    cycle: CycleDates | None = None
    missions: tuple[PlannedMission, ...] = ()
    ncs: tuple[OpenNC, ...] = ()
    actions: tuple[PlannedAction, ...] = ()
    tasks: tuple[TaskView, ...] = field(default=())


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def nc_deadline(audit_date: dt.date, level: Verdict) -> dt.date:
    """Last day to lift a major NC (3 months) or carry out a minor's action plan (6 months)."""
    return add_months(audit_date, MAJOR_LIFT_MONTHS if level == Verdict.NC_MAJEURE else MINOR_PLAN_MONTHS)


def mission_title(m: PlannedMission) -> str:
    if m.type == MissionType.POINT_SUIVI:
        return "Point de suivi" + (f" — {m.label}" if m.label and m.label != m.type.label else "")
    text = f"{m.audit_type.label} prévu"
    if m.type in (MissionType.PRE_AUDIT, MissionType.AUDIT_BLANC):
        text = f"{m.type.label} ({m.audit_type.label.lower()} visé)"
    return text + (f" — {m.label}" if m.label else "")


def client_calendar(inp: ClientCalendarInput, today: dt.date) -> list[CalendarItem]:
    """Every calendar item of one client, by start date."""
    base = {"client": inp.client_id, "client_name": inp.client_name, "consultant": inp.consultant}
    items: list[CalendarItem] = []

    def add(kind: CalendarKind, start: dt.date, end: dt.date | None, title: str, key: str,
            detail: str = "", late: bool = False) -> None:
        items.append(CalendarItem(kind=kind, start=start, end=end, title=title, key=key, detail=detail,
                                  late=late, reminders=REMINDERS[kind], **base))

    cycle = inp.cycle
    if cycle is not None:
        cert = f"cycle du certificat du {fr_date(cycle.certificate_date)}"
        add(CalendarKind.CERTIFICATE_EXPIRY, cycle.expiry, None,
            f"Fin de validité du certificat Qualiopi ({inp.client_name})", f"cycle-{cycle.certificate_date:%Y%m%d}-expiry",
            f"Le certificat du {fr_date(cycle.certificate_date)} est valable jusqu'au {fr_date(cycle.expiry)} inclus.")
        add(CalendarKind.SURVEILLANCE_WINDOW, cycle.surveillance_from, cycle.surveillance_until,
            f"Fenêtre de l'audit de surveillance ({inp.client_name})",
            f"cycle-{cycle.certificate_date:%Y%m%d}-surveillance",
            f"Audit de surveillance à tenir entre le 14e et le 22e mois ({cert}).")
        add(CalendarKind.RENEWAL_WINDOW, cycle.renewal_from, cycle.renewal_until,
            f"Fenêtre conseillée de l'audit de renouvellement ({inp.client_name})",
            f"cycle-{cycle.certificate_date:%Y%m%d}-renewal",
            "Audit de renouvellement conseillé 5 à 3 mois avant l'échéance, pour pouvoir lever une NC majeure "
            f"(3 mois) avant la fin de validité ({cert}).")

    for m in inp.missions:
        add(CalendarKind.AUDIT, m.audit_date, None, f"{mission_title(m)} ({inp.client_name})", f"mission-{m.id}",
            f"{m.type.label} : {m.audit_type.label.lower()} prévu le {m.audit_date:%d/%m/%Y}.")

    for nc in inp.ncs:
        if not nc.numbers:
            continue
        due = nc_deadline(nc.audit_date, nc.level)
        held = nc.audit_date < today
        major = nc.level == Verdict.NC_MAJEURE
        what = "Levée des NC majeures" if major else "Plan d'actions des NC mineures réalisé"
        title = f"{what} : indicateur(s) {_numbers(nc.numbers)} ({inp.client_name})"
        if not held:
            title = f"Si confirmées à l'audit — {title}"
        detail = f"{'3' if major else '6'} mois après l'audit du {fr_date(nc.audit_date)}."
        add(CalendarKind.NC_DEADLINE, due, None, title, f"nc-{nc.mission_id}-{'major' if major else 'minor'}",
            detail, late=held and due < today)

    for a in inp.actions:
        if a.due_date is None or a.status in (ActionStatus.FAIT, ActionStatus.ABANDONNE):
            continue
        ind = f"indicateur {a.indicator} — " if a.indicator else ""
        add(CalendarKind.ACTION_DUE, a.due_date, None, f"Action : {a.title} ({inp.client_name})", f"action-{a.id}",
            f"{ind}statut : {a.status.label}.", late=a.due_date < today)

    for v in inp.tasks:
        if v.task.retired:
            continue
        last = f"dernière réalisation le {fr_date(v.last_done)}" if v.last_done else "jamais réalisée"
        add(CalendarKind.TASK_DUE, v.next_due, None, f"{v.task.title} ({inp.client_name})", f"task-{v.task.id}",
            f"Tâche récurrente, tous les {v.task.frequency_months} mois ; {last} ; responsable : "
            f"{v.task.owner or '—'}.", late=v.status == TaskStatus.OVERDUE)

    items.sort(key=lambda i: (i.start, i.kind.value, i.title))
    return items


def in_range(items: Iterable[CalendarItem], start: dt.date | None, end: dt.date | None) -> list[CalendarItem]:
    """Items whose day or window meets [start, end] (both inclusive, None: unbounded)."""
    return [i for i in items if i.overlaps(start, end)]


def portfolio_calendar(inputs: Iterable[ClientCalendarInput], today: dt.date, *,
                       start: dt.date | None = None, end: dt.date | None = None,
                       consultant: str | None = None) -> list[CalendarItem]:
    """Every client's items (of one consultant if given, compared case-insensitively), by date then client."""
    wanted = consultant.strip().casefold() if consultant else None
    out: list[CalendarItem] = []
    for inp in inputs:
        if wanted is not None and (inp.consultant or "").strip().casefold() != wanted:
            continue
        out += in_range(client_calendar(inp, today), start, end)
    out.sort(key=lambda i: (i.start, i.client, i.kind.value, i.title))
    return out
