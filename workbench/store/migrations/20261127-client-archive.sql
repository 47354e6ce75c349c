-- Archived clients: hidden from the client list, never deleted. Restoring removes the row.
CREATE TABLE IF NOT EXISTS client_archive (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    archived_at TEXT NOT NULL,
    archived_by TEXT NOT NULL
);
