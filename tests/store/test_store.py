"""The store never loses an acknowledged answer: SIGKILL, concurrent processes, history, corruption.

The kill and concurrency tests run real processes on a real SQLite file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core.errors import NotFoundError, StoreError
from workbench.core.vocab import ActionStatus, AuditType, MissionType, Verdict
from workbench.domain.profile import profile_from_data
from workbench.domain.records import Action, Evidence
from workbench.store import SQLiteStore, open_store

IND1 = "rnq-2026:ind:01"
IND2 = "rnq-2026:ind:02"


def make_store(path: Path, actor: str = "alice") -> tuple[SQLiteStore, str]:
    store = SQLiteStore(path, actor=actor)
    store.create_client(profile_from_data({"id": "acme", "name": "ACME Formation", "categories": ["AF"]}))
    mission = store.create_mission(
        "acme", type=MissionType.PRE_AUDIT, audit_type=AuditType.INITIAL, audit_date=dt.date(2026, 12, 15),
        referential_id="rnq-2026", referential_auto=True,
    )
    return store, mission.id


def sqlite_integrity(path: Path) -> str:
    """PRAGMA integrity_check through a plain sqlite3 connection (independent of the store)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# -- (a) SIGKILL mid-stream --------------------------------------------------------------------

WRITER = r"""
import sys
from workbench.store import SQLiteStore
from workbench.core.vocab import Verdict
db, mission = sys.argv[1], sys.argv[2]
store = SQLiteStore(db, actor="writer")
verdicts = [Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.NC_MAJEURE, Verdict.NON_APPLICABLE]
i = 0
while True:
    store.save_answer(mission, f"kill:{i:06d}", verdict=verdicts[i % 4], private_notes=f"note {i}")
    # Acknowledge only once save_answer has returned.
    sys.stdout.write(f"ACK {i}\n")
    sys.stdout.flush()
    i += 1
"""


@pytest.mark.parametrize("kill_after", [1, 40, 300, "timed"])
def test_sigkill_keeps_every_acknowledged_write(tmp_path, kill_after):
    db = tmp_path / "workbench.db"
    store, mid = make_store(db)
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), mid], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    acked: list[int] = []
    assert proc.stdout is not None
    if kill_after == "timed":
        # Kill at an arbitrary moment while the writer runs flat out; its acknowledgements
        # wait in the pipe and are read after the kill.
        first = proc.stdout.readline()
        acked.append(int(first.split()[1]))
        time.sleep(0.4)
        kill_after = None
    else:
        for line in proc.stdout:
            acked.append(int(line.split()[1]))
            if len(acked) >= kill_after:
                break
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: the writer is still writing
    proc.wait(timeout=30)
    acked += [int(line.split()[1]) for line in proc.stdout.read().splitlines() if line.startswith("ACK ")]
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert acked == list(range(len(acked)))
    if kill_after is None:
        # The writer kept acknowledging after the first write: the kill came mid-stream, not at start.
        assert len(acked) > 1, acked
    else:
        assert len(acked) >= kill_after

    assert sqlite_integrity(db) == "ok"
    reopened = SQLiteStore(db, actor="check")
    assert reopened.integrity_check() == []
    answers = reopened.list_answers(mid)
    for i in acked:
        answer = answers[f"kill:{i:06d}"]
        assert answer.private_notes == f"note {i}"
        assert answer.updated_by == "writer"
    # At most the one write in flight at the kill may have landed without its acknowledgement.
    assert len(answers) in (len(acked), len(acked) + 1)
    # Each write is atomic: an answer row is never there without its history (and vice versa).
    history = reopened.history(mid)
    notes_history = {h.indicator_id for h in history if h.field == "private_notes"}
    assert notes_history == set(answers)
    reopened.close()


# -- (b) readers and writers at once -----------------------------------------------------------

CONC_WRITER = r"""
import os, sys, time
from workbench.domain.records import Evidence
from workbench.store import SQLiteStore
from workbench.core.vocab import Verdict
db, mission, tag, n, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
while not os.path.exists(go):
    time.sleep(0.005)
store = SQLiteStore(db, actor=f"writer-{tag}")
for i in range(n):
    store.save_answer(mission, f"{tag}:{i:04d}", verdict=Verdict.CONFORME, private_notes=f"{tag} {i}")
    # Read-modify-write on an answer both writers share: no update may be lost.
    store.save_answer(mission, "shared", private_notes=f"{tag}-{i}")
    if i % 10 == 0:
        store.add_evidence(Evidence(mission_id=mission, indicator_id=f"{tag}:{i:04d}", label=f"preuve {tag} {i}"))
print("DONE", n, flush=True)
"""

CONC_READER = r"""
import json, os, sys, time
from workbench.store import SQLiteStore
db, mission, go, stop = sys.argv[1:5]
while not os.path.exists(go):
    time.sleep(0.005)
errors, reads, last = [], 0, 0
store = SQLiteStore(db, actor="reader")
while True:
    done = os.path.exists(stop)
    try:
        answers = store.list_answers(mission)
        store.history(mission)
        store.list_evidence(mission)
        store.list_clients()
        store.get_mission(mission)
        if len(answers) < last:
            errors.append(f"answers went from {last} to {len(answers)}")
        last = len(answers)
        reads += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    if done:
        break
print(json.dumps({"reads": reads, "errors": errors, "last": last}), flush=True)
"""


def test_concurrent_readers_and_writers(tmp_path):
    db = tmp_path / "workbench.db"
    store, mid = make_store(db)
    store.close()
    go, stop = tmp_path / "go", tmp_path / "stop"
    n = 120
    writers = [subprocess.Popen([sys.executable, "-c", CONC_WRITER, str(db), mid, tag, str(n), str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("A", "B")]
    readers = [subprocess.Popen([sys.executable, "-c", CONC_READER, str(db), mid, str(go), str(stop)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    time.sleep(0.3)  # let every process start and wait on the same signal
    go.touch()
    for w in writers:
        out, err = w.communicate(timeout=180)
        assert w.returncode == 0, err
        assert out.strip() == f"DONE {n}"
    stop.touch()
    for r in readers:
        out, err = r.communicate(timeout=60)
        assert r.returncode == 0, err
        report = json.loads(out)
        assert report["errors"] == []
        assert report["reads"] > 0
        assert report["last"] == 2 * n + 1  # its last read came after both writers finished

    check = SQLiteStore(db, actor="check")
    answers = check.list_answers(mid)
    assert len(answers) == 2 * n + 1
    for tag in ("A", "B"):
        for i in range(n):
            assert answers[f"{tag}:{i:04d}"].private_notes == f"{tag} {i}"
    assert len(check.list_evidence(mid)) == 2 * (n // 10)
    shared = [h for h in check.history(mid, "shared") if h.field == "private_notes"]
    assert len(shared) == 2 * n
    assert {h.after for h in shared} == {f"{t}-{i}" for t in "AB" for i in range(n)}
    # Serialised read-modify-write: each change starts from the value the previous one left.
    assert shared[0].before is None
    for prev, cur in zip(shared, shared[1:], strict=False):
        assert cur.before == prev.after
    assert answers["shared"].private_notes == shared[-1].after
    assert check.integrity_check() == []
    check.close()


# -- (c) history --------------------------------------------------------------------------------

def test_history_lists_who_when_before_after(tmp_path):
    store, mid = make_store(tmp_path / "workbench.db", actor="alice")
    t0 = dt.datetime.now(dt.UTC)
    store.save_answer(mid, IND1, verdict=Verdict.NC_MINEURE, private_notes="programme incomplet")
    store.save_answer(mid, IND1, verdict=Verdict.NC_MINEURE)  # no change: no history
    store.close()
    bob = SQLiteStore(tmp_path / "workbench.db", actor="bob")
    bob.save_answer(mid, IND1, verdict=Verdict.CONFORME)
    bob.save_answer(mid, IND2, respondent="Direction")
    ev = bob.add_evidence(Evidence(mission_id=mid, indicator_id=IND1, label="Catalogue 2026",
                                   location="site web", represents_date=dt.date(2026, 9, 1), owner="direction"))
    bob.remove_evidence(ev.id)
    action = bob.add_action(Action(mission_id=mid, indicator_id=IND1, title="Compléter les programmes"))
    bob.update_action(action.id, status=ActionStatus.EN_COURS)

    entries = bob.history(mid)
    summary = [(h.actor, h.entity, h.indicator_id, h.field, h.before, h.after) for h in entries]
    assert summary[:5] == [
        ("alice", "answer", IND1, "verdict", None, "nc_mineure"),
        ("alice", "answer", IND1, "private_notes", None, "programme incomplet"),
        ("bob", "answer", IND1, "verdict", "nc_mineure", "conforme"),
        ("bob", "answer", IND2, "respondent", None, "Direction"),
        ("bob", "evidence", IND1, "evidence", None, summary[4][5]),
    ]
    assert summary[4][5]["label"] == "Catalogue 2026" and summary[4][5]["represents_date"] == "2026-09-01"
    assert summary[5][3:5] == ("evidence", summary[4][5])  # removal: before = the item, after = None
    assert summary[5][5] is None
    assert summary[7][3:] == ("status", "a_faire", "en_cours")
    assert all(t0 - dt.timedelta(seconds=5) <= h.at <= dt.datetime.now(dt.UTC) for h in entries)
    assert [h.id for h in entries] == sorted(h.id for h in entries)
    only2 = bob.history(mid, IND2)
    assert [(h.field, h.after) for h in only2] == [("respondent", "Direction")]
    assert bob.history(mid, "rnq-2026:ind:30") == []
    # The current answer is the last value of its history.
    assert bob.get_answer(mid, IND1).verdict is Verdict.CONFORME
    bob.close()


def test_store_basics_and_errors(tmp_path):
    store, mid = make_store(tmp_path / "workbench.db")
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(StoreError, match="existe déjà ; rien n'a été modifié"):
        store.create_client(profile_from_data({"id": "acme", "name": "Autre", "categories": ["BC"]}))
    assert store.get_client("acme").name == "ACME Formation"
    with pytest.raises(NotFoundError, match="Client inconnu : « nobody ». Clients connus : acme"):
        store.get_client("nobody")
    with pytest.raises(NotFoundError, match="Mission inconnue"):
        store.save_answer("acme-m9", IND1, private_notes="x")
    with pytest.raises(StoreError, match="Champ\\(s\\) de réponse inconnu\\(s\\) : colour"):
        store.save_answer(mid, IND1, colour="red")
    assert store.list_answers(mid) == {}
    store.close()


# -- (d) corrupt or foreign database files ----------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_garbage_db_refused_untouched(tmp_path):
    db = tmp_path / "workbench.db"
    db.write_bytes(b"Ceci n'est pas une base SQLite. " * 300)
    before, mtime = _digest(db), db.stat().st_mtime_ns
    with pytest.raises(StoreError) as err:
        SQLiteStore(db)
    assert "Base de données illisible ou corrompue" in err.value.message
    assert "Rien n'a été modifié" in err.value.message
    assert str(db) in err.value.message
    assert _digest(db) == before and db.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workbench.db"]


def test_damaged_db_refused_untouched(tmp_path):
    db = tmp_path / "workbench.db"
    store, mid = make_store(db)
    for i in range(50):
        store.save_answer(mid, f"x:{i}", private_notes="n" * 200)
    store.close()
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wipe the schema page
    db.write_bytes(bytes(data))
    before = _digest(db)
    with pytest.raises(StoreError, match="corrompue"):
        SQLiteStore(db)
    with pytest.raises(StoreError, match="corrompue"):
        open_store(f"sqlite:///{db}")
    assert _digest(db) == before


def test_newer_schema_refused(tmp_path):
    db = tmp_path / "workbench.db"
    store, _ = make_store(db)
    store.set_meta("schema_version", "99")
    store.close()
    with pytest.raises(StoreError, match="version plus récente"):
        SQLiteStore(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "99"
    conn.close()


def test_missing_db_without_create(tmp_path):
    with pytest.raises(StoreError, match="introuvable"):
        SQLiteStore(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()
