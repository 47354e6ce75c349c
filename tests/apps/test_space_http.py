"""The client space over HTTP, served by the real ``workbench serve`` on the demo workspace (7 clients).

Each attempt is one a hostile or clumsy visitor would make: no code, a wrong or revoked code, another
client named in the URL, the query string, a header, a form field or a websocket upgrade, another
client's files, the database itself, a foreign Host (DNS rebinding) or Origin, a form without its
anti-forgery field, an oversized or disguised file.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import sqlite3
from pathlib import Path

import pytest

from tests.support import Browser, run_cli, serve_space
from workbench.core.vocab import ActionStatus
from workbench.domain.client_space import MAX_UPLOAD_BYTES
from workbench.services.analysis import update_plan
from workbench.services.demo import build_demo
from workbench.services.workspace import Workspace
from workbench.store.client_space import create_access, revoke_access

A = "forma-sud-conseil"
B = "cfa-batiment-avenir"
PDF = b"%PDF-1.4\n% test\n"
PRIVATE = "NOTE-PRIVEE-DU-CONSULTANT"


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    """Demo workspace, action plans for A and B, a code each, one server for the module."""
    root = tmp_path_factory.mktemp("space")
    ws_dir = root / "espace"
    ws = build_demo(ws_dir)
    try:
        plans = {c: update_plan(ws, c)[0] for c in (A, B)}
        latest = ws.store.list_missions(A)[-1].id
        for ind in list(ws.store.list_answers(latest))[:5]:  # the consultant's private notes, never shown
            ws.store.save_answer(latest, ind, private_notes=f"{PRIVATE} {ind}")
        codes = {c: create_access(ws.store, c)[0] for c in (A, B, "bilan-horizon")}
        revoke_access(ws.store, "bilan-horizon")
        profiles = {p.id: p for p in ws.store.list_clients()}
        missions = {c: [m.id for m in ws.store.list_missions(c)] for c in profiles}
        actions = {c: [a.id for a in plans[c].actions] for c in (A, B)}
    finally:
        ws.close()
    with serve_space(ws_dir, root) as server:
        yield {"dir": ws_dir, "server": server, "codes": codes, "profiles": profiles, "missions": missions,
               "actions": actions}


def signed_in(space, client: str) -> Browser:
    b = Browser(space["server"].port)
    r = b.sign_in(space["codes"][client])
    assert r.status == 303 and r.headers["location"] == "/", r.text
    return b


def assert_only(space, page: str, client: str) -> None:
    assert space["profiles"][client].name in page
    assert space["missions"][client][-1] not in page  # the client's mission, never shown by its internal id
    assert PRIVATE not in page
    for other, profile in space["profiles"].items():
        if other != client:
            for m in [profile.name, profile.siret, other]:
                assert m not in page, (other, m)


def test_no_code_gets_our_french_sign_in_page_and_no_data(space):
    b = Browser(space["server"].port)
    r = b.get("/")
    assert r.status == 303 and r.headers["location"] == "/connexion"
    page = b.get("/connexion")
    assert page.status == 200 and "Code d'accès" in page.text and 'lang="fr"' in page.text
    assert "Jupyter" not in page.text and "password" in page.text
    for other in space["profiles"].values():
        assert other.name not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "server" not in page.headers


@pytest.mark.parametrize("code, status, fragment", [
    ("AAAAA-BBBBB-CCCCC-DDDDD", 401, "pas reconnu"),
    ("n'importe quoi", 401, "pas reconnu"),
    ("", 401, "pas reconnu"),
])
def test_wrong_codes_are_refused_slowed_and_logged(space, code, status, fragment):
    b = Browser(space["server"].port)
    r = b.sign_in(code)
    assert r.status == status and fragment in r.text and "wb_espace" not in b.cookies
    assert "Code d'accès refusé (inconnu) depuis 127.0.0.1" in space["server"].log()


def test_revoked_code_is_refused_with_its_reason(space):
    b = Browser(space["server"].port)
    r = b.sign_in(space["codes"]["bilan-horizon"])
    assert r.status == 403 and "révoqué" in r.text and "wb_espace" not in b.cookies
    assert "Bilan" not in r.text


def test_code_is_accepted_whatever_its_spacing_and_case(space):
    b = Browser(space["server"].port)
    code = space["codes"][A].lower().replace("-", " ")
    assert b.sign_in(code).status == 303
    assert space["profiles"][A].name in b.get("/").text


@pytest.mark.parametrize("path, headers", [
    ("/", {}),
    (f"/?client={B}&WORKBENCH_CLIENT={B}", {}),
    (f"/?mission={B}-m1", {}),
    ("/", {"X-Workbench-Client": B, "X-Client": B, "X-Forwarded-User": B, "Remote-User": B}),
    ("/", {"Cookie-Extra": f"client={B}"}),
])
def test_a_signed_in_sees_a_only_whatever_the_url_query_or_header(space, path, headers):
    b = signed_in(space, A)
    r = b.get(path, headers=headers)
    assert r.status == 200
    assert_only(space, r.text, A)


def test_b_sees_b_only(space):
    b = signed_in(space, B)
    assert_only(space, b.get("/").text, B)


@pytest.mark.parametrize("path", [
    f"/client/{B}", f"/{B}", "/workbench.db", "/../workbench.db", "/%2e%2e/workbench.db", "/static/workbench.db",
    "/voila/files/workbench.db", "/files/workbench.db", "/api/kernels", "/api/contents", "/tree",
    f"/clients/{B}/preuves", "/fichiers/../../workbench.db", "/login",
])
def test_nothing_else_is_served_to_a_signed_in_client(space, path):
    b = signed_in(space, A)
    r = b.get(path)
    assert r.status == 404 and "Page introuvable" in r.text
    assert b"SQLite format" not in r.body


def test_no_websocket_no_kernel(space):
    b = signed_in(space, A)
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    for path in ("/api/kernels/00000000-0000-0000-0000-000000000000/channels", "/", "/ws"):
        r = b.get(path, headers=upgrade)
        assert r.status != 101
    assert "jupyter" not in space["server"].log().lower()


def test_dns_rebinding_host_and_foreign_origin_are_refused(space):
    b = Browser(space["server"].port)
    r = b.get("/connexion", headers={"Host": f"attacker.example:{space['server'].port}"})
    assert r.status == 403 and "Accès refusé" in r.text
    b2 = signed_in(space, A)
    r = b2.get("/", headers={"Host": "rebind.attacker.example"})
    assert r.status == 403 and space["profiles"][A].name not in r.text
    r = b2.post("/commentaires", {"cible": "", "texte": "depuis ailleurs"},
                headers={"Origin": "http://attacker.example"})
    assert r.status == 403
    r = b2.post("/commentaires", {"cible": "", "texte": "sans jeton"}, xsrf=False)
    assert r.status == 403
    assert "depuis ailleurs" not in b2.get("/").text and "sans jeton" not in b2.get("/").text


def _action_status(space, action_id: int) -> tuple[str, str]:
    con = sqlite3.connect(f"file:{space['dir'] / 'workbench.db'}?mode=ro", uri=True)
    try:
        return tuple(con.execute("SELECT status, updated_by FROM actions WHERE id=?", (action_id,)).fetchone())
    finally:
        con.close()


def test_a_cannot_touch_b_actions(space):
    b = signed_in(space, A)
    target = space["actions"][B][0]
    before = _action_status(space, target)
    r = b.post(f"/actions/{target}/fait", {})
    assert r.status == 404
    r = b.post("/commentaires", {"cible": f"action:{target}", "texte": "sur l'action de B"})
    assert r.status == 404
    assert _action_status(space, target) == before


def test_client_marks_done_and_comments_the_consultant_sees_and_sends_back(space):
    b = signed_in(space, A)
    action = space["actions"][A][0]
    r = b.post(f"/actions/{action}/fait", {})
    assert r.status == 303
    assert _action_status(space, action) == (ActionStatus.FAIT.value, "client")
    hostile = '<img src=x onerror="alert(1)"> \x1b[2J Procédure revue'
    assert b.post("/commentaires", {"cible": f"action:{action}", "texte": hostile}).status == 303
    page = b.get("/").text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "<img src=x" not in page
    assert "\x1b" not in page

    con = sqlite3.connect(f"file:{space['dir'] / 'workbench.db'}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT field, actor FROM history WHERE entity IN ('action','client_change') "
                           "AND actor='client'").fetchall()
    finally:
        con.close()
    assert ("status", "client") in rows and ("action_faite", "client") in rows and ("commentaire", "client") in rows

    out = run_cli("client", "changes", A, "--json", workspace=space["dir"])
    assert out.code == 0, out.err
    changes = out.json()
    kinds = {c["type"]: c for c in changes}
    assert kinds["action_faite"]["auteur"] == "client" and kinds["action_faite"]["nouveau"]
    assert kinds["commentaire"]["texte"].startswith("<img")  # stored as typed, minus control characters
    text = run_cli("client", "changes", A, workspace=space["dir"])
    assert "\x1b" not in text.out and "nouveau" not in text.out  # seen since: nothing new, still pending

    done = kinds["action_faite"]["id"]
    r = run_cli("client", "review", A, str(done), "--send-back", "--note", "Preuve manquante", workspace=space["dir"])
    assert r.code == 0, r.err
    status, by = _action_status(space, action)
    assert status != ActionStatus.FAIT.value and by != "client"
    page = b.get("/").text
    assert "Renvoyé" in page and "Preuve manquante" in page
    again = run_cli("client", "review", A, str(done), "--accept", workspace=space["dir"])
    assert again.code == 2 and "déjà été traitée" in again.err
    other = run_cli("client", "review", B, str(done), "--accept", workspace=space["dir"])
    assert other.code == 6


def test_evidence_with_a_file_is_stored_under_the_client_folder_and_only_a_reaches_it(space):
    a = signed_in(space, A)
    page = a.get("/").text
    indicator = re.search(r'<option value="([^"]+)">', page).group(1)
    r = a.post_file("/preuves", {"indicateur": indicator, "libelle": "Enquête à chaud"}, "../../enquête.pdf", PDF)
    assert r.status == 303
    page = a.get("/").text
    assert "Votre preuve est ajoutée" in page
    link = re.search(r'href="/fichiers/(\d+)">([^<]+)<', page)
    assert link and link.group(2) == "enquete.pdf"
    files = list((space["dir"] / "clients" / A / "preuves").iterdir())
    assert len(files) == 1 and files[0].read_bytes() == PDF
    assert a.get(f"/fichiers/{link.group(1)}").body == PDF

    b = signed_in(space, B)
    assert b.get(f"/fichiers/{link.group(1)}").status == 404
    anonymous = Browser(space["server"].port)
    assert anonymous.get(f"/fichiers/{link.group(1)}").status == 401

    con = sqlite3.connect(f"file:{space['dir'] / 'workbench.db'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT created_by, owner, location FROM evidence WHERE label='Enquête à chaud'").fetchone()
    finally:
        con.close()
    assert row[0] == "client" and row[2].startswith(f"clients/{A}/preuves/")


@pytest.mark.parametrize("name, content, fragment", [
    ("rapport.exe", b"MZ\x90\x00", "type de fichier refusé"),
    ("faux.pdf", b"<html>not a pdf</html>", "ne correspond pas"),
    ("vide.pdf", b"", "vide"),
    ("gros.pdf", b"%PDF-" + b"0" * (MAX_UPLOAD_BYTES + 10), "trop volumineux"),
])
def test_refused_uploads_say_why_and_store_nothing(space, name, content, fragment):
    a = signed_in(space, A)
    indicator = re.search(r'<option value="([^"]+)">', a.get("/").text).group(1)
    folder = space["dir"] / "clients" / A / "preuves"
    before = sorted(folder.iterdir()) if folder.exists() else []
    r = a.post_file("/preuves", {"indicateur": indicator, "libelle": f"essai {name}"}, name, content)
    assert r.status == 303
    page = html.unescape(a.get("/").text)
    assert "Rien n'a été enregistré" in page and fragment in page
    assert f"essai {name}" not in page
    assert (sorted(folder.iterdir()) if folder.exists() else []) == before


def test_unknown_indicator_is_refused(space):
    a = signed_in(space, A)
    r = a.post("/preuves", {"indicateur": "rnq-2026-99", "libelle": "x"})
    assert r.status == 303 and "choisissez un indicateur" in html.unescape(a.get("/").text)


def test_revoking_ends_open_sessions_with_our_page(space):
    ws = Workspace.open(space["dir"], actor="consultant-test")
    try:
        code, _ = create_access(ws.store, "vae-parcours-reussite", dt.date.today() + dt.timedelta(days=3))
        b = Browser(space["server"].port)
        assert b.sign_in(code).status == 303
        assert b.get("/").status == 200
        revoke_access(ws.store, "vae-parcours-reussite")
    finally:
        ws.close()
    r = b.get("/")
    assert r.status == 401 and "session a expiré" in r.text
    assert b.sign_in(code).status == 403


def test_the_store_file_is_never_served_and_unchanged_by_reads(space):
    db = space["dir"] / "workbench.db"
    b = signed_in(space, B)
    for path in ("/workbench.db", "/workbench.db-wal", "/workbench.yaml", "/fichiers/0", "/fichiers/99999"):
        r = b.get(path)
        assert r.status == 404 and b"SQLite" not in r.body
    assert Path(db).exists()


def test_client_marks_a_recurring_task_done_for_itself_only(space):
    a = signed_in(space, A)
    page = a.get("/").text
    found = re.search(r'action="/taches/([^"/]+)/fait"', page)
    assert found, "the demo client has a stored plan of recurring tasks"
    task = found.group(1)
    db = f"file:{space['dir'] / 'workbench.db'}?mode=ro"

    def completions(client: str) -> list[tuple]:
        con = sqlite3.connect(db, uri=True)
        try:
            return con.execute("SELECT id, done_by, source FROM task_completions WHERE client_id=? AND task_id=?",
                               (client, task)).fetchall()
        finally:
            con.close()

    before_a, before_b = completions(A), completions(B)
    assert a.post(f"/taches/{task}/fait", {}).status == 303
    assert "tâche est marquée comme faite" in html.unescape(a.get("/").text)
    after_a = completions(A)
    assert len(after_a) == len(before_a) + 1 and after_a[-1][1:] == ("client", "espace-client")
    assert completions(B) == before_b
    assert a.post("/taches/pas-une-tache/fait", {}).status == 404

    listed = run_cli("client", "changes", A, "--json", workspace=space["dir"]).json()
    change = next(c for c in listed if c["type"] == "tache_faite" and c["cible"] == task)
    r = run_cli("client", "review", A, str(change["id"]), "--send-back", workspace=space["dir"])
    assert r.code == 0, r.err
    assert completions(A) == before_a
