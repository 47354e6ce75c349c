"""The client space (``workbench serve``): every active client's dashboard and contributions, served
from one process, each client signed in with a personal access code.

* :mod:`workbench.apps.space.server` — the Tornado application, sessions, sign-in, form handlers;
* :mod:`workbench.apps.space.pages` — the French HTML pages (no script, everything escaped).
"""
