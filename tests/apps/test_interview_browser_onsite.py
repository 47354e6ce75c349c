"""The interview as a consultant uses it for hours (issue 12), in Voilà and headless Chromium:
saved state in sight after scrolling, refusals next to the control, the stale-tab warning, a jump
list that follows the filters, French dates and a French page."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support import serve_interview

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 120_000
ACTION_TIMEOUT_MS = 20_000


def open_app(context, url, server):
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.goto(url, timeout=LOAD_TIMEOUT_MS)
    try:
        page.wait_for_selector(".wb-verdict button", timeout=LOAD_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        pytest.fail("L'application n'est pas apparue. Journal Voilà :\n" + server.log()[-4000:])
    return page


def in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """el => { const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""")


def test_onsite_interview_in_the_browser(browser, seeded_mission, tmp_path):
    workspace_dir, mission = seeded_mission
    with serve_interview(workspace_dir, mission.client_id, mission.id, log_dir=tmp_path) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            page = open_app(context, server.url, server)
            assert page.eval_on_selector("html", "el => el.lang") == "fr"
            assert "Entretien" in page.title()

            # French dates: a half-typed date is refused next to the field, then a full one is kept
            page.locator(".wb-evidence-label input").fill("Enquête à froid 2026")
            page.locator(".wb-evidence-date input").fill("1/9/26")
            page.locator("button.wb-evidence-add, .wb-evidence-add button").first.click()
            page.locator(".wb-inline-evidence", has_text="JJ/MM/AAAA").wait_for()
            page.locator(".wb-evidence-date input").fill("01/09/2026")
            page.locator("button.wb-evidence-add, .wb-evidence-add button").first.click()
            page.locator(".wb-evidence", has_text="représente le 01/09/2026").wait_for()

            # saved state in sight after scrolling down to the notes
            notes = page.locator(".wb-finding textarea")
            notes.scroll_into_view_if_needed()
            notes.fill("Catalogue en ligne, délais d'accès absents")
            notes.press("Tab")
            page.locator(".wb-status", has_text="Enregistré à").wait_for()
            assert in_viewport(page, ".wb-status")

            # a refusal shows next to the verdict
            page.locator(".wb-verdict button", has_text="Non applicable").click()
            page.locator(".wb-inline-verdict", has_text="Justification obligatoire").wait_for()
            assert in_viewport(page, ".wb-inline-verdict") or in_viewport(page, ".wb-status")

            # a second tab writes; the first one, still showing the old notes, is told and chooses
            other = open_app(context, server.url, server)
            other_notes = other.locator(".wb-finding textarea")
            other_notes.fill("Version de l'autre onglet")
            other_notes.press("Tab")
            other.locator(".wb-status", has_text="Enregistré à").wait_for()
            notes = page.locator(".wb-finding textarea")
            notes.fill("Version du premier onglet")
            notes.press("Tab")
            page.locator(".wb-conflict", has_text="modifié ailleurs").wait_for()
            assert "Version de l'autre onglet" in page.locator(".wb-conflict").inner_text()
            page.locator(".wb-conflict-keep button, button.wb-conflict-keep").first.click()
            page.locator(".wb-status", has_text="Enregistré à").wait_for()
            # the jump list carries status marks and follows the filters
            page.locator(".wb-verdict button", has_text="Conforme").click()
            page.locator(".wb-verdict button.mod-active", has_text="Conforme").wait_for()
            page.wait_for_function(
                "() => document.querySelector('.wb-jump select option').innerText.startsWith('✔')")
            options = [o.replace("\xa0", " ") for o in page.locator(".wb-jump select option").all_inner_texts()]
            assert options[0].startswith("✔ 1.")
            page.locator(".wb-filter-unevaluated input").check()
            page.wait_for_function("() => !document.querySelector('.wb-jump select').innerText.includes('✔')")

        finally:
            context.close()
    from workbench.services.workspace import Workspace

    with Workspace.open(workspace_dir) as ws:
        answer = ws.store.get_answer(mission.id, "rnq-2026:ind:01")
        notes = [h.after for h in ws.store.history(mission.id, "rnq-2026:ind:01") if h.field == "finding"]
        [ev] = ws.store.list_evidence(mission.id, "rnq-2026:ind:01")
    assert answer.finding == "Version du premier onglet"
    assert "Version de l'autre onglet" in notes  # history keeps both
    assert ev.represents_date.isoformat() == "2026-09-01"
