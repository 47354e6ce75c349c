"""The interview app's deliverable panel: report texts and actions, saved with history."""

from __future__ import annotations

import pytest

from tests.support import seed_mission
from workbench.apps.interview import InterviewApp, InterviewModel
from workbench.apps.interview.deliverable import DeliverablePanel
from workbench.core.vocab import ActionStatus
from workbench.store.report_texts import get_report_texts


@pytest.fixture
def mission(workspace):
    return seed_mission(workspace)


def test_texts_are_saved_from_the_panel(workspace, mission):
    panel = DeliverablePanel(workspace, mission.id)
    panel.summary.value = "Démarche bien engagée."
    panel.visit_dates.value = "2026-11-20, 2026-11-21"
    panel.people.value = "Mme Roux : directrice\nM. Blanc"
    panel.documents.value = "Livret d'accueil"
    panel.signatory.value = "Sophie Durand"
    panel.save_texts.click()
    assert "✔" in panel.status.value
    texts = get_report_texts(workspace.store, mission.id)
    assert texts.summary == "Démarche bien engagée." and len(texts.visit.dates) == 2
    assert texts.visit.people[0].role == "directrice" and texts.signature.name == "Sophie Durand"
    panel.visit_dates.value = "20/11/2026"
    panel.save_texts.click()
    assert "✖" in panel.status.value and "AAAA-MM-JJ" in panel.status.value
    assert len(get_report_texts(workspace.store, mission.id).visit.dates) == 2  # nothing lost


def test_actions_added_edited_abandoned_from_the_app(workspace, mission):
    app = InterviewApp(InterviewModel(workspace, mission.id), text_delay=0)
    assert app.deliverable.root in app.widget.children  # part of the interview screen
    panel = app.deliverable
    panel.new_indicator.value = 4
    panel.title.value = "Formaliser l'analyse du besoin"
    panel.owner.value = "Mme Roux"
    panel.due.value = "2027-01-15"
    panel.add_button.click()
    assert "ajoutée" in panel.status.value
    action = workspace.store.list_actions(mission.id)[-1]
    assert action.owner == "Mme Roux" and str(action.due_date) == "2027-01-15"
    assert panel.action_choice.value == action.id
    panel.action_status.value = ActionStatus.EN_COURS.value
    panel.owner.value = "M. Blanc"
    panel.edit_button.click()
    panel.comment.value = "remplacée"
    panel.abandon_button.click()
    saved = next(a for a in workspace.store.list_actions(mission.id) if a.id == action.id)
    assert saved.status == ActionStatus.ABANDONNE and saved.owner == "M. Blanc"
    fields = [h.field for h in workspace.store.history(mission.id) if h.entity == "action" and h.entity_key == str(action.id)]
    assert fields.count("status") == 2 and "owner" in fields
