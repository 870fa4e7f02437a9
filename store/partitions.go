package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// On PostgreSQL, raw events live in one partition of the events table per
// calendar month (UTC), so that retention is cheap: PruneEvents drops the
// months that lie wholly before its cutoff (DROP TABLE: instant, the space
// goes back to the system) and deletes rows only in the month the cutoff
// falls in. SQLite keeps one table and deletes.
//
// A month's partition is made by the write transaction that first needs it
// (ingest, copy, the migration that introduced partitions), under the write
// lock every writer holds, so two writers never make the same one. It is
// made as a table of its own and then attached: attaching takes a lock on
// events that readers do not wait for, where CREATE TABLE ... PARTITION OF
// would wait for every open reader (a long copy reading this database).
// Attaching takes the ownership of events, so it is done by a function
// that runs with the owner's rights (verso_events_add_month): a writer
// with table privileges only makes months too, and every partition has
// the one owner. Dropping a month (prune) takes the owner.
// There is no DEFAULT partition: a month's partition could not be attached
// while the default partition held rows of that month, so a row there
// would stay there and make the month's retention a DELETE again.
//
// Each Store remembers the months it knows exist (pgState.parts), so a
// batch of events in known months costs nothing extra. Another process may
// drop a month this one remembers (its prune); the insert then fails with
// "no partition", and Ingest forgets what it knew and runs the batch again.

// eventPartition is one partition of events: rows with lo <= at < hi
// (unix milliseconds). from/upTo are false where a bound is MINVALUE or
// MAXVALUE (the first and last months a 64-bit millisecond time reaches).
type eventPartition struct {
	name       string
	lo, hi     int64
	from, upTo bool
}

// covers reports whether every time of month m falls in the partition.
func (p eventPartition) covers(m eventPartition) bool {
	return (!p.from || (m.from && p.lo <= m.lo)) && (!p.upTo || (m.upTo && m.hi <= p.hi))
}

// before reports whether every row of the partition is older than ms.
func (p eventPartition) before(ms int64) bool { return p.upTo && p.hi <= ms }

// straddles reports whether the partition holds rows both older and not
// older than ms could be.
func (p eventPartition) straddles(ms int64) bool {
	return !p.before(ms) && (!p.from || p.lo < ms)
}

// andFrom is the condition on at that keeps a query to the partition's
// rows from below (with fromArgs; "" when it starts at MINVALUE).
func (p eventPartition) andFrom() string {
	if !p.from {
		return ""
	}
	return ` AND at >= ?`
}

func (p eventPartition) fromArgs() []any {
	if !p.from {
		return nil
	}
	return []any{p.lo}
}

// monthIndex is the month of a unix-millisecond time, counted from year 0
// (year*12 + month-1), in UTC.
func monthIndex(ms int64) int64 {
	t := time.UnixMilli(ms).UTC()
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

var (
	minTime = time.UnixMilli(math.MinInt64)
	maxTime = time.UnixMilli(math.MaxInt64)
)

// monthPartition is the partition of month m (a monthIndex).
func monthPartition(m int64) eventPartition {
	y, mo := floorDiv(m, 12), m-12*floorDiv(m, 12)
	start := time.Date(int(y), time.Month(mo+1), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	p := eventPartition{name: fmt.Sprintf("events_%04d_%02d", y, mo+1)}
	if !start.Before(minTime) {
		p.lo, p.from = start.UnixMilli(), true
	}
	if end.Before(maxTime) {
		p.hi, p.upTo = end.UnixMilli(), true
	}
	return p
}

// eventMonths lists the distinct months of the times (in order of first
// appearance). Times arrive mostly in runs of one month, so a time inside
// the last month seen costs a comparison.
func eventMonths(ats []int64) []int64 {
	var out []int64
	var cur eventPartition
	have := false
	for _, at := range ats {
		if have && (!cur.from || at >= cur.lo) && (!cur.upTo || at < cur.hi) {
			continue
		}
		m := monthIndex(at)
		cur, have = monthPartition(m), true
		found := false
		for _, o := range out {
			if o == m {
				found = true
				break
			}
		}
		if !found {
			out = append(out, m)
		}
	}
	return out
}

// pgQuoteIdent quotes a table name for SQL.
func pgQuoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

var partitionBound = regexp.MustCompile(`^FOR VALUES FROM \((MINVALUE|'(-?\d+)')\) TO \((MAXVALUE|'(-?\d+)')\)$`)

// listEventPartitions reads the partitions of events, oldest first.
func listEventPartitions(ctx context.Context, q queryer) ([]eventPartition, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []eventPartition
	for rows.Next() {
		var name, bound string
		if err := rows.Scan(&name, &bound); err != nil {
			return nil, err
		}
		m := partitionBound.FindStringSubmatch(bound)
		if m == nil {
			return nil, fmt.Errorf("events partition %s has bounds %q, not a range of times: detach it (ALTER TABLE events DETACH PARTITION %s): %w",
				name, bound, pgQuoteIdent(name), ErrCorrupt)
		}
		p := eventPartition{name: name}
		if m[2] != "" {
			p.lo, p.from = mustInt(m[2]), true
		}
		if m[4] != "" {
			p.hi, p.upTo = mustInt(m[4]), true
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return !out[i].from || (out[j].from && out[i].lo < out[j].lo) })
	return out, nil
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err) // the pattern admits only 64-bit integers PostgreSQL printed
	}
	return n
}

// pgEventPartitions makes sure the months of the times have partitions,
// inside tx (which holds the write lock). With cached, months this Store
// knows exist are not looked up. It returns the months it looked up or
// made, for pgRememberPartitions once tx has committed.
func (s *Store) pgEventPartitions(ctx context.Context, tx *sql.Tx, ats []int64, cached bool) ([]int64, error) {
	months := eventMonths(ats)
	if cached {
		s.pg.partMu.Lock()
		need := months[:0]
		for _, m := range months {
			if !s.pg.parts[m] {
				need = append(need, m)
			}
		}
		months = need
		s.pg.partMu.Unlock()
	}
	if len(months) == 0 {
		return nil, nil
	}
	return months, ensureEventPartitions(ctx, tx, months, false)
}

// ensureEventPartitions makes the partitions of the months (monthIndex)
// that no partition covers yet. With owned false, the months of years 1
// to 9999 are made through verso_events_add_month (migration
// events_month_function), so that a writer that does not own the tables
// may make them; the migration that made events partitioned, which runs
// before that function exists, passes true.
func ensureEventPartitions(ctx context.Context, tx *sql.Tx, months []int64, owned bool) error {
	parts, err := listEventPartitions(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range months {
		want := monthPartition(m)
		covered := false
		for _, p := range parts {
			if p.covers(want) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		if y := floorDiv(m, 12); !owned && want.from && want.upTo && y >= 1 && y <= 9999 {
			if _, err := tx.ExecContext(ctx, `SELECT verso_events_add_month(?, ?, ?)`, want.name, want.lo, want.hi); err != nil {
				return fmt.Errorf("make partition %s: %w", want.name, err)
			}
			parts = append(parts, want)
			continue
		}
		from, to := "MINVALUE", "MAXVALUE"
		if want.from {
			from = strconv.FormatInt(want.lo, 10)
		}
		if want.upTo {
			to = strconv.FormatInt(want.hi, 10)
		}
		name := pgQuoteIdent(want.name)
		if _, err := tx.ExecContext(ctx, `CREATE TABLE `+name+` (LIKE events INCLUDING DEFAULTS)`); err != nil {
			return fmt.Errorf("create partition %s: %w", want.name, err)
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE events ATTACH PARTITION `+name+` FOR VALUES FROM (`+from+`) TO (`+to+`)`); err != nil {
			return fmt.Errorf("attach partition %s: %w", want.name, err)
		}
		parts = append(parts, want)
	}
	return nil
}

// pgRememberPartitions notes months whose partitions exist (after the
// transaction that checked or made them committed).
func (s *Store) pgRememberPartitions(months []int64) {
	if len(months) == 0 {
		return
	}
	s.pg.partMu.Lock()
	defer s.pg.partMu.Unlock()
	if s.pg.parts == nil {
		s.pg.parts = map[int64]bool{}
	}
	for _, m := range months {
		s.pg.parts[m] = true
	}
}

// pgForgetPartitions forgets every month this Store knew (a prune dropped
// some, here or in another process).
func (s *Store) pgForgetPartitions() {
	s.pg.partMu.Lock()
	s.pg.parts = nil
	s.pg.partMu.Unlock()
}

// errPartitionGone: an insert met a month whose partition this Store
// remembered but another process has dropped since.
var errPartitionGone = errors.New("an events partition this process knew was dropped")

// pgNoPartition reports the error of a row that no partition of events
// takes.
func pgNoPartition(err error) bool {
	return pgCode(err) == "23514" && strings.Contains(err.Error(), "no partition")
}

// eventsByMonth is the Go step of the PostgreSQL migration events_by_month:
// it moves the rows of the old events table into the new partitioned one,
// with their ids, and carries the identity sequence over (see the
// migration's comment).
func eventsByMonth(ctx context.Context, tx *sql.Tx) error {
	// The distinct days of the rows (one pass), then their months.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT CASE WHEN at < 0 AND at % 86400000 <> 0 THEN at / 86400000 - 1 ELSE at / 86400000 END
		FROM events_unpartitioned`)
	if err != nil {
		return err
	}
	var days []int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		// A day's first millisecond (clamped: the first day a 64-bit
		// millisecond time reaches starts before it).
		if d < math.MinInt64/86_400_000 {
			days = append(days, math.MinInt64)
		} else {
			days = append(days, d*86_400_000)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
	if err := ensureEventPartitions(ctx, tx, eventMonths(days), true); err != nil {
		return err
	}
	const cols = `id, key, prompt_id, version, at, label, arm, model, unit, status, error_kind, latency_ms, tokens_in, tokens_out, cost, score`
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (`+cols+`) SELECT `+cols+` FROM events_unpartitioned`); err != nil {
		return err
	}
	// The next id is the one the old table would have given.
	if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('events', 'id'), last_value, is_called) FROM events_unpartitioned_id_seq`); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DROP TABLE events_unpartitioned`)
	return err
}

// pgPruneEvents is PruneEvents on PostgreSQL: the trace index, feedback and
// unattributed spans are deleted as on SQLite, the month that straddles
// the cutoff loses its older rows by DELETE, and the months wholly before
// it are counted and dropped, last, so that readers wait for the drops'
// lock only until the commit that follows. All in one transaction: a
// failure or a cancel anywhere leaves every row and partition as it was.
func (s *Store) pgPruneEvents(ctx context.Context, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	var n int64
	var dropped int
	err := s.tx(ctx, "prune events", func(tx *sql.Tx) error {
		n, dropped = 0, 0
		parts, err := listEventPartitions(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if !p.before(ms) {
				continue
			}
			// Dropping a month takes the tables' owner: said before
			// anything is done.
			var owner, role string
			var may bool
			if err := tx.QueryRowContext(ctx, `SELECT pg_get_userbyid(relowner), current_user, pg_has_role(current_user, relowner, 'USAGE')
				FROM pg_class WHERE oid = 'events'::regclass`).Scan(&owner, &role, &may); err != nil {
				return err
			}
			if !may {
				return fmt.Errorf("%s holds whole months of events before the cutoff, and dropping one takes the owner of its tables, role %s, not %s: connect as %s (or a superuser) to prune: %w",
					s.path, owner, role, owner, ErrReadOnly)
			}
			break
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_traces WHERE key IN (SELECT key FROM events WHERE at < ?)`, ms); err != nil {
			return err
		}
		var old []eventPartition
		for _, p := range parts {
			switch {
			case p.before(ms):
				old = append(old, p)
			case p.straddles(ms):
				// Through events, whose privileges a writer has (a
				// partition made later has no grants of its own).
				r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE at < ?`+p.andFrom(), append([]any{ms}, p.fromArgs()...)...)
				if err != nil {
					return err
				}
				k, _ := r.RowsAffected()
				n += k
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE at < ?`, ms); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM unattributed WHERE at < ?`, ms); err != nil {
			return err
		}
		for _, p := range old {
			var k int64
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE at < ?`+p.andFrom(), append([]any{p.hi}, p.fromArgs()...)...).Scan(&k); err != nil {
				return err
			}
			n += k
		}
		for _, p := range old {
			if _, err := tx.ExecContext(ctx, `DROP TABLE `+pgQuoteIdent(p.name)); err != nil {
				return err
			}
		}
		dropped = len(old)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if dropped > 0 {
		s.pgForgetPartitions()
	}
	return n, nil
}
