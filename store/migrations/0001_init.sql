-- Verso registry, schema version 1. Times are unix microseconds (UTC).

CREATE TABLE prompts (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NOT NULL DEFAULT '[]',   -- JSON list of strings
    created_at  INTEGER NOT NULL,
    archived_at INTEGER,
    -- The newest version's number and metadata, denormalised so that listing
    -- 10,000 prompts reads this small table only, not 10,000 version pages.
    latest         INTEGER NOT NULL DEFAULT 0,
    latest_at      INTEGER NOT NULL DEFAULT 0,
    latest_author  TEXT    NOT NULL DEFAULT '',
    latest_message TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE versions (
    -- Small columns first: SQLite reads a row's columns in order, so metadata
    -- placed after a 4 KB template would cost overflow-page reads in listings.
    id           INTEGER PRIMARY KEY,
    prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
    number       INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('text', 'chat')),
    created_at   INTEGER NOT NULL,
    parent       INTEGER,
    author       TEXT    NOT NULL DEFAULT '',
    content_hash TEXT    NOT NULL,
    message      TEXT    NOT NULL DEFAULT '',
    config       TEXT    NOT NULL DEFAULT '{}',  -- JSON model config
    template     TEXT    NOT NULL DEFAULT '',
    messages     TEXT    NOT NULL DEFAULT '[]',  -- JSON list of {role, content}
    UNIQUE (prompt_id, number)
);
CREATE INDEX versions_hash ON versions (prompt_id, content_hash);
CREATE INDEX versions_created ON versions (created_at);

-- Versions are immutable and numbered 1, 2, 3 ... without gaps.
CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
CREATE TRIGGER versions_consecutive BEFORE INSERT ON versions
WHEN NEW.number <> (SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE prompt_id = NEW.prompt_id)
BEGIN SELECT RAISE(ABORT, 'version numbers must be consecutive'); END;

CREATE TABLE labels (
    prompt_id  INTEGER NOT NULL REFERENCES prompts(id),
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (prompt_id, name),
    FOREIGN KEY (prompt_id, version) REFERENCES versions (prompt_id, number)
);

CREATE TABLE suites (
    id          INTEGER PRIMARY KEY,
    prompt_id   INTEGER NOT NULL REFERENCES prompts(id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    threshold   REAL    NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (prompt_id, name)
);

CREATE TABLE cases (
    id         INTEGER PRIMARY KEY,
    suite_id   INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    vars       TEXT    NOT NULL DEFAULT '{}',
    assertions TEXT    NOT NULL DEFAULT '[]',
    expected   TEXT    NOT NULL DEFAULT '',
    tags       TEXT    NOT NULL DEFAULT '[]',
    threshold  REAL
);
CREATE INDEX cases_suite ON cases (suite_id, position);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    prompt_id   INTEGER NOT NULL REFERENCES prompts(id),
    suite_id    INTEGER REFERENCES suites(id) ON DELETE SET NULL,
    suite_name  TEXT    NOT NULL DEFAULT '',
    versions    TEXT    NOT NULL DEFAULT '[]',
    models      TEXT    NOT NULL DEFAULT '[]',
    repeat      INTEGER NOT NULL DEFAULT 1,
    settings    TEXT    NOT NULL DEFAULT '{}',
    status      TEXT    NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    total       INTEGER NOT NULL DEFAULT 0,
    summary     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_prompt ON runs (prompt_id, id);

CREATE TABLE results (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    version    INTEGER NOT NULL,
    model      TEXT    NOT NULL,
    case_id    INTEGER NOT NULL,   -- no foreign key: a suite may be edited after the run
    case_name  TEXT    NOT NULL DEFAULT '',
    repeat     INTEGER NOT NULL DEFAULT 0,
    output     TEXT    NOT NULL DEFAULT '',
    assertions TEXT    NOT NULL DEFAULT '[]',
    score      REAL    NOT NULL DEFAULT 0,
    pass       INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost       REAL    NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    cached     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (run_id, version, model, case_id, repeat)
);

CREATE TABLE label_events (
    id           INTEGER PRIMARY KEY,
    prompt_id    INTEGER NOT NULL REFERENCES prompts(id),
    label        TEXT    NOT NULL,
    from_version INTEGER,
    to_version   INTEGER,
    actor        TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    run_id       INTEGER REFERENCES runs(id),
    forced       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX label_events_prompt ON label_events (prompt_id, label, id);
CREATE INDEX label_events_at ON label_events (at);

-- The label history is append-only.
CREATE TRIGGER label_events_no_update BEFORE UPDATE ON label_events
BEGIN SELECT RAISE(ABORT, 'label history is append-only'); END;
CREATE TRIGGER label_events_no_delete BEFORE DELETE ON label_events
BEGIN SELECT RAISE(ABORT, 'label history is append-only'); END;

CREATE TABLE response_cache (
    key        TEXT    PRIMARY KEY,   -- sha256 of the exact request
    output     TEXT    NOT NULL,
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Registry-wide settings shared by every process (the eval gate).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
