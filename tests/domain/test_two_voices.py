"""Two voices per indicator: the client's finding and the consultant's private notes.

The old single ``notes`` field is migrated as a private note (store migration and old bundles), and
``workbench answer`` records answers with the interview's rules and history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.support import run_cli
from workbench.core.vocab import Category, MissionType, Verdict
from workbench.domain.profile import ClientProfile
from workbench.services.workspace import Workspace
from workbench.store import SQLiteStore
from workbench.store import sqlite as sqlite_module
from workbench.store.bundle import export_client, import_bundle

IND1 = "rnq-2026:ind:01"


def _old_database(path: Path) -> None:
    """A database as written before the two-voices migration: one ``notes`` column."""
    c = sqlite3.connect(path, isolation_level=None)
    for stmt in filter(None, (s.strip() for s in sqlite_module._SCHEMA.split(";"))):
        c.execute(stmt)
    c.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    profile = ClientProfile(id="ancien", name="Ancien client", categories=[Category.AF])
    c.execute("INSERT INTO clients VALUES (?,?,?,?)", ("ancien", profile.model_dump_json(), "2026-01-01T00:00:00+00:00",
                                                        "2026-01-01T00:00:00+00:00"))
    c.execute("INSERT INTO missions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
              ("ancien-m1", "ancien", 1, "pre_audit", "initial", "2027-01-15", "rnq-2026", 1, None,
               "2026-01-01T00:00:00+00:00", "alice"))
    c.execute("INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?,?)",
              ("ancien-m1", IND1, "nc_mineure", "Relancer la directrice (privé)", "", "{}", "{}", None,
               "2026-01-02T00:00:00+00:00", "alice"))
    c.execute("INSERT INTO history (mission_id, entity, entity_key, indicator_id, field, before, after, actor, at)"
              " VALUES ('ancien-m1', 'answer', ?, ?, 'notes', NULL, '\"Relancer la directrice (privé)\"', 'alice',"
              " '2026-01-02T00:00:00+00:00')", (IND1, IND1))
    c.close()


def test_existing_notes_become_private_notes(tmp_path):
    db = tmp_path / "workbench.db"
    _old_database(db)
    store = SQLiteStore(db, actor="bob")
    try:
        answer = store.get_answer("ancien-m1", IND1)
        assert answer.private_notes == "Relancer la directrice (privé)"
        assert answer.finding == ""
        assert [h.field for h in store.history("ancien-m1")] == ["private_notes"]
        # the migrated table takes both voices, each with its own history line
        store.save_answer("ancien-m1", IND1, finding="Programmes sans délais d'accès")
        assert store.get_answer("ancien-m1", IND1).private_notes == "Relancer la directrice (privé)"
        assert [h.field for h in store.history("ancien-m1")] == ["private_notes", "finding"]
        names = [r[0] for r in store.connection.execute("SELECT name FROM migrations")]
        assert "20261127-two-voices" in names
    finally:
        store.close()
    again = SQLiteStore(db)  # applied once: reopening changes nothing
    assert again.get_answer("ancien-m1", IND1).private_notes == "Relancer la directrice (privé)"
    again.close()


@pytest.fixture
def ws(tmp_path):
    w = Workspace.open(tmp_path / "espace", actor="alice")
    w.store.create_client(ClientProfile(id="formapro", name="FormaPro", categories=[Category.AF]))
    w.new_mission("formapro", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 3, 1))
    yield w
    w.close()


def test_format_2_bundle_notes_are_imported_as_private(ws, tmp_path):
    ws.store.save_answer("formapro-m1", IND1, verdict=Verdict.CONFORME, private_notes="à facturer",
                         finding="Site complet")
    bundle = export_client(ws.store, "formapro", tmp_path / "b.qwb")
    # rewrite it as format 2 wrote it: one ``notes`` field, no finding
    old = tmp_path / "old.qwb"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(old, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        for name in src.namelist():
            if name == "manifest.json":
                continue
            blob = src.read(name)
            if name == "answers.json":
                rows = json.loads(blob)
                for r in rows:
                    r["notes"] = r.pop("private_notes")
                    del r["finding"]
                blob = json.dumps(rows).encode()
            manifest["members"][name]["sha256"] = hashlib.sha256(blob).hexdigest()
            dst.writestr(name, blob)
        manifest["format_version"] = 2
        dst.writestr("manifest.json", json.dumps(manifest))
    dest = Workspace.open(tmp_path / "dest", actor="bob")
    try:
        import_bundle(dest.store, old)
        answer = dest.store.get_answer("formapro-m1", IND1)
        assert answer.private_notes == "à facturer" and answer.finding == ""
    finally:
        dest.close()


def test_answer_command_uses_the_interview_rules_and_history(ws):
    ws.close()
    root = ws.path
    r = run_cli("answer", "formapro", "--indicator", "1", "--verdict", "nc_mineure",
                "--finding", "Délais d'accès absents des programmes", "--private-note", "Relancer Mme X",
                workspace=root)
    assert r.code == 0, r.err
    assert "Indicateur 1" in r.out and "NC mineure" in r.out
    # non applicable without a justification: refused, nothing saved
    r = run_cli("answer", "formapro", "--indicator", "2", "--verdict", "non_applicable", workspace=root)
    assert r.code == 2 and "Justification obligatoire" in r.err and "Traceback" not in r.err
    # NC mineure on a major-only indicator: refused like in the interview
    store = SQLiteStore(root / "workbench.db")
    ref_major_only = next(i for i in Workspace.open(root).library.get("rnq-2026").indicators
                          if i.nc.grading.value == "major_only")
    r = run_cli("answer", "formapro", "--indicator", str(ref_major_only.number), "--verdict", "nc_mineure",
                workspace=root)
    assert r.code == 2 and "NC majeure" in r.err
    r = run_cli("answer", "formapro", "--mission", "formapro-m1", "--indicator", "2", "--verdict",
                "non_applicable", "--na-justification", "Aucune prestation concernée", "--json", workspace=root)
    assert r.code == 0, r.err
    assert r.json()["na_justification"] == "Aucune prestation concernée"
    r = run_cli("answer", "formapro", "--indicator", "99", "--verdict", "conforme", workspace=root)
    assert r.code == 2 and "99" in r.err
    r = run_cli("answer", "formapro", "--indicator", "1", workspace=root)
    assert r.code == 2 and "rien à enregistrer" in r.err
    try:
        a1 = store.get_answer("formapro-m1", IND1)
        assert (a1.verdict, a1.finding, a1.private_notes) == (
            Verdict.NC_MINEURE, "Délais d'accès absents des programmes", "Relancer Mme X")
        assert store.get_answer("formapro-m1", "rnq-2026:ind:02").verdict == Verdict.NON_APPLICABLE
        fields = [h.field for h in store.history("formapro-m1", IND1)]
        assert fields == ["verdict", "finding", "private_notes"]
    finally:
        store.close()
