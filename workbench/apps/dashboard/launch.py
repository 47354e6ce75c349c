"""How a client's dashboard is served: one Voilà process per client, on the loopback interface,
behind a random access token, with the interview's locked-down options.

Isolation does not rely on the notebook. The server decides which client is shown:

* the client id is validated and fixed in the kernel's environment (``WORKBENCH_CLIENT``) by the
  launcher; the notebook reads only that variable, never the query string Voilà forwards;
* one Voilà process serves one notebook for one client; another client means another process,
  another port and another token;
* Voilà listens on 127.0.0.1 only, and answers only requests that carry the token generated at
  launch (``?token=…`` once, then the login cookie), so another local user or a web page trying to
  reach the port (DNS rebinding) sees a login page, not the dashboard;
* sources stripped, no tracebacks, no template/theme override, the interview's
  Content-Security-Policy, and no file served besides the app (``file_allowlist`` empty).

The token is written to a private configuration file (mode 0600 in a 0700 temporary folder), not
on the command line, where other local users could read it in the process list.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from workbench.apps.interview.launch import HOST, VOILA_CONFIG_DIR, voila_command, voila_env
from workbench.data import notebook
from workbench.domain.profile import validate_client_id

NOTEBOOK = notebook("tableau_de_bord_client.ipynb")
DEFAULT_PORT = 8867
CONFIG_OPTION = "--Voila.config_file_paths="


def new_token() -> str:
    """A fresh random access token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def dashboard_url(port: int, token: str) -> str:
    return f"http://{HOST}:{port}/?token={token}"


def config_data(token: str) -> dict:
    """The interview's packaged Voilà configuration (lockdown + CSP), plus the token and no file access."""
    data = json.loads((VOILA_CONFIG_DIR / "voila.json").read_text(encoding="utf-8"))
    data.setdefault("Voila", {})["token"] = token
    data["Voila"]["ip"] = HOST
    data.setdefault("VoilaConfiguration", {})["file_allowlist"] = []
    return data


@contextlib.contextmanager
def private_config(token: str) -> Iterator[Path]:
    """A private folder holding this server's ``voila.json``; removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="workbench-tdb-"))  # mode 0700
    try:
        path = folder / "voila.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(config_data(token), fh)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def dashboard_command(port: int, config_dir: Path, notebook: Path = NOTEBOOK) -> list[str]:
    """The interview's Voilà command line, reading its configuration from ``config_dir`` only.

    The browser is never opened by Voilà (it would not know the token): the caller opens the URL.
    """
    cmd = [arg for arg in voila_command(notebook, port=port, open_browser=False)
           if not arg.startswith(CONFIG_OPTION)]
    cmd.append(f"{CONFIG_OPTION}{config_dir}")
    return cmd


def dashboard_env(workspace: Path, client: str, mission: str | None,
                  base: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: the client (validated here) and the mission are fixed by the server."""
    env = voila_env(workspace, validate_client_id(client), mission, base)
    env.pop("WORKBENCH_DEBUG", None)  # never show technical details to a client
    env.pop("QUERY_STRING", None)
    return env


def wait_listening(port: int, process, timeout: float = 60) -> bool:  # noqa: ANN001 - a Popen
    """Wait until something listens on the port; False if the process ended first or on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            if s.connect_ex((HOST, port)) == 0:
                return True
        time.sleep(0.2)
    return False
