package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// fullRegistry is richRegistry with everything else a registry holds: an
// eval run with results and cached responses, a staged rollout (advanced,
// then aborted, with evidence), a split label, events with a trace,
// feedback, an unattributed span and the rollups they made.
func fullRegistry(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st := richRegistry(t)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	run, err := st.CreateRun(ctx, Run{Prompt: "support/reply", Suite: "default", Versions: []int{5, 6}, Models: []string{"demo/demo-large"},
		Settings: json.RawMessage(`{"concurrency":4}`), Total: 4, Owner: "host:1:abc"})
	if err != nil {
		t.Fatal(err)
	}
	cases := mustSuite(t, st, "support/reply", "default").Cases
	var results []Result
	for _, v := range []int{5, 6} {
		for _, c := range cases {
			results = append(results, Result{RunID: run.ID, Version: v, Model: "demo/demo-large", CaseID: c.ID, CaseName: c.Name,
				Output: fmt.Sprintf("Hi %s from v%d\n日本", c.Name, v), Score: 0.75, Pass: v == 6, LatencyMS: 120, TokensIn: 10, TokensOut: 7,
				Cost: 0.000123, FinishReason: "stop", UsageUnknown: v == 5,
				Assertions: []AssertionResult{{Type: "icontains", Pass: v == 6, Score: 1, Reason: "found"}}})
		}
	}
	must(nil, st.SaveBatch(ctx, results, []CachedResponse{{Key: "k1", Output: "cached", TokensIn: 3, TokensOut: 4, LatencyMS: 9, FinishReason: "length"}}))
	must(nil, st.FinishRun(ctx, run.ID, RunDone, json.RawMessage(`{"pass_rate":0.5}`)))

	must(st.StartRollout(ctx, RolloutInput{Prompt: "chat/bot", Label: "production", To: 2, Steps: []int{10, 50, 100}, Every: time.Hour,
		MinRequests: 5, Salt: "pepper", Actor: "ann", Reason: "staged", Force: true}))
	must(st.ChangeRollout(ctx, "chat/bot", "production", RolloutAdvance, "ann", "looks fine"))
	must(st.ChangeRollout(ctx, "chat/bot", "production", RolloutAbort, "bob", "errors up"))
	must(st.SetLabel(ctx, LabelInput{Prompt: "chat/bot", Label: "canary", Split: &Split{Arms: []Arm{{Version: 1, Weight: 70}, {Version: 2, Weight: 30}}, Salt: "s", UnitKey: "user"},
		Actor: "ann", Reason: "try a split"}))

	now := st.now()
	score := 0.9
	var evs []Event
	for i := 0; i < 40; i++ {
		evs = append(evs, Event{ID: fmt.Sprintf("ev-%d", i), Prompt: "support/reply", Version: 6, Label: "production", Model: "demo/demo-large",
			Time: now.Add(-time.Duration(i) * 7 * time.Minute), LatencyMS: float64(100 + i), TokensIn: 10, TokensOut: int64(i), Cost: 0.00001 * float64(i),
			Status: []string{"ok", "error"}[i%5/4], ErrorKind: []string{"", "timeout"}[i%5/4], TraceID: fmt.Sprintf("trace-%d", i), Unit: fmt.Sprintf("user-%d", i%3)})
	}
	evs[3].Score = &score
	evs = append(evs, Event{ID: "ev-canary", Prompt: "chat/bot", Version: 2, Label: "canary", Arm: "2", Model: "demo/demo-small", Time: now, LatencyMS: 50})
	// Events of earlier months (on PostgreSQL, partitions of their own).
	for i, days := range []int{35, 70, 300} {
		evs = append(evs, Event{ID: fmt.Sprintf("ev-month-%d", i), Prompt: "support/reply", Version: 5, Label: "production", Model: "demo/demo-large",
			Time: now.Add(-time.Duration(days) * 24 * time.Hour), LatencyMS: float64(days), TraceID: fmt.Sprintf("trace-month-%d", i)})
	}
	res, err := st.Ingest(ctx, evs, []Span{{ID: "span-1", Name: "llm", Model: "x", Time: now, LatencyMS: 33, TokensIn: 1, TokensOut: 2, Reason: "no verso.prompt attributes"}})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	fb, err := st.RecordFeedback(ctx, []Feedback{{ID: "fb-1", EventID: "ev-1", Score: 1, Comment: "great", Time: now}, {ID: "fb-2", TraceID: "trace-2", Score: 0, Time: now}})
	if err != nil || len(fb.Rejected) > 0 {
		t.Fatalf("feedback: %+v %v", fb, err)
	}
	return st
}

func mustSuite(t *testing.T, st *Store, prompt, name string) Suite {
	t.Helper()
	s, err := st.Suite(context.Background(), prompt, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tableCounts counts every table's rows.
func tableCounts(t *testing.T, st *Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range copyTables {
		var n int64
		if err := st.db.QueryRow(`SELECT count(*) FROM ` + tb.name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb.name] = n
	}
	return out
}

// Every table of both schemas is copied: a migration that adds a table
// fails this test until copyTables has it.
func TestCopyTablesCoverTheSchema(t *testing.T) {
	st := newStore(t)
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if st.pg != nil {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'verso_schema'`
	}
	rows, err := st.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have = append(have, n)
	}
	rows.Close()
	var want []string
	for _, tb := range copyTables {
		want = append(want, tb.name)
	}
	sort.Strings(have)
	sort.Strings(want)
	if !slices.Equal(have, want) {
		t.Fatalf("the schema has tables %v, Copy copies %v", have, want)
	}
}

// checkSameRegistry compares what users see of two registries: the full
// export, every run with its results, the rollouts, and the figures.
func checkSameRegistry(t *testing.T, a, b *Store) {
	t.Helper()
	ctx := context.Background()
	ea, err := a.Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eb, err := b.Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := ea.JSON()
	jb, _ := eb.JSON()
	if string(ja) != string(jb) {
		t.Fatalf("the exports differ:\n%s\n---\n%s", ja, jb)
	}
	for _, p := range []string{"support/reply", "chat/bot"} {
		ra, _ := a.Runs(ctx, p)
		rb, _ := b.Runs(ctx, p)
		if fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Fatalf("runs of %s differ:\n%v\n%v", p, ra, rb)
		}
		for _, r := range ra {
			xa, _ := a.Results(ctx, r.ID)
			xb, _ := b.Results(ctx, r.ID)
			if len(xa) == 0 || fmt.Sprint(xa) != fmt.Sprint(xb) {
				t.Fatalf("results of run %d differ:\n%v\n%v", r.ID, xa, xb)
			}
		}
		oa, _ := a.Rollouts(ctx, p)
		ob, _ := b.Rollouts(ctx, p)
		if fmt.Sprint(oa) != fmt.Sprint(ob) {
			t.Fatalf("rollouts of %s differ:\n%v\n%v", p, oa, ob)
		}
	}
	ca, _ := a.CountEvents(ctx)
	cb, _ := b.CountEvents(ctx)
	if ca != cb || ca.Events == 0 {
		t.Fatalf("event counts differ: %+v %+v", ca, cb)
	}
}

func copyOrFail(t *testing.T, src, dst *Store, o CopyOptions) CopyReport {
	t.Helper()
	rep, err := Copy(context.Background(), src, dst, o)
	if err != nil {
		t.Fatalf("copy %s -> %s: %v", src.Path(), dst.Path(), err)
	}
	if rep.SourceChecksum == "" || rep.SourceChecksum != rep.DestChecksum {
		t.Fatalf("checksums: %s vs %s", rep.SourceChecksum, rep.DestChecksum)
	}
	return rep
}

func openAt(t *testing.T, loc string, o Options) *Store {
	t.Helper()
	st, err := OpenWith(loc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A copy into an empty registry (a SQLite file; on the PostgreSQL run the
// source is on PostgreSQL) holds every row of every table, verified by a
// count and a checksum per table, and works on: new versions, runs and
// label moves get the next numbers and ids.
func TestCopyIsExact(t *testing.T) {
	ctx := context.Background()
	src := fullRegistry(t)
	dst := openAt(t, filepath.Join(t.TempDir(), "copy.db"), Options{})
	var progress []string
	rep := copyOrFail(t, src, dst, CopyOptions{BatchRows: 7, Progress: func(p CopyProgress) {
		if p.Done {
			progress = append(progress, p.Table)
		}
	}})
	if len(progress) != len(copyTables) || rep.Resumed || rep.Merge {
		t.Fatalf("progress %v, report %+v", progress, rep)
	}
	for _, tb := range rep.Tables {
		if tb.Source != tb.Destination || tb.SourceSum != tb.DestSum {
			t.Fatalf("table %+v", tb)
		}
	}
	if counts := tableCounts(t, src); counts["label_events"] == 0 || counts["rollouts"] == 0 || counts["results"] == 0 || counts["feedback"] == 0 ||
		counts["rollups_hour"] == 0 || counts["event_traces"] == 0 || counts["unattributed"] == 0 || counts["response_cache"] == 0 {
		t.Fatalf("the fixture misses rows: %v", counts)
	} else if got := tableCounts(t, dst); fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Fatalf("counts %v, want %v", got, counts)
	}
	checkSameRegistry(t, src, dst)
	checkWritesAfterCopy(t, src, dst)
	_ = ctx
}

// checkWritesAfterCopy: both registries take the same next writes alike
// (on PostgreSQL the id sequences were moved past the copied ids).
func checkWritesAfterCopy(t *testing.T, regs ...*Store) {
	t.Helper()
	ctx := context.Background()
	var got []string
	for _, st := range regs {
		v, err := st.Commit(ctx, CommitInput{Name: "support/reply", Template: "after the copy {{name}}", Author: "cy"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetLabel(ctx, LabelInput{Prompt: "support/reply", Label: "staging", Version: v.Number, Actor: "cy", Force: true, Reason: "x"}); err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateRun(ctx, Run{Prompt: "support/reply", Versions: []int{v.Number}, Models: []string{"demo/demo-large"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveSuite(ctx, "chat/bot", Suite{Name: "new", Cases: []Case{{Name: "c"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordEvents(ctx, []Event{{ID: "after", Prompt: "support/reply", Version: v.Number, Model: "brand-new-model", Time: st.now()}}); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("v%d run %d", v.Number, r.ID))
	}
	for _, g := range got[1:] {
		if g != got[0] {
			t.Fatalf("after the copy the registries numbered differently: %v", got)
		}
	}
}

// SQLite -> PostgreSQL -> SQLite gives back the same registry, checksum
// for checksum.
func TestCopyRoundTripThroughPostgres(t *testing.T) {
	pgURL := pgtest.NewDatabase(t)
	var src *Store
	if onPostgres() {
		// The suite's store is on PostgreSQL: build the source on a file.
		t.Setenv(pgtest.BackendEnv, "sqlite")
		src = fullRegistry(t)
		t.Setenv(pgtest.BackendEnv, "postgres")
	} else {
		src = fullRegistry(t)
	}
	mid := openAt(t, pgURL, Options{})
	back := openAt(t, filepath.Join(t.TempDir(), "back.db"), Options{})
	r1 := copyOrFail(t, src, mid, CopyOptions{})
	r2 := copyOrFail(t, mid, back, CopyOptions{})
	if r1.SourceChecksum != r2.DestChecksum {
		t.Fatalf("the round trip changed the content: %s, then %s", r1.SourceChecksum, r2.DestChecksum)
	}
	checkSameRegistry(t, src, mid)
	checkSameRegistry(t, src, back)
	// On PostgreSQL the events were copied into a partition per month.
	if parts := eventPartitionNames(t, mid.db); len(parts) < 4 {
		t.Fatalf("events partitions %v: one for each of the fixture's four months or more", parts)
	}
	checkWritesAfterCopy(t, src, mid, back)
}

// A destination that holds a registry is refused, naming what it holds,
// and nothing is written to it; the same registry as source and
// destination is refused too.
func TestCopyRefusesANonEmptyDestination(t *testing.T) {
	ctx := context.Background()
	src := fullRegistry(t)
	dst := openAt(t, filepath.Join(t.TempDir(), "busy.db"), Options{})
	commit(t, dst, "mine", "my own {{x}}")
	before := tableCounts(t, dst)
	_, err := Copy(ctx, src, dst, CopyOptions{})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "already holds 1 prompt and") {
		t.Fatalf("err = %v", err)
	}
	if after := tableCounts(t, dst); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused copy wrote: %v -> %v", before, after)
	}
	if _, err := Copy(ctx, src, src, CopyOptions{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the same registry") {
		t.Fatalf("copy onto itself: %v", err)
	}
}

// childCopy copies VERSO_STORE_SRC into VERSO_STORE_DB in small batches,
// printing each committed batch (the parent kills it with SIGKILL).
func childCopy() int {
	src, err := OpenWith(os.Getenv("VERSO_STORE_SRC"), Options{ReadOnly: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dst, err := Open(os.Getenv("VERSO_STORE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = Copy(context.Background(), src, dst, CopyOptions{BatchRows: 5, Progress: func(p CopyProgress) {
		fmt.Printf("%s %d\n", p.Table, p.Rows)
		if p.Table == "versions" && p.Rows >= 5 {
			// Wait here for the SIGKILL the parent sends on reading this
			// line: the kill lands mid-copy however loaded the machine is.
			select {}
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// A copy killed with SIGKILL in the middle, run again, continues where it
// stopped and ends verified; until then the destination says it holds an
// unfinished copy, which another source may not take over.
func TestCopyResumesAfterKill9(t *testing.T) {
	ctx := context.Background()
	src := fullRegistry(t)
	srcLoc := src.path
	if src.pg != nil {
		srcLoc = src.pg.cfg.ConnString()
	}
	dstLoc := newLocation(t, "dst.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VERSO_STORE_CHILD=copy", "VERSO_STORE_SRC="+srcLoc, "VERSO_STORE_DB="+dstLoc)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		// Kill it once it is well into the versions (after prompts and
		// event strings, before the history and the events).
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "versions" {
			if n, _ := strconv.Atoi(f[1]); n >= 5 {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("the copy ended before it could be killed: %s", stderr.String())
	}
	dst := openAt(t, dstLoc, Options{})
	if from, err := dst.UnfinishedCopy(ctx); err != nil || from != srcLoc && from != src.path {
		t.Fatalf("the destination does not say it holds an unfinished copy: %q %v", from, err)
	}
	half := tableCounts(t, dst)
	if half["versions"] == 0 || half["label_events"] != 0 {
		t.Fatalf("not killed mid-copy: %v", half)
	}
	// Another source may not finish it, nor may a merge.
	other := openAt(t, newLocation(t, "other.db"), Options{})
	commit(t, other, "x", "y")
	for _, merge := range []bool{false, true} {
		if _, err := Copy(ctx, other, dst, CopyOptions{Merge: merge}); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "unfinished copy from") {
			t.Fatalf("merge %v: another source took over the unfinished copy: %v", merge, err)
		}
	}
	// A half copy is no source.
	if _, err := Copy(ctx, dst, openAt(t, filepath.Join(t.TempDir(), "third.db"), Options{}), CopyOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an unfinished copy was copied on: %v", err)
	}
	if src.pg == nil {
		// Resumed from another folder, the source named by a relative
		// path: the same file, so the same copy.
		t.Chdir(filepath.Dir(src.path))
		src = openAt(t, filepath.Base(src.path), Options{})
	}
	rep := copyOrFail(t, src, dst, CopyOptions{})
	if !rep.Resumed {
		t.Fatal("the second run did not say it resumed")
	}
	checkSameRegistry(t, src, dst)
	if from, _ := dst.UnfinishedCopy(ctx); from != "" {
		t.Fatalf("the marker stayed after the copy was verified: %q", from)
	}
	checkWritesAfterCopy(t, src, dst)
}

// --merge adds the prompts the destination lacks with everything that is
// theirs, keeps the prompts both hold alike, and verifies; prompts that
// differ refuse the merge by name and nothing is written.
func TestCopyMerge(t *testing.T) {
	ctx := context.Background()
	a := fullRegistry(t)
	b := openAt(t, newLocation(t, "b.db"), Options{})
	copyOrFail(t, a, b, CopyOptions{})
	// Each side goes on alone: b gets a prompt of its own, a a new prompt
	// with a label, a suite, a run, events and feedback.
	commit(t, b, "b/only", "bee {{x}}")
	commit(t, a, "a/only", "one {{x}}")
	commit(t, a, "a/only", "two {{x}}")
	if _, err := a.SetLabel(ctx, LabelInput{Prompt: "a/only", Label: "production", Version: 1, Actor: "ann", Reason: "go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveSuite(ctx, "a/only", Suite{Name: "s", Cases: []Case{{Name: "c1", Vars: map[string]any{"x": 1}}}}); err != nil {
		t.Fatal(err)
	}
	run, err := a.CreateRun(ctx, Run{Prompt: "a/only", Suite: "s", Versions: []int{1}, Models: []string{"demo/demo-large"}})
	if err != nil {
		t.Fatal(err)
	}
	c := mustSuite(t, a, "a/only", "s").Cases[0]
	if err := a.SaveBatch(ctx, []Result{{RunID: run.ID, Version: 1, Model: "demo/demo-large", CaseID: c.ID, CaseName: "c1", Output: "o", Pass: true, Score: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	now := a.now()
	if _, err := a.RecordEvents(ctx, []Event{{ID: "a-1", Prompt: "a/only", Version: 1, Label: "production", Model: "only-in-a", Time: now, TraceID: "ta"},
		{ID: "a-2", Prompt: "a/only", Version: 2, Model: "demo/demo-large", Time: now}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RecordFeedback(ctx, []Feedback{{ID: "fa", TraceID: "ta", Score: 1, Time: now}}); err != nil {
		t.Fatal(err)
	}
	bBefore := tableCounts(t, b)

	rep, err := Copy(ctx, a, b, CopyOptions{Merge: true, BatchRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Merge || rep.SourceChecksum != rep.DestChecksum || fmt.Sprint(rep.AddedPrompts) != "[a/only]" || fmt.Sprint(rep.KeptPrompts) != "[support/reply chat/bot]" {
		t.Fatalf("report %+v", rep)
	}
	added := map[string]int64{}
	for _, tb := range rep.Tables {
		added[tb.Name] = tb.Added
		if tb.Before != bBefore[tb.Name] || tb.Destination != tb.Before+tb.Added || tb.Source != tb.Added+tb.Kept {
			t.Fatalf("table %+v", tb)
		}
	}
	want := map[string]int64{"prompts": 1, "versions": 2, "labels": 1, "label_events": 1, "suites": 1, "cases": 1, "runs": 1, "results": 1,
		"events": 2, "event_traces": 1, "feedback": 1, "event_strings": 1, "rollouts": 0, "settings": 0, "response_cache": 0, "unattributed": 0}
	for k, v := range want {
		if added[k] != v {
			t.Fatalf("added %d rows to %s, want %d (all: %v)", added[k], k, v, added)
		}
	}
	// What b shows of a/only is what a shows.
	for _, ref := range []string{"a/only@production", "a/only@latest", "b/only@latest", "support/reply@production"} {
		va, erra := a.Resolve(ctx, ref)
		vb, errb := b.Resolve(ctx, ref)
		if ref == "b/only@latest" {
			if errb != nil {
				t.Fatalf("b lost its own prompt: %v", errb)
			}
			continue
		}
		if erra != nil || errb != nil || va.Hash != vb.Hash || va.Number != vb.Number || !va.CreatedAt.Equal(vb.CreatedAt) {
			t.Fatalf("%s: %+v %v / %+v %v", ref, va, erra, vb, errb)
		}
	}
	ra, _ := a.Runs(ctx, "a/only")
	rb, _ := b.Runs(ctx, "a/only")
	if len(rb) != 1 || rb[0].Suite != "s" || rb[0].SuiteID == ra[0].SuiteID && ra[0].ID == rb[0].ID {
		t.Fatalf("runs: %+v / %+v", ra, rb)
	}
	xb, _ := b.Results(ctx, rb[0].ID)
	sb := mustSuite(t, b, "a/only", "s")
	if len(xb) != 1 || xb[0].CaseID != sb.Cases[0].ID || xb[0].Output != "o" {
		t.Fatalf("results %+v (case %d)", xb, sb.Cases[0].ID)
	}
	ha, _ := a.LabelHistory(ctx, "a/only")
	hb, _ := b.LabelHistory(ctx, "a/only")
	if len(hb) != 1 || fmt.Sprint(ha[0].At, ha[0].Actor, ha[0].Reason) != fmt.Sprint(hb[0].At, hb[0].Actor, hb[0].Reason) {
		t.Fatalf("history %+v / %+v", ha, hb)
	}
	if ok, _ := b.HasEvent(ctx, "a-1"); !ok {
		t.Fatal("the merged prompt's event is missing")
	}
	// Merging again adds nothing: everything is there.
	rep, err = Copy(ctx, a, b, CopyOptions{Merge: true})
	if err != nil || len(rep.AddedPrompts) != 0 {
		t.Fatalf("second merge: %+v %v", rep, err)
	}
	checkWritesAfterCopy(t, b)

	// A prompt changed on one side only: refused by name, nothing written.
	commit(t, a, "support/reply", "a diverges {{name}}")
	commit(t, a, "c/new", "would be added {{x}}")
	before := tableCounts(t, b)
	_, err = Copy(ctx, a, b, CopyOptions{Merge: true})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "support/reply (version") || strings.Contains(err.Error(), "chat/bot") {
		t.Fatalf("err = %v", err)
	}
	if after := tableCounts(t, b); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused merge wrote: %v -> %v", before, after)
	}
}
