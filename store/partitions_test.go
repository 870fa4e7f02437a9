package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// utc is a time in UTC, to the millisecond.
func utc(y int, m time.Month, d, h, min, s, ms int) time.Time {
	return time.Date(y, m, d, h, min, s, ms*int(time.Millisecond), time.UTC)
}

// pgEventsStore is eventsStore on a new PostgreSQL database, with the
// clock fixed at now; it returns the database's address too.
func pgEventsStore(t *testing.T, now time.Time) (*Store, string) {
	t.Helper()
	u := pgtest.NewDatabase(t)
	st := openAt(t, u, Options{Clock: func() time.Time { return now }})
	commit(t, st, "greet", "Hello {{name}}")
	commit(t, st, "greet", "Hi {{name}}")
	return st, u
}

// eventPartitionNames lists the partitions of events, by name.
func eventPartitionNames(t *testing.T, q queryer) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// eventsSum is the events table's row count and checksum (as Copy sums it).
func eventsSum(t *testing.T, q queryer) tableSum {
	t.Helper()
	ctx := context.Background()
	cols, err := tableColumns(ctx, q, "events")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(copyTables, func(c copySpec) bool { return c.name == "events" })
	sum, err := sumTable(ctx, q, copyTables[i], cols)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func eventIDs(t *testing.T, q queryer) []int64 {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), `SELECT id FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func countRows(t *testing.T, q rowQuerier, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMonthPartitionBounds(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		name string
	}{
		{utc(2026, 1, 31, 23, 59, 59, 999), "events_2026_01"},
		{utc(2026, 2, 1, 0, 0, 0, 0), "events_2026_02"},
		{utc(2024, 2, 29, 12, 0, 0, 0), "events_2024_02"},
		{utc(2026, 12, 31, 23, 59, 59, 999), "events_2026_12"},
		{utc(1969, 12, 31, 23, 59, 59, 999), "events_1969_12"},
		{utc(1970, 1, 1, 0, 0, 0, 0), "events_1970_01"},
	} {
		ms := c.at.UnixMilli()
		p := monthPartition(monthIndex(ms))
		if p.name != c.name || !p.from || !p.upTo || ms < p.lo || ms >= p.hi {
			t.Errorf("%s: %+v, want %s holding it", c.at, p, c.name)
		}
		start := time.UnixMilli(p.lo).UTC()
		if start.Day() != 1 || start.Hour() != 0 || time.UnixMilli(p.hi).UTC() != start.AddDate(0, 1, 0) {
			t.Errorf("%s: [%s, %s) is not a calendar month", c.at, start, time.UnixMilli(p.hi).UTC())
		}
	}
	// The first and last months a 64-bit millisecond time reaches are open
	// at the far end, so that every stored time has a partition.
	if p := monthPartition(monthIndex(math.MinInt64)); p.from || !p.upTo || p.hi <= math.MinInt64 {
		t.Errorf("first month: %+v", p)
	}
	if p := monthPartition(monthIndex(math.MaxInt64)); !p.from || p.upTo || p.lo > math.MaxInt64 {
		t.Errorf("last month: %+v", p)
	}
	if got := eventMonths([]int64{utc(2026, 1, 5, 0, 0, 0, 0).UnixMilli(), utc(2026, 1, 6, 0, 0, 0, 0).UnixMilli(),
		utc(2026, 3, 1, 0, 0, 0, 0).UnixMilli(), utc(2026, 1, 7, 0, 0, 0, 0).UnixMilli()}); len(got) != 2 {
		t.Errorf("months %v, want January and March", got)
	}
}

// A database made before events were partitioned, with events in several
// months (and at the ends of time), is upgraded exactly: the same rows
// with the same ids and checksum, one partition per month, the identity
// sequence where it was, the old table gone, updates still refused.
func TestPostgresEventsMigrationToMonthsIsExact(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	raw := rawDB(t, u)
	// The schema as it was just before the migration events_by_month.
	ms := mustPGMigrations()
	at := slices.IndexFunc(ms, func(m migration) bool { return m.name[5:] == "events_by_month.sql" })
	if at < 0 {
		t.Fatal("no migration events_by_month")
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE verso_schema (id INTEGER PRIMARY KEY CHECK (id = 1), application TEXT NOT NULL, version INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO verso_schema VALUES (1, 'verso', ?)`, at); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:at] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if step := migrationSteps[m.name[5:]]; step != nil {
			if err := step(ctx, tx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	times := []int64{
		utc(2025, 11, 3, 8, 0, 0, 0).UnixMilli(),
		utc(2025, 12, 31, 23, 59, 59, 999).UnixMilli(),
		utc(2026, 1, 1, 0, 0, 0, 0).UnixMilli(),
		utc(2026, 1, 31, 23, 59, 59, 999).UnixMilli(),
		utc(2026, 2, 1, 0, 0, 0, 0).UnixMilli(),
		utc(2026, 3, 15, 12, 0, 0, 0).UnixMilli(),
		-1, 0, // either side of 1970
		math.MinInt64, math.MaxInt64,
	}
	var n int
	for round := range 3 {
		for _, a := range times {
			n++
			var score any
			if n%3 == 0 {
				score = 0.5
			}
			if _, err := raw.ExecContext(ctx, `INSERT INTO events (key, prompt_id, version, at, label, model, latency_ms, tokens_in, cost, score)
				VALUES (?, 1, 1, ?, 0, 0, ?, ?, ?, ?)`, eventKey(fmt.Sprintf("ev-%d-%d", round, a)), a, n, 10*n, 1000*n, score); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Ids with a gap, and the sequence ahead of the largest id (a rolled
	// back insert used some).
	pgtest.Exec(t, u, `DELETE FROM events WHERE id = 4`)
	pgtest.Exec(t, u, `SELECT nextval('events_id_seq') FROM generate_series(1, 5)`)
	if _, err := raw.ExecContext(ctx, `INSERT INTO event_traces (trace, key) VALUES (1, ?)`, eventKey("ev-0-0")); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := raw.QueryRowContext(ctx, `SELECT last_value FROM events_id_seq`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	sumBefore, idsBefore := eventsSum(t, raw), eventIDs(t, raw)
	if sumBefore.n != int64(3*len(times)-1) {
		t.Fatalf("fixture: %d rows", sumBefore.n)
	}

	st := openAt(t, u, Options{})
	if v := countRows(t, raw, `SELECT version FROM verso_schema`); v != int64(PostgresSchemaVersion) {
		t.Fatalf("schema version %d, want %d", v, PostgresSchemaVersion)
	}
	if countRows(t, raw, `SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'events'::regclass`) != 1 {
		t.Fatal("events is not partitioned")
	}
	if countRows(t, raw, `SELECT count(*) FROM pg_class WHERE relname LIKE 'events_unpartitioned%'`) != 0 {
		t.Fatal("the old table or its sequence is left")
	}
	want := []string{"events_1969_12", "events_1970_01", "events_2025_11", "events_2025_12", "events_2026_01", "events_2026_02", "events_2026_03",
		monthPartition(monthIndex(math.MinInt64)).name, monthPartition(monthIndex(math.MaxInt64)).name}
	slices.Sort(want)
	if got := eventPartitionNames(t, raw); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
	if got := eventsSum(t, raw); got != sumBefore {
		t.Fatalf("after the migration %d rows, sum %s; before %d rows, sum %s", got.n, got.hex(), sumBefore.n, sumBefore.hex())
	}
	if got := eventIDs(t, raw); !slices.Equal(got, idsBefore) {
		t.Fatalf("ids changed: %v, want %v", got, idsBefore)
	}
	// The next event gets the id the old table would have given.
	commit(t, st, "greet", "Hello")
	if _, err := st.RecordEvents(ctx, []Event{{ID: "next", Prompt: "greet", Version: 1, Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if id := countRows(t, raw, `SELECT id FROM events WHERE key = ?`, eventKey("next")); id != last+1 {
		t.Fatalf("next id %d, want %d", id, last+1)
	}
	if ok, err := st.HasEvent(ctx, "ev-1-0"); !ok || err != nil {
		t.Fatalf("HasEvent after the migration: %v %v", ok, err)
	}
	// Append-only, on the parent and on a partition the migration made.
	for _, q := range []string{`UPDATE events SET score = 1`, `UPDATE events_2026_01 SET latency_ms = 0`, `UPDATE events SET at = 0 WHERE at = -1`} {
		if _, err := st.db.ExecContext(ctx, q); !errors.Is(st.wrap("update", err), ErrImmutable) {
			t.Errorf("%s: %v, want ErrImmutable", q, err)
		}
	}
}

// Ingest makes the partition of every month a batch needs, as far back and
// ahead as an event may be dated; another process that did not make them
// finds them.
func TestPostgresIngestMakesMonthPartitions(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 31, 23, 30, 0, 0)
	st, u := pgEventsStore(t, now)
	if got := eventPartitionNames(t, st.db); len(got) != 0 {
		t.Fatalf("a new registry has partitions %v", got)
	}
	evs := []Event{
		{ID: "oldest", Prompt: "greet", Version: 1, Time: now.Add(-MaxEventAge + time.Minute)}, // 2025-03-30
		{ID: "feb", Prompt: "greet", Version: 1, Time: utc(2026, 2, 14, 9, 0, 0, 0)},
		{ID: "mar", Prompt: "greet", Version: 2, Time: utc(2026, 3, 31, 23, 0, 0, 0)},
		{ID: "apr", Prompt: "greet", Version: 2, Time: now.Add(MaxEventFuture - time.Minute)}, // 2026-04-01 00:29
		{Prompt: "greet", Version: 2, Time: utc(2026, 3, 2, 0, 0, 0, 0)},
	}
	res, err := st.RecordEvents(ctx, evs)
	if err != nil || res.Accepted != len(evs) || len(res.Rejected) != 0 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	want := []string{"events_2025_03", "events_2026_02", "events_2026_03", "events_2026_04"}
	if got := eventPartitionNames(t, st.db); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
	// Another process (a Store of its own, knowing no partitions) writes
	// into the same months and a new one.
	other := openAt(t, u, Options{Clock: func() time.Time { return now }})
	res, err = other.RecordEvents(ctx, []Event{{ID: "apr-2", Prompt: "greet", Version: 1, Time: now.Add(30 * time.Minute)},
		{ID: "jan", Prompt: "greet", Version: 1, Time: utc(2026, 1, 1, 0, 0, 0, 0)}})
	if err != nil || res.Accepted != 2 {
		t.Fatalf("another process: %+v %v", res, err)
	}
	want = []string{"events_2025_03", "events_2026_01", "events_2026_02", "events_2026_03", "events_2026_04"}
	if got := eventPartitionNames(t, st.db); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
	if c, _ := st.CountEvents(ctx); c.Events != 7 {
		t.Fatalf("%d events stored, want 7", c.Events)
	}
	// Each row is in its month's partition.
	if n := countRows(t, st.db, `SELECT count(*) FROM events_2026_04`); n != 2 {
		t.Fatalf("April holds %d events, want 2", n)
	}
}

// A month this process remembers, dropped by another process's prune, is
// made again when an event of that month arrives: the event is stored,
// not refused.
func TestPostgresIngestAfterAnotherProcessDroppedTheMonth(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	a, u := pgEventsStore(t, now)
	b := openAt(t, u, Options{Clock: func() time.Time { return now }})
	jan := utc(2026, 1, 10, 0, 0, 0, 0)
	if _, err := a.RecordEvents(ctx, []Event{{ID: "j1", Prompt: "greet", Version: 1, Time: jan}}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.PruneEvents(ctx, utc(2026, 2, 1, 0, 0, 0, 0)); n != 1 || err != nil {
		t.Fatalf("prune: %d %v", n, err)
	}
	if slices.Contains(eventPartitionNames(t, a.db), "events_2026_01") {
		t.Fatal("January was not dropped")
	}
	res, err := a.RecordEvents(ctx, []Event{{ID: "j2", Prompt: "greet", Version: 1, Time: jan}})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("an event of the dropped month: %+v %v", res, err)
	}
	if ok, _ := a.HasEvent(ctx, "j2"); !ok {
		t.Fatal("j2 not stored")
	}
}

// A client id stored once is a duplicate however it comes back: twice in
// one batch on either side of a month boundary, and in a later batch (a
// retry) with the same time or another month's.
func TestDuplicateIDAcrossAMonthBoundary(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 2, 1, 0, 30, 0, 0)
	st := newStoreAt(t, func() time.Time { return now })
	commit(t, st, "greet", "Hello {{name}}")
	endJan, startFeb := utc(2026, 1, 31, 23, 59, 59, 999), utc(2026, 2, 1, 0, 0, 0, 0)
	ev := func(id string, at time.Time) Event {
		return Event{ID: id, Prompt: "greet", Version: 1, Time: at, LatencyMS: 5}
	}
	res, err := st.RecordEvents(ctx, []Event{ev("a", endJan), ev("b", startFeb), ev("a", endJan), ev("b", startFeb)})
	if err != nil || res.Accepted != 2 || res.Duplicate != 2 {
		t.Fatalf("first batch: %+v %v", res, err)
	}
	res, err = st.RecordEvents(ctx, []Event{ev("b", startFeb), ev("a", endJan), ev("c", startFeb)})
	if err != nil || res.Accepted != 1 || res.Duplicate != 2 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	// The same ids dated in the other month are the same events.
	res, err = st.RecordEvents(ctx, []Event{ev("a", startFeb), ev("b", endJan)})
	if err != nil || res.Accepted != 0 || res.Duplicate != 2 {
		t.Fatalf("same ids, other months: %+v %v", res, err)
	}
	if c, _ := st.CountEvents(ctx); c.Events != 3 {
		t.Fatalf("%d events stored, want 3", c.Events)
	}
	rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: endJan.Add(-time.Hour)})
	if err != nil || rep.Total.Requests != 3 {
		t.Fatalf("stats count %d requests, want 3 (%v)", rep.Total.Requests, err)
	}
}

// pruneFixture records events in December to March (clock: 20 March
// 2026) with traces and feedback, and returns the ids older than the
// cutoff (10 February, noon) and the ids not older.
func pruneFixture(t *testing.T, st *Store) (cutoff time.Time, old, kept []string) {
	t.Helper()
	ctx := context.Background()
	cutoff = utc(2026, 2, 10, 12, 0, 0, 0)
	times := []time.Time{
		utc(2025, 12, 1, 0, 0, 0, 0), utc(2025, 12, 15, 0, 0, 0, 0), utc(2025, 12, 31, 23, 59, 59, 999),
		utc(2026, 1, 1, 0, 0, 0, 0), utc(2026, 1, 2, 0, 0, 0, 0), utc(2026, 1, 20, 0, 0, 0, 0), utc(2026, 1, 31, 23, 0, 0, 0),
		utc(2026, 2, 1, 0, 0, 0, 0), cutoff.Add(-time.Millisecond), cutoff, cutoff.Add(time.Hour), utc(2026, 2, 28, 0, 0, 0, 0),
		utc(2026, 3, 1, 0, 0, 0, 0), utc(2026, 3, 19, 0, 0, 0, 0),
	}
	var evs []Event
	var fbs []Feedback
	for i, at := range times {
		id := fmt.Sprintf("e%02d", i)
		evs = append(evs, Event{ID: id, Prompt: "greet", Version: 1 + i%2, Time: at, LatencyMS: float64(i), TraceID: "t-" + id})
		fbs = append(fbs, Feedback{ID: "f-" + id, EventID: id, Score: 1, Time: at})
		if at.Before(cutoff) {
			old = append(old, id)
		} else {
			kept = append(kept, id)
		}
	}
	// Events without ids too.
	evs = append(evs, Event{Prompt: "greet", Version: 1, Time: times[1]}, Event{Prompt: "greet", Version: 1, Time: times[10]})
	if res, err := st.RecordEvents(ctx, evs); err != nil || res.Accepted != len(evs) {
		t.Fatalf("events: %+v %v", res, err)
	}
	if res, err := st.RecordFeedback(ctx, fbs); err != nil || res.Accepted != len(fbs) {
		t.Fatalf("feedback: %+v %v", res, err)
	}
	return cutoff, old, kept
}

// Prune removes exactly the events older than the cutoff, with their
// traces and feedback, and keeps the rollups. On PostgreSQL the months
// wholly before the cutoff are gone as tables (dropped, not emptied or
// detached) and the month that straddles it keeps its newer rows.
func TestPruneDropsWholeMonths(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	st := newStoreAt(t, func() time.Time { return now })
	commit(t, st, "greet", "Hello {{name}}")
	commit(t, st, "greet", "Hi {{name}}")
	cutoff, old, kept := pruneFixture(t, st)
	if onPostgres() {
		if got := eventPartitionNames(t, st.db); !slices.Equal(got, []string{"events_2025_12", "events_2026_01", "events_2026_02", "events_2026_03"}) {
			t.Fatalf("partitions before: %v", got)
		}
	}
	n, err := st.PruneEvents(ctx, cutoff)
	if err != nil || n != int64(len(old)+1) { // +1: the December event without an id
		t.Fatalf("pruned %d (%v), want %d", n, err, len(old)+1)
	}
	for _, id := range old {
		if ok, _ := st.HasEvent(ctx, id); ok {
			t.Errorf("%s (older than the cutoff) is still there", id)
		}
	}
	for _, id := range kept {
		if ok, _ := st.HasEvent(ctx, id); !ok {
			t.Errorf("%s (not older than the cutoff) was pruned", id)
		}
	}
	if c, _ := st.CountEvents(ctx); c.Events != int64(len(kept)+1) || c.Feedback != int64(len(kept)) {
		t.Fatalf("left %+v, want %d events and %d feedback", c, len(kept)+1, len(kept))
	}
	if got := countRows(t, st.db, `SELECT count(*) FROM event_traces`); got != int64(len(kept)) {
		t.Fatalf("%d traces left, want %d", got, len(kept))
	}
	rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: utc(2025, 11, 1, 0, 0, 0, 0)})
	if err != nil || rep.Total.Requests != int64(len(old)+len(kept)+2) {
		t.Fatalf("the rollups lost pruned events: %d requests (%v)", rep.Total.Requests, err)
	}
	if onPostgres() {
		if got := eventPartitionNames(t, st.db); !slices.Equal(got, []string{"events_2026_02", "events_2026_03"}) {
			t.Fatalf("partitions after: %v", got)
		}
		if got := countRows(t, st.db, `SELECT count(*) FROM pg_class WHERE relname IN ('events_2025_12', 'events_2026_01')`); got != 0 {
			t.Fatal("the old months' tables still exist")
		}
		if got := countRows(t, st.db, `SELECT count(*) FROM events_2026_02 WHERE at < ?`, cutoff.UnixMilli()); got != 0 {
			t.Fatalf("the straddling month keeps %d older rows", got)
		}
	}
	// Pruning again removes nothing; an event of a pruned month may still
	// arrive (it is within MaxEventAge) and is stored.
	if n, err := st.PruneEvents(ctx, cutoff); n != 0 || err != nil {
		t.Fatalf("second prune: %d %v", n, err)
	}
	if res, err := st.RecordEvents(ctx, []Event{{ID: "late", Prompt: "greet", Version: 1, Time: utc(2026, 1, 5, 0, 0, 0, 0)}}); err != nil || res.Accepted != 1 {
		t.Fatalf("a late event of a pruned month: %+v %v", res, err)
	}
}

// Events stay append-only on PostgreSQL: an update of any event, through
// the parent table or a month's partition, is refused by the database.
func TestPostgresEventsAppendOnly(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	st, u := pgEventsStore(t, now)
	if _, err := st.RecordEvents(ctx, []Event{{ID: "a", Prompt: "greet", Version: 1, Time: utc(2026, 2, 1, 0, 0, 0, 0)},
		{ID: "b", Prompt: "greet", Version: 1, Time: now}}); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, u)
	for _, q := range []string{`UPDATE events SET score = 1`, `UPDATE events_2026_02 SET latency_ms = 7`,
		`UPDATE events SET at = at + 2678400000 WHERE key = ` + fmt.Sprint(eventKey("a"))} {
		_, err := raw.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
		if !errors.Is(st.wrap("update", err), ErrImmutable) {
			t.Errorf("%s: not ErrImmutable", q)
		}
	}
	before := eventsSum(t, raw)
	if after := eventsSum(t, raw); after != before {
		t.Fatal("an update changed events")
	}
}

// A prune cancelled half-way, after it deleted the straddling month's
// older rows and dropped one old month but while it waits to drop the
// next, leaves everything as it was: one transaction.
func TestPostgresPruneCancelledMidwayChangesNothing(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	st, u := pgEventsStore(t, now)
	cutoff, _, _ := pruneFixture(t, st)
	raw := rawDB(t, u)
	sum, parts := eventsSum(t, raw), eventPartitionNames(t, raw)
	traces, counts := countRows(t, raw, `SELECT count(*) FROM event_traces`), mustCount(t, st)

	// Another session reads January: the prune drops December, then waits
	// for January.
	blocker, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	if _, err := blocker.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	countRows(t, blocker, `SELECT count(*) FROM events_2026_01`)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := st.PruneEvents(pctx, cutoff)
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for countRows(t, raw, `SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'events_2026_01'::regclass`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the prune never waited for January")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// By now December is dropped inside the prune's transaction.
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled prune succeeded")
	}
	if _, err := blocker.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if got := eventPartitionNames(t, raw); !slices.Equal(got, parts) {
		t.Fatalf("partitions %v, want %v", got, parts)
	}
	if got := eventsSum(t, raw); got != sum {
		t.Fatalf("events changed: %d rows, want %d", got.n, sum.n)
	}
	if got := countRows(t, raw, `SELECT count(*) FROM event_traces`); got != traces {
		t.Fatalf("%d traces, want %d", got, traces)
	}
	if got := mustCount(t, st); got != counts {
		t.Fatalf("counts %+v, want %+v", got, counts)
	}
	// And the same prune, uncancelled, then does all of it.
	if n, err := st.PruneEvents(ctx, cutoff); err != nil || n == 0 {
		t.Fatalf("prune: %d %v", n, err)
	}
	if got := eventPartitionNames(t, raw); !slices.Equal(got, []string{"events_2026_02", "events_2026_03"}) {
		t.Fatalf("partitions after the prune: %v", got)
	}
}

func mustCount(t *testing.T, st *Store) EventCounts {
	t.Helper()
	c, err := st.CountEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every query that finds events by key, id or time can use an index on
// every partition (asked with sequential scans disabled: a plan that still
// scans a partition whole has no index to use).
func TestPostgresEventQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	st, u := pgEventsStore(t, now)
	pruneFixture(t, st)
	conn, err := rawDB(t, u).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	k := eventKey("e01")
	for _, c := range []struct {
		what, q string
		args    []any
	}{
		{"HasEvent", `SELECT 1 FROM events WHERE key = ?`, []any{k}},
		{"ingest's duplicate check", `SELECT key FROM events WHERE key IN (?, ?)`, []any{k, k + 1}},
		{"feedback", `SELECT prompt_id, version, at, label, arm, model FROM events WHERE key = ?`, []any{k}},
		{"trace index join", `SELECT t.trace FROM event_traces t JOIN events e ON e.key = t.key WHERE t.trace = ?`, []any{eventKey("t-e01")}},
		{"prune's trace delete", `DELETE FROM event_traces WHERE key IN (SELECT key FROM events WHERE at < ?)`, []any{now.UnixMilli()}},
		{"copy's batch", `SELECT "id", "key" FROM events WHERE ("id") > (?) ORDER BY "id" LIMIT 2000`, []any{int64(3)}},
		{"copy's resume point", `SELECT "id" FROM events ORDER BY "id" DESC LIMIT 1`, nil},
		{"merge's key check", `SELECT "key" FROM events WHERE "key" IN (?) AND id > ?`, []any{k, int64(0)}},
	} {
		rows, err := conn.QueryContext(ctx, `EXPLAIN `+c.q, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan on events") || !strings.Contains(text, "events_2026_0") {
			t.Errorf("%s scans events without an index:\n%s", c.what, text)
		}
	}
}

// BenchmarkPrunePartitions: `verso events prune` of five months of events
// and nine days of a sixth (265,000 events of 350,000), on a
// SQLite file (DELETE) and on PostgreSQL (the five months dropped, the
// sixth's older rows deleted), and on PostgreSQL by one DELETE as before
// the partitions (postgres_delete, the baseline). Each iteration seeds the events again,
// outside the timer; the postgres half is skipped without a server:
//
//	eval "$(go run ./internal/pgtest/pgcluster start)"
//	go test ./store -run '^$' -bench PrunePartitions -benchtime 3x
func BenchmarkPrunePartitions(b *testing.B) {
	const months, perMonth = 7, 50_000
	now := utc(2026, 7, 20, 0, 0, 0, 0)
	cutoff := utc(2026, 6, 10, 0, 0, 0, 0)
	// deleteOnly is how PruneEvents worked on PostgreSQL before the
	// partitions: one DELETE over every month (the baseline).
	deleteOnly := func(ctx context.Context, st *Store, before time.Time) (int64, error) {
		var n int64
		err := st.tx(ctx, "prune events", func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM event_traces WHERE key IN (SELECT key FROM events WHERE at < ?)`, before.UnixMilli()); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE at < ?`, before.UnixMilli())
			if err != nil {
				return err
			}
			n, _ = r.RowsAffected()
			return nil
		})
		return n, err
	}
	run := func(b *testing.B, loc string, prune func(context.Context, *Store, time.Time) (int64, error)) {
		ctx := context.Background()
		st, err := OpenWith(loc, Options{Clock: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		commit(b, st, "greet", "Hello {{name}}")
		var pruned int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for m := range months {
				start := utc(2026, time.Month(1+m), 1, 0, 0, 0, 0)
				// One event through ingest makes the month's partition.
				if _, err := st.RecordEvents(ctx, []Event{{ID: fmt.Sprintf("seed-%d-%d", i, m), Prompt: "greet", Version: 1, Time: start}}); err != nil {
					b.Fatal(err)
				}
				step := start.AddDate(0, 1, 0).Sub(start).Milliseconds() / perMonth
				if _, err := st.db.ExecContext(ctx, `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
					INSERT INTO events (key, prompt_id, version, at, latency_ms) SELECT CAST(? AS BIGINT) + n, 1, 1, CAST(? AS BIGINT) + n * CAST(? AS BIGINT), n % 500 FROM g`,
					perMonth-1, int64((i*months+m)*perMonth), start.UnixMilli(), step); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			n, err := prune(ctx, st, cutoff)
			if err != nil {
				b.Fatal(err)
			}
			pruned += n
			b.StopTimer()
			// The rest goes before the next round.
			if _, err := st.PruneEvents(ctx, now.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(pruned)/float64(b.N), "events/op")
	}
	prune := func(ctx context.Context, st *Store, before time.Time) (int64, error) {
		return st.PruneEvents(ctx, before)
	}
	b.Run("sqlite", func(b *testing.B) { run(b, filepath.Join(b.TempDir(), "prune.db"), prune) })
	b.Run("postgres", func(b *testing.B) { run(b, pgtest.NewDatabase(b), prune) })
	b.Run("postgres_delete", func(b *testing.B) { run(b, pgtest.NewDatabase(b), deleteOnly) })
}

// A writer whose role has the tables' privileges but not their ownership
// (a service's least-privilege role) stores events of a month that has no
// partition yet: verso_events_add_month makes it with the owner's rights,
// and it belongs to the owner. The function makes nothing but one calendar
// month named as the store names it. Dropping months stays the owner's: the
// writer's prune is refused naming the owner, and changes nothing.
func TestPostgresWriterWithoutOwnershipMakesMonths(t *testing.T) {
	ctx := context.Background()
	now := utc(2026, 3, 20, 12, 0, 0, 0)
	clock := func() time.Time { return now }
	u := pgtest.NewDatabase(t)
	pgRole(t, "verso_part_owner")
	pgRole(t, "verso_part_writer")
	pgtest.Exec(t, u, `GRANT ALL ON SCHEMA public TO verso_part_owner`)
	owner := openAt(t, asRole(t, u, "verso_part_owner"), Options{Clock: clock})
	commit(t, owner, "greet", "Hello {{name}}")
	if _, err := owner.RecordEvents(ctx, []Event{{ID: "feb", Prompt: "greet", Version: 1, Time: utc(2026, 2, 1, 0, 0, 0, 0)}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`GRANT USAGE ON SCHEMA public TO verso_part_writer`, `GRANT ALL ON ALL TABLES IN SCHEMA public TO verso_part_writer`,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO verso_part_writer`} {
		pgtest.Exec(t, u, q)
	}
	wu := asRole(t, u, "verso_part_writer")
	w := openAt(t, wu, Options{Clock: clock})
	res, err := w.RecordEvents(ctx, []Event{{ID: "mar", Prompt: "greet", Version: 1, Time: utc(2026, 3, 1, 0, 0, 0, 0)},
		{ID: "jan", Prompt: "greet", Version: 1, Time: utc(2026, 1, 31, 23, 59, 59, 999)}})
	if err != nil || res.Accepted != 2 {
		t.Fatalf("the writer's events of new months: %+v %v", res, err)
	}
	if got := eventPartitionNames(t, owner.db); !slices.Equal(got, []string{"events_2026_01", "events_2026_02", "events_2026_03"}) {
		t.Fatalf("partitions %v", got)
	}
	if n := countRows(t, owner.db, `SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass AND pg_get_userbyid(c.relowner) <> 'verso_part_owner'`); n != 0 {
		t.Fatalf("%d partitions not owned by the tables' owner", n)
	}
	// Only a calendar month, named so.
	may := utc(2026, 5, 1, 0, 0, 0, 0).UnixMilli()
	june := utc(2026, 6, 1, 0, 0, 0, 0).UnixMilli()
	raw := rawDB(t, wu)
	for _, args := range [][]any{{"events_2026_05", may, may + 1}, {"events_2026_05", may + 1000, june}, {"events_2026_06", may, june},
		{"evil", may, june}, {"events_2026_05", int64(math.MinInt64) / 2, june}} {
		if _, err := raw.ExecContext(ctx, `SELECT verso_events_add_month(?, ?, ?)`, args...); err == nil {
			t.Errorf("verso_events_add_month%v made a partition", args)
		}
	}
	if _, err := raw.ExecContext(ctx, `SELECT verso_events_add_month(?, ?, ?)`, "events_2026_05", may, june); err != nil {
		t.Fatalf("a calendar month: %v", err)
	}
	// The writer may not drop months.
	before := eventsSum(t, owner.db)
	_, err = w.PruneEvents(ctx, utc(2026, 2, 10, 0, 0, 0, 0))
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "role verso_part_owner, not verso_part_writer") {
		t.Fatalf("the writer's prune: %v", err)
	}
	if got := eventsSum(t, owner.db); got != before || len(eventPartitionNames(t, owner.db)) != 4 {
		t.Fatal("the refused prune changed events")
	}
	if n, err := owner.PruneEvents(ctx, utc(2026, 2, 10, 0, 0, 0, 0)); n != 2 || err != nil {
		t.Fatalf("the owner's prune: %d %v", n, err)
	}
}
