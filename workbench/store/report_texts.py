"""Persistence of the report texts and of the versions sent (tables of ``20261127-report-texts``).

Every change of a text is recorded in the mission's history (entity ``report``); a sent version is
numbered per mission and never replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from workbench.core.errors import NotFoundError, StoreError
from workbench.domain.deliverable import TEXT_KEYS, ReportTexts, SentVersion
from workbench.domain.records import now
from workbench.store.sqlite import SQLiteStore


def _check_mission(store: SQLiteStore, mission_id: str) -> None:
    if not store.connection.execute("SELECT 1 FROM missions WHERE id=?", (mission_id,)).fetchone():
        raise NotFoundError(f"Mission inconnue : « {mission_id} ».")


def get_report_texts(store: SQLiteStore, mission_id: str) -> ReportTexts:
    rows = store.connection.execute("SELECT key, value FROM report_texts WHERE mission_id=?", (mission_id,))
    data = {r["key"]: json.loads(r["value"]) for r in rows if r["key"] in TEXT_KEYS}
    return ReportTexts.model_validate(data)


def save_report_texts(store: SQLiteStore, mission_id: str, **changes: Any) -> ReportTexts:
    """Change some of the texts (summary, conclusion, visit, signature); history keeps each change."""
    unknown = set(changes) - set(TEXT_KEYS)
    if unknown:
        raise StoreError(f"Texte de rapport inconnu : {', '.join(sorted(unknown))}.")
    _check_mission(store, mission_id)
    current = get_report_texts(store, mission_id)
    updated = ReportTexts.model_validate(current.model_dump() | changes)
    stamp = now().isoformat()
    with store.transaction() as c:
        for key in changes:
            before = current.model_dump(mode="json")[key]
            after = updated.model_dump(mode="json")[key]
            if before == after:
                continue
            c.execute("INSERT INTO report_texts VALUES (?,?,?,?,?) ON CONFLICT(mission_id, key) DO UPDATE SET"
                      " value=excluded.value, updated_at=excluded.updated_at, updated_by=excluded.updated_by",
                      (mission_id, key, json.dumps(after, ensure_ascii=False), stamp, store.actor))
            store.record(c, mission_id, "report", key, None, key, before, after)
    return updated


def sent_versions(store: SQLiteStore, mission_id: str) -> list[SentVersion]:
    rows = store.connection.execute("SELECT * FROM report_versions WHERE mission_id=? ORDER BY version",
                                    (mission_id,)).fetchall()
    return [SentVersion(mission_id=r["mission_id"], version=r["version"],
                        sent_at=dt.datetime.fromisoformat(r["sent_at"]), sent_by=r["sent_by"],
                        input_hash=r["input_hash"], files=json.loads(r["files"])) for r in rows]


def next_version(store: SQLiteStore, mission_id: str) -> int:
    row = store.connection.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM report_versions WHERE mission_id=?",
                                   (mission_id,)).fetchone()
    return int(row[0])


def record_sent_version(store: SQLiteStore, mission_id: str, version: int, input_hash: str,
                        files: dict[str, str], sent_at: dt.datetime) -> SentVersion:
    """Keep a sent version; refused if that number is already taken (nothing is replaced)."""
    with store.transaction() as c:
        if c.execute("SELECT 1 FROM report_versions WHERE mission_id=? AND version=?",
                     (mission_id, version)).fetchone():
            raise StoreError(f"La version {version} du rapport de la mission « {mission_id} » existe déjà ; "
                             "rien n'a été remplacé.")
        c.execute("INSERT INTO report_versions VALUES (?,?,?,?,?,?)",
                  (mission_id, version, sent_at.isoformat(), store.actor, input_hash,
                   json.dumps(files, ensure_ascii=False)))
        store.record(c, mission_id, "report", f"v{version}", None, "sent", None,
                     {"version": version, "files": files})
    return SentVersion(mission_id=mission_id, version=version, sent_at=sent_at, sent_by=store.actor,
                       input_hash=input_hash, files=files)
