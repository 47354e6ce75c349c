"""Excel action plan: export, reopen with openpyxl, re-import with history; mismatching files refused."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.cli_support import run_cli
from workbench.analysis import update_plan
from workbench.excel import (
    COLUMNS,
    PLAN_SHEET,
    PROVENANCE_SHEET,
    PlanImportError,
    export_action_plan,
    import_action_plan,
)
from workbench.profile import ClientProfile
from workbench.vocab import ActionStatus, Category, MissionType, Verdict

TODAY = dt.date(2026, 11, 21)
HEADERS = [h for h, _ in COLUMNS]


@pytest.fixture
def plan(workspace):
    store = workspace.store
    store.create_client(ClientProfile(id="organisme-b", name="Organisme B", categories=[Category.AF]))
    m1 = workspace.new_mission("organisme-b", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 3, 1))
    m2 = workspace.new_mission("organisme-b", mission_type=MissionType.AUDIT_BLANC, audit_date=dt.date(2027, 4, 1))
    ref = workspace.library.get(m1.referential_id)
    for m in (m1, m2):
        store.save_answer(m.id, ref.indicator(4).id, verdict=Verdict.NC_MAJEURE)
        store.save_answer(m.id, ref.indicator(1).id, verdict=Verdict.NC_MINEURE)
        update_plan(workspace, "organisme-b", m.id, today=TODAY)
    return workspace, m1, m2, ref


def export(ws, mission, ref, path):
    return export_action_plan(path, mission=mission, client_name="Organisme B",
                              actions=ws.store.list_actions(mission.id), referential=ref,
                              provenance={"input_hash": "abc123"})


def snapshot(ws, mission):
    return ([a.model_dump() for a in ws.store.list_actions(mission.id)], len(ws.store.history(mission.id)))


def col(name: str) -> int:
    return HEADERS.index(name) + 1


def test_export_is_a_workable_table(plan, tmp_path):
    ws, m1, _, ref = plan
    actions = ws.store.list_actions(m1.id)
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    sheet = wb[PLAN_SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "B2"
    table = sheet.tables["PlanActions"]
    assert table.ref == f"A1:J{len(actions) + 1}"
    assert table.autoFilter is not None
    assert sheet.column_dimensions["A"].hidden
    assert sheet.column_dimensions["E"].width >= 40
    assert sheet.max_row == len(actions) + 1
    for row, action in zip(sheet.iter_rows(min_row=2), actions, strict=True):
        assert row[0].value == action.id
        due = row[col("Échéance") - 1]
        assert isinstance(due.value, dt.datetime) and due.value.date() == action.due_date
        assert due.number_format == "DD/MM/YYYY"
        assert row[col("Statut") - 1].value == "À faire"
        assert row[col("Indicateur") - 1].value == ref.by_id(action.indicator_id).number
        assert row[col("Intitulé de l'indicateur") - 1].value == ref.by_id(action.indicator_id).title
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1 and "À faire" in validations[0].formula1 and "Abandonné" in validations[0].formula1
    assert "I2" in validations[0].sqref
    prov = {r[0]: r[1] for r in wb[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert prov["Mission"] == m1.id and prov["Référentiel"] == ref.id and prov["input_hash"] == "abc123"
    assert prov["Version du logiciel"]
    assert m1.id in wb.properties.keywords
    assert {p.name for p in wb.custom_doc_props.props} >= {"workbench_mission", "workbench_input_hash"}


def test_reimport_changes_statuses_and_comments_with_history(plan, tmp_path):
    ws, m1, _, ref = plan
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    sheet = wb[PLAN_SHEET]
    first, second = sheet[2], sheet[3]
    first[col("Statut") - 1].value = "Fait"
    first[col("Commentaire") - 1].value = "Grille validée le 12/01 <script>alert(1)</script>"
    second[col("Statut") - 1].value = "en cours"
    wb.save(path)
    report = import_action_plan(ws.store, m1, path)
    assert report.changed_actions == 2 and len(report.changes) == 3
    text = report.text()
    assert "statut « À faire » → « Fait »" in text and "commentaire" in text
    a1 = next(a for a in ws.store.list_actions(m1.id) if a.id == first[0].value)
    assert a1.status == ActionStatus.FAIT and a1.comment.startswith("Grille validée")
    a2 = next(a for a in ws.store.list_actions(m1.id) if a.id == second[0].value)
    assert a2.status == ActionStatus.EN_COURS
    history = [h for h in ws.store.history(m1.id) if h.entity == "action" and h.entity_key == str(a1.id)]
    assert any(h.field == "status" and h.before == "a_faire" and h.after == "fait" for h in history)
    # Importing the same file again changes nothing.
    again = import_action_plan(ws.store, m1, path)
    assert again.changes == [] and "Aucun changement" in again.text()


def _mutate(path, fn):
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda wb: wb[PLAN_SHEET].cell(row=2, column=1, value=99999), "action(s) inconnue(s)"),
        (lambda wb: wb[PLAN_SHEET].cell(row=1, column=col("Statut"), value="État"), "colonne(s) manquante(s)"),
        (lambda wb: wb[PLAN_SHEET].cell(row=2, column=col("Statut"), value="Terminé"), "statut inconnu « Terminé »"),
        (lambda wb: wb[PLAN_SHEET].cell(row=3, column=1, value=wb[PLAN_SHEET].cell(row=2, column=1).value),
         "déjà présente"),
        (lambda wb: setattr(wb[PLAN_SHEET], "title", "Feuil1"), "la feuille « Plan d'actions » est absente"),
    ],
    ids=["unknown-id", "missing-column", "bad-status", "duplicate-id", "missing-sheet"],
)
def test_mismatching_file_is_refused_and_nothing_changes(plan, tmp_path, mutate, message):
    ws, m1, _, ref = plan
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    _mutate(path, lambda wb: wb[PLAN_SHEET].cell(row=2, column=col("Commentaire"), value="changé"))
    _mutate(path, mutate)
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError) as exc:
        import_action_plan(ws.store, m1, path)
    assert message in str(exc.value)
    assert "Aucune action n'a été modifiée" in str(exc.value)
    assert snapshot(ws, m1) == before


def test_file_of_another_mission_is_refused(plan, tmp_path):
    ws, m1, m2, ref = plan
    path = export(ws, m2, ref, tmp_path / "autre.xlsx")
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError) as exc:
        import_action_plan(ws.store, m1, path)
    assert f"mission « {m2.id} », pas la mission « {m1.id} »" in str(exc.value)
    # Without the provenance sheet, the ids still give it away.
    _mutate(path, lambda wb: wb.remove(wb[PROVENANCE_SHEET]))
    with pytest.raises(PlanImportError, match="inconnue"):
        import_action_plan(ws.store, m1, path)
    assert snapshot(ws, m1) == before


@pytest.mark.parametrize("content", [b"ceci n'est pas un classeur", b"PK\x03\x04 corrompu"])
def test_not_an_xlsx_is_refused(plan, tmp_path, content):
    ws, m1, _, _ = plan
    path = tmp_path / "plan.xlsx"
    path.write_bytes(content)
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError, match=r"n'est pas un classeur Excel \(\.xlsx\) lisible"):
        import_action_plan(ws.store, m1, path)
    assert snapshot(ws, m1) == before


def test_cli_export_and_import(plan, tmp_path, workspace_dir):
    ws, m1, _, _ = plan
    out = tmp_path / "export.xlsx"
    res = run_cli("actions", "export", "organisme-b", "--mission", m1.id, "-o", str(out), workspace=workspace_dir)
    assert res.code == 0, res.err
    assert str(out) in res.out and out.exists()
    _mutate(out, lambda wb: wb[PLAN_SHEET].cell(row=2, column=col("Statut"), value="Abandonné"))
    res = run_cli("actions", "import", "organisme-b", str(out), "--mission", m1.id, workspace=workspace_dir)
    assert res.code == 0, res.err
    assert "1 action(s) modifiée(s)" in res.out and "« Abandonné »" in res.out
    bad = tmp_path / "faux.xlsx"
    bad.write_text("texte")
    res = run_cli("actions", "import", "organisme-b", str(bad), workspace=workspace_dir)
    assert res.code == 2 and "Fichier refusé" in res.err and "Traceback" not in res.err
    res = run_cli("actions", "export", "../organisme-b", "-o", str(tmp_path / "x.xlsx"), workspace=workspace_dir)
    assert res.code == 2 and "identifiant client invalide" in res.err
    assert not (tmp_path / "x.xlsx").exists()
