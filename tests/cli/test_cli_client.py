"""The real CLI in a subprocess: client and mission commands, exit codes, French errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import Result, fails, ok, run_cli
from workbench.core.vocab import Verdict
from workbench.store import SQLiteStore


def run(ws: Path, *args: str, cwd: Path | None = None) -> Result:
    """The command line on workspace ``ws``, run from the folder that holds it (or ``cwd``)."""
    return run_cli(*args, workspace=ws, cwd=cwd or ws.parent, timeout=120)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    d = tmp_path / "espace"
    d.mkdir()
    return d


@pytest.fixture
def client(ws: Path) -> Path:
    ok(run(ws, "client", "new", "formapro-lyon", "--template", "organisme-multi-activites",
           "--name", "FormaPro Lyon", "--siret", "73282932000074"))
    return ws


def test_templates_listed(ws):
    out = ok(run(ws, "client", "templates"))
    for name in ("formateur-independant", "organisme-multi-activites", "cfa", "centre-bilans",
                 "accompagnement-vae", "reseau-multi-sites", "nouvel-entrant"):
        assert f"{name} — " in out
    data = json.loads(ok(run(ws, "client", "templates", "--json")))
    assert len(data) == 7 and {"name", "title", "description", "profile"} <= set(data[0])


def test_new_list_show(ws):
    out = ok(run(ws, "client", "new", "solo-formation", "--template", "formateur-independant",
                 "--consultant", "Alice Conseil"))
    assert "Client « solo-formation » créé à partir du modèle « Formateur indépendant »" in out
    assert "Reste à renseigner :" in out
    assert "raison sociale (provisoirement « solo-formation »)" in out
    assert "  - SIRET" in out and "consultant en charge" not in out
    assert "sur 33" in out or "sur 32" in out  # the version in force today
    assert (ws / "workbench.db").exists()

    listed = json.loads(ok(run(ws, "client", "list", "--json")))
    assert [c["id"] for c in listed] == ["solo-formation"]
    assert listed[0]["template"] == "formateur-independant" and listed[0]["missions"] == 0
    assert "solo-formation" in ok(run(ws, "client", "list"))

    shown = json.loads(ok(run(ws, "client", "show", "solo-formation", "--json")))
    assert shown["profile"]["consultant"] == "Alice Conseil"
    counts = {row["referential"]: row["applicable"] for row in shown["applicability"]}
    # 2026: 12 stays in part for short courses (violence and discrimination duty).
    assert counts == {"rnq-2019-v9": 21, "rnq-2026": 22}
    assert sum(row["in_force_today"] for row in shown["applicability"]) == 1
    assert shown["missions"] == []
    text = ok(run(ws, "client", "show", "solo-formation"))
    assert "Indicateurs applicables :" in text and "21 sur 32" in text and "22 sur 33" in text
    assert "Aucune mission" in text


def test_new_refusals(client):
    ws = client
    fails(run(ws, "client", "new", "formapro-lyon", "--template", "cfa"), 5, "existe déjà")
    fails(run(ws, "client", "new", "autre", "--template", "formateur"), 2,
          "modèle de client inconnu : « formateur »", "formateur-independant")
    fails(run(ws, "client", "new", "autre", "--template", "cfa", "--siret", "73282932000075"), 4,
          "SIRET invalide", "clé de contrôle")
    fails(run(ws, "client", "new", "autre"), 2, "--template")
    listed = json.loads(ok(run(ws, "client", "list", "--json")))
    assert [c["id"] for c in listed] == ["formapro-lyon"]
    assert listed[0]["name"] == "FormaPro Lyon"


@pytest.mark.parametrize("bad", ["../x", "a/b", "UPPER", ".."])
def test_bad_client_ids_refused(ws, bad, tmp_path):
    fails(run(ws, "client", "new", bad, "--template", "cfa"), 2, "identifiant client invalide", bad)
    fails(run(ws, "client", "show", bad), 2, "identifiant client invalide")
    fails(run(ws, "client", "export", bad, "-o", str(tmp_path / "out.qwb")), 2, "identifiant client invalide")
    fails(run(ws, "mission", "new", bad, "--type", "pre_audit", "--audit-date", "2026-12-15"), 2,
          "identifiant client invalide")
    assert not (tmp_path / "out.qwb").exists()
    assert not (tmp_path / "x").exists() and not (ws / "a").exists()
    assert json.loads(ok(run(ws, "client", "list", "--json"))) == []


def test_unknown_client(ws):
    fails(run(ws, "client", "show", "inconnu"), 6, "Client inconnu : « inconnu »")
    fails(run(ws, "mission", "new", "inconnu", "--type", "pre_audit", "--audit-date", "2026-12-15"), 6,
          "Client inconnu")
    fails(run(ws, "mission", "list", "inconnu"), 6, "Client inconnu")
    fails(run(ws, "client", "export", "inconnu", "-o", str(ws / "x.qwb")), 6, "Client inconnu")
    assert not (ws / "x.qwb").exists()


def test_missions(client):
    ws = client
    out = ok(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-12-15"))
    assert "Mission « formapro-lyon-m1 » créée" in out
    assert "[rnq-2026]" in out and "choisi automatiquement : version en vigueur le 15/12/2026" in out
    assert "Indicateurs applicables à ce client : 28 sur 33" in out

    out = ok(run(ws, "mission", "new", "formapro-lyon", "--type", "audit_blanc", "--audit-date", "2026-06-30",
                 "--audit-type", "surveillance", "--label", "Audit à blanc de juin"))
    assert "[rnq-2019-v9]" in out and "choisi automatiquement" in out and "28 sur 32" in out

    out = ok(run(ws, "mission", "new", "formapro-lyon", "--type", "prep_renouvellement",
                 "--audit-date", "2027-02-01", "--version", "rnq-2019-v9"))
    assert "choisi manuellement (--version) ; la version en vigueur le 01/02/2027 est rnq-2026" in out

    fails(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-13-45"), 2,
          "date d'audit invalide : « 2026-13-45 »", "AAAA-MM-JJ")
    fails(run(ws, "mission", "new", "formapro-lyon", "--type", "visite", "--audit-date", "2026-12-15"), 2,
          "type de mission inconnu(e) : « visite »", "pre_audit, audit_blanc")
    fails(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-12-15",
              "--audit-type", "final"), 2, "type d'audit inconnu(e)")
    fails(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-12-15",
              "--version", "rnq-1999"), 3, "Version de référentiel inconnue : « rnq-1999 »")

    missions = json.loads(ok(run(ws, "mission", "list", "formapro-lyon", "--json")))
    assert [(m["id"], m["type"], m["audit_type"], m["referential_id"], m["referential_auto"]) for m in missions] == [
        ("formapro-lyon-m1", "pre_audit", "initial", "rnq-2026", True),
        ("formapro-lyon-m2", "audit_blanc", "surveillance", "rnq-2019-v9", True),
        ("formapro-lyon-m3", "prep_renouvellement", "renouvellement", "rnq-2019-v9", False),
    ]
    assert missions[1]["label"] == "Audit à blanc de juin"
    table = ok(run(ws, "mission", "list"))
    assert "formapro-lyon-m3" in table and "manuel" in table and "Audit à blanc de juin" in table
    shown = json.loads(ok(run(ws, "client", "show", "formapro-lyon", "--json")))
    assert len(shown["missions"]) == 3


def test_mission_history(client):
    ws = client
    ok(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-12-15"))
    store = SQLiteStore(ws / "workbench.db", actor="alice")
    store.save_answer("formapro-lyon-m1", "rnq-2026:ind:01", verdict=Verdict.CONFORME, private_notes="OK")
    store.close()
    store = SQLiteStore(ws / "workbench.db", actor="bob")
    store.save_answer("formapro-lyon-m1", "rnq-2026:ind:01", verdict=Verdict.NC_MINEURE)
    store.save_answer("formapro-lyon-m1", "rnq-2026:ind:02", private_notes="à revoir")
    store.close()

    out = ok(run(ws, "mission", "history", "formapro-lyon-m1"))
    assert "4 modification(s)" in out
    lines = [line for line in out.splitlines() if "réponse" in line]
    assert len(lines) == 4
    assert "alice" in lines[0] and "verdict" in lines[0] and "Conforme" in lines[0]
    assert "bob" in lines[2] and "Conforme" in lines[2] and "NC mineure" in lines[2]

    only = json.loads(ok(run(ws, "mission", "history", "formapro-lyon-m1", "--indicator", "1", "--json")))
    assert [(h["actor"], h["field"], h["before"], h["after"]) for h in only] == [
        ("alice", "verdict", None, "conforme"), ("alice", "private_notes", None, "OK"),
        ("bob", "verdict", "conforme", "nc_mineure")]
    same = json.loads(ok(run(ws, "mission", "history", "formapro-lyon-m1", "--indicator", "rnq-2026:ind:01",
                             "--json")))
    assert same == only
    assert "Aucune modification" in ok(run(ws, "mission", "history", "formapro-lyon-m1", "--indicator", "30"))
    fails(run(ws, "mission", "history", "formapro-lyon-m1", "--indicator", "40"), 2, "indicateur invalide")
    fails(run(ws, "mission", "history", "formapro-lyon-m9"), 6, "Mission inconnue")


def test_export_import(client, tmp_path):
    ws = client
    ok(run(ws, "mission", "new", "formapro-lyon", "--type", "pre_audit", "--audit-date", "2026-12-15"))
    store = SQLiteStore(ws / "workbench.db", actor="alice")
    store.save_answer("formapro-lyon-m1", "rnq-2026:ind:01", verdict=Verdict.NC_MAJEURE, private_notes="absent")
    store.close()
    out_file = tmp_path / "formapro.qwb"
    out = ok(run(ws, "client", "export", "formapro-lyon", "-o", str(out_file)))
    assert f"exporté dans {out_file}" in out and out_file.is_file()
    first = out_file.read_bytes()
    fails(run(ws, "client", "export", "formapro-lyon", "-o", str(out_file)), 2, "existe déjà", "--force")
    assert out_file.read_bytes() == first
    fails(run(ws, "client", "export", "formapro-lyon", "-o", str(tmp_path / "nulle-part" / "f.qwb")), 2,
          "Dossier de destination introuvable")
    fails(run(ws, "client", "export", "formapro-lyon", "-o", str(tmp_path)), 2, "est un dossier")
    # a relative -o is relative to the current directory, nowhere else
    ok(run(ws, "client", "export", "formapro-lyon", "-o", "relatif.qwb", cwd=tmp_path))
    assert (tmp_path / "relatif.qwb").is_file()

    other = tmp_path / "collegue"
    other.mkdir()
    out = ok(run(other, "client", "import", str(out_file)))
    assert "Client « formapro-lyon » (FormaPro Lyon) créé" in out and "Réponses ajoutées : 1" in out
    hist = json.loads(ok(run(other, "mission", "history", "formapro-lyon-m1", "--json")))
    assert [(h["actor"], h["field"], h["after"]) for h in hist] == [
        ("alice", "verdict", "nc_majeure"), ("alice", "private_notes", "absent")]

    fails(run(other, "client", "import", str(out_file)), 7, "existe déjà", "--merge", "rien n'a été importé")
    report = json.loads(ok(run(other, "client", "import", str(out_file), "--merge", "--json")))
    assert report["merged"] and report["conflicts"] == [] and report["answers_identical"] == 1

    # The colleague changes the answer; merging the original back keeps the local one.
    store = SQLiteStore(other / "workbench.db", actor="bob")
    store.save_answer("formapro-lyon-m1", "rnq-2026:ind:01", verdict=Verdict.CONFORME)
    store.close()
    out = ok(run(other, "client", "import", str(out_file), "--merge"))
    assert "1 conflit(s) — rien n'a été écrasé" in out and "réponse locale conservée (Conforme, par bob)" in out
    shown = json.loads(ok(run(other, "mission", "history", "formapro-lyon-m1", "--indicator", "1", "--json")))
    assert shown[-1]["field"] == "conflit"
    store = SQLiteStore(other / "workbench.db", actor="check")
    assert store.get_answer("formapro-lyon-m1", "rnq-2026:ind:01").verdict is Verdict.CONFORME
    store.close()


def test_import_bad_files(ws, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("pas un paquet\n", encoding="utf-8")
    fails(run(ws, "client", "import", str(text)), 7, "n'est pas un paquet client", "ce n'est pas une archive zip")
    truncated = tmp_path / "tronque.qwb"
    truncated.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    fails(run(ws, "client", "import", str(truncated)), 7, "Paquet client corrompu")
    fails(run(ws, "client", "import", str(tmp_path / "absent.qwb")), 2, "Fichier introuvable")
    assert json.loads(ok(run(ws, "client", "list", "--json"))) == []


def test_corrupt_database(ws):
    db = ws / "workbench.db"
    db.write_bytes(b"garbage" * 1000)
    before = db.read_bytes()
    fails(run(ws, "client", "list"), 5, "Base de données illisible ou corrompue", "Rien n'a été modifié")
    fails(run(ws, "client", "new", "acme", "--template", "cfa"), 5, "corrompue")
    assert db.read_bytes() == before


def test_bad_arguments_are_french(ws):
    fails(run(ws, "client"), 2, "arguments obligatoires manquants")
    fails(run(ws, "mission", "new", "acme", "--type", "pre_audit"), 2, "--audit-date")
    fails(run(ws, "client", "list", "--bogus"), 2, "arguments non reconnus")


def test_update_fills_in_what_remains_and_keeps_history(client):
    ws = client
    out = ok(run(ws, "client", "update", "formapro-lyon", "--nda", "84691234569", "--street", "10 rue X",
                 "--postal-code", "69002", "--city", "Lyon", "--contact-name", "Paul Girard",
                 "--contact-email", "paul@formapro.example"))
    assert "mis à jour" in out and "adresse" in out
    profile = json.loads(ok(run(ws, "client", "show", "formapro-lyon", "--json")))["profile"]
    assert profile["nda"] == "84691234569" and profile["address"]["city"] == "Lyon"
    assert profile["contact"]["name"] == "Paul Girard"
    store = SQLiteStore(ws / "workbench.db")
    entries = [h for h in store.history("") if h.entity == "client"]
    store.close()
    assert len(entries) == 1 and entries[0].before["nda"] is None and entries[0].after["nda"] == "84691234569"


def test_update_from_edited_yaml(client, tmp_path):
    ws = client
    text = ok(run(ws, "client", "show", "formapro-lyon", "--yaml"))
    assert text.startswith("# Profil du client « formapro-lyon »") and "\nid: formapro-lyon\n" in text
    edited = tmp_path / "profil.yaml"
    edited.write_text(text.replace("trainers: 12", "trainers: 15"), encoding="utf-8")
    ok(run(ws, "client", "update", "formapro-lyon", "--from", str(edited)))
    assert json.loads(ok(run(ws, "client", "show", "formapro-lyon", "--json")))["profile"]["trainers"] == 15
    assert "Aucun changement" in ok(run(ws, "client", "update", "formapro-lyon", "--from", str(edited)))


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["--siret", "12345678901234"], 4, "clé de contrôle"),
        (["--postal-code", "6900"], 4, "address.postal_code"),
        (["--contact-email", "pas-un-courriel"], 4, "adresse électronique invalide"),
        (["--revenue-band", "enorme"], 4, "revenue_band"),
        (["--from", "/nulle/part.yaml"], 2, "introuvable"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(client, args, code, text):
    ws = client
    before = ok(run(ws, "client", "show", "formapro-lyon", "--json"))
    fails(run(ws, "client", "update", "formapro-lyon", *args), code, text)
    assert ok(run(ws, "client", "show", "formapro-lyon", "--json")) == before


def test_update_cannot_change_the_id(client, tmp_path):
    edited = tmp_path / "p.yaml"
    edited.write_text("id: autre\nname: X\ncategories: [AF]\n", encoding="utf-8")
    fails(run(client, "client", "update", "formapro-lyon", "--from", str(edited)), 2, "ne se modifie pas")


def test_show_gives_cycle_and_audit_durations(client):
    data = json.loads(ok(run(client, "client", "show", "formapro-lyon", "--json")))
    # Not certified yet: the next audit is the initial one; 150-750 k€, AF + BC: 1.5 + 0.5 days.
    assert data["cycle"] is None
    [initial] = data["audit_durations"]
    assert initial["audit_type"] == "initial" and initial["days"] == 2.0 and initial["on_site"] == "sur site"
    assert initial["uncertain"]
    text = ok(run(client, "client", "show", "formapro-lyon"))
    assert "Durée estimée des audits" in text and "Audit initial : 2 jours (sur site)" in text
