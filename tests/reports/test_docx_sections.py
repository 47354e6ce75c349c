"""Word report: « Faire vivre la certification », « Ce qui change pour vous » and « Préparation de
l'audit de surveillance », with the numbers of the HTML contents and the values the store holds."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest

from tests.support import docx_table, docx_text
from workbench.core.dates import fr_date
from workbench.core.vocab import Category, MissionType, Verdict
from workbench.domain.calendar import CalendarKind
from workbench.domain.profile import Certification, ClientProfile
from workbench.referential.diff import diff_for_scope
from workbench.reports.content import SECTION_TITLES, load_report_context
from workbench.reports.docx import render_docx
from workbench.services import lifecycle
from workbench.services.analysis import load_mission
from workbench.services.workspace import Workspace

TODAY = dt.date.today()
PRIVATE = "NOTE-PRIVEE-word2-4417"
ALPHA, BETA, GAMMA = "alpha", "beta", "gamma"
NAMES = {ALPHA: "Alpha Formation", BETA: "Beta Compétences", GAMMA: "Gamma Conseil"}
TASK_HEADERS = ("Tâche", "Indicateurs", "Fréquence", "Dernière réalisation", "Prochaine échéance", "État",
                "Responsable")
UPCOMING_HEADERS = ("Date", "Jusqu'au", "Échéance", "Précisions")
ALERT_HEADERS = ("Urgence", "Point", "Détail", "Date")
CHANGE_HEADERS = ("Indicateur", "Nature", "Ce qui change", "Votre situation actuelle")
SURVEILLANCE_HEADERS = ("Indicateur", "Pourquoi", "Verdict actuel")
NUMBERED = re.compile(r"^(\d+)\. (.+)$")


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    """Alpha and Beta: certified 400 days ago, preparing their surveillance audit on the 2019 version
    (the next audit falls under the 2026 one); Gamma: a pre-audit, no certificate."""
    root = tmp_path_factory.mktemp("word2") / "espace"
    ws = Workspace.open(root, actor="consultant-test")
    cert = TODAY - dt.timedelta(days=400)
    for cid in (ALPHA, BETA):
        ws.store.create_client(ClientProfile(
            id=cid, name=NAMES[cid], categories=[Category.AF], consultant="Sophie Durand",
            certification=Certification(certified=True, certificate_date=cert)))
        m = ws.new_mission(cid, mission_type=MissionType.PREP_SURVEILLANCE, audit_date=TODAY + dt.timedelta(days=40),
                           referential_id="rnq-2019-v9")
        apps = [a for a in ws.applicability(m.id) if a.applicable]
        for app in apps[:6]:
            ws.store.save_answer(m.id, app.indicator.id, private_notes=PRIVATE,
                                 verdict=Verdict.NC_MINEURE if app.number == 2 else Verdict.CONFORME)
        lifecycle.plan_tasks(ws, cid, TODAY, start=TODAY - dt.timedelta(days=200))
    lifecycle.mark_task_done(ws, ALPHA, "veille-legale", done_on=TODAY - dt.timedelta(days=10),
                             evidence_label="Note de veille Alpha", today=TODAY)
    lifecycle.mark_task_done(ws, BETA, "veille-metiers", done_on=TODAY - dt.timedelta(days=5),
                             evidence_label="Veille Beta", today=TODAY)
    ws.store.create_client(ClientProfile(id=GAMMA, name=NAMES[GAMMA], categories=[Category.AF]))
    ws.new_mission(GAMMA, mission_type=MissionType.PRE_AUDIT, audit_date=TODAY + dt.timedelta(days=90))
    ws.close()
    return root


def _numbered(titles: list[str]) -> list[str]:
    return [t for t in titles if NUMBERED.match(t)]


def _assert_no_gap(titles: list[str]) -> None:
    assert [int(NUMBERED.match(t).group(1)) for t in titles] == list(range(1, len(titles) + 1)), titles


def _first_lines(rows: list[list[str]], column: int) -> list[str]:
    """The main text of a cell (its detail line, when there is one, follows on a second line)."""
    return [r[column].split("\n")[0] for r in rows]


@pytest.mark.notebook
def test_word_sections_match_the_html_report_through_the_pipeline(ws_dir):
    from workbench.reports.pipeline import generate_report

    ws = Workspace.open(ws_dir)
    try:
        result = generate_report(ws, ALPHA, formats=("html", "docx"))
        views = lifecycle.task_views(ws, ALPHA, TODAY, write=False)
        alerts = lifecycle.alerts_for_client(ws, ALPHA, TODAY, write=False)
        data = load_mission(ws, ALPHA)
        target = ws.library.get("rnq-2026")
    finally:
        ws.close()
    html = html_lib.unescape(result.paths["html"].read_text(encoding="utf-8"))
    d, text = docx_text(result.paths["docx"])

    # the Word headings are the HTML contents, same numbers, same order, no gap
    contents = re.findall(r'<a href="#(\w+)">(\d+\. [^<]+)</a>', html)
    names = [a for a, _ in contents]
    start = names.index("plan")
    assert names[start:start + 5] == ["plan", "suivi", "forces", "changements", "surveillance"]
    headings = _numbered([p.text for p in d.paragraphs if p.style.name == "Heading 1"])
    assert headings == [t for _, t in contents]
    _assert_no_gap(headings)
    for name in ("suivi", "changements", "surveillance"):
        assert any(h.endswith(f". {SECTION_TITLES[name]}") for h in headings), name

    # « Faire vivre la certification »: the recurring tasks as recorded, next due dates included
    tasks = docx_table(d, *TASK_HEADERS)
    assert [(r[0].split("\n")[0], r[4], r[5]) for r in tasks] == [
        (v.task.title, fr_date(v.next_due), v.status.label) for v in views]
    legal = next(r for r, v in zip(tasks, views, strict=True) if v.task.id == "veille-legale")
    assert legal[3] == fr_date(TODAY - dt.timedelta(days=10))
    assert _first_lines(docx_table(d, *ALERT_HEADERS), 1) == [a.title for a in alerts]
    # the calendar keeps the certification milestones, the surveillance window with its dates
    upcoming = docx_table(d, *UPCOMING_HEADERS)
    start, end = data.profile.certification.surveillance_window()
    window = [r for r in upcoming if r[2].split("\n")[1] == CalendarKind.SURVEILLANCE_WINDOW.label]
    assert [(r[0], r[1]) for r in window] == [(fr_date(start), fr_date(end))]
    kinds = {r[2].split("\n")[1] for r in upcoming}
    assert CalendarKind.TASK_DUE.label not in kinds and CalendarKind.ACTION_DUE.label not in kinds

    # « Ce qui change pour vous »: the indicators of Alpha's scope that change in the 2026 version
    diff = diff_for_scope(data.referential, target, data.profile.scope())
    changes = docx_table(d, *CHANGE_HEADERS)
    assert [r[0] for r in changes] == ([f"{c.number} — {c.title}" for c in (*diff.added, *diff.changed)]
                                       + [str(n) for n in diff.removed])
    assert any(r[0].startswith("12 — ") for r in changes) and not any(r[0].startswith("33 — ") for r in changes)
    statuses = {s.number: s for s in data.analysis.statuses}
    assert next(r for r in changes if r[0].startswith("2 — "))[3] == statuses[2].verdict.label == "NC mineure"
    assert "décret n° 2026-728" in text

    # « Préparation de l'audit de surveillance »: the minimum scope with the current verdicts
    surveillance = docx_table(d, *SURVEILLANCE_HEADERS)
    assert surveillance == [[f"{i.status.number} — {i.status.indicator.title}", " ; ".join(i.reasons),
                             i.status.verdict.label] for i in data.analysis.surveillance]
    assert len(surveillance) >= 5

    # the Word tables say what the HTML sections say
    for rows in (tasks, upcoming, changes, surveillance):
        for row in rows:
            for cell in row:
                for line in cell.split("\n"):
                    assert line in html, line

    # client voice, this client only
    for other in ("Beta Compétences", "Veille Beta", "beta-m1", "Gamma Conseil", PRIVATE, "alpha-m1", "rnq-20"):
        assert other not in text, other
    assert "{{" not in text and "{%" not in text


def test_sections_absent_from_the_html_are_absent_from_word(ws_dir, tmp_path):
    """Gamma: no certificate, its next audit is this mission's: no changes, no surveillance section."""
    ctx = load_report_context(ws_dir, GAMMA)
    names = [a for a, _ in ctx.toc]
    assert "suivi" in names and "changements" not in names and "surveillance" not in names
    d, text = docx_text(render_docx(ctx, tmp_path / "gamma.docx"))
    headings = _numbered([p.text for p in d.paragraphs if p.style.name == "Heading 1"])
    assert headings == [t for _, t in ctx.toc]
    _assert_no_gap(headings)
    assert ctx.heading("suivi") in headings and ctx.heading("forces") in headings
    assert SECTION_TITLES["changements"] not in text and SECTION_TITLES["surveillance"] not in text
    assert "Votre situation actuelle" not in text and "Verdict actuel" not in text
    # no certificate: nothing about a surveillance window; the plan's tasks still listed
    assert CalendarKind.SURVEILLANCE_WINDOW.label not in text
    assert "Tâches qualité récurrentes" in text
    for other in ("Alpha Formation", "Note de veille Alpha", "Beta Compétences", "Veille Beta", PRIVATE):
        assert other not in text, other
