"""A small portfolio for the batch tests: several clients, two consultants, a canary client."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path

from workbench.core.vocab import ActionStatus, Category, Condition, MissionType, Verdict
from workbench.domain.profile import Certification, ClientProfile, Contact
from workbench.domain.records import Action, Evidence
from workbench.services.workspace import Workspace

CANARY = "canari-formation"
MARK = "ZQX-CANARI-7731"
"""Planted in the canary's profile, findings, evidence and actions; must appear nowhere else."""
PRIVATE = "PRIVE-9D41-NOTE"
"""Planted in the canary's private notes: must appear in no output at all, not even its own."""
ENV_TOKEN = "WORKBENCH_BATCH_TEST_TOKEN"


def build_portfolio(root: Path, n_plain: int = 4) -> Workspace:
    """A workspace with ``n_plain`` ordinary clients, the canary, and one client without mission."""
    ws = Workspace.open(root, actor="consultant-test")
    today = dt.date.today()
    for i in range(n_plain):
        cid = f"client-{i + 1:02d}"
        certified = i % 2 == 1
        ws.store.create_client(ClientProfile(
            id=cid, name=f"Organisme numéro {i + 1}", categories=[Category.AF] if i % 3 else [Category.AF, Category.BC],
            conditions=[Condition.CERTIFYING] if i % 2 else [],
            consultant="Alice Roux" if i % 2 == 0 else "Bruno Vidal",
            certification=Certification(certified=True, certificate_date=today - dt.timedelta(days=500),
                                        categories=[Category.AF]) if certified else Certification()))
        mission = ws.new_mission(cid, mission_type=MissionType.PRE_AUDIT, audit_date=today + dt.timedelta(days=30 + 20 * i))
        _answer(ws, mission.id, {4: Verdict.NC_MAJEURE, 8 + i: Verdict.NC_MINEURE}, finding=f"Constat ordinaire {i}")
    ws.store.create_client(ClientProfile(
        id=CANARY, name=f"Canari {MARK} SARL", categories=[Category.AF], consultant="Alice Roux",
        contact=Contact(name=f"Mme {MARK}", email="contact@canari.example")))
    mission = ws.new_mission(CANARY, mission_type=MissionType.PRE_AUDIT, audit_date=today + dt.timedelta(days=45))
    _answer(ws, mission.id, {4: Verdict.NC_MAJEURE, 1: Verdict.NC_MINEURE}, finding=f"Constat {MARK}",
            private=f"Note {PRIVATE} {MARK}")
    ind = ws.library.get(mission.referential_id).indicator(2).id
    ws.store.add_evidence(Evidence(mission_id=mission.id, indicator_id=ind, label=f"Preuve {MARK}",
                                   location=f"Classeur {MARK}", owner=f"Responsable {MARK}"))
    ind4 = ws.library.get(mission.referential_id).indicator(4).id
    ws.store.add_action(Action(mission_id=mission.id, indicator_id=ind4, title=f"Action {MARK}",
                               detail=f"Détail {MARK}", owner=f"Pilote {MARK}", status=ActionStatus.EN_COURS,
                               due_date=today - dt.timedelta(days=3), comment=f"Commentaire {MARK}"))
    ws.store.create_client(ClientProfile(id="prospect-sans-mission", name="Prospect sans mission",
                                         categories=[Category.BC], consultant="Bruno Vidal"))
    return ws


def _answer(ws: Workspace, mission_id: str, verdicts: dict[int, Verdict], finding: str, private: str = "") -> None:
    for app in ws.applicability(mission_id):
        if app.applicable:
            verdict = verdicts.get(app.number, Verdict.CONFORME)
            ws.store.save_answer(mission_id, app.indicator.id, verdict=verdict,
                                 finding=finding if verdict.is_nc else "", private_notes=private)


def processes_with_token(token: str) -> list[int]:
    """Live processes whose environment carries the token (every descendant of a test run inherits it)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if proc.pid == os.getpid() or proc.environ().get(ENV_TOKEN) != token or proc.status() == "zombie":
                continue
            if proc.ppid() == os.getpid() and "multiprocessing.resource_tracker" in " ".join(proc.cmdline()):
                continue  # the test process's own tracker (it started worker processes), ends with it
            found.append(proc.pid)
    return found


def wait_no_process(token: str, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    left = processes_with_token(token)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = processes_with_token(token)
    return left
