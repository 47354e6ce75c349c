"""Running one local Voilà server from the command line: port checks and supervision."""

from __future__ import annotations

import signal
import socket
import subprocess
import webbrowser
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from workbench.apps.voila import HOST, PreparedApp, app_url, new_token, wait_listening
from workbench.core.errors import RunError, UsageError


def check_port(port: int, host: str = HOST) -> None:
    """A usable port, or a French usage error.

    The probe sets SO_REUSEADDR like the servers do (Tornado, Voilà): a port left in TIME_WAIT by a
    server that just stopped or crashed is usable at once; one another program listens on is not.
    """
    if not 1024 <= port <= 65535:
        raise UsageError(f"port invalide : {port} (entre 1024 et 65535).")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise UsageError(f"le port {port} est déjà utilisé ; choisissez-en un autre avec --port.") from None


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def supervise(cmd: list[str], env: dict[str, str], *, when_started: Callable[[subprocess.Popen], None] | None = None,
              log: Path | None = None) -> int:
    """Run the server until it stops, Ctrl+C or SIGTERM; always stop our own server (and its kernels).

    With ``log``, the server's own (English, technical) output goes to that file, not the terminal."""
    out = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")  # noqa: SIM115 - closed below, after the server stops
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT if out else None)
    except OSError as exc:
        if out is not None:
            out.close()
        raise RunError(f"Impossible de lancer Voilà ({exc}).") from None
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if when_started is not None:
            when_started(proc)
        code = proc.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if out is not None:
            out.close()
    return 0 if code in (0, -2, -15, 130) else code


def serve_with_token(prepare: Callable[[str], AbstractContextManager[PreparedApp]], port: int, env: dict[str, str],
                     *, open_browser: bool, announce: Callable[[str], None], log: Path | None = None) -> int:
    """Serve a Voilà app behind a fresh random token, with the lockdown every app shares (Host header
    checked, kernels capped and culled: :mod:`workbench.apps.voila`).

    ``prepare(token)`` writes the app (private configuration holding the token, parameterised
    notebook); the configuration is deleted once the server has read it. ``announce(url)`` prints the
    address with its token once the server listens.
    """
    token = new_token()
    url = app_url(port, token)
    with prepare(token) as app:

        def started(proc: subprocess.Popen) -> None:
            if not wait_listening(port, proc):
                raise RunError(f"Voilà s'est arrêté avant d'être prêt (code {proc.wait()}).")
            app.forget_config()  # read at start-up: the token leaves the disk
            announce(url)
            if open_browser:
                webbrowser.open(url)

        return supervise(app.command(port), env, when_started=started, log=log)
