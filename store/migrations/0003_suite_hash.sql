-- The content hash of the suite cases a run was made on (HashSuite): a run is
-- evidence for the gate only while the suite still hashes the same.
ALTER TABLE runs ADD COLUMN suite_hash TEXT NOT NULL DEFAULT '';
