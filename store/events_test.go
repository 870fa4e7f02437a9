package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func fptr(v float64) *float64 { return &v }

// eventsStore has prompt "greet" with versions 1 and 2.
func eventsStore(t testing.TB) *Store {
	st := newStore(t)
	commit(t, st, "greet", "Hello {{name}}")
	commit(t, st, "greet", "Hi {{name}}")
	return st
}

func TestRecordEventsStoresOnceAndRollsUp(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	now := time.Now().Add(-5 * time.Minute)
	var evs []Event
	for i := range 100 {
		e := Event{ID: fmt.Sprintf("e%d", i), Prompt: "greet", Version: 1 + i%2, Label: "production", Model: "m1",
			Time: now.Add(time.Duration(i) * time.Second), LatencyMS: float64(10 * (i + 1)), TokensIn: 5, TokensOut: 7, Cost: 0.001}
		if i%10 == 0 {
			e.Status, e.ErrorKind = "error", "timeout"
		}
		if i%4 == 0 {
			e.Score = fptr(float64(i%8) / 4)
		}
		evs = append(evs, e)
	}
	res, err := st.RecordEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 100 || res.Duplicate != 0 || len(res.Rejected) != 0 {
		t.Fatalf("first batch: %+v", res)
	}
	// The same ids again (a client retry) are duplicates, stored once.
	res, err = st.RecordEvents(ctx, evs[:30])
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 0 || res.Duplicate != 30 {
		t.Fatalf("re-sent batch: %+v", res)
	}
	rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: now.Add(-time.Hour), By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests != 100 || rep.Total.Errors != 10 || rep.Total.ErrorRate != 0.1 || rep.Total.TokensIn != 500 || rep.Total.TokensOut != 700 {
		t.Fatalf("total: %+v", rep.Total)
	}
	if math.Abs(rep.Total.Cost-0.1) > 1e-9 {
		t.Fatalf("cost %v", rep.Total.Cost)
	}
	// Latencies are 10..1000 ms evenly: the histogram's p50 is within 9%.
	if p := rep.Total.LatencyP50MS; p < 500*0.91 || p > 510*1.09 {
		t.Fatalf("p50 %v", p)
	}
	if p := rep.Total.LatencyP99MS; p < 990*0.91 || p > 1000*1.09 {
		t.Fatalf("p99 %v", p)
	}
	if len(rep.Groups) != 2 || rep.Groups[0].Key != "1" || rep.Groups[0].Requests != 50 || rep.Groups[1].Key != "2" {
		t.Fatalf("groups: %+v", rep.Groups)
	}
	if rep.Total.Scores != 25 || rep.Total.ScoreMean == nil || rep.Total.ScoreCI95 == nil {
		t.Fatalf("scores: %+v", rep.Total)
	}
	// JSON: the documented names, each group keyed by the grouping field.
	b, _ := json.Marshal(rep)
	for _, name := range []string{`"requests":100`, `"errors":10`, `"error_rate":0.1`, `"latency_p50_ms":`, `"latency_p95_ms":`,
		`"latency_p99_ms":`, `"tokens_in":500`, `"tokens_out":700`, `"cost":0.1`, `"score_mean":`, `"score_ci95":`, `{"version":1,"requests":50`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("stats JSON lacks %s: %s", name, b)
		}
	}
}

func TestRecordEventsRejectsOneByOne(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	now := time.Now()
	good := Event{Prompt: "greet", Version: 1, Time: now}
	bad := []struct {
		e    Event
		want string
	}{
		{Event{Prompt: "nope", Version: 1, Time: now}, `unknown prompt "nope"`},
		{Event{Prompt: "greet", Version: 9, Time: now}, "no version 9"},
		{Event{Prompt: "greet", Time: now}, "version is required"},
		{Event{Version: 1, Time: now}, "prompt is required"},
		{Event{Prompt: "greet", Version: 1}, "time is required"},
		{Event{Prompt: "greet", Version: 1, Time: now.Add(48 * time.Hour)}, "in the future"},
		{Event{Prompt: "greet", Version: 1, Time: now.AddDate(-2, 0, 0)}, "in the past"},
		{Event{Prompt: "greet", Version: 1, Time: now, LatencyMS: -1}, "latency_ms"},
		{Event{Prompt: "greet", Version: 1, Time: now, TokensIn: -3}, "tokens_in"},
		{Event{Prompt: "greet", Version: 1, Time: now, TokensOut: -3}, "tokens_out"},
		{Event{Prompt: "greet", Version: 1, Time: now, Cost: -1}, "cost"},
		{Event{Prompt: "greet", Version: 1, Time: now, Status: "meh"}, "status"},
		{Event{Prompt: "greet", Version: 1, Time: now, Score: fptr(math.NaN())}, "score"},
		{Event{Prompt: "greet", Version: 1, Time: now, Model: strings.Repeat("m", 300)}, "model is longer"},
	}
	evs := []Event{good}
	for _, b := range bad {
		evs = append(evs, b.e, good)
	}
	res, err := st.RecordEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != len(bad)+1 || len(res.Rejected) != len(bad) {
		t.Fatalf("%+v", res)
	}
	for i, b := range bad {
		r := res.Rejected[i]
		if r.Index != 2*i+1 || !strings.Contains(r.Reason, b.want) {
			t.Errorf("reject %d: got %+v, want index %d and %q", i, r, 2*i+1, b.want)
		}
	}
	c, _ := st.CountEvents(ctx)
	if c.Events != int64(len(bad)+1) {
		t.Fatalf("stored %d events", c.Events)
	}
}

func TestFeedbackByEventAndTraceID(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	now := time.Now()
	if _, err := st.RecordEvents(ctx, []Event{
		{ID: "a", Prompt: "greet", Version: 1, Time: now},
		{ID: "b", Prompt: "greet", Version: 2, Time: now, TraceID: "trace-b"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := st.RecordFeedback(ctx, []Feedback{
		{ID: "f1", EventID: "a", Score: 1},
		{ID: "f2", TraceID: "trace-b", Score: 0},
		{ID: "f3", EventID: "missing", Score: 1},
		{ID: "f4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || len(res.Rejected) != 2 || !strings.Contains(res.Rejected[0].Reason, `no event with id "missing"`) ||
		!strings.Contains(res.Rejected[1].Reason, "event_id or trace_id is required") {
		t.Fatalf("%+v", res)
	}
	res, _ = st.RecordFeedback(ctx, []Feedback{{ID: "f1", EventID: "a", Score: 1}})
	if res.Duplicate != 1 {
		t.Fatalf("re-sent feedback: %+v", res)
	}
	rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: now.Add(-time.Hour), By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	if *rep.Groups[0].ScoreMean != 1 || *rep.Groups[1].ScoreMean != 0 || rep.Total.Scores != 2 {
		t.Fatalf("%+v", rep.Groups)
	}
}

func TestPruneEventsKeepsRollups(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-100 * 24 * time.Hour)
	if _, err := st.RecordEvents(ctx, []Event{
		{ID: "old", Prompt: "greet", Version: 1, Time: old, TraceID: "t-old"},
		{ID: "new", Prompt: "greet", Version: 1, Time: now},
	}); err != nil {
		t.Fatal(err)
	}
	n, err := st.PruneEvents(ctx, now.Add(-90*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if ok, _ := st.HasEvent(ctx, "old"); ok {
		t.Fatal("old event still there")
	}
	if ok, _ := st.HasEvent(ctx, "new"); !ok {
		t.Fatal("new event pruned")
	}
	rep, _ := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: old.Add(-time.Hour)})
	if rep.Total.Requests != 2 {
		t.Fatalf("rollups lost the pruned event: %+v", rep.Total)
	}
}

func TestIngestUnattributedSpansAreKept(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	res, err := st.Ingest(ctx, nil, []Span{{ID: "s1", Name: "chat", Model: "gpt", Time: time.Now(), Reason: "no verso.prompt.name"}})
	if err != nil || res.Unattributed != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	res, _ = st.Ingest(ctx, nil, []Span{{ID: "s1", Time: time.Now()}})
	if res.Duplicate != 1 {
		t.Fatalf("re-sent span: %+v", res)
	}
	c, _ := st.CountEvents(ctx)
	if c.Unattributed != 1 {
		t.Fatalf("%+v", c)
	}
}

func TestSeriesSplitsTheWindow(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	base := time.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	var evs []Event
	for h := range 3 {
		for i := 0; i <= h; i++ {
			evs = append(evs, Event{Prompt: "greet", Version: 1 + h%2, Time: base.Add(time.Duration(h)*time.Hour + time.Duration(i)*time.Minute), LatencyMS: 5})
		}
	}
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	s, err := st.Series(ctx, SeriesQuery{Prompt: "greet", Since: base, Until: base.Add(3 * time.Hour), Step: time.Hour, By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{}
	for _, f := range s.Total {
		got = append(got, f.Requests)
	}
	if !slices.Equal(got, []int64{1, 2, 3}) || len(s.Groups) != 2 || s.Groups[1].Points[1].Requests != 2 {
		t.Fatalf("series %v groups %+v", got, s.Groups)
	}
}

func TestStatsUnknownPromptAndBadGrouping(t *testing.T) {
	st := eventsStore(t)
	if _, err := st.Stats(context.Background(), StatsQuery{Prompt: "nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown prompt: %v", err)
	}
	if _, err := st.Stats(context.Background(), StatsQuery{Prompt: "greet", By: "colour"}); err == nil {
		t.Fatal("bad grouping accepted")
	}
}

func TestHistogramRoundTripAndQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Add(float64(i) / 10)
	}
	var back Histogram
	if err := back.UnmarshalBinary(h.MarshalBinary()); err != nil || back != h {
		t.Fatalf("round trip: %v", err)
	}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		want := q * 1000
		if got := h.Quantile(q); math.Abs(got-want)/want > 0.09 {
			t.Errorf("q%.2f = %v, want %v within 9%%", q, got, want)
		}
	}
	if err := back.UnmarshalBinary([]byte{200, 1}); err == nil {
		t.Fatal("corrupt histogram accepted")
	}
}

// TestStorageBytesPerEvent measures the file's growth per raw event
// (including its rollups) on realistic events: at most 120 bytes.
func TestStorageBytesPerEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 events")
	}
	sqliteOnly(t) // the size of a SQLite file
	st := eventsStore(t)
	ctx := context.Background()
	st.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	before := fileSize(t, st.Path())
	const n = 100_000
	base := time.Now().Add(-7 * 24 * time.Hour)
	batch := make([]Event, 0, 1000)
	for i := range n {
		e := Event{ID: fmt.Sprintf("evt-%08d-%s", i, "0123456789abcdef"), Prompt: "greet", Version: 1 + i%2, Label: "production",
			Model: "gpt-4o-mini", Unit: fmt.Sprintf("user-%d", i%5000), Time: base.Add(time.Duration(i) * 6 * time.Second),
			LatencyMS: 200 + float64(i%700), TokensIn: 300 + int64(i%50), TokensOut: 120 + int64(i%80), Cost: 0.00021, TraceID: fmt.Sprintf("%032x", i)}
		if i%50 == 0 {
			e.Status, e.ErrorKind = "error", "rate_limit"
		}
		if i%10 == 0 {
			e.Score = fptr(0.8)
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if _, err := st.RecordEvents(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := st.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	per := float64(fileSize(t, st.Path())-before) / n
	t.Logf("%.1f bytes per event (events with a trace id, unit key and score on 10%%)", per)
	if per > 120 {
		t.Fatalf("%.1f bytes per event, budget 120", per)
	}
}

func fileSize(t testing.TB, p string) int64 {
	var total int64
	for _, f := range []string{p, p + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// BenchmarkRecordEvents measures ingest through the store in batches of
// 1,000 realistic events.
func BenchmarkRecordEvents(b *testing.B) {
	st := eventsStore(b)
	ctx := context.Background()
	base := time.Now().Add(-24 * time.Hour)
	batch := make([]Event, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			k := i*len(batch) + j
			batch[j] = Event{ID: fmt.Sprintf("bench-%d", k), Prompt: "greet", Version: 1 + k%2, Label: "production", Model: "gpt-4o-mini",
				Unit: fmt.Sprintf("user-%d", k%5000), Time: base.Add(time.Duration(k) * time.Millisecond), LatencyMS: float64(k % 900),
				TokensIn: 300, TokensOut: 100, Cost: 0.0002, TraceID: fmt.Sprintf("%032x", k)}
		}
		if _, err := st.RecordEvents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStatsTwoWeeks reads the stats of one prompt over 14 days with
// 4 groups (2 versions x 2 models) per minute: 80,640 rollup rows, what 10
// million events over two weeks produce (stats read rollups only, so the
// number of raw events behind each row does not change the cost).
func BenchmarkStatsTwoWeeks(b *testing.B) {
	st := eventsStore(b)
	ctx := context.Background()
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-14 * 24 * time.Hour)
	var batch []Event
	for t := start; t.Before(end); t = t.Add(time.Minute) {
		for k := range 4 {
			batch = append(batch, Event{Prompt: "greet", Version: 1 + k%2, Model: []string{"a", "b"}[k/2], Label: "production", Time: t,
				LatencyMS: float64(100 + t.Minute()*7 + k), TokensIn: 300, TokensOut: 90, Cost: 0.0002, Score: fptr(0.8)})
		}
		if len(batch) >= 5000 {
			if _, err := st.RecordEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := st.RecordEvents(ctx, batch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: start, Until: end, By: "version"})
		if err != nil || rep.Total.Requests != 14*24*60*4 {
			b.Fatalf("%v %d", err, rep.Total.Requests)
		}
	}
}

// BenchmarkRecordEventsConcurrently: 4 writers of one process (serve's
// requests) record batches of 1,000 events at once; they take turns in
// arrival order rather than polling SQLite's lock.
func BenchmarkRecordEventsConcurrently(b *testing.B) {
	st := eventsStore(b)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	b.SetParallelism(2) // 4 writers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		batch := make([]Event, 1000)
		for pb.Next() {
			for j := range batch {
				batch[j] = Event{Prompt: "greet", Version: 1 + j%2, Label: "production", Model: "gpt-4o-mini", Time: base.Add(time.Duration(j) * time.Millisecond),
					LatencyMS: float64(j % 900), TokensIn: 300, TokensOut: 100, Cost: 0.0002}
			}
			if _, err := st.RecordEvents(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// Events without ids are each stored (never counted as duplicates), from
// concurrent writers, between and after batches with ids, after a prune,
// and feedback by trace id reaches them; named events stay stored once.
func TestEventsWithoutIDsAreEachStored(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	batch := func(n int, named string) []Event {
		evs := make([]Event, n)
		for i := range evs {
			evs[i] = Event{Prompt: "greet", Version: 1 + i%2, Time: now, LatencyMS: 100, TraceID: fmt.Sprintf("%s-t%d-%d", named, n, i)}
			if named != "" {
				evs[i].ID = fmt.Sprintf("%s-%d", named, i)
			}
		}
		return evs
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				res, err := st.RecordEvents(ctx, batch(250, ""))
				if err == nil && (res.Accepted != 250 || res.Duplicate != 0) {
					err = fmt.Errorf("writer %d: %+v", w, res)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// the same unnamed events again are new events; named ones are kept once
	for _, b := range [][]Event{batch(300, "n"), batch(300, ""), batch(300, "n")} {
		if _, err := st.RecordEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	c, err := st.CountEvents(ctx)
	if err != nil || c.Events != 4*3*250+300+300 {
		t.Fatalf("stored %+v, want %d events (%v)", c, 4*3*250+600, err)
	}
	// feedback by the trace id of an event without an id
	fr, err := st.RecordFeedback(ctx, []Feedback{{TraceID: "-t300-7", Score: 1}})
	if err != nil || fr.Accepted != 1 {
		t.Fatalf("feedback by trace id: %+v %v", fr, err)
	}
	// everything pruned, then new events: stored, none a duplicate
	if _, err := st.PruneEvents(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := st.RecordEvents(ctx, batch(100, ""))
	if err != nil || res.Accepted != 100 {
		t.Fatalf("after a prune: %+v %v", res, err)
	}
	if c, _ := st.CountEvents(ctx); c.Events != 100 {
		t.Fatalf("after a prune: %+v", c)
	}
}

// TestSeriesOfOneLabel: a rollout's charts read only its label's events.
func TestSeriesOfOneLabel(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	base := time.Now().Truncate(time.Hour).Add(-2 * time.Hour)
	evs := []Event{
		{Prompt: "greet", Version: 1, Label: "production", Time: base.Add(time.Minute), LatencyMS: 5},
		{Prompt: "greet", Version: 1, Label: "production", Time: base.Add(2 * time.Minute), LatencyMS: 5},
		{Prompt: "greet", Version: 1, Label: "staging", Time: base.Add(3 * time.Minute), LatencyMS: 5},
		{Prompt: "greet", Version: 1, Time: base.Add(4 * time.Minute), LatencyMS: 5},
	}
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]int64{"": 4, "production": 2, "staging": 1, "canary": 0} {
		s, err := st.Series(ctx, SeriesQuery{Prompt: "greet", Since: base, Until: base.Add(time.Hour), Step: time.Hour, By: "version", Label: label})
		if err != nil {
			t.Fatal(err)
		}
		if s.Sum.Requests != want {
			t.Errorf("label %q: %d requests, want %d", label, s.Sum.Requests, want)
		}
	}
}
