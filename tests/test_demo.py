"""The demo workspace: deterministic, covering templates, versions and verdicts, never destructive."""

from __future__ import annotations

import pytest

from tests.cli_support import run_cli
from workbench.demo import CLIENTS, build_demo
from workbench.errors import WorkbenchError
from workbench.profile import ClientProfile
from workbench.store import SQLiteStore
from workbench.templates import template_names
from workbench.vocab import Verdict


def _snapshot(ws) -> dict:
    data = {}
    for m in ws.store.list_missions():
        answers = {k: (a.verdict, a.notes, a.na_justification, a.checklist, a.respondent)
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
    assert {c.template for c in clients} == set(template_names())
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
        assert ws.store.list_evidence(m.id)
    assert all(isinstance(c, ClientProfile) and c.siret for c in clients)
    ws.close()


def test_demo_refuses_a_workspace_with_real_clients(tmp_path):
    store = SQLiteStore(tmp_path / "workbench.db")
    store.create_client(ClientProfile(id="vrai-client", name="Vrai client", categories=["AF"]))
    store.close()
    with pytest.raises(WorkbenchError, match="contient déjà des clients réels"):
        build_demo(tmp_path)
    store = SQLiteStore(tmp_path / "workbench.db")
    assert [c.id for c in store.list_clients()] == ["vrai-client"]
    store.close()
    r = run_cli("demo", "--no-reports", workspace=tmp_path)
    assert r.code == 1 and "n'écrase rien" in r.err and "Traceback" not in r.err


def test_demo_cli_without_reports(tmp_path):
    r = run_cli("demo", "--no-reports", workspace=tmp_path)
    assert r.code == 0, r.err
    for client in CLIENTS:
        assert client.id in r.out
    bad = run_cli("demo", "--formats", "docx", workspace=tmp_path)
    assert bad.code == 2 and "format(s) inconnu(s)" in bad.err
