-- What an import could not map into a suite (promptfoo assertions, options
-- or providers left out with --skip-unsupported), one line each as a JSON
-- list: eval reports print it, so a suite's verdicts never hide that some
-- of its checks did not come along.
ALTER TABLE suites ADD COLUMN skipped TEXT NOT NULL DEFAULT '[]';
