"""``workbench interview`` through the real command line: checks, then a served, stoppable app."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support import REPO, free_port, run_cli, stop


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["../etc"], 2, "identifiant client invalide"),
        (["client-inconnu"], 6, "Client inconnu"),
        (["{client}", "--mission", "autre-m1"], 6, "Mission inconnue"),
        (["{client}", "--port", "80"], 2, "port invalide"),
    ],
)
def test_refusals_start_nothing(seeded_mission, args, code, fragment):
    ws, mission = seeded_mission
    r = run_cli("interview", *[a.format(client=mission.client_id) for a in args], "--no-browser", workspace=ws)
    assert r.code == code, r.err
    assert fragment in r.err and "Traceback" not in r.err and "Entretien de" not in r.out


def test_busy_port_is_refused(seeded_mission):
    import socket

    ws, mission = seeded_mission
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = run_cli("interview", mission.client_id, "--port", str(s.getsockname()[1]), "--no-browser",
                    workspace=ws)
    assert r.code == 2 and "déjà utilisé" in r.err


def test_serves_the_mission_and_stops_cleanly(seeded_mission, tmp_path):
    ws, mission = seeded_mission
    port = free_port()
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws)}
    env.pop("WORKBENCH_DEBUG", None)
    log = tmp_path / "cli.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "interview", mission.client_id,
                                 "--port", str(port), "--no-browser"], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=REPO, start_new_session=True)
    try:
        deadline, page, headers, url = time.monotonic() + 90, None, None, None
        while page is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=[\w-]{{20,}}", log.read_text())
            url = found.group(0) if found else None
            if url is None:
                time.sleep(0.3)
                continue
            with urllib.request.urlopen(url, timeout=120) as resp:
                page, headers = resp.read().decode("utf-8"), resp.headers
        assert page is not None, log.read_text()
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "build_app(" not in page  # sources stripped
        said = log.read_text()
        assert "Entretien du CFA Horizon" in said or "Entretien de CFA Horizon" in said, said
        assert said.count("http://") == 1  # one address, ours; Voilà's English start-up goes to its log
        assert "Voilà is running" not in said and "[Voila]" not in said
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)  # the CLI stops its own server and kernel
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop(proc)
    assert proc.returncode == 0, log.read_text()
    assert "Entretien fermé" in log.read_text()
    server_log = ws / ".workbench" / "logs" / f"entretien-{mission.client_id}.log"
    assert "Voil" in server_log.read_text()  # kept for troubleshooting, out of the consultant's way
