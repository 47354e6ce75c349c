"""Recurring tasks: the catalogue, each client's plan, due dates, the store and the CLI contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support import run_cli
from workbench.core.errors import ReferentialError
from workbench.core.vocab import Category, Condition
from workbench.domain.profile import Certification, ClientProfile
from workbench.domain.tasks import (
    REVIEW_TASK_ID,
    Completion,
    PlanTask,
    TaskStatus,
    applicable_catalogue,
    due_soon_days,
    load_catalogue,
    load_catalogue_file,
    next_due,
    plan_view,
    slugify,
    task_status,
)
from workbench.referential.applicability import Scope
from workbench.services import lifecycle
from workbench.store import tasks as task_store

D = dt.date

# -- catalogue ------------------------------------------------------------------------------


def test_catalogue_covers_every_item_the_issue_lists():
    cat = load_catalogue()
    ids = {t.id for t in cat.tasks}
    assert {"catalogue-programmes", "supports-pedagogiques", "livret-accueil", "documents-logistiques",
            "documents-administratifs", "indicateurs-resultats", "suivi-reclamations", "procedures-amelioration",
            "dossiers-formateurs", "veille-legale", "veille-metiers", "veille-innovation", "handicap-partenaires",
            "veille-handicap", REVIEW_TASK_ID} <= ids
    review = cat.get(REVIEW_TASK_ID)
    assert review is not None and review.title == "Revue périodique des dossiers de session"
    for t in cat.tasks:
        assert t.title and t.what and t.proof and t.indicators and 1 <= t.frequency_months <= 60
    # The legal watch must be passed on to trainers and staff (indicator 23).
    assert 23 in cat.get("veille-legale").indicators and "formateurs" in cat.get("veille-legale").what


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["tasks"][0].update(frequency_months=0), "tâche 1 (catalogue-programmes) — champ « frequency_months »"),
        (lambda d: d["tasks"][1].update(id="catalogue-programmes"), "en double"),
        (lambda d: d["tasks"][2].update(role="chef"), "champ « role »"),
        (lambda d: d["tasks"][3].pop("proof"), "champ « proof » : champ obligatoire manquant"),
        (lambda d: d["tasks"][0].update(surprise=1), "champ inconnu"),
    ],
)
def test_a_broken_catalogue_is_refused_naming_task_and_field(tmp_path, mutate, expected):
    import yaml

    from workbench.domain.tasks import CATALOGUE_PATH

    data = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    mutate(data)
    bad = tmp_path / "catalogue.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReferentialError) as exc:
        load_catalogue_file(bad)
    assert expected in exc.value.message and str(bad) in exc.value.message


@pytest.mark.parametrize(
    "categories, conditions, present, absent",
    [
        ({Category.AF}, set(), {"veille-legale", REVIEW_TASK_ID}, {"sous-traitants", "insertion-apprentis",
                                                                    "taux-certification", "reseau-entreprises"}),
        ({Category.AF}, {Condition.SUBCONTRACTING, Condition.CERTIFYING}, {"sous-traitants", "taux-certification"},
         {"insertion-apprentis"}),
        ({Category.CFA}, set(), {"insertion-apprentis", "reseau-entreprises", "taux-certification"}, set()),
        ({Category.BC}, set(), {"veille-handicap"}, {"taux-certification", "reseau-entreprises"}),
    ],
)
def test_plan_keeps_only_what_applies_to_the_scope(ref2026, categories, conditions, present, absent):
    scope = Scope(categories=frozenset(categories), conditions=frozenset(conditions))
    ids = {t.id for t in applicable_catalogue(load_catalogue(), ref2026, scope)}
    assert present <= ids
    assert not (absent & ids)


# -- due dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frequency, last_done, start, expected",
    [
        (3, None, D(2026, 11, 27), D(2026, 11, 27)),      # never done: due on its start date
        (3, D(2026, 1, 15), D(2020, 1, 1), D(2026, 4, 15)),
        (1, D(2026, 1, 31), D(2020, 1, 1), D(2026, 2, 28)),  # month end, common year
        (1, D(2028, 1, 31), D(2020, 1, 1), D(2028, 2, 29)),  # month end, leap year
        (1, D(2026, 3, 31), D(2020, 1, 1), D(2026, 4, 30)),
        (12, D(2024, 2, 29), D(2020, 1, 1), D(2025, 2, 28)),  # leap day, yearly
        (48, D(2024, 2, 29), D(2020, 1, 1), D(2028, 2, 29)),
        (6, D(2026, 8, 31), D(2020, 1, 1), D(2027, 2, 28)),
        (12, D(2026, 12, 31), D(2020, 1, 1), D(2027, 12, 31)),  # year change
    ],
)
def test_next_due(frequency, last_done, start, expected):
    assert next_due(frequency, last_done, start) == expected


@pytest.mark.parametrize(
    "due, today, frequency, expected",
    [
        (D(2026, 11, 26), D(2026, 11, 27), 12, TaskStatus.OVERDUE),
        (D(2026, 11, 27), D(2026, 11, 27), 12, TaskStatus.DUE_SOON),   # due today: not late yet
        (D(2026, 12, 27), D(2026, 11, 27), 12, TaskStatus.DUE_SOON),   # 30 days ahead
        (D(2026, 12, 28), D(2026, 11, 27), 12, TaskStatus.OK),
        (D(2026, 12, 4), D(2026, 11, 27), 1, TaskStatus.DUE_SOON),     # monthly: a week's notice
        (D(2026, 12, 5), D(2026, 11, 27), 1, TaskStatus.OK),
        (D(2026, 12, 18), D(2026, 11, 27), 3, TaskStatus.DUE_SOON),    # quarterly: 21 days
        (D(2026, 12, 19), D(2026, 11, 27), 3, TaskStatus.OK),
        (D(2028, 3, 1), D(2028, 2, 29), 12, TaskStatus.DUE_SOON),     # leap day
    ],
)
def test_task_status(due, today, frequency, expected):
    assert task_status(due, today, frequency) == expected


def test_due_soon_window_grows_with_frequency_up_to_the_cap():
    assert [due_soon_days(f) for f in (1, 2, 3, 4, 6, 12)] == [7, 14, 21, 28, 30, 30]


START = D(2026, 1, 1)


def _task(task_id="t", frequency=3, start=START, retired=False):
    return PlanTask(client_id="c", id=task_id, title=f"Tâche {task_id}", frequency_months=frequency,
                    start_date=start, retired=retired)


def test_plan_view_takes_the_latest_completion_and_sorts_by_due_date():
    tasks = [_task("a", 3), _task("b", 12), _task("old", 1, retired=True)]
    done = [Completion(id=1, client_id="c", task_id="a", done_on=D(2026, 9, 30), done_by="x"),
            Completion(id=2, client_id="c", task_id="a", done_on=D(2026, 6, 30), done_by="y"),  # entered later
            Completion(id=3, client_id="c", task_id="b", done_on=D(2026, 3, 1), done_by="x")]
    views = plan_view(tasks, done, D(2026, 11, 27))
    assert [v.id for v in views] == ["a", "b"]
    a, b = views
    assert a.last_done == D(2026, 9, 30) and a.last.done_by == "x" and a.next_due == D(2026, 12, 30)
    assert a.status == TaskStatus.OK and a.done_count == 2
    assert b.next_due == D(2027, 3, 1) and b.status == TaskStatus.OK
    assert [v.id for v in plan_view(tasks, done, D(2026, 11, 27), include_retired=True)][-1] == "old"


def test_slugify():
    assert slugify("Veille RSE (clients) — été") == "veille-rse-clients-ete"


# -- store, service and CLI -----------------------------------------------------------------


@pytest.fixture
def client_ws(workspace, ref2026):
    profile = ClientProfile(id="forma-test", name="Forma Test", categories=[Category.AF],
                            conditions=[Condition.CERTIFYING], consultant="Sophie Durand",
                            certification=Certification(certified=True, certificate_date=D(2025, 3, 10)))
    workspace.store.create_client(profile)
    from workbench.core.vocab import MissionType

    workspace.new_mission("forma-test", mission_type=MissionType.PREP_SURVEILLANCE, audit_date=D(2026, 12, 8))
    return workspace


def test_plan_is_instantiated_once_and_retired_tasks_never_come_back(client_ws):
    today = D(2026, 11, 27)
    first = lifecycle.plan_tasks(client_ws, "forma-test", today)
    assert {t.id for t in first} >= {"veille-legale", "taux-certification", REVIEW_TASK_ID}
    assert all(t.start_date == today for t in first)
    task_store.update_task(client_ws.store, "forma-test", "veille-innovation", retired=True)
    again = lifecycle.plan_tasks(client_ws, "forma-test", D(2026, 12, 1))
    assert len(again) == len(first)
    assert next(t for t in again if t.id == "veille-innovation").retired
    assert "veille-innovation" not in {v.id for v in lifecycle.task_views(client_ws, "forma-test", today)}


def test_read_only_callers_see_the_plan_without_writing(client_ws):
    views = lifecycle.task_views(client_ws, "forma-test", D(2026, 11, 27), write=False)
    assert views and task_store.list_tasks(client_ws.store, "forma-test") == []


def test_done_with_evidence_feeds_the_gap_analysis_freshness_rule(client_ws):
    from workbench.domain.gaps import RiskKind
    from workbench.services.analysis import load_mission

    today = D(2026, 11, 27)
    mission = client_ws.resolve_mission("forma-test")
    ind23 = client_ws.library.get(mission.referential_id).indicator(23).id
    client_ws.store.save_answer(mission.id, ind23, verdict="conforme")

    def stale_23() -> bool:
        data = load_mission(client_ws, "forma-test", today=today)
        return any(f.kind == RiskKind.STALE_EVIDENCE and f.status.number == 23 for f in data.analysis.risks)

    assert stale_23()  # evaluated, no dated proof
    saved = lifecycle.mark_task_done(client_ws, "forma-test", "veille-legale", done_on=D(2026, 11, 2),
                                     by="Nadia", evidence_label="Note de veille novembre", today=today)
    assert saved.done_by == "Nadia" and saved.represents_date == D(2026, 11, 2) and saved.mission_id == mission.id
    ev = client_ws.store.list_evidence(mission.id, ind23)
    assert [(e.label, e.represents_date) for e in ev] == [("Note de veille novembre", D(2026, 11, 2))]
    assert not stale_23()
    # an old proof is stale again at the audit date
    lifecycle.mark_task_done(client_ws, "forma-test", "veille-legale", done_on=D(2026, 11, 20),
                             evidence_label="Ancienne note", represents_date=D(2025, 6, 1), today=today)
    view = next(v for v in lifecycle.task_views(client_ws, "forma-test", today) if v.id == "veille-legale")
    assert view.last_done == D(2026, 11, 20) and view.next_due == D(2027, 2, 20)
    history = task_store.task_history(client_ws.store, "forma-test", "veille-legale")
    assert [h["field"] for h in history] == ["task", "done", "done"]
    assert history[1]["after"]["evidence_label"] == "Note de veille novembre"


def test_cli_contract(client_ws, workspace_dir):
    client_ws.close()
    r = run_cli("tasks", "list", "forma-test", "--json", "--today", "2026-11-27", workspace=workspace_dir)
    assert r.code == 0, r.err
    rows = r.json()
    for row in rows:
        assert {"id", "title", "indicators", "frequency_months", "last_done", "next_due", "status"} <= set(row)
        assert all(isinstance(n, int) for n in row["indicators"]) and isinstance(row["frequency_months"], int)
        assert row["status"] in ("ok", "due_soon", "overdue")
        dt.date.fromisoformat(row["next_due"])
    assert {r_["last_done"] for r_ in rows} == {None}

    r = run_cli("tasks", "done", "forma-test", "veille-legale", "--date", "2026-10-01", "--evidence",
                "Note de veille T3", workspace=workspace_dir)
    assert r.code == 0 and "Prochaine échéance : 01/01/2027" in r.out and "1 indicateur(s)" in r.out
    r = run_cli("tasks", "add", "forma-test", "--title", "Veille RSE", "--indicators", "24,32", "--frequency", "2",
                "--start", "2026-09-01", workspace=workspace_dir)
    assert r.code == 0, r.err
    r = run_cli("tasks", "edit", "forma-test", "revue-dossiers", "--frequency", "1", "--owner", "Inès",
                workspace=workspace_dir)
    assert r.code == 0 and "fréquence" in r.out
    r = run_cli("tasks", "retire", "forma-test", "veille-innovation", workspace=workspace_dir)
    assert r.code == 0
    rows = {x["id"]: x for x in run_cli("tasks", "list", "forma-test", "--json", "--today", "2026-11-27",
                                        workspace=workspace_dir).json()}
    assert rows["veille-legale"]["last_done"] == "2026-10-01" and rows["veille-legale"]["status"] == "ok"
    assert rows["veille-rse"]["indicators"] == [24, 32] and rows["veille-rse"]["status"] == "overdue"
    assert rows["revue-dossiers"]["frequency_months"] == 1 and rows["revue-dossiers"]["owner"] == "Inès"
    assert "veille-innovation" not in rows
    hist = run_cli("tasks", "history", "forma-test", "revue-dossiers", "--json", workspace=workspace_dir).json()
    assert {(h["field"], json.dumps(h["after"], ensure_ascii=False)) for h in hist} >= {
        ("frequency_months", "1"), ("owner", '"Inès"')}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("tasks", "done", "forma-test", "inconnue"), 6, "Tâche inconnue"),
        (("tasks", "done", "forma-test", "../x"), 2, "identifiant de tâche invalide"),
        (("tasks", "done", "forma-test", "veille-legale", "--date", "2099-01-01"), 2, "dans le futur"),
        (("tasks", "done", "forma-test", "veille-legale", "--date", "31/12/2026"), 2, "AAAA-MM-JJ"),
        (("tasks", "done", "forma-test", "veille-legale", "--represents", "2026-01-01"), 2, "--evidence"),
        (("tasks", "edit", "forma-test", "veille-legale", "--frequency", "0"), 2, "fréquence invalide"),
        (("tasks", "edit", "forma-test", "veille-legale"), 2, "rien à modifier"),
        (("tasks", "add", "forma-test", "--title", "Veille légale", "--id", "veille-legale"), 5, "existe déjà"),
        (("tasks", "list", "client-inconnu"), 6, "Client inconnu"),
        (("tasks", "add", "forma-test", "--title", "X", "--indicators", "a,2"), 2, "numéro d'indicateur invalide"),
    ],
)
def test_cli_errors_are_french_with_documented_codes(client_ws, workspace_dir, args, code, message):
    client_ws.close()
    r = run_cli(*args, workspace=workspace_dir)
    assert r.code == code, (r.out, r.err)
    assert message in r.err and "Traceback" not in r.err


def test_retired_task_cannot_be_marked_done_until_reactivated(client_ws, workspace_dir):
    client_ws.close()
    assert run_cli("tasks", "retire", "forma-test", "veille-metiers", workspace=workspace_dir).code == 0
    r = run_cli("tasks", "done", "forma-test", "veille-metiers", workspace=workspace_dir)
    assert r.code == 2 and "--undo" in r.err
    assert run_cli("tasks", "retire", "forma-test", "veille-metiers", "--undo", workspace=workspace_dir).code == 0
    assert run_cli("tasks", "done", "forma-test", "veille-metiers", workspace=workspace_dir).code == 0
