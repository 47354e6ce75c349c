"""Client dashboard: a read-only view of one client's mission, served by Voilà one client per server.

* :mod:`workbench.apps.dashboard.data` reads the workspace read-only and gathers what is shown;
* :mod:`workbench.apps.dashboard.render` turns it into static HTML (no widget, nothing editable);
* :mod:`workbench.apps.dashboard.launch` serves ``notebooks/tableau_de_bord_client.ipynb`` for ONE
  client: loopback only, a random access token, the interview's locked-down Voilà options.

The notebook only calls :func:`build_dashboard` with the client id that the server injected as its
parameter; it never reads the environment nor the query string.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from workbench.apps.dashboard.data import (
    ActionRow,
    CriterionRow,
    DashboardData,
    GapRow,
    PlanProgress,
    ReadOnlySQLiteStore,
    ReadOnlyWorkspace,
    dashboard_data,
    load_dashboard,
    open_readonly,
)
from workbench.apps.dashboard.render import render_dashboard, render_error
from workbench.core.errors import WorkbenchError

__all__ = [
    "ActionRow",
    "CriterionRow",
    "DashboardData",
    "GapRow",
    "PlanProgress",
    "ReadOnlySQLiteStore",
    "ReadOnlyWorkspace",
    "build_dashboard",
    "dashboard_data",
    "load_dashboard",
    "open_readonly",
    "render_dashboard",
    "render_error",
]

INTERNAL_ERROR = ("Erreur interne inattendue : le tableau de bord n'a pas pu être préparé. "
                  "Prévenez votre consultant.")


def dashboard_html(workspace: str | os.PathLike[str] | None, client: str, mission: str | None = None,
                   *, today: dt.date | None = None, debug: bool = False) -> str:
    """The dashboard's HTML, or a French error message in its place: never raises (unless ``debug``,
    for the consultant's own tests: a client's server never sets it)."""
    try:
        return render_dashboard(load_dashboard(workspace or None, client, mission or None, today=today))
    except WorkbenchError as exc:
        return render_error(exc.message)
    except Exception:  # noqa: BLE001 - the client sees a message, never a traceback
        if debug:
            raise
        return render_error(INTERNAL_ERROR)


def build_dashboard(workspace: str | os.PathLike[str] | None, client: str, mission: str | None = None,
                    *, today: dt.date | None = None) -> Any:
    """What the notebook displays: the dashboard as HTML output (static, read-only)."""
    from IPython.display import HTML

    return HTML(dashboard_html(workspace, client, mission, today=today))
