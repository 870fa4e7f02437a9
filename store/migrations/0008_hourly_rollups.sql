-- Hourly rollups: the per-minute rollups summed per hour (same columns,
-- hour = unix hours), written in the same transaction as the events and the
-- minute rows. Stats over long windows read whole hours here and only the
-- ragged minutes at the window's edges from rollups, so two weeks cost about
-- 336 rows per group instead of 20,160. Existing minute rows are summed into
-- this table by the store when the migration runs (the histograms need Go).
CREATE TABLE rollups_hour (
    prompt_id  INTEGER NOT NULL,
    hour       INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    label      INTEGER NOT NULL,
    arm        INTEGER NOT NULL,
    model      INTEGER NOT NULL,
    requests   INTEGER NOT NULL DEFAULT 0,
    errors     INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost       INTEGER NOT NULL DEFAULT 0,
    score_n    INTEGER NOT NULL DEFAULT 0,
    score_sum  REAL    NOT NULL DEFAULT 0,
    score_sq   REAL    NOT NULL DEFAULT 0,
    hist       BLOB    NOT NULL DEFAULT x'',
    PRIMARY KEY (prompt_id, hour, version, label, arm, model)
) WITHOUT ROWID;
