"""Persistence of the client space: access codes (hashed) and the changes clients make.

Every change a client makes is one row of ``client_changes`` and one history line whose author is
the store's actor (``client`` in the server). A change never touches an answer, so the
consultant's verdicts are never overwritten; the consultant then accepts it or sends it back
(:func:`review_change`), which undoes what can be undone (an action's status, an evidence item).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import NotFoundError, StoreError, UsageError
from workbench.core.vocab import ActionStatus
from workbench.domain.client_space import (
    AccessRefusal,
    ChangeKind,
    Review,
    hash_code,
    new_access_code,
    normalize_code,
)
from workbench.domain.records import now
from workbench.store.sqlite import SQLiteStore

# -- access codes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessGrant:
    id: int
    client_id: str
    created_at: dt.datetime
    created_by: str
    expires_on: dt.date | None
    revoked_at: dt.datetime | None

    def refusal(self, today: dt.date) -> AccessRefusal | None:
        if self.revoked_at is not None:
            return AccessRefusal.REVOKED
        if self.expires_on is not None and today > self.expires_on:
            return AccessRefusal.EXPIRED
        return None


def _grant(row: sqlite3.Row) -> AccessGrant:
    return AccessGrant(
        id=row["id"], client_id=row["client_id"], created_at=dt.datetime.fromisoformat(row["created_at"]),
        created_by=row["created_by"],
        expires_on=dt.date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
        revoked_at=dt.datetime.fromisoformat(row["revoked_at"]) if row["revoked_at"] else None,
    )


def create_access(store: SQLiteStore, client_id: str, expires_on: dt.date | None = None) -> tuple[str, AccessGrant]:
    """A new code for the client, replacing (revoking) any earlier one; the clear code is returned
    once and never stored."""
    store.get_client(client_id)
    code = new_access_code()
    stamp = now().isoformat()
    with store.transaction() as c:
        c.execute("UPDATE client_access SET revoked_at=? WHERE client_id=? AND revoked_at IS NULL",
                  (stamp, client_id))
        cur = c.execute(
            "INSERT INTO client_access (client_id, code_hash, created_at, created_by, expires_on)"
            " VALUES (?,?,?,?,?)",
            (client_id, hash_code(code), stamp, store.actor, expires_on.isoformat() if expires_on else None),
        )
        row = c.execute("SELECT * FROM client_access WHERE id=?", (cur.lastrowid,)).fetchone()
    return code, _grant(row)


def revoke_access(store: SQLiteStore, client_id: str) -> int:
    """Revoke every code of the client; the number of codes revoked (0 if none was active)."""
    store.get_client(client_id)
    with store.transaction() as c:
        cur = c.execute("UPDATE client_access SET revoked_at=? WHERE client_id=? AND revoked_at IS NULL",
                        (now().isoformat(), client_id))
        return cur.rowcount


def list_access(store: SQLiteStore, client_id: str | None = None) -> list[AccessGrant]:
    sql, params = "SELECT * FROM client_access", ()
    if client_id:
        sql, params = sql + " WHERE client_id=?", (client_id,)
    return [_grant(r) for r in store.connection.execute(sql + " ORDER BY id", params)]


def check_code(store: SQLiteStore, raw_code: str, today: dt.date) -> AccessGrant | AccessRefusal:
    """The grant a typed code opens, or why it is refused (the same answer for anything unknown)."""
    if not normalize_code(raw_code):
        return AccessRefusal.UNKNOWN
    row = store.connection.execute("SELECT * FROM client_access WHERE code_hash=?",
                                   (hash_code(raw_code),)).fetchone()
    if row is None:
        return AccessRefusal.UNKNOWN
    grant = _grant(row)
    if not store.client_exists(grant.client_id):
        return AccessRefusal.UNKNOWN
    return grant.refusal(today) or grant


def grant_status(store: SQLiteStore, grant_id: int, today: dt.date) -> AccessRefusal | None:
    """Re-check a signed-in session's grant: None while it is still valid."""
    row = store.connection.execute("SELECT * FROM client_access WHERE id=?", (grant_id,)).fetchone()
    return AccessRefusal.REVOKED if row is None else _grant(row).refusal(today)


# -- changes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientChange:
    id: int
    client_id: str
    mission_id: str
    kind: ChangeKind
    target: str
    indicator_id: str | None
    text: str
    file_name: str | None
    file_path: str | None
    before: Any
    after: Any
    created_at: dt.datetime
    created_by: str
    review: Review
    review_note: str
    reviewed_at: dt.datetime | None
    reviewed_by: str | None


def _load(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


def _change(row: sqlite3.Row) -> ClientChange:
    return ClientChange(
        id=row["id"], client_id=row["client_id"], mission_id=row["mission_id"], kind=ChangeKind(row["kind"]),
        target=row["target"], indicator_id=row["indicator_id"], text=row["text"], file_name=row["file_name"],
        file_path=row["file_path"], before=_load(row["before"]), after=_load(row["after"]),
        created_at=dt.datetime.fromisoformat(row["created_at"]), created_by=row["created_by"],
        review=Review(row["review"]), review_note=row["review_note"],
        reviewed_at=dt.datetime.fromisoformat(row["reviewed_at"]) if row["reviewed_at"] else None,
        reviewed_by=row["reviewed_by"],
    )


def _insert_change(store: SQLiteStore, c: sqlite3.Connection, client_id: str, mission_id: str, kind: ChangeKind,
                   *, target: str = "", indicator_id: str | None = None, text: str = "",
                   file_name: str | None = None, file_path: str | None = None,
                   before: Any = None, after: Any = None) -> int:
    stamp = now().isoformat()
    cur = c.execute(
        "INSERT INTO client_changes (client_id, mission_id, kind, target, indicator_id, text, file_name, file_path,"
        " before, after, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (client_id, mission_id, kind.value, target, indicator_id, text, file_name, file_path,
         None if before is None else json.dumps(before), None if after is None else json.dumps(after),
         stamp, store.actor),
    )
    change_id = int(cur.lastrowid)
    store.record(c, mission_id, "client_change", str(change_id), indicator_id, kind.value, None,
                 {"target": target, "text": text, "file": file_name})
    return change_id


def _client_mission(c: sqlite3.Connection, client_id: str, mission_id: str) -> None:
    row = c.execute("SELECT client_id FROM missions WHERE id=?", (mission_id,)).fetchone()
    if row is None or row["client_id"] != client_id:
        raise NotFoundError(f"Mission inconnue : « {mission_id} ».")


def _set_action_status(store: SQLiteStore, c: sqlite3.Connection, row: sqlite3.Row, status: ActionStatus) -> None:
    stamp = now().isoformat()
    c.execute("UPDATE actions SET status=?, updated_at=?, updated_by=? WHERE id=?",
              (status.value, stamp, store.actor, row["id"]))
    store.record(c, row["mission_id"], "action", str(row["id"]), row["indicator_id"], "status",
                 row["status"], status.value)


def mark_action_done(store: SQLiteStore, client_id: str, action_id: int) -> ClientChange:
    """The client says an action of theirs is done: its status becomes « Fait », pending review."""
    with store.transaction() as c:
        row = c.execute("SELECT a.*, m.client_id FROM actions a JOIN missions m ON m.id=a.mission_id WHERE a.id=?",
                        (action_id,)).fetchone()
        if row is None or row["client_id"] != client_id:
            raise NotFoundError(f"Action inconnue : {action_id}.")
        if row["status"] in (ActionStatus.FAIT.value, ActionStatus.ABANDONNE.value):
            raise UsageError(f"cette action est déjà « {ActionStatus(row['status']).label} ».")
        _set_action_status(store, c, row, ActionStatus.FAIT)
        change_id = _insert_change(store, c, client_id, row["mission_id"], ChangeKind.ACTION_DONE,
                                   target=str(action_id), indicator_id=row["indicator_id"], text=row["title"],
                                   before=row["status"], after=ActionStatus.FAIT.value)
    return get_change(store, client_id, change_id)


def add_comment(store: SQLiteStore, client_id: str, mission_id: str, text: str, *, target: str = "",
                indicator_id: str | None = None) -> ClientChange:
    """A comment from the client, on the mission or one of its actions."""
    with store.transaction() as c:
        _client_mission(c, client_id, mission_id)
        change_id = _insert_change(store, c, client_id, mission_id, ChangeKind.COMMENT, target=target,
                                   indicator_id=indicator_id, text=text)
    return get_change(store, client_id, change_id)


def add_client_evidence(store: SQLiteStore, client_id: str, mission_id: str, indicator_id: str, label: str,
                        *, file_name: str | None = None, file_path: str | None = None) -> ClientChange:
    """An evidence item from the client (with its stored file, if any), recorded as theirs."""
    stamp = now().isoformat()
    with store.transaction() as c:
        _client_mission(c, client_id, mission_id)
        cur = c.execute(
            "INSERT INTO evidence (mission_id, indicator_id, label, location, represents_date, owner,"
            " created_at, created_by) VALUES (?,?,?,?,?,?,?,?)",
            (mission_id, indicator_id, label, file_path or "", None, "client", stamp, store.actor),
        )
        evidence_id = int(cur.lastrowid)
        store.record(c, mission_id, "evidence", str(evidence_id), indicator_id, "evidence", None,
                     {"label": label, "location": file_path or "", "owner": "client"})
        change_id = _insert_change(store, c, client_id, mission_id, ChangeKind.EVIDENCE, target=str(evidence_id),
                                   indicator_id=indicator_id, text=label, file_name=file_name,
                                   file_path=file_path)
    return get_change(store, client_id, change_id)


def mark_task_done(store: SQLiteStore, client_id: str, mission_id: str, task_id: str,
                   today: dt.date) -> ClientChange:
    """The client says a recurring task of theirs was done today: a completion in their task plan
    (by « client », source « espace-client »), and the change to review. A task of another client,
    or one not in the stored plan, is unknown."""
    from workbench.domain.tasks import Completion
    from workbench.store.tasks import get_task, record_completion

    task = get_task(store, client_id, task_id)
    completion = record_completion(store, Completion(client_id=client_id, task_id=task_id, done_on=today,
                                                     done_by=store.actor, mission_id=mission_id,
                                                     source="espace-client"))
    with store.transaction() as c:
        _client_mission(c, client_id, mission_id)
        change_id = _insert_change(store, c, client_id, mission_id, ChangeKind.TASK_DONE, target=task_id,
                                   text=task.title, after=completion.id)
    return get_change(store, client_id, change_id)


def get_change(store: SQLiteStore, client_id: str, change_id: int) -> ClientChange:
    """One change of THIS client (another client's change is reported as unknown)."""
    row = store.connection.execute("SELECT * FROM client_changes WHERE id=? AND client_id=?",
                                   (change_id, client_id)).fetchone()
    if row is None:
        raise NotFoundError(f"Modification inconnue : {change_id}.")
    return _change(row)


def list_changes(store: SQLiteStore, client_id: str, *, since_id: int = 0,
                 review: Review | None = None) -> list[ClientChange]:
    sql = "SELECT * FROM client_changes WHERE client_id=? AND id>?"
    params: tuple = (client_id, since_id)
    if review is not None:
        sql, params = sql + " AND review=?", (*params, review.value)
    return [_change(r) for r in store.connection.execute(sql + " ORDER BY id", params)]


def last_seen(store: SQLiteStore, client_id: str) -> int:
    row = store.connection.execute("SELECT last_seen_id FROM client_changes_seen WHERE client_id=?",
                                   (client_id,)).fetchone()
    return int(row["last_seen_id"]) if row else 0


def changes_to_review(store: SQLiteStore, client_id: str) -> tuple[list[ClientChange], int]:
    """What the consultant has to look at: every change still pending review, plus anything new
    since their last look (a change reviewed elsewhere meanwhile). Also the last seen id."""
    seen = last_seen(store, client_id)
    rows = store.connection.execute(
        "SELECT * FROM client_changes WHERE client_id=? AND (review=? OR id>?) ORDER BY id",
        (client_id, Review.PENDING.value, seen)).fetchall()
    return [_change(r) for r in rows], seen


def mark_seen(store: SQLiteStore, client_id: str) -> None:
    """Remember that the consultant has looked at every change made so far."""
    with store.transaction() as c:
        top = c.execute("SELECT COALESCE(MAX(id), 0) FROM client_changes WHERE client_id=?", (client_id,)).fetchone()[0]
        c.execute("INSERT INTO client_changes_seen VALUES (?,?,?,?) ON CONFLICT(client_id) DO UPDATE SET "
                  "last_seen_id=excluded.last_seen_id, seen_at=excluded.seen_at, seen_by=excluded.seen_by",
                  (client_id, top, now().isoformat(), store.actor))


def review_change(store: SQLiteStore, client_id: str, change_id: int, decision: Review,
                  note: str = "") -> ClientChange:
    """The consultant accepts a change or sends it back (with a note for the client).

    Sending back undoes what the client changed when nobody changed it since: an action marked
    done returns to its earlier status; a task completion is withdrawn; an evidence item is
    withdrawn (its file is kept).
    """
    if decision == Review.PENDING:
        raise UsageError("décision attendue : accepter ou renvoyer.")
    with store.transaction() as c:
        row = c.execute("SELECT * FROM client_changes WHERE id=? AND client_id=?", (change_id, client_id)).fetchone()
        if row is None:
            raise NotFoundError(f"Modification inconnue : {change_id} (client « {client_id} »).")
        change = _change(row)
        if change.review != Review.PENDING:
            raise UsageError(f"la modification {change_id} a déjà été traitée ({change.review.label.lower()}).")
        if decision == Review.SENT_BACK:
            _undo(store, c, change)
        c.execute("UPDATE client_changes SET review=?, review_note=?, reviewed_at=?, reviewed_by=? WHERE id=?",
                  (decision.value, note, now().isoformat(), store.actor, change_id))
        store.record(c, change.mission_id, "client_change", str(change_id), change.indicator_id, "review",
                     change.review.value, {"review": decision.value, "note": note})
    return get_change(store, client_id, change_id)


def _undo(store: SQLiteStore, c: sqlite3.Connection, change: ClientChange) -> None:
    if change.kind == ChangeKind.ACTION_DONE:
        row = c.execute("SELECT * FROM actions WHERE id=?", (int(change.target),)).fetchone()
        if row is not None and row["status"] == ActionStatus.FAIT.value and row["updated_by"] == change.created_by:
            _set_action_status(store, c, row, ActionStatus(change.before))
    elif change.kind == ChangeKind.TASK_DONE and change.after is not None:
        row = c.execute("SELECT * FROM task_completions WHERE id=? AND client_id=?",
                        (int(change.after), change.client_id)).fetchone()
        if row is not None:
            c.execute("DELETE FROM task_completions WHERE id=?", (row["id"],))
            c.execute("INSERT INTO task_history (client_id, task_id, field, before, after, actor, at)"
                      " VALUES (?,?,?,?,?,?,?)", (row["client_id"], row["task_id"], "done",
                                                  json.dumps({"done_on": row["done_on"], "done_by": row["done_by"]}),
                                                  None, store.actor, now().isoformat()))
    elif change.kind == ChangeKind.EVIDENCE:
        row = c.execute("SELECT * FROM evidence WHERE id=? AND removed=0", (int(change.target),)).fetchone()
        if row is not None:
            c.execute("UPDATE evidence SET removed=1 WHERE id=?", (row["id"],))
            store.record(c, row["mission_id"], "evidence", str(row["id"]), row["indicator_id"], "evidence",
                         {"label": row["label"], "location": row["location"], "owner": row["owner"]}, None)


def require_sqlite(store: object) -> SQLiteStore:
    if not isinstance(store, SQLiteStore):
        raise StoreError("L'espace client demande la base SQLite de l'espace de travail.")
    return store
