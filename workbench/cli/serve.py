"""Running one local Voilà server from the command line: port checks and supervision."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Callable

from workbench.apps.interview.launch import HOST
from workbench.core.errors import RunError, UsageError


def check_port(port: int) -> None:
    """A usable local port, or a French usage error."""
    if not 1024 <= port <= 65535:
        raise UsageError(f"port invalide : {port} (entre 1024 et 65535).")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            raise UsageError(f"le port {port} est déjà utilisé ; choisissez-en un autre avec --port.") from None


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def supervise(cmd: list[str], env: dict[str, str], *, when_started: Callable[[subprocess.Popen], None] | None = None
              ) -> int:
    """Run the server until it stops, Ctrl+C or SIGTERM; always stop our own server (and its kernels)."""
    try:
        proc = subprocess.Popen(cmd, env=env)
    except OSError as exc:
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
    return 0 if code in (0, -2, -15, 130) else code
