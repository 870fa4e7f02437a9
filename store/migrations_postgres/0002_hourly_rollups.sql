-- Hourly rollups (as the SQLite migration hourly_rollups): the per-minute
-- rollups summed per hour, written in the same transaction as the events.
-- Existing minute rows are summed into it by the store's step for this
-- migration (the histograms need Go).
CREATE TABLE rollups_hour (
    prompt_id  BIGINT NOT NULL,
    hour       BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    label      BIGINT NOT NULL,
    arm        BIGINT NOT NULL,
    model      BIGINT NOT NULL,
    requests   BIGINT NOT NULL DEFAULT 0,
    errors     BIGINT NOT NULL DEFAULT 0,
    latency_ms BIGINT NOT NULL DEFAULT 0,
    tokens_in  BIGINT NOT NULL DEFAULT 0,
    tokens_out BIGINT NOT NULL DEFAULT 0,
    cost       BIGINT NOT NULL DEFAULT 0,
    score_n    BIGINT NOT NULL DEFAULT 0,
    score_sum  DOUBLE PRECISION NOT NULL DEFAULT 0,
    score_sq   DOUBLE PRECISION NOT NULL DEFAULT 0,
    hist       BYTEA NOT NULL DEFAULT '\x'::bytea,
    PRIMARY KEY (prompt_id, hour, version, label, arm, model)
);
