"""« À traiter », the calendar and the recurring tasks in the client's outputs: the report section,
the follow-up visit's deliverable (real papermill run, HTML, PDF, Excel) and the read-only dashboard."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import subprocess
from html import unescape

import pytest
from openpyxl import load_workbook

from workbench.apps.dashboard import dashboard_html
from workbench.core.vocab import Category, MissionType
from workbench.domain.calendar import CalendarKind
from workbench.domain.profile import Certification, ClientProfile
from workbench.domain.records import Answer
from workbench.reports.tasks_excel import TASK_SHEET
from workbench.services import lifecycle
from workbench.services.workspace import Workspace
from workbench.store import tasks as task_store

TODAY = dt.date.today()
PRIVATE = "NOTE-PRIVEE-CONSULTANT-7731"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def two_clients(workspace_dir):
    ws = Workspace.open(workspace_dir, actor="consultant-test")
    cert = TODAY - dt.timedelta(days=400)
    for cid, name in (("alpha", "Alpha Formation"), ("beta", "Beta Compétences")):
        ws.store.create_client(ClientProfile(
            id=cid, name=name, categories=[Category.AF], consultant="Sophie Durand",
            certification=Certification(certified=True, certificate_date=cert)))
        prep = ws.new_mission(cid, mission_type=MissionType.PREP_SURVEILLANCE, audit_date=TODAY + dt.timedelta(days=40))
        ind = ws.library.get(prep.referential_id).indicator(23).id
        private = "private_notes" if "private_notes" in Answer.ANSWER_FIELDS else "notes"  # consultant only
        ws.store.save_answer(prep.id, ind, verdict="conforme", **{private: PRIVATE})
        lifecycle.plan_tasks(ws, cid, TODAY, start=TODAY - dt.timedelta(days=200))
    lifecycle.mark_task_done(ws, "alpha", "veille-legale", done_on=TODAY - dt.timedelta(days=10),
                             evidence_label="Note de veille Alpha", today=TODAY)
    lifecycle.mark_task_done(ws, "beta", "veille-metiers", done_on=TODAY - dt.timedelta(days=5),
                             evidence_label="Veille Beta", today=TODAY)
    ws.new_mission("alpha", mission_type=MissionType.POINT_SUIVI, audit_date=TODAY - dt.timedelta(days=1),
                   label="Point de suivi test")
    ws.close()
    return workspace_dir


def test_dashboard_shows_alerts_milestones_and_tasks_without_writing(two_clients):
    db = two_clients / "workbench.db"
    before = _digest(db)
    html = dashboard_html(two_clients, "alpha", today=TODAY)
    assert _digest(db) == before
    assert "À traiter" in html and "Tâches qualité récurrentes" in html and "Prochaines échéances" in html
    assert "en retard de" in html  # plan started 200 days ago, most tasks never done
    assert "Faire la veille légale et réglementaire et la diffuser" in html
    assert "Beta Compétences" not in html and "beta-m1" not in html and "Veille Beta" not in html
    assert PRIVATE not in html
    # the default mission stays the preparation, not the follow-up visit
    # (missions are shown by their type and label, never by their internal id)
    # (the page escapes every stored value, apostrophes included: the text is compared as shown)
    shown = unescape(html)
    assert MissionType.PREP_SURVEILLANCE.label in shown and "Point de suivi test" not in shown
    assert "alpha-m1" not in html


def test_dashboard_reads_a_database_older_than_the_tasks_migration(two_clients):
    db = two_clients / "workbench.db"
    with sqlite3.connect(db) as c:
        c.executescript("DROP TABLE task_completions; DROP TABLE task_history; DROP TABLE tasks;"
                        "DELETE FROM migrations WHERE name='20261127-tasks';")
    before = _digest(db)
    html = dashboard_html(two_clients, "beta", today=TODAY)
    assert "Tâches qualité récurrentes" in html and "Impossible d'afficher" not in html
    assert _digest(db) == before


@pytest.mark.notebook
def test_followup_visit_deliverable_through_the_report_pipeline(two_clients):
    from workbench.reports.pipeline import generate_report

    ws = Workspace.open(two_clients)
    try:
        result = generate_report(ws, "alpha", "alpha-m2", formats=("html", "pdf", "xlsx"))
        assert not result.plan.created  # a visit generates no action plan
        assert ws.store.list_actions("alpha-m2") == []
    finally:
        ws.close()
    html = result.paths["html"].read_text(encoding="utf-8")
    assert "Point de suivi qualité Qualiopi" in html and "Alpha Formation" in html
    assert "Ce qui a été fait depuis la dernière visite" in html
    assert "Note de veille Alpha" in html  # the task done since the previous mission
    assert "en retard de" in html and "Prochaines échéances" in html
    assert "Beta Compétences" not in html and "Veille Beta" not in html and PRIVATE not in html
    assert result.provenance["deliverable"] == "point de suivi"
    pdf_text = subprocess.run(["pdftotext", str(result.paths["pdf"]), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "Point de suivi" in pdf_text
    assert result.paths["xlsx"].name == "taches-alpha-m2.xlsx"
    sheet = load_workbook(result.paths["xlsx"])[TASK_SHEET]
    assert sheet.max_row - 1 == len(lifecycle.task_views(Workspace.open(two_clients), "alpha", TODAY))


@pytest.mark.notebook
def test_client_report_has_the_lifecycle_section(two_clients):
    from workbench.reports.pipeline import generate_report

    ws = Workspace.open(two_clients)
    try:
        result = generate_report(ws, "beta", formats=("html",))
        assert result.mission_id == "beta-m1"
        tasks_before = task_store.list_tasks(ws.store, "beta")
    finally:
        ws.close()
    html = result.paths["html"].read_text(encoding="utf-8")
    assert 'id="suivi"' in html and "Faire vivre la certification" in html
    assert "Fenêtre de l'audit de surveillance" in html
    # the calendar keeps the milestones; tasks have their own table (and actions the plan)
    upcoming = html[html.index("Prochaines échéances"):html.index("<h3>Tâches qualité récurrentes")]
    assert CalendarKind.SURVEILLANCE_WINDOW.label in upcoming
    assert CalendarKind.TASK_DUE.label not in upcoming and CalendarKind.ACTION_DUE.label not in upcoming
    assert "Faire la veille sur les emplois, les métiers et les compétences" in html
    assert "Alpha Formation" not in html and "Note de veille Alpha" not in html
    assert tasks_before  # the plan instantiated in the fixture is left as it was
