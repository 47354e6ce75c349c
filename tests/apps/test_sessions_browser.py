"""End to end: the session-file review served by Voilà like the dashboard (token, locked down, the
command line of ``workbench sessions app``), one file reviewed through the page in Debian's Chromium,
read back from the store."""

from __future__ import annotations

import pytest

from tests.support import seed_sample, serve_dashboard
from workbench.apps.sessions.launch import review_app
from workbench.domain.checklist import ReviewStatus
from workbench.services.sessions import repository
from workbench.services.workspace import Workspace

pytestmark = pytest.mark.browser
LOAD_TIMEOUT_MS = 120_000


def test_review_one_file_through_the_page(browser, seeded_mission, tmp_path):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir) as ws:
        sample = seed_sample(ws, mission.client_id, mission.id)
    target = sample.references[1]
    with serve_dashboard(ws_dir, mission.client_id, mission.id, log_dir=tmp_path, prepare=review_app) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            # without the token: no review
            page.goto(server.url, timeout=LOAD_TIMEOUT_MS)
            assert page.locator(".wb-review").count() == 0
            page.goto(server.token_url, timeout=LOAD_TIMEOUT_MS)
            page.wait_for_selector(".wb-file-select select", timeout=LOAD_TIMEOUT_MS)
            page.select_option(".wb-file-select select", value=None, label=None, index=1)
            page.wait_for_selector(f"h3:has-text('{target}')", timeout=30_000)
            page.locator(".wb-status-satisfaction-froid button", has_text="Manquant").click()
            page.wait_for_selector(".wb-save-status:has-text('Enregistré')", timeout=30_000)
            evidence = page.locator(".wb-evidence-analyse-besoin input")
            evidence.fill("Questionnaire de besoin signé, 12/01/2026")
            evidence.press("Enter")
            note = page.locator(".wb-note-satisfaction-froid input")
            note.fill("Enquête à froid jamais envoyée")
            note.press("Tab")
            page.locator(".wb-status-analyse-besoin button", has_text="Présent").click()

            def stored() -> dict:
                with Workspace.open(ws_dir) as ws:
                    return {r.item_id: r for r in repository(ws).list_reviews(mission.id, target)}

            for _ in range(100):
                got = stored()
                if (got.get("satisfaction-froid") and got["satisfaction-froid"].note
                        and got.get("analyse-besoin") and got["analyse-besoin"].status == ReviewStatus.PRESENT):
                    break
                page.wait_for_timeout(300)
            got = stored()
            assert got["satisfaction-froid"].status == ReviewStatus.MISSING
            assert got["satisfaction-froid"].note == "Enquête à froid jamais envoyée"
            assert got["analyse-besoin"].status == ReviewStatus.PRESENT
            assert got["analyse-besoin"].evidence == "Questionnaire de besoin signé, 12/01/2026"
            with Workspace.open(ws_dir) as ws:
                history = [h for h in ws.store.history(mission.id) if h.entity == "session_review"]
                assert {h.entity_key for h in history} == {f"{target}/satisfaction-froid", f"{target}/analyse-besoin"}
                assert ws.store.get_state(mission.id, "sessions.current_file") == target
            assert "Traceback" not in page.content()
        finally:
            context.close()
    assert server.leftovers == [] and not server.forced
