"""The batch on a Dask distributed cluster: each Dask worker keeps one warm kernel and browser.

Imported only for ``--scheduler``: Dask is an optional extra (``pip install 'qualiopi-workbench[dask]'``).
Tasks carry the workspace path; every worker must see the same workspace at that path (shared
storage) and have the same version of the package installed. Each task returns its outcome to the
caller, which writes the manifest.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from typing import Any

from distributed import Client, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from workbench.core.errors import UsageError
from workbench.reports.fingerprint import record_success
from workbench.reports.warm import (
    CELL_TIMEOUT_S,
    RECYCLE_AFTER,
    ClientOutcome,
    ClientTask,
    OnResult,
    WarmWorker,
)

PLUGIN_NAME = "workbench-warm"


class WarmWorkerPlugin(WorkerPlugin):
    """One :class:`WarmWorker` per Dask worker, started with it and closed with it."""

    name = PLUGIN_NAME

    def __init__(self, recycle_after: int = RECYCLE_AFTER, timeout: int = CELL_TIMEOUT_S, pdf: bool = True) -> None:
        self.recycle_after, self.timeout, self.pdf = recycle_after, timeout, pdf
        self.warm: WarmWorker | None = None
        self.lock: threading.Lock | None = None

    def __getstate__(self) -> dict[str, Any]:  # sent to the workers without any live state
        return {"recycle_after": self.recycle_after, "timeout": self.timeout, "pdf": self.pdf,
                "warm": None, "lock": None}

    def setup(self, worker: Any) -> None:
        self.lock = threading.Lock()
        self.warm = WarmWorker(f"dask-{worker.address}", recycle_after=self.recycle_after, timeout=self.timeout,
                               on_done=record_success)
        self.warm.warm_up(pdf=self.pdf)

    def teardown(self, worker: Any) -> None:
        if self.warm is not None:
            self.warm.close()
            self.warm = None


def run_on_worker(task: ClientTask) -> ClientOutcome:
    """The Dask task: one client (or the portfolio) on this worker's warm kernel and browser."""
    plugin = get_worker().plugins[PLUGIN_NAME]
    assert plugin.lock is not None and plugin.warm is not None
    with plugin.lock:  # one kernel per worker: tasks of a multi-threaded worker take turns
        return plugin.warm.run(task)


class DaskPool:
    """The workers of an existing Dask distributed cluster."""

    def __init__(self, address: str, *, recycle_after: int = RECYCLE_AFTER, timeout: int = CELL_TIMEOUT_S,
                 pdf: bool = True) -> None:
        self.address = address
        self.plugin = WarmWorkerPlugin(recycle_after, timeout, pdf)
        self.client: Any = None

    def __enter__(self) -> DaskPool:
        try:
            self.client = Client(self.address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"ordonnanceur Dask injoignable à l'adresse « {self.address} » ({exc}).") from None
        have = self.client.run(lambda dask_worker: PLUGIN_NAME in dask_worker.plugins)
        if not have:
            self.client.close()
            raise UsageError(f"le cluster Dask « {self.address} » n'a aucun worker.")
        if not all(have.values()):  # already warm workers keep their kernel and browser
            self.client.register_plugin(self.plugin, name=PLUGIN_NAME)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def run(self, tasks: Sequence[ClientTask], on_result: OnResult) -> None:
        futures = {self.client.submit(run_on_worker, t, key=f"workbench-{t.client_id}-{secrets.token_hex(4)}",
                                      pure=False): t for t in tasks}
        for future in as_completed(futures, loop=self.client.loop):
            task = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or task: that client failed
                outcome = ClientOutcome(task.client_id, task.mission_id, "echec", worker="dask",
                                        message=f"Échec pour « {task.client_id} » sur le cluster Dask "
                                                f"({type(exc).__name__} : {exc}).")
            on_result(outcome)
