-- A file attached to an evidence item: copied into the workspace under the client's folder,
-- identified by its SHA-256. Removing the evidence item keeps the file on disk.
CREATE TABLE IF NOT EXISTS evidence_files (
    evidence_id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    original_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_files_client ON evidence_files(client_id)
