-- Any writer may make a month's events partition, not only the role that
-- owns the tables: a service that writes events under a role with table
-- privileges only (GRANT INSERT ...) must not fail when a new month
-- begins. Attaching a partition needs the ownership of events, so the
-- store attaches through this function, which runs with its owner's
-- rights (SECURITY DEFINER) and does nothing but make the partition of
-- one calendar month (UTC), named as the store names it
-- (store/partitions.go): any other name or bounds are refused.
CREATE FUNCTION verso_events_add_month(part TEXT, lo BIGINT, hi BIGINT) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    start TIMESTAMP := to_timestamp(lo / 1000.0) AT TIME ZONE 'UTC';
BEGIN
    IF lo % 1000 <> 0 OR date_trunc('month', start) <> start
        OR hi <> (extract(epoch FROM (start + INTERVAL '1 month') AT TIME ZONE 'UTC') * 1000)::BIGINT
        OR part <> to_char(start, '"events_"YYYY"_"MM') THEN
        RAISE EXCEPTION 'events partition %: [%, %) is not one calendar month named so', part, lo, hi
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS)', part);
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
END $$;
-- Its tables are found in the registry's schema only (never a caller's
-- temporary tables).
DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION verso_events_add_month(TEXT, BIGINT, BIGINT) SET search_path = %I, pg_temp', current_schema());
END $$;
