-- A version's template dialect: how its template (or each message) is
-- rendered. Existing versions are mustache, the only dialect before this.
ALTER TABLE versions ADD COLUMN dialect TEXT NOT NULL DEFAULT 'mustache'
    CHECK (dialect IN ('mustache', 'jinja2', 'handlebars'));
