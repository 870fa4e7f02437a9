-- The label history is a property of the schema: any change to labels, by
-- any writer (raw SQL included), records a label_events row.
--
-- What a writer knows beyond the labels row (who, why, the run that
-- justified it, forced, when) goes in label_change_note in the same
-- transaction, just before the change; the trigger consumes it. A writer
-- that leaves no note is still recorded, with the labels row's actor (if
-- any) and the current time.
CREATE TABLE label_change_note (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    actor  TEXT    NOT NULL DEFAULT '',
    reason TEXT    NOT NULL DEFAULT '',
    run_id INTEGER,
    forced INTEGER NOT NULL DEFAULT 0,
    at     INTEGER NOT NULL
);

-- A label is a name on a prompt: moving a row to another prompt or name
-- would be a removal and a new label that the history cannot tell apart.
CREATE TRIGGER labels_no_rename BEFORE UPDATE OF prompt_id, name ON labels
WHEN OLD.prompt_id IS NOT NEW.prompt_id OR OLD.name IS NOT NEW.name
BEGIN SELECT RAISE(ABORT, 'labels cannot be renamed: remove the label and set the new one'); END;

CREATE TRIGGER labels_history_insert AFTER INSERT ON labels
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, actor, at, reason, run_id, forced)
    VALUES (NEW.prompt_id, NEW.name, NULL, NEW.version,
        COALESCE((SELECT actor FROM label_change_note), NEW.actor),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0));
    DELETE FROM label_change_note;
END;

CREATE TRIGGER labels_history_update AFTER UPDATE OF version ON labels
WHEN OLD.version IS NOT NEW.version
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, actor, at, reason, run_id, forced)
    VALUES (NEW.prompt_id, NEW.name, OLD.version, NEW.version,
        COALESCE((SELECT actor FROM label_change_note), NEW.actor),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0));
    DELETE FROM label_change_note;
END;

CREATE TRIGGER labels_history_delete AFTER DELETE ON labels
BEGIN
    INSERT INTO label_events (prompt_id, label, from_version, to_version, actor, at, reason, run_id, forced)
    VALUES (OLD.prompt_id, OLD.name, OLD.version, NULL,
        COALESCE((SELECT actor FROM label_change_note), ''),
        COALESCE((SELECT at FROM label_change_note), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
        COALESCE((SELECT reason FROM label_change_note), ''),
        (SELECT run_id FROM label_change_note),
        COALESCE((SELECT forced FROM label_change_note), 0));
    DELETE FROM label_change_note;
END;
