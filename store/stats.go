package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// HistBuckets is the number of fixed latency buckets. Bucket 0 holds
// latencies under 1 ms; bucket i >= 1 holds [2^((i-1)/4), 2^(i/4)) ms, so a
// percentile read from the histogram is within 9% of the true value, up to
// 2^(98/4) ms (about 6 hours) in the last bucket.
const HistBuckets = 100

// Histogram counts latencies in fixed log buckets.
type Histogram [HistBuckets]int64

func histBucket(ms float64) int {
	if ms < 1 {
		return 0
	}
	b := 1 + int(math.Floor(math.Log2(ms)*4))
	return min(b, HistBuckets-1)
}

// bucketBounds is the range of bucket i in ms.
func bucketBounds(i int) (lo, hi float64) {
	if i == 0 {
		return 0, 1
	}
	return math.Exp2(float64(i-1) / 4), math.Exp2(float64(i) / 4)
}

// Add counts one latency.
func (h *Histogram) Add(ms float64) { h[histBucket(ms)]++ }

// Merge adds o's counts.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o {
		h[i] += c
	}
}

// Quantile estimates the q-th quantile (0..1) in ms: it finds the bucket
// holding the rank and interpolates inside it on the log scale.
func (h *Histogram) Quantile(q float64) float64 {
	var n int64
	for _, c := range h {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			lo, hi := bucketBounds(i)
			f := (rank - cum) / float64(c)
			if i == 0 {
				return f * hi
			}
			return lo * math.Pow(hi/lo, f)
		}
		cum += float64(c)
	}
	_, hi := bucketBounds(HistBuckets - 1)
	return hi
}

// MarshalBinary encodes the non-empty buckets as uvarint (bucket, count)
// pairs.
func (h *Histogram) MarshalBinary() []byte {
	var b []byte
	for i, c := range h {
		if c != 0 {
			b = binary.AppendUvarint(b, uint64(i))
			b = binary.AppendUvarint(b, uint64(c))
		}
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

// UnmarshalBinary decodes MarshalBinary's output into h (replacing it).
func (h *Histogram) UnmarshalBinary(b []byte) error {
	*h = Histogram{}
	return h.addBinary(b)
}

func (h *Histogram) addBinary(b []byte) error {
	for len(b) > 0 {
		i, n := binary.Uvarint(b)
		if n <= 0 || i >= HistBuckets {
			return errors.New("corrupt histogram")
		}
		b = b[n:]
		c, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt histogram")
		}
		b = b[n:]
		h[i] += int64(c)
	}
	return nil
}

// Figures are the production figures of a window or a group, with the
// names of the eval report (the documented `verso stats --json` shape).
type Figures struct {
	Requests     int64    `json:"requests"`
	Errors       int64    `json:"errors"`
	ErrorRate    float64  `json:"error_rate"`
	LatencyP50MS float64  `json:"latency_p50_ms"`
	LatencyP95MS float64  `json:"latency_p95_ms"`
	LatencyP99MS float64  `json:"latency_p99_ms"`
	TokensIn     int64    `json:"tokens_in"`
	TokensOut    int64    `json:"tokens_out"`
	Cost         float64  `json:"cost"`
	Scores       int64    `json:"scores"`
	ScoreMean    *float64 `json:"score_mean"` // null without scores
	ScoreCI95    *float64 `json:"score_ci95"` // half-width of the 95% interval (Student's t); null under 2 scores

	// The scores' sums, for CompareFigures (not part of the JSON).
	scoreSum, scoreSq float64
}

// acc accumulates rollup rows.
type acc struct {
	rollAgg
}

func (a *rollAgg) add(r *rollAgg) {
	a.requests += r.requests
	a.errors += r.errors
	a.latency += r.latency
	a.tokensIn += r.tokensIn
	a.tokensOut += r.tokensOut
	a.cost += r.cost
	a.scoreN += r.scoreN
	a.scoreSum += r.scoreSum
	a.scoreSq += r.scoreSq
	a.costSq += r.costSq
	a.hist.Merge(&r.hist)
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

func (a *acc) figures() Figures {
	f := Figures{Requests: a.requests, Errors: a.errors, TokensIn: a.tokensIn, TokensOut: a.tokensOut,
		Cost: round(float64(a.cost)/1e9, 9), Scores: a.scoreN, scoreSum: a.scoreSum, scoreSq: a.scoreSq}
	if a.requests > 0 {
		f.ErrorRate = round(float64(a.errors)/float64(a.requests), 6)
		f.LatencyP50MS = round(a.hist.Quantile(0.50), 1)
		f.LatencyP95MS = round(a.hist.Quantile(0.95), 1)
		f.LatencyP99MS = round(a.hist.Quantile(0.99), 1)
	}
	if n := float64(a.scoreN); n > 0 {
		mean := a.scoreSum / n
		m := round(mean, 6)
		f.ScoreMean = &m
		if n >= 2 {
			variance := max((a.scoreSq-n*mean*mean)/(n-1), 0)
			t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
			ci := round(t*math.Sqrt(variance/n), 6)
			f.ScoreCI95 = &ci
		}
	}
	return f
}

// StatsQuery selects a window of one prompt's rollups. By groups them by
// "version", "label", "arm" or "model" ("" for no groups).
type StatsQuery struct {
	Prompt string
	Since  time.Time
	Until  time.Time // zero: now
	By     string
}

// StatsGroup is one group's figures. Key is the grouping field's value
// (the version number as text for "version").
type StatsGroup struct {
	By  string
	Key string
	Figures
}

// MarshalJSON writes the group as its figures plus the grouping field
// ({"version": 3, "requests": ...}).
func (g StatsGroup) MarshalJSON() ([]byte, error) {
	fig, err := json.Marshal(g.Figures)
	if err != nil {
		return nil, err
	}
	var key []byte
	if g.By == "version" {
		key = []byte(g.Key)
	} else {
		key, _ = json.Marshal(g.Key)
	}
	var b bytes.Buffer
	b.WriteString(`{"` + g.By + `":`)
	b.Write(key)
	b.WriteByte(',')
	b.Write(fig[1:])
	return b.Bytes(), nil
}

// StatsReport is the `verso stats --json` and `GET /v1/stats` document.
type StatsReport struct {
	Prompt string       `json:"prompt"`
	Since  time.Time    `json:"since"`
	Until  time.Time    `json:"until"`
	By     string       `json:"by,omitempty"`
	Total  Figures      `json:"total"`
	Groups []StatsGroup `json:"groups"`
}

// ValidStatsBy checks a grouping field.
func ValidStatsBy(by string) error {
	switch by {
	case "", "version", "label", "arm", "model":
		return nil
	}
	return fmt.Errorf("cannot group by %q (use version, label, arm or model): %w", by, ErrInvalid)
}

// rollRow is one rollup row as read: a minute row (span 1) or an hourly
// row (span 60), starting at minute.
type rollRow struct {
	minute  int64
	span    int64
	version int
	dims    [3]int64 // label, arm, model
	rollAgg
}

// readRollups calls fn for the rollup rows of a prompt covering the minutes
// of [since, until). With hours, whole hours inside the window come from
// the hourly rollups and only the minutes at its ragged edges from the
// minute rollups.
func (s *Store) readRollups(ctx context.Context, prompt string, since, until time.Time, hours bool, fn func(*rollRow) error) error {
	var pid int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM prompts WHERE name = ?`, prompt).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return s.notFound(ctx, prompt)
	}
	if err != nil {
		return s.wrap("stats "+prompt, err)
	}
	from, to := floorDiv(since.UnixMilli(), 60_000), floorDiv(until.UnixMilli()+59_999, 60_000)
	h0, h1 := floorDiv(from+59, 60), floorDiv(to, 60) // whole hours inside [from, to)
	if !hours || h0 >= h1 {
		return s.readRollupRows(ctx, prompt, minuteTable, pid, from, to, 1, fn)
	}
	if err := s.readRollupRows(ctx, prompt, minuteTable, pid, from, h0*60, 1, fn); err != nil {
		return err
	}
	if err := s.readRollupRows(ctx, prompt, hourTable, pid, h0, h1, 60, fn); err != nil {
		return err
	}
	return s.readRollupRows(ctx, prompt, minuteTable, pid, h1*60, to, 1, fn)
}

// readRollupRows reads the rows of one table in [from, to) (its own unit);
// span is the table's unit in minutes.
func (s *Store) readRollupRows(ctx context.Context, prompt string, t rollTable, pid, from, to, span int64, fn func(*rollRow) error) error {
	if from >= to {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+t.col+`, version, label, arm, model, requests, errors, latency_ms, tokens_in, tokens_out,
		cost, score_n, score_sum, score_sq, hist, cost_sq FROM `+t.name+` WHERE prompt_id = ? AND `+t.col+` >= ? AND `+t.col+` < ?`, pid, from, to)
	if err != nil {
		return s.wrap("stats "+prompt, err)
	}
	defer rows.Close()
	r := rollRow{span: span}
	var hist []byte
	for rows.Next() {
		r.hist = Histogram{}
		if err := rows.Scan(&r.minute, &r.version, &r.dims[0], &r.dims[1], &r.dims[2], &r.requests, &r.errors, &r.latency,
			&r.tokensIn, &r.tokensOut, &r.cost, &r.scoreN, &r.scoreSum, &r.scoreSq, &hist, &r.costSq); err != nil {
			return s.wrap("stats "+prompt, err)
		}
		r.minute *= span
		if err := r.hist.addBinary(hist); err != nil {
			return fmt.Errorf("stats %s: %w", prompt, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return s.wrap("stats "+prompt, rows.Err())
}

// groupKey returns the group id of a row: the version, or a string id.
func groupKey(by string, r *rollRow) int64 {
	switch by {
	case "version":
		return int64(r.version)
	case "label":
		return r.dims[0]
	case "arm":
		return r.dims[1]
	case "model":
		return r.dims[2]
	}
	return 0
}

// strValue returns the text of an event_strings id.
func (s *Store) strValue(ctx context.Context, id int64) (string, error) {
	d := s.dictionary()
	d.mu.Lock()
	v, ok := d.vals[id]
	d.mu.Unlock()
	if ok {
		return v, nil
	}
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM event_strings WHERE id = ?`, id).Scan(&v); err != nil {
		return "", s.wrap("stats", err)
	}
	d.mu.Lock()
	d.vals[id] = v
	d.mu.Unlock()
	return v, nil
}

// groupLabels turns group ids into keys, sorted (versions by number).
func (s *Store) groupLabels(ctx context.Context, by string, ids []int64) ([]string, error) {
	keys := make([]string, len(ids))
	if by == "version" {
		slices.Sort(ids)
		for i, id := range ids {
			keys[i] = strconv.FormatInt(id, 10)
		}
		return keys, nil
	}
	for i, id := range ids {
		v, err := s.strValue(ctx, id)
		if err != nil {
			return nil, err
		}
		keys[i] = v
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *Store) window(since, until time.Time) (time.Time, time.Time) {
	if until.IsZero() {
		until = s.now()
	}
	return since.UTC(), until.UTC()
}

// Stats computes a prompt's figures over a window from the rollups (never
// the raw events), in total and per group.
func (s *Store) Stats(ctx context.Context, q StatsQuery) (StatsReport, error) {
	if err := ValidStatsBy(q.By); err != nil {
		return StatsReport{}, err
	}
	since, until := s.window(q.Since, q.Until)
	rep := StatsReport{Prompt: q.Prompt, Since: since, Until: until, By: q.By, Groups: []StatsGroup{}}
	var total acc
	groups := map[int64]*acc{}
	err := s.readRollups(ctx, q.Prompt, since, until, true, func(r *rollRow) error {
		total.add(&r.rollAgg)
		if q.By != "" {
			k := groupKey(q.By, r)
			g := groups[k]
			if g == nil {
				g = &acc{}
				groups[k] = g
			}
			g.add(&r.rollAgg)
		}
		return nil
	})
	if err != nil {
		return StatsReport{}, err
	}
	rep.Total = total.figures()
	ids := make([]int64, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	keys, err := s.groupLabels(ctx, q.By, ids)
	if err != nil {
		return StatsReport{}, err
	}
	byKey := map[string]*acc{}
	for _, id := range ids {
		k, _ := s.groupKeyText(ctx, q.By, id)
		byKey[k] = groups[id]
	}
	for _, k := range keys {
		rep.Groups = append(rep.Groups, StatsGroup{By: q.By, Key: k, Figures: byKey[k].figures()})
	}
	return rep, nil
}

func (s *Store) groupKeyText(ctx context.Context, by string, id int64) (string, error) {
	if by == "version" {
		return strconv.FormatInt(id, 10), nil
	}
	return s.strValue(ctx, id)
}

// MaxSeriesPoints bounds the steps of one Series (a chart is at most a few
// hundred columns wide).
const MaxSeriesPoints = 10_000

// SeriesQuery selects a prompt's figures over time: the window cut into
// steps (rounded up to whole minutes; a step of an hour or more to whole
// hours, starting on the hour at or before Since), per group.
type SeriesQuery struct {
	Prompt string
	Since  time.Time
	Until  time.Time // zero: now
	Step   time.Duration
	By     string
	// Label, when set, keeps only the events served under that label (a
	// rollout's arms, without the other labels' traffic).
	Label string
}

// Series is a prompt's figures per step, in total and per group. Points[i]
// covers [Start + i*Step, Start + (i+1)*Step).
type Series struct {
	Start  time.Time
	Step   time.Duration
	Sum    Figures   // the whole window
	Total  []Figures // per step
	Groups []SeriesGroup
}

// SeriesGroup is one group's points.
type SeriesGroup struct {
	Key    string
	Total  Figures
	Points []Figures
}

// Series computes figures per step from the rollups.
func (s *Store) Series(ctx context.Context, q SeriesQuery) (Series, error) {
	if err := ValidStatsBy(q.By); err != nil {
		return Series{}, err
	}
	since, until := s.window(q.Since, q.Until)
	stepMin := max(int64(math.Ceil(q.Step.Minutes())), 1)
	start := floorDiv(since.UnixMilli(), 60_000)
	// Steps of an hour or more are whole hours from an hour boundary, so
	// each hourly rollup falls in one step and is read instead of 60 rows.
	hours := stepMin >= 60
	if hours {
		stepMin = (stepMin + 59) / 60 * 60
		start = floorDiv(start, 60) * 60
		since = time.UnixMilli(start * 60_000).UTC()
	}
	n := int(max((floorDiv(until.UnixMilli()+59_999, 60_000)-start+stepMin-1)/stepMin, 1))
	if n > MaxSeriesPoints {
		return Series{}, fmt.Errorf("%d points of %s is more than %d: choose a longer step: %w", n, time.Duration(stepMin)*time.Minute, MaxSeriesPoints, ErrInvalid)
	}
	out := Series{Start: time.UnixMilli(start * 60_000).UTC(), Step: time.Duration(stepMin) * time.Minute}
	total := make([]acc, n)
	type grp struct {
		all    acc
		points []acc
	}
	groups := map[int64]*grp{}
	var sum acc
	lid := int64(-2) // every label
	if q.Label != "" {
		id, err := s.stringID(ctx, q.Label)
		if err != nil {
			return Series{}, err
		}
		lid = id
	}
	err := s.readRollups(ctx, q.Prompt, since, until, hours, func(r *rollRow) error {
		i := int((r.minute - start) / stepMin)
		if i < 0 || i >= n || (lid != -2 && r.dims[0] != lid) {
			return nil
		}
		total[i].add(&r.rollAgg)
		sum.add(&r.rollAgg)
		if q.By != "" {
			k := groupKey(q.By, r)
			g := groups[k]
			if g == nil {
				g = &grp{points: make([]acc, n)}
				groups[k] = g
			}
			g.all.add(&r.rollAgg)
			g.points[i].add(&r.rollAgg)
		}
		return nil
	})
	if err != nil {
		return Series{}, err
	}
	out.Sum = sum.figures()
	out.Total = make([]Figures, n)
	for i := range total {
		out.Total[i] = total[i].figures()
	}
	ids := make([]int64, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	keys, err := s.groupLabels(ctx, q.By, ids)
	if err != nil {
		return Series{}, err
	}
	byKey := map[string]*grp{}
	for _, id := range ids {
		k, _ := s.groupKeyText(ctx, q.By, id)
		byKey[k] = groups[id]
	}
	for _, k := range keys {
		g := byKey[k]
		sg := SeriesGroup{Key: k, Total: g.all.figures(), Points: make([]Figures, n)}
		for i := range g.points {
			sg.Points[i] = g.points[i].figures()
		}
		out.Groups = append(out.Groups, sg)
	}
	return out, nil
}
