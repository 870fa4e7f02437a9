-- The hash of what a suite checks (store.HashSuite), kept with the suite
-- (see the SQLite migration 0011_suite_hash.sql): written by SaveSuite,
-- cleared by any change to the suite's threshold or cases, whoever writes.
ALTER TABLE suites ADD COLUMN cases_hash TEXT;

CREATE FUNCTION verso_suite_hash_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        UPDATE suites SET cases_hash = NULL WHERE id = NEW.suite_id AND cases_hash IS NOT NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE suites SET cases_hash = NULL WHERE id = OLD.suite_id AND cases_hash IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER suites_hash_cases AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION verso_suite_hash_cases();

CREATE FUNCTION verso_suite_hash_threshold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE suites SET cases_hash = NULL WHERE id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER suites_hash_threshold AFTER UPDATE OF threshold ON suites
    FOR EACH ROW WHEN (OLD.threshold IS DISTINCT FROM NEW.threshold)
    EXECUTE FUNCTION verso_suite_hash_threshold();
