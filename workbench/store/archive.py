"""Archiving clients (table of ``20261127-client-archive``): hidden from lists, data kept, history kept."""

from __future__ import annotations

from workbench.core.errors import UsageError
from workbench.domain.records import now
from workbench.store.sqlite import SQLiteStore


def archived_clients(store: SQLiteStore) -> set[str]:
    return {r["client_id"] for r in store.connection.execute("SELECT client_id FROM client_archive")}


def archive_client(store: SQLiteStore, client_id: str) -> None:
    stamp = now().isoformat()
    with store.transaction() as c:
        if c.execute("SELECT 1 FROM client_archive WHERE client_id=?", (client_id,)).fetchone():
            raise UsageError(f"le client « {client_id} » est déjà archivé.")
        c.execute("INSERT INTO client_archive VALUES (?,?,?)", (client_id, stamp, store.actor))
        store.record(c, "", "client", client_id, None, "archived", False, True)


def restore_client(store: SQLiteStore, client_id: str) -> None:
    with store.transaction() as c:
        if c.execute("DELETE FROM client_archive WHERE client_id=?", (client_id,)).rowcount == 0:
            raise UsageError(f"le client « {client_id} » n'est pas archivé.")
        store.record(c, "", "client", client_id, None, "archived", True, False)
