"""Run a shell script in a private mount namespace (``unshare -m``), as root.

Tests use it to put a workspace on a small tmpfs (a full disk) or behind a read-only bind mount:
the mounts exist only inside the namespace and vanish with it; the host is never touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.cli_support import REPO

WB = f"{shlex.quote(sys.executable)} -m workbench"
"""The command line, to use inside scripts."""


def run_in_mount_namespace(script: str, *, env: dict[str, str] | None = None,
                           timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``script`` with bash (``-eu``) in a private mount namespace; fails the test if impossible."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("Ce test demande root et unshare (util-linux) pour monter un tmpfs privé ; "
                    "la CI tourne en root.", pytrace=False)
    full_env = dict(os.environ)
    full_env.pop("WORKBENCH_DEBUG", None)
    full_env.update(env or {})
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-eu", "-c", script],
                          capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout)
    assert proc.returncode == 0, f"script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc
