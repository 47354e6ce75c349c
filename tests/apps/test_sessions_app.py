"""The review screen without a browser: set widget values, check the store (history included)."""

from __future__ import annotations

from tests.support import seed_sample
from workbench.apps.sessions import ReviewApp, build_app
from workbench.domain.checklist import ReviewStatus
from workbench.services.sessions import repository
from workbench.services.workspace import Workspace


def find(widget, cls):
    if cls in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        hit = find(child, cls)
        if hit is not None:
            return hit
    return None


def test_widgets_save_at_once_and_reopen_on_the_same_file(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir, actor="consultante") as ws:
        sample = seed_sample(ws, mission.client_id, mission.id)
        app = build_app(ws, mission.client_id, mission.id)
        assert isinstance(app, ReviewApp)
        target = sample.references[2]
        app.files.value = target
        find(app.card, "wb-status-convocation").value = "missing"
        find(app.card, "wb-evidence-programme-remis").value = "Programme v3 envoyé le 02/02"
        assert "Enregistré" in app.status.value
        got = {r.item_id: r for r in repository(ws).list_reviews(mission.id, target)}
        assert got["convocation"].status == ReviewStatus.MISSING
        assert got["programme-remis"].evidence == "Programme v3 envoyé le 02/02"
        reopened = build_app(ws, mission.client_id, mission.id)
        assert reopened.files.value == target
        assert find(reopened.card, "wb-status-convocation").value == "missing"
        assert "1 / 4" not in reopened.header.value  # not every item of the file is checked yet


def test_refused_change_is_shown_and_reverted(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        seed_sample(ws, mission.client_id, mission.id)
        app = build_app(ws, mission.client_id, mission.id)
        ok = app._run(lambda: app.model.save("vae-recevabilite", status="present"))
        assert not ok and "ne s&#x27;applique pas" in app.status.value
        assert repository(ws).list_reviews(mission.id) == []


def test_no_sample_shows_a_french_message(seeded_mission):
    ws_dir, mission = seeded_mission
    widget = build_app(ws_dir, mission.client_id, mission.id)
    assert "Aucun échantillon" in widget.value and "wb-open-error" in widget._dom_classes
    assert "Client inconnu" in build_app(ws_dir, "inconnu", None).value
