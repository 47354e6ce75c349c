"""Child processes that never outlive the command: own process group, killed whole on any exit."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the child gets SIGKILL if the workbench itself is killed (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run_group(cmd: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group and return its result (text output captured).

    The group does not receive the terminal's Ctrl+C; whatever happens here (timeout, Ctrl+C,
    SIGTERM turned into an exception, an error), the whole group — the program and every process
    it started — is killed before this function returns or raises. :class:`subprocess.TimeoutExpired`
    is raised as usual.
    """
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=die_with_parent)  # noqa: PLW1509
    try:
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(Exception):
            proc.communicate(timeout=10)
