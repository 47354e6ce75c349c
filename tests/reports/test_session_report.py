"""The review feeds the gap analysis (risk flags, suggested verdicts never set), the report's
« Revue des dossiers » section and the portfolio summary."""

from __future__ import annotations

import re

import pytest

from tests.support import seed_sample
from workbench.core.vocab import Verdict
from workbench.domain.checklist import ReviewStatus
from workbench.domain.gaps import RiskKind
from workbench.domain.sampling import STRATUM_LABELS
from workbench.reports.content import load_report_context, render_section
from workbench.services.analysis import load_mission
from workbench.services.sessions import mission_review, save_item_reviews, session_review_summary
from workbench.services.workspace import Workspace


@pytest.fixture
def reviewed(seeded_mission):
    """Four sampled files, every item checked; the cold evaluation missing in three of them."""
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        ref = ws.library.get(mission.referential_id)
        ind30 = next(i for i in ref.indicators if i.number == 30)
        ws.store.save_answer(mission.id, ind30.id, verdict="conforme")
        sample = seed_sample(ws, mission.client_id, mission.id)
        review = mission_review(ws, mission.client_id, mission.id)
        lacking = set(sample.references[:3])
        changes = []
        for f in review.results.files:
            for line in f.lines:
                missing = line.item.id == "satisfaction-froid" and f.session.reference in lacking
                changes.append((f.session.reference, line.item.id, {
                    "status": ReviewStatus.MISSING if missing else ReviewStatus.PRESENT,
                    "note": "Questionnaire jamais envoyé" if missing else ""}))
        _, after = save_item_reviews(ws, mission.client_id, mission.id, changes)
        assert after.results.finished and after.completed_on is not None
    return ws_dir, mission, sample


def test_findings_feed_the_gap_analysis_but_never_set_a_verdict(reviewed):
    ws_dir, mission, _ = reviewed
    with Workspace.open(ws_dir) as ws:
        data = load_mission(ws, mission.client_id, mission.id)
        flags = [r for r in data.analysis.risks if r.kind == RiskKind.SESSION_FILES]
        assert [f.status.number for f in flags] == [30]
        assert "3 dossiers sur 4 sans « évaluation à froid »" in flags[0].message
        assert "Verdict suggéré : NC majeure (verdict actuel : Conforme)" in flags[0].message
        # the consultant's verdict is untouched
        assert data.answers[next(i.id for i in data.referential.indicators if i.number == 30)].verdict == Verdict.CONFORME


def test_report_section(reviewed):
    ws_dir, mission, sample = reviewed
    ctx = load_report_context(ws_dir, mission.client_id, mission.id)
    html = render_section(ctx, "dossiers")
    assert re.search(r"<h2>\d+\. Revue des dossiers</h2>", html)
    contents = render_section(ctx, "sommaire")
    assert re.search(r'<a href="#dossiers">\d+\. Revue des dossiers</a>', contents)  # in the contents table
    assert f"graine {sample.seed}" in html and "heuristique du projet" in html
    for ref in sample.references:
        assert ref in html
    assert "3 dossiers sur 4 sans « évaluation à froid »" in html
    assert "Questionnaire jamais envoyé" in html
    assert "jamais appliqué automatiquement" in html
    assert "revue terminée le" in html
    assert "Revue des dossiers" in render_section(ctx, "synthese")  # the risk table
    assert len(ctx.provenance["session_review_hash"]) == 64


def test_word_report_section_has_the_same_tables(reviewed, tmp_path):
    from tests.support import docx_table, docx_text
    from workbench.reports.docx import render_docx

    ws_dir, mission, sample = reviewed
    lacking = set(sample.references[:3])  # what the fixture recorded
    ctx = load_report_context(ws_dir, mission.client_id, mission.id)
    d, text = docx_text(render_docx(ctx, tmp_path / "rapport.docx"))
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert ctx.heading("dossiers") in headings and ctx.heading("dossiers").endswith("Revue des dossiers")
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 2"][-2:] == ["Par dossier", "Par indicateur"]
    assert f"graine {sample.seed}" in text and "heuristique du projet" in text and "revue terminée le" in text
    strata = docx_table(d, "Strate", "Valeurs représentées dans l'échantillon")
    assert len(strata) == len(sample.coverage) + len(sample.uncovered)
    for stratum, values in sample.coverage.items():
        row = next(r for r in strata if r[0] == STRATUM_LABELS[stratum])
        assert all(value in row[1] and all(ref in row[1] for ref in refs) for value, refs in values.items())
    files = docx_table(d, "Dossier", "Session", "Présents", "Manquants", "Sans objet", "Non vérifiés",
                       "Pièces manquantes")
    assert [r[0] for r in files] == list(sample.references)
    with Workspace.open(ws_dir) as ws:
        checked = {f.session.reference: len(f.lines) for f in mission_review(ws, mission.client_id, mission.id).results.files}
    for ref, _title, present, missing, na, unchecked, items in files:
        n_missing = 1 if ref in lacking else 0
        assert (int(missing), int(na), int(unchecked)) == (n_missing, 0, 0)
        assert int(present) == checked[ref] - n_missing
        assert ("Questionnaire jamais envoyé" in items) == (ref in lacking) and (items == "—") == (ref not in lacking)
    findings = docx_table(d, "Indicateur", "Constat sur les dossiers", "Verdict suggéré", "Verdict du consultant")
    assert len(findings) == 1 and findings[0][0].startswith("30 — ")
    assert f"{len(lacking)} dossiers sur {len(sample.references)} sans « évaluation à froid »" in findings[0][1]
    assert findings[0][2:] == [Verdict.NC_MAJEURE.label, Verdict.CONFORME.label]
    assert "jamais appliqué automatiquement" in text
    # the Word section says what the HTML section says
    html = render_section(ctx, "dossiers")
    assert all(cell in html for row in files + findings + strata for cell in row if "«" not in cell)


def test_word_report_has_no_review_section_without_a_sample(seeded_mission, tmp_path):
    from tests.support import docx_text
    from workbench.reports.docx import render_docx

    ws_dir, mission = seeded_mission
    d, text = docx_text(render_docx(load_report_context(ws_dir, mission.client_id, mission.id), tmp_path / "r.docx"))
    assert "Revue des dossiers" not in text and "Pièces manquantes" not in text and "Par dossier" not in text


def test_report_section_is_empty_without_a_sample(seeded_mission):
    ws_dir, mission = seeded_mission
    ctx = load_report_context(ws_dir, mission.client_id, mission.id)
    assert render_section(ctx, "dossiers").strip() == ""


def test_user_text_is_escaped_in_the_report(reviewed):
    ws_dir, mission, sample = reviewed
    with Workspace.open(ws_dir) as ws:
        save_item_reviews(ws, mission.client_id, mission.id,
                          [(sample.references[0], "satisfaction-froid", {"note": "<script>alert(1)</script>"})])
    html = render_section(load_report_context(ws_dir, mission.client_id, mission.id), "dossiers")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_portfolio_summary(reviewed):
    ws_dir, mission, sample = reviewed
    summary = session_review_summary(ws_dir, mission.client_id)
    assert summary["mission_id"] == mission.id and summary["sessions"] == 12
    assert summary["sample_size"] == sample.size == 4
    assert (summary["reviewed"], summary["complete"], summary["incomplete"]) == (4, 1, 3)
    assert summary["missing_items"] == 3  # one item (the cold evaluation) in each incomplete file
    assert summary["finished"] and summary["last_review"]
    assert summary["top_missing"][0]["message"] == "3 dossiers sur 4 sans « évaluation à froid »"
    assert summary["findings"] == [{"indicator": 30, "message": summary["findings"][0]["message"],
                                    "suggested": "nc_majeure", "current": "conforme"}]


def test_portfolio_summary_of_a_client_without_sessions(seeded_mission):
    ws_dir, mission = seeded_mission
    summary = session_review_summary(ws_dir, mission.client_id)
    assert summary["mission_id"] is None and summary["sessions"] == 0 and summary["last_review"] is None


def test_demo_has_a_reviewed_sample_with_incomplete_files(demo):
    from workbench.services.demo_sessions import CLIENT
    from workbench.services.sessions import repository

    with Workspace.open(demo) as ws:
        sessions = repository(ws).list(CLIENT)
        assert len(sessions) >= 24 and {s.category.value for s in sessions} == {"AF", "BC"}
        assert any(s.certifying for s in sessions) and any(s.subcontracted for s in sessions)
        assert any(s.distance for s in sessions)
        review = mission_review(ws, CLIENT)
        res = review.results
        assert review.sample is not None and res.finished and review.sample.uncovered == {}
        assert 0 < res.complete < len(res.files)  # some files incomplete, not all
        assert res.findings
        summary = session_review_summary(ws, CLIENT)
        assert summary["finished"] and summary["incomplete"] == len(res.files) - res.complete


def test_rebuilding_the_demo_keeps_sessions_imported_by_someone(demo):
    from tests.support import sessions_for
    from workbench.core.errors import WorkbenchError
    from workbench.services.demo import build_demo
    from workbench.services.demo_sessions import CLIENT
    from workbench.services.sessions import repository

    with Workspace.open(demo, actor="paul") as ws:
        repository(ws).upsert(CLIENT, sessions_for(CLIENT, 2))
    with pytest.raises(WorkbenchError, match="modifications faites par : paul"):
        build_demo(demo)
    with Workspace.open(demo) as ws:
        assert repository(ws).count(CLIENT) >= 36


def test_private_notes_never_reach_a_client_output(reviewed, tmp_path):
    import json

    from openpyxl import load_workbook

    from tests.support import run_cli
    from workbench.reports.session_excel import export_checklist

    ws_dir, mission, sample = reviewed
    marker = "PRIVE-7f3a-ne-pas-montrer"
    ref = sample.references[0]
    res = run_cli("sessions", "review", mission.client_id, ref, "satisfaction-froid", "--private-note", marker,
                  "--note", "Relance prévue", workspace=ws_dir)
    assert res.code == 0, res.err
    with Workspace.open(ws_dir) as ws:
        stored = [r for r in mission_review(ws, mission.client_id, mission.id).reviews if r.private_note]
        assert [(r.reference, r.item_id, r.private_note) for r in stored] == [(ref, "satisfaction-froid", marker)]
        export_checklist(tmp_path / "auto-revue.xlsx", mission_review(ws, mission.client_id, mission.id), "CFA")
    ctx = load_report_context(ws_dir, mission.client_id, mission.id)
    outputs = [render_section(ctx, name) for name in ("dossiers", "synthese", "ecarts")]
    assert "Relance prévue" in outputs[0]  # the client-visible remark is there…
    from tests.support import docx_text
    from workbench.reports.docx import render_docx

    _, word = docx_text(render_docx(ctx, tmp_path / "rapport.docx"))  # every paragraph and table cell
    assert "Relance prévue" in word
    outputs.append(word)
    outputs.append(json.dumps(session_review_summary(ws_dir, mission.client_id), ensure_ascii=False))
    wb = load_workbook(tmp_path / "auto-revue.xlsx")
    outputs += [str(c.value) for sheet in wb.worksheets for row in sheet.iter_rows() for c in row]
    assert not any(marker in text for text in outputs)  # …the private note nowhere


def test_a_finished_review_closes_the_periodic_task_of_the_plan(seeded_mission):
    import datetime as dt

    from tests.support import seed_sample
    from workbench.domain.tasks import REVIEW_TASK_ID
    from workbench.services.lifecycle import plan_tasks
    from workbench.store import tasks

    ws_dir, mission = seeded_mission
    today = dt.date(2026, 11, 20)
    with Workspace.open(ws_dir, actor="consultante") as ws:
        plan_tasks(ws, mission.client_id, today)
        assert REVIEW_TASK_ID in {t.id for t in tasks.list_tasks(ws.store, mission.client_id)}
        seed_sample(ws, mission.client_id, mission.id)
        review = mission_review(ws, mission.client_id, mission.id)
        changes = [(f.session.reference, ln.item.id, {"status": ReviewStatus.PRESENT})
                   for f in review.results.files for ln in f.lines]
        save_item_reviews(ws, mission.client_id, mission.id, changes[:-1], today=today)
        assert tasks.list_completions(ws.store, mission.client_id, REVIEW_TASK_ID) == []  # not finished yet
        save_item_reviews(ws, mission.client_id, mission.id, changes[-1:], today=today)
        done = tasks.list_completions(ws.store, mission.client_id, REVIEW_TASK_ID)
        assert [(c.done_on, c.mission_id, c.done_by, c.source) for c in done] == [
            (today, mission.id, "consultante", "revue-dossiers")]
        # changing a finished review again does not record a second completion
        save_item_reviews(ws, mission.client_id, mission.id,
                          [(changes[0][0], changes[0][1], {"status": ReviewStatus.MISSING})], today=today)
        assert len(tasks.list_completions(ws.store, mission.client_id, REVIEW_TASK_ID)) == 1


def test_demo_review_is_recorded_in_the_task_plan(demo):
    import datetime as dt

    from workbench.domain.tasks import REVIEW_TASK_ID
    from workbench.services.demo_sessions import CLIENT
    from workbench.store import tasks

    with Workspace.open(demo) as ws:
        done = tasks.list_completions(ws.store, CLIENT, REVIEW_TASK_ID)
        assert dt.date(2026, 11, 20) in {c.done_on for c in done if c.source == "revue-dossiers"}
