"""End to end: a client's dashboard served by Voilà for client A only, read in headless Chromium.

The workspace holds several clients (the demo). Whatever the query string says, the page shows A
and nothing of the others; without the token it shows nothing at all; the database file is left
byte for byte as it was. No network: every request that does not go to the local server is aborted.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support import serve_dashboard
from workbench.core.vocab import ActionStatus
from workbench.services.demo import CLIENTS
from workbench.services.workspace import Workspace

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 120_000
A = "forma-sud-conseil"
B = "cfa-batiment-avenir"
QUERIES = (
    f"client={B}",
    f"WORKBENCH_CLIENT={B}&mission={B}-m1",
    f"client={B}&workspace=/tmp&mission={A}-m1",
    "voila-template=classic&voila-theme=dark&client=..%2F..%2Fetc",
)


def db_fingerprint(db: Path) -> tuple[str, int, int]:
    """SHA-256 of the file, and its history and answer row counts (read through a read-only URI)."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        history = con.execute("SELECT COUNT(*) FROM history").fetchone()[0]
        answers = con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        con.close()
    return digest, history, answers


@pytest.fixture
def demo_info(demo: Path):
    """The shared demo (see ``demo_source``): profiles, missions per client, A's non-abandoned actions."""
    ws = Workspace.open(demo, actor="consultant-test")
    try:
        profiles = {p.id: p for p in ws.store.list_clients()}
        missions = {c: [m.id for m in ws.store.list_missions(c)] for c in profiles}
        actions = ws.store.list_actions(missions[A][-1])
        total = sum(1 for a in actions if a.status != ActionStatus.ABANDONNE)
    finally:
        ws.close()
    return demo, profiles, missions, total


def markers(profile, missions: list[str]) -> list[str]:
    return [profile.name, profile.siret, *missions]


def test_dashboard_shows_only_its_client_whatever_the_query_string(browser, demo_info, tmp_path):
    workspace_dir, profiles, missions, total = demo_info
    db = workspace_dir / "workbench.db"
    before = db_fingerprint(db)
    a = profiles[A]
    others = [c.id for c in CLIENTS if c.id != A]
    assert B in others and missions[B]  # B really is in the same database
    external: list[str] = []
    pages: list[str] = []

    with serve_dashboard(workspace_dir, A, log_dir=tmp_path) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()

            def only_local(route):
                if route.request.url.startswith(server.url):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", only_local)
            for query in ("", *QUERIES):
                url = server.token_url + (f"&{query}" if query else "")
                response = page.goto(url, timeout=LOAD_TIMEOUT_MS)
                csp = response.headers.get("content-security-policy", "")
                assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
                assert response.headers.get("referrer-policy") == "no-referrer"
                try:
                    page.wait_for_selector(".wb-dash-client", timeout=LOAD_TIMEOUT_MS)
                except PlaywrightTimeoutError:
                    pytest.fail(f"Tableau de bord absent ({query!r}). Journal Voilà :\n" + server.log()[-4000:])
                assert page.locator(".wb-dash-client").inner_text().strip() == a.name
                pages.append(page.content())

            # What the client sees, in French, read-only.
            text = page.locator(".wb-dash").inner_text()
            assert "Projection, pas une décision du certificateur" in text
            assert "Taux de préparation".lower() in text.lower()
            assert f"1 / {total}" in page.locator(".wb-dash-progress").inner_text()
            assert "Audit de surveillance entre le" in text  # certification calendar
            assert "Durée estimée" in text
            assert page.locator(".wb-dash input, .wb-dash button, .wb-dash select, .wb-dash textarea").count() == 0
            assert page.locator(".wb-dash-gaps tbody tr").count() > 0
            assert page.locator(".wb-dash-plan tbody tr").count() == total + 1
        finally:
            context.close()

        # Without the token: the login page, nothing of any client.
        stranger = browser.new_context()
        try:
            page = stranger.new_page()
            page.goto(server.url + f"?client={A}", timeout=LOAD_TIMEOUT_MS)
            content = page.content()
            assert "/login" in page.url
            assert a.name not in content and "wb-dash" not in content
        finally:
            stranger.close()

    assert server.stopped_cleanly, (server.exit_code, server.forced, server.leftovers, server.log()[-2000:])
    for content in pages:
        assert "build_dashboard(" not in content  # sources stripped
        assert "Traceback" not in content
        # the latest mission, known by its referential (2026): the client never sees an internal id
        for marker in markers(a, ["décret n° 2026-728"]):
            assert marker in content
        assert missions[A][-1] not in content
        assert f"{A}-m1" not in content  # latest mission only, the query string does not switch it
        for other in others:
            for marker in markers(profiles[other], missions[other]):
                assert marker not in content, f"{marker!r} ({other}) visible dans le tableau de bord de {A}"
            assert other not in content
    assert external == []
    assert db_fingerprint(db) == before, "la base a été modifiée par le tableau de bord"
