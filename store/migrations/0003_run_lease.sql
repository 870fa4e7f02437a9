-- A run's lease: the process that runs it (owner: host:pid:nonce) renews
-- heartbeat_at while it works, so a run whose owner is gone reads as
-- interrupted and a second resume of a live run is refused. suite_hash is the
-- content hash of the suite's cases when the run started (store.SuiteHash):
-- resume and the gate compare it with the suite as it is now.
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
ALTER TABLE runs ADD COLUMN suite_hash TEXT NOT NULL DEFAULT '';
