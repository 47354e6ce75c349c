"""The report notebook's kernel: silent towards the terminal, never outliving the report.

papermill starts a Jupyter kernel per run. By default the kernel shares the terminal's output, so
a Ctrl+C at the wrong moment printed the kernel's own traceback, and a kernel still starting when
the command stopped kept running. :class:`ContainedKernelManager` sends the kernel's output to
``/dev/null`` (failures still reach the user through papermill as a French ``RunError``), asks
Linux to kill it if the workbench dies, and :func:`stop_leftover_kernels` kills whatever is still
alive when a run ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from workbench.core.processes import die_with_parent

_LIVE: set[ContainedKernelManager] = set()


class ContainedKernelManager(AsyncKernelManager):
    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw["preexec_fn"] = die_with_parent
        _LIVE.add(self)
        await super()._async_launch_kernel(kernel_cmd, **kw)


def stop_leftover_kernels() -> None:
    """Kill (with their process group) the kernels of this process that are still running."""
    for km in list(_LIVE):
        process = getattr(km.provisioner, "process", None) if km.provisioner is not None else None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                process.wait(timeout=10)
        with contextlib.suppress(Exception):
            km.cleanup_connection_file()
        _LIVE.discard(km)
