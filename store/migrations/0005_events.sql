-- Production analytics (DESIGN section 8): raw events, feedback, per-minute
-- rollups. Event times are unix milliseconds; rollup minutes are unix minutes.

-- Short strings repeated on every event (labels, arms, models, error kinds,
-- unit keys) are stored once here and referenced by id, so a raw event is a
-- row of small integers (about 50 bytes on disk).
CREATE TABLE event_strings (
    id    INTEGER PRIMARY KEY,
    value TEXT    NOT NULL UNIQUE
);
INSERT INTO event_strings (id, value) VALUES (0, '');

-- One row per model call, appended in arrival order (so a batch writes a few
-- pages, not one per event). key is a 63-bit hash of the client-chosen event
-- id (random when the client gave none): its unique index stores a re-sent
-- event once and finds an event for feedback.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    key        INTEGER NOT NULL,
    prompt_id  INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    label      INTEGER NOT NULL DEFAULT 0,
    arm        INTEGER NOT NULL DEFAULT 0,
    model      INTEGER NOT NULL DEFAULT 0,
    unit       INTEGER NOT NULL DEFAULT 0,
    status     INTEGER NOT NULL DEFAULT 0,   -- 0 ok, 1 error
    error_kind INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,   -- microseconds / 1000, rounded
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost       INTEGER NOT NULL DEFAULT 0,   -- nano-dollars
    score      REAL
);
CREATE UNIQUE INDEX events_key ON events (key);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Trace id -> event, for feedback addressed by trace id (only events that
-- carry a trace id have a row).
CREATE TABLE event_traces (
    trace INTEGER PRIMARY KEY,   -- 63-bit hash of the trace id
    key   INTEGER NOT NULL
);

-- Feedback: a score for an event, arriving later. key hashes the feedback id
-- (idempotent like events).
CREATE TABLE feedback (
    key       INTEGER PRIMARY KEY,
    event_key INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    score     REAL    NOT NULL,
    comment   TEXT    NOT NULL DEFAULT ''
);

-- Spans that arrived without verso.prompt.* attributes: kept, counted, never
-- silently dropped.
CREATE TABLE unattributed (
    key        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    model      TEXT    NOT NULL DEFAULT '',
    status     INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    reason     TEXT    NOT NULL DEFAULT ''
);

-- Per-minute rollups, written in the same transaction as the events they
-- summarise. hist is the latency histogram over fixed log buckets (see
-- store/stats.go), encoded as uvarint (bucket, count) pairs.
CREATE TABLE rollups (
    prompt_id  INTEGER NOT NULL,
    minute     INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    label      INTEGER NOT NULL,
    arm        INTEGER NOT NULL,
    model      INTEGER NOT NULL,
    requests   INTEGER NOT NULL DEFAULT 0,
    errors     INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,   -- sum
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost       INTEGER NOT NULL DEFAULT 0,   -- nano-dollars
    score_n    INTEGER NOT NULL DEFAULT 0,
    score_sum  REAL    NOT NULL DEFAULT 0,
    score_sq   REAL    NOT NULL DEFAULT 0,
    hist       BLOB    NOT NULL DEFAULT x'',
    PRIMARY KEY (prompt_id, minute, version, label, arm, model)
) WITHOUT ROWID;
