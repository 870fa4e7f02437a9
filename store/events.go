package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Event is one model call reported by an application (DESIGN section 8).
// Only Prompt, Version and Time are required.
type Event struct {
	ID        string // client-chosen; a re-sent ID is stored once
	Prompt    string
	Version   int
	Label     string // the label the application resolved (production, ...)
	Arm       string // the split arm (issue 11); "" outside splits
	Unit      string // the unit key (user, session) of a split
	Model     string
	Time      time.Time
	LatencyMS float64
	TokensIn  int64
	TokensOut int64
	Cost      float64 // dollars
	Status    string  // "ok" (default) or "error"
	ErrorKind string
	Score     *float64
	TraceID   string
}

// Feedback is a score for an event, addressed by the event's id or its trace
// id, arriving after the event.
type Feedback struct {
	ID      string // client-chosen; a re-sent ID is stored once
	EventID string
	TraceID string
	Score   float64
	Comment string
	Time    time.Time
}

// Span is an OpenTelemetry span that carried no verso.prompt.* attributes:
// stored apart and counted, so nothing is dropped silently.
type Span struct {
	ID        string // trace id + span id
	Name      string
	Model     string
	Time      time.Time
	Error     bool
	LatencyMS float64
	TokensIn  int64
	TokensOut int64
	Reason    string
}

// Reject is one item refused by RecordEvents or RecordFeedback: its position
// in the batch (0-based), its id and why.
type Reject struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// IngestResult counts what a batch did. Accepted items are committed when
// the call returns without error.
type IngestResult struct {
	Accepted     int      `json:"accepted"`
	Duplicate    int      `json:"duplicate"`
	Unattributed int      `json:"unattributed"`
	Rejected     []Reject `json:"rejected"`
}

// Limits on what an event may say.
const (
	// MaxEventFuture is how far ahead of the clock an event may be dated
	// (clock skew between hosts).
	MaxEventFuture = time.Hour
	// MaxEventAge is how far back an event may be dated (replays of old logs).
	MaxEventAge = 366 * 24 * time.Hour
	// MaxEventString is the longest label, arm, unit, model, error kind or id.
	MaxEventString = 256
	maxLatencyMS   = 24 * 3600 * 1000
	maxTokens      = 1 << 40
	maxCost        = 1e6
)

// eventKey is the 63-bit primary key of an id: stable across processes, so
// the same id is the same row.
func eventKey(id string) int64 {
	h := sha256.Sum256([]byte(id))
	k := int64(binary.BigEndian.Uint64(h[:8]) >> 1)
	if k == 0 {
		k = 1
	}
	return k
}

func randomKey() int64 {
	for {
		if k := int64(rand.Uint64() >> 1); k != 0 {
			return k
		}
	}
}

// dict caches event_strings ids and prompt ids for the ingest path.
type dict struct {
	mu      sync.Mutex
	strs    map[string]int64
	vals    map[int64]string
	prompts map[string]promptRef
}

type promptRef struct {
	id     int64
	latest int
}

const dictMax = 200_000

func (s *Store) dictionary() *dict {
	s.dictOnce.Do(func() {
		s.dict = &dict{strs: map[string]int64{"": 0}, vals: map[int64]string{0: ""}, prompts: map[string]promptRef{}}
	})
	return s.dict
}

// ingestTx is the state of one ingest transaction: string ids and prompts
// learned inside it reach the shared cache only once it commits.
type ingestTx struct {
	s       *Store
	tx      *sql.Tx
	ctx     context.Context
	strs    map[string]int64
	prompts map[string]promptRef
	getStr  *sql.Stmt
	addStr  *sql.Stmt
}

func (s *Store) newIngestTx(ctx context.Context, tx *sql.Tx) (*ingestTx, error) {
	it := &ingestTx{s: s, tx: tx, ctx: ctx, strs: map[string]int64{}, prompts: map[string]promptRef{}}
	var err error
	if it.getStr, err = s.txStmt(ctx, tx, `SELECT id FROM event_strings WHERE value = ?`); err != nil {
		return nil, err
	}
	if it.addStr, err = s.txStmt(ctx, tx, `INSERT INTO event_strings (value) VALUES (?) RETURNING id`); err != nil {
		return nil, err
	}
	return it, nil
}

func (it *ingestTx) close() {
	it.getStr.Close()
	it.addStr.Close()
}

// commit publishes what the transaction learned to the shared cache.
func (it *ingestTx) publish() {
	d := it.s.dictionary()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.strs)+len(it.strs) > dictMax {
		d.strs = map[string]int64{"": 0}
		d.vals = map[int64]string{0: ""}
	}
	for k, v := range it.strs {
		d.strs[k] = v
		d.vals[v] = k
	}
	for k, v := range it.prompts {
		d.prompts[k] = v
	}
}

func (it *ingestTx) str(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	if id, ok := it.strs[v]; ok {
		return id, nil
	}
	d := it.s.dictionary()
	d.mu.Lock()
	id, ok := d.strs[v]
	d.mu.Unlock()
	if ok {
		return id, nil
	}
	err := it.getStr.QueryRowContext(it.ctx, v).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = it.addStr.QueryRowContext(it.ctx, v).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	it.strs[v] = id
	return id, nil
}

// prompt returns the prompt's id and checks that version exists.
func (it *ingestTx) prompt(name string, version int) (int64, error) {
	ref, ok := it.prompts[name]
	if !ok {
		d := it.s.dictionary()
		d.mu.Lock()
		ref, ok = d.prompts[name]
		d.mu.Unlock()
	}
	if !ok || version > ref.latest {
		err := it.tx.QueryRowContext(it.ctx, `SELECT id, latest FROM prompts WHERE name = ?`, name).Scan(&ref.id, &ref.latest)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("unknown prompt %q", name)
		}
		if err != nil {
			return 0, err
		}
		it.prompts[name] = ref
	}
	if version > ref.latest {
		return 0, fmt.Errorf("prompt %q has no version %d (latest is %d)", name, version, ref.latest)
	}
	return ref.id, nil
}

// errReject marks a validation failure of one item (as opposed to a database
// failure, which aborts the batch).
type errReject struct{ msg string }

func (e errReject) Error() string { return e.msg }

func rejectf(format string, args ...any) error { return errReject{fmt.Sprintf(format, args...)} }

// CheckEvent validates what can be checked without the database: required
// fields, ranges, times against now.
func CheckEvent(e Event, now time.Time) error {
	switch {
	case e.Prompt == "":
		return rejectf("prompt is required")
	case e.Version < 1:
		return rejectf("version is required (a number from 1)")
	case e.Time.IsZero():
		return rejectf("time is required (RFC 3339)")
	case e.Time.After(now.Add(MaxEventFuture)):
		return rejectf("time %s is more than %s in the future (check the client's clock)", e.Time.UTC().Format(time.RFC3339), MaxEventFuture)
	case e.Time.Before(now.Add(-MaxEventAge)):
		return rejectf("time %s is more than %d days in the past", e.Time.UTC().Format(time.RFC3339), int(MaxEventAge.Hours()/24))
	case e.LatencyMS < 0 || math.IsNaN(e.LatencyMS) || e.LatencyMS > maxLatencyMS:
		return rejectf("latency_ms %v is out of range (0 to %d)", e.LatencyMS, maxLatencyMS)
	case e.TokensIn < 0 || e.TokensIn > maxTokens:
		return rejectf("tokens_in %d is out of range (0 or more)", e.TokensIn)
	case e.TokensOut < 0 || e.TokensOut > maxTokens:
		return rejectf("tokens_out %d is out of range (0 or more)", e.TokensOut)
	case e.Cost < 0 || math.IsNaN(e.Cost) || e.Cost > maxCost:
		return rejectf("cost %v is out of range (0 or more dollars)", e.Cost)
	case e.Status != "" && e.Status != "ok" && e.Status != "error":
		return rejectf("status %q is not ok or error", e.Status)
	case e.Score != nil && (math.IsNaN(*e.Score) || math.IsInf(*e.Score, 0)):
		return rejectf("score is not a finite number")
	}
	for _, f := range []struct{ name, v string }{{"id", e.ID}, {"prompt", e.Prompt}, {"label", e.Label}, {"arm", e.Arm},
		{"unit", e.Unit}, {"model", e.Model}, {"error_kind", e.ErrorKind}, {"trace_id", e.TraceID}} {
		if len(f.v) > MaxEventString {
			return rejectf("%s is longer than %d bytes", f.name, MaxEventString)
		}
	}
	return nil
}

// rollKey identifies one rollup row.
type rollKey struct {
	prompt            int64
	minute            int64
	version           int
	label, arm, model int64
}

// rollAgg is what a batch adds to one rollup row.
type rollAgg struct {
	requests, errors, latency, tokensIn, tokensOut, cost int64
	scoreN                                               int64
	scoreSum, scoreSq                                    float64
	costSq                                               float64 // sum of squared per-call costs (nano-dollars²)
	hist                                                 Histogram
}

func (a *rollAgg) addScore(s float64) {
	a.scoreN++
	a.scoreSum += s
	a.scoreSq += s * s
}

// RecordEvents validates and stores a batch of events in one transaction
// with their rollups. Invalid events (unknown prompt or version, bad values)
// are rejected one by one and the rest stored; an event whose id was stored
// before counts as a duplicate. When it returns without error, every
// accepted event is committed. A busy database is waited for and retried.
func (s *Store) RecordEvents(ctx context.Context, evs []Event) (IngestResult, error) {
	return s.Ingest(ctx, evs, nil)
}

// Ingest stores events and unattributed spans in one transaction (see
// RecordEvents).
func (s *Store) Ingest(ctx context.Context, evs []Event, spans []Span) (IngestResult, error) {
	now := s.now()
	var res IngestResult
	// Checks that need no database run once, outside the retry loop.
	ok := make([]bool, len(evs))
	var early []Reject
	for i, e := range evs {
		if err := CheckEvent(e, now); err != nil {
			early = append(early, Reject{Index: i, ID: e.ID, Reason: err.Error()})
			continue
		}
		ok[i] = true
	}
	var it *ingestTx
	var months []int64 // PostgreSQL: the months whose partitions the batch checked
	body := func(tx *sql.Tx) error {
		res = IngestResult{}
		months = nil
		var err error
		if it, err = s.newIngestTx(ctx, tx); err != nil {
			return err
		}
		defer it.close()
		rows := make([]eventRow, 0, len(evs))
		seen := make(map[int64]bool, len(evs))
		var late []Reject
		for i, e := range evs {
			if !ok[i] {
				continue
			}
			pid, err := it.prompt(e.Prompt, e.Version)
			if err != nil {
				if ctx.Err() != nil || isBusy(err) {
					return err
				}
				late = append(late, Reject{Index: i, ID: e.ID, Reason: err.Error()})
				continue
			}
			r := eventRow{e: &evs[i], prompt: pid}
			for j, v := range []string{e.Label, e.Arm, e.Model, e.Unit, e.ErrorKind} {
				if r.ids[j], err = it.str(v); err != nil {
					return err
				}
			}
			// An event without an id gets a random key: it is never a
			// duplicate (were a key ever drawn twice, the insert fails and
			// nothing of the batch is acknowledged, so the client sends it
			// again; on PostgreSQL, where the index is unique per key and
			// time, both would be stored, which no reader tells apart: only
			// ids are looked up by key).
			r.key = randomKey()
			if e.ID != "" {
				r.key = eventKey(e.ID)
				if seen[r.key] {
					res.Duplicate++
					continue
				}
				seen[r.key] = true
				r.named = true
			}
			rows = append(rows, r)
		}
		// Events stored before (a client retry) are found in one pass over
		// the key index; what remains is inserted many rows per statement.
		stored, err := s.existingKeys(ctx, tx, rows)
		if err != nil {
			return err
		}
		fresh := rows[:0]
		for _, r := range rows {
			if r.named && stored[r.key] {
				res.Duplicate++
				continue
			}
			fresh = append(fresh, r)
		}
		if s.pg == nil && len(fresh) > 0 {
			// On SQLite the rows get the next ids, and an event without a
			// client id the key -id: unique because the id is, and rising
			// like it, so its entry is added at the edge of the key index
			// instead of on a random page of it (that halved ingest's CPU).
			var last int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&last); err != nil {
				return err
			}
			for i := range fresh {
				fresh[i].id = last + 1 + int64(i)
				if !fresh[i].named {
					fresh[i].key = -fresh[i].id
				}
			}
		}
		if s.pg != nil && len(fresh) > 0 {
			ats := make([]int64, len(fresh))
			for i, r := range fresh {
				ats[i] = r.e.Time.UnixMilli()
			}
			if months, err = s.pgEventPartitions(ctx, tx, ats, true); err != nil {
				return err
			}
		}
		if err := s.insertEvents(ctx, tx, fresh); err != nil {
			if s.pg != nil && pgNoPartition(err) {
				return fmt.Errorf("%w: %v", errPartitionGone, err)
			}
			return err
		}
		res.Accepted = len(fresh)
		rolls := map[rollKey]*rollAgg{}
		for _, r := range fresh {
			e := r.e
			rk := rollKey{r.prompt, floorDiv(e.Time.UnixMilli(), 60_000), e.Version, r.ids[0], r.ids[1], r.ids[2]}
			a := rolls[rk]
			if a == nil {
				a = &rollAgg{}
				rolls[rk] = a
			}
			a.requests++
			if e.Status == "error" {
				a.errors++
			}
			a.latency += int64(math.Round(e.LatencyMS))
			a.tokensIn += e.TokensIn
			a.tokensOut += e.TokensOut
			c := math.Round(e.Cost * 1e9)
			a.cost += int64(c)
			a.costSq += c * c
			if e.Score != nil {
				a.addScore(*e.Score)
			}
			a.hist.Add(e.LatencyMS)
		}
		if len(spans) > 0 {
			un, err := tx.PrepareContext(ctx, `INSERT INTO unattributed (key, at, name, model, status, latency_ms, tokens_in, tokens_out, reason)
				VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING`)
			if err != nil {
				return err
			}
			defer un.Close()
			for _, sp := range spans {
				key := randomKey()
				if sp.ID != "" {
					key = eventKey(sp.ID)
				}
				st := 0
				if sp.Error {
					st = 1
				}
				r, err := un.ExecContext(ctx, key, sp.Time.UnixMilli(), clip(sp.Name), clip(sp.Model), st, int64(math.Round(max(sp.LatencyMS, 0))),
					max(sp.TokensIn, 0), max(sp.TokensOut, 0), clip(sp.Reason))
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n == 0 {
					res.Duplicate++
				} else {
					res.Unattributed++
				}
			}
		}
		if err := s.mergeRollups(ctx, tx, rolls); err != nil {
			return err
		}
		res.Rejected = mergeRejects(early, late)
		return nil
	}
	err := s.tx(ctx, "record events", body)
	if errors.Is(err, errPartitionGone) {
		// Another process pruned a month this one remembered: forget what
		// it knew and run the batch again (nothing of it was committed).
		s.pgForgetPartitions()
		err = s.tx(ctx, "record events", body)
	}
	if err != nil {
		return IngestResult{}, err
	}
	it.publish()
	if s.pg != nil {
		s.pgRememberPartitions(months)
	}
	if res.Rejected == nil {
		res.Rejected = []Reject{}
	}
	return res, nil
}

func clip(s string) string {
	if len(s) > MaxEventString {
		s = s[:MaxEventString]
	}
	return strings.ToValidUTF8(s, "")
}

func mergeRejects(a, b []Reject) []Reject {
	out := make([]Reject, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i].Index < b[j].Index) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// mergeRollups adds a batch's aggregates (keyed by minute) to the minute
// rollups and to the hourly rollups, in the caller's transaction.
func mergeRollups(ctx context.Context, tx *sql.Tx, rolls map[rollKey]*rollAgg) error {
	return mergeRollupsWith(ctx, tx, tx.PrepareContext, rolls)
}

// mergeRollups is mergeRollups with the store's prepared statements.
func (s *Store) mergeRollups(ctx context.Context, tx *sql.Tx, rolls map[rollKey]*rollAgg) error {
	return mergeRollupsWith(ctx, tx, func(ctx context.Context, q string) (*sql.Stmt, error) { return s.txStmt(ctx, tx, q) }, rolls)
}

// preparer prepares a statement for a transaction.
type preparer func(ctx context.Context, q string) (*sql.Stmt, error)

func mergeRollupsWith(ctx context.Context, tx *sql.Tx, prep preparer, rolls map[rollKey]*rollAgg) error {
	if len(rolls) == 0 {
		return nil
	}
	if err := mergeInto(ctx, prep, minuteTable, rolls, true); err != nil {
		return err
	}
	return mergeInto(ctx, prep, hourTable, toHours(rolls), true)
}

// toHours sums minute-keyed aggregates per hour.
func toHours(rolls map[rollKey]*rollAgg) map[rollKey]*rollAgg {
	hours := make(map[rollKey]*rollAgg, len(rolls))
	for k, a := range rolls {
		k.minute = floorDiv(k.minute, 60)
		h := hours[k]
		if h == nil {
			h = &rollAgg{}
			hours[k] = h
		}
		h.add(a)
	}
	return hours
}

// rollTable is one rollup table and its time column (unix minutes or hours).
type rollTable struct{ name, col string }

var (
	minuteTable = rollTable{"rollups", "minute"}
	hourTable   = rollTable{"rollups_hour", "hour"}
)

// mergeInto adds aggregates to a rollup table's rows (rollKey.minute holds
// the table's time unit). costSq is false while migrating a file whose
// tables do not have the cost_sq column yet (migration 0010 adds it).
func mergeInto(ctx context.Context, prep preparer, t rollTable, rolls map[rollKey]*rollAgg, costSq bool) error {
	sq, sqv, marks := ", 0", "", "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
	if costSq {
		sq, sqv, marks = ", cost_sq", ", cost_sq", marks+",?"
	}
	get, err := prep(ctx, `SELECT requests, errors, latency_ms, tokens_in, tokens_out, cost, score_n, score_sum, score_sq, hist`+sq+`
		FROM `+t.name+` WHERE prompt_id = ? AND `+t.col+` = ? AND version = ? AND label = ? AND arm = ? AND model = ?`)
	if err != nil {
		return err
	}
	defer get.Close()
	// An upsert both engines know (SQLite's INSERT OR REPLACE is not SQL
	// PostgreSQL runs).
	upd := ""
	if costSq {
		upd = ", cost_sq = excluded.cost_sq"
	}
	put, err := prep(ctx, `INSERT INTO `+t.name+` (prompt_id, `+t.col+`, version, label, arm, model,
		requests, errors, latency_ms, tokens_in, tokens_out, cost, score_n, score_sum, score_sq, hist`+sqv+`)
		VALUES (`+marks+`)
		ON CONFLICT (prompt_id, `+t.col+`, version, label, arm, model) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
			latency_ms = excluded.latency_ms, tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, cost = excluded.cost,
			score_n = excluded.score_n, score_sum = excluded.score_sum, score_sq = excluded.score_sq, hist = excluded.hist`+upd)
	if err != nil {
		return err
	}
	defer put.Close()
	for k, a := range rolls {
		var cur acc
		var hist []byte
		err := get.QueryRowContext(ctx, k.prompt, k.minute, k.version, k.label, k.arm, k.model).Scan(&cur.requests, &cur.errors,
			&cur.latency, &cur.tokensIn, &cur.tokensOut, &cur.cost, &cur.scoreN, &cur.scoreSum, &cur.scoreSq, &hist, &cur.costSq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			if err := cur.hist.UnmarshalBinary(hist); err != nil {
				return fmt.Errorf("rollup histogram: %w", err)
			}
		}
		cur.add(a)
		args := []any{k.prompt, k.minute, k.version, k.label, k.arm, k.model, cur.requests, cur.errors,
			cur.latency, cur.tokensIn, cur.tokensOut, cur.cost, cur.scoreN, cur.scoreSum, cur.scoreSq, cur.hist.MarshalBinary()}
		if costSq {
			args = append(args, cur.costSq)
		}
		if _, err := put.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// backfillHourly sums the minute rollups of a file made before hourly
// rollups existed into rollups_hour (run by the migration that adds it).
func backfillHourly(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT prompt_id, minute, version, label, arm, model, requests, errors, latency_ms,
		tokens_in, tokens_out, cost, score_n, score_sum, score_sq, hist FROM rollups`)
	if err != nil {
		return err
	}
	hours := map[rollKey]*rollAgg{}
	for rows.Next() {
		var k rollKey
		var a rollAgg
		var hist []byte
		if err := rows.Scan(&k.prompt, &k.minute, &k.version, &k.label, &k.arm, &k.model, &a.requests, &a.errors, &a.latency,
			&a.tokensIn, &a.tokensOut, &a.cost, &a.scoreN, &a.scoreSum, &a.scoreSq, &hist); err != nil {
			rows.Close()
			return err
		}
		if err := a.hist.UnmarshalBinary(hist); err != nil {
			rows.Close()
			return fmt.Errorf("rollup histogram: %w", err)
		}
		k.minute = floorDiv(k.minute, 60)
		h := hours[k]
		if h == nil {
			h = &rollAgg{}
			hours[k] = h
		}
		h.add(&a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return mergeInto(ctx, tx.PrepareContext, hourTable, hours, false)
}

// RecordFeedback stores feedback scores and adds each to its event's rollup
// (score_mean counts event scores and feedback scores alike). Feedback for an
// event that is not stored is rejected: send it after the event.
func (s *Store) RecordFeedback(ctx context.Context, fbs []Feedback) (IngestResult, error) {
	now := s.now()
	var res IngestResult
	err := s.tx(ctx, "record feedback", func(tx *sql.Tx) error {
		res = IngestResult{Rejected: []Reject{}}
		rolls := map[rollKey]*rollAgg{}
		for i, f := range fbs {
			if reason := checkFeedback(f, now); reason != "" {
				res.Rejected = append(res.Rejected, Reject{Index: i, ID: f.ID, Reason: reason})
				continue
			}
			var key int64
			if f.EventID != "" {
				key = eventKey(f.EventID)
			} else {
				err := tx.QueryRowContext(ctx, `SELECT key FROM event_traces WHERE trace = ?`, eventKey(f.TraceID)).Scan(&key)
				if errors.Is(err, sql.ErrNoRows) {
					res.Rejected = append(res.Rejected, Reject{Index: i, ID: f.ID, Reason: fmt.Sprintf("no event with trace_id %q (send feedback after its event)", f.TraceID)})
					continue
				}
				if err != nil {
					return err
				}
			}
			var rk rollKey
			var at int64
			err := tx.QueryRowContext(ctx, `SELECT prompt_id, version, at, label, arm, model FROM events WHERE key = ?`, key).Scan(
				&rk.prompt, &rk.version, &at, &rk.label, &rk.arm, &rk.model)
			if errors.Is(err, sql.ErrNoRows) {
				res.Rejected = append(res.Rejected, Reject{Index: i, ID: f.ID, Reason: fmt.Sprintf("no event with id %q (send feedback after its event)", f.EventID)})
				continue
			}
			if err != nil {
				return err
			}
			fkey := randomKey()
			if f.ID != "" {
				fkey = eventKey("feedback\x00" + f.ID)
			}
			t := f.Time
			if t.IsZero() {
				t = now
			}
			r, err := tx.ExecContext(ctx, `INSERT INTO feedback (key, event_key, at, score, comment) VALUES (?,?,?,?,?) ON CONFLICT (key) DO NOTHING`,
				fkey, key, t.UnixMilli(), f.Score, f.Comment)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				res.Duplicate++
				continue
			}
			res.Accepted++
			rk.minute = floorDiv(at, 60_000)
			a := rolls[rk]
			if a == nil {
				a = &rollAgg{}
				rolls[rk] = a
			}
			a.addScore(f.Score)
		}
		return s.mergeRollups(ctx, tx, rolls)
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

func checkFeedback(f Feedback, now time.Time) string {
	switch {
	case f.EventID == "" && f.TraceID == "":
		return "event_id or trace_id is required"
	case math.IsNaN(f.Score) || math.IsInf(f.Score, 0):
		return "score is not a finite number"
	case !f.Time.IsZero() && f.Time.After(now.Add(MaxEventFuture)):
		return fmt.Sprintf("time %s is more than %s in the future", f.Time.UTC().Format(time.RFC3339), MaxEventFuture)
	case len(f.ID) > MaxEventString || len(f.EventID) > MaxEventString || len(f.TraceID) > MaxEventString:
		return fmt.Sprintf("ids are limited to %d bytes", MaxEventString)
	case len(f.Comment) > 4096:
		return "comment is longer than 4096 bytes"
	}
	return ""
}

// PruneEvents deletes raw events, their trace index, feedback rows and
// unattributed spans older than before. Rollups stay: they are the long-term
// history and are small. It returns the number of events deleted. On
// PostgreSQL the months wholly before the cutoff are dropped whole (see
// partitions.go); everything is one transaction on both backends.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	if s.pg != nil {
		return s.pgPruneEvents(ctx, before)
	}
	ms := before.UnixMilli()
	var n int64
	err := s.tx(ctx, "prune events", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_traces WHERE key IN (SELECT key FROM events WHERE at < ?)`, ms); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE at < ?`, ms)
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE at < ?`, ms); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM unattributed WHERE at < ?`, ms)
		return err
	})
	return n, err
}

// EventCounts is how many raw rows the file holds.
type EventCounts struct {
	Events       int64 `json:"events"`
	Feedback     int64 `json:"feedback"`
	Unattributed int64 `json:"unattributed"`
}

// CountEvents counts the raw rows (for serve's health and the tests).
func (s *Store) CountEvents(ctx context.Context) (EventCounts, error) {
	var c EventCounts
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM feedback), (SELECT count(*) FROM unattributed)`).
		Scan(&c.Events, &c.Feedback, &c.Unattributed)
	return c, s.wrap("count events", err)
}

// HasEvent reports whether an event with this client id is stored.
func (s *Store) HasEvent(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM events WHERE key = ?`, eventKey(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, s.wrap("event "+id, err)
}

// eventRow is a validated event with its resolved ids.
type eventRow struct {
	e      *Event
	id     int64 // the row's id, chosen before the insert on SQLite (0: by the database)
	key    int64
	named  bool // the key is the hash of the client's id
	prompt int64
	ids    [5]int64 // label, arm, model, unit, error_kind
}

const keyChunk = 500

// existingKeys returns which of the rows' keys are stored already.
func (s *Store) existingKeys(ctx context.Context, tx *sql.Tx, rows []eventRow) (map[int64]bool, error) {
	out := map[int64]bool{}
	args := make([]any, 0, keyChunk)
	for _, r := range rows {
		if r.named {
			args = append(args, r.key)
		}
	}
	keys := args
	for i := 0; i < len(keys); i += keyChunk {
		chunk := keys[i:min(i+keyChunk, len(keys))]
		q := `SELECT key FROM events WHERE key IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		var res *sql.Rows
		var err error
		if len(chunk) == keyChunk {
			var st *sql.Stmt
			if st, err = s.txStmt(ctx, tx, q); err != nil {
				return nil, err
			}
			res, err = st.QueryContext(ctx, chunk...)
		} else {
			res, err = tx.QueryContext(ctx, q, chunk...)
		}
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var k int64
			if err := res.Scan(&k); err != nil {
				res.Close()
				return nil, err
			}
			out[k] = true
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const (
	insertChunk = 100
	eventCols   = 15
)

// insertEventsSQL inserts n rows, with their ids (withID) or without.
func insertEventsSQL(n int, withID bool) string {
	cols, row := "", "("+strings.Repeat("?,", eventCols-1)+"?)"
	if withID {
		cols, row = "id, ", "(?,"+strings.Repeat("?,", eventCols-1)+"?)"
	}
	return `INSERT INTO events (` + cols + `key, prompt_id, version, at, label, arm, model, unit, status, error_kind,
			latency_ms, tokens_in, tokens_out, cost, score) VALUES ` + row + strings.Repeat(","+row, n-1)
}

var insertFullSQL = [2]string{insertEventsSQL(insertChunk, false), insertEventsSQL(insertChunk, true)}

// insertEvents inserts rows (none of them stored yet) and their trace ids.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, rows []eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	withID := rows[0].id != 0
	var full *sql.Stmt
	if len(rows) >= insertChunk {
		var err error
		q := insertFullSQL[0]
		if withID {
			q = insertFullSQL[1]
		}
		if full, err = s.txStmt(ctx, tx, q); err != nil {
			return err
		}
	}
	args := make([]any, 0, insertChunk*(eventCols+1))
	var traces []any
	for i := 0; i < len(rows); i += insertChunk {
		chunk := rows[i:min(i+insertChunk, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			e := r.e
			status := 0
			if e.Status == "error" {
				status = 1
			}
			var score any
			if e.Score != nil {
				score = *e.Score
			}
			if withID {
				args = append(args, r.id)
			}
			args = append(args, r.key, r.prompt, e.Version, e.Time.UnixMilli(), r.ids[0], r.ids[1], r.ids[2], r.ids[3], status, r.ids[4],
				int64(math.Round(e.LatencyMS)), e.TokensIn, e.TokensOut, int64(math.Round(e.Cost*1e9)), score)
			if e.TraceID != "" {
				traces = append(traces, eventKey(e.TraceID), r.key)
			}
		}
		var err error
		if len(chunk) == insertChunk {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertEventsSQL(len(chunk), withID), args...)
		}
		if err != nil {
			return err
		}
	}
	for i := 0; i < len(traces); i += 2 * insertChunk {
		chunk := traces[i:min(i+2*insertChunk, len(traces))]
		q := `INSERT INTO event_traces (trace, key) VALUES (?,?)` + strings.Repeat(",(?,?)", len(chunk)/2-1) + ` ON CONFLICT (trace) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, chunk...); err != nil {
			return err
		}
	}
	return nil
}
