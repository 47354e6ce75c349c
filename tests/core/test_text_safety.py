"""Issue 9, item 9: control characters never stored, never break Excel, never reach the terminal raw."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3

from openpyxl import load_workbook

from tests.support import run_cli
from tests.support import seed_workspace as seed
from workbench.core.text import SafeStream, clean_text, terminal_safe
from workbench.core.vocab import MissionType
from workbench.domain.records import Action
from workbench.services.workspace import Workspace

CLEAR_SCREEN = "\x1b[2J\x1b[H"


def test_control_characters_stripped_at_input(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    r = run_cli("client", "new", "acme", "--template", "cfa", "--name", f"ACME{CLEAR_SCREEN} Formation\x07",
                workspace=ws)
    assert r.code == 0, r.err
    w = Workspace.open(ws)
    try:
        assert w.store.get_client("acme").name == "ACME[2J[H Formation"
        m = w.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
        saved = w.store.save_answer(m.id, "rnq-2026:ind:01", private_notes="ligne 1\r\nligne 2\x00\x1b]0;titre\x07\ttab",
                                    responses={"q1": "oui\x1b[31m"})
        assert saved.private_notes == "ligne 1\nligne 2]0;titre\ttab"
        assert w.store.get_answer(m.id, "rnq-2026:ind:01").responses == {"q1": "oui[31m"}
    finally:
        w.close()


def test_old_data_with_control_characters_exports_and_prints_safely(tmp_path):
    """Data stored before the fix (written here straight into the file) no longer breaks anything."""
    ws = tmp_path / "espace"
    mission_id = seed(ws)
    w = Workspace.open(ws)
    action = w.store.add_action(Action(mission_id=mission_id, indicator_id="rnq-2026:ind:01", title="Publier",
                                       priority=1))
    w.close()
    conn = sqlite3.connect(ws / "workbench.db")
    conn.execute("UPDATE actions SET comment=?, title=? WHERE id=?",
                 (f"commentaire{CLEAR_SCREEN}\x00fin", "Publier\x1b[31m en rouge", action.id))
    conn.execute("UPDATE clients SET profile=json_set(profile, '$.name', ?) WHERE id='acme'",
                 (f"ACME{CLEAR_SCREEN}",))
    conn.execute("INSERT INTO history (mission_id, entity, entity_key, indicator_id, field, before, after, actor, at)"
                 " VALUES (?, 'answer', 'x', NULL, 'notes', NULL, ?, ?, '2026-11-01T10:00:00+00:00')",
                 (mission_id, '"avant\\u001b[2Japr\\u00e8s"', "pirate\x1b[2J"))
    conn.commit()
    conn.close()
    out = tmp_path / "plan.xlsx"
    r = run_cli("actions", "export", "acme", "-o", str(out), workspace=ws)
    assert r.code == 0, r.err  # was « Erreur interne » (openpyxl IllegalCharacterError)
    sheet = load_workbook(out)["Plan d'actions"]
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "commentaire[2J[Hfin" in values and "Publier[31m en rouge" in values
    for args in (["client", "show", "acme"], ["client", "list"], ["actions", "list", "acme"],
                 ["mission", "history", mission_id], ["mission", "history", mission_id, "--json"]):
        r = run_cli(*args, workspace=ws)
        assert r.code == 0, (args, r.err)
        assert "\x1b" not in r.out and "\x00" not in r.out and "\x07" not in r.out, args


def test_terminal_stream_never_passes_control_characters():
    buf = io.StringIO()
    stream = SafeStream(buf)
    stream.write(f"nom{CLEAR_SCREEN}\u202eretourné\tok\n")
    assert buf.getvalue() == "nom\ufffd[2J\ufffd[H\ufffdretourné\tok\n"
    assert terminal_safe("a\rb") == "a\ufffdb"
    assert clean_text("sans rien") == "sans rien"
    assert clean_text("a\u0085b\u009bc") == "abc"
