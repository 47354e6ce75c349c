"""The client space in headless Chromium, served by the real ``workbench serve``.

Two clients sign in side by side (two browser contexts): each sees its own space only; A marks an
action done, comments (with markup that must stay text), adds an evidence file; the consultant sees
it from the command line. A revoked code and an empty code get our French page. No request leaves
the local server, no script runs on the page.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.support import run_cli, serve_space
from workbench.services.analysis import update_plan
from workbench.services.demo import build_demo
from workbench.store.client_space import create_access, revoke_access

pytestmark = pytest.mark.browser

A = "forma-sud-conseil"
B = "cfa-batiment-avenir"
REVOKED = "claire-martin-formation"


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    root = tmp_path_factory.mktemp("space-browser")
    ws_dir = root / "espace"
    ws = build_demo(ws_dir)
    try:
        for c in (A, B):
            update_plan(ws, c)
        codes = {c: create_access(ws.store, c)[0] for c in (A, B, REVOKED)}
        revoke_access(ws.store, REVOKED)
        names = {p.id: p.name for p in ws.store.list_clients()}
    finally:
        ws.close()
    with serve_space(ws_dir, root) as server:
        yield ws_dir, server, codes, names


def local_only(context, server, external: list[str]) -> None:
    def route(r):
        if r.request.url.startswith(server.url):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()
    context.route("**/*", route)


def sign_in(page, server, code: str):
    page.goto(server.url)
    page.fill("#code", code)
    page.click("button[type=submit]")


def test_two_clients_side_by_side_each_sees_only_their_space(browser, space):
    ws_dir, server, codes, names = space
    external: list[str] = []
    contexts = [browser.new_context(), browser.new_context()]
    try:
        pages = {}
        for ctx, client in zip(contexts, (A, B), strict=True):
            local_only(ctx, server, external)
            page = ctx.new_page()
            sign_in(page, server, codes[client])
            page.wait_for_selector("h1.wb-dash-client")
            pages[client] = page
        for client, page in pages.items():
            text = page.inner_text("body")
            assert names[client] in text
            for other, name in names.items():
                if other != client:
                    assert name not in text and other not in page.content()
        # A changes the query string: still A
        pages[A].goto(server.url + f"?client={B}")
        assert names[B] not in pages[A].inner_text("body") and names[A] in pages[A].inner_text("body")
    finally:
        for ctx in contexts:
            ctx.close()
    assert external == []


def test_client_acts_and_the_consultant_sees_it(browser, space, tmp_path):
    ws_dir, server, codes, names = space
    ctx = browser.new_context()
    dialogs: list[str] = []
    try:
        external: list[str] = []
        local_only(ctx, server, external)
        page = ctx.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        sign_in(page, server, codes[A])
        first = page.locator("tr.wb-action", has=page.locator("button:has-text('Marquer comme fait')")).first
        title = first.locator("b").first.inner_text()
        first.locator("button:has-text('Marquer comme fait')").click()
        assert "marquée comme faite" in page.inner_text("[role=status]")

        page.locator("summary:has-text('Commenter')").first.click()
        page.locator("details[open] textarea").fill("<script>alert('x')</script> Relu en réunion")
        page.locator("details[open] button").click()
        assert "<script>alert('x')</script> Relu en réunion" in page.inner_text(".wb-changes")

        page.select_option("#indicateur", index=1)
        page.fill("#libelle", "Enquête de satisfaction <b>mars</b>")
        proof = tmp_path / "enquete.pdf"
        proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
        page.set_input_files("#fichier", str(proof))
        page.click("button:has-text('Ajouter la preuve')")
        assert "preuve est ajoutée" in page.inner_text("[role=status]")
        assert "Enquête de satisfaction <b>mars</b>" in page.inner_text(".wb-changes")
        assert page.locator(".wb-changes b:has-text('mars')").count() == 0  # shown as text, not markup
        assert external == [] and dialogs == []
    finally:
        ctx.close()

    con = sqlite3.connect(f"file:{ws_dir / 'workbench.db'}?mode=ro", uri=True)
    try:
        status = con.execute("SELECT status, updated_by FROM actions WHERE title=?", (title,)).fetchone()
    finally:
        con.close()
    assert tuple(status) == ("fait", "client")
    listed = run_cli("client", "changes", A, "--json", workspace=ws_dir).json()
    assert {c["type"] for c in listed} == {"action_faite", "commentaire", "preuve"}
    assert all(c["auteur"] == "client" and c["suite"] == "en_attente" for c in listed)


@pytest.mark.parametrize("which", ["revoked", "empty", "wrong"])
def test_refused_codes_get_our_french_page(browser, space, which):
    ws_dir, server, codes, names = space
    code = {"revoked": codes[REVOKED], "empty": " ", "wrong": "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ"}[which]
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(server.url)
        assert page.url.endswith("/connexion") and page.locator("html[lang=fr]").count() == 1
        page.fill("#code", code)
        page.click("button[type=submit]")
        error = page.inner_text(".wb-error")
        assert ("révoqué" if which == "revoked" else "pas reconnu") in error
        body = page.inner_text("body")
        assert "Jupyter" not in body and all(name not in body for name in names.values())
    finally:
        ctx.close()
