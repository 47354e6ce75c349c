"""Importing sessions from CSV and Excel into a real SQLite store: bad rows reported with line and
reason while good rows are kept, re-import updates by reference, column mapping for other tools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.support import make_profile, run_cli
from workbench.core.errors import UsageError
from workbench.domain.sessions import Funding, Modality
from workbench.services.sessions import import_sessions, load_mapping, repository

CLIENT = "cfa-horizon"
HEADER = "Référence;Intitulé;Catégorie;Date de début;Date de fin;Site;Formateurs;Nombre d'apprenants;" \
         "Financements;Certifiante;Sous-traitée;Modalité"


@pytest.fixture
def ws(workspace):
    workspace.store.create_client(make_profile(CLIENT))
    return workspace


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


GOOD = [
    'S-001;Excel avancé;AF;02/03/2026;03/03/2026;Lyon;"Ada; Blaise";8;"OPCO; Entreprise";non;non;présentiel',
    "S-002;Bilan;BC;2026-04-01;2026-05-20;Lyon;Chloé;1;CPF;non;non;mixte",
]


@pytest.mark.parametrize(("row", "reason"), [
    (";Sans référence;AF;02/03/2026;;;;;;;;", "Référence manquant"),
    ("S-010;;AF;02/03/2026;;;;;;;;", "Intitulé manquant"),
    ("S-011;Titre;XYZ;02/03/2026;;;;;;;;", "catégorie inconnue : « XYZ »"),
    ("S-012;Titre;AF;31/02/2026;;;;;;;;", "Date de début invalide : « 31/02/2026 »"),
    ("S-013;Titre;AF;;;;;;;;;", "Date de début manquant"),
    ("S-014;Titre;AF;10/03/2026;01/03/2026;;;;;;;", "la date de fin (01/03/2026) précède la date de début"),
    ("S-015;Titre;AF;10/03/2026;;;;-2;;;;", "nombre d'apprenants négatif"),
    ("S-016;Titre;AF;10/03/2026;;;;huit;;;;", "nombre d'apprenants invalide"),
    ("S-017;Titre;AF;10/03/2026;;;;;Mécène;;;", "financement inconnu : « Mécène »"),
    ("S-018;Titre;AF;10/03/2026;;;;;;peut-être;;", "Certifiante : « peut-être » n'est ni oui ni non"),
    ("S-019;Titre;AF;10/03/2026;;;;;;;;hologramme", "modalité inconnue"),
    ("S-001;Doublon;AF;10/03/2026;;;;;;;;", "référence en double (déjà à la ligne 2)"),
])
def test_bad_rows_are_reported_with_line_and_reason_good_rows_kept(ws, tmp_path, row, reason):
    path = write_csv(tmp_path / "sessions.csv", [HEADER, *GOOD, row])
    report = import_sessions(ws, CLIENT, path)
    assert [e.line for e in report.parsed.errors] == [4]
    assert reason in report.parsed.errors[0].reason
    assert "ligne 4" in "\n".join(report.lines())
    stored = repository(ws).list(CLIENT)
    assert [s.reference for s in stored] == ["S-001", "S-002"]
    s1 = stored[0]
    assert s1.trainers == ("Ada", "Blaise") and s1.funding == (Funding.OPCO, Funding.ENTREPRISE)
    assert s1.start == dt.date(2026, 3, 2) and s1.learners == 8 and s1.modality == Modality.PRESENTIEL
    assert stored[1].modality == Modality.MIXTE


def test_several_errors_on_one_line_are_all_named(ws, tmp_path):
    path = write_csv(tmp_path / "s.csv", [HEADER, "S-1;;ZZ;hier;;;;;;;;"])
    report = import_sessions(ws, CLIENT, path)
    reason = report.parsed.errors[0].reason
    assert "Intitulé manquant" in reason and "catégorie inconnue" in reason and "Date de début invalide" in reason
    assert repository(ws).list(CLIENT) == []


def test_reimport_updates_by_reference_never_duplicates(ws, tmp_path):
    first = write_csv(tmp_path / "a.csv", [HEADER, *GOOD])
    assert import_sessions(ws, CLIENT, first).outcome.added == ["S-001", "S-002"]
    changed = GOOD[0].replace(";8;", ";10;").replace("Lyon", "Villeurbanne")
    second = write_csv(tmp_path / "b.csv", [HEADER, changed, GOOD[1],
                                            "S-003;Nouvelle;VAE;01/06/2026;;;;;;;;"])
    outcome = import_sessions(ws, CLIENT, second).outcome
    assert outcome.added == ["S-003"] and outcome.updated == ["S-001"] and outcome.unchanged == ["S-002"]
    stored = {s.reference: s for s in repository(ws).list(CLIENT)}
    assert len(stored) == 3 and stored["S-001"].learners == 10 and stored["S-001"].site == "Villeurbanne"
    history = repository(ws).history(CLIENT, "S-001")
    changes = {h["field"]: (h["before"], h["after"]) for h in history if h["field"] != "session"}
    assert changes == {"learners": ("8", "10"), "site": ('"Lyon"', '"Villeurbanne"')}
    # a session absent from a later file is kept
    write_csv(tmp_path / "c.csv", [HEADER, GOOD[1]])
    import_sessions(ws, CLIENT, tmp_path / "c.csv")
    assert len(repository(ws).list(CLIENT)) == 3


def test_missing_required_column_refuses_the_whole_file(ws, tmp_path):
    path = write_csv(tmp_path / "s.csv", ["Référence;Intitulé;Commencement", "S-1;T;02/03/2026"])
    with pytest.raises(UsageError, match="Colonne\\(s\\) obligatoire\\(s\\) absente\\(s\\) : Catégorie, Date de début"):
        import_sessions(ws, CLIENT, path)
    assert repository(ws).list(CLIENT) == []


def test_cp1252_comma_separated_file(ws, tmp_path):
    lines = [HEADER.replace(";", ","), "S-9,Sécurité incendie,AF,05/05/2026,,Évry,Zoé,6,Région,non,oui,présentiel"]
    report = import_sessions(ws, CLIENT, write_csv(tmp_path / "s.csv", lines, encoding="cp1252"))
    assert report.parsed.errors == []
    s = repository(ws).get(CLIENT, "S-9")
    assert s.title == "Sécurité incendie" and s.site == "Évry" and s.subcontracted and s.funding == (Funding.REGION,)


def test_mapping_for_a_training_management_tool_export(ws, tmp_path):
    export = tmp_path / "export-outil.csv"
    write_csv(export, [
        "ID session;Nom de la formation;Type;Début;Fin;Lieu;Intervenant;Inscrits;Financeur;RNCP/RS;Modalité pédagogique",
        "4711;Paie niveau 2;Formation continue;2026-02-02;2026-02-04;Lyon;Ada;7;Plan de développement;Oui;Présentiel",
        "4712;Bilan pro;Bilan;2026-03-01;;Lyon;Chloé;1;Mon Compte Formation;Non;Distanciel",
        "4713;Inconnue;Coaching;2026-03-01;;;;;;Non;",
    ])
    mapping_file = tmp_path / "correspondance.yaml"
    mapping_file.write_text(
        "colonnes:\n  Référence: ID session\n  Intitulé: Nom de la formation\n  Catégorie: Type\n"
        "  Date de début: Début\n  Date de fin: Fin\n  Site: Lieu\n  Formateurs: Intervenant\n"
        "  Nombre d'apprenants: Inscrits\n  Financements: Financeur\n  Certifiante: RNCP/RS\n"
        "  Modalité: Modalité pédagogique\n"
        "valeurs:\n  Catégorie: {Formation continue: AF, Bilan: BC}\n", encoding="utf-8")
    report = import_sessions(ws, CLIENT, export, load_mapping(mapping_file))
    assert [(e.line, e.reference) for e in report.parsed.errors] == [(4, "4713")]
    assert "catégorie inconnue : « Coaching »" in report.parsed.errors[0].reason
    stored = {s.reference: s for s in repository(ws).list(CLIENT)}
    assert stored["4711"].certifying and stored["4711"].funding == (Funding.ENTREPRISE,)
    assert stored["4712"].category.value == "BC" and stored["4712"].modality == Modality.DISTANCE


def test_mapping_names_an_unknown_column(tmp_path):
    with pytest.raises(UsageError, match="colonne « Couleur » inconnue"):
        load_mapping(None, [("Couleur", "Color")])


def test_excel_file_with_real_dates(ws, tmp_path):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Sessions"
    sheet.append(HEADER.split(";"))
    sheet.append(["X-1", "Habilitation électrique", "AF", dt.datetime(2026, 1, 12), dt.datetime(2026, 1, 13),
                  "Lyon", "Ada", 9, "OPCO", "oui", "non", "présentiel"])
    sheet.append(["X-2", "Titre", "AF", "pas une date", None, None, None, None, None, None, None, None])
    wb.save(tmp_path / "s.xlsx")
    report = import_sessions(ws, CLIENT, tmp_path / "s.xlsx")
    assert [(e.line, e.reference) for e in report.parsed.errors] == [(3, "X-2")]
    s = repository(ws).get(CLIENT, "X-1")
    assert s.start == dt.date(2026, 1, 12) and s.learners == 9 and s.certifying


def test_not_a_spreadsheet_is_refused_clearly(ws, tmp_path):
    bad = tmp_path / "s.xlsx"
    bad.write_text("ceci n'est pas un classeur", encoding="utf-8")
    with pytest.raises(UsageError, match="n'est pas un classeur Excel lisible"):
        import_sessions(ws, CLIENT, bad)
    with pytest.raises(UsageError, match="Format de fichier non pris en charge"):
        import_sessions(ws, CLIENT, write_csv(tmp_path / "s.pdf", ["x"]))


def test_cli_import_exit_codes_and_messages(seeded_mission, tmp_path):
    ws_dir, _ = seeded_mission
    path = write_csv(tmp_path / "s.csv", [HEADER, *GOOD, "S-3;Titre;AF;32/01/2026;;;;;;;;"])
    res = run_cli("sessions", "import", CLIENT, str(path), workspace=ws_dir)
    assert res.code == 2, res.err
    assert "2 session(s) ajoutée(s)" in res.out and "ligne 4 (« S-3 ») : Date de début invalide" in res.out
    assert "Traceback" not in res.err
    res = run_cli("sessions", "import", CLIENT, str(tmp_path / "absent.csv"), workspace=ws_dir)
    assert res.code == 2 and "Fichier introuvable" in res.err
    res = run_cli("sessions", "list", CLIENT, "--json", workspace=ws_dir)
    assert res.code == 0 and [s["reference"] for s in res.json()] == ["S-001", "S-002"]
    res = run_cli("sessions", "list", "inconnu", workspace=ws_dir)
    assert res.code == 6 and "Client inconnu" in res.err


def test_cli_sample_is_reproducible_recorded_and_refuses_a_bad_period(seeded_mission, tmp_path):
    from tests.support import sessions_for
    from workbench.services.workspace import Workspace

    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        repository(ws).upsert(CLIENT, sessions_for(CLIENT, 20))
    first = run_cli("sessions", "sample", CLIENT, "--seed", "12", "--json", workspace=ws_dir)
    again = run_cli("sessions", "sample", CLIENT, "--seed", "12", "--json", workspace=ws_dir)
    assert first.code == again.code == 0, first.err
    assert first.json()["references"] == again.json()["references"] and first.json()["mission"] == mission.id
    assert first.json()["uncovered"] == {}
    with Workspace.open(ws_dir) as ws:
        stored, _, _ = repository(ws).get_sample(mission.id)
        assert stored["references"] == first.json()["references"] and stored["seed"] == 12
        assert [h.field for h in ws.store.history(mission.id) if h.entity == "session_sample"] == ["sample", "sample"]
    res = run_cli("sessions", "sample", CLIENT, "--period", "2026-12-31..2026-01-01", workspace=ws_dir)
    assert res.code == 2 and "Période invalide" in res.err and "Traceback" not in res.err
    res = run_cli("sessions", "sample", CLIENT, "--period", "2030-01-01..2030-12-31", workspace=ws_dir)
    assert res.code == 2 and "Aucune session du 01/01/2030 au 31/12/2030" in res.err
    text = run_cli("sessions", "sample", CLIENT, "--size", "3", "--seed", "5", workspace=ws_dir)
    assert text.code == 0 and "Pour retrouver le même échantillon : --seed 5 --size 3" in text.out
