"""Persistence of sessions, samples and file reviews (tables of migration ``20261127-sessions``).

* sessions belong to a client and are keyed by the client's reference: importing again updates a
  session (each changed field goes to ``session_history``), never duplicates it, and never deletes
  one missing from a later file;
* the sample drawn for a mission is kept with the mission (one per mission; a new draw replaces it,
  the mission's history keeps the previous one);
* each item review (status, note, evidence seen) is one row per mission, session and item; every
  change goes to the mission's history (entity ``session_review``), like an interview answer.

Every write is one ``BEGIN IMMEDIATE`` transaction of :class:`SQLiteStore`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from workbench.core.errors import NotFoundError, StoreError
from workbench.domain.checklist import ReviewStatus
from workbench.domain.records import now
from workbench.domain.session_review import ItemReview
from workbench.domain.sessions import Session
from workbench.store.sqlite import SQLiteStore

REVIEW_ENTITY = "session_review"
SAMPLE_ENTITY = "session_sample"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class UpsertOutcome:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class SessionRepository:
    def __init__(self, store: SQLiteStore) -> None:
        if not isinstance(store, SQLiteStore):  # pragma: no cover - only SQLite exists today
            raise StoreError("Les sessions ne sont gérées que par la base SQLite.")
        self.store = store

    def ready(self) -> bool:
        """False on a database never opened for writing since the sessions feature shipped (a
        read-only view of an older file): reads then return nothing instead of failing."""
        row = self.store.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='session_reviews'").fetchone()
        return row is not None

    # -- sessions --------------------------------------------------------------------------
    def upsert(self, client_id: str, sessions: Sequence[Session]) -> UpsertOutcome:
        """Add new references, update changed ones, all in one transaction."""
        out = UpsertOutcome()
        stamp = now().isoformat()
        actor = self.store.actor
        with self.store.transaction() as c:
            if not c.execute("SELECT 1 FROM clients WHERE id=?", (client_id,)).fetchone():
                raise NotFoundError(f"Client inconnu : « {client_id} ».")
            for s in sessions:
                if s.client_id != client_id:
                    raise StoreError(f"La session « {s.reference} » n'appartient pas au client « {client_id} ».")
                new = s.content()
                row = c.execute("SELECT data FROM sessions WHERE client_id=? AND reference=?",
                                (client_id, s.reference)).fetchone()
                if row is None:
                    c.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?)",
                              (client_id, s.reference, _dump(new), stamp, stamp, actor))
                    c.execute("INSERT INTO session_history (client_id, reference, field, before, after, actor, at)"
                              " VALUES (?,?,?,?,?,?,?)", (client_id, s.reference, "session", None, _dump(new),
                                                          actor, stamp))
                    out.added.append(s.reference)
                    continue
                old = json.loads(row["data"])
                changed = [k for k in new if old.get(k) != new[k]]
                if not changed:
                    out.unchanged.append(s.reference)
                    continue
                c.execute("UPDATE sessions SET data=?, updated_at=?, updated_by=? WHERE client_id=? AND reference=?",
                          (_dump(new), stamp, actor, client_id, s.reference))
                for k in changed:
                    c.execute("INSERT INTO session_history (client_id, reference, field, before, after, actor, at)"
                              " VALUES (?,?,?,?,?,?,?)",
                              (client_id, s.reference, k, _dump(old.get(k)), _dump(new[k]), actor, stamp))
                out.updated.append(s.reference)
        return out

    def list(self, client_id: str) -> list[Session]:
        if not self.ready():
            return []
        rows = self.store.connection.execute(
            "SELECT reference, data FROM sessions WHERE client_id=? ORDER BY reference", (client_id,)).fetchall()
        return [self._session(client_id, r) for r in rows]

    @staticmethod
    def _session(client_id: str, row: Any) -> Session:
        try:
            return Session.model_validate({"client_id": client_id, **json.loads(row["data"])})
        except (ValidationError, ValueError) as exc:
            raise StoreError(f"Session stockée illisible : « {row['reference']} » du client « {client_id} » "
                             f"({exc}).") from None

    def get_many(self, client_id: str, references: Sequence[str]) -> dict[str, Session]:
        """The sessions of these references that exist, by reference (reads only those rows)."""
        if not references or not self.ready():
            return {}
        found: dict[str, Session] = {}
        refs = list(dict.fromkeys(references))
        for start in range(0, len(refs), 500):
            chunk = refs[start:start + 500]
            rows = self.store.connection.execute(
                f"SELECT reference, data FROM sessions WHERE client_id=? AND reference IN ({','.join('?' * len(chunk))})",
                (client_id, *chunk)).fetchall()
            found.update({r["reference"]: self._session(client_id, r) for r in rows})
        return found

    def actors(self) -> list[str]:
        """Everyone who imported or changed a session (client-level history of this feature)."""
        if not self.ready():
            return []
        return [r["actor"] for r in self.store.connection.execute(
            "SELECT DISTINCT actor FROM session_history ORDER BY actor")]

    def count(self, client_id: str) -> int:
        if not self.ready():
            return 0
        return int(self.store.connection.execute("SELECT COUNT(*) FROM sessions WHERE client_id=?",
                                                 (client_id,)).fetchone()[0])

    def get(self, client_id: str, reference: str) -> Session:
        row = self.store.connection.execute(
            "SELECT reference, data FROM sessions WHERE client_id=? AND reference=?",
            (client_id, reference)).fetchone()
        if row is None:
            raise NotFoundError(f"Session inconnue : « {reference} » (client « {client_id} »). "
                                f"Voir : workbench sessions list {client_id}")
        return self._session(client_id, row)

    def history(self, client_id: str, reference: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM session_history WHERE client_id=?"
        params: tuple = (client_id,)
        if reference:
            sql += " AND reference=?"
            params += (reference,)
        return [dict(r) for r in self.store.connection.execute(sql + " ORDER BY id", params)]

    # -- samples ---------------------------------------------------------------------------
    def save_sample(self, mission_id: str, data: dict[str, Any]) -> None:
        stamp = now().isoformat()
        with self.store.transaction() as c:
            if not c.execute("SELECT 1 FROM missions WHERE id=?", (mission_id,)).fetchone():
                raise NotFoundError(f"Mission inconnue : « {mission_id} ».")
            row = c.execute("SELECT data FROM session_samples WHERE mission_id=?", (mission_id,)).fetchone()
            before = json.loads(row["data"]) if row else None
            c.execute("INSERT INTO session_samples VALUES (?,?,?,?) ON CONFLICT(mission_id) DO UPDATE SET "
                      "data=excluded.data, drawn_at=excluded.drawn_at, drawn_by=excluded.drawn_by",
                      (mission_id, _dump(data), stamp, self.store.actor))
            self.store.record(c, mission_id, SAMPLE_ENTITY, mission_id, None, "sample", before, data)

    def get_sample(self, mission_id: str) -> tuple[dict[str, Any], dt.datetime, str] | None:
        if not self.ready():
            return None
        row = self.store.connection.execute("SELECT * FROM session_samples WHERE mission_id=?",
                                            (mission_id,)).fetchone()
        if row is None:
            return None
        return json.loads(row["data"]), dt.datetime.fromisoformat(row["drawn_at"]), row["drawn_by"]

    # -- reviews ---------------------------------------------------------------------------
    @staticmethod
    def _review(row: Any) -> ItemReview:
        return ItemReview(mission_id=row["mission_id"], reference=row["reference"], item_id=row["item_id"],
                          status=ReviewStatus(row["status"]), note=row["note"], evidence=row["evidence"],
                          private_note=row["private_note"],
                          updated_at=dt.datetime.fromisoformat(row["updated_at"]), updated_by=row["updated_by"])

    def list_reviews(self, mission_id: str, reference: str | None = None) -> list[ItemReview]:
        if not self.ready():
            return []
        sql = "SELECT * FROM session_reviews WHERE mission_id=?"
        params: tuple = (mission_id,)
        if reference:
            sql += " AND reference=?"
            params += (reference,)
        return [self._review(r) for r in self.store.connection.execute(sql + " ORDER BY reference, item_id", params)]

    def get_review(self, mission_id: str, reference: str, item_id: str) -> ItemReview:
        row = self.store.connection.execute(
            "SELECT * FROM session_reviews WHERE mission_id=? AND reference=? AND item_id=?",
            (mission_id, reference, item_id)).fetchone()
        return self._review(row) if row else ItemReview(mission_id=mission_id, reference=reference, item_id=item_id)

    def save_reviews(self, mission_id: str, changes: Iterable[tuple[str, str, dict[str, Any]]]) -> list[ItemReview]:
        """Apply ``(reference, item_id, {field: value})`` changes in ONE transaction (all or nothing);
        each changed field is recorded in the mission's history. Returns the saved reviews."""
        stamp = now()
        saved: list[ItemReview] = []
        with self.store.transaction() as c:
            if not c.execute("SELECT 1 FROM missions WHERE id=?", (mission_id,)).fetchone():
                raise NotFoundError(f"Mission inconnue : « {mission_id} ».")
            for reference, item_id, fields in changes:
                unknown = set(fields) - set(ItemReview.FIELDS)
                if unknown:
                    raise StoreError(f"Champ(s) de revue inconnu(s) : {', '.join(sorted(unknown))}.")
                row = c.execute("SELECT * FROM session_reviews WHERE mission_id=? AND reference=? AND item_id=?",
                                (mission_id, reference, item_id)).fetchone()
                current = self._review(row) if row else ItemReview(mission_id=mission_id, reference=reference,
                                                                   item_id=item_id)
                try:
                    updated = ItemReview.model_validate(current.model_dump() | fields | {
                        "updated_at": stamp, "updated_by": self.store.actor})
                except ValidationError as exc:
                    first = exc.errors()[0]
                    raise StoreError(f"Valeur refusée pour la revue de « {reference} » / « {item_id} » : "
                                     f"{first.get('input')!r} ({first.get('msg')}). Rien n'a été enregistré.") from None
                diffs = [(f, getattr(current, f), getattr(updated, f)) for f in ItemReview.FIELDS
                         if getattr(current, f) != getattr(updated, f)]
                if not diffs:
                    saved.append(current)
                    continue
                c.execute(
                    "INSERT INTO session_reviews (mission_id, reference, item_id, status, note, evidence, updated_at,"
                    " updated_by, private_note) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(mission_id, reference, item_id)"
                    " DO UPDATE SET status=excluded.status, note=excluded.note, evidence=excluded.evidence,"
                    " private_note=excluded.private_note, updated_at=excluded.updated_at, updated_by=excluded.updated_by",
                    (mission_id, reference, item_id, updated.status.value, updated.note, updated.evidence,
                     stamp.isoformat(), self.store.actor, updated.private_note))
                for f, before, after in diffs:
                    self.store.record(c, mission_id, REVIEW_ENTITY, f"{reference}/{item_id}", None, f,
                                      before if row else None, after)
                saved.append(updated)
        return saved

    def save_review(self, mission_id: str, reference: str, item_id: str, **fields: Any) -> ItemReview:
        return self.save_reviews(mission_id, [(reference, item_id, fields)])[0]

    def last_review_change(self, mission_ids: Sequence[str]) -> dt.datetime | None:
        if not mission_ids or not self.ready():
            return None
        marks = ",".join("?" * len(mission_ids))
        row = self.store.connection.execute(
            f"SELECT MAX(updated_at) AS at FROM session_reviews WHERE mission_id IN ({marks})",
            tuple(mission_ids)).fetchone()
        return dt.datetime.fromisoformat(row["at"]) if row and row["at"] else None
