-- Opportunity assessments (« Qualiopi, stratégique pour vous ? »): one row per assessment, never
-- updated, the latest row per client is the current verdict, the others its history.
CREATE TABLE IF NOT EXISTS opportunity_assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(id),
    assessed_on TEXT NOT NULL,
    verdict TEXT NOT NULL,
    answers TEXT NOT NULL,
    result TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS opportunity_assessments_client ON opportunity_assessments(client_id, id)
