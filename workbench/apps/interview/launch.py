"""How the interview notebook is served: the shared Voilà lockdown (:mod:`workbench.apps.voila`),
one mission's parameters injected into the notebook.

Shared by ``workbench interview`` and the end-to-end tests, so that what is tested is what the
consultant runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from workbench.apps.voila import PreparedApp, prepared_app
from workbench.data import notebook

NOTEBOOK = notebook("entretien_preaudit.ipynb")


def interview_parameters(workspace: Path, client: str, mission: str | None) -> dict[str, str]:
    """The notebook's parameters: where the data is, whose mission is shown."""
    return {"workspace": str(workspace), "client": client, "mission": mission or ""}


@contextlib.contextmanager
def interview_app(workspace: Path, client: str, mission: str | None, token: str | None = None
                  ) -> Iterator[PreparedApp]:
    """The interview of one mission, ready to serve (behind ``token`` if given; private folder
    removed on exit)."""
    with prepared_app(NOTEBOOK, interview_parameters(workspace, client, mission), token) as app:
        yield app
