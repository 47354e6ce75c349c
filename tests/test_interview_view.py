"""The ipywidgets view without a browser: set values, click buttons, check the SQLite store."""

from __future__ import annotations

import datetime as dt
import json

import ipywidgets as W
import pytest

from tests.voila_support import make_profile, seed_mission
from workbench.apps.interview import InterviewApp, InterviewModel, build_app
from workbench.core.vocab import Verdict


@pytest.fixture
def mission(workspace):
    return seed_mission(workspace)


@pytest.fixture
def app(workspace, mission):
    return InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)


def stored(workspace, mission, number):
    return workspace.store.get_answer(mission.id, f"rnq-2026:ind:{number:02d}")


def find(widget, cls):
    """Every descendant carrying a CSS class (how the tests and the browser find widgets)."""
    found = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if cls in getattr(w, "_dom_classes", ()):
            found.append(w)
        stack.extend(getattr(w, "children", ()))
    return found


def texts(widget) -> str:
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, W.HTML):
            out.append(w.value)
        stack.extend(getattr(w, "children", ()))
    return " ".join(out)


def test_app_is_displayable_and_shows_header(app, mission):
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    header = texts(app.header)
    assert "CFA Horizon" in header and mission.id in header
    assert "15/12/2026" in header
    assert app.model.referential.version in header and "Pré-audit Qualiopi — RNQ 2026" in header
    assert "0 / 33" in app.progress_label.value
    assert "Critère 7 : 0/4" in app.criteria_progress.value


def test_build_app_from_paths(workspace, mission):
    built = build_app(str(workspace.path), mission.client_id, "")
    assert isinstance(built, InterviewApp) and built.model.mission.id == mission.id
    built.model.workspace.close()


def test_verdict_and_notes_are_saved(app, workspace, mission):
    app.verdict.value = "nc_majeure"
    app.finding.value = "Programmes sans délai d'accès"
    answer = stored(workspace, mission, 1)
    assert answer.verdict == Verdict.NC_MAJEURE
    assert answer.finding == "Programmes sans délai d'accès"
    assert app.status.value.startswith("<span class='wb-status-ok'>✔ Enregistré à ")
    assert "1 / 33" in app.progress_label.value


def test_minor_option_absent_for_major_only(app):
    app.model.jump(4)
    app._render_card()
    labels = [label for label, _ in app.verdict.options]
    assert "NC mineure" not in labels and "NC majeure" in labels
    assert "NC majeure uniquement" in texts(app.card)
    app.next_button.click()  # 5: major only too
    app.prev_button.click()
    app.prev_button.click()  # 3: gradable
    assert app.model.current.number == 3
    assert "NC mineure" in [label for label, _ in app.verdict.options]


def test_non_applicable_without_justification_is_refused_and_reverted(app, workspace, mission):
    app.verdict.value = "non_applicable"
    assert "Justification obligatoire" in app.status.value
    assert app.verdict.value == "non_evalue"
    assert stored(workspace, mission, 1).verdict == Verdict.NON_EVALUE
    app.justification.value = "Activité suspendue"
    app.verdict.value = "non_applicable"
    answer = stored(workspace, mission, 1)
    assert answer.verdict == Verdict.NON_APPLICABLE and answer.na_justification == "Activité suspendue"


def test_navigation_buttons_jump_and_criterion(app, workspace, mission):
    assert app.prev_button.disabled and not app.next_button.disabled
    app.next_button.click()
    assert app.model.current.number == 2 and "Indicateur 2 —" in texts(app.card)
    app.jump.value = 20
    assert app.model.current.number == 20 and "Indicateur 20 —" in texts(app.card)
    app.criterion.value = 5
    assert app.model.current.number == 21 and app.criterion.value == 0
    assert app.jump.value == 21
    # the saved position
    assert workspace.store.get_state(mission.id, "interview.current_indicator") == "rnq-2026:ind:21"


def test_filters(app):
    app.model.set_verdict("nc_majeure", indicator_id="rnq-2026:ind:10")
    app.only_nc.value = True
    assert app.model.current.number == 10
    assert app.next_button.disabled and app.prev_button.disabled
    assert "1 indicateur(s) correspondent" in app.position_label.value
    app.only_nc.value = False
    app.only_unevaluated.value = True
    assert app.model.current.number == 11  # the next one still to evaluate
    app.next_button.click()
    assert app.model.current.number == 12
    app.model.set_verdict("conforme", indicator_id="rnq-2026:ind:33")
    app.jump.value = 33
    app.only_unevaluated.value = False
    app.only_unevaluated.value = True
    assert app.model.current.number == 32  # nothing after: the last one still to evaluate
    app.only_unevaluated.value = False
    app.role_filter.value = "referent_handicap"
    assert all("referent_handicap" in {r.value for r in e.roles} for e in app.model.visible())


def test_question_widgets_save_responses(app, workspace, mission):
    app.jump.value = 30
    multi = find(app.card, "wb-question-parties-sollicitees")[0]
    boxes = {b.description: b for b in multi.children}
    boxes["Bénéficiaires"].value = True
    boxes["Entreprises"].value = True
    find(app.card, "wb-question-taux-reponse")[0].value = "61"
    find(app.card, "wb-question-analyse-resultats")[0].value = "non"
    answer = stored(workspace, mission, 30)
    assert answer.responses == {
        "parties-sollicitees": ["Bénéficiaires", "Entreprises"], "taux-reponse": 61, "analyse-resultats": False,
    }
    boxes["Bénéficiaires"].value = False
    assert stored(workspace, mission, 30).responses["parties-sollicitees"] == ["Entreprises"]
    find(app.card, "wb-question-taux-reponse")[0].value = "beaucoup"
    assert "Nombre attendu" in app.status.value
    assert stored(workspace, mission, 30).responses["taux-reponse"] == 61


def test_date_single_choice_and_text_questions(app, workspace, mission):
    app.jump.value = 32
    find(app.card, "wb-question-date-revue-risques")[0].value = dt.date(2026, 10, 1)
    find(app.card, "wb-question-analyse-risques")[0].value = "En cours"
    find(app.card, "wb-question-action-recente")[0].value = "Nouvelle enquête à froid"
    r = stored(workspace, mission, 32).responses
    assert r == {"date-revue-risques": "2026-10-01", "analyse-risques": "En cours",
                 "action-recente": "Nouvelle enquête à froid"}


def test_checklist_and_respondent(app, workspace, mission):
    boxes = [w for w in find(app.card, "wb-checklist")[0].children if isinstance(w, W.Checkbox)]
    boxes[0].value = True
    app.respondent.value = "Référent pédagogique"
    a = stored(workspace, mission, 1)
    assert a.checklist == {boxes[0].description: True}
    assert a.respondent == "Référent pédagogique"


def test_evidence_add_and_remove_buttons(app, workspace, mission):
    app.evidence_add.click()
    assert "intitulé de la preuve" in app.status.value
    app.evidence_label.value = "Catalogue 2026"
    app.evidence_location.value = "Site, page formations"
    app.evidence_date.value = dt.date(2026, 9, 1)
    app.evidence_add.click()
    evs = workspace.store.list_evidence(mission.id, "rnq-2026:ind:01")
    assert [(e.label, e.location, e.represents_date) for e in evs] == [
        ("Catalogue 2026", "Site, page formations", dt.date(2026, 9, 1))]
    assert "Catalogue 2026" in texts(app.card)
    remove = find(app.card, "wb-evidence-remove")
    assert len(remove) == 1
    remove[0].click()
    assert workspace.store.list_evidence(mission.id, "rnq-2026:ind:01") == []
    assert "Catalogue 2026" not in texts(app.card)


def test_new_entrant_treatment_is_shown(workspace):
    m = seed_mission(workspace, make_profile("cfa-neuf", name="CFA Neuf", new_entrant={"all_categories": True}))
    app = InterviewApp(InterviewModel(workspace, m.id), text_delay=0)
    app.jump.value = 2
    card = texts(app.card)
    assert "Nouvel entrant" in card and "À montrer dès maintenant" in card
    assert "Attendu à l'audit de surveillance" in card
    app.jump.value = 4  # no adapted audit on indicator 4
    assert "Nouvel entrant" not in texts(app.card)


def test_non_applicable_indicator_is_shown_with_reason(workspace):
    m = seed_mission(workspace, make_profile("of-af", name="OF AF", categories=["AF"], conditions=[]))
    app = InterviewApp(InterviewModel(workspace, m.id), text_delay=0)
    app.jump.value = 14
    card = texts(app.card)
    assert "Non applicable :" in card and "CFA" in card
    app.verdict.value = "non_applicable"  # the applicability reason is a justification
    a = workspace.store.get_answer(m.id, "rnq-2026:ind:14")
    assert a.verdict == Verdict.NON_APPLICABLE and "CFA" in a.na_justification
    assert app.justification.value == a.na_justification


def test_resume_after_reopening(workspace, mission):
    app = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    app.jump.value = 12
    app.finding.value = "Procédure harcèlement en cours de rédaction"
    again = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    assert again.model.current.number == 12
    assert again.finding.value == "Procédure harcèlement en cours de rédaction"
    assert json.loads(json.dumps(again.jump.value)) == 12


def test_history_records_each_text_change(app, workspace, mission):
    app.finding.value = "a"
    app.finding.value = "ab"
    notes = [h.after for h in workspace.store.history(mission.id, "rnq-2026:ind:01") if h.field == "finding"]
    assert notes == ["a", "ab"]


def test_text_saver_debounces_inside_a_running_loop():
    import asyncio

    from workbench.apps.interview.view import _TextSaver

    saved: list[str] = []

    async def typing() -> None:
        saver = _TextSaver(saved.append, delay=0.05)
        for text in ("P", "Pr", "Pro"):
            saver(text)
            await asyncio.sleep(0.01)
        assert saved == []  # still typing: nothing written yet
        await asyncio.sleep(0.15)
        assert saved == ["Pro"]  # one save after the pause, with the last value
        saver("Proc")
        saver.flush()  # moving to another indicator flushes at once
        assert saved == ["Pro", "Proc"]

    asyncio.run(typing())


@pytest.mark.notebook
def test_notebook_runs_in_a_plain_kernel_as_in_jupyterlab(workspace, mission, tmp_path):
    """The thin notebook executes top to bottom with papermill parameters and displays the app."""
    import papermill as pm

    from workbench.apps.interview.launch import NOTEBOOK

    out = tmp_path / "entretien.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={
        "workspace": str(workspace.path), "client": mission.client_id, "mission": mission.id,
    }, kernel_name="python3", progress_bar=False)
    import nbformat

    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not any(o.get("output_type") == "error" for o in outputs)
