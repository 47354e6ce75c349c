"""The widget-free interview model, against a real workspace and SQLite store."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tests.support import make_profile, seed_mission
from workbench.apps.interview import InterviewError, InterviewModel, build_app, open_model
from workbench.apps.interview.model import STATE_CURRENT, normalize_response
from workbench.core.vocab import MissionType, Role, Verdict
from workbench.services.workspace import Workspace


@pytest.fixture
def mission(workspace):
    return seed_mission(workspace)


@pytest.fixture
def model(workspace, mission):
    return InterviewModel(workspace, mission.id)


def db_answer(workspace, mission_id, ind_id):
    """Read straight from the SQLite file, bypassing every cache."""
    con = sqlite3.connect(workspace.settings.store_path)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM answers WHERE mission_id=? AND indicator_id=?",
                           (mission_id, ind_id)).fetchone()
    finally:
        con.close()


# -- context --------------------------------------------------------------------------------

def test_context_and_entries(model, mission):
    assert model.mission.id == mission.id
    assert model.referential.id == "rnq-2026"
    assert model.grid.id == "preaudit-rnq-2026"
    assert [e.number for e in model.entries] == list(range(1, 34))
    assert all(e.applicable for e in model.entries)
    assert model.current.number == 1


def test_non_applicable_indicators_are_kept_with_reason(workspace):
    m = seed_mission(workspace, make_profile("of-court", name="OF Court", categories=["AF"],
                                             conditions=["short_courses_only"]))
    model = InterviewModel(workspace, m.id)
    assert len(model.entries) == 33
    na = {e.number: e.reason for e in model.entries if not e.applicable}
    assert 14 in na and "CFA" in na[14]
    assert 27 in na and "sous-traitance" in na[27]
    # 2026 (issue 10): 12 stays, in part, for short courses: only its violence and
    # discrimination questions are asked.
    assert 12 not in na
    twelve = model.entry_by_number(12)
    assert "en partie" in twelve.reason and "2 jours" in twelve.reason
    assert "procedure-abandon" not in [q.id for q in twelve.questions]
    # progress counts applicable indicators only
    assert model.progress().applicable == 33 - len(na)


def test_major_only_verdicts(model):
    e4 = model.entry_by_number(4)
    assert e4.major_only and Verdict.NC_MINEURE not in e4.allowed_verdicts
    e1 = model.entry_by_number(1)
    assert not e1.major_only and Verdict.NC_MINEURE in e1.allowed_verdicts
    # 33: grading unknown (no V10 guide) -> both options stay available
    assert Verdict.NC_MINEURE in model.entry_by_number(33).allowed_verdicts


# -- navigation -----------------------------------------------------------------------------

def test_next_prev_and_bounds(model):
    assert not model.go_prev()
    assert model.go_next() and model.current.number == 2
    assert model.go_prev() and model.current.number == 1
    model.jump(33)
    assert not model.go_next() and model.current.number == 33
    assert not model.has_next() and model.has_prev()


def test_jump_by_number_and_criterion(model):
    assert model.jump(17).number == 17
    assert model.jump_criterion(6).number == 23
    assert model.jump_criterion(7).number == 30
    with pytest.raises(InterviewError, match="L'indicateur 40 ne fait pas partie"):
        model.jump(40)


def test_filter_not_evaluated(model):
    model.set_verdict("conforme", indicator_id="rnq-2026:ind:02")
    model.set_verdict("nc_majeure", indicator_id="rnq-2026:ind:03")
    shown = model.set_filters(only_unevaluated=True)
    assert [e.number for e in shown][:3] == [1, 4, 5]
    assert model.go_next() and model.current.number == 4


def test_filter_in_nc(model):
    model.set_verdict("nc_mineure", indicator_id="rnq-2026:ind:08")
    model.set_verdict("nc_majeure", indicator_id="rnq-2026:ind:20")
    model.set_verdict("conforme", indicator_id="rnq-2026:ind:21")
    shown = model.set_filters(only_nc=True)
    assert [e.number for e in shown] == [8, 20]
    assert model.current.number == 8  # moved: indicator 1 is not in NC
    assert model.go_next() and model.current.number == 20
    assert not model.go_next()


def test_filter_by_role(model):
    shown = model.set_filters(role=Role.REFERENT_HANDICAP)
    numbers = [e.number for e in shown]
    assert 26 in numbers and 20 in numbers
    assert 2 not in numbers
    assert all(Role.REFERENT_HANDICAP in e.roles for e in shown)
    model.set_filters(role=None)
    assert len(model.visible()) == 33


def test_no_match_keeps_current(model):
    model.jump(5)
    assert model.set_filters(only_nc=True) == []
    assert model.current.number == 5


# -- progress -------------------------------------------------------------------------------

def test_progress_overall_and_per_criterion(model):
    p = model.progress()
    assert (p.evaluated, p.applicable) == (0, 33)
    assert p.per_criterion[1] == (0, 3) and p.per_criterion[7] == (0, 4)
    model.set_verdict("conforme", indicator_id="rnq-2026:ind:01")
    model.set_verdict("nc_majeure", indicator_id="rnq-2026:ind:31")
    model.set_verdict("non_applicable", justification="Pas de sous-traitance cette année",
                      indicator_id="rnq-2026:ind:27")
    model.set_private_notes("rien", indicator_id="rnq-2026:ind:02")  # notes only: still not evaluated
    p = model.progress()
    assert (p.evaluated, p.applicable) == (3, 33)
    assert p.per_criterion[1] == (1, 3) and p.per_criterion[6] == (1, 7) and p.per_criterion[7] == (1, 4)
    assert p.label == "3 / 33 indicateurs applicables évalués"
    model.set_verdict("non_evalue", indicator_id="rnq-2026:ind:01")
    assert model.progress().evaluated == 2


# -- rules ----------------------------------------------------------------------------------

def test_minor_nc_refused_on_major_only_indicator(model, workspace, mission):
    with pytest.raises(InterviewError, match="ne peut donner lieu qu'à une NC majeure"):
        model.set_verdict(Verdict.NC_MINEURE, indicator_id="rnq-2026:ind:04")
    assert db_answer(workspace, mission.id, "rnq-2026:ind:04") is None
    model.set_verdict(Verdict.NC_MINEURE, indicator_id="rnq-2026:ind:01")
    assert db_answer(workspace, mission.id, "rnq-2026:ind:01")["verdict"] == "nc_mineure"


def test_non_applicable_requires_justification(model, workspace, mission):
    with pytest.raises(InterviewError, match="Justification obligatoire"):
        model.set_verdict(Verdict.NON_APPLICABLE, indicator_id="rnq-2026:ind:27")
    with pytest.raises(InterviewError, match="Justification obligatoire"):
        model.set_verdict(Verdict.NON_APPLICABLE, justification="   ", indicator_id="rnq-2026:ind:27")
    assert db_answer(workspace, mission.id, "rnq-2026:ind:27") is None
    # justification typed first, then the verdict
    model.set_na_justification("Aucune sous-traitance", indicator_id="rnq-2026:ind:27")
    model.set_verdict(Verdict.NON_APPLICABLE, indicator_id="rnq-2026:ind:27")
    row = db_answer(workspace, mission.id, "rnq-2026:ind:27")
    assert row["verdict"] == "non_applicable" and row["na_justification"] == "Aucune sous-traitance"
    with pytest.raises(InterviewError, match="justification ne peut pas être vide"):
        model.set_na_justification("", indicator_id="rnq-2026:ind:27")
    assert db_answer(workspace, mission.id, "rnq-2026:ind:27")["na_justification"] == "Aucune sous-traitance"


def test_out_of_scope_indicator_uses_applicability_reason(workspace):
    m = seed_mission(workspace, make_profile("of-simple", name="OF", categories=["AF"]))
    model = InterviewModel(workspace, m.id)
    model.set_verdict(Verdict.NON_APPLICABLE, indicator_id="rnq-2026:ind:14")
    assert "CFA" in model.answer("rnq-2026:ind:14").na_justification


def test_unknown_verdict_and_indicator(model):
    with pytest.raises(InterviewError, match="Verdict inconnu"):
        model.set_verdict("excellent")
    with pytest.raises(InterviewError, match="ne fait pas partie de cet entretien"):
        model.set_private_notes("x", indicator_id="rnq-2019-v9:ind:01")


# -- saves land in SQLite -------------------------------------------------------------------

def test_every_save_is_written_at_once(model, workspace, mission):
    ind = "rnq-2026:ind:30"
    model.set_verdict("nc_mineure", indicator_id=ind)
    model.set_private_notes("Pas d'enquête financeurs en 2026", indicator_id=ind)
    model.set_respondent("Direction", indicator_id=ind)
    model.set_response("parties-sollicitees", ["Financeurs", "Bénéficiaires"], indicator_id=ind)
    model.set_response("taux-reponse", "42,5", indicator_id=ind)
    model.set_response("analyse-resultats", True, indicator_id=ind)
    model.set_proof("Synthèse des résultats et relances", True, indicator_id=ind)
    row = db_answer(workspace, mission.id, ind)
    assert row["verdict"] == "nc_mineure"
    assert row["private_notes"] == "Pas d'enquête financeurs en 2026"
    assert row["respondent"] == "Direction"
    import json
    assert json.loads(row["responses"]) == {
        "parties-sollicitees": ["Bénéficiaires", "Financeurs"], "taux-reponse": 42.5, "analyse-resultats": True,
    }
    assert json.loads(row["checklist"]) == {"Synthèse des résultats et relances": True}
    # history keeps each change
    fields = [h.field for h in workspace.store.history(mission.id, ind)]
    assert fields.count("responses") == 3 and "verdict" in fields and "private_notes" in fields
    assert model.last_saved_at is not None


def test_response_validation(model):
    with pytest.raises(InterviewError, match="Choix non prévu"):
        model.set_response("frequence-actualisation", "Tous les jours", indicator_id="rnq-2026:ind:02")
    with pytest.raises(InterviewError, match="Nombre attendu"):
        model.set_response("taux-reponse", "beaucoup", indicator_id="rnq-2026:ind:30")
    with pytest.raises(InterviewError, match="cette date n'existe pas"):
        model.set_response("date-revue-risques", "31/02/2026", indicator_id="rnq-2026:ind:32")
    with pytest.raises(InterviewError, match="Question inconnue"):
        model.set_response("nope", "x", indicator_id="rnq-2026:ind:32")
    with pytest.raises(InterviewError, match="Preuve inconnue"):
        model.set_proof("Une preuve inventée", True, indicator_id="rnq-2026:ind:32")
    model.set_response("date-revue-risques", dt.date(2026, 9, 1), indicator_id="rnq-2026:ind:32")
    assert model.answer("rnq-2026:ind:32").responses == {"date-revue-risques": "2026-09-01"}
    model.set_response("date-revue-risques", None, indicator_id="rnq-2026:ind:32")
    assert model.answer("rnq-2026:ind:32").responses == {}


def test_normalize_yes_no():
    from workbench.referential.grids import default_grids

    q = default_grids().for_referential("rnq-2026").indicators["rnq-2026:ind:03"].questions[0]
    assert normalize_response(q, "Oui") is True and normalize_response(q, False) is False
    assert normalize_response(q, "") is None
    with pytest.raises(InterviewError):
        normalize_response(q, "peut-être")


def test_evidence_add_and_remove(model, workspace, mission):
    ind = "rnq-2026:ind:02"
    with pytest.raises(InterviewError, match="intitulé de la preuve"):
        model.add_evidence("  ", indicator_id=ind)
    ev = model.add_evidence("Enquête à froid", "Drive/Qualité/2026", "2026-06-30", indicator_id=ind)
    model.add_evidence("Tableau InserJeunes", indicator_id=ind)
    stored = workspace.store.list_evidence(mission.id, ind)
    assert [(e.label, e.location, e.represents_date) for e in stored] == [
        ("Enquête à froid", "Drive/Qualité/2026", dt.date(2026, 6, 30)), ("Tableau InserJeunes", "", None),
    ]
    model.remove_evidence(ev.id, indicator_id=ind)
    assert [e.label for e in workspace.store.list_evidence(mission.id, ind)] == ["Tableau InserJeunes"]
    assert [e.label for e in model.evidence(ind)] == ["Tableau InserJeunes"]
    with pytest.raises(InterviewError, match="n'appartient pas"):
        model.remove_evidence(ev.id, indicator_id="rnq-2026:ind:03")


# -- resume ---------------------------------------------------------------------------------

def test_reopening_resumes_where_the_consultant_left(workspace, mission):
    model = InterviewModel(workspace, mission.id)
    model.jump(17)
    model.set_private_notes("Locaux visités", indicator_id=model.current.id)
    assert workspace.store.get_state(mission.id, STATE_CURRENT) == "rnq-2026:ind:17"
    workspace.close()
    reopened = Workspace.open(workspace.path, actor="autre")
    try:
        again = InterviewModel(reopened, mission.id)
        assert again.current.number == 17
        assert again.answer().private_notes == "Locaux visités"
    finally:
        reopened.close()


def test_open_model_picks_latest_mission_and_validates_client(workspace, mission):
    assert open_model(workspace, mission.client_id).mission.id == mission.id
    with pytest.raises(Exception, match="identifiant client invalide"):
        open_model(workspace, "../etc")
    w = build_app(workspace, "inconnu")
    assert "Client inconnu" in w.value and "wb-open-error" in w._dom_classes


# -- surveillance missions ------------------------------------------------------------------

def test_surveillance_mission_uses_short_grid_plus_previous_ncs(workspace):
    first = seed_mission(workspace, audit_date=dt.date(2026, 11, 10))
    workspace.store.save_answer(first.id, "rnq-2026:ind:30", verdict=Verdict.NC_MINEURE)
    workspace.store.save_answer(first.id, "rnq-2026:ind:09", verdict=Verdict.NC_MINEURE)
    surv = seed_mission(workspace, audit_date=dt.date(2027, 11, 10), mission_type=MissionType.PREP_SURVEILLANCE)
    model = InterviewModel(workspace, surv.id)
    numbers = [e.number for e in model.entries]
    assert model.grid.id == "surveillance-rnq-2026"
    assert 9 in numbers and 30 in numbers and 1 in numbers
    assert 2 not in numbers and 8 not in numbers
    assert "relevée à la mission précédente" in model.source_label(model.entry_by_number(30))
    assert model.progress().applicable == len(numbers)


def test_two_sessions_on_one_mission_keep_each_others_ticks_and_answers(workspace, mission):
    """JupyterLab and Voilà (or an old tab) open on the same mission: nothing is lost."""
    from workbench.apps.interview.model import InterviewModel
    from workbench.core.vocab import QuestionKind

    samples = {QuestionKind.YES_NO: lambda q: True, QuestionKind.TEXT: lambda q: "texte",
               QuestionKind.NUMBER: lambda q: 3, QuestionKind.DATE: lambda q: "2026-01-15",
               QuestionKind.SINGLE_CHOICE: lambda q: q.choices[0],
               QuestionKind.MULTIPLE_CHOICE: lambda q: [q.choices[0]]}
    a = InterviewModel(workspace, mission.id)
    b = InterviewModel(workspace, mission.id)  # loaded before a writes anything
    entry = next(e for e in a.entries if len(e.proofs) >= 2 and len(e.questions) >= 2)
    a.set_proof(entry.proofs[0], True, indicator_id=entry.id)
    b.set_proof(entry.proofs[1], True, indicator_id=entry.id)
    assert workspace.store.get_answer(mission.id, entry.id).checklist == {entry.proofs[0]: True,
                                                                         entry.proofs[1]: True}
    q1, q2 = entry.questions[:2]
    a.set_response(q1.id, samples[q1.kind](q1), indicator_id=entry.id)
    b.set_response(q2.id, samples[q2.kind](q2), indicator_id=entry.id)
    assert set(workspace.store.get_answer(mission.id, entry.id).responses) == {q1.id, q2.id}
    b.set_response(q2.id, None, indicator_id=entry.id)  # clearing an answer removes it
    assert set(workspace.store.get_answer(mission.id, entry.id).responses) == {q1.id}


def test_history_names_the_consultant_and_reads_in_french(tmp_path):
    """« Qui » is the consultant of the workspace settings, not the login; values are readable."""
    from tests.support import run_cli, seed_mission
    from workbench.services.workspace import Workspace

    (tmp_path / "workbench.yaml").write_text("branding:\n  consultant: Claire Martin\n", encoding="utf-8")
    with Workspace.open(tmp_path) as ws:
        m = seed_mission(ws)
        model = InterviewModel(ws, m.id)
        model.set_proof(model.current.proofs[0], True)
        model.add_evidence("Enquête à froid", "Drive", "15/09/2026")
        assert ws.store.history(m.id)[-1].actor == "Claire Martin"
    out = run_cli("mission", "history", m.id, workspace=tmp_path).out
    assert "Claire Martin" in out
    assert "cochées : " in out and "Enquête à froid — Drive — représente le 15/09/2026" in out
    assert '{"' not in out  # no raw JSON
