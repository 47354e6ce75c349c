"""How the interview notebook is served with Voilà: one locked-down app on the loopback interface.

Shared by ``workbench interview`` and the end-to-end tests, so that what is tested is what the
consultant runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workbench.data import notebook

NOTEBOOK = notebook("entretien_preaudit.ipynb")
HOST = "127.0.0.1"

# Voilà reads its configuration from this folder only (not from the current directory or the
# user's Jupyter folders, where a stray voila.json could loosen the lockdown). Besides the options
# repeated on the command line, it sets a Content-Security-Policy: everything comes from the local
# server, so the stock template's CDN stylesheets are refused by the browser without touching the
# network (offline on site, and nobody outside learns that the page was opened).
VOILA_CONFIG_DIR = Path(__file__).resolve().parent / "voila_config"

ENV_CLIENT = "WORKBENCH_CLIENT"
ENV_MISSION = "WORKBENCH_MISSION"


def voila_command(notebook: Path = NOTEBOOK, *, port: int, open_browser: bool = False) -> list[str]:
    """The Voilà command line: sources stripped, no tracebacks, no template or theme override,
    loopback only, and a Content-Security-Policy that keeps the page on the local server."""
    cmd = [
        sys.executable, "-m", "voila", str(notebook),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--template=lab",
        "--theme=light",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        f"--Voila.config_file_paths={VOILA_CONFIG_DIR}",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def voila_env(workspace: Path, client: str, mission: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the kernel: the notebook's parameters cell reads these variables."""
    env = dict(os.environ if base is None else base)
    env["WORKBENCH_WORKSPACE"] = str(workspace)
    env[ENV_CLIENT] = client
    env[ENV_MISSION] = mission or ""
    env.setdefault("PYTHONUNBUFFERED", "1")
    # In a virtual environment that borrows the base interpreter's packages, Voilà's templates sit in
    # the base interpreter's data folder, which Jupyter does not search by itself.
    base_data = Path(sys.base_prefix) / "share" / "jupyter"
    if sys.base_prefix != sys.prefix and base_data.is_dir():
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (env.get("JUPYTER_PATH"), str(base_data)) if p)
    return env
