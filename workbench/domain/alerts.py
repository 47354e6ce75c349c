"""« À traiter »: what needs the consultant's or the client's attention now (pure, ``today`` given).

For one client, from its calendar input and the stale-evidence flags of its current mission:

* recurring tasks past their due date;
* open actions past their due date;
* evidence that will be older than its freshness rule on the date of the audit being prepared
  (the gap analysis's « preuve à actualiser » flags, only while that audit is ahead);
* a surveillance window opening within :data:`SURVEILLANCE_NOTICE_DAYS` days (or already open)
  with no audit mission planned inside it;
* NC deadlines falling within :data:`NC_NOTICE_DAYS` days, or already past.

Alerts are sorted by severity (1 first), then date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workbench.core.dates import fr_date
from workbench.core.vocab import ActionStatus, AuditType, LabelledEnum, MissionType
from workbench.domain.calendar import CalendarKind, ClientCalendarInput, client_calendar
from workbench.domain.tasks import TaskStatus

SURVEILLANCE_NOTICE_DAYS = 90
NC_NOTICE_DAYS = 30


class AlertKind(LabelledEnum):
    TASK_OVERDUE = "task_overdue", "Tâche en retard"
    ACTION_OVERDUE = "action_overdue", "Action en retard"
    STALE_EVIDENCE = "stale_evidence", "Preuve trop ancienne à la date de l'audit"
    SURVEILLANCE_UNPLANNED = "surveillance_unplanned", "Surveillance à planifier"
    NC_DEADLINE = "nc_deadline", "Échéance de NC proche"


@dataclass(frozen=True)
class Alert:
    client: str
    client_name: str
    kind: AlertKind
    severity: int
    """1 = act now (something is past), 2 = soon, 3 = to plan."""
    title: str
    detail: str
    date: dt.date | None = None
    consultant: str | None = None

    def to_dict(self) -> dict:
        return {"client": self.client, "client_name": self.client_name, "kind": self.kind.value,
                "kind_label": self.kind.label, "severity": self.severity, "title": self.title,
                "detail": self.detail, "date": self.date.isoformat() if self.date else None,
                "consultant": self.consultant}


@dataclass(frozen=True)
class StaleProof:
    """A « preuve à actualiser » flag of the gap analysis for the audit being prepared."""

    number: int
    title: str
    message: str


def client_alerts(inp: ClientCalendarInput, today: dt.date, *, stale: Sequence[StaleProof] = (),
                  audit_date: dt.date | None = None) -> list[Alert]:
    """Everything « à traiter » for one client (rules in the module docstring)."""
    base = {"client": inp.client_id, "client_name": inp.client_name, "consultant": inp.consultant}
    out: list[Alert] = []
    for v in inp.tasks:
        if v.task.retired or v.status != TaskStatus.OVERDUE:
            continue
        late = (today - v.next_due).days
        last = f"dernière réalisation le {fr_date(v.last_done)}" if v.last_done else "jamais réalisée"
        out.append(Alert(kind=AlertKind.TASK_OVERDUE, severity=1 if late > 30 else 2,
                         title=f"{v.task.title} : en retard de {late} jour(s)",
                         detail=f"Échéance du {fr_date(v.next_due)} ({last}, tous les {v.task.frequency_months} "
                                f"mois) ; responsable : {v.task.owner or '—'}.", date=v.next_due, **base))
    for a in inp.actions:
        if a.due_date is None or a.due_date >= today or a.status not in (ActionStatus.A_FAIRE, ActionStatus.EN_COURS):
            continue
        ind = f" (indicateur {a.indicator})" if a.indicator else ""
        out.append(Alert(kind=AlertKind.ACTION_OVERDUE, severity=1,
                         title=f"Action en retard{ind} : {a.title}",
                         detail=f"Échéance du {fr_date(a.due_date)} dépassée ; statut : {a.status.label}.",
                         date=a.due_date, **base))
    if audit_date is not None and audit_date >= today:
        for s in stale:
            out.append(Alert(kind=AlertKind.STALE_EVIDENCE, severity=2,
                             title=f"Indicateur {s.number} : preuve à actualiser avant l'audit du {fr_date(audit_date)}",
                             detail=s.message, date=audit_date, **base))
    cycle = inp.cycle
    if cycle is not None and today <= cycle.surveillance_until:
        opens_in = (cycle.surveillance_from - today).days
        planned = [m for m in inp.missions if m.type != MissionType.POINT_SUIVI
                   and m.audit_type == AuditType.SURVEILLANCE and m.audit_date >= today
                   and cycle.surveillance_from <= m.audit_date <= cycle.surveillance_until]
        if opens_in <= SURVEILLANCE_NOTICE_DAYS and not planned:
            when = (f"s'ouvre le {fr_date(cycle.surveillance_from)} (dans {opens_in} jour(s))" if opens_in > 0
                    else f"est ouverte jusqu'au {fr_date(cycle.surveillance_until)}")
            out.append(Alert(kind=AlertKind.SURVEILLANCE_UNPLANNED, severity=2 if opens_in <= 0 else 3,
                             title=f"Fenêtre de surveillance : {when}, aucune mission prévue",
                             detail="Fixer la date avec le certificateur et planifier la préparation "
                                    "(workbench mission new … --type prep_surveillance).",
                             date=cycle.surveillance_from, **base))
    for item in client_calendar(inp, today):
        if item.kind != CalendarKind.NC_DEADLINE:
            continue
        days = (item.start - today).days
        if days > NC_NOTICE_DAYS:
            continue
        when = f"dépassée depuis le {fr_date(item.start)}" if days < 0 else f"le {fr_date(item.start)} (dans {days} jour(s))"
        out.append(Alert(kind=AlertKind.NC_DEADLINE, severity=1 if days < 7 else 2,
                         title=f"{item.title.removesuffix(f' ({inp.client_name})')} — échéance {when}",
                         detail=item.detail, date=item.start, **base))
    out.sort(key=lambda a: (a.severity, a.date or dt.date.max, a.title))
    return out


def sort_portfolio(alerts: Iterable[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (a.severity, a.date or dt.date.max, a.client, a.title))
