"""Persistent store: clients, missions, answers, evidence, actions and their full history.

SQLite by default (one file in the workspace, WAL journal, ``synchronous=FULL``, every write in
its own ``BEGIN IMMEDIATE`` transaction) behind the small :class:`Store` interface, so that a
server database can be registered later for teams (see :func:`register_backend`).

Nothing is ever overwritten silently: every change of an answer, an evidence item or an action
is recorded in ``history`` with who, when, the value before and the value after.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from workbench.core.errors import ConflictError, NotFoundError, ProfileError, StoreError
from workbench.core.validation import describe_error
from workbench.core.vocab import ActionStatus, AuditType, MissionType, Verdict
from workbench.domain.profile import ClientProfile, profile_from_data, validate_client_id
from workbench.domain.records import (
    Action,
    Answer,
    Evidence,
    HistoryEntry,
    Mission,
    default_actor,
    now,
)
from workbench.store import bundle_extras
from workbench.store.base import Store, register_backend
from workbench.store.errors import check_database_file, read_only_error, sqlite_failure
from workbench.store.opening import (
    DEFAULT_BUSY_TIMEOUT_S,
    create_private_file,
    open_read_only,
    schema_is_current,
    writable,
)

SCHEMA_VERSION = 1
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migration_files() -> dict[str, str]:
    """The shipped migrations, by name, in the order they apply."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(MIGRATIONS_DIR.glob("*.sql"))}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS missions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    audit_type TEXT NOT NULL,
    audit_date TEXT NOT NULL,
    referential_id TEXT NOT NULL,
    referential_auto INTEGER NOT NULL,
    label TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (client_id, seq)
);
CREATE TABLE IF NOT EXISTS answers (
    mission_id TEXT NOT NULL REFERENCES missions(id),
    indicator_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    notes TEXT NOT NULL,
    na_justification TEXT NOT NULL,
    responses TEXT NOT NULL,
    checklist TEXT NOT NULL,
    respondent TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (mission_id, indicator_id)
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id TEXT NOT NULL REFERENCES missions(id),
    indicator_id TEXT NOT NULL,
    label TEXT NOT NULL,
    location TEXT NOT NULL,
    represents_date TEXT,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS evidence_mission ON evidence(mission_id, indicator_id);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id TEXT NOT NULL REFERENCES missions(id),
    indicator_id TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    priority INTEGER NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    due_date TEXT,
    comment TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_mission ON actions(mission_id);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    indicator_id TEXT,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_mission ON history(mission_id, indicator_id);
CREATE TABLE IF NOT EXISTS ui_state (
    mission_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (mission_id, key)
);
"""


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


_FIELD_FR = {
    "verdict": "verdict", "finding": "constat", "private_notes": "notes privées",
    "na_justification": "justification de non-applicabilité",
    "responses": "réponses", "checklist": "preuves cochées", "respondent": "interlocuteur",
    "title": "intitulé", "detail": "détail", "priority": "priorité", "owner": "responsable",
    "status": "statut", "due_date": "échéance", "comment": "commentaire",
}

_M_T = TypeVar("_M_T", bound=BaseModel)


def _validated(model: type[_M_T], data: dict[str, Any]) -> _M_T:
    """Validate a merged record; a bad value becomes a French StoreError naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "?"
        raise StoreError(
            f"Valeur refusée pour « {_FIELD_FR.get(field, field)} » : {describe_error(first)}. "
            "Rien n'a été enregistré."
        ) from None


class SQLiteStore(Store):
    def __init__(self, path: str | Path, *, actor: str | None = None, create: bool = True,
                 busy_timeout: float | None = None) -> None:
        self.path = Path(path)
        self.actor = actor or default_actor()
        self.read_only = False
        wait = busy_timeout if busy_timeout is not None else DEFAULT_BUSY_TIMEOUT_S
        exists = str(path) == ":memory:" or self.path.exists()
        if not create and not exists:
            raise NotFoundError(f"Aucune base de données dans l'espace de travail : {self.path} introuvable. "
                                "Créez d'abord un client (workbench client new …).")
        if str(path) == ":memory:":
            pass
        elif exists:
            check_database_file(self.path)
            self.read_only = not writable(self.path)
        else:
            create_private_file(self.path)
        try:
            if self.read_only:
                self._conn = open_read_only(self.path, wait)
            else:
                self._conn = sqlite3.connect(self.path, timeout=wait, isolation_level=None,
                                             check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            if not self.read_only:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA foreign_keys=ON")
            self._init_schema()
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise sqlite_failure(exc, self.path, writing=False) from None
        except BaseException:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise

    @classmethod
    def empty(cls, path: Path, *, actor: str | None = None) -> SQLiteStore:
        """An empty read-only store standing for a database not created yet at ``path``."""
        store = cls(":memory:", actor=actor)
        store.path, store.read_only = Path(path), True
        return store

    # -- plumbing ------------------------------------------------------------------------
    def _init_schema(self) -> None:
        if schema_is_current(self._conn, SCHEMA_VERSION, set(migration_files())):
            return  # nothing to write: read-only workspaces and busy databases open all the same
        if self.read_only:  # an older base on a read-only medium: read it as it is
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise StoreError(f"La base {self.path} a été créée par une version plus récente du logiciel "
                                 f"(schéma {row[0]}, ce logiciel gère le schéma {SCHEMA_VERSION}).")
            return
        with self._tx() as c:
            for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                c.execute(stmt)
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row["value"]) > SCHEMA_VERSION:
                raise StoreError(
                    f"La base {self.path} a été créée par une version plus récente du logiciel "
                    f"(schéma {row['value']}, ce logiciel gère le schéma {SCHEMA_VERSION})."
                )
            self._migrate(c)

    def _migrate(self, c: sqlite3.Connection) -> None:
        """Apply the named migrations of :mod:`workbench.store.migrations` not applied yet."""
        c.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r["name"] for r in c.execute("SELECT name FROM migrations")}
        known = migration_files()
        unknown = sorted(done - set(known))
        if unknown:
            raise StoreError(
                f"La base {self.path} a été modifiée par une version plus récente du logiciel "
                f"(évolution inconnue : {', '.join(unknown)}). Mettez le logiciel à jour."
            )
        for name, sql in known.items():
            if name in done:
                continue
            for stmt in filter(None, (s.strip() for s in sql.split(";"))):
                c.execute(stmt)
            c.execute("INSERT INTO migrations VALUES (?, ?)", (name, now().isoformat()))

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), for the feature repositories of this package."""
        return self._tx()

    def record(self, c: sqlite3.Connection, mission_id: str, entity: str, key: str,
               indicator_id: str | None, field: str, before: Any, after: Any) -> None:
        """Add one history line (who is :attr:`actor`, when is now) inside a transaction."""
        self._record(c, mission_id, entity, key, indicator_id, field, before, after, now().isoformat())

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection, for reads by the feature repositories of this package."""
        return self._conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; taken immediately so concurrent writers queue instead of failing."""
        c = self._conn
        if self.read_only:
            raise read_only_error(self.path)
        try:
            c.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise sqlite_failure(exc, self.path) from None
        try:
            yield c
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise sqlite_failure(exc, self.path) from None
            raise
        else:
            try:
                c.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    c.execute("ROLLBACK")
                raise sqlite_failure(exc, self.path) from None

    def _record(self, c: sqlite3.Connection, mission_id: str, entity: str, key: str,
                indicator_id: str | None, field: str, before: Any, after: Any, at: str) -> None:
        c.execute(
            "INSERT INTO history (mission_id, entity, entity_key, indicator_id, field, before, after, actor, at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (mission_id, entity, key, indicator_id, field,
             None if before is None else _dump(_jsonable(before)),
             None if after is None else _dump(_jsonable(after)), self.actor, at),
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                      (key, value))

    # -- clients -------------------------------------------------------------------------
    def create_client(self, profile: ClientProfile) -> None:
        stamp = now().isoformat()
        with self._tx() as c:
            if c.execute("SELECT 1 FROM clients WHERE id=?", (profile.id,)).fetchone():
                raise StoreError(f"Le client « {profile.id} » existe déjà ; rien n'a été modifié.")
            _refuse_taken_siret(c, profile)
            c.execute("INSERT INTO clients VALUES (?,?,?,?)",
                      (profile.id, profile.model_dump_json(), stamp, stamp))

    def update_client(self, profile: ClientProfile) -> None:
        stamp = now().isoformat()
        with self._tx() as c:
            row = c.execute("SELECT profile FROM clients WHERE id=?", (profile.id,)).fetchone()
            if row is None:
                raise NotFoundError(f"Client inconnu : « {profile.id} ».")
            _refuse_taken_siret(c, profile)
            c.execute("UPDATE clients SET profile=?, updated_at=? WHERE id=?",
                      (profile.model_dump_json(), stamp, profile.id))
            self._record(c, "", "client", profile.id, None, "profile",
                         json.loads(row["profile"]), profile.model_dump(mode="json"), stamp)

    def get_client(self, client_id: str) -> ClientProfile:
        validate_client_id(client_id)
        row = self._conn.execute("SELECT profile FROM clients WHERE id=?", (client_id,)).fetchone()
        if row is None:
            known = [r["id"] for r in self._conn.execute("SELECT id FROM clients ORDER BY id")]
            hint = f" Clients connus : {', '.join(known)}." if known else " L'espace de travail ne contient aucun client."
            raise NotFoundError(f"Client inconnu : « {client_id} ».{hint}")
        return profile_from_data(json.loads(row["profile"]), f"Profil stocké du client {client_id}")

    def client_exists(self, client_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM clients WHERE id=?", (client_id,)).fetchone() is not None

    def list_clients(self) -> list[ClientProfile]:
        rows = self._conn.execute("SELECT id, profile FROM clients ORDER BY id").fetchall()
        return [profile_from_data(json.loads(r["profile"]), f"Profil stocké du client {r['id']}") for r in rows]

    # -- missions ------------------------------------------------------------------------
    def create_mission(self, client_id: str, *, type: MissionType, audit_type: AuditType,
                       audit_date: dt.date, referential_id: str, referential_auto: bool,
                       label: str | None = None, mission_id: str | None = None) -> Mission:
        stamp = now()
        with self._tx() as c:
            if not c.execute("SELECT 1 FROM clients WHERE id=?", (client_id,)).fetchone():
                raise NotFoundError(f"Client inconnu : « {client_id} ».")
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM missions WHERE client_id=?",
                            (client_id,)).fetchone()[0]
            mid = mission_id or f"{client_id}-m{seq}"
            if c.execute("SELECT 1 FROM missions WHERE id=?", (mid,)).fetchone():
                raise StoreError(f"La mission « {mid} » existe déjà.")
            mission = Mission(id=mid, client_id=client_id, type=type, audit_type=audit_type,
                              audit_date=audit_date, referential_id=referential_id,
                              referential_auto=referential_auto, label=label,
                              created_at=stamp, created_by=self.actor)
            c.execute(
                "INSERT INTO missions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (mid, client_id, seq, type.value, audit_type.value, audit_date.isoformat(),
                 referential_id, int(referential_auto), label, stamp.isoformat(), self.actor),
            )
        return mission

    @staticmethod
    def _mission(row: sqlite3.Row) -> Mission:
        return Mission(
            id=row["id"], client_id=row["client_id"], type=MissionType(row["type"]),
            audit_type=AuditType(row["audit_type"]), audit_date=dt.date.fromisoformat(row["audit_date"]),
            referential_id=row["referential_id"], referential_auto=bool(row["referential_auto"]),
            label=row["label"], created_at=dt.datetime.fromisoformat(row["created_at"]),
            created_by=row["created_by"],
        )

    def get_mission(self, mission_id: str) -> Mission:
        row = self._conn.execute("SELECT * FROM missions WHERE id=?", (mission_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"Mission inconnue : « {mission_id} ».")
        return self._mission(row)

    def list_missions(self, client_id: str | None = None) -> list[Mission]:
        if client_id is None:
            rows = self._conn.execute("SELECT * FROM missions ORDER BY client_id, seq").fetchall()
        else:
            rows = self._conn.execute("SELECT * FROM missions WHERE client_id=? ORDER BY seq",
                                      (client_id,)).fetchall()
        return [self._mission(r) for r in rows]

    def previous_mission(self, mission: Mission) -> Mission | None:
        """The client's latest mission before this one (follow-up visits, without verdicts, skipped)."""
        earlier = [m for m in self.list_missions(mission.client_id) if m.id != mission.id
                   and m.type != MissionType.POINT_SUIVI
                   and (m.audit_date, m.created_at) < (mission.audit_date, mission.created_at)]
        # Missions may be entered in any order: the latest by audit date, not by creation.
        return max(earlier, key=lambda m: (m.audit_date, m.created_at)) if earlier else None

    # -- answers -------------------------------------------------------------------------
    @staticmethod
    def _answer(row: sqlite3.Row) -> Answer:
        return Answer(
            mission_id=row["mission_id"], indicator_id=row["indicator_id"], verdict=Verdict(row["verdict"]),
            finding=row["finding"], private_notes=row["private_notes"], na_justification=row["na_justification"],
            responses=json.loads(row["responses"]), checklist=json.loads(row["checklist"]),
            respondent=row["respondent"], updated_at=dt.datetime.fromisoformat(row["updated_at"]),
            updated_by=row["updated_by"],
        )

    def get_answer(self, mission_id: str, indicator_id: str) -> Answer:
        row = self._conn.execute("SELECT * FROM answers WHERE mission_id=? AND indicator_id=?",
                                 (mission_id, indicator_id)).fetchone()
        return self._answer(row) if row else Answer(mission_id=mission_id, indicator_id=indicator_id)

    def list_answers(self, mission_id: str) -> dict[str, Answer]:
        rows = self._conn.execute("SELECT * FROM answers WHERE mission_id=?", (mission_id,)).fetchall()
        return {r["indicator_id"]: self._answer(r) for r in rows}

    def save_answer(self, mission_id: str, indicator_id: str, *,
                    merge: dict[str, dict[str, Any]] | None = None,
                    expected: dict[str, Any] | None = None, **changes: Any) -> Answer:
        """Apply a partial change to an answer; returns the saved answer. History keeps each field.

        ``merge`` updates single keys of ``responses`` or ``checklist`` against the value read
        inside the write transaction, so two sessions ticking different proofs both keep theirs.
        ``expected`` (field -> value the caller last saw) makes the write conditional: when a field
        was changed elsewhere meanwhile, nothing is written and :class:`ConflictError` says so.
        """
        merge = merge or {}
        unknown = (set(changes) - set(Answer.ANSWER_FIELDS)) | (set(merge) - {"responses", "checklist"})
        if unknown:
            raise StoreError(f"Champ(s) de réponse inconnu(s) : {', '.join(sorted(unknown))}.")
        stamp = now()
        with self._tx() as c:
            if not c.execute("SELECT 1 FROM missions WHERE id=?", (mission_id,)).fetchone():
                raise NotFoundError(f"Mission inconnue : « {mission_id} ».")
            row = c.execute("SELECT * FROM answers WHERE mission_id=? AND indicator_id=?",
                            (mission_id, indicator_id)).fetchone()
            current = self._answer(row) if row else Answer(mission_id=mission_id, indicator_id=indicator_id)
            for field, seen in (expected or {}).items():
                now_value, wanted = getattr(current, field), changes.get(field, seen)
                if field in changes and _jsonable(now_value) not in (_jsonable(seen), _jsonable(wanted)):
                    raise ConflictError(
                        f"« {_FIELD_FR.get(field, field)} » a été modifié ailleurs depuis son affichage "
                        f"(par {current.updated_by or 'quelqu’un'}) ; rien n'a été écrasé.",
                        field=field, current=now_value, attempted=wanted,
                        changed_by=current.updated_by, changed_at=current.updated_at)
            for field, items in merge.items():  # a None value removes the key
                merged = {**getattr(current, field), **items}
                changes[field] = {k: v for k, v in merged.items() if v is not None}
            updated = _validated(Answer, current.model_dump() | changes | {"updated_at": stamp,
                                                                          "updated_by": self.actor})
            diffs = [(f, getattr(current, f), getattr(updated, f)) for f in Answer.ANSWER_FIELDS
                     if _jsonable(getattr(current, f)) != _jsonable(getattr(updated, f))]
            if not diffs:
                return current
            values = {"mission_id": mission_id, "indicator_id": indicator_id, "verdict": updated.verdict.value,
                      "finding": updated.finding, "private_notes": updated.private_notes,
                      "na_justification": updated.na_justification, "responses": _dump(updated.responses),
                      "checklist": _dump(updated.checklist), "respondent": updated.respondent,
                      "updated_at": stamp.isoformat(), "updated_by": self.actor}
            keys = ("mission_id", "indicator_id")
            c.execute(
                f"INSERT INTO answers ({','.join(values)}) VALUES ({','.join('?' * len(values))})"
                " ON CONFLICT(mission_id, indicator_id) DO UPDATE SET "
                + ", ".join(f"{k}=excluded.{k}" for k in values if k not in keys),
                list(values.values()),
            )
            for field, before, after in diffs:
                self._record(c, mission_id, "answer", indicator_id, indicator_id, field,
                             before if row else None, after, stamp.isoformat())
        return updated

    # -- evidence ------------------------------------------------------------------------
    def add_evidence(self, evidence: Evidence) -> Evidence:
        with self._tx() as c:
            return self.insert_evidence(c, evidence)

    def insert_evidence(self, c: sqlite3.Connection, evidence: Evidence) -> Evidence:
        """Add an evidence item (and its history line) inside a transaction of a feature repository."""
        stamp = now()
        if not c.execute("SELECT 1 FROM missions WHERE id=?", (evidence.mission_id,)).fetchone():
            raise NotFoundError(f"Mission inconnue : « {evidence.mission_id} ».")
        cur = c.execute(
            "INSERT INTO evidence (mission_id, indicator_id, label, location, represents_date, owner,"
            " created_at, created_by) VALUES (?,?,?,?,?,?,?,?)",
            (evidence.mission_id, evidence.indicator_id, evidence.label, evidence.location,
             evidence.represents_date.isoformat() if evidence.represents_date else None,
             evidence.owner, stamp.isoformat(), self.actor),
        )
        saved = evidence.model_copy(update={"id": cur.lastrowid, "created_at": stamp, "created_by": self.actor})
        self._record(c, evidence.mission_id, "evidence", str(cur.lastrowid), evidence.indicator_id,
                     "evidence", None, saved.model_dump(mode="json", exclude={"created_at"}), stamp.isoformat())
        return saved

    def remove_evidence(self, evidence_id: int) -> None:
        stamp = now().isoformat()
        with self._tx() as c:
            row = c.execute("SELECT * FROM evidence WHERE id=? AND removed=0", (evidence_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"Élément de preuve inconnu : {evidence_id}.")
            c.execute("UPDATE evidence SET removed=1 WHERE id=?", (evidence_id,))
            self._record(c, row["mission_id"], "evidence", str(evidence_id), row["indicator_id"],
                         "evidence", self._evidence(row).model_dump(mode="json", exclude={"created_at"}), None, stamp)

    @staticmethod
    def _evidence(row: sqlite3.Row) -> Evidence:
        return Evidence(
            id=row["id"], mission_id=row["mission_id"], indicator_id=row["indicator_id"], label=row["label"],
            location=row["location"],
            represents_date=dt.date.fromisoformat(row["represents_date"]) if row["represents_date"] else None,
            owner=row["owner"], created_at=dt.datetime.fromisoformat(row["created_at"]),
            created_by=row["created_by"],
        )

    def list_evidence(self, mission_id: str, indicator_id: str | None = None) -> list[Evidence]:
        sql = "SELECT * FROM evidence WHERE mission_id=? AND removed=0"
        params: tuple = (mission_id,)
        if indicator_id:
            sql += " AND indicator_id=?"
            params += (indicator_id,)
        return [self._evidence(r) for r in self._conn.execute(sql + " ORDER BY id", params)]

    # -- actions -------------------------------------------------------------------------
    @staticmethod
    def _action(row: sqlite3.Row) -> Action:
        return Action(
            id=row["id"], mission_id=row["mission_id"], indicator_id=row["indicator_id"], title=row["title"],
            detail=row["detail"], priority=row["priority"], owner=row["owner"], status=ActionStatus(row["status"]),
            due_date=dt.date.fromisoformat(row["due_date"]) if row["due_date"] else None,
            comment=row["comment"], updated_at=dt.datetime.fromisoformat(row["updated_at"]),
            updated_by=row["updated_by"],
        )

    def add_action(self, action: Action) -> Action:
        stamp = now()
        with self._tx() as c:
            if not c.execute("SELECT 1 FROM missions WHERE id=?", (action.mission_id,)).fetchone():
                raise NotFoundError(f"Mission inconnue : « {action.mission_id} ».")
            cur = c.execute(
                "INSERT INTO actions (mission_id, indicator_id, title, detail, priority, owner, status, due_date,"
                " comment, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (action.mission_id, action.indicator_id, action.title, action.detail, action.priority,
                 action.owner, action.status.value, action.due_date.isoformat() if action.due_date else None,
                 action.comment, stamp.isoformat(), self.actor),
            )
            saved = action.model_copy(update={"id": cur.lastrowid, "updated_at": stamp, "updated_by": self.actor})
            self._record(c, action.mission_id, "action", str(cur.lastrowid), action.indicator_id, "action",
                         None, saved.model_dump(mode="json", exclude={"updated_at"}), stamp.isoformat())
        return saved

    def update_action(self, action_id: int, **changes: Any) -> Action:
        unknown = set(changes) - set(Action.EDITABLE)
        if unknown:
            raise StoreError(f"Champ(s) d'action inconnu(s) : {', '.join(sorted(unknown))}.")
        stamp = now()
        with self._tx() as c:
            row = c.execute("SELECT * FROM actions WHERE id=?", (action_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"Action inconnue : {action_id}.")
            current = self._action(row)
            updated = _validated(Action, current.model_dump() | changes | {"updated_at": stamp,
                                                                          "updated_by": self.actor})
            diffs = [(f, getattr(current, f), getattr(updated, f)) for f in Action.EDITABLE
                     if _jsonable(getattr(current, f)) != _jsonable(getattr(updated, f))]
            if not diffs:
                return current
            c.execute(
                "UPDATE actions SET title=?, detail=?, priority=?, owner=?, status=?, due_date=?, comment=?,"
                " updated_at=?, updated_by=? WHERE id=?",
                (updated.title, updated.detail, updated.priority, updated.owner, updated.status.value,
                 updated.due_date.isoformat() if updated.due_date else None, updated.comment,
                 stamp.isoformat(), self.actor, action_id),
            )
            for field, before, after in diffs:
                self._record(c, current.mission_id, "action", str(action_id), current.indicator_id, field,
                             before, after, stamp.isoformat())
        return updated

    def list_actions(self, mission_id: str) -> list[Action]:
        rows = self._conn.execute("SELECT * FROM actions WHERE mission_id=? ORDER BY priority, due_date, id",
                                  (mission_id,)).fetchall()
        return [self._action(r) for r in rows]

    # -- history and state ---------------------------------------------------------------
    def history(self, mission_id: str, indicator_id: str | None = None) -> list[HistoryEntry]:
        sql = "SELECT * FROM history WHERE mission_id=?"
        params: tuple = (mission_id,)
        if indicator_id:
            sql += " AND indicator_id=?"
            params += (indicator_id,)
        return [
            HistoryEntry(
                id=r["id"], mission_id=r["mission_id"], entity=r["entity"], entity_key=r["entity_key"],
                indicator_id=r["indicator_id"], field=r["field"],
                before=json.loads(r["before"]) if r["before"] is not None else None,
                after=json.loads(r["after"]) if r["after"] is not None else None,
                actor=r["actor"], at=dt.datetime.fromisoformat(r["at"]),
                imported_from=json.loads(r["imported_from"]) if _col(r, "imported_from") else None,
                imported_at=dt.datetime.fromisoformat(r["imported_at"]) if _col(r, "imported_at") else None,
            )
            for r in self._conn.execute(sql + " ORDER BY id", params)
        ]

    def history_actors(self) -> list[str]:
        """Everyone who changed anything in this store."""
        return [r["actor"] for r in self._conn.execute("SELECT DISTINCT actor FROM history ORDER BY actor")]

    def get_state(self, mission_id: str, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM ui_state WHERE mission_id=? AND key=?",
                                 (mission_id, key)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_state(self, mission_id: str, key: str, value: Any) -> None:
        with self._tx() as c:
            c.execute("INSERT INTO ui_state VALUES (?,?,?) ON CONFLICT(mission_id, key) DO UPDATE SET"
                      " value=excluded.value", (mission_id, key, _dump(value)))

    # -- bundles (import/export) --
    # Raw reads and writes used by workbench.store.bundle. Rows travel as plain dicts whose dates and
    # times are ISO strings exactly as stored; JSON columns travel decoded.

    _ANSWER_COLS: ClassVar[tuple[str, ...]] = (
        "mission_id", "indicator_id", "verdict", "finding", "private_notes", "na_justification", "responses",
        "checklist", "respondent", "updated_at", "updated_by")
    _EVIDENCE_COLS: ClassVar[tuple[str, ...]] = (
        "id", "mission_id", "indicator_id", "label", "location", "represents_date", "owner", "created_at",
        "created_by", "removed")
    _ACTION_COLS: ClassVar[tuple[str, ...]] = (
        "id", "mission_id", "indicator_id", "title", "detail", "priority", "owner", "status", "due_date",
        "comment", "updated_at", "updated_by")
    _HISTORY_COLS: ClassVar[tuple[str, ...]] = (
        "mission_id", "entity", "entity_key", "indicator_id", "field", "before", "after", "actor", "at")

    def export_client_data(self, client_id: str) -> dict[str, Any]:
        """Every row of one client (profile, missions, answers, evidence, actions, history, ui_state).

        Read in one transaction, so the snapshot is consistent even while another process writes.
        Removed evidence is included (flag ``removed``) because the history refers to it.
        """
        validate_client_id(client_id)
        c = self._conn
        c.execute("BEGIN")
        try:
            row = c.execute("SELECT * FROM clients WHERE id=?", (client_id,)).fetchone()
            if row is None:
                self.get_client(client_id)  # raises NotFoundError listing the known clients
            missions = [dict(r) for r in c.execute(
                "SELECT * FROM missions WHERE client_id=? ORDER BY seq", (client_id,))]
            mids = [m["id"] for m in missions]
            marks = ",".join("?" * len(mids))

            def rows(sql: str) -> list[dict[str, Any]]:
                if not mids:
                    return []
                return [dict(r) for r in c.execute(sql.format(marks=marks), mids)]

            answers = rows("SELECT * FROM answers WHERE mission_id IN ({marks}) ORDER BY mission_id, indicator_id")
            evidence = rows("SELECT * FROM evidence WHERE mission_id IN ({marks}) ORDER BY id")
            actions = rows("SELECT * FROM actions WHERE mission_id IN ({marks}) ORDER BY id")
            history = rows("SELECT * FROM history WHERE mission_id IN ({marks}) ORDER BY id")
            ui_state = rows("SELECT mission_id, key, value FROM ui_state WHERE mission_id IN ({marks})"
                            " ORDER BY mission_id, key")
            history += [dict(r) for r in c.execute(
                "SELECT * FROM history WHERE mission_id='' AND entity='client' AND entity_key=? ORDER BY id",
                (client_id,))]
            extras = bundle_extras.export_rows(c, client_id, mids)
        finally:
            c.execute("COMMIT")
        for m in missions:
            m["referential_auto"] = bool(m["referential_auto"])
        for a in answers:
            a["responses"] = json.loads(a["responses"])
            a["checklist"] = json.loads(a["checklist"])
        for e in evidence:
            e["removed"] = bool(e["removed"])
        for st in ui_state:
            st["value"] = json.loads(st["value"])
        history.sort(key=lambda h: h["id"])
        for h in history:
            del h["id"]
            h.pop("imported_from", None)  # the receiving workspace marks its own imports
            h.pop("imported_at", None)
            h["before"] = json.loads(h["before"]) if h["before"] is not None else None
            h["after"] = json.loads(h["after"]) if h["after"] is not None else None
        return {
            "client": {"id": row["id"], "profile": json.loads(row["profile"]),
                       "created_at": row["created_at"], "updated_at": row["updated_at"]},
            "missions": missions, "answers": answers, "evidence": evidence, "actions": actions,
            "history": history, "ui_state": ui_state, **extras,
        }

    def import_client_data(self, data: dict[str, Any], *, merge: bool = False,
                           origin: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the rows of :meth:`export_client_data` in ONE transaction (all or nothing).

        A new client is created as is. An existing client is refused unless ``merge``; a merge
        adds missing missions, answers, evidence and actions, never replaces a different local
        answer or action (kept, and listed under ``conflicts``) and appends the history.
        Evidence and action ids are kept when free, renumbered otherwise (history and the
        generated-actions state follow). Working state (``ui_state``) is added key by key; a
        local key is never overwritten (a different value is listed under ``state_kept``).
        Mission ids must read ``<client id>-m<number>`` (they end up in file names).
        """
        from workbench.core.errors import BundleError
        from workbench.domain.plan import STATE_KEY as ACTIONS_STATE_KEY
        from workbench.store.bundle import mission_id_ok

        client = data["client"]
        cid = client["id"]
        validate_client_id(cid)
        for m in data["missions"]:
            if m["client_id"] != cid or not mission_id_ok(m["id"], cid):
                raise BundleError(f"Identifiant de mission invalide dans le paquet : « {m['id']} » (attendu : "
                                  f"« {cid}-m<numéro> ») ; rien n'a été importé.")
        report: dict[str, Any] = {
            "client_id": cid, "client_created": False, "profile_conflict": False,
            "missions_added": [], "missions_existing": [], "missions_renamed": {},
            "answers_added": 0, "answers_identical": 0, "conflicts": [],
            "evidence_added": 0, "evidence_existing": 0, "actions_added": 0, "actions_existing": 0,
            "history_added": 0, "state_added": 0, "state_identical": 0, "state_kept": [],
        }
        stamp = now().isoformat()
        with self._tx() as c:
            row = c.execute("SELECT profile FROM clients WHERE id=?", (cid,)).fetchone()
            if row is not None and not merge:
                raise BundleError(
                    f"Le client « {cid} » existe déjà dans cet espace de travail ; rien n'a été importé. "
                    "Relancez avec --merge pour ajouter ce qui manque sans rien écraser."
                )
            if row is None:
                c.execute("INSERT INTO clients VALUES (?,?,?,?)",
                          (cid, json.dumps(client["profile"], ensure_ascii=False),
                           client["created_at"], client["updated_at"]))
                report["client_created"] = True
            elif json.loads(row["profile"]) != client["profile"]:
                report["profile_conflict"] = True
                report["conflicts"].append({
                    "kind": "profile", "mission_id": None, "indicator_id": None,
                    "local": json.loads(row["profile"]), "incoming": client["profile"]})

            # missions: same client + same creation stamp and author = the same mission, whatever
            # its id (an earlier merge may have renamed it); otherwise a new one.
            mission_map: dict[str, str] = {}
            new_missions: set[str] = set()
            for m in sorted(data["missions"], key=lambda m: m["seq"]):
                local = c.execute("SELECT id FROM missions WHERE client_id=? AND created_at=? AND created_by=?"
                                  " ORDER BY seq", (cid, m["created_at"], m["created_by"])).fetchone()
                if local is not None:
                    mission_map[m["id"]] = local["id"]
                    report["missions_existing"].append(local["id"])
                    continue
                seq = m["seq"]
                if c.execute("SELECT 1 FROM missions WHERE client_id=? AND seq=?", (cid, seq)).fetchone():
                    seq = c.execute("SELECT MAX(seq) + 1 FROM missions WHERE client_id=?", (cid,)).fetchone()[0]
                mid = m["id"]
                if c.execute("SELECT 1 FROM missions WHERE id=?", (mid,)).fetchone():
                    mid = f"{cid}-m{seq}"
                    while (c.execute("SELECT 1 FROM missions WHERE id=?", (mid,)).fetchone()
                           or c.execute("SELECT 1 FROM missions WHERE client_id=? AND seq=?", (cid, seq)).fetchone()):
                        seq += 1
                        mid = f"{cid}-m{seq}"
                c.execute("INSERT INTO missions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (mid, cid, seq, m["type"], m["audit_type"], m["audit_date"], m["referential_id"],
                           int(m["referential_auto"]), m["label"], m["created_at"], m["created_by"]))
                mission_map[m["id"]] = mid
                new_missions.add(mid)
                report["missions_added"].append(mid)
                if mid != m["id"]:
                    report["missions_renamed"][m["id"]] = mid

            for a in data["answers"]:
                mid = mission_map[a["mission_id"]]
                values = {**a, "mission_id": mid}
                local = None
                if mid not in new_missions:
                    local = c.execute("SELECT * FROM answers WHERE mission_id=? AND indicator_id=?",
                                      (mid, a["indicator_id"])).fetchone()
                if local is None:
                    c.execute(
                        f"INSERT INTO answers ({','.join(self._ANSWER_COLS)}) VALUES ({','.join('?' * len(self._ANSWER_COLS))})",
                        [_dump(values[k]) if k in ("responses", "checklist") else values[k]
                         for k in self._ANSWER_COLS])
                    report["answers_added"] += 1
                    continue
                mine = self._answer(local).model_dump(mode="json", include=set(Answer.ANSWER_FIELDS))
                theirs = {k: a[k] for k in Answer.ANSWER_FIELDS}
                if mine == theirs:
                    report["answers_identical"] += 1
                    continue
                conflict = {"kind": "answer", "mission_id": mid, "indicator_id": a["indicator_id"],
                            "local": mine | {"updated_by": local["updated_by"], "updated_at": local["updated_at"]},
                            "incoming": theirs | {"updated_by": a["updated_by"], "updated_at": a["updated_at"]}}
                report["conflicts"].append(conflict)
                self._record(c, mid, "import", a["indicator_id"], a["indicator_id"], "conflit",
                             conflict["local"], conflict["incoming"], stamp)

            evidence_map: dict[str, str] = {}
            for e in data["evidence"]:
                mid = mission_map[e["mission_id"]]
                if mid not in new_missions:
                    dup = c.execute(
                        "SELECT id FROM evidence WHERE mission_id=? AND indicator_id=? AND label=? AND location=?"
                        " AND represents_date IS ? AND owner=? AND created_at=? AND created_by=?",
                        (mid, e["indicator_id"], e["label"], e["location"], e["represents_date"], e["owner"],
                         e["created_at"], e["created_by"])).fetchone()
                    if dup is not None:
                        evidence_map[str(e["id"])] = str(dup["id"])
                        report["evidence_existing"] += 1
                        continue
                new_id = self._insert_keeping_id(c, "evidence", self._EVIDENCE_COLS,
                                                 {**e, "mission_id": mid, "removed": int(e["removed"])})
                evidence_map[str(e["id"])] = str(new_id)
                report["evidence_added"] += 1

            action_map: dict[str, str] = {}
            for act in data["actions"]:
                mid = mission_map[act["mission_id"]]
                if mid not in new_missions:
                    same = c.execute(
                        "SELECT * FROM actions WHERE mission_id=? AND indicator_id=? AND title=? AND detail=?",
                        (mid, act["indicator_id"], act["title"], act["detail"])).fetchone()
                    if same is not None:
                        action_map[str(act["id"])] = str(same["id"])
                        mine = {k: same[k] for k in Action.EDITABLE}
                        theirs = {k: act[k] for k in Action.EDITABLE}
                        if mine == theirs:
                            report["actions_existing"] += 1
                        else:
                            conflict = {"kind": "action", "mission_id": mid, "indicator_id": act["indicator_id"],
                                        "local": mine, "incoming": theirs}
                            report["conflicts"].append(conflict)
                            self._record(c, mid, "import", str(same["id"]), act["indicator_id"], "conflit",
                                         mine, theirs, stamp)
                        continue
                new_id = self._insert_keeping_id(c, "actions", self._ACTION_COLS, {**act, "mission_id": mid})
                action_map[str(act["id"])] = str(new_id)
                report["actions_added"] += 1

            for h in data["history"]:
                if h["mission_id"] == "":
                    mid = ""
                elif h["mission_id"] in mission_map:
                    mid = mission_map[h["mission_id"]]
                else:
                    continue
                key = h["entity_key"]
                before, after = h["before"], h["after"]
                id_map = {"evidence": evidence_map, "action": action_map}.get(h["entity"])
                if id_map is not None and key in id_map:
                    key = id_map[key]
                    before, after = (_with_id(v, int(key)) for v in (before, after))
                values = {**h, "mission_id": mid, "entity_key": key,
                          "before": None if before is None else _dump(before),
                          "after": None if after is None else _dump(after)}
                params = [values[k] for k in self._HISTORY_COLS]
                if c.execute(
                    "SELECT 1 FROM history WHERE mission_id=? AND entity=? AND entity_key=? AND indicator_id IS ?"
                    " AND field=? AND before IS ? AND after IS ? AND actor=? AND at=?", params,
                ).fetchone():
                    continue
                c.execute(f"INSERT INTO history ({','.join(self._HISTORY_COLS)}, imported_from, imported_at)"
                          f" VALUES ({','.join('?' * 11)})", [*params, _dump(origin or {}), stamp])
                report["history_added"] += 1

            for st in data.get("ui_state", []):
                mid = mission_map[st["mission_id"]]
                value = st["value"]
                if st["key"] == ACTIONS_STATE_KEY and isinstance(value, dict):
                    # point at the actions as imported (renumbered or matched to local ones)
                    value = {k: int(action_map[str(v)]) for k, v in value.items() if str(v) in action_map}
                local = c.execute("SELECT value FROM ui_state WHERE mission_id=? AND key=?",
                                  (mid, st["key"])).fetchone()
                if local is None:
                    c.execute("INSERT INTO ui_state VALUES (?,?,?)", (mid, st["key"], _dump(value)))
                    report["state_added"] += 1
                elif json.loads(local["value"]) == value:
                    report["state_identical"] += 1
                else:
                    report["state_kept"].append({"mission_id": mid, "key": st["key"],
                                                 "local": json.loads(local["value"]), "incoming": value})

            def record_conflict(mid: str, key: str, mine: Any, theirs: Any) -> None:
                self._record(c, mid, "import", key, None, "conflit", mine, theirs, stamp)

            latest = c.execute("SELECT id FROM missions WHERE client_id=? ORDER BY seq DESC", (cid,)).fetchone()
            extra = bundle_extras.import_rows(c, data, bundle_extras.ImportContext(
                cid=cid, merge=merge, client_created=report["client_created"], mission_map=mission_map,
                evidence_map=evidence_map, origin=_dump(origin or {}), stamp=stamp, record=record_conflict,
                latest_mission=latest["id"] if latest else None))
            report["conflicts"] += extra.pop("extra_conflicts")
            report.update(extra)
        return report

    @staticmethod
    def _insert_keeping_id(c: sqlite3.Connection, table: str, cols: tuple[str, ...],
                           values: dict[str, Any]) -> int:
        """Insert a row under its original id when that id is free, under a new one otherwise."""
        if not c.execute(f"SELECT 1 FROM {table} WHERE id=?", (values["id"],)).fetchone():
            c.execute(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                      [values[k] for k in cols])
            return int(values["id"])
        rest = cols[1:]
        cur = c.execute(f"INSERT INTO {table} ({','.join(rest)}) VALUES ({','.join('?' * len(rest))})",
                        [values[k] for k in rest])
        return int(cur.lastrowid or 0)

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``: an empty list when the database file is sound."""
        rows = [r[0] for r in self._conn.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows


def _col(row: sqlite3.Row, name: str) -> Any:
    """A column that older bases (read as they are on a read-only medium) may lack."""
    return row[name] if name in row.keys() else None


def _refuse_taken_siret(c: sqlite3.Connection, profile: ClientProfile) -> None:
    """One organisation, one client: a SIRET already held by another client is refused."""
    if not profile.siret:
        return
    row = c.execute("SELECT id FROM clients WHERE id != ? AND json_extract(profile, '$.siret') = ?",
                    (profile.id, profile.siret)).fetchone()
    if row is not None:
        raise ProfileError(f"Le SIRET {profile.siret} est déjà celui du client « {row['id']} » : un même "
                           "organisme ne peut pas être deux clients. Rien n'a été modifié.", field="siret")


def _with_id(value: Any, new_id: int) -> Any:
    """A history snapshot of an evidence item or an action, renumbered after an import."""
    if isinstance(value, dict) and "id" in value:
        return {**value, "id": new_id}
    return value


# -- back-end registry --------------------------------------------------------------------


register_backend("sqlite", SQLiteStore)
