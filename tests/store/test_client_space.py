"""Access codes, sessions, throttling and client changes against a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import run_cli
from workbench.apps.space.server import Sessions, host_allowed
from workbench.core.errors import NotFoundError, UsageError
from workbench.core.vocab import Verdict
from workbench.domain.client_space import (
    AccessRefusal,
    Review,
    Throttle,
    check_upload,
    hash_code,
    new_access_code,
    normalize_code,
    parse_expiry,
)
from workbench.domain.records import Action
from workbench.services.workspace import Workspace
from workbench.store.client_space import (
    add_client_evidence,
    add_comment,
    changes_to_review,
    check_code,
    create_access,
    grant_status,
    mark_action_done,
    mark_seen,
    review_change,
)

TODAY = dt.date(2026, 11, 27)


def test_codes_are_random_readable_and_normalized():
    codes = {new_access_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 23 and normalize_code(code.lower().replace("-", " ")) == code.replace("-", "")
    assert normalize_code("0OIL1-AAAAA-AAAAA-AAAAA") == ""  # ambiguous characters are never in a code
    assert hash_code(code) == hash_code(code.lower()) and code not in hash_code(code)


def test_only_the_hash_is_stored_and_a_new_code_revokes_the_previous(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir, actor="consultant-test") as ws:
        first, grant1 = create_access(ws.store, mission.client_id)
        second, grant2 = create_access(ws.store, mission.client_id, TODAY + dt.timedelta(days=10))
        assert check_code(ws.store, first, TODAY) == AccessRefusal.REVOKED
        assert check_code(ws.store, second, TODAY).client_id == mission.client_id
        assert check_code(ws.store, second, TODAY + dt.timedelta(days=11)) == AccessRefusal.EXPIRED
        assert grant_status(ws.store, grant1.id, TODAY) == AccessRefusal.REVOKED
        assert grant_status(ws.store, grant2.id, TODAY) is None
        assert check_code(ws.store, "AAAAA-AAAAA-AAAAA-AAAAA", TODAY) == AccessRefusal.UNKNOWN
        with pytest.raises(NotFoundError):
            create_access(ws.store, "inconnu")
    raw = (ws_dir / "workbench.db").read_bytes()
    for code in (first, second):
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw


def test_expiry_dates():
    assert parse_expiry("31/12/2026", TODAY) == dt.date(2026, 12, 31)
    assert parse_expiry("2026-11-27", TODAY) == TODAY
    for bad in ("2026-11-26", "demain", "31/02/2026"):
        with pytest.raises(UsageError):
            parse_expiry(bad, TODAY)


def test_sessions_expire_when_idle_and_after_their_lifetime():
    clock = [0.0]
    sessions = Sessions(idle_timeout=60, max_session=300, clock=lambda: clock[0])

    class G:
        id, client_id = 1, "a"

    sid = sessions.open(G())
    clock[0] = 59
    assert sessions.get(sid).client_id == "a"
    clock[0] = 120
    assert sessions.get(sid) is None  # idle for 61 s
    sid = sessions.open(G())
    for t in range(150, 460, 50):
        clock[0] = t
        if t - 120 <= 300:
            assert sessions.get(sid) is not None
    assert sessions.get(sid) is None  # older than its lifetime, although active
    assert sessions.get("forged") is None and sessions.get(None) is None


def test_throttle_doubles_then_locks_then_forgets():
    t = Throttle(base_delay=0.5, max_delay=8, lock_after=5, window=100)
    delays = [t.fail("1.2.3.4", float(i)) for i in range(5)]
    assert delays == [0.5, 1, 2, 4, 8]
    assert t.locked("1.2.3.4", 5) and not t.locked("5.6.7.8", 5)
    assert not t.locked("1.2.3.4", 105)  # the window has passed


def test_host_check_refuses_foreign_names():
    allowed = frozenset({"localhost", "espace.cabinet.fr"})
    for ok in ("127.0.0.1:8870", "localhost:8870", "[::1]:8870", "espace.cabinet.fr", "192.168.1.5"):
        assert host_allowed(ok, allowed), ok
    for bad in ("attacker.example:8870", "localhost.attacker.example", "", "espace.cabinet.fr.evil.com"):
        assert not host_allowed(bad, allowed), bad


@pytest.mark.parametrize("name, content, fragment", [
    ("a.pdf", b"%PDF-1.7", None),
    ("photo.JPG", b"\xff\xd8\xff\xe0", None),
    ("notes.txt", "Relevé d'équipe".encode(), None),
    ("x.svg", b"<svg onload=alert(1)>", "type de fichier refusé"),
    ("x.html", b"<html>", "type de fichier refusé"),
    ("x.pdf", b"MZ", "ne correspond pas"),
    ("x.txt", b"a\x00b", "pas un texte"),
    ("sans-extension", b"%PDF-", "sans extension"),
])
def test_upload_rules(name, content, fragment):
    if fragment is None:
        assert check_upload(name, content)
    else:
        with pytest.raises(UsageError, match=fragment):
            check_upload(name, content)


def test_client_changes_never_touch_verdicts_and_send_back_undoes(seeded_mission):
    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir, actor="consultant-test") as ws:
        ind = ws.applicability(mission.id)[0].indicator.id
        ws.store.save_answer(mission.id, ind, verdict=Verdict.NC_MAJEURE, finding="constat du consultant",
                             private_notes="note privée")
        action = ws.store.add_action(Action(mission_id=mission.id, indicator_id=ind, title="Rédiger la procédure"))
    with Workspace.open(ws_dir, actor="client") as client_ws:
        done = mark_action_done(client_ws.store, mission.client_id, action.id)
        with pytest.raises(UsageError):
            mark_action_done(client_ws.store, mission.client_id, action.id)
        with pytest.raises(NotFoundError):
            mark_action_done(client_ws.store, "autre-client", action.id)
        evidence = add_client_evidence(client_ws.store, mission.client_id, mission.id, ind, "Procédure signée")
        add_comment(client_ws.store, mission.client_id, mission.id, "Fait en réunion")
    with Workspace.open(ws_dir, actor="consultant-test") as ws:
        answer = ws.store.get_answer(mission.id, ind)
        assert answer.verdict == Verdict.NC_MAJEURE and answer.finding == "constat du consultant"
        assert answer.private_notes == "note privée"
        pending, seen = changes_to_review(ws.store, mission.client_id)
        assert seen == 0 and [c.created_by for c in pending] == ["client"] * 3
        mark_seen(ws.store, mission.client_id)
        assert len(changes_to_review(ws.store, mission.client_id)[0]) == 3  # still pending, no longer new
        review_change(ws.store, mission.client_id, done.id, Review.SENT_BACK, "Pas encore diffusée")
        review_change(ws.store, mission.client_id, evidence.id, Review.SENT_BACK)
        assert ws.store.list_actions(mission.id)[0].status.value == "a_faire"
        assert ws.store.list_evidence(mission.id, ind) == []
        assert len(changes_to_review(ws.store, mission.client_id)[0]) == 1
        actors = {(h.field, h.actor) for h in ws.store.history(mission.id)}
    assert ("status", "client") in actors and ("status", "consultant-test") in actors
    assert ("review", "consultant-test") in actors


def test_cli_access_codes(seeded_mission):
    ws_dir, mission = seeded_mission
    r = run_cli("client", "access", mission.client_id, "--expires", "2999-01-01", workspace=ws_dir)
    assert r.code == 0 and "01/01/2999" in r.out
    code = r.out.splitlines()[1].strip()
    assert normalize_code(code)
    listed = run_cli("client", "access", mission.client_id, "--list", workspace=ws_dir)
    assert code not in listed.out and "actif" in listed.out
    assert run_cli("client", "access", mission.client_id, "--revoke", workspace=ws_dir).code == 0
    assert "revoque" in run_cli("client", "access", mission.client_id, "--list", workspace=ws_dir).out
    bad = run_cli("client", "access", mission.client_id, "--expires", "2001-01-01", workspace=ws_dir)
    assert bad.code == 2 and "déjà passée" in bad.err
    unknown = run_cli("client", "access", "inconnu", workspace=ws_dir)
    assert unknown.code == 6 and "Traceback" not in unknown.err


def test_demo_prints_a_working_code_per_client_and_the_serve_command(workspace_dir):
    import re

    r = run_cli("demo", "--no-reports", workspace=workspace_dir)
    assert r.code == 0, r.err
    codes = dict(re.findall(r"^([a-z0-9-]+)\s+([A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})$", r.out, re.M))
    assert "workbench" in r.out and " serve" in r.out
    with Workspace.open(workspace_dir, create=False) as ws:
        # every client followed gets a code; prospects (no mission yet) have no space to open
        clients = {c.id for c in ws.store.list_clients() if not c.prospect}
        assert clients and set(codes) == clients
        for client, code in codes.items():
            assert check_code(ws.store, code, dt.date.today()).client_id == client


def test_interview_app_shows_client_changes_escaped_and_reviews_them(seeded_mission):
    from workbench.apps.interview import build_app

    ws_dir, mission = seeded_mission
    with Workspace.open(ws_dir, actor="client") as client_ws:
        action = client_ws.store.add_action(Action(mission_id=mission.id, indicator_id=client_ws.applicability(
            mission.id)[0].indicator.id, title="Afficher le règlement"))
        done = mark_action_done(client_ws.store, mission.client_id, action.id)
        add_comment(client_ws.store, mission.client_id, mission.id, "<b>gras</b> ?")
    with Workspace.open(ws_dir, actor="consultant-test") as ws:
        app = build_app(ws, mission.client_id, mission.id)
        panel = app.client_changes
        assert panel.widget in app.widget.children
        assert "2 modification(s)" in panel.widget.get_title(0)
        html_rows = " ".join(w.children[0].value if hasattr(w, "children") else w.value for w in panel.rows.children)
        assert "&lt;b&gt;gras&lt;/b&gt;" in html_rows and "<b>gras</b>" not in html_rows
        first = panel.rows.children[0]
        first.children[1].children[2].click()  # « Renvoyer » the action marked done
        assert "1 modification(s)" in panel.widget.get_title(0)
        assert ws.store.list_actions(mission.id)[0].status.value == "a_faire"
        assert changes_to_review(ws.store, mission.client_id)[1] >= done.id  # seen
