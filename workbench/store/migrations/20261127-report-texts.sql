-- What the consultant writes for a report (summary, conclusion, visit record, signature), one row
-- per mission and key, the value as JSON. Changes are recorded in the history table.
CREATE TABLE IF NOT EXISTS report_texts (
    mission_id TEXT NOT NULL REFERENCES missions(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (mission_id, key)
);
-- Reports marked as sent (workbench report --final): numbered per mission, never overwritten.
CREATE TABLE IF NOT EXISTS report_versions (
    mission_id TEXT NOT NULL REFERENCES missions(id),
    version INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    files TEXT NOT NULL,
    PRIMARY KEY (mission_id, version)
);
