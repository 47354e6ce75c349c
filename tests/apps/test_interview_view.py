"""The ipywidgets view without a browser: set values, click buttons, check the SQLite store."""

from __future__ import annotations

import datetime as dt
import json

import ipywidgets as W
import pytest

from tests.support import make_profile, seed_mission
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
    date_box = find(app.card, "wb-question-date-revue-risques")[0]
    date_field = find(date_box, "wb-date")[0]
    date_field.value = "1/10/2026"  # French order; a half-typed date is refused, never saved
    assert stored(workspace, mission, 32).responses.get("date-revue-risques") == "2026-10-01"
    date_field.value = "0002-12-09"
    assert "année hors des limites" in find(date_box, "wb-inline")[0].value
    date_field.value = "01/10/2026"
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
    app.evidence_date.value = "1/9/26"  # mistyped: refused next to the form, nothing added
    app.evidence_add.click()
    assert "format attendu : JJ/MM/AAAA" in app.evidence_msg.value
    assert workspace.store.list_evidence(mission.id, "rnq-2026:ind:01") == []
    app.evidence_date.value = "01/09/2026"
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
    assert 14 not in [v for _, v in app.jump.options]  # out of scope: not in the walk by default
    app.show_na.value = True
    assert any(label.startswith("∅ 14.") for label, _ in app.jump.options)
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
    """Typing saves once, after a pause, with the last value. The loop's clock is driven by hand, so
    the test does not depend on how fast the machine is."""
    import asyncio

    from workbench.apps.interview.view import _TextSaver

    class ManualClockLoop(asyncio.SelectorEventLoop):
        now = 1000.0

        def time(self) -> float:
            return self.now

    saved: list[str] = []
    loop = ManualClockLoop()

    async def settle() -> None:  # let the loop run whatever is due at the current time
        for _ in range(3):
            await asyncio.sleep(0)

    async def typing() -> None:
        saver = _TextSaver(saved.append, delay=0.05)
        for text in ("P", "Pr", "Pro"):
            saver(text)
            loop.now += 0.03  # shorter than the delay: each keystroke postpones the save
            await settle()
        assert saved == []  # still typing: nothing written yet
        loop.now += 0.019  # 0.049 s since the last keystroke
        await settle()
        assert saved == []
        loop.now += 0.002  # the pause now exceeds the delay
        await settle()
        assert saved == ["Pro"]  # one save after the pause, with the last value
        saver("Proc")
        saver.flush()  # moving to another indicator flushes at once
        assert saved == ["Pro", "Proc"]
        loop.now += 1
        await settle()
        assert saved == ["Pro", "Proc"]  # the flushed value is not saved a second time

    try:
        loop.run_until_complete(typing())
    finally:
        loop.close()


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


# -- two tabs, feedback in sight, navigation (issue 12) -----------------------------------------


def test_second_tab_with_a_stale_value_is_told_and_chooses(workspace, mission):
    old_tab = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    new_tab = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    new_tab.verdict.value = "conforme"
    new_tab.finding.value = "Catalogue à jour"
    old_tab.finding.value = "Catalogue incomplet"  # this tab still shows the empty finding
    assert stored(workspace, mission, 1).finding == "Catalogue à jour"  # nothing overwritten
    panel = find(old_tab.card, "wb-conflict")
    assert len(panel) == 1
    shown = texts(panel[0])
    assert "modifié ailleurs" in shown and "Catalogue à jour" in shown and "Catalogue incomplet" in shown
    assert "Non enregistré" in old_tab.status.value
    find(panel[0], "wb-conflict-keep")[0].click()
    assert stored(workspace, mission, 1).finding == "Catalogue incomplet"
    notes = [h.after for h in workspace.store.history(mission.id, "rnq-2026:ind:01") if h.field == "finding"]
    assert notes == ["Catalogue à jour", "Catalogue incomplet"]  # the history keeps both
    assert find(old_tab.card, "wb-conflict") == []


def test_stale_verdict_can_be_dropped_for_the_saved_one(workspace, mission):
    old_tab = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    new_tab = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    new_tab.verdict.value = "nc_majeure"
    old_tab.verdict.value = "conforme"
    assert stored(workspace, mission, 1).verdict == Verdict.NC_MAJEURE
    assert old_tab.verdict.value == "non_evalue"  # snapped back to what it showed
    find(old_tab.card, "wb-conflict-take")[0].click()
    assert old_tab.verdict.value == "nc_majeure"
    assert stored(workspace, mission, 1).verdict == Verdict.NC_MAJEURE


def test_refusal_is_shown_next_to_the_verdict(app):
    app.jump.value = 3
    app.verdict.value = "non_applicable"
    assert "Justification obligatoire" in app.verdict_msg.value
    assert app.verdict.value == "non_evalue"
    assert app.justification.layout.display != "none"  # the box asked for is shown


def test_hints_only_under_the_verdicts_they_concern(app):
    app.jump.value = 3
    assert app.verdict_hint.layout.display == "none"
    assert app.justification.layout.display == "none"
    app.verdict.value = "nc_mineure"
    assert app.verdict_hint.layout.display != "none"
    app.verdict.value = "conforme"
    assert app.verdict_hint.layout.display == "none"


def test_next_skips_non_applicable_and_jump_list_follows_filters(workspace):
    m = seed_mission(workspace, make_profile("of-af", name="OF AF", categories=["AF"], conditions=[]))
    app = InterviewApp(InterviewModel(workspace, m.id), text_delay=0)
    walked = [app.model.current.number]
    while not app.next_button.disabled:
        app.next_button.click()
        walked.append(app.model.current.number)
    out_of_scope = {e.number for e in app.model.entries if not e.applicable}
    assert out_of_scope and not out_of_scope & set(walked)
    app.jump.value = 1
    app.verdict.value = "conforme"
    assert app.jump.options[0][0].startswith("✔ 1.")
    app.only_unevaluated.value = True
    numbers = [v for _, v in app.jump.options]
    assert 1 not in numbers or app.model.current.number == 1
    assert all(app.model.verdict(app.model.entry_by_number(n).id) == Verdict.NON_EVALUE
               for n in numbers if n != app.model.current.number)


def test_evidence_with_a_file_is_copied_hashed_and_shown(app, workspace, mission):
    import hashlib

    pdf = b"%PDF-1.4\n% enquete\n" + b"x" * 2048
    app.evidence_label.value = "Enquête à froid"
    app.evidence_file.value = ({"name": "../../enquête froid.pdf", "type": "application/pdf",
                                "size": len(pdf), "content": memoryview(pdf), "last_modified": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},)
    app.evidence_add.click()
    [ev] = workspace.store.list_evidence(mission.id, "rnq-2026:ind:01")
    [attached] = app.model.evidence_files().values()
    assert attached.sha256 == hashlib.sha256(pdf).hexdigest() and attached.media_type == "application/pdf"
    stored_at = workspace.path / attached.stored_path
    assert stored_at.read_bytes() == pdf
    assert stored_at.parent == workspace.path / "clients" / mission.client_id / "preuves"  # no way out
    assert "📎 ../../enquête froid.pdf" in texts(app.card)


def test_evidence_file_of_a_forbidden_type_is_refused_and_nothing_saved(app, workspace, mission):
    app.evidence_label.value = "Script"
    exe = b"MZ\x90\x00" + b"\x00" * 100
    app.evidence_file.value = ({"name": "catalogue.pdf", "type": "application/pdf", "size": len(exe),
                                "content": memoryview(exe), "last_modified": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},)
    app.evidence_add.click()
    assert "Type de fichier non accepté" in app.evidence_msg.value
    assert workspace.store.list_evidence(mission.id, "rnq-2026:ind:01") == []
    assert not (workspace.path / "clients").exists()


def test_hiding_a_hint_hides_nothing_else(app):
    """Layouts are per widget: hiding the NC hint must not hide the card (shared Layout trap)."""
    app.jump.value = 3
    assert app.verdict_hint.layout.display == "none"
    assert app.card.layout.display != "none"
    assert all(getattr(w, "layout", None) is not app.verdict_hint.layout for w in app.card.children)
