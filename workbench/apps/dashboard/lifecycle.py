"""The dashboard's « À traiter » section: alerts, next milestones and recurring tasks (read only).

Gathered with :mod:`workbench.services.lifecycle` without writing (``write=False``): a plan not
instantiated yet is shown as it would be. Rendered by ``templates/lifecycle.html.j2`` (included in the
dashboard, autoescaped like the rest).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench.core.dates import add_months
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
