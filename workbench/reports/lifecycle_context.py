"""What the reports show of a client's life with its certificate: « À traiter », the next
milestones and the recurring tasks (read only: a plan not instantiated yet is shown as it would be).

:func:`lifecycle_view` turns them into plain rows that ``sections/suivi_tables.html.j2`` (client
report and follow-up visit) and the Word report print alike. In the client report's « Faire vivre la
certification » the calendar keeps the certification milestones (``milestones_only``): actions are
dated in the plan, tasks in their own table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from workbench.core.dates import add_months, fr_date, fr_date_long
from workbench.domain.alerts import Alert
from workbench.domain.calendar import CalendarItem, CalendarKind
from workbench.domain.tasks import TaskView
from workbench.services import lifecycle
from workbench.services.workspace import Workspace

HORIZON_MONTHS = 6
URGENCY = {1: "Haute", 2: "Moyenne", 3: "À planifier"}
"""Alert severity (1 = act now) as the client reads it."""
REPORT_INTRO = ("Situation au {day} : points à traiter, échéances du cycle de certification et tâches qualité "
                "récurrentes.")
REPORT_UPCOMING_NOTE = ("Les échéances des actions figurent au plan d'actions, celles des tâches récurrentes dans "
                        "le tableau ci-dessous.")
NOTHING_TO_DO = ("Rien à traiter à ce jour : aucune tâche ni action en retard, aucune preuve à actualiser, aucune "
                 "échéance proche.")
TASKS_NOTE = ("À tenir à jour entre deux audits, avec la date de chaque mise à jour : le même plan est fourni au "
              "format Excel pour être complété.")


def lifecycle_extra(ws: Workspace, client_id: str, today: dt.date, *, milestones_only: bool = False) -> dict[str, Any]:
    """What :file:`suivi_tables.html.j2` shows for one client as of ``today`` (read only).

    ``milestones_only`` (the client report): the calendar leaves out the action and task due dates,
    which the plan and the task table already give.
    """
    alerts = lifecycle.alerts_for_client(ws, client_id, today, write=False)
    upcoming = lifecycle.client_calendar_items(ws, client_id, today, start=today,
                                               end=add_months(today, HORIZON_MONTHS), write=False)
    if milestones_only:
        upcoming = [i for i in upcoming if i.kind not in (CalendarKind.ACTION_DUE, CalendarKind.TASK_DUE)]
    tasks = lifecycle.task_views(ws, client_id, today, write=False)
    view = lifecycle_view(alerts, upcoming, tasks, ws.store.get_client(client_id).name,
                          intro=REPORT_INTRO.format(day=fr_date_long(today)) if milestones_only else "",
                          upcoming_note=REPORT_UPCOMING_NOTE if milestones_only else "")
    return {"today": today, "horizon_months": HORIZON_MONTHS, "alerts": alerts, "upcoming": upcoming,
            "tasks": tasks, "view": view}


def lifecycle_view(alerts: Sequence[Alert], upcoming: Sequence[CalendarItem], tasks: Sequence[TaskView],
                   client_name: str, *, intro: str = "", upcoming_note: str = "") -> dict[str, Any]:
    """The three tables as plain rows and sentences (dates in French, the client's name left out of titles)."""
    suffix = f" ({client_name})"
    return {
        "intro": intro,
        "alerts": [{"severity": a.severity, "urgency": URGENCY.get(a.severity, str(a.severity)), "title": a.title,
                    "kind": a.kind.label, "detail": a.detail, "date": fr_date(a.date)} for a in alerts],
        "nothing_to_do": NOTHING_TO_DO,
        "upcoming_title": f"Prochaines échéances ({HORIZON_MONTHS} mois)",
        "upcoming_note": upcoming_note,
        "upcoming": [{"start": fr_date(i.start), "end": fr_date(i.end) if i.end else "",
                      "title": i.title.replace(suffix, ""), "kind": i.kind.label, "detail": i.detail}
                     for i in upcoming],
        "no_upcoming": f"Aucune échéance dans les {HORIZON_MONTHS} prochains mois.",
        "tasks_note": TASKS_NOTE,
        "tasks": [{"status_key": v.status.value, "title": v.task.title, "proof": v.task.proof,
                   "indicators": ", ".join(str(n) for n in v.task.indicators),
                   "frequency": f"{v.task.frequency_months} mois", "last_done": fr_date(v.last_done),
                   "next_due": fr_date(v.next_due), "status": v.status.label, "owner": v.task.owner}
                  for v in tasks],
    }
