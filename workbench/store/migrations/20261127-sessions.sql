-- Session records per client, the sample drawn for a mission, and the review of each sampled file.
CREATE TABLE IF NOT EXISTS sessions (
    client_id TEXT NOT NULL REFERENCES clients(id),
    reference TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (client_id, reference)
);
CREATE TABLE IF NOT EXISTS session_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_history_client ON session_history(client_id, reference);
CREATE TABLE IF NOT EXISTS session_samples (
    mission_id TEXT PRIMARY KEY REFERENCES missions(id),
    data TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    drawn_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS session_reviews (
    mission_id TEXT NOT NULL REFERENCES missions(id),
    reference TEXT NOT NULL,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    evidence TEXT NOT NULL,
    private_note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (mission_id, reference, item_id)
);
