"""The dashboard's « À traiter » section: alerts, next milestones and recurring tasks (read only).

Gathered with :mod:`workbench.services.lifecycle` without writing (``write=False``): a plan not
instantiated yet is shown as it would be. Every stored text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from workbench.core.dates import add_months, fr_date
from workbench.domain.alerts import Alert
from workbench.domain.calendar import CalendarItem
from workbench.domain.tasks import TaskStatus, TaskView
from workbench.services import lifecycle
from workbench.services.workspace import Workspace

HORIZON_MONTHS = 6
SEVERITY = {1: ("haute", "#b00020"), 2: ("moyenne", "#8a6100"), 3: ("à planifier", "#1565c0")}
TASK_COLORS = {TaskStatus.OK: "#2e7d32", TaskStatus.DUE_SOON: "#8a6100", TaskStatus.OVERDUE: "#b00020"}


@dataclass(frozen=True)
class LifecycleData:
    client_name: str
    today: dt.date
    alerts: tuple[Alert, ...]
    upcoming: tuple[CalendarItem, ...]
    tasks: tuple[TaskView, ...]


def lifecycle_data(ws: Workspace, client_id: str, today: dt.date) -> LifecycleData:
    profile = ws.store.get_client(client_id)
    return LifecycleData(
        client_name=profile.name, today=today,
        alerts=tuple(lifecycle.alerts_for_client(ws, client_id, today, write=False)),
        upcoming=tuple(lifecycle.client_calendar_items(ws, client_id, today, start=today,
                                                       end=add_months(today, HORIZON_MONTHS), write=False)),
        tasks=tuple(lifecycle.task_views(ws, client_id, today, write=False)),
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _badge(label: str, color: str) -> str:
    return f'<span class="wb-badge" style="background:{color}">{_e(label)}</span>'


def lifecycle_section(data: LifecycleData | None) -> str:
    if data is None:
        return ""
    suffix = f" ({data.client_name})"
    if data.alerts:
        rows = "".join(
            f"<tr><td>{_badge(*SEVERITY[a.severity])}</td><td><b>{_e(a.title)}</b>"
            f"<br><span class='wb-dash-muted'>{_e(a.detail)}</span></td><td>{_e(fr_date(a.date))}</td></tr>"
            for a in data.alerts)
        alerts = ('<table class="wb-dash-alerts"><thead><tr><th>Urgence</th><th>Point</th><th>Date</th></tr></thead>'
                  f"<tbody>{rows}</tbody></table>")
    else:
        alerts = "<p>Rien à traiter à ce jour.</p>"
    if data.upcoming:
        rows = "".join(
            f"<tr><td>{_e(fr_date(i.start))}{(' → ' + _e(fr_date(i.end))) if i.end else ''}</td>"
            f"<td>{_e(i.title.removesuffix(suffix))}</td><td class='wb-dash-muted'>{_e(i.kind.label)}</td></tr>"
            for i in data.upcoming)
        upcoming = ('<table class="wb-dash-upcoming"><thead><tr><th>Date</th><th>Échéance</th><th>Type</th></tr>'
                    f"</thead><tbody>{rows}</tbody></table>")
    else:
        upcoming = f"<p>Aucune échéance dans les {HORIZON_MONTHS} prochains mois.</p>"
    late = sum(v.status == TaskStatus.OVERDUE for v in data.tasks)
    rows = "".join(
        f"<tr><td>{_e(v.task.title)}</td><td class='wb-num'>{_e(', '.join(map(str, v.task.indicators)))}</td>"
        f"<td class='wb-num'>{v.task.frequency_months} mois</td><td>{_e(fr_date(v.last_done))}</td>"
        f"<td>{_e(fr_date(v.next_due))}</td><td>{_badge(v.status.label, TASK_COLORS[v.status])}</td>"
        f"<td>{_e(v.task.owner or '—')}</td></tr>" for v in data.tasks)
    tasks = (f"<p>{len(data.tasks)} tâche(s) récurrente(s), "
             + (f"<span class='wb-overdue'>{late} en retard</span>" if late else "aucune en retard") + ".</p>"
             '<table class="wb-dash-tasks"><thead><tr><th>Tâche</th><th class="wb-num">Ind.</th>'
             '<th class="wb-num">Fréquence</th><th>Dernière fois</th><th>Échéance</th><th>État</th>'
             f"<th>Responsable</th></tr></thead><tbody>{rows}</tbody></table>")
    return (f'<section class="wb-dash-lifecycle"><h2>À traiter</h2>{alerts}'
            f"<h2>Prochaines échéances</h2>{upcoming}<h2>Tâches qualité récurrentes</h2>{tasks}</section>")
