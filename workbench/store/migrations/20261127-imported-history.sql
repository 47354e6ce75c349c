-- Issue 9, item 8: history that came from a client bundle is marked as imported, never mixed
-- with the entries made in this workspace. imported_from holds JSON (bundle file name, SHA-256,
-- author and creation time of the bundle, signature status), imported_at the ISO time of the import.
-- No semicolon in comments: statements are split on it.
ALTER TABLE history ADD COLUMN imported_from TEXT;
ALTER TABLE history ADD COLUMN imported_at TEXT
