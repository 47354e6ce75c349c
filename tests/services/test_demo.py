"""The demo workspace: deterministic, covering templates, versions and verdicts, never destructive."""

from __future__ import annotations

import pytest

from tests.support import docx_text, run_cli
from workbench.core.errors import WorkbenchError
from workbench.core.vocab import MissionType, Verdict
from workbench.domain.profile import ClientProfile
from workbench.domain.templates import template_names
from workbench.services.demo import CLIENTS, build_demo
from workbench.services.demo_sessions import CLIENT as SESSIONS_CLIENT
from workbench.services.sessions import mission_review
from workbench.services.workspace import Workspace
from workbench.store import SQLiteStore


def _snapshot(ws) -> dict:
    data = {}
    for m in ws.store.list_missions():
        answers = {k: (a.verdict, a.private_notes, a.na_justification, a.checklist, a.respondent)
                   for k, a in ws.store.list_answers(m.id).items()}
        evidence = [(e.indicator_id, e.label, e.location, e.represents_date, e.owner)
                    for e in ws.store.list_evidence(m.id)]
        data[m.id] = (m.referential_id, m.audit_type, m.audit_date, answers, evidence)
    data["clients"] = [c.model_dump() for c in ws.store.list_clients()]
    return data


def test_demo_is_deterministic_and_rebuildable(tmp_path):
    ws1 = build_demo(tmp_path / "a")
    first = _snapshot(ws1)
    ws1.close()
    ws2 = build_demo(tmp_path / "b")
    assert _snapshot(ws2) == first
    ws2.close()
    # Rebuilding in place replaces the previous demo instead of piling up clients.
    ws3 = build_demo(tmp_path / "a")
    assert _snapshot(ws3) == first
    ws3.close()


def test_demo_covers_templates_versions_and_verdicts(tmp_path):
    ws = build_demo(tmp_path)
    clients = ws.store.list_clients()
    assert len(clients) >= 6
    # Prospects prefilled from the public list have no template; clients cover every template.
    assert {c.template for c in clients if not c.prospect} == set(template_names())
    missions = ws.store.list_missions()
    assert {m.referential_id for m in missions} == {"rnq-2019-v9", "rnq-2026"}
    verdicts = {a.verdict for m in missions for a in ws.store.list_answers(m.id).values()}
    assert verdicts == set(Verdict)
    for m in missions:
        for a in ws.store.list_answers(m.id).values():
            if a.verdict == Verdict.NON_APPLICABLE:
                assert a.na_justification
            ref = ws.library.get(m.referential_id)
            if a.verdict == Verdict.NC_MINEURE:
                assert ref.by_id(a.indicator_id).nc.grading.value != "major_only"
        assert ws.store.list_evidence(m.id) or m.type == MissionType.POINT_SUIVI  # a visit has no grid
    assert all(isinstance(c, ClientProfile) and c.siret for c in clients)
    ws.close()


def test_demo_refuses_a_workspace_with_real_clients(tmp_path):
    store = SQLiteStore(tmp_path / "workbench.db")
    store.create_client(ClientProfile(id="vrai-client", name="Vrai client", categories=["AF"]))
    store.close()
    with pytest.raises(WorkbenchError, match="ne viennent pas de la démonstration"):
        build_demo(tmp_path)
    store = SQLiteStore(tmp_path / "workbench.db")
    assert [c.id for c in store.list_clients()] == ["vrai-client"]
    store.close()
    r = run_cli("demo", "--no-reports", workspace=tmp_path)
    assert r.code == 2 and "n'écrase rien" in r.err and "Traceback" not in r.err


def test_rebuilding_the_demo_never_deletes_what_a_consultant_added(tmp_path):
    """The reviewer's case: a demo workspace later used for real work must not be wiped."""
    ws = build_demo(tmp_path)
    ws.close()
    store = SQLiteStore(tmp_path / "workbench.db", actor="alice")
    store.create_client(ClientProfile(id="vrai-client", name="Vrai client", categories=["AF"]))
    store.close()
    with pytest.raises(WorkbenchError, match="clients : vrai-client"):
        build_demo(tmp_path)
    store = SQLiteStore(tmp_path / "workbench.db")
    assert "vrai-client" in [c.id for c in store.list_clients()]
    store.close()


def test_rebuilding_the_demo_keeps_answers_changed_by_someone(tmp_path):
    ws = build_demo(tmp_path)
    mission = ws.store.list_missions()[0]
    ws.close()
    store = SQLiteStore(tmp_path / "workbench.db", actor="alice")
    store.save_answer(mission.id, next(iter(store.list_answers(mission.id))), private_notes="Mon essai")
    store.close()
    with pytest.raises(WorkbenchError, match="modifications faites par : alice"):
        build_demo(tmp_path)


def test_demo_has_one_prospect_of_each_verdict(tmp_path):
    from workbench.services.opportunity import list_prospects

    ws = build_demo(tmp_path)
    try:
        verdicts = {p.client_id: p.verdict for p in list_prospects(ws)}
    finally:
        ws.close()
    assert sorted(verdicts.values()) == ["anticipate", "not_priority", "strategic_now"]
    assert verdicts["atelier-savoirs-pratiques"] == "not_priority"


def test_demo_refuses_a_configured_store(tmp_path):
    (tmp_path / "workbench.yaml").write_text("store_url: sqlite:///ailleurs.db\n", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="store_url"):
        build_demo(tmp_path)


def test_demo_cli_without_reports(tmp_path):
    r = run_cli("demo", "--no-reports", workspace=tmp_path)
    assert r.code == 0, r.err
    for client in CLIENTS:
        assert client.id in r.out
    bad = run_cli("demo", "--formats", "odt", workspace=tmp_path)
    assert bad.code == 2 and "format(s) inconnu(s)" in bad.err


@pytest.mark.notebook
def test_full_demo_reports_every_mission_in_three_formats_without_leaks(tmp_path):
    """The README's demo command end to end: every mission gets HTML, PDF and XLSX, and no report
    mentions another client (name, id or SIRET): client data stays confidential."""
    import subprocess

    from openpyxl import load_workbook

    r = run_cli("demo", workspace=tmp_path, timeout=900)
    assert r.code == 0, r.err
    ws = Workspace.open(tmp_path)
    clients = {c.id: c for c in ws.store.list_clients()}
    missions = ws.store.list_missions()
    private = {m.id: {a.private_notes for a in ws.store.list_answers(m.id).values() if a.private_notes}
               for m in missions}
    sampled = mission_review(ws, SESSIONS_CLIENT).mission.id
    ws.close()
    assert any(private.values())  # the demo shows both voices
    for m in missions:
        folder = tmp_path / "reports" / m.client_id
        html = (folder / f"rapport-{m.id}.html").read_text(encoding="utf-8")
        pdf = folder / f"rapport-{m.id}.pdf"
        xlsx = folder / (f"taches-{m.id}.xlsx" if m.type == MissionType.POINT_SUIVI else f"plan-actions-{m.id}.xlsx")
        assert pdf.read_bytes().startswith(b"%PDF")
        pdf_text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        cells = " ".join(str(c.value) for ws_ in load_workbook(xlsx).worksheets
                         for row in ws_.iter_rows() for c in row if c.value is not None)
        word_text = docx_text(folder / f"rapport-{m.id}.docx")[1]
        if m.id == sampled:  # the mission holding the demo's reviewed sample of session files
            assert "Revue des dossiers" in word_text and "Pièces manquantes" in word_text
        for note in private[m.id]:
            for output, text in (("html", html), ("pdf", pdf_text), ("docx", word_text), ("xlsx", cells)):
                assert note not in text, (m.id, output, note)
        me = clients[m.client_id]
        assert me.name in html and me.name in pdf_text.replace("\n", " ")
        for other in clients.values():
            if other.id == me.id:
                continue
            for output, text in (("html", html), ("pdf", pdf_text), ("xlsx", cells)):
                assert other.name not in text, (m.id, output, other.name)
                assert other.siret not in text, (m.id, output, other.id)
                assert f"{other.id}-m" not in text, (m.id, output, other.id)
    # Each prospect's « Note d'opportunité » names it and no one else.
    prospects = [c for c in clients.values() if c.prospect]
    assert len(prospects) == 3
    for me in prospects:
        notes = sorted((tmp_path / "reports" / me.id).glob("note-opportunite-*.html"))
        assert len(notes) == 1 and notes[0].with_suffix(".pdf").read_bytes().startswith(b"%PDF")
        for text in (notes[0].read_text(encoding="utf-8"), docx_text(notes[0].with_suffix(".docx"))[1]):
            assert me.name in text
            for other in clients.values():
                if other.id != me.id:
                    assert other.name not in text and other.siret not in text, (me.id, other.id)
