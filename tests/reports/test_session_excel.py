"""Excel files of the session review: the import template and the self-review checklist round trip
(export, the client fills it in, re-import into the real store, conflicts, formulas, wrong file)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.support import run_cli, seed_sample
from workbench.core.errors import UsageError
from workbench.domain.checklist import ReviewStatus
from workbench.domain.sessions import COLUMNS
from workbench.reports.session_excel import (
    CHECKLIST_SHEET,
    export_checklist,
    import_checklist,
    write_template,
)
from workbench.services.sessions import import_sessions, mission_review, repository, save_item_reviews
from workbench.services.workspace import Workspace


def test_template_round_trip(workspace, seeded_mission, tmp_path):
    ws_dir, mission = seeded_mission
    path = write_template(tmp_path / "modele.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Sessions", "Mode d'emploi", "Exemple"]
    sheet = wb["Sessions"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    doc = [r[0] for r in wb["Mode d'emploi"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert all(c.header in doc for c in COLUMNS)
    sheet.append(["T-1", "Gestes et postures", "AF", dt.datetime(2026, 5, 4), None, "Lyon", "Ada", 5, "OPCO", "non",
                  "non", "présentiel"])
    sheet.append(["T-2", "Bilan", "BC", "12/06/2026", "30/07/2026", "", "Chloé", 1, "CPF", "non", "non", "mixte"])
    wb.save(path)
    with Workspace.open(ws_dir) as ws:
        report = import_sessions(ws, mission.client_id, path)
        assert report.parsed.errors == [] and report.outcome.added == ["T-1", "T-2"]
        assert [s.reference for s in repository(ws).list(mission.client_id)] == ["T-1", "T-2"]  # no example row
    with pytest.raises(UsageError, match="existe déjà"):
        write_template(path)
    res = run_cli("sessions", "template", "-o", str(tmp_path / "cli.xlsx"), workspace=ws_dir)
    assert res.code == 0 and (tmp_path / "cli.xlsx").exists()


@pytest.fixture
def sampled(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir, actor="consultante") as ws:
        sample = seed_sample(ws, mission.client_id, mission.id)
    return ws_dir, mission, sample


def fill(path, values: dict[tuple[str, str], dict[str, object]]) -> None:
    wb = load_workbook(path)
    sheet = wb[CHECKLIST_SHEET]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        key = (row[header.index("Référence")].value, row[header.index("ID point")].value)
        for column, value in values.get(key, {}).items():
            cell = row[header.index(column)]
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # typed into a Text column: stays text, as in Excel
    wb.save(path)


def test_checklist_round_trip(sampled, tmp_path):
    ws_dir, mission, sample = sampled
    client = mission.client_id
    first = sample.references[0]
    path = tmp_path / "auto-revue.xlsx"
    with Workspace.open(ws_dir, actor="consultante") as ws:
        review = mission_review(ws, client, mission.id)
        export_checklist(path, review, "CFA Horizon")
        rows = sum(len(f.lines) for f in review.results.files)
    wb = load_workbook(path)
    assert wb[CHECKLIST_SHEET].max_row == rows + 1
    assert wb[CHECKLIST_SHEET].column_dimensions["D"].hidden  # item id
    fill(path, {(first, "analyse-besoin"): {"Statut": "Présent", "Preuve vue": "Questionnaire du 12/01"},
                (first, "satisfaction-froid"): {"Statut": "Manquant", "Note": "=pas envoyée"},
                (first, "convocation"): {"Statut": "peut-être"}})
    with Workspace.open(ws_dir, actor="client") as ws:
        with pytest.raises(UsageError, match="Statut inconnu : « peut-être »"):
            import_checklist(ws, client, mission.id, path)
        assert repository(ws).list_reviews(mission.id) == []  # nothing written
    fill(path, {(first, "convocation"): {"Statut": "Sans objet"}})
    with Workspace.open(ws_dir, actor="client") as ws:
        report = import_checklist(ws, client, mission.id, path)
        assert len(report.changes) == 5 and not report.conflicts
        stored = {r.item_id: r for r in repository(ws).list_reviews(mission.id, first)}
        assert stored["analyse-besoin"].status == ReviewStatus.PRESENT
        assert stored["analyse-besoin"].evidence == "Questionnaire du 12/01"
        assert stored["satisfaction-froid"].note == "=pas envoyée"  # text stays text
        assert stored["convocation"].status == ReviewStatus.NOT_APPLICABLE
        history = [h for h in ws.store.history(mission.id) if h.entity == "session_review"]
        assert {h.actor for h in history} == {"client"} and len(history) == 5
        # the same file again changes nothing
        assert import_checklist(ws, client, mission.id, path).changes == []


def test_checklist_conflicts_keep_the_application_value(sampled, tmp_path):
    ws_dir, mission, sample = sampled
    client, ref = mission.client_id, sample.references[0]
    path = tmp_path / "auto-revue.xlsx"
    with Workspace.open(ws_dir, actor="consultante") as ws:
        save_item_reviews(ws, client, mission.id, [(ref, "convocation", {"status": ReviewStatus.PRESENT})])
        export_checklist(path, mission_review(ws, client, mission.id), "CFA Horizon")
        # after the export, the consultant changes two items in the application
        save_item_reviews(ws, client, mission.id, [(ref, "convocation", {"status": ReviewStatus.MISSING}),
                                                   (ref, "supports-remis", {"status": ReviewStatus.PRESENT})])
    fill(path, {(ref, "convocation"): {"Statut": "Sans objet"},  # changed on both sides: conflict
                (ref, "emargement"): {"Statut": "Présent"}})  # changed in the file only
    with Workspace.open(ws_dir, actor="client") as ws:
        report = import_checklist(ws, client, mission.id, path)
        assert [(c.item_id, c.stored, c.in_file) for c in report.conflicts] == [
            ("convocation", "Manquant", "Sans objet")]
        assert [(c.item_id, c.after) for c in report.changes] == [("emargement", "Présent")]
        stored = {r.item_id: r.status for r in repository(ws).list_reviews(mission.id, ref)}
        # untouched in the file: the application's newer value stands, no conflict
        assert stored == {"convocation": ReviewStatus.MISSING, "supports-remis": ReviewStatus.PRESENT,
                          "emargement": ReviewStatus.PRESENT}
        forced = import_checklist(ws, client, mission.id, path, force=True)
        assert [(c.item_id, c.overrides) for c in forced.changes] == [("convocation", True)]
        assert repository(ws).get_review(mission.id, ref, "convocation").status == ReviewStatus.NOT_APPLICABLE


def test_formula_cells_are_never_read(sampled, tmp_path):
    ws_dir, mission, sample = sampled
    ref = sample.references[0]
    path = tmp_path / "auto-revue.xlsx"
    with Workspace.open(ws_dir) as ws:
        export_checklist(path, mission_review(ws, mission.client_id, mission.id), "CFA Horizon")
    wb = load_workbook(path)
    sheet = wb[CHECKLIST_SHEET]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if (row[0].value, row[header.index("ID point")].value) == (ref, "analyse-besoin"):
            row[header.index("Statut")].value = '=IF(1,"Présent","Manquant")'
    wb.save(path)
    with Workspace.open(ws_dir) as ws:
        report = import_checklist(ws, mission.client_id, mission.id, path)
        assert report.changes == [] and len(report.skipped) == 1
        assert repository(ws).get_review(mission.id, ref, "analyse-besoin").status == ReviewStatus.UNCHECKED


def test_a_file_for_another_mission_is_refused(sampled, tmp_path):
    ws_dir, mission, _ = sampled
    path = tmp_path / "auto-revue.xlsx"
    with Workspace.open(ws_dir) as ws:
        export_checklist(path, mission_review(ws, mission.client_id, mission.id), "CFA Horizon")
        other = ws.new_mission(mission.client_id, mission_type=mission.type, audit_date=mission.audit_date)
        seed_sample(ws, mission.client_id, other.id)
    res = run_cli("sessions", "import-checklist", mission.client_id, str(path), "--mission", other.id,
                  workspace=ws_dir)
    assert res.code == 2 and "Fichier refusé" in res.err and "Rien n'a été modifié" in res.err
    res = run_cli("sessions", "export-checklist", mission.client_id, "-o", str(path), workspace=ws_dir)
    assert res.code == 2 and "existe déjà" in res.err
