// Package runner runs evaluations: versions x models x cases x repeats,
// with a concurrency limit, retries, a response cache, cancellation and
// resume. Results are persisted as they complete by one writer goroutine
// that batches them into transactions; a result is reported finished (its
// event, the progress, the outcome) only once it is committed, so a killed
// process keeps every result it reported and Resume runs only what is
// missing. A run holds a lease on its row (owner and heartbeat) while it
// works: a second Resume of a live run is refused. Progress and streamed
// tokens go to Options.OnEvent and to every subscriber of the Run (see
// Run.Subscribe and Feed).
package runner

import (
	"cmp"
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

// Engine runs evaluations against a store with a provider registry. It
// keeps the runs in flight in this process (Live).
type Engine struct {
	Store     *store.Store
	Providers *provider.Registry
	// Models serve llm-rubric and similar; New sets them from Providers.
	Models assert.Models

	// owner is this engine's lease owner id on the runs it runs.
	owner string
	mu    sync.Mutex
	live  map[int64]*Run
}

// New returns an engine.
func New(st *store.Store, reg *provider.Registry) *Engine {
	return &Engine{Store: st, Providers: reg, Models: assert.ProviderModels(reg, provider.Policy{})}
}

// Live returns run id when it is in flight in this engine, else nil.
func (e *Engine) Live(id int64) *Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live[id]
}

// Running lists the runs this engine is executing now, oldest first (a UI
// asks before quitting with any).
func (e *Engine) Running() []*Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Run, 0, len(e.live))
	for _, h := range e.live {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *Run) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (e *Engine) ownerID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.owner == "" {
		e.owner = store.NewOwner()
	}
	return e.owner
}

// SuiteChangedError: a run cannot be resumed because its suite is no longer
// the suite it was made on (replaced, edited or deleted cases).
type SuiteChangedError struct {
	RunID  int64
	Prompt string
	Suite  string
}

func (e *SuiteChangedError) Error() string {
	return fmt.Sprintf("run %d cannot be resumed: suite %q of %s has changed since the run started, and its results would mix two suites", e.RunID, e.Suite, e.Prompt)
}

// ErrRunning: Resume of a run that is in flight in this process.
var ErrRunning = errors.New("the run is in progress")

// Outcome is a finished (or cancelled) run with all its results.
type Outcome struct {
	Run     store.Run
	Results []store.Result
	Summary report.Summary
}

// Run is a run in progress. Any number of UIs subscribe to it.
type Run struct {
	ID      int64
	Total   int             // results the run will have
	Columns []report.Column // (version, model) pairs, in order
	Cases   []store.Case
	cancel  context.CancelFunc
	done    chan struct{}
	out     Outcome
	err     error

	// mu guards the progress, the reported results and the subscribers:
	// a subscriber gets the results so far and every later event, with
	// nothing missed or repeated.
	mu      sync.Mutex
	prog    Progress
	results []store.Result
	subs    []*Feed
	ended   bool
}

// Snapshot is a run's state when a subscriber attached.
type Snapshot struct {
	Results  []store.Result // reported (saved) results so far, resumes included
	Progress Progress
	Ended    bool // the run had ended: the feed gets no events
}

// Subscribe attaches a new feed of the run's events and returns the state
// so far. The feed's Next returns false after the Done event; unsubscribe
// detaches the feed early (its Next then returns false). Safe from any
// goroutine.
func (h *Run) Subscribe() (snap Snapshot, feed *Feed, unsubscribe func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := NewFeed()
	snap = Snapshot{Results: slices.Clone(h.results), Progress: h.prog, Ended: h.ended}
	if h.ended {
		f.Close()
	} else {
		h.subs = append(h.subs, f)
	}
	return snap, f, func() {
		h.mu.Lock()
		h.subs = slices.DeleteFunc(h.subs, func(x *Feed) bool { return x == f })
		h.mu.Unlock()
		f.Close()
	}
}

// Progress is the run's progress now.
func (h *Run) Progress() Progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.prog
}

// Cancel stops the run: no new calls, calls in flight are cancelled, every
// finished result is kept and the run is marked cancelled.
func (h *Run) Cancel() { h.cancel() }

// Done is closed when the run has ended and its status is saved.
func (h *Run) Done() <-chan struct{} { return h.done }

// Wait waits for the end of the run.
func (h *Run) Wait() (Outcome, error) {
	<-h.done
	return h.out, h.err
}

// settings are stored with the run: enough to resume it. ReadSpec reads
// them.
type settings struct {
	Concurrency int             `json:"concurrency"`
	NoCache     bool            `json:"no_cache"`
	Stream      bool            `json:"stream,omitempty"`
	Columns     []report.Column `json:"columns"`
	TimeoutMS   int64           `json:"timeout_ms,omitempty"`
}

// NoModelError is a version to run without a model: its config names none
// and the plan gives none. Each surface says how to choose one.
type NoModelError struct {
	Prompt  string
	Version int
}

func (e *NoModelError) Error() string {
	return fmt.Sprintf("%s@%d has no model in its config", e.Prompt, e.Version)
}

// EmptySuiteError is a plan whose suite has no cases to run.
type EmptySuiteError struct{ Prompt, Suite string }

func (e *EmptySuiteError) Error() string {
	return fmt.Sprintf("suite %q of %s has no cases", e.Suite, e.Prompt)
}

// Columns resolves a plan's (version, model) pairs.
func (e *Engine) Columns(p Plan) ([]report.Column, error) {
	var cols []report.Column
	for _, v := range p.Versions {
		models := p.Models
		if len(models) == 0 {
			if v.Config.Model == "" {
				return nil, &NoModelError{Prompt: v.Prompt, Version: v.Number}
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
func (e *Engine) Start(ctx context.Context, p Plan, o Options) (*Run, error) {
	if len(p.Versions) == 0 {
		return nil, errors.New("nothing to run: no versions")
	}
	if len(p.Suite.Cases) == 0 {
		return nil, &EmptySuiteError{Prompt: p.Suite.Prompt, Suite: p.Suite.Name}
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
	if err := checkComparisons(p.Suite, prompt, len(cols)); err != nil {
		return nil, err
	}
	total := len(cols) * len(p.Suite.Cases) * p.Repeat
	if total > MaxCalls || p.Repeat > MaxCalls {
		return nil, fmt.Errorf("a run of %d versions x models, %d cases and %d repeats is more than %d calls: split it", len(cols), len(p.Suite.Cases), p.Repeat, MaxCalls)
	}
	run, err := e.Store.CreateRun(ctx, store.Run{Prompt: prompt, Suite: p.Suite.Name, SuiteID: p.Suite.ID, Versions: vers,
		Models: models, Repeat: p.Repeat, Settings: sj, Total: total, Owner: e.ownerID(), SuiteHash: suiteHash(p.Suite)})
	if err != nil {
		return nil, err
	}
	byNum := map[int]store.Version{}
	for _, v := range p.Versions {
		byNum[v.Number] = v
	}
	return e.launch(ctx, run, cols, byNum, p.Suite, nil, o), nil
}

// suiteHash is the hash the store kept with the suite, or HashSuite of it
// (a suite not read from the store, or changed since it was saved).
func suiteHash(su store.Suite) string {
	if su.Hash != "" {
		return su.Hash
	}
	return store.HashSuite(su)
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
// left zero take the run's own settings. It refuses a run in flight here
// (ErrRunning) or in another live process (store.ErrRunLive), and a run
// whose suite has changed since it started (*SuiteChangedError).
func (e *Engine) Resume(ctx context.Context, runID int64, o Options) (*Run, error) {
	if e.Live(runID) != nil {
		return nil, fmt.Errorf("resume run %d: %w", runID, ErrRunning)
	}
	run, err := e.Store.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	spec, err := ReadSpec(run)
	if err != nil {
		return nil, err
	}
	if o.Concurrency == 0 {
		o.Concurrency = spec.Concurrency
	}
	o.NoCache = o.NoCache || spec.NoCache
	if o.Policy.Timeout == 0 && spec.Timeout > 0 {
		o.Policy.Timeout = spec.Timeout
	}
	o = o.withDefaults()
	su, err := e.Store.Suite(ctx, run.Prompt, run.Suite)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &SuiteChangedError{RunID: runID, Prompt: run.Prompt, Suite: run.Suite}
	}
	if err != nil {
		return nil, fmt.Errorf("resume run %d: %w", runID, err)
	}
	changed := run.SuiteHash != suiteHash(su)
	if run.SuiteHash == "" {
		// A run from before suite hashes: the suite must not have been
		// saved since the run started.
		changed = su.UpdatedAt.After(run.StartedAt)
	}
	if changed {
		return nil, &SuiteChangedError{RunID: runID, Prompt: run.Prompt, Suite: run.Suite}
	}
	byNum := map[int]store.Version{}
	for _, c := range spec.Columns {
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
	ids := map[int64]bool{}
	for _, c := range su.Cases {
		ids[c.ID] = true
	}
	for _, r := range prev {
		if !ids[r.CaseID] {
			// Same content, new cases (the suite was saved again): the
			// saved results belong to cases that are gone.
			return nil, &SuiteChangedError{RunID: runID, Prompt: run.Prompt, Suite: run.Suite}
		}
	}
	claimed, err := e.Store.ClaimRun(ctx, runID, e.ownerID())
	if err != nil {
		return nil, fmt.Errorf("resume run %d: %w", runID, err)
	}
	run.Status, run.FinishedAt, run.Owner, run.Heartbeat = claimed.Status, nil, claimed.Owner, claimed.Heartbeat
	run.Total = len(spec.Columns) * len(su.Cases) * max(1, run.Repeat)
	return e.launch(ctx, run, spec.Columns, byNum, su, prev, o), nil
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

// exec is one running run. Its progress and reported results live on the
// Run (h), under h.mu.
type exec struct {
	e     *Engine
	o     Options
	h     *Run
	run   store.Run
	suite store.Suite
	start time.Time

	brk *breaker
	// groups are the open comparison groups (compare.go).
	groups *groups
	// earlier are the results a resumed run found saved: their cost was
	// spent by the process that made them.
	earlier map[Key]bool

	// rendered caches rendered messages per (version, case) for the
	// dispatcher: models and repeats share them.
	rendered map[[2]int64]rendering
}

type rendering struct {
	msgs []store.Message
	err  error
}

func (e *Engine) launch(ctx context.Context, run store.Run, cols []report.Column, vers map[int]store.Version, su store.Suite, prev []store.Result, o Options) *Run {
	rctx, cancel := context.WithCancel(ctx)
	h := &Run{ID: run.ID, Total: run.Total, Columns: cols, Cases: su.Cases, cancel: cancel, done: make(chan struct{})}
	x := &exec{e: e, o: o, h: h, run: run, suite: su, start: time.Now()}
	x.groups = newGroups(cols, &x.suite)
	h.prog.Total = run.Total
	h.prog.Status = store.RunRunning

	have := map[Key]bool{}
	x.earlier = have
	var kept []store.Result
	for _, r := range prev {
		if r.Error != "" {
			continue
		}
		have[Key{r.Version, r.Model, r.CaseID, r.Repeat}] = true
		kept = append(kept, r)
	}
	// Results of comparison groups that are decided again are reported
	// once decided.
	for _, r := range x.groups.resumed(kept) {
		x.count(r, false)
		h.results = append(h.results, r)
	}
	// Sized once: a task is large (the version and the request), and
	// growing the slice copied them all several times at start.
	tasks := make([]task, 0, max(run.Total-len(have), 0))
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
	e.mu.Lock()
	if e.live == nil {
		e.live = map[int64]*Run{}
	}
	e.live[run.ID] = h
	e.mu.Unlock()
	go func() {
		defer cancel()
		h.out, h.err = x.execute(rctx, ctx, cancel, tasks, cols)
		e.mu.Lock()
		delete(e.live, run.ID)
		e.mu.Unlock()
		close(h.done)
	}()
	return h
}

// count adds a result to the progress (caller holds h.mu or owns x).
func (x *exec) count(r store.Result, live bool) {
	p := &x.h.prog
	p.Done++
	switch {
	case r.Error != "":
		p.Errors++
	case r.Pass:
		p.Passed++
	default:
		p.Failed++
	}
	if r.Cached {
		p.Cached++
	}
	if live && !r.Cached {
		p.Spent += r.Cost
		if r.UsageUnknown {
			p.UsageUnknown++
		}
	}
}

// update changes the progress under the lock.
func (x *exec) update(f func(p *Progress)) {
	x.h.mu.Lock()
	f(&x.h.prog)
	x.h.mu.Unlock()
}

// emit sends an event with the progress to the subscribers and OnEvent.
func (x *exec) emit(ev Event) { x.emitAfter(ev, nil) }

// emitAfter applies f to the run's state and sends the event, atomically
// for subscribers.
func (x *exec) emitAfter(ev Event, f func()) {
	ev.RunID = x.run.ID
	h := x.h
	h.mu.Lock()
	if f != nil {
		f()
	}
	h.prog.Elapsed = time.Since(x.start)
	ev.Progress = h.prog
	if ev.Kind == Done {
		h.ended = true
	}
	for _, s := range h.subs {
		s.Push(ev)
	}
	if ev.Kind == Done {
		h.subs = nil
	}
	h.mu.Unlock()
	if x.o.OnEvent != nil {
		x.o.OnEvent(ev)
	}
}

// saved reports results once they are committed: counted, kept for the
// outcome, sent as Finished or Failed events.
func (x *exec) saved(rs []store.Result) {
	for i := range rs {
		r := rs[i]
		kind := Finished
		if r.Error != "" {
			kind = Failed
		}
		k := Key{r.Version, r.Model, r.CaseID, r.Repeat}
		x.emitAfter(Event{Kind: kind, Key: k, Case: r.CaseName, Result: &r}, func() {
			x.count(r, !x.earlier[k])
			x.h.results = append(x.h.results, r)
		})
	}
}

// heartbeat renews the run's lease until ctx ends. A lost lease (another
// process claimed the run while this one looked gone) stops the run: two
// processes must not pay for the same calls.
func (x *exec) heartbeat(ctx context.Context, stop context.CancelFunc) {
	t := time.NewTicker(store.LeaseHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := x.e.Store.Heartbeat(ctx, x.run.ID, x.run.Owner); errors.Is(err, store.ErrLeaseLost) {
				stop()
				return
			}
		}
	}
}

func (x *exec) execute(ctx, parent context.Context, stop context.CancelFunc, tasks []task, cols []report.Column) (Outcome, error) {
	w := newWriter(x.e.Store, x.o.BatchSize, x.o.FlushEvery, stop, x.saved)
	x.brk = newBreaker(len(tasks), x.o.BreakAfter, stop)
	hctx, hstop := context.WithCancel(ctx)
	defer hstop()
	if x.run.Owner != "" {
		go x.heartbeat(hctx, stop)
	}
	// Buffered: the dispatcher prepares the next calls (render, request,
	// cache lookup) while the workers wait on the network, so a worker that
	// frees up starts its next call at once.
	// Comparison groups a resumed run completes without a call.
	for k, m := range x.groups.complete() {
		x.decide(ctx, w, k, m)
	}
	ch := make(chan *task, x.o.Concurrency)
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
				// Reported by the writer once saved (x.saved); an output
				// whose comparisons wait for its case's other outputs is
				// reported when its group is decided.
				if x.groups.compares(r.CaseID) {
					if r.Error != "" {
						w.add(r, ce)
					} else {
						w.hold(r, ce)
					}
					if k, m, ok := x.groups.add(r); ok {
						x.decide(ctx, w, k, m)
					}
				} else {
					w.add(r, ce)
				}
				cmu.Lock()
				completed++
				cmu.Unlock()
			}
		}()
	}
	wg.Wait()
	werr := w.close()
	hstop()

	status := store.RunDone
	switch {
	case werr != nil:
		status = store.RunFailed
	case completed < len(tasks), x.groups.pending() > 0:
		// Resume runs what is missing and decides the open groups.
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
	sum.SkippedAtImport = x.suite.Skipped
	ferr := x.e.Store.FinishRun(bg, x.run.ID, status, sum.JSON())
	run, _ := x.e.Store.Run(bg, x.run.ID)
	x.emitAfter(Event{Kind: Done}, func() {
		x.h.prog.Status = status
		if stopped != nil {
			x.h.prog.Stopped = stopped.Error()
		}
	})
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
	x.h.mu.Lock()
	rs := slices.Clone(x.h.results)
	x.h.mu.Unlock()
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
		x.emitAfter(Event{Kind: Started, Key: t.key, Case: t.cas.Name}, func() { x.h.prog.InFlight++ })
		var onTok func(string)
		if x.o.Stream {
			onTok = func(s string) { x.emit(Event{Kind: Token, Key: t.key, Case: t.cas.Name, Text: s}) }
		}
		resp, err = provider.Do(ctx, x.o.Policy, func(ctx context.Context) (provider.Response, error) {
			return p.Chat(ctx, req, onTok)
		}, func(rt provider.Retry) {
			if rt.Wait >= longWait {
				x.brk.observe(x.run.ID, rt.Err)
			}
			x.emitAfter(Event{Kind: Retried, Key: t.key, Case: t.cas.Name, Text: provider.Describe(rt.Err), Attempt: rt.Attempt, Wait: rt.Wait},
				func() { x.h.prog.Retries++ })
		})
		x.update(func(p *Progress) { p.InFlight-- })
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
	o := assert.Evaluate(ctx, t.cas.Assertions, x.threshold(t.cas), assert.Input{Output: r.Output, Vars: t.cas.Vars, Expected: t.cas.Expected,
		LatencyMS: r.LatencyMS, Cost: r.Cost, CostUnknown: costUnknown(p, mname, r.UsageUnknown), Model: t.key.Model, Prompt: assert.PromptText(t.msgs), Tools: t.ver.Config.Tools,
		FinishReason: r.FinishReason}, x.e.Models)
	if ctx.Err() != nil && needsModel(t.cas.Assertions) {
		// A grader call was cut short: the verdict is not known.
		return r, nil, false
	}
	r.Assertions, r.Score, r.Pass = o.Results, o.Score, o.Pass
	if o.Error != "" {
		// An assertion gave no verdict (a script stopped at its limit):
		// the case is an error, and the run goes on.
		r.Error = o.Error
	}
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
	if !x.o.NoCache {
		// The key hashes the whole request: only a run that reads or
		// writes the cache needs it.
		t.ckey = provider.CacheKey(p.CacheID, t.req, t.key.Repeat)
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

// costUnknown says why a call's cost is not known ("" when it is): the
// server reported no usage, or the config has no price for the model.
func costUnknown(p *provider.Provider, model string, usageUnknown bool) string {
	switch {
	case usageUnknown:
		return "the server reported no token usage"
	case !p.PriceKnown(model):
		return fmt.Sprintf("no price is configured for %s/%s (set prices in the config file; a free model: price: {input: 0, output: 0})", p.Name, model)
	}
	return ""
}
