"""Run the real command line in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_cli(*args: str, workspace: Path | None = None, env: dict | None = None, timeout: int = 300) -> Result:
    full_env = dict(os.environ)
    if workspace is not None:
        full_env["WORKBENCH_WORKSPACE"] = str(workspace)
    full_env.update(env or {})
    full_env.pop("WORKBENCH_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
