"""Changing a mission after its creation (audit postponed, type changed, label), with history.

The referential version stays the one recorded on the mission: moving a mission to another
version is an explicit migration, never a side effect of a new date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.core.errors import NotFoundError, StoreError
from workbench.domain.records import Mission
from workbench.store.sqlite import SQLiteStore

EDITABLE = ("type", "audit_type", "audit_date", "label")


def _db(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "value", value)


def update_mission(store: SQLiteStore, mission_id: str, **changes: Any) -> Mission:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise StoreError(f"Champ(s) de mission non modifiable(s) : {', '.join(sorted(unknown))}.")
    with store.transaction() as c:
        row = c.execute("SELECT * FROM missions WHERE id=?", (mission_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"Mission inconnue : « {mission_id} ».")
        current = store._mission(row)
        updated = Mission.model_validate(current.model_dump() | changes)
        for field in EDITABLE:
            before, after = getattr(current, field), getattr(updated, field)
            if _db(before) == _db(after):
                continue
            c.execute(f"UPDATE missions SET {field}=? WHERE id=?", (_db(after), mission_id))
            store.record(c, mission_id, "mission", mission_id, None, field, _db(before), _db(after))
    return updated
