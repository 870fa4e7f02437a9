// Package runner runs evaluations: versions x models x cases x repeats,
// with a concurrency limit, retries, a response cache, cancellation and
// resume. Results are persisted as they complete by one writer goroutine
// that batches them into transactions, so a killed process keeps every
// committed result and Resume runs only what is missing. Progress and
// streamed tokens go to Options.OnEvent (see Feed for a batching consumer).
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// DefaultConcurrency is the number of calls in flight when none is given.
const DefaultConcurrency = 8

// MaxCalls is the most results one run may have: Start refuses a bigger
// plan before creating the run (its tasks alone would take gigabytes).
const MaxCalls = 1_000_000

// Plan is what to run.
type Plan struct {
	Suite    store.Suite // with its cases; Suite.Prompt names the prompt
	Versions []store.Version
	// Models are "provider/model" references (a bare name is a model of
	// the default provider). Empty: each version runs on the model of its
	// own config.
	Models []string
	Repeat int // default 1
}

// Options tune a run.
type Options struct {
	Concurrency int  // calls in flight, default 8
	NoCache     bool // neither read nor write the response cache
	Stream      bool // stream outputs (Token events)
	Policy      provider.Policy
	// OnEvent receives progress events from the run's goroutines: it must
	// be safe for concurrent use and return quickly (Feed.Push is).
	OnEvent func(Event)
	// BreakAfter stops the run when this many calls in a row fail the
	// same way (see breaker.go); 0 = the default (8, fewer for small
	// runs), -1 = never.
	BreakAfter int
	// BatchSize and FlushEvery tune the result writer (default 100, 50ms).
	BatchSize  int
	FlushEvery time.Duration
}

// Engine runs evaluations against a store with a provider registry.
type Engine struct {
	Store     *store.Store
	Providers *provider.Registry
	// Models serve llm-rubric and similar; New sets them from Providers.
	Models assert.Models
}

// New returns an engine.
func New(st *store.Store, reg *provider.Registry) *Engine {
	return &Engine{Store: st, Providers: reg, Models: assert.ProviderModels(reg, provider.Policy{})}
}

// Outcome is a finished (or cancelled) run with all its results.
type Outcome struct {
	Run     store.Run
	Results []store.Result
	Summary report.Summary
}

// Handle is a run in progress.
type Handle struct {
	ID      int64
	Total   int             // results the run will have
	Columns []report.Column // (version, model) pairs, in order
	Cases   []store.Case
	cancel  context.CancelFunc
	done    chan struct{}
	out     Outcome
	err     error
}

// Cancel stops the run: no new calls, calls in flight are cancelled, every
// finished result is kept and the run is marked cancelled.
func (h *Handle) Cancel() { h.cancel() }

// Done is closed when the run has ended and its status is saved.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Wait waits for the end of the run.
func (h *Handle) Wait() (Outcome, error) {
	<-h.done
	return h.out, h.err
}

// settings are stored with the run: enough to resume it.
type settings struct {
	Concurrency int             `json:"concurrency"`
	NoCache     bool            `json:"no_cache"`
	Stream      bool            `json:"stream,omitempty"`
	Columns     []report.Column `json:"columns"`
	TimeoutMS   int64           `json:"timeout_ms,omitempty"`
}

// Columns resolves a plan's (version, model) pairs.
func (e *Engine) Columns(p Plan) ([]report.Column, error) {
	var cols []report.Column
	for _, v := range p.Versions {
		models := p.Models
		if len(models) == 0 {
			if v.Config.Model == "" {
				return nil, fmt.Errorf("%s@%d has no model in its config: pass --model provider/model (e.g. demo/demo-large)", v.Prompt, v.Number)
			}
			models = []string{v.Config.Model}
		}
		for _, m := range models {
			c := report.Column{Version: v.Number, Model: e.Providers.Canonical(m)}
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	for _, c := range cols {
		pname, _ := e.Providers.Split(c.Model)
		pr, err := e.Providers.Provider(pname)
		if err != nil {
			return nil, err
		}
		if err := pr.CheckKey(); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// Start creates the run and runs it in the background. Errors in the plan
// (no cases, unknown provider, no model) are returned before anything is
// stored.
func (e *Engine) Start(ctx context.Context, p Plan, o Options) (*Handle, error) {
	if len(p.Versions) == 0 {
		return nil, errors.New("nothing to run: no versions")
	}
	if len(p.Suite.Cases) == 0 {
		return nil, fmt.Errorf("suite %q of %s has no cases: import some with `verso suite import %s FILE`", p.Suite.Name, p.Suite.Prompt, p.Suite.Prompt)
	}
	if p.Repeat < 1 {
		p.Repeat = 1
	}
	o = o.withDefaults()
	cols, err := e.Columns(p)
	if err != nil {
		return nil, err
	}
	prompt := p.Suite.Prompt
	if prompt == "" {
		prompt = p.Versions[0].Prompt
	}
	set := settings{Concurrency: o.Concurrency, NoCache: o.NoCache, Stream: o.Stream, Columns: cols, TimeoutMS: o.Policy.Timeout.Milliseconds()}
	sj, _ := json.Marshal(set)
	var vers []int
	var models []string
	for _, c := range cols {
		if !slices.Contains(vers, c.Version) {
			vers = append(vers, c.Version)
		}
		if !slices.Contains(models, c.Model) {
			models = append(models, c.Model)
		}
	}
	total := len(cols) * len(p.Suite.Cases) * p.Repeat
	if total > MaxCalls || p.Repeat > MaxCalls {
		return nil, fmt.Errorf("a run of %d versions x models, %d cases and %d repeats is more than %d calls: split it", len(cols), len(p.Suite.Cases), p.Repeat, MaxCalls)
	}
	run, err := e.Store.CreateRun(ctx, store.Run{Prompt: prompt, Suite: p.Suite.Name, SuiteID: p.Suite.ID, Versions: vers,
		Models: models, Repeat: p.Repeat, Settings: sj, Total: total, SuiteHash: store.HashSuite(p.Suite)})
	if err != nil {
		return nil, err
	}
	byNum := map[int]store.Version{}
	for _, v := range p.Versions {
		byNum[v.Number] = v
	}
	return e.launch(ctx, run, cols, byNum, p.Suite, nil, o), nil
}

// Run starts a run and waits for it.
func (e *Engine) Run(ctx context.Context, p Plan, o Options) (Outcome, error) {
	h, err := e.Start(ctx, p, o)
	if err != nil {
		return Outcome{}, err
	}
	return h.Wait()
}

// Resume runs what a run is missing: results that were never saved (the
// run was cancelled or killed) and results that ended in an error. Options
// left zero take the run's own settings.
func (e *Engine) Resume(ctx context.Context, runID int64, o Options) (*Handle, error) {
	run, err := e.Store.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	var set settings
	if err := json.Unmarshal(run.Settings, &set); err != nil || len(set.Columns) == 0 {
		return nil, fmt.Errorf("run %d was not made by this engine and cannot be resumed", runID)
	}
	if o.Concurrency == 0 {
		o.Concurrency = set.Concurrency
	}
	o.NoCache = o.NoCache || set.NoCache
	if o.Policy.Timeout == 0 && set.TimeoutMS > 0 {
		o.Policy.Timeout = time.Duration(set.TimeoutMS) * time.Millisecond
	}
	o = o.withDefaults()
	su, err := e.Store.Suite(ctx, run.Prompt, run.Suite)
	if err != nil {
		return nil, fmt.Errorf("resume run %d: %w", runID, err)
	}
	byNum := map[int]store.Version{}
	for _, c := range set.Columns {
		if _, ok := byNum[c.Version]; ok {
			continue
		}
		v, err := e.Store.Version(ctx, run.Prompt, c.Version)
		if err != nil {
			return nil, fmt.Errorf("resume run %d: %w", runID, err)
		}
		byNum[c.Version] = v
		pname, _ := e.Providers.Split(c.Model)
		if _, err := e.Providers.Provider(pname); err != nil {
			return nil, fmt.Errorf("resume run %d: %w", runID, err)
		}
	}
	prev, err := e.Store.Results(ctx, runID)
	if err != nil {
		return nil, err
	}
	if err := e.Store.FinishRun(ctx, runID, store.RunRunning, run.Summary); err != nil {
		return nil, err
	}
	run.Status, run.FinishedAt = store.RunRunning, nil
	run.Total = len(set.Columns) * len(su.Cases) * max(1, run.Repeat)
	return e.launch(ctx, run, set.Columns, byNum, su, prev, o), nil
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 50 * time.Millisecond
	}
	return o
}

// task is one result to produce.
type task struct {
	key  Key
	ver  store.Version
	cas  *store.Case
	msgs []store.Message
	rerr error // rendering failed: an error result without a call

	// Filled by the dispatcher: the provider, request, cache key and the
	// cached answer, if any.
	prov   *provider.Provider
	model  string
	req    openai.ChatCompletionRequest
	ckey   string
	cached *store.CachedResponse
	perr   error
}

// exec is one running run.
type exec struct {
	e     *Engine
	o     Options
	run   store.Run
	suite store.Suite
	start time.Time

	brk *breaker

	mu      sync.Mutex
	prog    Progress
	results []store.Result

	// rendered caches rendered messages per (version, case) for the
	// dispatcher: models and repeats share them.
	rendered map[[2]int64]rendering
}

type rendering struct {
	msgs []store.Message
	err  error
}

func (e *Engine) launch(ctx context.Context, run store.Run, cols []report.Column, vers map[int]store.Version, su store.Suite, prev []store.Result, o Options) *Handle {
	rctx, cancel := context.WithCancel(ctx)
	h := &Handle{ID: run.ID, Total: run.Total, Columns: cols, Cases: su.Cases, cancel: cancel, done: make(chan struct{})}
	x := &exec{e: e, o: o, run: run, suite: su, start: time.Now()}
	x.prog.Total = run.Total
	x.prog.Status = store.RunRunning

	have := map[Key]bool{}
	for _, r := range prev {
		if r.Error != "" {
			continue
		}
		have[Key{r.Version, r.Model, r.CaseID, r.Repeat}] = true
		x.count(r, false)
	}
	var tasks []task
	for _, c := range cols {
		v := vers[c.Version]
		for i := range su.Cases {
			cs := &su.Cases[i]
			for rep := range max(1, run.Repeat) {
				k := Key{c.Version, c.Model, cs.ID, rep}
				if !have[k] {
					tasks = append(tasks, task{key: k, ver: v, cas: cs})
				}
			}
		}
	}
	for _, r := range prev {
		if r.Error == "" {
			x.results = append(x.results, r)
		}
	}
	go func() {
		defer cancel()
		h.out, h.err = x.execute(rctx, ctx, cancel, tasks, cols)
		close(h.done)
	}()
	return h
}

// count adds a result to the progress (caller holds mu or owns x).
func (x *exec) count(r store.Result, live bool) {
	x.prog.Done++
	switch {
	case r.Error != "":
		x.prog.Errors++
	case r.Pass:
		x.prog.Passed++
	default:
		x.prog.Failed++
	}
	if r.Cached {
		x.prog.Cached++
	}
	if live && !r.Cached {
		x.prog.Spent += r.Cost
		if r.UsageUnknown {
			x.prog.UsageUnknown++
		}
	}
}

func (x *exec) emit(ev Event) {
	if x.o.OnEvent == nil {
		return
	}
	ev.RunID = x.run.ID
	x.mu.Lock()
	x.prog.Elapsed = time.Since(x.start)
	ev.Progress = x.prog
	x.mu.Unlock()
	x.o.OnEvent(ev)
}

func (x *exec) execute(ctx, parent context.Context, stop context.CancelFunc, tasks []task, cols []report.Column) (Outcome, error) {
	w := newWriter(x.e.Store, x.o.BatchSize, x.o.FlushEvery, stop)
	x.brk = newBreaker(len(tasks), x.o.BreakAfter, stop)
	ch := make(chan *task)
	go func() {
		defer close(ch)
		for i := range tasks {
			if ctx.Err() != nil {
				return
			}
			x.prepare(ctx, &tasks[i])
			select {
			case ch <- &tasks[i]:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	completed := 0
	var cmu sync.Mutex
	for range min(x.o.Concurrency, max(1, len(tasks))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range ch {
				if ctx.Err() != nil {
					continue
				}
				r, ce, ok := x.do(ctx, t)
				if !ok {
					continue
				}
				w.add(r, ce)
				cmu.Lock()
				completed++
				cmu.Unlock()
				x.mu.Lock()
				x.count(r, true)
				x.results = append(x.results, r)
				x.mu.Unlock()
				kind := Finished
				if r.Error != "" {
					kind = Failed
				}
				x.emit(Event{Kind: kind, Key: t.key, Case: t.cas.Name, Result: &r})
			}
		}()
	}
	wg.Wait()
	werr := w.close()

	status := store.RunDone
	switch {
	case werr != nil:
		status = store.RunFailed
	case completed < len(tasks):
		status = store.RunCancelled
	}
	stopped := x.brk.err()
	if status != store.RunCancelled {
		stopped = nil
	}
	// The run's end is saved even when ctx was cancelled.
	bg := context.WithoutCancel(parent)
	results := x.sorted()
	sum := report.Summarize(results, cols, x.run.Total)
	sum.Duration = time.Since(x.start).Seconds()
	ferr := x.e.Store.FinishRun(bg, x.run.ID, status, sum.JSON())
	run, _ := x.e.Store.Run(bg, x.run.ID)
	x.mu.Lock()
	x.prog.Status = status
	if stopped != nil {
		x.prog.Stopped = stopped.Error()
	}
	x.mu.Unlock()
	x.emit(Event{Kind: Done})
	out := Outcome{Run: run, Results: results, Summary: sum}
	switch {
	case stopped != nil:
		return out, stopped
	case werr != nil:
		return out, fmt.Errorf("run %d: saving results: %w", x.run.ID, werr)
	case ferr != nil:
		return out, ferr
	}
	return out, nil
}

// sorted returns the run's results in the store's order: version, model,
// case position, repeat.
func (x *exec) sorted() []store.Result {
	pos := make(map[int64]int, len(x.suite.Cases))
	for i, c := range x.suite.Cases {
		pos[c.ID] = i
	}
	x.mu.Lock()
	rs := slices.Clone(x.results)
	x.mu.Unlock()
	slices.SortFunc(rs, func(a, b store.Result) int {
		if a.Version != b.Version {
			return a.Version - b.Version
		}
		if a.Model != b.Model {
			return strings.Compare(a.Model, b.Model)
		}
		pa, oka := pos[a.CaseID]
		pb, okb := pos[b.CaseID]
		if !oka {
			pa = 1 << 30
		}
		if !okb {
			pb = 1 << 30
		}
		if pa != pb {
			return pa - pb
		}
		if a.CaseID != b.CaseID {
			return int(a.CaseID - b.CaseID)
		}
		return a.Repeat - b.Repeat
	})
	return rs
}

// do produces one result. ok is false when the run was cancelled before
// the result was known: it is left for Resume.
func (x *exec) do(ctx context.Context, t *task) (store.Result, *store.CachedResponse, bool) {
	r := store.Result{RunID: x.run.ID, Version: t.key.Version, Model: t.key.Model, CaseID: t.cas.ID, CaseName: t.cas.Name, Repeat: t.key.Repeat}
	if t.rerr != nil {
		r.Error = t.rerr.Error()
		return r, nil, true
	}
	if t.perr != nil {
		r.Error = t.perr.Error()
		return r, nil, true
	}
	p, mname, req, key := t.prov, t.model, t.req, t.ckey
	var resp provider.Response
	var err error
	cached := t.cached != nil
	if cached {
		c := t.cached
		resp = provider.Response{Output: c.Output, TokensIn: c.TokensIn, TokensOut: c.TokensOut, Latency: time.Duration(c.LatencyMS) * time.Millisecond,
			FinishReason: c.FinishReason, UsageUnknown: c.UsageUnknown}
	} else {
		x.mu.Lock()
		x.prog.InFlight++
		x.mu.Unlock()
		x.emit(Event{Kind: Started, Key: t.key, Case: t.cas.Name})
		var onTok func(string)
		if x.o.Stream && x.o.OnEvent != nil {
			onTok = func(s string) { x.emit(Event{Kind: Token, Key: t.key, Case: t.cas.Name, Text: s}) }
		}
		resp, err = provider.Do(ctx, x.o.Policy, func(ctx context.Context) (provider.Response, error) {
			return p.Chat(ctx, req, onTok)
		}, func(rt provider.Retry) {
			if rt.Wait >= longWait {
				x.brk.observe(x.run.ID, rt.Err)
			}
			x.mu.Lock()
			x.prog.Retries++
			x.mu.Unlock()
			x.emit(Event{Kind: Retried, Key: t.key, Case: t.cas.Name, Text: provider.Describe(rt.Err), Attempt: rt.Attempt, Wait: rt.Wait})
		})
		x.mu.Lock()
		x.prog.InFlight--
		x.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return r, nil, false
			}
			x.brk.observe(x.run.ID, err)
			var ae *provider.AttemptsError
			if errors.As(err, &ae) {
				r.Error = err.Error()
			} else {
				r.Error = provider.Describe(err)
			}
			return r, nil, true
		}
	}
	if !cached {
		x.brk.observe(x.run.ID, nil)
	}
	r.Output = resp.Output
	r.TokensIn, r.TokensOut = resp.TokensIn, resp.TokensOut
	r.LatencyMS = resp.Latency.Milliseconds()
	r.Cost = p.Cost(mname, resp.TokensIn, resp.TokensOut)
	r.FinishReason, r.UsageUnknown = resp.FinishReason, resp.UsageUnknown
	if r.UsageUnknown {
		r.Cost = 0 // unknown: reports say so instead of a price
	}
	r.Cached = cached
	th := x.suite.Threshold
	if t.cas.Threshold != nil {
		th = *t.cas.Threshold
	}
	o := assert.Evaluate(ctx, t.cas.Assertions, th, assert.Input{Output: r.Output, Vars: t.cas.Vars, Expected: t.cas.Expected,
		LatencyMS: r.LatencyMS, Cost: r.Cost, Model: t.key.Model}, x.e.Models)
	if ctx.Err() != nil && needsModel(t.cas.Assertions) {
		// A grader call was cut short: the verdict is not known.
		return r, nil, false
	}
	r.Assertions, r.Score, r.Pass = o.Results, o.Score, o.Pass
	var ce *store.CachedResponse
	if !cached && !x.o.NoCache {
		ce = &store.CachedResponse{Key: key, Output: resp.Output, TokensIn: resp.TokensIn, TokensOut: resp.TokensOut, LatencyMS: r.LatencyMS,
			FinishReason: resp.FinishReason, UsageUnknown: resp.UsageUnknown}
	}
	return r, ce, true
}

// prepare builds a task's request and looks its answer up in the cache.
// The dispatcher does it, one task after another: cache reads then share
// one database connection instead of opening one per worker.
func (x *exec) prepare(ctx context.Context, t *task) {
	rk := [2]int64{int64(t.key.Version), t.cas.ID}
	rd, ok := x.rendered[rk]
	if !ok {
		rd.msgs, rd.err = prompt.Render(t.ver, t.cas.Vars)
		if x.rendered == nil {
			x.rendered = map[[2]int64]rendering{}
		}
		x.rendered[rk] = rd
	}
	t.msgs, t.rerr = rd.msgs, rd.err
	if t.rerr != nil {
		return
	}
	reg := x.e.Providers
	pname, mname := reg.Split(t.key.Model)
	p, err := reg.Provider(pname)
	if err != nil {
		t.perr = err
		return
	}
	t.prov, t.model = p, mname
	t.req = provider.Request(mname, t.msgs, t.ver.Config)
	t.ckey = provider.CacheKey(p.CacheID, t.req, t.key.Repeat)
	if !x.o.NoCache {
		if c, ok, err := x.e.Store.CacheGet(ctx, t.ckey); err == nil && ok {
			t.cached = &c
		}
	}
}

func needsModel(as []store.Assertion) bool {
	for _, a := range as {
		if assert.NeedsModel(a.Type) {
			return true
		}
	}
	return false
}
