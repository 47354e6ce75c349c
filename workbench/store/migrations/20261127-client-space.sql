-- The client space (workbench serve): personal access codes, stored hashed, and what clients
-- change from their space, each change waiting for the consultant's review.
CREATE TABLE IF NOT EXISTS client_access (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_on TEXT,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS client_access_client ON client_access(client_id);
CREATE TABLE IF NOT EXISTS client_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id),
    mission_id TEXT NOT NULL REFERENCES missions(id),
    kind TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    indicator_id TEXT,
    text TEXT NOT NULL DEFAULT '',
    file_name TEXT,
    file_path TEXT,
    before TEXT,
    after TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    review TEXT NOT NULL DEFAULT 'en_attente',
    review_note TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT,
    reviewed_by TEXT
);
CREATE INDEX IF NOT EXISTS client_changes_client ON client_changes(client_id, id);
CREATE TABLE IF NOT EXISTS client_changes_seen (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    last_seen_id INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    seen_by TEXT NOT NULL
);
