"""Hardening of the Voilà servers (interview, dashboard preview), through the real commands.

* the interview server requires its secret: without the token, a login page and no kernel started;
* a request with a foreign Host header (DNS rebinding: an attacker's name resolving to 127.0.0.1) is
  refused, token or not, and starts no kernel;
* 50 page loads leave at most the configured number of kernels alive, and memory is measured;
* the port probe uses SO_REUSEADDR: a port left in TIME_WAIT by a crash is usable at once.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO, descendants, free_port, stop
from workbench.apps.voila import lockdown_config
from workbench.cli.serve import check_port

MAX_KERNELS = lockdown_config()["CappedKernelManager"]["max_kernels"]


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def kernels(pid: int) -> list[int]:
    return [p for p in descendants(pid) if any("ipykernel" in a for a in _cmdline(p))]


def tree_rss_mb(pid: int) -> float:
    total = 0.0
    for p in (pid, *descendants(pid)):
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    return total


@contextlib.contextmanager
def run_app(command: str, client: str, workspace: Path, log_dir: Path) -> Iterator[tuple[subprocess.Popen, int, str]]:
    port = free_port()
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace)}
    env.pop("WORKBENCH_DEBUG", None)
    log = log_dir / f"{command}-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", command, client, "--port", str(port),
                                 "--no-browser"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                start_new_session=True)
    try:
        token, deadline = None, time.monotonic() + 90
        while token is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=([\w-]{{20,}})", log.read_text())
            token = found.group(1) if found else None
            time.sleep(0.2)
        assert token, log.read_text()
        yield proc, port, token
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop(proc)


def get(port: int, path: str, host: str | None = None, timeout: float = 300) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", errors="replace")
    conn.close()
    return resp.status, body


def test_interview_requires_its_token_and_refuses_foreign_hosts(seeded_mission, tmp_path):
    ws, mission = seeded_mission
    with run_app("interview", mission.client_id, ws, tmp_path) as (proc, port, token):
        for path in ("/", f"/?client={mission.client_id}", "/voila/render/x", "/api/kernels"):
            status, body = get(port, path)
            assert status in (302, 403, 404), (path, status)
            assert "CFA Horizon" not in body
        status, _ = get(port, f"/?token={token}", host=f"rebind.attacker.example:{port}")
        assert status == 403
        status, _ = get(port, f"/?token={token}", host="attacker.example")
        assert status == 403
        assert kernels(proc.pid) == []  # nothing unauthenticated or foreign started a kernel
        status, body = get(port, f"/?token={token}")
        assert status == 200
        assert kernels(proc.pid), "the authenticated page starts its kernel"
        assert "build_app(" not in body  # sources still stripped


def test_dashboard_refuses_foreign_hosts(demo, tmp_path):
    with run_app("dashboard", "forma-sud-conseil", demo, tmp_path) as (proc, port, token):
        status, body = get(port, f"/?token={token}", host=f"evil.example:{port}")
        assert status == 403 and "Forma Sud" not in body
        assert kernels(proc.pid) == []


def test_fifty_page_loads_leave_at_most_the_cap_of_kernels(demo, tmp_path, capsys):
    with run_app("dashboard", "forma-sud-conseil", demo, tmp_path) as (proc, port, token):
        counts, statuses = [], []
        for _ in range(50):
            status, body = get(port, f"/?token={token}")
            statuses.append(status)
            counts.append(len(kernels(proc.pid)))
        rss = tree_rss_mb(proc.pid)
        with capsys.disabled():
            print(f"\n50 chargements : noyaux vivants max {max(counts)} (limite {MAX_KERNELS}), "
                  f"mémoire du serveur et de ses noyaux {rss:.0f} Mo")
        assert statuses.count(200) == 50, statuses
        assert max(counts) <= MAX_KERNELS
        # each kernel of this app takes 100 to 200 MB: the cap bounds the whole server
        assert rss < (MAX_KERNELS + 1) * 300


def test_port_probe_accepts_a_port_in_time_wait_and_refuses_a_listening_one():
    # a connection closed by the server side leaves the server's port in TIME_WAIT
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server closes first: TIME_WAIT on its side
    client.close()
    server.close()
    check_port(port)  # no « déjà utilisé » although the port is in TIME_WAIT
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        from workbench.core.errors import UsageError

        with pytest.raises(UsageError, match="déjà utilisé"):
            check_port(busy.getsockname()[1])
