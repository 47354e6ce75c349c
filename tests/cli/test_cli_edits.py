"""Editing without YAML: firm identity, report texts, mission update, actions, client scope and archive."""

from __future__ import annotations

import yaml

from tests.support import run_cli
from workbench.core.vocab import ActionStatus, Category, Condition
from workbench.services.workspace import Workspace
from workbench.store.report_texts import get_report_texts


def ok(r):
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    return r.out


def test_edits_from_the_command_line_keep_history(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    ok(run_cli("client", "new", "acme", "--template", "organisme-multi-activites", "--name", "Acme", workspace=ws))
    ok(run_cli("mission", "new", "acme", "--type", "pre_audit", "--audit-date", "2027-02-01", workspace=ws))

    # the default identity is pointed out once per report command
    r = run_cli("report", "acme", "--mission", "acme-m9", "--formats", "html", workspace=ws)
    assert r.code == 6 and r.err.count("identité du cabinet par défaut") == 1
    # firm identity: saved in workbench.yaml, bad colour refused, nothing changed
    ok(run_cli("settings", "set", "--firm", "Cabinet Durand", "--consultant", "Sophie Durand", workspace=ws))
    bad = run_cli("settings", "set", "--primary-color", "bleu", workspace=ws)
    assert bad.code == 2 and "Couleur principale" in bad.err
    branding = yaml.safe_load((ws / "workbench.yaml").read_text(encoding="utf-8"))["branding"]
    assert branding["firm"] == "Cabinet Durand" and branding["primary_color"] == "#1f4e79"

    ok(run_cli("texts", "acme", "--summary", "Bonne dynamique.", "--visit-date", "2026-11-20",
               "--met", "Mme Roux : directrice", "--document", "Livret d'accueil", "--signatory", "S. Durand",
               "--place", "Lyon", workspace=ws))
    ok(run_cli("mission", "update", "acme-m1", "--audit-date", "2027-04-01", "--label", "Reporté", workspace=ws))
    ok(run_cli("actions", "add", "acme", "--indicator", "4", "--title", "Formaliser l'analyse du besoin",
               "--owner", "Mme Roux", "--due", "2027-01-15", workspace=ws))
    ok(run_cli("actions", "edit", "acme", "1", "--status", "en_cours", "--due", "2027-01-31", workspace=ws))
    ok(run_cli("actions", "abandon", "acme", "1", "--reason", "fusionnée", workspace=ws))
    missing = run_cli("actions", "edit", "acme", "42", "--status", "fait", workspace=ws)
    assert missing.code == 6 and "Action 42 inconnue" in missing.err
    ok(run_cli("client", "update", "acme", "--categories", "AF,VAE", "--conditions", "certifying,subcontracting",
               "--new-entrant", "VAE", "--funding", "cpf=40,opco=60", workspace=ws))
    ok(run_cli("client", "archive", "acme", workspace=ws))
    assert "acme" not in ok(run_cli("client", "list", workspace=ws))
    assert "acme (archivé)" in ok(run_cli("client", "list", "--all", workspace=ws))
    ok(run_cli("client", "restore", "acme", workspace=ws))

    w = Workspace.open(ws)
    try:
        mission = w.store.get_mission("acme-m1")
        assert str(mission.audit_date) == "2027-04-01" and mission.label == "Reporté"
        texts = get_report_texts(w.store, mission.id)
        assert texts.summary == "Bonne dynamique." and texts.visit.people[0].role == "directrice"
        action = w.store.list_actions(mission.id)[0]
        assert action.status == ActionStatus.ABANDONNE and "fusionnée" in action.comment
        assert str(action.due_date) == "2027-01-31"
        profile = w.store.get_client("acme")
        assert set(profile.categories) == {Category.AF, Category.VAE}
        assert set(profile.conditions) == {Condition.CERTIFYING, Condition.SUBCONTRACTING}
        assert profile.new_entrant.categories == [Category.VAE] and profile.funding.cpf == 40
        fields = [(h.entity, h.field) for h in w.store.history(mission.id)]
        for expected in (("report", "summary"), ("report", "visit"), ("mission", "audit_date"),
                         ("action", "status"), ("action", "due_date")):
            assert expected in fields
    finally:
        w.close()
    history = ok(run_cli("mission", "history", "acme-m1", workspace=ws))
    assert "date d'audit" in history and "synthèse" in history
