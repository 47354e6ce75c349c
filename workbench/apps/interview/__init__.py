"""On-site interview: a widget-free model, an ipywidgets view, and the notebook entry point."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.apps.interview.client_changes import attach as attach_client_changes
from workbench.apps.interview.model import Entry, InterviewError, InterviewModel, Progress
from workbench.apps.interview.view import InterviewApp, error_widget
from workbench.core.errors import WorkbenchError
from workbench.domain.profile import validate_client_id
from workbench.services.workspace import Workspace

__all__ = [
    "Entry",
    "InterviewApp",
    "InterviewError",
    "InterviewModel",
    "Progress",
    "build_app",
    "open_model",
]


def open_model(workspace: str | os.PathLike[str] | Workspace | None, client: str,
               mission: str | None = None) -> InterviewModel:
    """The interview model of a client's mission (its latest one when ``mission`` is empty)."""
    validate_client_id(client)
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(
        Path(workspace) if workspace else None, create=False)
    resolved = ws.resolve_mission(client, mission or None)
    return InterviewModel(ws, resolved.id)


def build_app(workspace: str | os.PathLike[str] | Workspace | None, client: str,
              mission: str | None = None) -> InterviewApp | Any:
    """Build the interview app; on a user error, a widget with the French message instead.

    Meant for the notebook: it never raises a :class:`WorkbenchError`, so that Voilà (which shows
    no tracebacks) still tells the consultant what is wrong.
    """
    try:
        app = InterviewApp(open_model(workspace, client, mission))
        attach_client_changes(app)  # what the client did from their space, to accept or send back
        return app
    except WorkbenchError as exc:
        return error_widget(exc.message)
