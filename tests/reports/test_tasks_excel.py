"""The recurring-task plan exported to Excel for the client and re-imported (action-plan rules)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.support import run_cli
from workbench.core.errors import UsageError
from workbench.core.vocab import Category, MissionType
from workbench.domain.profile import ClientProfile
from workbench.reports.tasks_excel import (
    COMMENT_COLUMN,
    DONE_COLUMN,
    EVIDENCE_COLUMN,
    TASK_SHEET,
    export_task_plan,
    import_task_plan,
)
from workbench.services import lifecycle
from workbench.store import tasks as task_store

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def ws(workspace):
    for cid in ("alpha", "beta"):
        workspace.store.create_client(ClientProfile(id=cid, name=f"Client {cid}", categories=[Category.AF]))
    workspace.new_mission("alpha", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 1, 20))
    return workspace


def _export(ws, path, client="alpha", **kw):
    views = lifecycle.task_views(ws, client, TODAY)
    return export_task_plan(path, client_id=client, client_name=f"Client {client}", views=views, today=TODAY, **kw)


def _edit(path, changes: dict[str, dict[str, object]]) -> None:
    wb = load_workbook(path)
    sheet = wb[TASK_SHEET]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        task_id = row[0].value
        for column, value in changes.get(task_id, {}).items():
            row[header.index(column)].value = value
    wb.save(path)


def test_export_layout(ws, tmp_path):
    path = _export(ws, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    sheet = wb[TASK_SHEET]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["ID", "Version"] and {DONE_COLUMN, EVIDENCE_COLUMN, COMMENT_COLUMN} <= set(header)
    assert sheet.column_dimensions["A"].hidden and sheet.column_dimensions["B"].hidden
    assert sheet.freeze_panes == "B2" and "TachesRecurrentes" in sheet.tables
    assert sheet.max_row - 1 == len(lifecycle.task_views(ws, "alpha", TODAY))
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert "Identifiant client" not in prov  # the id is a document property, not shown
    assert {p.name: p.value for p in wb.custom_doc_props.props}["workbench_client"] == "alpha"
    with pytest.raises(UsageError, match="existe déjà"):
        _export(ws, path)  # never replaces the client's copy without --force
    _export(ws, path, overwrite=True)


def test_round_trip_records_completions_evidence_and_comments(ws, tmp_path):
    path = _export(ws, tmp_path / "plan.xlsx")
    _edit(path, {
        "veille-legale": {DONE_COLUMN: dt.datetime(2026, 11, 20), EVIDENCE_COLUMN: "Note de veille novembre"},
        "livret-accueil": {DONE_COLUMN: "15/11/2026"},
        "veille-metiers": {COMMENT_COLUMN: "Étude de branche reçue"},
        "veille-innovation": {COMMENT_COLUMN: "=1+1"},   # a formula is never read
    })
    report = import_task_plan(ws, "alpha", path, today=TODAY)
    assert {(d.task_id, d.done_on) for d in report.done} == {("veille-legale", dt.date(2026, 11, 20)),
                                                             ("livret-accueil", dt.date(2026, 11, 15))}
    assert report.comments == [("veille-metiers", "", "Étude de branche reçue")]
    assert len(report.skipped) == 1 and "=1+1" in report.skipped[0]
    done = {c.task_id: c for c in task_store.list_completions(ws.store, "alpha")}
    assert done["veille-legale"].source == "excel" and done["veille-legale"].evidence_ids
    assert done["veille-legale"].done_by == "client (fichier Excel)"
    mission = ws.resolve_mission("alpha")
    labels = {e.label for e in ws.store.list_evidence(mission.id)}
    assert "Note de veille novembre" in labels
    # importing the same file again changes nothing
    again = import_task_plan(ws, "alpha", path, today=TODAY)
    assert not again.done and not again.comments and len(again.already) == 2


def test_changes_made_in_the_application_since_export_are_conflicts(ws, tmp_path):
    path = _export(ws, tmp_path / "plan.xlsx")
    lifecycle.mark_task_done(ws, "alpha", "veille-legale", done_on=dt.date(2026, 11, 18), today=TODAY)
    task_store.update_task(ws.store, "alpha", "veille-metiers", comment="noté par le consultant")
    _edit(path, {"veille-legale": {DONE_COLUMN: dt.date(2026, 11, 20)},
                 "veille-metiers": {COMMENT_COLUMN: "du client"},
                 "livret-accueil": {DONE_COLUMN: dt.date(2026, 11, 15)}})
    report = import_task_plan(ws, "alpha", path, today=TODAY)
    assert {c.task_id for c in report.conflicts} == {"veille-legale", "veille-metiers"}
    assert [d.task_id for d in report.done] == ["livret-accueil"]
    assert [c.done_on for c in task_store.list_completions(ws.store, "alpha", "veille-legale")] == [
        dt.date(2026, 11, 18)]
    assert task_store.get_task(ws.store, "alpha", "veille-metiers").comment == "noté par le consultant"
    assert "--force" in report.text()
    forced = import_task_plan(ws, "alpha", path, today=TODAY, force=True)
    assert {d.task_id for d in forced.done} == {"veille-legale"} and forced.done[0].overrides
    assert task_store.get_task(ws.store, "alpha", "veille-metiers").comment == "du client"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"veille-legale": {DONE_COLUMN: "demain"}}, "date de réalisation illisible"),
        ({"veille-legale": {DONE_COLUMN: dt.date(2027, 1, 1)}}, "dans le futur"),
        ({"veille-legale": {"Version": "bricolé"}}, "« Version »"),
        ({"veille-legale": {"ID": "tache-inventee"}}, "tâche inconnue"),
        ({"veille-legale": {"ID": "veille-metiers"}}, "déjà présente"),
    ],
)
def test_a_bad_file_is_refused_whole(ws, tmp_path, changes, message):
    path = _export(ws, tmp_path / "plan.xlsx")
    changes = {**changes, "livret-accueil": {DONE_COLUMN: dt.date(2026, 11, 15)}}
    _edit(path, changes)
    with pytest.raises(UsageError) as exc:
        import_task_plan(ws, "alpha", path, today=TODAY)
    assert message in exc.value.message and "Aucune tâche n'a été modifiée" in exc.value.message
    assert task_store.list_completions(ws.store, "alpha") == []


def test_cli_refuses_another_clients_file(ws, workspace_dir, tmp_path):
    path = _export(ws, tmp_path / "plan.xlsx")
    ws.close()
    r = run_cli("tasks", "import", "beta", str(path), workspace=workspace_dir)
    assert r.code == 2 and "« alpha », pas « beta »" in r.err
    r = run_cli("tasks", "export", "alpha", "-o", str(path), workspace=workspace_dir)
    assert r.code == 2 and "existe déjà" in r.err
    r = run_cli("tasks", "import", "alpha", str(tmp_path / "absent.xlsx"), workspace=workspace_dir)
    assert r.code == 2 and "introuvable" in r.err
