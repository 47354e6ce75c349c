"""Session-file review in the browser: a widget-free model, an ipywidgets view, a Voilà launcher."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.apps.sessions.model import ReviewModel
from workbench.apps.sessions.view import ReviewApp, error_widget
from workbench.core.errors import WorkbenchError
from workbench.domain.profile import validate_client_id
from workbench.services.workspace import Workspace

__all__ = ["ReviewApp", "ReviewModel", "build_app"]


def build_app(workspace: str | os.PathLike[str] | Workspace | None, client: str,
              mission: str | None = None) -> ReviewApp | Any:
    """The review app, or a widget with the French message when it cannot open (never raises a
    :class:`WorkbenchError`: Voilà shows no tracebacks)."""
    try:
        validate_client_id(client)
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(
            Path(workspace) if workspace else None, create=False)
        return ReviewApp(ReviewModel(ws, client, mission or None))
    except WorkbenchError as exc:
        return error_widget(exc.message)
