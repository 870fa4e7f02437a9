-- A run's lease: the process that runs it (owner: host:pid:nonce) renews
-- heartbeat_at while it works, so a run whose owner is gone reads as
-- interrupted and a second resume of a live run is refused (store/lease.go).
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
