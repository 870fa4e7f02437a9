-- What an import could not map into a suite, one line each as a JSON list
-- (as the SQLite migration suite_skipped).
ALTER TABLE suites ADD COLUMN skipped TEXT COLLATE "C" NOT NULL DEFAULT '[]';
