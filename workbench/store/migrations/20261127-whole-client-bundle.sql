-- Client bundles carry the feature tables too (format 4). The client-level logs of tasks and
-- sessions mark what came from a bundle, as the history table does (issue 9, item 8):
-- imported_from holds JSON (bundle file name, SHA-256, author, creation time, signature status),
-- imported_at the ISO time of the import. Its name sorts after the tasks and sessions migrations
-- on purpose (applied in name order). No semicolon in comments: statements are split on it.
ALTER TABLE task_history ADD COLUMN imported_from TEXT;
ALTER TABLE task_history ADD COLUMN imported_at TEXT;
ALTER TABLE session_history ADD COLUMN imported_from TEXT;
ALTER TABLE session_history ADD COLUMN imported_at TEXT
