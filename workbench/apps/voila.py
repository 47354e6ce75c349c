"""Serving a notebook with Voilà, the same locked-down way for every app (interview, dashboard…).

What every app gets, defined once here:

* the lockdown: sources stripped, no tracebacks, no template or theme override, loopback only, no
  file served besides the app, and a Content-Security-Policy that keeps the page on the local server
  (the stock template's CDN stylesheets are refused by the browser without touching the network);
* a private folder (0700) holding the server's ``voila.json`` (0600; the only configuration Voilà
  reads, so a stray ``voila.json`` in the current or user folder cannot loosen the lockdown) and the
  notebook with its parameters injected by papermill: the notebook never reads the environment or
  the query string, it receives its workspace, client and mission as parameters;
* an optional access token, kept in that file (never on the command line, where other local users
  could read it in the process list);
* the kernel's environment: the workspace's settings, and Voilà's templates found from a venv.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.jupyter import base_jupyter_dirs
from workbench.core.settings import Settings

HOST = "127.0.0.1"
CONFIG_OPTION = "--Voila.config_file_paths="
CONFIG_FILE = "voila.json"
MAX_KERNELS = 4
"""Most kernels alive at once in one app server (each page load starts one)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:*; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def lockdown_config(token: str | None = None) -> dict[str, Any]:
    """The whole Voilà configuration of an app (``voila.json``), with the access token if any."""
    voila: dict[str, Any] = {
        "ip": HOST,
        "tornado_settings": {
            "headers": {
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
            # Host header checked: a page of another site reaching the port (DNS rebinding) is refused
            "allow_remote_access": False,
            "local_hostnames": ["localhost"],
        },
    }
    if token is not None:
        voila["token"] = token
    return {
        "Voila": voila,
        "VoilaConfiguration": {
            "strip_sources": True,
            "show_tracebacks": False,
            "template": "lab",
            "theme": "light",
            "allow_template_override": "NO",
            "allow_theme_override": "NO",
            "file_allowlist": [],
            # kernels capped per server, idle ones culled (see workbench.apps.kernel_limits)
            "multi_kernel_manager_class": "workbench.apps.kernel_limits.CappedKernelManager",
        },
        "CappedKernelManager": {"max_kernels": MAX_KERNELS},
        "MappingKernelManager": {"cull_idle_timeout": 600, "cull_interval": 60, "cull_connected": False,
                                 "cull_busy": False},
        "VoilaExporter": {"language_code": "fr"},  # the page is in French (lang="fr")
    }


def new_token() -> str:
    """A fresh random access token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def app_url(port: int, token: str | None = None) -> str:
    return f"http://{HOST}:{port}/" + (f"?token={token}" if token else "")


def parameterised(notebook: Path, parameters: dict[str, Any]) -> Any:
    """The notebook with papermill's « injected-parameters » cell after its ``parameters`` cell."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    return parameterize_notebook(load_notebook_node(str(notebook)), parameters, report_mode=False)


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


@dataclass(frozen=True)
class PreparedApp:
    """A private folder (0700): ``config/voila.json`` and ``app/<notebook>`` with its parameters."""

    folder: Path

    @property
    def config_dir(self) -> Path:
        return self.folder / "config"

    @property
    def notebook(self) -> Path:
        return next((self.folder / "app").glob("*.ipynb"))

    def forget_config(self) -> None:
        """Remove the configuration (and the token in it) once the server has read it."""
        shutil.rmtree(self.config_dir, ignore_errors=True)

    def command(self, port: int, *, open_browser: bool = False) -> list[str]:
        return voila_command(self.notebook, port=port, config_dir=self.config_dir, open_browser=open_browser)


@contextlib.contextmanager
def prepared_app(notebook: Path, parameters: dict[str, Any], token: str | None = None) -> Iterator[PreparedApp]:
    """Write an app's configuration and parameterised notebook to a private folder, removed on exit."""
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="workbench-voila-"))  # mode 0700
    try:
        for sub in ("config", "app"):
            (folder / sub).mkdir(mode=0o700)
        _private_write(folder / "config" / CONFIG_FILE, json.dumps(lockdown_config(token), indent=2))
        _private_write(folder / "app" / notebook.name, nbformat.writes(parameterised(notebook, parameters)))
        yield PreparedApp(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def voila_command(notebook: Path, *, port: int, config_dir: Path, open_browser: bool = False) -> list[str]:
    """The Voilà command line: the notebook, the port, and the private configuration folder only."""
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"{CONFIG_OPTION}{config_dir}"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def kernel_env(settings: Settings | None = None, base: dict[str, str] | None = None, *,
               client_facing: bool = False) -> dict[str, str]:
    """The server's and kernels' environment: ``settings`` (when given) as variables, Voilà's templates
    found from a venv; for an app a client sees, never the debug switch."""
    env = dict(os.environ if base is None else base)
    env.pop("QUERY_STRING", None)
    if settings is not None:
        env.update(settings.environment())
    if client_facing:
        env.pop("WORKBENCH_DEBUG", None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    extra = [str(d) for d in base_jupyter_dirs()]  # Voilà's templates, from a venv too
    if extra:
        env["JUPYTER_PATH"] = os.pathsep.join(p for p in (env.get("JUPYTER_PATH"), *extra) if p)
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
