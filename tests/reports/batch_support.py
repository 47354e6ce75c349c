"""A small portfolio for the batch tests: several clients, two consultants, a canary client, a
canary prospect, and a session-file review on one client."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path

from workbench.core.vocab import ActionStatus, Category, Condition, MissionType, Verdict
from workbench.domain.profile import Certification, ClientProfile, Contact
from workbench.domain.records import Action, Evidence
from workbench.services.opportunity import run_assessment
from workbench.services.workspace import Workspace

CANARY = "canari-formation"
MARK = "ZQX-CANARI-7731"
"""Planted in the canary's profile, findings, evidence and actions; must appear nowhere else."""
PRIVATE = "PRIVE-9D41-NOTE"
"""Planted in the canary's private notes: must appear in no output at all, not even its own."""
ENV_TOKEN = "WORKBENCH_BATCH_TEST_TOKEN"
PROSPECT = "prospect-canari"
PROSPECT_MARK = "PQW-PROSPECT-5208"
"""Planted in the prospect's profile and answers: in the (internal) portfolio only, in no client's outputs."""
PROSPECT_ANSWERS = {"funded_share_planned": 60, "growth": "growth", "credibility_needs": True, "maturity": 2,
                    "capacity_days_per_month": 1.5, "annual_revenue": 90_000}
REVIEWED = "client-01"
"""The client whose mission has a drawn sample and a partial review (see :func:`review_files`)."""


def build_portfolio(root: Path, n_plain: int = 4) -> Workspace:
    """A workspace with ``n_plain`` ordinary clients, the canary, one client without mission, a
    prospect with an opportunity assessment, and a session-file review on :data:`REVIEWED`."""
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
    ws.store.create_client(ClientProfile(
        id=PROSPECT, name=f"Prospect {PROSPECT_MARK}", categories=[Category.AF], consultant="Bruno Vidal",
        prospect=True, contact=Contact(name=f"M. {PROSPECT_MARK}", email="contact@prospect.example")))
    run_assessment(ws, PROSPECT, PROSPECT_ANSWERS, today=today, source=f"réponses {PROSPECT_MARK}")
    review_files(ws, ws.resolve_mission(REVIEWED).id)
    return ws


def review_files(ws: Workspace, mission_id: str) -> None:
    """Sessions and a sample for :data:`REVIEWED`; the first two files reviewed, one item missing in
    each, every other item present; the other files left unchecked."""
    from tests.support import seed_sample
    from workbench.domain.checklist import ReviewStatus
    from workbench.services.sessions import mission_review, save_item_reviews

    seed_sample(ws, REVIEWED, mission_id)
    files = mission_review(ws, REVIEWED, mission_id).results.files
    changes = []
    for f in files[:2]:
        for i, line in enumerate(f.lines):
            changes.append((f.session.reference, line.item.id,
                            {"status": ReviewStatus.MISSING if i == 0 else ReviewStatus.PRESENT}))
    save_item_reviews(ws, REVIEWED, mission_id, changes)


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
