"""Persistence of opportunity assessments: one row per assessment, the history kept whole.

Saving an assessment also records the verdict in the store's history (on the client's latest
mission when it has one) and marks a client without any mission as a prospect in its profile.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import NotFoundError
from workbench.domain.opportunity import Assessment
from workbench.domain.records import now
from workbench.store.sqlite import SQLiteStore


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    client_id: str
    assessed_on: dt.date
    verdict: str
    answers: dict[str, Any]
    result: dict[str, Any]
    actor: str
    at: str


def _row(r: Any) -> StoredAssessment:
    return StoredAssessment(r["id"], r["client_id"], dt.date.fromisoformat(r["assessed_on"]), r["verdict"],
                            json.loads(r["answers"]), json.loads(r["result"]), r["actor"], r["at"])


def save_assessment(store: SQLiteStore, client_id: str, assessment: Assessment) -> StoredAssessment:
    """Store one assessment of an existing client; nothing already saved is changed."""
    if not store.client_exists(client_id):
        raise NotFoundError(f"Client inconnu : « {client_id} ».")
    result = assessment.to_dict()
    stamp = now().isoformat()
    missions = store.list_missions(client_id)
    with store.transaction() as c:
        previous = c.execute("SELECT verdict FROM opportunity_assessments WHERE client_id=? ORDER BY id DESC LIMIT 1",
                             (client_id,)).fetchone()
        cur = c.execute(
            "INSERT INTO opportunity_assessments (client_id, assessed_on, verdict, answers, result, actor, at)"
            " VALUES (?,?,?,?,?,?,?)",
            (client_id, assessment.today.isoformat(), assessment.verdict.value,
             json.dumps(result["answers"], ensure_ascii=False), json.dumps(result, ensure_ascii=False),
             store.actor, stamp),
        )
        new_id = int(cur.lastrowid or 0)
        if missions:
            store.record(c, missions[-1].id, "opportunity", client_id, None, "verdict",
                         previous["verdict"] if previous else None, assessment.verdict.value)
    return get_assessment(store, new_id)


def get_assessment(store: SQLiteStore, assessment_id: int) -> StoredAssessment:
    r = store.connection.execute("SELECT * FROM opportunity_assessments WHERE id=?", (assessment_id,)).fetchone()
    if r is None:
        raise NotFoundError(f"Évaluation d'opportunité inconnue : n° {assessment_id}.")
    return _row(r)


def list_assessments(store: SQLiteStore, client_id: str) -> list[StoredAssessment]:
    """Every assessment of the client, oldest first."""
    rows = store.connection.execute(
        "SELECT * FROM opportunity_assessments WHERE client_id=? ORDER BY id", (client_id,)).fetchall()
    return [_row(r) for r in rows]


def latest_assessments(store: SQLiteStore) -> dict[str, StoredAssessment]:
    """The latest assessment of every client that has one, by client id."""
    rows = store.connection.execute(
        "SELECT * FROM opportunity_assessments WHERE id IN "
        "(SELECT MAX(id) FROM opportunity_assessments GROUP BY client_id) ORDER BY client_id").fetchall()
    return {r["client_id"]: _row(r) for r in rows}
