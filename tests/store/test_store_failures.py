"""Issue 9, items 6 and 11: every SQLite failure named truthfully, with the advice that fits it.

Read-only workspace (a read-only bind mount), full disk (a small tmpfs), a lock held by another
process, a damaged file, an empty file; read-only commands never create a database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import WB, run_cli, run_in_mount_namespace
from tests.support import seed_workspace as seed
from workbench.core.errors import StoreError
from workbench.store import SQLiteStore
from workbench.store.errors import StoreBusyError

BACKUP_ADVICE = "Restaurez une sauvegarde"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_results(out: Path, names: list[str]) -> dict[str, tuple[int, str, str]]:
    return {n: (int((out / f"{n}.code").read_text()), (out / f"{n}.out").read_text(),
                (out / f"{n}.err").read_text()) for n in names}


def cli_lines(names_and_args: dict[str, str], out: Path) -> str:
    """Bash lines running each command, keeping its exit code, stdout and stderr in ``out``."""
    return "\n".join(
        f"set +e; {WB} {args} > {out}/{name}.out 2> {out}/{name}.err; echo $? > {out}/{name}.code; set -e"
        for name, args in names_and_args.items())


def test_read_only_workspace_reads_and_refuses_writes_truthfully(tmp_path):
    ws = tmp_path / "espace"
    mission_id = seed(ws)
    out = tmp_path / "out"
    out.mkdir()
    before = digest(ws / "workbench.db")
    reads = {"list": "client list", "show": "client show acme", "missions": "mission list acme",
             "history": f"mission history {mission_id}", "actions": "actions list acme"}
    writes = {"update": "client update acme --name 'ACME Nouvelle'",
              "new": "client new autre --template cfa"}
    run_in_mount_namespace(
        f"mount --bind {ws} {ws}\nmount -o remount,bind,ro {ws}\n" + cli_lines(reads | writes, out),
        env={"WORKBENCH_WORKSPACE": str(ws)})
    res = read_results(out, list(reads | writes))
    for name in reads:
        code, stdout, err = res[name]
        assert code == 0, (name, err)
    assert "ACME Formation" in res["show"][1]
    assert "Site web complet" in res["history"][1] or "conforme" in res["history"][1].lower()
    for name in writes:
        code, _, err = res[name]
        assert code == 5, (name, err)
        assert "lecture seule" in err and "rien n'a été enregistré" in err
        assert BACKUP_ADVICE not in err and "corromp" not in err and "Traceback" not in err
    assert digest(ws / "workbench.db") == before


def test_full_disk_is_named_and_database_intact(tmp_path):
    src = tmp_path / "source"
    seed(src)
    disk = tmp_path / "disque"
    disk.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    ws = disk / "espace"
    big = "x" * 200_000
    profile = tmp_path / "profil.yaml"
    profile.write_text(f"id: acme\nname: ACME Formation\ncategories: [AF]\ncontact: {{name: Paul, role: {big}}}\n",
                       encoding="utf-8")
    run_in_mount_namespace(
        f"mount -t tmpfs -o size=2m tmpfs {disk}\ncp -a {src} {ws}\n"
        f"dd if=/dev/zero of={disk}/remplissage bs=4k 2>/dev/null || true\n"
        f"truncate -s -96K {disk}/remplissage\n"
        + cli_lines({"update": f"client update acme --from {profile}", "show": "client show acme --json"}, out)
        + f"\nrm {disk}/remplissage\n"
        f"{sys.executable} -c \"import sqlite3; c = sqlite3.connect('{ws}/workbench.db'); "
        f"print(c.execute('PRAGMA integrity_check').fetchone()[0])\" > {out}/integrity.txt",
        env={"WORKBENCH_WORKSPACE": str(ws)})
    res = read_results(out, ["update", "show"])
    code, _, err = res["update"]
    assert code == 5, err
    assert "Disque plein" in err and "intacte" in err
    assert BACKUP_ADVICE not in err and "corromp" not in err and "Traceback" not in err
    assert res["show"][0] == 0 and "ACME Formation" in res["show"][1] and big not in res["show"][1]
    assert (out / "integrity.txt").read_text().strip() == "ok"


HOLD_LOCK = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
"""


@pytest.fixture
def held_lock(tmp_path):
    """Another process holding the database's write lock (BEGIN IMMEDIATE) for a while."""
    ws = tmp_path / "espace"
    seed(ws)
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(ws / "workbench.db"), "600"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield ws
    proc.kill()
    proc.wait()


def test_lock_held_by_another_process_is_busy_not_corrupt(held_lock):
    ws = held_lock
    env = {"WORKBENCH_BUSY_TIMEOUT_S": "1"}
    r = run_cli("client", "update", "acme", "--name", "ACME Bis", workspace=ws, env=env)
    assert r.code == 5, r.err
    assert "occupée" in r.err and "Réessayez" in r.err and "intacte" in r.err
    assert BACKUP_ADVICE not in r.err and "corromp" not in r.err and "Traceback" not in r.err
    # reading goes on while the other process writes (WAL): the open itself never waits
    r = run_cli("client", "show", "acme", workspace=ws, env=env)
    assert r.code == 0, r.err
    assert "ACME Formation" in r.out


def test_busy_error_from_the_api(held_lock):
    store = SQLiteStore(held_lock / "workbench.db", busy_timeout=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as err:
            store.set_meta("x", "y")
        assert time.monotonic() - started < 60  # it gave up instead of hanging
        assert err.value.exit_code == 5
        assert store.get_client("acme").name == "ACME Formation"
    finally:
        store.close()


def test_damaged_database_is_the_only_case_advising_a_backup(tmp_path):
    ws = tmp_path / "espace"
    seed(ws)
    db = ws / "workbench.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    db.write_bytes(bytes(data))
    before = digest(db)
    r = run_cli("client", "list", workspace=ws)
    assert r.code == 5
    assert "corrompue" in r.err and BACKUP_ADVICE in r.err and "Traceback" not in r.err
    assert digest(db) == before


def test_empty_database_file_is_refused_and_left_alone(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    db = ws / "workbench.db"
    db.write_bytes(b"")
    for args in (["client", "list"], ["client", "new", "acme", "--template", "cfa"]):
        r = run_cli(*args, workspace=ws)
        assert r.code == 5, r.err
        assert "fichier vide (0 octet)" in r.err and "Rien n'a été modifié" in r.err
    assert db.stat().st_size == 0
    assert sorted(p.name for p in ws.iterdir()) == ["workbench.db"]
    with pytest.raises(StoreError, match="0 octet"):
        SQLiteStore(db)
    assert db.stat().st_size == 0


def test_read_only_commands_never_create_a_database(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    expectations = [
        (["client", "list"], 0, "Aucun client"),
        (["client", "list", "--json"], 0, "[]"),
        (["mission", "list"], 0, "Aucune mission"),
        (["client", "show", "acme"], 6, "Client inconnu"),
        (["actions", "list", "acme"], 6, "Client inconnu"),
        (["client", "export", "acme", "-o", str(tmp_path / "x.qwb")], 6, "Client inconnu"),
    ]
    for args, code, text in expectations:
        r = run_cli(*args, workspace=ws)
        assert r.code == code, (args, r.err)
        assert text in (r.out + r.err), (args, r.out, r.err)
    assert list(ws.iterdir()) == []
    assert not (tmp_path / "x.qwb").exists()


def test_new_database_is_private(tmp_path):
    ws = tmp_path / "espace"
    old = os.umask(0o022)
    try:
        seed(ws)
    finally:
        os.umask(old)
    assert (ws / "workbench.db").stat().st_mode & 0o777 == 0o600


def test_store_translates_sqlite_errors_of_writes(tmp_path):
    """A write error inside a transaction comes out as a named StoreError, not a raw sqlite3 error."""
    db = tmp_path / "workbench.db"
    store = SQLiteStore(db)
    try:
        with pytest.raises(StoreError) as err, store.transaction() as c:
            c.execute("INSERT INTO no_such_table VALUES (1)")
        assert not isinstance(err.value, sqlite3.Error)
        assert BACKUP_ADVICE not in err.value.message
    finally:
        store.close()
