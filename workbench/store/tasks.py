"""Persistence of the recurring-task plans (migration ``20261127-tasks``).

Three tables: ``tasks`` (each client's plan), ``task_completions`` (every time a task was done:
date, who, optional evidence) and ``task_history`` (who changed what in a plan, when, before and
after: a plan belongs to a client, not to a mission, so it keeps its own history table).
Every write runs in one ``BEGIN IMMEDIATE`` transaction of the store; marking a task done with
evidence writes the completion and the evidence items (with their own history lines) together.

Reads work on a read-only store too (the client's dashboard); a database written before this
migration, opened read-only, simply has no plan.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from workbench.core.errors import NotFoundError, StoreError
from workbench.domain.records import Evidence, now
from workbench.domain.tasks import Completion, PlanTask
from workbench.store.sqlite import SQLiteStore

FIELD_LABELS = {"title": "intitulé", "what": "ce qu'il faut faire", "indicators": "indicateurs",
             "owner": "responsable", "frequency_months": "fréquence (mois)", "proof": "preuve à conserver",
             "start_date": "première échéance", "comment": "commentaire", "retired": "retirée"}


def _conn(store: SQLiteStore) -> sqlite3.Connection:
    if not isinstance(store, SQLiteStore):
        raise StoreError("Le plan de tâches récurrentes nécessite une base SQLite.")
    return store.connection


def has_tables(store: SQLiteStore) -> bool:
    """False on a database older than the tasks migration opened read-only."""
    row = _conn(store).execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='task_completions'").fetchone()
    return row is not None


def _json(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _task(row: sqlite3.Row) -> PlanTask:
    return PlanTask(
        client_id=row["client_id"], id=row["task_id"], catalogue_id=row["catalogue_id"], title=row["title"],
        what=row["what"], indicators=tuple(json.loads(row["indicators"])), owner=row["owner"],
        frequency_months=row["frequency_months"], proof=row["proof"],
        start_date=dt.date.fromisoformat(row["start_date"]), retired=bool(row["retired"]), comment=row["comment"],
        updated_at=dt.datetime.fromisoformat(row["updated_at"]), updated_by=row["updated_by"],
    )


def _completion(row: sqlite3.Row) -> Completion:
    return Completion(
        id=row["id"], client_id=row["client_id"], task_id=row["task_id"],
        done_on=dt.date.fromisoformat(row["done_on"]), done_by=row["done_by"], evidence_label=row["evidence_label"],
        represents_date=dt.date.fromisoformat(row["represents_date"]) if row["represents_date"] else None,
        mission_id=row["mission_id"], evidence_ids=tuple(json.loads(row["evidence_ids"])), note=row["note"],
        source=row["source"], recorded_at=dt.datetime.fromisoformat(row["recorded_at"]),
        recorded_by=row["recorded_by"],
    )


def _history(store: SQLiteStore, c: sqlite3.Connection, client_id: str, task_id: str, field: str,
             before: Any, after: Any, at: str) -> None:
    c.execute("INSERT INTO task_history (client_id, task_id, field, before, after, actor, at) VALUES (?,?,?,?,?,?,?)",
              (client_id, task_id, field, None if before is None else _json(before),
               None if after is None else _json(after), store.actor, at))


def _need_client(c: sqlite3.Connection, client_id: str) -> None:
    if not c.execute("SELECT 1 FROM clients WHERE id=?", (client_id,)).fetchone():
        raise NotFoundError(f"Client inconnu : « {client_id} ».")


# -- reads ----------------------------------------------------------------------------------


def list_tasks(store: SQLiteStore, client_id: str, *, include_retired: bool = True) -> list[PlanTask]:
    if not has_tables(store):
        return []
    sql = "SELECT * FROM tasks WHERE client_id=?" + ("" if include_retired else " AND retired=0")
    return [_task(r) for r in _conn(store).execute(sql + " ORDER BY task_id", (client_id,))]


def get_task(store: SQLiteStore, client_id: str, task_id: str) -> PlanTask:
    row = None
    if has_tables(store):
        row = _conn(store).execute("SELECT * FROM tasks WHERE client_id=? AND task_id=?",
                                   (client_id, task_id)).fetchone()
    if row is None:
        known = [t.id for t in list_tasks(store, client_id)]
        hint = f" Tâches du plan : {', '.join(known)}." if known else ""
        raise NotFoundError(f"Tâche inconnue dans le plan du client « {client_id} » : « {task_id} ».{hint}")
    return _task(row)


def list_completions(store: SQLiteStore, client_id: str, task_id: str | None = None) -> list[Completion]:
    if not has_tables(store):
        return []
    sql, params = "SELECT * FROM task_completions WHERE client_id=?", [client_id]
    if task_id:
        sql += " AND task_id=?"
        params.append(task_id)
    return [_completion(r) for r in _conn(store).execute(sql + " ORDER BY done_on, id", params)]


def task_history(store: SQLiteStore, client_id: str, task_id: str | None = None) -> list[dict[str, Any]]:
    if not has_tables(store):
        return []
    sql, params = "SELECT * FROM task_history WHERE client_id=?", [client_id]
    if task_id:
        sql += " AND task_id=?"
        params.append(task_id)
    out = []
    for r in _conn(store).execute(sql + " ORDER BY id", params):
        item = dict(r)
        item["before"] = json.loads(r["before"]) if r["before"] is not None else None
        item["after"] = json.loads(r["after"]) if r["after"] is not None else None
        if item.get("imported_from"):  # received from a client bundle (see bundle_extras)
            item["imported_from"] = json.loads(item["imported_from"])
        out.append(item)
    return out


def task_actors(store: SQLiteStore) -> list[str]:
    """Everyone who changed a task plan or recorded a completion."""
    if not has_tables(store):
        return []
    rows = _conn(store).execute("SELECT actor FROM task_history UNION SELECT recorded_by FROM task_completions")
    return sorted({r[0] for r in rows})


# -- writes ---------------------------------------------------------------------------------


def _insert(store: SQLiteStore, c: sqlite3.Connection, task: PlanTask, stamp: str) -> None:
    c.execute(
        "INSERT INTO tasks (client_id, task_id, catalogue_id, title, what, indicators, owner, frequency_months,"
        " proof, start_date, retired, comment, created_at, created_by, updated_at, updated_by)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (task.client_id, task.id, task.catalogue_id, task.title, task.what, _json(task.indicators), task.owner,
         task.frequency_months, task.proof, task.start_date.isoformat(), int(task.retired), task.comment,
         stamp, store.actor, stamp, store.actor))
    _history(store, c, task.client_id, task.id, "task", None,
             task.model_dump(mode="json", exclude={"updated_at", "updated_by"}), stamp)


def add_tasks(store: SQLiteStore, tasks: Sequence[PlanTask], *, skip_existing: bool = False) -> list[PlanTask]:
    """Add tasks to plans in one transaction; an id already in the plan is an error unless skipped."""
    stamp = now().isoformat()
    added: list[PlanTask] = []
    with store.transaction() as c:
        for task in tasks:
            _need_client(c, task.client_id)
            if c.execute("SELECT 1 FROM tasks WHERE client_id=? AND task_id=?", (task.client_id, task.id)).fetchone():
                if skip_existing:
                    continue
                raise StoreError(f"La tâche « {task.id} » existe déjà dans le plan du client « {task.client_id} » ; "
                                 "rien n'a été modifié. Choisissez un autre identifiant (--id).")
            _insert(store, c, task, stamp)
            added.append(task.model_copy(update={"updated_at": dt.datetime.fromisoformat(stamp),
                                                 "updated_by": store.actor}))
    return added


def update_task(store: SQLiteStore, client_id: str, task_id: str, **changes: Any) -> PlanTask:
    """Change editable fields (and ``retired``); each changed field goes to the history."""
    unknown = set(changes) - set(PlanTask.EDITABLE) - {"retired"}
    if unknown:
        raise StoreError(f"Champ(s) de tâche inconnu(s) : {', '.join(sorted(unknown))}.")
    stamp = now()
    with store.transaction() as c:
        row = c.execute("SELECT * FROM tasks WHERE client_id=? AND task_id=?", (client_id, task_id)).fetchone()
        if row is None:
            raise NotFoundError(f"Tâche inconnue dans le plan du client « {client_id} » : « {task_id} ».")
        current = _task(row)
        try:
            updated = PlanTask.model_validate(current.model_dump() | changes)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first.get("loc") else "?"
            raise StoreError(f"Valeur refusée pour « {FIELD_LABELS.get(field, field)} » : {first.get('input')!r} "
                             f"({first.get('msg', 'valeur invalide')}). Rien n'a été enregistré.") from None
        diffs = [(f, getattr(current, f), getattr(updated, f)) for f in (*PlanTask.EDITABLE, "retired")
                 if getattr(current, f) != getattr(updated, f)]
        if not diffs:
            return current
        c.execute(
            "UPDATE tasks SET title=?, what=?, indicators=?, owner=?, frequency_months=?, proof=?, start_date=?,"
            " comment=?, retired=?, updated_at=?, updated_by=? WHERE client_id=? AND task_id=?",
            (updated.title, updated.what, _json(updated.indicators), updated.owner, updated.frequency_months,
             updated.proof, updated.start_date.isoformat(), updated.comment, int(updated.retired),
             stamp.isoformat(), store.actor, client_id, task_id))
        for field, before, after in diffs:
            _history(store, c, client_id, task_id, field, before, after, stamp.isoformat())
    return updated.model_copy(update={"updated_at": stamp, "updated_by": store.actor})


def record_completion(store: SQLiteStore, completion: Completion, evidence: Iterable[Evidence] = ()) -> Completion:
    """Record that a task was done, and file its evidence items, in one transaction."""
    stamp = now()
    with store.transaction() as c:
        row = c.execute("SELECT retired FROM tasks WHERE client_id=? AND task_id=?",
                        (completion.client_id, completion.task_id)).fetchone()
        if row is None:
            raise NotFoundError(f"Tâche inconnue dans le plan du client « {completion.client_id} » : "
                                f"« {completion.task_id} ».")
        ids = tuple(store.insert_evidence(c, ev).id or 0 for ev in evidence)
        cur = c.execute(
            "INSERT INTO task_completions (client_id, task_id, done_on, done_by, evidence_label, represents_date,"
            " mission_id, evidence_ids, note, source, recorded_at, recorded_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (completion.client_id, completion.task_id, completion.done_on.isoformat(), completion.done_by,
             completion.evidence_label,
             completion.represents_date.isoformat() if completion.represents_date else None,
             completion.mission_id, _json(ids), completion.note, completion.source, stamp.isoformat(), store.actor))
        saved = completion.model_copy(update={"id": cur.lastrowid, "evidence_ids": ids, "recorded_at": stamp,
                                              "recorded_by": store.actor})
        _history(store, c, completion.client_id, completion.task_id, "done", None,
                 saved.model_dump(mode="json", exclude={"recorded_at", "recorded_by"}), stamp.isoformat())
    return saved
