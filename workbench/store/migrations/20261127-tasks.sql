-- Recurring quality tasks: each client's plan, every time a task was done, and the plan's history.
CREATE TABLE IF NOT EXISTS tasks (
    client_id TEXT NOT NULL REFERENCES clients(id),
    task_id TEXT NOT NULL,
    catalogue_id TEXT,
    title TEXT NOT NULL,
    what TEXT NOT NULL,
    indicators TEXT NOT NULL,
    owner TEXT NOT NULL,
    frequency_months INTEGER NOT NULL,
    proof TEXT NOT NULL,
    start_date TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (client_id, task_id)
);
CREATE TABLE IF NOT EXISTS task_completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    done_on TEXT NOT NULL,
    done_by TEXT NOT NULL,
    evidence_label TEXT,
    represents_date TEXT,
    mission_id TEXT,
    evidence_ids TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'cli',
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    FOREIGN KEY (client_id, task_id) REFERENCES tasks(client_id, task_id)
);
CREATE INDEX IF NOT EXISTS task_completions_task ON task_completions(client_id, task_id, done_on);
CREATE TABLE IF NOT EXISTS task_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS task_history_task ON task_history(client_id, task_id);
