package runner_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

type env struct {
	st   *store.Store
	srv  *modelserver.Server
	eng  *runner.Engine
	vers []store.Version
	su   store.Suite
}

var fast = provider.Policy{Base: time.Millisecond, Max: 30 * time.Millisecond, Timeout: 5 * time.Second}

// setup makes a store with a prompt of two versions and a suite of n cases,
// and an engine pointed at a demo model server with options o.
func setup(t testing.TB, o modelserver.Options, n int) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(pgtest.Location(t, "verso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	e := &env{st: st, srv: srv, eng: runner.New(st, reg)}
	for _, tpl := range []string{
		"What is the sentiment of this review?\nReview: {{review}}",
		"Classify the sentiment of the review as positive, negative or neutral. Answer with the label only.\nReview: {{review}}",
	} {
		v, err := st.Commit(ctx, store.CommitInput{Name: "sentiment", Kind: store.KindText, Template: tpl, Message: "m", Author: "t"})
		if err != nil {
			t.Fatal(err)
		}
		e.vers = append(e.vers, v)
	}
	su := store.Suite{Name: "default"}
	reviews := []string{"I love it, works great", "Terrible, broke after a day", "It is a phone"}
	for i := range n {
		su.Cases = append(su.Cases, store.Case{
			Name:       fmt.Sprintf("case %d", i+1),
			Vars:       map[string]any{"review": fmt.Sprintf("%s (#%d)", reviews[i%3], i)},
			Assertions: []store.Assertion{{Type: "icontains-any", Value: []any{"positive", "negative", "neutral"}}},
		})
	}
	e.su, err = st.SaveSuite(ctx, "sentiment", su)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) plan() runner.Plan {
	return runner.Plan{Suite: e.su, Versions: e.vers, Models: []string{"demo/demo-small"}}
}

// checkComplete asserts every (version, model, case, repeat) has exactly
// one result.
func checkComplete(t testing.TB, st *store.Store, id int64, want int) []store.Result {
	t.Helper()
	rs, err := st.Results(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		k := fmt.Sprint(r.Version, r.Model, r.CaseID, r.Repeat)
		if seen[k] {
			t.Fatalf("duplicate result %s", k)
		}
		seen[k] = true
	}
	if len(rs) != want {
		t.Fatalf("%d results, want %d", len(rs), want)
	}
	return rs
}

func integrity(t testing.TB, st *store.Store) {
	t.Helper()
	if store.IsPostgres(st.Path()) {
		return // PostgreSQL has no integrity_check: it checksums its pages itself
	}
	db, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&s); err != nil || s != "ok" {
		t.Fatalf("integrity_check: %q %v", s, err)
	}
}

func TestRunAndCache(t *testing.T) {
	e := setup(t, modelserver.Options{}, 12)
	ctx := context.Background()
	var mu sync.Mutex
	kinds := map[runner.EventKind]int{}
	out, err := e.eng.Run(ctx, e.plan(), runner.Options{OnEvent: func(ev runner.Event) {
		mu.Lock()
		kinds[ev.Kind]++
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Run.Status != store.RunDone || out.Summary.Total != 24 || len(out.Summary.Columns) != 2 || out.Summary.Errors != 0 {
		t.Fatalf("outcome %+v", out.Summary)
	}
	if kinds[runner.Started] != 24 || kinds[runner.Finished] != 24 || kinds[runner.Done] != 1 {
		t.Fatalf("events %v", kinds)
	}
	checkComplete(t, e.st, out.Run.ID, 24)
	for _, r := range out.Results {
		if r.Output == "" || r.TokensIn == 0 || r.Cost <= 0 || r.Cached {
			t.Fatalf("result %+v", r)
		}
	}
	// The better prompt does better.
	if out.Summary.Columns[1].Passed < out.Summary.Columns[0].Passed {
		t.Logf("summary: %+v", out.Summary.Columns)
	}

	before := e.srv.Stats().Requests
	again, err := e.eng.Run(ctx, e.plan(), runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Requests != before || again.Summary.Cached != 24 {
		t.Fatalf("re-run made %d calls, %d cached", e.srv.Stats().Requests-before, again.Summary.Cached)
	}
	for i, r := range again.Results {
		if r.LatencyMS != out.Results[i].LatencyMS || r.Output != out.Results[i].Output {
			t.Fatalf("cached result differs: %+v vs %+v", r, out.Results[i])
		}
	}

	// Never across parameters: a different temperature, model or repeat
	// calls the model again.
	temp := 0.3
	vs := make([]store.Version, len(e.vers))
	copy(vs, e.vers)
	vs[0].Config.Temperature = &temp
	p := e.plan()
	p.Versions = vs[:1]
	before = e.srv.Stats().Requests
	r3, err := e.eng.Run(ctx, p, runner.Options{})
	if err != nil || r3.Summary.Cached != 0 || e.srv.Stats().Requests-before != 12 {
		t.Fatalf("temperature: cached %d, calls %d, %v", r3.Summary.Cached, e.srv.Stats().Requests-before, err)
	}
	p = e.plan()
	p.Models = []string{"demo/demo-large"}
	if r4, _ := e.eng.Run(ctx, p, runner.Options{}); r4.Summary.Cached != 0 {
		t.Fatal("cache used across models")
	}
	p = e.plan()
	p.Repeat = 2
	if r5, _ := e.eng.Run(ctx, p, runner.Options{}); r5.Summary.Cached != 24 || r5.Summary.Total != 48 {
		t.Fatalf("repeat 2: cached %d of %d", r5.Summary.Cached, r5.Summary.Total)
	}
	before = e.srv.Stats().Requests
	if r6, _ := e.eng.Run(ctx, e.plan(), runner.Options{NoCache: true}); r6.Summary.Cached != 0 || e.srv.Stats().Requests-before != 24 {
		t.Fatal("--no-cache used the cache")
	}
}

func TestInjectedFailuresAtConcurrency32(t *testing.T) {
	e := setup(t, modelserver.Options{ErrorRate: 0.2, RetryAfter: 5 * time.Millisecond, Seed: 7}, 150)
	var retried atomic.Int32
	out, err := e.eng.Run(context.Background(), e.plan(), runner.Options{Concurrency: 32, NoCache: true, Policy: fast,
		OnEvent: func(ev runner.Event) {
			if ev.Kind == runner.Retried {
				retried.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	rs := checkComplete(t, e.st, out.Run.ID, 300)
	ok, errs := 0, 0
	for _, r := range rs {
		if r.Error != "" {
			errs++
		} else if r.Output != "" {
			ok++
		}
	}
	if ok+errs != 300 || retried.Load() == 0 || out.Run.Status != store.RunDone {
		t.Fatalf("ok %d, errors %d, retries %d, status %s", ok, errs, retried.Load(), out.Run.Status)
	}
	integrity(t, e.st)
}

func TestCutStreamsAreRetried(t *testing.T) {
	e := setup(t, modelserver.Options{ErrorRate: 0.3, Errors: []string{"cut"}, Seed: 3}, 30)
	var tokens atomic.Int32
	out, err := e.eng.Run(context.Background(), e.plan(), runner.Options{Stream: true, NoCache: true, Policy: fast, Concurrency: 16,
		OnEvent: func(ev runner.Event) {
			if ev.Kind == runner.Token {
				tokens.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Cut == 0 || out.Summary.Errors != 0 || tokens.Load() == 0 {
		t.Fatalf("cut %d, errors %d, tokens %d", e.srv.Stats().Cut, out.Summary.Errors, tokens.Load())
	}
}

func TestMalformedAndMissingVariables(t *testing.T) {
	e := setup(t, modelserver.Options{}, 2)
	ctx := context.Background()
	su := e.su
	su.Cases = []store.Case{
		{Name: "malformed", Vars: map[string]any{"review": "x [[fail:malformed]]"}},
		{Name: "missing", Vars: map[string]any{}},
	}
	su, _ = e.st.SaveSuite(ctx, "sentiment", su)
	p := e.plan()
	p.Suite = su
	p.Versions = e.vers[:1]
	before := e.srv.Stats().Requests
	out, err := e.eng.Run(ctx, p, runner.Options{Policy: fast})
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Errors != 2 || e.srv.Stats().Requests-before != 1 {
		t.Fatalf("errors %d, calls %d", out.Summary.Errors, e.srv.Stats().Requests-before)
	}
	for _, r := range out.Results {
		want := map[string]string{"malformed": "malformed response", "missing": "missing variables: review"}[r.CaseName]
		if want == "" || !strings.Contains(r.Error, want) {
			t.Fatalf("%s: error %q, want %q", r.CaseName, r.Error, want)
		}
	}
}

func TestCancelAndResume(t *testing.T) {
	e := setup(t, modelserver.Options{Latency: 40 * time.Millisecond}, 60)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	h, err := e.eng.Start(ctx, e.plan(), runner.Options{Concurrency: 4, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Finished && n.Add(1) == 10 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if out.Run.Status != store.RunCancelled || len(out.Results) < 10 || len(out.Results) >= 120 || out.Run.FinishedAt == nil {
		t.Fatalf("status %s with %d results", out.Run.Status, len(out.Results))
	}
	integrity(t, e.st)
	kept := len(out.Results)
	before := e.srv.Stats().Requests
	h2, err := e.eng.Resume(context.Background(), out.Run.ID, runner.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	out2, err := h2.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if out2.Run.Status != store.RunDone || out2.Summary.Total != 120 {
		t.Fatalf("resumed: %s, %d", out2.Run.Status, out2.Summary.Total)
	}
	// Calls cancelled in flight may reach the server after the first run
	// returned: allow for them (at most the concurrency).
	if calls := int(e.srv.Stats().Requests - before); calls < 120-kept || calls > 120-kept+4 {
		t.Fatalf("resume made %d calls, want %d", calls, 120-kept)
	}
	checkComplete(t, e.st, out.Run.ID, 120)
}

func TestFeedCoalescesTokens(t *testing.T) {
	f := runner.NewFeed()
	k1, k2 := runner.Key{Version: 1}, runner.Key{Version: 2}
	f.Push(runner.Event{Kind: runner.Token, Key: k1, Text: "a"})
	f.Push(runner.Event{Kind: runner.Token, Key: k2, Text: "x"})
	f.Push(runner.Event{Kind: runner.Token, Key: k1, Text: "b"})
	f.Push(runner.Event{Kind: runner.Finished, Key: k2})
	evs, ok := f.Next(context.Background())
	if !ok || len(evs) != 3 || evs[0].Text != "ab" || evs[1].Text != "x" || evs[2].Kind != runner.Finished {
		t.Fatalf("%+v", evs)
	}
	f.Push(runner.Event{Kind: runner.Token, Key: k1, Text: "c"})
	f.Push(runner.Event{Kind: runner.Done})
	evs, ok = f.Next(context.Background())
	if !ok || len(evs) != 2 || evs[0].Text != "c" {
		t.Fatalf("%+v", evs)
	}
	if _, ok := f.Next(context.Background()); ok {
		t.Fatal("Next after Done")
	}
}

func TestEstimate(t *testing.T) {
	e := setup(t, modelserver.Options{}, 5)
	ctx := context.Background()
	est, err := e.eng.Estimate(ctx, e.plan(), false)
	if err != nil || est.Calls != 10 || est.Cached != 0 || est.Cost <= 0 {
		t.Fatalf("%+v %v", est, err)
	}
	if _, err := e.eng.Run(ctx, e.plan(), runner.Options{}); err != nil {
		t.Fatal(err)
	}
	est, _ = e.eng.Estimate(ctx, e.plan(), false)
	if est.Calls != 10 || est.Cached != 10 || est.Cost != 0 {
		t.Fatalf("after a run: %+v", est)
	}
	if est, _ = e.eng.Estimate(ctx, e.plan(), true); est.Cached != 0 {
		t.Fatalf("no cache: %+v", est)
	}
}

func TestModelGradedAssertions(t *testing.T) {
	e := setup(t, modelserver.Options{}, 1)
	ctx := context.Background()
	su := e.su
	su.Cases = []store.Case{{Name: "graded", Vars: map[string]any{"review": "I love it, works great"},
		Assertions: []store.Assertion{{Type: "llm-rubric", Value: "states the sentiment"}, {Type: "similar", Value: "The sentiment is positive", Threshold: ptr(0.1)}}}}
	su, _ = e.st.SaveSuite(ctx, "sentiment", su)
	p := e.plan()
	p.Suite = su
	before := e.srv.Stats()
	out, err := e.eng.Run(ctx, p, runner.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Embeddings == before.Embeddings {
		t.Fatal("similar did not call the embeddings endpoint")
	}
	for _, r := range out.Results {
		if r.Error != "" || len(r.Assertions) != 2 {
			t.Fatalf("%+v", r)
		}
		for _, a := range r.Assertions {
			if a.Reason == "" || strings.Contains(a.Reason, "grader demo") || strings.Contains(a.Reason, "embeddings demo") {
				t.Fatalf("%s: %+v", r.CaseName, a)
			}
		}
	}
}

func ptr(f float64) *float64 { return &f }

func TestWriteFailureStopsTheRun(t *testing.T) {
	e := setup(t, modelserver.Options{Latency: 20 * time.Millisecond}, 100)
	var once sync.Once
	h, err := e.eng.Start(context.Background(), e.plan(), runner.Options{Concurrency: 4, NoCache: true, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Finished && ev.Progress.Done >= 5 {
			once.Do(func() { e.st.Close() })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Wait()
	if err == nil || !strings.Contains(err.Error(), "saving results") {
		t.Fatalf("err = %v", err)
	}
	if calls := e.srv.Stats().Requests; calls > 60 {
		t.Fatalf("the run went on after the database failed: %d calls", calls)
	}
}

// TestScriptStoppedIsAnErrorOfItsCase: a javascript assertion that loops
// forever is stopped at the limit; its case is an error saying so and the
// other cases of the run still pass.
func TestScriptStoppedIsAnErrorOfItsCase(t *testing.T) {
	old := assert.ScriptLimits
	t.Cleanup(func() { assert.ScriptLimits = old })
	assert.ScriptLimits.Time = 200 * time.Millisecond
	e := setup(t, modelserver.Options{}, 3)
	ctx := context.Background()
	su := e.su
	su.Cases[1].Assertions = append(su.Cases[1].Assertions, store.Assertion{Type: "javascript", Value: "while (true) {}"})
	su, _ = e.st.SaveSuite(ctx, "sentiment", su)
	p := e.plan()
	p.Suite, p.Versions = su, e.vers[1:]
	out, err := e.eng.Run(ctx, p, runner.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		stopped := r.CaseName == "case 2"
		if stopped != (r.Error == "javascript assertion: javascript: stopped after 200ms (the time limit of a script assertion)") || stopped == r.Pass {
			t.Fatalf("%s: pass %v, error %q", r.CaseName, r.Pass, r.Error)
		}
	}
	if out.Summary.Errors != 1 || out.Summary.Passed != 2 {
		t.Fatalf("summary %+v", out.Summary)
	}
}

// TestCostWithoutAPriceIsAnError: a cost check on a model the config gives
// no price is an error of its case naming the fix, as promptfoo errors,
// not a pass at $0; on a priced model it is checked.
func TestCostWithoutAPriceIsAnError(t *testing.T) {
	e := setup(t, modelserver.Options{}, 1)
	ctx := context.Background()
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{"local": {BaseURL: e.srv.URL()}}})
	reg.SetBaseURL("demo", e.srv.URL())
	eng := runner.New(e.st, reg)
	su := e.su
	su.Cases[0].Assertions = []store.Assertion{{Type: "cost", Threshold: new(0.01)}}
	su, _ = e.st.SaveSuite(ctx, "sentiment", su)
	out, err := eng.Run(ctx, runner.Plan{Suite: su, Versions: e.vers[1:], Models: []string{"demo/demo-small", "local/demo-small"}}, runner.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		want := ""
		if r.Model == "local/demo-small" {
			want = "cost assertion: cost is not known: no price is configured for local/demo-small (set prices in the config file; a free model: price: {input: 0, output: 0})"
		}
		if r.Error != want || r.Pass != (want == "") {
			t.Errorf("%s: pass %v, error %q", r.Model, r.Pass, r.Error)
		}
	}
}
