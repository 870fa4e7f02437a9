-- The hash of what a suite checks (store.HashSuite), kept with the suite so
-- that an eval does not hash thousands of cases each time it starts. It is
-- written by SaveSuite and cleared by any change to the suite's threshold
-- or cases, whoever writes (the triggers): NULL means "compute it".
ALTER TABLE suites ADD COLUMN cases_hash TEXT;

CREATE TRIGGER suites_hash_case_insert AFTER INSERT ON cases BEGIN
    UPDATE suites SET cases_hash = NULL WHERE id = NEW.suite_id AND cases_hash IS NOT NULL;
END;

CREATE TRIGGER suites_hash_case_update AFTER UPDATE ON cases BEGIN
    UPDATE suites SET cases_hash = NULL WHERE id IN (OLD.suite_id, NEW.suite_id) AND cases_hash IS NOT NULL;
END;

CREATE TRIGGER suites_hash_case_delete AFTER DELETE ON cases BEGIN
    UPDATE suites SET cases_hash = NULL WHERE id = OLD.suite_id AND cases_hash IS NOT NULL;
END;

CREATE TRIGGER suites_hash_threshold AFTER UPDATE OF threshold ON suites
WHEN OLD.threshold IS NOT NEW.threshold BEGIN
    UPDATE suites SET cases_hash = NULL WHERE id = NEW.id;
END;
