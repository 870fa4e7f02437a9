-- Why the model stopped (stop, length, tool_calls, content_filter) and
-- whether the server reported token usage: without usage the cost is
-- unknown, which is not $0.
ALTER TABLE results ADD COLUMN finish_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN usage_unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE response_cache ADD COLUMN finish_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE response_cache ADD COLUMN usage_unknown INTEGER NOT NULL DEFAULT 0;
