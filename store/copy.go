package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Copy moves a whole registry between any two backends (DESIGN section
// 11): SQLite to PostgreSQL, back, or between two of a kind.
//
// Into an empty destination the copy is exact: every row of every table
// (the copyTables list; a test keeps it equal to both schemas) with its id,
// so run 42 is run 42 on both sides and every version keeps its hash and
// time. The source is read in one snapshot (a read transaction) and written
// table by table in key order, in batches that each commit on their own;
// the first batch's transaction also records in the destination's settings
// where the copy comes from (copyMarker). Interrupted (kill -9, a lost
// connection), the copy run again with the same source continues after
// the last row each table holds: what a batch wrote is committed whole or
// not at all, so the destination's largest key is the progress marker.
// At the end both sides are counted and checksummed table by table; only
// when they match is the marker removed.
//
// Into a destination that already holds prompts, CopyOptions.Merge adds
// the source's prompts that it lacks, with everything that belongs to them,
// under new ids; see Merge for the rules. A merge is one transaction.

// CopyOptions tune Copy.
type CopyOptions struct {
	// Merge allows a destination that already holds a registry: the
	// source's prompts it lacks are added with their versions, labels and
	// history, suites, runs and results, rollouts, events, feedback and
	// rollups, under new ids. A prompt both hold is kept as the destination
	// has it when its versions are the same (numbers and content hashes);
	// when they differ the merge is refused naming the prompts, and nothing
	// is written. Registry-wide rows (settings, the response cache,
	// unattributed spans) are united: where both have a key, the
	// destination's row is kept.
	Merge bool
	// BatchRows is how many rows of a table one committed batch holds
	// (default 2000): smaller batches lose less work to an interruption.
	BatchRows int
	// Progress, when set, is called after every committed batch and when a
	// table is done.
	Progress func(CopyProgress)
}

// CopyProgress is where a copy is.
type CopyProgress struct {
	Table string
	Rows  int64 // rows of Table written so far by this run
	Done  bool  // the table is finished
}

// CopyTable is one table's figures after a copy. In an exact copy Source
// and Destination are the row counts of both sides and the sums their
// checksums. In a merge Before and Destination are the destination's
// counts before and after, Added the rows written and Kept the source's
// rows left out (their prompt, or key, was already there).
type CopyTable struct {
	Name        string
	Source      int64
	Destination int64
	Before      int64
	Added       int64
	Kept        int64
	SourceSum   string
	DestSum     string
}

// CopyReport says what a copy did and how it was verified.
type CopyReport struct {
	From, To string // the locations, without passwords
	Merge    bool   // a merge into a registry that held prompts
	Resumed  bool   // an interrupted copy was continued
	Tables   []CopyTable
	// SourceChecksum and DestChecksum cover every table (exact copy: equal).
	// In a merge, SourceChecksum is the destination's before the merge plus
	// the rows added, DestChecksum the destination's after.
	SourceChecksum, DestChecksum string
	// KeptPrompts: prompts both held with the same versions (merge).
	KeptPrompts []string
	// AddedPrompts: prompts the merge added.
	AddedPrompts []string
}

// ErrNotEmpty is a copy's destination that already holds a registry.
var ErrNotEmpty = errors.New("destination is not empty")

// copyMarker is the settings key that records, in a destination being
// copied into, where the copy comes from. It is not part of the content.
const copyMarker = "verso.copy.from"

// copySpec describes one table for Copy.
type copySpec struct {
	name  string
	key   []string // primary key, in keyset order
	blobs []string // BLOB/BYTEA columns (everything else is text or a number)
	// triggers: the table's triggers are off while copied rows are inserted
	// (the label history and the suites' hashes are copied, not recomputed).
	triggers bool

	// For a merge:
	id     bool              // rows have their own id column, offset into the destination's free ids
	refs   map[string]string // column -> table whose ids it holds ("event_strings": mapped by value)
	prompt string            // the column naming the owning prompt
	parent [2]string         // column, table: rows whose parent was left out are left out
	union  bool              // registry-wide: united by key, the destination's row kept
	event  string            // the column holding the event key the row belongs to
	skip   bool              // transient: never merged (a note consumed within a transaction)
}

// copyTables is every table of the registry, in an order that satisfies
// the foreign keys (TestCopyTablesCoverTheSchema keeps it complete).
var copyTables = []copySpec{
	{name: "settings", key: []string{"key"}, union: true},
	{name: "event_strings", key: []string{"id"}},
	{name: "prompts", key: []string{"id"}, id: true},
	{name: "versions", key: []string{"id"}, id: true, refs: map[string]string{"prompt_id": "prompts"}, prompt: "prompt_id"},
	{name: "suites", key: []string{"id"}, id: true, refs: map[string]string{"prompt_id": "prompts"}, prompt: "prompt_id"},
	{name: "cases", key: []string{"id"}, triggers: true, id: true, refs: map[string]string{"suite_id": "suites"}, parent: [2]string{"suite_id", "suites"}},
	{name: "runs", key: []string{"id"}, id: true, refs: map[string]string{"prompt_id": "prompts", "suite_id": "suites"}, prompt: "prompt_id"},
	{name: "results", key: []string{"id"}, id: true, refs: map[string]string{"run_id": "runs", "case_id": "cases"}, parent: [2]string{"run_id", "runs"}},
	{name: "label_events", key: []string{"id"}, id: true, refs: map[string]string{"prompt_id": "prompts", "run_id": "runs"}, prompt: "prompt_id"},
	{name: "labels", key: []string{"prompt_id", "name"}, triggers: true, refs: map[string]string{"prompt_id": "prompts"}, prompt: "prompt_id"},
	{name: "label_change_note", key: []string{"id"}, skip: true},
	{name: "rollouts", key: []string{"id"}, id: true, refs: map[string]string{"prompt_id": "prompts"}, prompt: "prompt_id"},
	{name: "response_cache", key: []string{"key"}, union: true},
	{name: "events", key: []string{"id"}, id: true, prompt: "prompt_id",
		refs: map[string]string{"prompt_id": "prompts", "label": "event_strings", "arm": "event_strings", "model": "event_strings", "unit": "event_strings", "error_kind": "event_strings"}},
	{name: "event_traces", key: []string{"trace"}, union: true, event: "key"},
	{name: "feedback", key: []string{"key"}, union: true, event: "event_key"},
	{name: "unattributed", key: []string{"key"}, union: true},
	{name: "rollups", key: []string{"prompt_id", "minute", "version", "label", "arm", "model"}, blobs: []string{"hist"}, prompt: "prompt_id",
		refs: map[string]string{"prompt_id": "prompts", "label": "event_strings", "arm": "event_strings", "model": "event_strings"}},
	{name: "rollups_hour", key: []string{"prompt_id", "hour", "version", "label", "arm", "model"}, blobs: []string{"hist"}, prompt: "prompt_id",
		refs: map[string]string{"prompt_id": "prompts", "label": "event_strings", "arm": "event_strings", "model": "event_strings"}},
}

// exclude is the condition that leaves the copy marker out of a table's
// rows (settings only).
func (t copySpec) exclude() (string, []any) {
	if t.name == "settings" {
		return `"key" <> ?`, []any{copyMarker}
	}
	return "", nil
}

func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return strings.Join(q, ", ")
}

// tableColumns lists a table's columns.
func tableColumns(ctx context.Context, q queryer, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// copyRow is one row's values, in the table's column order.
type copyRow []any

// readBatch reads up to n rows after the key values after (nil: from the
// start), in key order.
func readBatch(ctx context.Context, q queryer, t copySpec, cols []string, after []any, n int) ([]copyRow, error) {
	var where []string
	var args []any
	if ex, a := t.exclude(); ex != "" {
		where, args = append(where, ex), append(args, a...)
	}
	if after != nil {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(t.key)), ", ")
		where = append(where, "("+quoteCols(t.key)+") > ("+ph+")")
		args = append(args, after...)
	}
	query := `SELECT ` + quoteCols(cols) + ` FROM ` + t.name
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY ` + quoteCols(t.key) + fmt.Sprintf(` LIMIT %d`, n)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []copyRow
	for rows.Next() {
		r := make(copyRow, len(cols))
		ptrs := make([]any, len(cols))
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			r[i] = normValue(r[i], slices.Contains(t.blobs, c))
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// normValue gives a value read from either backend one Go type per SQL
// type: int64, float64, string (text), []byte (blob) or nil.
func normValue(v any, blob bool) any {
	switch x := v.(type) {
	case []byte:
		if !blob {
			return string(x)
		}
		if x == nil {
			return []byte{}
		}
		return x
	case string:
		if blob {
			return []byte(x)
		}
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return x.UTC().UnixMicro()
	}
	return v
}

// keyOf is the row's key values.
func keyOf(r copyRow, idx []int) []any {
	k := make([]any, len(idx))
	for i, j := range idx {
		k[i] = r[j]
	}
	return k
}

func indexes(cols, names []string) []int {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = slices.Index(cols, n)
	}
	return idx
}

// insertRows inserts rows in statements of at most maxParams parameters.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows []copyRow) error {
	const maxParams = 30000
	per := max(1, min(500, maxParams/len(cols)))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + table + ` (` + quoteCols(cols) + `) VALUES `)
		args := make([]any, 0, len(chunk)*len(cols))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// readyFor readies the destination for rows of table t: on PostgreSQL the
// months of events' rows get their partitions (partitions.go).
func (s *Store) readyFor(ctx context.Context, tx *sql.Tx, t copySpec, cols []string, rows []copyRow) error {
	if s.pg == nil || t.name != "events" || len(rows) == 0 {
		return nil
	}
	at := slices.Index(cols, "at")
	ats := make([]int64, len(rows))
	for i, r := range rows {
		ats[i], _ = r[at].(int64)
	}
	_, err := s.pgEventPartitions(ctx, tx, ats, false)
	return err
}

// withTriggersOff runs fn with the table's triggers off, inside tx: on
// PostgreSQL by ALTER TABLE (transactional, and only the owner may), on
// SQLite by dropping them and creating them again from their own text.
// Other processes never see the table without them.
func (s *Store) withTriggersOff(ctx context.Context, tx *sql.Tx, table string, fn func() error) error {
	if s.pg != nil {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` DISABLE TRIGGER USER`); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ENABLE TRIGGER USER`)
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name`, table)
	if err != nil {
		return err
	}
	var names, texts []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return err
		}
		names, texts = append(names, n), append(texts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER "`+n+`"`); err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		return err
	}
	for _, t := range texts {
		if _, err := tx.ExecContext(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// pgSyncIdentity moves a table's id sequence past the ids copied into it
// (explicit ids do not advance it). Tables without one are left alone.
func (s *Store) pgSyncIdentity(ctx context.Context, tx *sql.Tx, table string, cols []string) error {
	if s.pg == nil || !slices.Contains(cols, "id") {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), GREATEST(m, 1), m >= 1) FROM (SELECT max(id) AS m FROM `+table+`) t
		WHERE m IS NOT NULL AND pg_get_serial_sequence('`+table+`', 'id') IS NOT NULL`)
	return err
}

// ---- checksums ----

// tableSum is a table's row count and the sum (mod 2^256) of its rows'
// SHA-256 hashes: the same rows give the same sum in any order, on either
// backend, and the sum of two sets of rows is the sum of their sums.
type tableSum struct {
	n   int64
	sum [32]byte
}

func (a *tableSum) add(b tableSum) {
	a.n += b.n
	var carry uint64
	for i := 31; i >= 0; i-- {
		v := uint64(a.sum[i]) + uint64(b.sum[i]) + carry
		a.sum[i] = byte(v)
		carry = v >> 8
	}
}

func (a tableSum) hex() string { return hex.EncodeToString(a.sum[:]) }

// rowHash hashes a row's canonical content: each column by name, in name
// order, with its value's type and bytes.
func rowHash(cols []string, order []int, r copyRow) tableSum {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	for _, i := range order {
		h.Write([]byte(cols[i]))
		h.Write([]byte{0})
		switch v := r[i].(type) {
		case nil:
			h.Write([]byte{'n'})
		case int64:
			h.Write([]byte{'i'})
			binary.BigEndian.PutUint64(buf[:8], uint64(v))
			h.Write(buf[:8])
		case float64:
			h.Write([]byte{'f'})
			binary.BigEndian.PutUint64(buf[:8], math.Float64bits(v))
			h.Write(buf[:8])
		case string:
			h.Write([]byte{'s'})
			h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(v)))])
			h.Write([]byte(v))
		case []byte:
			h.Write([]byte{'s'})
			h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(v)))])
			h.Write(v)
		default:
			fmt.Fprintf(h, "?%T:%v", v, v)
		}
	}
	var t tableSum
	t.n = 1
	copy(t.sum[:], h.Sum(nil))
	return t
}

func nameOrder(cols []string) []int {
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return cols[order[a]] < cols[order[b]] })
	return order
}

// sumTable reads every row of a table (but the copy marker) and sums them.
func sumTable(ctx context.Context, q queryer, t copySpec, cols []string) (tableSum, error) {
	var total tableSum
	order := nameOrder(cols)
	query := `SELECT ` + quoteCols(cols) + ` FROM ` + t.name
	ex, args := t.exclude()
	if ex != "" {
		query += ` WHERE ` + ex
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return total, err
	}
	defer rows.Close()
	r := make(copyRow, len(cols))
	ptrs := make([]any, len(cols))
	for i := range r {
		ptrs[i] = &r[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return total, err
		}
		for i, c := range cols {
			r[i] = normValue(r[i], slices.Contains(t.blobs, c))
		}
		total.add(rowHash(cols, order, r))
	}
	return total, rows.Err()
}

// checksum combines the tables' sums into one.
func checksum(names []string, sums []tableSum) string {
	h := sha256.New()
	for i, n := range names {
		fmt.Fprintf(h, "%s %d %s\n", n, sums[i].n, sums[i].hex())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ---- the copy ----

// Copy copies the registry src into dst (see the comment at the top of
// this file). src is only read.
func Copy(ctx context.Context, src, dst *Store, o CopyOptions) (CopyReport, error) {
	rep := CopyReport{From: src.path, To: dst.path}
	op := "copy to " + dst.path
	if o.BatchRows <= 0 {
		o.BatchRows = 2000
	}
	if sameRegistry(src, dst) {
		return rep, fmt.Errorf("copy %s: the source and the destination are the same registry: %w", src.path, ErrInvalid)
	}
	if dst.readOnly {
		return rep, fmt.Errorf("%s: %s is read-only: %w", op, dst.path, ErrReadOnly)
	}
	// One snapshot of the source for the whole run.
	conn, err := src.db.Conn(ctx)
	if err != nil {
		return rep, src.wrap("copy from "+src.path, err)
	}
	defer conn.Close()
	begin := `BEGIN`
	if src.pg != nil {
		begin = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return rep, src.wrap("copy from "+src.path, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	// The snapshot starts with the first read (SQLite).
	var marker sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT max(value) FROM settings WHERE key = ?`, copyMarker).Scan(&marker); err != nil {
		return rep, src.wrap("copy from "+src.path, err)
	}
	if marker.Valid {
		return rep, fmt.Errorf("copy from %s: it holds an unfinished copy from %s, so it may not be whole: finish that copy first (run it again): %w", src.path, marker.String, ErrInvalid)
	}
	cols := make([][]string, len(copyTables))
	for i, t := range copyTables {
		c, err := tableColumns(ctx, conn, t.name)
		if err != nil {
			return rep, src.wrap("copy from "+src.path+": table "+t.name, err)
		}
		d, err := tableColumns(ctx, dst.db, t.name)
		if err != nil {
			return rep, dst.wrap(op+": table "+t.name, err)
		}
		a, b := slices.Clone(c), slices.Clone(d)
		sort.Strings(a)
		sort.Strings(b)
		if !slices.Equal(a, b) {
			return rep, fmt.Errorf("%s: table %s has columns %s in the source but %s in the destination: open both with the same verso so that their schemas agree: %w",
				op, t.name, strings.Join(a, ","), strings.Join(b, ","), ErrInvalid)
		}
		cols[i] = c
	}

	// What the destination holds decides: empty (copy), an unfinished
	// copy of this source (resume), or a registry (merge, or refuse).
	state, err := dst.copyState(ctx)
	if err != nil {
		return rep, dst.wrap(op, err)
	}
	// The marker names the source as the next run will see it: a file by
	// its absolute path (the copy may be resumed from another folder).
	origin := src.path
	if src.pg == nil {
		if abs, err := filepath.Abs(src.path); err == nil {
			origin = abs
		}
	}
	switch {
	case state.marker != "" && state.marker != origin:
		return rep, fmt.Errorf("%s: it holds an unfinished copy from %s: run that copy again to finish it, or copy into another destination: %w", op, state.marker, ErrConflict)
	case state.marker != "":
		rep.Resumed = true
	case state.rows > 0 && !o.Merge:
		return rep, fmt.Errorf("%s: it already holds %s and %s, and a copy needs an empty destination: %w", op, plural(state.prompts, "prompt"), plural(state.rows-state.prompts, "other row"), ErrNotEmpty)
	case state.rows > 0:
		rep.Merge = true
	}
	// Checked before anything is written: the copy turns triggers off.
	if err := dst.pgCheckOwner(ctx); err != nil {
		return rep, err
	}
	if rep.Merge {
		return dst.merge(ctx, conn, cols, o, rep)
	}
	return dst.copyExact(ctx, conn, cols, o, rep, origin)
}

// OwnerError is a PostgreSQL copy destination whose tables belong to a role
// whose privileges the connecting role does not have: a copy turns the
// tables' triggers off while it writes (the label history and the suites'
// hashes are copied, not recomputed), and only a table's owner, a member
// of the owning role or a superuser may.
type OwnerError struct {
	Location string // the destination, without its password
	Owner    string // the role that owns its tables
	Role     string // the role the copy connected as
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("copy: the tables in %s are owned by role %s, not %s (a copy switches their triggers off, which only their owner may)",
		e.Location, e.Owner, e.Role)
}

// pgCheckOwner returns an *OwnerError when the connecting role lacks the
// owner's privileges on a table of the registry (nil on SQLite).
func (s *Store) pgCheckOwner(ctx context.Context) error {
	if s.pg == nil {
		return nil
	}
	names := make([]any, len(copyTables))
	for i, t := range copyTables {
		names[i] = t.name
	}
	var e OwnerError
	err := s.db.QueryRowContext(ctx, `SELECT pg_get_userbyid(c.relowner), current_user FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
			AND c.relname IN (?`+strings.Repeat(", ?", len(names)-1)+`) AND NOT pg_has_role(current_user, c.relowner, 'USAGE')
		ORDER BY c.relname LIMIT 1`, names...).Scan(&e.Owner, &e.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return s.wrap("copy to "+s.path, err)
	}
	e.Location = s.path
	return &e
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// UnfinishedCopy names the source of a copy into this registry that has
// not finished ("" when there is none): until it is run again to the end,
// the registry holds only part of that source.
func (s *Store) UnfinishedCopy(ctx context.Context) (string, error) {
	var m sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT max(value) FROM settings WHERE key = ?`, copyMarker).Scan(&m); err != nil {
		return "", s.wrap("read "+s.path, err)
	}
	return m.String, nil
}

// sameRegistry: the same file (or the same database URL).
func sameRegistry(a, b *Store) bool {
	if (a.pg == nil) != (b.pg == nil) {
		return false
	}
	if a.pg != nil {
		return a.path == b.path
	}
	fa, err1 := os.Stat(a.path)
	fb, err2 := os.Stat(b.path)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

type copyDstState struct {
	marker  string // the source of an unfinished copy
	prompts int64
	rows    int64 // rows beyond a new registry's (the marker, event string 0)
}

func (s *Store) copyState(ctx context.Context) (copyDstState, error) {
	var st copyDstState
	var err error
	if st.marker, err = s.UnfinishedCopy(ctx); err != nil {
		return st, err
	}
	for _, t := range copyTables {
		q := `SELECT count(*) FROM ` + t.name
		var args []any
		switch t.name {
		case "settings":
			q += ` WHERE key <> ?`
			args = append(args, copyMarker)
		case "event_strings":
			q += ` WHERE NOT (id = 0 AND value = '')`
		}
		var n int64
		if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return st, err
		}
		st.rows += n
		if t.name == "prompts" {
			st.prompts = n
		}
	}
	return st, nil
}

// copyExact copies every table into an empty destination (or finishes an
// unfinished copy), then verifies.
func (s *Store) copyExact(ctx context.Context, src *sql.Conn, cols [][]string, o CopyOptions, rep CopyReport, origin string) (CopyReport, error) {
	op := "copy to " + s.path
	if !rep.Resumed {
		err := s.tx(ctx, op, func(tx *sql.Tx) error {
			// Checked again under the write lock: another copy may have begun.
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM prompts`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("it now holds %d prompts, written meanwhile: %w", n, ErrNotEmpty)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, copyMarker, origin)
			return err
		})
		if err != nil {
			return rep, err
		}
	}
	for i, t := range copyTables {
		c := cols[i]
		keyIdx := indexes(c, t.key)
		// Continue after the largest key the destination holds: every
		// batch before it was committed whole.
		after, err := s.lastKey(ctx, t)
		if err != nil {
			return rep, s.wrap(op+": table "+t.name, err)
		}
		var written int64
		for {
			batch, err := readBatch(ctx, src, t, c, after, o.BatchRows)
			if err != nil {
				return rep, fmt.Errorf("copy from %s: table %s: %w", rep.From, t.name, err)
			}
			if len(batch) == 0 {
				break
			}
			err = s.tx(ctx, op+": table "+t.name, func(tx *sql.Tx) error {
				if err := s.readyFor(ctx, tx, t, c, batch); err != nil {
					return err
				}
				ins := func() error { return insertRows(ctx, tx, t.name, c, batch) }
				if t.triggers {
					return s.withTriggersOff(ctx, tx, t.name, ins)
				}
				return ins()
			})
			if err != nil {
				return rep, err
			}
			written += int64(len(batch))
			after = keyOf(batch[len(batch)-1], keyIdx)
			if o.Progress != nil {
				o.Progress(CopyProgress{Table: t.name, Rows: written})
			}
		}
		if err := s.tx(ctx, op+": table "+t.name, func(tx *sql.Tx) error { return s.pgSyncIdentity(ctx, tx, t.name, c) }); err != nil {
			return rep, err
		}
		if o.Progress != nil {
			o.Progress(CopyProgress{Table: t.name, Rows: written, Done: true})
		}
	}

	// Verify: every table counted and summed on both sides.
	var names []string
	var srcSums, dstSums []tableSum
	var differ []string
	for i, t := range copyTables {
		a, err := sumTable(ctx, src, t, cols[i])
		if err != nil {
			return rep, fmt.Errorf("copy from %s: checksum of %s: %w", rep.From, t.name, err)
		}
		b, err := sumTable(ctx, s.db, t, cols[i])
		if err != nil {
			return rep, s.wrap(op+": checksum of "+t.name, err)
		}
		names, srcSums, dstSums = append(names, t.name), append(srcSums, a), append(dstSums, b)
		rep.Tables = append(rep.Tables, CopyTable{Name: t.name, Source: a.n, Destination: b.n, Added: b.n, SourceSum: a.hex(), DestSum: b.hex()})
		if a != b {
			differ = append(differ, fmt.Sprintf("%s (%d rows in the source, %d in the destination)", t.name, a.n, b.n))
		}
	}
	rep.SourceChecksum, rep.DestChecksum = checksum(names, srcSums), checksum(names, dstSums)
	if len(differ) > 0 {
		return rep, fmt.Errorf("%s: the destination differs from the source in %s: the source was probably changed while it was copied; copy it again into an empty destination", op, strings.Join(differ, ", "))
	}
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, copyMarker)
		return err
	})
	return rep, err
}

// lastKey is the largest key of a table in the store (nil when empty).
func (s *Store) lastKey(ctx context.Context, t copySpec) ([]any, error) {
	desc := make([]string, len(t.key))
	for i, k := range t.key {
		desc[i] = `"` + k + `" DESC`
	}
	q := `SELECT ` + quoteCols(t.key) + ` FROM ` + t.name
	ex, args := t.exclude()
	if ex != "" {
		q += ` WHERE ` + ex
	}
	q += ` ORDER BY ` + strings.Join(desc, ", ") + ` LIMIT 1`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	k := make([]any, len(t.key))
	ptrs := make([]any, len(k))
	for i := range k {
		ptrs[i] = &k[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i := range k {
		k[i] = normValue(k[i], false)
	}
	return k, nil
}
