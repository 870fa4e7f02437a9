-- Traffic splits and staged rollouts (DESIGN section 9).

-- A label points at one version (split NULL) or at a split: JSON
-- {"arms":[{"version":3,"weight":90},{"version":5,"weight":10}],"salt":"...",
-- "unit_key":"user_id"}. version then holds the arm with the largest weight,
-- for readers that do not know splits.
ALTER TABLE labels ADD COLUMN split TEXT;

-- The history records splits on both sides of a move (NULL: whole), and the
-- evidence of a rollout's step or abort (JSON, '' for none).
ALTER TABLE label_events ADD COLUMN from_split TEXT;
ALTER TABLE label_events ADD COLUMN to_split TEXT;
ALTER TABLE label_events ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE label_change_note ADD COLUMN evidence TEXT NOT NULL DEFAULT '';

DROP TRIGGER labels_history_insert;
DROP TRIGGER labels_history_update;
DROP TRIGGER labels_history_delete;

CREATE TRIGGER labels_history_insert AFTER INSERT ON labels
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, from_split, to_split, actor, at, reason, run_id, forced, evidence)
    VALUES (NEW.prompt_id, NEW.name, NULL, NEW.version, NULL, NEW.split,
        COALESCE((SELECT actor FROM label_change_note), NEW.actor),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0),
        COALESCE((SELECT evidence FROM label_change_note), ''));
    DELETE FROM label_change_note;
END;

CREATE TRIGGER labels_history_update AFTER UPDATE OF version, split ON labels
WHEN OLD.version IS NOT NEW.version OR OLD.split IS NOT NEW.split
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, from_split, to_split, actor, at, reason, run_id, forced, evidence)
    VALUES (NEW.prompt_id, NEW.name, OLD.version, NEW.version, OLD.split, NEW.split,
        COALESCE((SELECT actor FROM label_change_note), NEW.actor),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0),
        COALESCE((SELECT evidence FROM label_change_note), ''));
    DELETE FROM label_change_note;
END;

CREATE TRIGGER labels_history_delete AFTER DELETE ON labels
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, from_split, to_split, actor, at, reason, run_id, forced, evidence)
    VALUES (OLD.prompt_id, OLD.name, OLD.version, NULL, OLD.split, NULL,
        COALESCE((SELECT actor FROM label_change_note), ''),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0),
        COALESCE((SELECT evidence FROM label_change_note), ''));
    DELETE FROM label_change_note;
END;

-- A staged rollout of a label from one version to another. Times are unix
-- microseconds. step is the index into steps (JSON list of percentages) in
-- force as last written; verified the highest step whose guards were seen
-- healthy with their minimum samples (-1: none); checked_at the latest
-- check, before which the clock is never believed to go back.
CREATE TABLE rollouts (
    id           INTEGER PRIMARY KEY,
    prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
    label        TEXT    NOT NULL,
    from_version INTEGER NOT NULL,
    to_version   INTEGER NOT NULL,
    steps        TEXT    NOT NULL,
    every_ms     INTEGER NOT NULL,
    guards       TEXT    NOT NULL DEFAULT '[]',
    min_requests INTEGER NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL CHECK (state IN ('running', 'paused', 'aborted', 'done')),
    step         INTEGER NOT NULL DEFAULT 0,
    step_at      INTEGER NOT NULL,
    verified     INTEGER NOT NULL DEFAULT -1,
    verified_at  INTEGER NOT NULL DEFAULT 0,
    checked_at   INTEGER NOT NULL DEFAULT 0,
    paused_at    INTEGER NOT NULL DEFAULT 0,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER NOT NULL DEFAULT 0,
    actor        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    evidence     TEXT    NOT NULL DEFAULT ''
);
-- One live rollout per label.
CREATE UNIQUE INDEX rollouts_live ON rollouts (prompt_id, label) WHERE state IN ('running', 'paused');
CREATE INDEX rollouts_prompt ON rollouts (prompt_id, label, id);

-- Sum of squared per-call costs (nano-dollars squared, as REAL), so the
-- cost per call has a variance for Welch's t (verso ab).
ALTER TABLE rollups ADD COLUMN cost_sq REAL NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN cost_sq REAL NOT NULL DEFAULT 0;
