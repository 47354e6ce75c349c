"""Excel action plan: export, reopen with openpyxl, re-import with history; mismatching files refused."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.support import run_cli
from workbench.core.errors import UsageError
from workbench.core.vocab import ActionStatus, Category, MissionType, Verdict
from workbench.domain.profile import ClientProfile
from workbench.reports.excel import (
    COLUMNS,
    GUIDE_SHEET,
    PLAN_SHEET,
    PROVENANCE_SHEET,
    PlanImportError,
    export_action_plan,
    import_action_plan,
    read_action_plan,
)
from workbench.reports.wording import referential_label
from workbench.services.analysis import update_plan

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


def letter(name: str) -> str:
    return get_column_letter(col(name))


def test_export_is_a_workable_table(plan, tmp_path):
    ws, m1, _, ref = plan
    actions = ws.store.list_actions(m1.id)
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    sheet = wb[PLAN_SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "B2"
    table = sheet.tables["PlanActions"]
    assert table.ref == f"A1:{letter(HEADERS[-1])}{len(actions) + 1}"
    assert table.autoFilter is not None
    assert sheet.column_dimensions["A"].hidden
    assert sheet.column_dimensions[letter("Version")].hidden  # updated_at, next to the hidden id
    assert sheet.column_dimensions[letter("Action")].width >= 40
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
    assert f"{letter('Statut')}2" in validations[0].sqref
    prov = {r[0]: r[1] for r in wb[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert prov["Référentiel"] == referential_label(ref) and prov["Version du logiciel"]
    # identifiers and machine keys are document properties, never shown to the client
    shown = " ".join(f"{k} {v}" for k, v in prov.items())
    assert m1.id not in shown and "abc123" not in shown and "input_hash" not in shown
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["workbench_mission"] == m1.id and props["workbench_input_hash"] == "abc123"
    # the workbook opens on its instructions, which name the columns read back
    assert wb.sheetnames[0] == GUIDE_SHEET and wb.active.title == GUIDE_SHEET
    guide = " ".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    assert all(f"« {name} »" in guide for name in ("Responsable", "Échéance", "Statut", "Commentaire"))


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


def test_reimport_takes_owner_and_due_date_and_names_the_cells_it_does_not_read(plan, tmp_path):
    ws, m1, _, ref = plan
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    sheet = wb[PLAN_SHEET]
    row = sheet[2]
    action = next(a for a in ws.store.list_actions(m1.id) if a.id == row[0].value)
    new_due = (action.due_date or TODAY) + dt.timedelta(days=45)
    row[col("Responsable") - 1].value = "Mme Roux (directrice)"
    row[col("Échéance") - 1].value = new_due.strftime("%d/%m/%Y")  # typed as text, the French way
    row[col("Action") - 1].value = "Titre retouché par le client"
    row[col("Priorité") - 1].value = "4 — Preuve à actualiser"
    wb.save(path)
    report = import_action_plan(ws.store, m1, path, referential=ref)
    stored = next(a for a in ws.store.list_actions(m1.id) if a.id == action.id)
    assert stored.owner == "Mme Roux (directrice)" and stored.due_date == new_due
    assert stored.title == action.title and stored.priority == action.priority  # not read: never applied
    fields = {h.field for h in ws.store.history(m1.id) if h.entity == "action" and h.entity_key == str(action.id)}
    assert {"owner", "due_date"} <= fields and "title" not in fields
    text = report.text()
    assert f"échéance « {action.due_date.strftime('%d/%m/%Y')} » → « {new_due.strftime('%d/%m/%Y')} »" in text
    assert "2 cellule(s) modifiée(s) dans des colonnes que l'import ne relit pas" in text
    assert f"« Action » : « Titre retouché par le client » dans le fichier, « {action.title} » dans" in text
    assert "« Priorité »" in text and "workbench actions edit" in text
    # an unreadable date refuses the whole file
    _mutate(path, lambda wb: wb[PLAN_SHEET].cell(row=3, column=col("Échéance"), value="31/02/2027"))
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError, match="ligne 3 : échéance « 31/02/2027 » illisible"):
        import_action_plan(ws.store, m1, path, referential=ref)
    assert snapshot(ws, m1) == before


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
    # Without the provenance sheet, the document properties still name the mission…
    _mutate(path, lambda wb: wb.remove(wb[PROVENANCE_SHEET]))
    with pytest.raises(PlanImportError, match=f"mission « {m2.id} »"):
        import_action_plan(ws.store, m1, path)
    # … and without them either, the action ids give it away.
    _mutate(path, lambda wb: setattr(wb.custom_doc_props, "props", []))
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


# -- text that looks like a formula ---------------------------------------------------------

FORMULA_LIKE = ["=> relancer", "+33 6 00", "-- à voir", "@Paul"]


def test_text_that_looks_like_a_formula_round_trips_as_text(plan, tmp_path):
    ws, m1, _, ref = plan
    actions = ws.store.list_actions(m1.id)[:len(FORMULA_LIKE)]
    for action, text in zip(actions, FORMULA_LIKE, strict=True):
        ws.store.update_action(action.id, comment=text, owner=text)
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    sheet = load_workbook(path)[PLAN_SHEET]
    by_id = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for action, text in zip(actions, FORMULA_LIKE, strict=True):
        for name in ("Commentaire", "Responsable"):
            cell = by_id[action.id][col(name) - 1]
            assert cell.value == text and cell.data_type == "s", (name, text)
            assert cell.quotePrefix  # Excel shows it as text, not #NAME?
        assert by_id[action.id][col("Commentaire") - 1].number_format == "@"  # typed text stays text
    # What Excel would display (cached values only) is the text itself, not an empty formula result.
    cached = load_workbook(path, data_only=True)[PLAN_SHEET]
    shown = {row[0]: row[col("Commentaire") - 1] for row in cached.iter_rows(min_row=2, values_only=True)}
    assert [shown[a.id] for a in actions] == FORMULA_LIKE
    before = snapshot(ws, m1)
    report = import_action_plan(ws.store, m1, path)
    assert report.changes == [] and report.skipped == [] and report.conflicts == []
    assert snapshot(ws, m1) == before
    assert [a.comment for a in ws.store.list_actions(m1.id)[:len(FORMULA_LIKE)]] == FORMULA_LIKE


def test_formula_typed_in_an_editable_cell_never_blanks_the_stored_value(plan, tmp_path):
    ws, m1, _, ref = plan
    first, second, third = ws.store.list_actions(m1.id)[:3]
    ws.store.update_action(first.id, comment="Grille en cours de rédaction")
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")

    def client_edits(wb):
        sheet = wb[PLAN_SHEET]
        rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
        # openpyxl stores these as formulas, as Excel does when the client types them.
        sheet.cell(row=rows[first.id], column=col("Commentaire"), value="=> relancer")
        sheet.cell(row=rows[second.id], column=col("Statut"), value="=A1")
        sheet.cell(row=rows[third.id], column=col("Statut"), value="Fait")

    _mutate(path, client_edits)
    report = import_action_plan(ws.store, m1, path)
    stored = {a.id: a for a in ws.store.list_actions(m1.id)}
    assert stored[first.id].comment == "Grille en cours de rédaction"
    assert stored[second.id].status == ActionStatus.A_FAIRE
    assert stored[third.id].status == ActionStatus.FAIT
    assert [(c.action_id, c.field) for c in report.changes] == [(third.id, "status")]
    assert {(s.action_id, s.field) for s in report.skipped} == {(first.id, "comment"), (second.id, "status")}
    text = report.text()
    assert "2 cellule(s) ignorée(s) car elles contiennent une formule" in text
    assert f"action {first.id} : commentaire « => relancer » non repris" in text
    assert "« Grille en cours de rédaction »" in text and "apostrophe" in text


# -- changes made in the application since the export -------------------------------------


def _edit_rows(path, edits):
    """edits: {action_id: {column header: value}} applied to the exported sheet."""
    def apply(wb):
        sheet = wb[PLAN_SHEET]
        rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
        for action_id, cells in edits.items():
            for name, value in cells.items():
                sheet.cell(row=rows[action_id], column=col(name), value=value)
    _mutate(path, apply)


def test_export_carries_each_row_version(plan, tmp_path):
    ws, m1, _, ref = plan
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    sheet = load_workbook(path)[PLAN_SHEET]
    versions = {r[0]: r[col("Version") - 1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert versions == {a.id: a.updated_at.isoformat() for a in ws.store.list_actions(m1.id)}


def test_value_changed_since_export_is_a_conflict_and_kept(plan, tmp_path):
    ws, m1, _, ref = plan
    a1, a2, a3, a4, a5 = ws.store.list_actions(m1.id)[:5]
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    # After the file was sent, the consultant works in the application.
    ws.store.update_action(a1.id, status=ActionStatus.FAIT)
    ws.store.update_action(a3.id, comment="Relance envoyée")
    ws.store.update_action(a4.id, title="Intitulé reformulé")  # neither status nor comment
    ws.store.update_action(a5.id, status=ActionStatus.EN_COURS)
    ws.store.update_action(a5.id, status=ActionStatus.A_FAIRE)  # back to the exported value
    # Meanwhile the client edits the file exported before.
    _edit_rows(path, {
        a1.id: {"Commentaire": "Vu avec la direction"},  # status still « À faire » in the file
        a2.id: {"Statut": "En cours"},
        a3.id: {"Statut": "Fait", "Commentaire": "Rien à signaler"},
        a4.id: {"Statut": "Fait"},
        a5.id: {"Statut": "Fait"},
    })
    history_before = len(ws.store.history(m1.id))
    report = import_action_plan(ws.store, m1, path)
    stored = {a.id: a for a in ws.store.list_actions(m1.id)}
    assert stored[a1.id].status == ActionStatus.FAIT  # not set back to « À faire »
    assert stored[a1.id].comment == "Vu avec la direction"
    assert stored[a2.id].status == ActionStatus.EN_COURS
    assert stored[a3.id].status == ActionStatus.FAIT and stored[a3.id].comment == "Relance envoyée"
    assert stored[a4.id].status == ActionStatus.FAIT and stored[a4.id].title == "Intitulé reformulé"
    assert stored[a5.id].status == ActionStatus.FAIT
    assert {(k.action_id, k.field, k.stored, k.in_file) for k in report.conflicts} == {
        (a1.id, "status", "Fait", "À faire"), (a3.id, "comment", "Relance envoyée", "Rien à signaler")}
    assert len(ws.store.history(m1.id)) == history_before + len(report.changes) == history_before + 5
    text = report.text()
    assert "2 conflit(s)" in text and "Conflits : 2 valeur(s) modifiée(s) dans l'application" in text
    assert f"Action {a1.id} " in text and "statut enregistré « Fait » conservé ; le fichier indique « À faire »" in text
    assert "--force" in text

    # --force applies the file anyway; the history keeps what it replaced.
    forced = import_action_plan(ws.store, m1, path, force=True)
    assert forced.conflicts == [] and all(c.overrides for c in forced.changes)
    stored = {a.id: a for a in ws.store.list_actions(m1.id)}
    assert stored[a1.id].status == ActionStatus.A_FAIRE and stored[a3.id].comment == "Rien à signaler"
    last = [h for h in ws.store.history(m1.id) if h.entity_key == str(a1.id) and h.field == "status"][-1]
    assert (last.before, last.after) == ("fait", "a_faire")
    assert "--force : remplace une modification faite dans l'application depuis l'export" in forced.text()


def test_conflict_without_history_trace_keeps_both_fields(plan, tmp_path):
    ws, m1, _, ref = plan
    actions = ws.store.list_actions(m1.id)
    action = actions[0]
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    _edit_rows(path, {action.id: {"Statut": "Fait", "Commentaire": "ok"}})
    # Modified since the export (e.g. merged from a bundle) with no history entry to tell which field.
    changed = action.model_copy(update={"updated_at": action.updated_at + dt.timedelta(seconds=5)})
    report = read_action_plan(path, m1, [changed, *actions[1:]], history=[])
    assert report.changes == [] and {k.field for k in report.conflicts} == {"status", "comment"}


def test_old_file_without_version_is_refused_unless_forced(plan, tmp_path):
    ws, m1, _, ref = plan
    action = ws.store.list_actions(m1.id)[0]
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    _edit_rows(path, {action.id: {"Statut": "Fait"}})
    _mutate(path, lambda wb: wb[PLAN_SHEET].delete_cols(col("Version")))
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError) as exc:
        import_action_plan(ws.store, m1, path)
    assert "colonne masquée « Version » est absente" in str(exc.value)
    assert "Exportez à nouveau le plan" in str(exc.value) and "Aucune action n'a été modifiée" in str(exc.value)
    assert snapshot(ws, m1) == before
    report = import_action_plan(ws.store, m1, path, force=True)
    assert [(c.action_id, c.field) for c in report.changes] == [(action.id, "status")]
    assert "sans colonne « Version »" in report.text()


@pytest.mark.parametrize("version", ["", "hier", 46000])
def test_altered_version_cell_is_refused(plan, tmp_path, version):
    ws, m1, _, ref = plan
    action = ws.store.list_actions(m1.id)[0]
    path = export(ws, m1, ref, tmp_path / "plan.xlsx")
    _edit_rows(path, {action.id: {"Statut": "Fait", "Version": version}})
    before = snapshot(ws, m1)
    with pytest.raises(PlanImportError, match="« Version » est vide ou a été modifiée"):
        import_action_plan(ws.store, m1, path)
    assert snapshot(ws, m1) == before


# -- export never clobbers a file -----------------------------------------------------------


def test_cli_export_refuses_to_overwrite_without_force(plan, tmp_path, workspace_dir):
    ws, m1, _, _ = plan
    out = tmp_path / "plan-client.xlsx"
    out.write_bytes(b"copie modifiee par le client")
    res = run_cli("actions", "export", "organisme-b", "--mission", m1.id, "-o", str(out), workspace=workspace_dir)
    assert res.code == 2 and "existe déjà" in res.err and "--force" in res.err and "Traceback" not in res.err
    assert out.read_bytes() == b"copie modifiee par le client"
    res = run_cli("actions", "export", "organisme-b", "--mission", m1.id, "-o", str(out), "--force",
                  workspace=workspace_dir)
    assert res.code == 0, res.err
    assert load_workbook(out)[PLAN_SHEET].max_row == len(ws.store.list_actions(m1.id)) + 1
    assert sorted(p.name for p in tmp_path.glob("*plan-client*")) == ["plan-client.xlsx"]  # no temporary file


def test_export_refuses_overwrite_and_writes_atomically(plan, tmp_path, monkeypatch):
    ws, m1, _, ref = plan
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"original")
    with pytest.raises(UsageError, match="existe déjà"):
        export_action_plan(path, mission=m1, client_name="Organisme B", actions=ws.store.list_actions(m1.id),
                           referential=ref, overwrite=False)
    assert path.read_bytes() == b"original"

    def boom(self):
        raise OSError("disque plein")

    monkeypatch.setattr("openpyxl.writer.excel.ExcelWriter.write_data", boom)
    with pytest.raises(OSError, match="disque plein"):
        export(ws, m1, ref, path)  # overwrite allowed, but the write fails half-way
    assert path.read_bytes() == b"original"
    assert [p.name for p in tmp_path.glob("*plan.xlsx*")] == ["plan.xlsx"]  # no temporary file left


def test_cli_import_reports_conflicts_and_force_applies(plan, tmp_path, workspace_dir):
    ws, m1, _, _ = plan
    out = tmp_path / "export.xlsx"
    res = run_cli("actions", "export", "organisme-b", "--mission", m1.id, "-o", str(out), workspace=workspace_dir)
    assert res.code == 0, res.err
    action = load_workbook(out)[PLAN_SHEET].cell(row=2, column=1).value
    res = run_cli("actions", "import", "organisme-b", str(out), "--mission", m1.id, workspace=workspace_dir)
    assert res.code == 0 and "Aucun changement" in res.out
    ws.store.update_action(action, status=ActionStatus.FAIT)
    _edit_rows(out, {action: {"Statut": "Abandonné"}})
    res = run_cli("actions", "import", "organisme-b", str(out), "--mission", m1.id, workspace=workspace_dir)
    assert res.code == 0, res.err
    assert "1 conflit(s)" in res.out and "statut enregistré « Fait » conservé" in res.out
    assert next(a for a in ws.store.list_actions(m1.id) if a.id == action).status == ActionStatus.FAIT
    res = run_cli("actions", "import", "organisme-b", str(out), "--mission", m1.id, "--force",
                  workspace=workspace_dir)
    assert res.code == 0, res.err
    assert "« Fait » → « Abandonné »" in res.out
    assert next(a for a in ws.store.list_actions(m1.id) if a.id == action).status == ActionStatus.ABANDONNE
