"""What the reports show of a client's life with its certificate: « À traiter », the next
milestones and the recurring tasks (read only: a plan not instantiated yet is shown as it would be)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.core.dates import add_months
from workbench.services import lifecycle
from workbench.services.workspace import Workspace

HORIZON_MONTHS = 6


def lifecycle_extra(ws: Workspace, client_id: str, today: dt.date) -> dict[str, Any]:
    """What :file:`suivi_tables.html.j2` shows for one client as of ``today`` (read only)."""
    return {
        "today": today,
        "horizon_months": HORIZON_MONTHS,
        "alerts": lifecycle.alerts_for_client(ws, client_id, today, write=False),
        "upcoming": lifecycle.client_calendar_items(ws, client_id, today, start=today,
                                                    end=add_months(today, HORIZON_MONTHS), write=False),
        "tasks": lifecycle.task_views(ws, client_id, today, write=False),
    }
