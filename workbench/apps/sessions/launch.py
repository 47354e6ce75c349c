"""How ``workbench sessions app`` serves the review: like the client dashboard (one Voilà process for
one client, loopback only, a random token, the lockdown every app shares, parameters injected into
the notebook), but with a writable store, since the consultant records the review there."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from workbench.apps.voila import PreparedApp, prepared_app
from workbench.data import notebook
from workbench.domain.profile import validate_client_id

NOTEBOOK = notebook("revue_dossiers.ipynb")
DEFAULT_PORT = 8868


@contextlib.contextmanager
def review_app(workspace: Path, client: str, mission: str | None, token: str | None = None
               ) -> Iterator[PreparedApp]:
    """The session-file review of one client's mission, ready to serve (private folder removed on exit)."""
    parameters = {"workspace": str(workspace), "client": validate_client_id(client), "mission": mission or ""}
    with prepared_app(NOTEBOOK, parameters, token) as app:
        yield app
