"""The per-client data of the feature tables in a client bundle (format 4).

The first bundle formats carried the core tables only (profile, missions, answers, evidence,
actions, history, ui_state). Each feature that came later keeps its per-client data in its own
tables; this module describes them once (:data:`KINDS`) and gives the bundle what it needs for each:
export inside the store's read transaction, validation of a member (rows naming this client and its
missions only), renaming for ``--as``, and import inside the store's write transaction.

What never travels: the client space (access codes, stored hashed, and the changes a client made
from its space, still waiting for review) and the files attached to evidence items: their metadata
travels, the files stay on the sender's disk and the import summary says which ones to copy.

Merge rule, as for answers: what is missing is added; a local row that differs from the bundle's is
kept and listed as a conflict. Logs (completions, histories) are appended without duplicates.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from workbench.core.errors import UsageError
from workbench.core.filetypes import ALLOWED
from workbench.core.text import clean_data
from workbench.domain.checklist import ReviewStatus
from workbench.domain.deliverable import ReportTexts
from workbench.domain.opportunity import Verdict as OpportunityVerdict
from workbench.domain.records import _M as _Record
from workbench.domain.sessions import Session
from workbench.domain.tasks import MAX_FREQUENCY_MONTHS, validate_task_id

FORMAT_SINCE = 4
"""The bundle format that made these members mandatory."""


_Row = _Record
"""Strict (unknown fields refused), free text without control characters: as the core records."""


class _Log(_Row):
    """One line of a client-level log (task plan, sessions)."""

    client_id: str
    field: str = Field(min_length=1)
    before: Any
    after: Any
    actor: str
    at: dt.datetime


class _TaskId(_Row):
    @field_validator("task_id", check_fields=False)
    @classmethod
    def _task_id(cls, value: str) -> str:
        try:
            return validate_task_id(value)
        except UsageError as exc:
            raise ValueError(exc.message) from None


class BundleTask(_TaskId):
    client_id: str
    task_id: str
    catalogue_id: str | None
    title: str = Field(min_length=1)
    what: str
    indicators: list[int]
    owner: str
    frequency_months: int = Field(ge=1, le=MAX_FREQUENCY_MONTHS)
    proof: str
    start_date: dt.date
    retired: bool
    comment: str
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str


class BundleCompletion(_TaskId):
    client_id: str
    task_id: str
    done_on: dt.date
    done_by: str = Field(min_length=1)
    evidence_label: str | None
    represents_date: dt.date | None
    mission_id: str | None
    evidence_ids: list[int]
    note: str
    source: str
    recorded_at: dt.datetime
    recorded_by: str


class BundleTaskHistory(_Log, _TaskId):
    task_id: str


class BundleSession(_Row):
    client_id: str
    reference: str = Field(min_length=1, max_length=80)
    data: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str

    @model_validator(mode="after")
    def _session(self) -> BundleSession:
        try:
            session = Session.model_validate({**self.data, "client_id": self.client_id})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ValueError(f"session illisible ({where} : {first.get('msg')})") from None
        if session.reference != self.reference:
            raise ValueError(f"la session porte la référence « {session.reference} » au lieu de « {self.reference} »")
        return self


class BundleSessionHistory(_Log):
    reference: str = Field(min_length=1)


class BundleSample(_Row):
    mission_id: str
    data: dict[str, Any]
    drawn_at: dt.datetime
    drawn_by: str


class BundleReview(_Row):
    mission_id: str
    reference: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    status: ReviewStatus
    note: str
    evidence: str
    private_note: str
    updated_at: dt.datetime
    updated_by: str


class BundleReportText(_Row):
    mission_id: str
    key: Literal["summary", "conclusion", "visit", "signature"]
    value: Any
    updated_at: dt.datetime
    updated_by: str

    @model_validator(mode="after")
    def _text(self) -> BundleReportText:
        try:
            ReportTexts.model_validate({self.key: self.value})
        except ValidationError as exc:
            raise ValueError(f"texte « {self.key} » illisible ({exc.errors()[0].get('msg')})") from None
        return self


class BundleReportVersion(_Row):
    mission_id: str
    version: int = Field(ge=1)
    sent_at: dt.datetime
    sent_by: str
    input_hash: str
    files: dict[str, str]


class BundleAssessment(_Row):
    client_id: str
    assessed_on: dt.date
    verdict: OpportunityVerdict
    answers: dict[str, Any]
    result: dict[str, Any]
    actor: str
    at: dt.datetime


class BundleArchive(_Row):
    client_id: str
    archived_at: dt.datetime
    archived_by: str


class BundleEvidenceFile(_Row):
    evidence_id: int
    client_id: str
    original_name: str = Field(min_length=1)
    stored_path: str
    media_type: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: dt.datetime
    created_by: str

    @field_validator("media_type")
    @classmethod
    def _media_type(cls, value: str) -> str:
        if value not in ALLOWED:
            raise ValueError(f"type de fichier non accepté : « {value} »")
        return value


@dataclass(frozen=True)
class Kind:
    member: str
    table: str
    model: type[_Row]
    label: str
    """French, plural: how the summary names these rows."""
    columns: tuple[str, ...]
    """Columns exported and written back (an autoincrement id is never carried)."""
    order: str
    key: tuple[str, ...] = ()
    """What identifies a row on merge; empty for logs (a row identical in every column is a duplicate)."""
    compare: tuple[str, ...] = ()
    """Columns compared when the key matches a local row: a difference is a conflict."""
    json_cols: tuple[str, ...] = ()
    bool_cols: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.member.removesuffix(".json")

    @property
    def by_mission(self) -> bool:
        return "mission_id" in self.columns and "client_id" not in self.columns


_TASK_COLS = ("client_id", "task_id", "catalogue_id", "title", "what", "indicators", "owner", "frequency_months",
              "proof", "start_date", "retired", "comment", "created_at", "created_by", "updated_at", "updated_by")
_HIST = ("field", "before", "after", "actor", "at")

KINDS: tuple[Kind, ...] = (
    Kind("tasks.json", "tasks", BundleTask, "tâches récurrentes", _TASK_COLS, "task_id",
         key=("task_id",), compare=_TASK_COLS[2:12], json_cols=("indicators",), bool_cols=("retired",)),
    Kind("task_completions.json", "task_completions", BundleCompletion, "réalisations de tâches",
         ("client_id", "task_id", "done_on", "done_by", "evidence_label", "represents_date", "mission_id",
          "evidence_ids", "note", "source", "recorded_at", "recorded_by"), "id", json_cols=("evidence_ids",)),
    Kind("task_history.json", "task_history", BundleTaskHistory, "entrées d'historique des tâches",
         ("client_id", "task_id", *_HIST), "id", json_cols=("before", "after")),
    Kind("sessions.json", "sessions", BundleSession, "sessions",
         ("client_id", "reference", "data", "created_at", "updated_at", "updated_by"), "reference",
         key=("reference",), compare=("data",), json_cols=("data",)),
    Kind("session_history.json", "session_history", BundleSessionHistory, "entrées d'historique des sessions",
         ("client_id", "reference", *_HIST), "id", json_cols=("before", "after")),
    Kind("session_samples.json", "session_samples", BundleSample, "échantillons de sessions",
         ("mission_id", "data", "drawn_at", "drawn_by"), "mission_id",
         key=("mission_id",), compare=("data",), json_cols=("data",)),
    Kind("session_reviews.json", "session_reviews", BundleReview, "revues de dossiers",
         ("mission_id", "reference", "item_id", "status", "note", "evidence", "private_note", "updated_at",
          "updated_by"), "mission_id, reference, item_id",
         key=("mission_id", "reference", "item_id"), compare=("status", "note", "evidence", "private_note")),
    Kind("report_texts.json", "report_texts", BundleReportText, "textes de rapport",
         ("mission_id", "key", "value", "updated_at", "updated_by"), "mission_id, key",
         key=("mission_id", "key"), compare=("value",), json_cols=("value",)),
    Kind("report_versions.json", "report_versions", BundleReportVersion, "versions de rapport envoyées",
         ("mission_id", "version", "sent_at", "sent_by", "input_hash", "files"), "mission_id, version",
         key=("mission_id", "version"), compare=("sent_at", "input_hash", "files"), json_cols=("files",)),
    Kind("opportunity.json", "opportunity_assessments", BundleAssessment, "évaluations d'opportunité",
         ("client_id", "assessed_on", "verdict", "answers", "result", "actor", "at"), "id",
         key=("assessed_on", "verdict", "actor", "at"), json_cols=("answers", "result")),
    Kind("archive.json", "client_archive", BundleArchive, "archivage",
         ("client_id", "archived_at", "archived_by"), "client_id", key=("client_id",)),
    Kind("evidence_files.json", "evidence_files", BundleEvidenceFile, "fichiers joints aux preuves (description)",
         ("evidence_id", "client_id", "original_name", "stored_path", "media_type", "size", "sha256", "created_at",
          "created_by"), "evidence_id", key=("evidence_id",), compare=("sha256",)),
)
MEMBERS = tuple(k.member for k in KINDS)
BY_MEMBER = {k.member: k for k in KINDS}
HISTORY_TABLES = ("task_history", "session_history")
"""Logs whose imported rows are marked (columns ``imported_from`` and ``imported_at``)."""

_TEXT_LABELS = {"summary": "synthèse", "conclusion": "conclusion", "visit": "visite", "signature": "signature"}
_CONFLICT_LABELS = {
    "tasks": "tâche récurrente", "sessions": "session", "session_samples": "échantillon de sessions",
    "session_reviews": "revue de dossier", "report_texts": "texte du rapport",
    "report_versions": "version de rapport envoyée", "opportunity": "évaluation d'opportunité",
    "archive": "archivage du client", "evidence_files": "fichier joint à une preuve",
}


# -- export -----------------------------------------------------------------------------------------


def _has_table(c: sqlite3.Connection, table: str) -> bool:
    return c.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def export_rows(c: sqlite3.Connection, client_id: str, mission_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the feature tables for this client, read with ``c`` (inside the export's transaction)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        rows: list[dict[str, Any]] = []
        if _has_table(c, kind.table):
            cols = ", ".join(kind.columns)
            if kind.by_mission:
                for mid in mission_ids:
                    rows += [dict(r) for r in c.execute(
                        f"SELECT {cols} FROM {kind.table} WHERE mission_id=? ORDER BY {kind.order}", (mid,))]
            else:
                rows = [dict(r) for r in c.execute(
                    f"SELECT {cols} FROM {kind.table} WHERE client_id=? ORDER BY {kind.order}", (client_id,))]
        for row in rows:
            for col in kind.json_cols:
                row[col] = json.loads(row[col]) if row[col] is not None else None
            for col in kind.bool_cols:
                row[col] = bool(row[col])
        out[kind.name] = rows
    return out


# -- validation -------------------------------------------------------------------------------------


def db_value(value: Any) -> Any:
    """Python value → what the store keeps (ISO strings for dates, enum values)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def stored_path_ok(path: str, client_id: str) -> bool:
    """The form :func:`workbench.store.evidence_files.attach` gives: ``clients/<id>/preuves/<safe name>``."""
    return re.fullmatch(r"clients/" + re.escape(client_id) + r"/preuves/[A-Za-z0-9_-][A-Za-z0-9._-]*", path) is not None


def validate(raw: dict[str, Any], cid: str, missions: set[str], evidence_ids: set[int],
             fail: Callable[[str], Exception], invalid: Callable[[str, ValidationError, Any, int], Exception],
             ) -> dict[str, list[dict[str, Any]]]:
    """Check the feature members of a bundle; returns their rows ready for the store.

    ``fail(why)`` and ``invalid(member, exc, row, index)`` build the bundle's French errors. Every
    row must belong to client ``cid`` and name only its ``missions`` and ``evidence_ids``.
    """
    data: dict[str, list[Any]] = {}
    for kind in KINDS:
        rows = raw.get(kind.member, [])
        if not isinstance(rows, list):
            raise fail(f"élément « {kind.member} » : liste attendue")
        items = []
        for i, row in enumerate(rows):
            try:
                item = kind.model.model_validate(row)
            except ValidationError as exc:
                raise invalid(kind.member, exc, row, i) from None
            where = f"élément « {kind.member} », entrée {i + 1}"
            owner = getattr(item, "client_id", cid)
            if owner != cid:
                raise fail(f"{where} : appartient au client « {owner} », pas à « {cid} »")
            mission = getattr(item, "mission_id", None)
            if mission is not None and mission not in missions:
                raise fail(f"{where} : mission « {mission} » absente du paquet (ou d'un autre client)")
            items.append(item)
        keys = [tuple(getattr(item, k) for k in kind.key) for item in items]
        if kind.key and len(set(keys)) != len(keys):
            raise fail(f"élément « {kind.member} » : entrées en double ({', '.join(kind.key)})")
        data[kind.name] = items
    tasks = {t.task_id for t in data["tasks"]}
    refs = {s.reference for s in data["sessions"]}
    for i, done in enumerate(data["task_completions"]):
        where = f"élément « task_completions.json », entrée {i + 1}"
        if done.task_id not in tasks:
            raise fail(f"{where} : tâche « {done.task_id} » absente du plan du paquet")
        for ev in done.evidence_ids:
            if ev not in evidence_ids:
                raise fail(f"{where} : preuve {ev} absente du paquet")
    for name, known, what in (("task_history", tasks, "tâche"), ("session_history", refs, "session"),
                              ("session_reviews", refs, "session")):
        for i, item in enumerate(data[name]):
            value = item.task_id if name == "task_history" else item.reference
            if value not in known:
                raise fail(f"élément « {name}.json », entrée {i + 1} : {what} « {value} » absente du paquet")
    if len(data["archive"]) > 1:
        raise fail("élément « archive.json » : une entrée au plus")
    for i, f in enumerate(data["evidence_files"]):
        where = f"élément « evidence_files.json », entrée {i + 1}"
        if f.evidence_id not in evidence_ids:
            raise fail(f"{where} : preuve {f.evidence_id} absente du paquet")
        if not stored_path_ok(f.stored_path, cid):
            raise fail(f"{where} : chemin de fichier refusé « {f.stored_path} » (attendu : "
                       f"« clients/{cid}/preuves/<nom> »)")
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        out[kind.name] = [{col: db_value(getattr(item, col)) for col in kind.columns} for item in data[kind.name]]
        if kind.name in ("sessions", "session_samples"):  # free JSON: kept exactly as exported
            for row, original in zip(out[kind.name], raw.get(kind.member, []), strict=True):
                row["data"] = clean_data(original["data"])
    for name in ("task_history", "session_history", "report_texts"):
        cols = ("value",) if name == "report_texts" else ("before", "after")
        for row, original in zip(out[name], raw.get(f"{name}.json", []), strict=True):
            for col in cols:
                row[col] = clean_data(original[col])
    return out


def rename(data: dict[str, Any], old_id: str, new_id: str, mission_ids: dict[str, str]) -> None:
    """Rewrite the feature rows of checked bundle ``data`` for ``--as`` (in place)."""
    for kind in KINDS:
        for row in data.get(kind.name, []):
            if "client_id" in row:
                row["client_id"] = new_id
            if row.get("mission_id") is not None:
                row["mission_id"] = mission_ids[row["mission_id"]]
            if kind.name == "evidence_files":
                row["stored_path"] = f"clients/{new_id}/preuves/" + row["stored_path"].rsplit("/", 1)[1]


# -- import -----------------------------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _stored(kind: Kind, row: dict[str, Any]) -> list[Any]:
    out = []
    for col in kind.columns:
        value = row[col]
        if col in kind.json_cols:
            value = None if value is None else _dump(value)
        elif col in kind.bool_cols:
            value = int(value)
        out.append(value)
    return out


def _local(kind: Kind, row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for col in kind.json_cols:
        if col in out and out[col] is not None:
            out[col] = json.loads(out[col])
    for col in kind.bool_cols:
        if col in out:
            out[col] = bool(out[col])
    return out


def _where(cols: tuple[str, ...]) -> str:
    return " AND ".join(f"{c} IS ?" for c in cols)


@dataclass
class ImportContext:
    """What the core import already decided, and what this module adds to its report."""

    cid: str
    merge: bool
    client_created: bool
    mission_map: dict[str, str]
    evidence_map: dict[str, str]
    origin: str
    stamp: str
    record: Callable[[str, str, Any, Any], None]
    """``record(mission_id, key, local, incoming)``: the conflict line of the mission's history."""
    latest_mission: str | None = None


def import_rows(c: sqlite3.Connection, data: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
    """Write the feature rows of a checked bundle with ``c`` (the import's transaction).

    Returns ``extras`` (per member: ``added`` and ``existing``), ``conflicts`` (as the core merge
    lists them) and ``files_not_carried`` (stored paths of the attached files to copy by hand).
    """
    counts: dict[str, dict[str, int]] = {}
    conflicts: list[dict[str, Any]] = []
    files: list[str] = []
    for kind in KINDS:
        rows = [_mapped(kind, row, ctx) for row in data.get(kind.name, [])]
        added = existing = 0
        if kind.name == "opportunity":
            added, existing = _import_assessments(c, kind, rows, ctx, conflicts)
            counts[kind.name] = {"added": added, "existing": existing}
            continue
        for row in rows:
            if kind.name == "evidence_files":
                files.append(row["stored_path"])
            scope = _scope(kind, row, ctx)
            local = None
            if kind.key and not ctx.client_created:
                local = c.execute(f"SELECT * FROM {kind.table} WHERE {scope[0]} AND {_where(kind.key)}",
                                  [*scope[1], *(_stored_key(kind, row))]).fetchone()
            elif not kind.key and not ctx.client_created:
                cols = tuple(k for k in kind.columns)
                local = c.execute(f"SELECT 1 FROM {kind.table} WHERE {_where(cols)}", _stored(kind, row)).fetchone()
                if local is not None:
                    existing += 1
                    continue
                local = None
            if local is None and kind.name == "archive" and not ctx.client_created:
                # archived there, active here: archiving would hide a client someone works on
                conflicts.append({"kind": "archive", "mission_id": None, "indicator_id": None, "key": ctx.cid,
                                  "local": {"archived": False}, "incoming": {"archived": True}})
                continue
            if local is None:
                _insert(c, kind, row, ctx)
                added += 1
                continue
            mine = _local(kind, local)
            if all(mine[k] == row[k] for k in kind.compare):
                existing += 1
                continue
            mission = row.get("mission_id")
            conflict = {"kind": kind.name, "mission_id": mission, "indicator_id": None,
                        "key": _describe_key(kind, row),
                        "local": {k: mine[k] for k in (*kind.compare, *_authors(kind)) if k in mine},
                        "incoming": {k: row[k] for k in (*kind.compare, *_authors(kind)) if k in row}}
            conflicts.append(conflict)
            target = mission or ctx.latest_mission
            if target:
                ctx.record(target, f"{kind.name}:{conflict['key']}", conflict["local"], conflict["incoming"])
        counts[kind.name] = {"added": added, "existing": existing}
    return {"extras": counts, "extra_conflicts": conflicts, "files_not_carried": files}


def _authors(kind: Kind) -> tuple[str, ...]:
    return tuple(c for c in ("updated_by", "updated_at", "drawn_by", "sent_by", "archived_by") if c in kind.columns)


def _stored_key(kind: Kind, row: dict[str, Any]) -> list[Any]:
    stored = dict(zip(kind.columns, _stored(kind, row), strict=True))
    return [stored[k] for k in kind.key]


def _scope(kind: Kind, row: dict[str, Any], ctx: ImportContext) -> tuple[str, list[Any]]:
    if "client_id" in kind.columns:
        return "client_id=?", [ctx.cid]
    return "mission_id=?", [row["mission_id"]]


def _mapped(kind: Kind, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
    """The row with mission and evidence ids as they are in this workspace after the core import."""
    row = dict(row)
    if row.get("mission_id") is not None:
        row["mission_id"] = ctx.mission_map[row["mission_id"]]
    if kind.name == "task_completions":
        row["evidence_ids"] = [int(ctx.evidence_map.get(str(e), e)) for e in row["evidence_ids"]]
    if kind.name == "evidence_files":
        row["evidence_id"] = int(ctx.evidence_map.get(str(row["evidence_id"]), row["evidence_id"]))
    return row


def _insert(c: sqlite3.Connection, kind: Kind, row: dict[str, Any], ctx: ImportContext) -> None:
    cols, values = list(kind.columns), _stored(kind, row)
    if kind.table in HISTORY_TABLES:
        cols += ["imported_from", "imported_at"]
        values += [ctx.origin, ctx.stamp]
    c.execute(f"INSERT INTO {kind.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)


def _import_assessments(c: sqlite3.Connection, kind: Kind, rows: list[dict[str, Any]], ctx: ImportContext,
                        conflicts: list[dict[str, Any]]) -> tuple[int, int]:
    """The latest assessment is the client's current verdict: assessments are added only to a client
    that has none here; otherwise the bundle's missing ones are conflicts (the local verdict stays)."""
    local = [_local(kind, r) for r in c.execute(
        f"SELECT * FROM {kind.table} WHERE client_id=? ORDER BY id", (ctx.cid,))]
    known = {tuple(_stored_key(kind, r)) for r in local}
    if not local:
        for row in rows:
            _insert(c, kind, row, ctx)
        return len(rows), 0
    existing = 0
    for row in rows:
        if tuple(_stored_key(kind, row)) in known:
            existing += 1
            continue
        latest = local[-1]
        conflicts.append({"kind": "opportunity", "mission_id": None, "indicator_id": None,
                          "key": row["assessed_on"],
                          "local": {k: latest[k] for k in ("assessed_on", "verdict", "actor")},
                          "incoming": {k: row[k] for k in ("assessed_on", "verdict", "actor")}})
    return 0, existing


def _describe_key(kind: Kind, row: dict[str, Any]) -> str:
    if kind.name == "report_versions":
        return f"v{row['version']}"
    if kind.name == "session_reviews":
        return f"{row['reference']}/{row['item_id']}"
    if kind.name == "archive":
        return row["client_id"]
    if kind.name == "report_texts":
        return _TEXT_LABELS.get(row["key"], row["key"])
    return str(row[kind.key[-1]])


# -- the French summary -------------------------------------------------------------------------------


def describe_conflict(kind: str, mission_id: str | None, key: str | None, local: Any, incoming: Any) -> str:
    """One line of the summary for a conflict of a feature row (the local value is always kept)."""
    what = _CONFLICT_LABELS.get(kind, kind)
    where = f"mission {mission_id}, " if mission_id else ""
    if kind == "archive":
        return "client archivé dans le paquet, actif ici : l'état local est conservé"
    if kind == "opportunity":
        return (f"{what} du {incoming.get('assessed_on')} (verdict {incoming.get('verdict')}, par "
                f"{incoming.get('actor')}) écartée : l'évaluation locale du {local.get('assessed_on')} "
                f"(verdict {local.get('verdict')}) reste la référence")
    who = next((local.get(k) for k in ("updated_by", "drawn_by", "sent_by") if local.get(k)), "?")
    theirs = next((incoming.get(k) for k in ("updated_by", "drawn_by", "sent_by") if incoming.get(k)), "?")
    return f"{where}{what} « {key} » : version locale conservée (par {who}), version du paquet écartée (par {theirs})"


def summary_lines(extras: dict[str, dict[str, int]], files: list[str]) -> list[str]:
    out = []
    for kind in KINDS:
        n = extras.get(kind.name)
        if not n or not (n["added"] or n["existing"]):
            continue
        label = kind.label[0].upper() + kind.label[1:]
        out.append(f"{label} ajouté(e)s : {n['added']} ; déjà présent(e)s : {n['existing']}")
    if files:
        out.append(f"Fichiers joints aux preuves : {len(files)} décrit(s) dans le paquet, mais les fichiers eux-mêmes "
                   "ne voyagent pas ; copiez-les à part depuis l'espace de travail d'origine :")
        out.extend(f"  {path}" for path in files)
    return out
