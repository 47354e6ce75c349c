-- Two voices per indicator: the finding written for the client (« constat ») and the consultant's
-- private notes. Every note written before this change was a single free-text field printed in
-- client outputs. It is kept as a PRIVATE note (never shown to the client) and the finding starts
-- empty, so nothing typed for the team can reach a deliverable by accident.
ALTER TABLE answers RENAME COLUMN notes TO private_notes;
ALTER TABLE answers ADD COLUMN finding TEXT NOT NULL DEFAULT '';
UPDATE history SET field = 'private_notes' WHERE entity = 'answer' AND field = 'notes';
