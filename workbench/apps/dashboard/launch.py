"""How a client's dashboard is served: one Voilà process per client, on the loopback interface,
behind a random access token, with the interview's locked-down options.

Isolation does not rely on the notebook. The server decides which client is shown:

* the client id is validated and injected by the launcher as the notebook's parameter (papermill);
  the notebook never reads the environment nor the query string Voilà forwards;
* one Voilà process serves one notebook for one client; another client means another process,
  another port and another token;
* Voilà listens on 127.0.0.1 only, and answers only requests that carry the token generated at
  launch (``?token=…`` once, then the login cookie), so another local user or a web page trying to
  reach the port (DNS rebinding) sees a login page, not the dashboard;
* the lockdown every app shares (:mod:`workbench.apps.voila`): sources stripped, no tracebacks, no
  template/theme override, the Content-Security-Policy, no file served besides the app.

The token is written to the app's private configuration file (mode 0600 in a 0700 folder), not on
the command line, where other local users could read it in the process list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from workbench.apps.voila import PreparedApp, app_url, kernel_env, prepared_app
from workbench.core.settings import Settings
from workbench.data import notebook
from workbench.domain.profile import validate_client_id

NOTEBOOK = notebook("tableau_de_bord_client.ipynb")
DEFAULT_PORT = 8867


def dashboard_url(port: int, token: str) -> str:
    return app_url(port, token)


def dashboard_parameters(workspace: Path, client: str, mission: str | None) -> dict[str, str]:
    """The notebook's parameters; the client id is validated here, by the server."""
    return {"workspace": str(workspace), "client": validate_client_id(client), "mission": mission or ""}


@contextlib.contextmanager
def dashboard_app(workspace: Path, client: str, mission: str | None, token: str) -> Iterator[PreparedApp]:
    """One client's dashboard behind ``token``, ready to serve (private folder removed on exit)."""
    with prepared_app(NOTEBOOK, dashboard_parameters(workspace, client, mission), token) as app:
        yield app


def dashboard_env(settings: Settings | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: a client never gets technical details."""
    return kernel_env(settings, base, client_facing=True)
