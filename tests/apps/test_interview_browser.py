"""End to end: Voilà serves notebooks/entretien_preaudit.ipynb, headless Chromium answers an
indicator, and the answer is read back from the SQLite file.

No network: every request that does not go to the local Voilà server is aborted, so the test
also shows that the app works offline.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support import serve_interview

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 120_000
ACTION_TIMEOUT_MS = 20_000
NOTE = "Programme sans délai d'accès ni accessibilité — vu avec la direction"


def read_answer(db: Path, mission_id: str, indicator_id: str) -> dict | None:
    con = sqlite3.connect(db, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        row = con.execute("SELECT verdict, finding FROM answers WHERE mission_id=? AND indicator_id=?",
                          (mission_id, indicator_id)).fetchone()
        return dict(row) if row else None
    finally:
        con.close()


def wait_for_answer(db: Path, mission_id: str, indicator_id: str, expected: dict, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        row = read_answer(db, mission_id, indicator_id)
        if row == expected:
            return row
        time.sleep(0.2)
    raise AssertionError(f"Réponse attendue {expected!r}, trouvée {row!r} après {timeout} s")




def test_answer_an_indicator_in_voila_and_read_it_back(browser, seeded_mission, tmp_path):
    workspace_dir, mission = seeded_mission
    db = workspace_dir / "workbench.db"
    external: list[str] = []
    with serve_interview(workspace_dir, mission.client_id, mission.id, log_dir=tmp_path) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(ACTION_TIMEOUT_MS)

            def only_local(route):
                if route.request.url.startswith(server.url):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", only_local)
            response = page.goto(server.url, timeout=LOAD_TIMEOUT_MS)
            # Locked down: the page may only load from the local server.
            csp = response.headers.get("content-security-policy", "")
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            try:
                page.wait_for_selector(".wb-verdict button", timeout=LOAD_TIMEOUT_MS)
            except PlaywrightTimeoutError:
                pytest.fail("L'application n'est pas apparue. Journal Voilà :\n" + server.log()[-4000:])

            assert "Indicateur 1 —" in page.locator(".wb-title").inner_text()
            assert "CFA Horizon" in page.locator(".wb-app").inner_text()
            # sources are stripped: the notebook's code is not in the page
            assert "build_app(" not in page.content()

            # answer indicator 1: verdict, then a note
            page.locator(".wb-verdict button", has_text="NC majeure").click()
            page.locator(".wb-verdict button.mod-active", has_text="NC majeure").wait_for()
            notes = page.locator(".wb-finding textarea")
            notes.fill(NOTE)
            notes.press("Tab")
            page.locator(".wb-status", has_text="Enregistré à").wait_for()
            row = wait_for_answer(db, mission.id, "rnq-2026:ind:01", {"verdict": "nc_majeure", "finding": NOTE})
            assert row["finding"] == NOTE
            page.locator(".wb-progress", has_text="1 / 33").wait_for()

            # a major-only indicator offers no minor NC
            page.locator(".wb-next button, button.wb-next").first.click()
            page.locator(".wb-title", has_text="Indicateur 2 —").wait_for()
            page.locator(".wb-jump select").select_option(label="○ 4. Analyse du besoin")
            page.locator(".wb-title", has_text="Indicateur 4 —").wait_for()
            buttons = page.locator(".wb-verdict button").all_inner_texts()
            assert "NC majeure" in [b.strip() for b in buttons]
            assert "NC mineure" not in [b.strip() for b in buttons]
        finally:
            context.close()
    assert server.stopped_cleanly, (server.exit_code, server.forced, server.leftovers, server.log()[-2000:])
    # Reopening resumes on the last indicator shown (saved through the store by the kernel).
    con = sqlite3.connect(db)
    try:
        state = con.execute("SELECT value FROM ui_state WHERE mission_id=?", (mission.id,)).fetchone()
    finally:
        con.close()
    assert state is not None and "rnq-2026:ind:04" in state[0]
    # The CSP stops the stock template's CDN stylesheets in the browser: nothing even tries the network.
    assert external == []
