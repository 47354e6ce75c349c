"""How ``workbench sessions app`` serves the review: served like the client dashboard — one Voilà process for
one client, loopback only, a random token (private configuration file), the locked-down options —
but with a writable store, since the consultant records the review there."""

from __future__ import annotations

from pathlib import Path

from workbench.apps.dashboard.launch import dashboard_command
from workbench.data import notebook

NOTEBOOK = notebook("revue_dossiers.ipynb")
DEFAULT_PORT = 8868


def review_command(port: int, config_dir: Path) -> list[str]:
    return dashboard_command(port, config_dir, NOTEBOOK)
