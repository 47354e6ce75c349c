"""``workbench batch --scheduler``: the batch on a real local Dask cluster of two worker processes."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from distributed import LocalCluster

from tests.reports.batch_support import CANARY, ENV_TOKEN, MARK, build_portfolio, wait_no_process
from workbench.reports.batch import BatchOptions, run_batch

pytestmark = [pytest.mark.notebook]


def test_batch_on_a_dask_cluster(tmp_path, monkeypatch):
    root = tmp_path / "espace"
    root.mkdir()
    token = secrets.token_hex(8)
    monkeypatch.setenv(ENV_TOKEN, token)  # inherited by the Dask workers, their kernels and browsers
    ws = build_portfolio(root, n_plain=3)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1", silence_logs=40) as cluster:
            options = BatchOptions(scheduler=cluster.scheduler_address, formats=("html", "xlsx"), progress=False)
            manifest = run_batch(ws, options)
            assert {c["status"] for c in manifest.clients} == {"made"}, [c.get("message") for c in manifest.clients]
            assert len(manifest.clients) == 4 and manifest.portfolio["status"] == "made"
            workers = {c["worker"] for c in manifest.clients}
            assert len(workers) == 2 and all(w.startswith("dask-tcp://127.0.0.1:") for w in workers)
            for c in manifest.clients:  # results came back with paths in the shared workspace
                assert all(Path(p).is_file() and str(root) in p for p in c["outputs"].values())
            # Each worker keeps its kernel: a second, forced run reuses the kernels of the first.
            first = {c["client_id"]: c["kernel_pid"] for c in manifest.clients}
            again = run_batch(ws, BatchOptions(scheduler=cluster.scheduler_address, formats=("html",),
                                               force=True, progress=False, portfolio=False))
            assert {c["status"] for c in again.clients} == {"made"}
            assert {c["kernel_pid"] for c in again.clients} <= set(first.values())
            assert max(c["kernel_run"] for c in again.clients) >= 3
            for c in again.clients:
                if c["client_id"] != CANARY:
                    assert MARK not in Path(c["outputs"]["html"]).read_text(encoding="utf-8")
    finally:
        ws.close()
    assert wait_no_process(token) == []
