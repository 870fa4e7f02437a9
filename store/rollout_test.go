package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable store clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func rolloutFixture(t *testing.T) (*Store, *clock) {
	t.Helper()
	ck := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st := newStoreAt(t, ck.now)
	for _, s := range []string{"a", "b", "c"} {
		commit(t, st, "p", s)
	}
	if _, err := st.SetLabel(context.Background(), LabelInput{Prompt: "p", Label: "production", Version: 1, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	return st, ck
}

// traffic sends n units through the label at the store's clock; each
// version errs with its rate (deterministic draws from seed).
func traffic(t *testing.T, st *Store, label string, n int, errRate map[int]float64, seed uint64) map[int]int {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	now := st.now()
	evs := make([]Event, 0, n)
	got := map[int]int{}
	for i := range n {
		unit := fmt.Sprintf("u%d-%d", seed, i)
		v, err := st.ResolveUnit(ctx, "p@"+label, unit)
		if err != nil {
			t.Fatal(err)
		}
		got[v.Number]++
		status := "ok"
		if rng.Float64() < errRate[v.Number] {
			status = "error"
		}
		evs = append(evs, Event{ID: unit, Prompt: "p", Version: v.Number, Label: label, Arm: v.Arm, Unit: unit, Time: now,
			LatencyMS: 400 + rng.Float64()*100, Status: status, Cost: 0.001})
	}
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRolloutRunsStepByStepAndEndsWithAMove(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	r, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Every: time.Hour, MinRequests: 50, Actor: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Weight(ck.now()) != 5 {
		t.Fatalf("weight at start %d", r.Weight(ck.now()))
	}
	rates := map[int]float64{1: 0.02, 3: 0.02}
	for i, want := range []int{25, 50, 100} {
		ck.add(10 * time.Minute)
		traffic(t, st, "production", 3000, rates, uint64(i))
		c, r2, err := st.CheckRollout(ctx, "p", "production")
		if err != nil {
			t.Fatal(err)
		}
		if c.Verdict != "healthy" || c.Advanced || r2.Verified != i {
			t.Fatalf("step %d check: %+v", i, c)
		}
		// the clock alone brings the next step in force, before any write
		ck.add(time.Hour)
		v, err := st.ResolveUnit(ctx, "p@production", "someone")
		if err != nil {
			t.Fatal(err)
		}
		r3, _ := st.LatestRollout(ctx, "p", "production")
		if r3.Weight(ck.now()) != want {
			t.Fatalf("after step %d the weight in force is %d, want %d (resolved v%d)", i, r3.Weight(ck.now()), want, v.Number)
		}
		c, _, err = st.CheckRollout(ctx, "p", "production")
		if err != nil || !c.Advanced {
			t.Fatalf("check after the interval: %+v %v", c, err)
		}
	}
	r, _ = st.LatestRollout(ctx, "p", "production")
	if r.State != RolloutDone {
		t.Fatalf("state %s", r.State)
	}
	labels, _ := st.Labels(ctx, "p")
	if labels[0].Version != 3 || labels[0].Split != nil {
		t.Fatalf("label at the end: %+v", labels[0])
	}
	hist, _ := st.LabelHistory(ctx, "p")
	last := hist[len(hist)-1]
	if last.From != 1 || last.FromSplit == nil || last.To != 3 || last.ToSplit != nil || last.Evidence == "" {
		t.Fatalf("last move: %+v", last)
	}
	var steps []string
	for _, e := range hist[1:] {
		steps = append(steps, e.ToState().String())
	}
	if got := strings.Join(steps, " | "); got != "split 1=95,3=5 | split 1=75,3=25 | split 1=50,3=50 | v3" {
		t.Errorf("history: %s", got)
	}
	c, _, err := st.CheckRollout(ctx, "p", "production")
	if err != nil || c.Verdict != RolloutDone {
		t.Errorf("check after done: %+v %v", c, err)
	}
}

func TestRolloutGuardBreachAbortsWithEvidence(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Every: time.Hour, MinRequests: 100, Guards: []string{"error_rate<=+1pp"}, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	ck.add(10 * time.Minute)
	traffic(t, st, "production", 4000, map[int]float64{1: 0.01, 3: 0.01}, 1)
	ck.add(time.Hour)
	if c, _, err := st.CheckRollout(ctx, "p", "production"); err != nil || !c.Advanced {
		t.Fatalf("healthy 5%%: %+v %v", c, err)
	}
	// at 25 % the new version's error rate rises
	ck.add(10 * time.Minute)
	traffic(t, st, "production", 4000, map[int]float64{1: 0.01, 3: 0.12}, 2)
	c, r, err := st.CheckRollout(ctx, "p", "production")
	if err != nil {
		t.Fatal(err)
	}
	if c.Verdict != "breached" || !c.Aborted || r.State != RolloutAborted || c.Weight != 25 {
		t.Fatalf("check: %+v, rollout %s", c, r.State)
	}
	v, err := st.ResolveUnit(ctx, "p@production", "anyone")
	if err != nil || v.Number != 1 || v.Arm != "" {
		t.Fatalf("after the abort production resolves to v%d arm %q", v.Number, v.Arm)
	}
	hist, _ := st.LabelHistory(ctx, "p")
	last := hist[len(hist)-1]
	if last.To != 1 || last.ToSplit != nil || !strings.Contains(last.Reason, "aborted at 25%") || !strings.Contains(last.Reason, "error_rate<=+1pp") {
		t.Fatalf("abort move: %+v", last)
	}
	var ev RolloutCheck
	if err := json.Unmarshal([]byte(last.Evidence), &ev); err != nil || len(ev.Guards) != 1 || ev.Guards[0].Status != "breached" || ev.Guards[0].NNew < 100 {
		t.Fatalf("evidence %q: %v", last.Evidence, err)
	}
}

// Two processes run `rollout check` at once: one abort, recorded once.
func TestConcurrentChecksAbortOnce(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Steps: []int{50, 100}, Every: time.Hour, MinRequests: 100, Guards: []string{"error_rate<=+1pp"}}); err != nil {
		t.Fatal(err)
	}
	ck.add(time.Minute)
	traffic(t, st, "production", 2000, map[int]float64{1: 0, 3: 0.3}, 3)
	var stores []*Store
	for range 4 {
		o, err := OpenWith(st.Path(), Options{Clock: ck.now})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		stores = append(stores, o)
	}
	var wg sync.WaitGroup
	aborted := make([]bool, len(stores))
	for i, o := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := o.CheckRollout(ctx, "p", "production")
			if err != nil {
				t.Error(err)
				return
			}
			if c.Verdict != RolloutAborted && c.Verdict != "breached" {
				t.Errorf("check %d: verdict %s", i, c.Verdict)
			}
			aborted[i] = c.Aborted
		}()
	}
	wg.Wait()
	n := 0
	for _, a := range aborted {
		if a {
			n++
		}
	}
	hist, _ := st.LabelHistory(ctx, "p")
	aborts := 0
	for _, e := range hist {
		if strings.Contains(e.Reason, "aborted") {
			aborts++
		}
	}
	if n != 1 || aborts != 1 {
		t.Fatalf("%d checks aborted, %d aborts in the history; want 1 and 1", n, aborts)
	}
}

// A clock that jumps ahead brings at most the next step, and only after the
// step's guards were seen healthy; a clock that goes back never lowers the
// weight.
func TestRolloutClockJumps(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Every: time.Hour, MinRequests: 100}); err != nil {
		t.Fatal(err)
	}
	start := ck.now()
	weight := func() int {
		r, err := st.LatestRollout(ctx, "p", "production")
		if err != nil {
			t.Fatal(err)
		}
		return r.Weight(ck.now())
	}
	// a day ahead with no healthy check: still 5 %
	ck.add(24 * time.Hour)
	if w := weight(); w != 5 {
		t.Fatalf("a day ahead without a healthy check: %d%%", w)
	}
	c, _, err := st.CheckRollout(ctx, "p", "production")
	if err != nil || c.Verdict != "waiting" || c.Advanced {
		t.Fatalf("check without traffic: %+v %v", c, err)
	}
	traffic(t, st, "production", 4000, map[int]float64{1: 0.01, 3: 0.01}, 4)
	if c, _, err = st.CheckRollout(ctx, "p", "production"); err != nil || !c.Advanced {
		t.Fatalf("healthy check a day later: %+v %v", c, err)
	}
	// another day ahead: 25 % needs its own healthy check first
	ck.add(24 * time.Hour)
	if w := weight(); w != 25 {
		t.Fatalf("a second day ahead: %d%%, want 25 (50 would skip the 25%% guards)", w)
	}
	// back to the start: the weight does not go back
	ck.set(start)
	if w := weight(); w != 25 {
		t.Fatalf("clock back: %d%%", w)
	}
	c, r, err := st.CheckRollout(ctx, "p", "production")
	if err != nil || r.Step != 1 || r.CheckedAt.Before(start.Add(24*time.Hour)) {
		t.Fatalf("check with the clock back: %+v step %d checked %s %v", c, r.Step, r.CheckedAt, err)
	}
}

func TestRolloutRefusals(t *testing.T) {
	ctx := context.Background()
	st, _ := gateFixture(t) // v2 passes, v3 fails
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Version: 1, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	// the target fails the gate of a protected label
	var ge *GateError
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3}); !errors.As(err, &ge) || ge.Decision.Version != 3 {
		t.Fatalf("rollout of a failing target: %v", err)
	}
	// guards that do not parse are named
	for _, g := range []string{"error_rate<=+1xx", "latency<=+20%", "score=>0.1", "p95_latency<=+1pp", "error_rate", "cost<=-abc"} {
		_, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "canary", To: 3, Guards: []string{g}})
		var gerr *GuardError
		if !errors.As(err, &gerr) || !strings.Contains(err.Error(), g) || !errors.Is(err, ErrInvalid) {
			t.Errorf("guard %q: %v", g, err)
		}
	}
	for _, steps := range [][]int{{5, 25, 50}, {25, 5, 100}, {0, 100}} {
		if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "canary", To: 3, Steps: steps}); !errors.Is(err, ErrInvalid) {
			t.Errorf("steps %v: %v", steps, err)
		}
	}
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "latest", To: 3}); !errors.Is(err, ErrLatestLabel) {
		t.Errorf("rollout on latest: %v", err)
	}
	// a label that already has one
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "canary", To: 3}); err != nil {
		t.Fatal(err)
	}
	var re *RolloutError
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "canary", To: 2}); !errors.As(err, &re) || re.Problem != "busy" {
		t.Fatalf("second rollout: %v", err)
	}
	// and hand moves of that label are refused while it runs
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Version: 2}); !errors.As(err, &re) {
		t.Fatalf("label move under a rollout: %v", err)
	}
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "canary"}); !errors.As(err, &re) {
		t.Fatalf("rollback under a rollout: %v", err)
	}
	// forced start past the gate needs a reason and is recorded as forced
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Force: true}); !errors.Is(err, ErrNeedReason) {
		t.Fatalf("forced without reason: %v", err)
	}
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Force: true, Reason: "hotfix"}); err != nil {
		t.Fatal(err)
	}
	hist, _ := st.LabelHistory(ctx, "p")
	if last := hist[len(hist)-1]; !last.Forced || last.ToSplit == nil {
		t.Fatalf("forced start: %+v", last)
	}
}

func TestRolloutPauseResumeAdvanceAbort(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Every: time.Hour, Guards: []string{}}); err != nil {
		t.Fatal(err)
	}
	ck.add(30 * time.Minute)
	r, err := st.ChangeRollout(ctx, "p", "production", RolloutPause, "ann", "")
	if err != nil || r.State != RolloutPaused {
		t.Fatal(r.State, err)
	}
	ck.add(5 * time.Hour)
	if w := r.Weight(ck.now()); w != 5 {
		t.Fatalf("paused weight %d", w)
	}
	r, err = st.ChangeRollout(ctx, "p", "production", RolloutResume, "ann", "")
	if err != nil || r.State != RolloutRunning {
		t.Fatal(err)
	}
	// the paused time does not count: 30 more minutes to the next step
	ck.add(29 * time.Minute)
	if w := r.Weight(ck.now()); w != 5 {
		t.Fatalf("29 minutes after resuming: %d%%", w)
	}
	ck.add(2 * time.Minute)
	if w := r.Weight(ck.now()); w != 25 {
		t.Fatalf("31 minutes after resuming: %d%%", w)
	}
	r, err = st.ChangeRollout(ctx, "p", "production", RolloutAdvance, "ann", "looks fine")
	if err != nil || r.Step != 2 {
		t.Fatalf("advance: step %d %v", r.Step, err)
	}
	r, err = st.ChangeRollout(ctx, "p", "production", RolloutAbort, "bob", "customer complaint")
	if err != nil || r.State != RolloutAborted {
		t.Fatal(err)
	}
	if _, err := st.ChangeRollout(ctx, "p", "production", RolloutAbort, "bob", ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("abort twice: %v", err)
	}
	hist, _ := st.LabelHistory(ctx, "p")
	last := hist[len(hist)-1]
	if last.To != 1 || last.Actor != "bob" || !strings.Contains(last.Reason, "customer complaint") || last.Evidence == "" {
		t.Fatalf("abort: %+v", last)
	}
}

func TestParseGuard(t *testing.T) {
	for _, c := range []struct {
		expr, mode string
		value      float64
		cur, cand  float64
		holds      bool
	}{
		{"error_rate<=+1pp", "diff", 0.01, 0.02, 0.029, true},
		{"error_rate<=+1pp", "diff", 0.01, 0.02, 0.031, false},
		{"p95_latency<=+20%", "ratio", 0.2, 1000, 1190, true},
		{"p95_latency<=+20%", "ratio", 0.2, 1000, 1210, false},
		{"score>=-0.05", "diff", -0.05, 0.8, 0.76, true},
		{"score>=-0.05", "diff", -0.05, 0.8, 0.74, false},
		{"error_rate<=5%", "abs", 0.05, 0.5, 0.04, true},
		{"cost<=0.002", "abs", 0.002, 0, 0.003, false},
		{"p95_latency <= +300ms", "diff", 300, 1000, 1200, true},
	} {
		g, err := ParseGuard(c.expr)
		if err != nil || g.Mode != c.mode || g.Value != c.value {
			t.Errorf("%s: %+v %v", c.expr, g, err)
			continue
		}
		if ok, _ := g.Judge(c.cur, c.cand); ok != c.holds {
			t.Errorf("%s on %g -> %g: holds %v", c.expr, c.cur, c.cand, ok)
		}
	}
}

// TestChangeRolloutSeen: a hand-made change confirmed against a rollout
// that another process (or the clock) changed since is refused, and
// nothing changes; confirmed against what it is, it goes through.
func TestChangeRolloutSeen(t *testing.T) {
	ctx := context.Background()
	st, ck := rolloutFixture(t)
	r, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", Every: time.Hour, Guards: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	seen := r.Seen(ck.now())
	if seen.State != RolloutRunning || seen.Step != 0 {
		t.Fatalf("seen %+v", seen)
	}
	// another process pauses it
	if _, err := st.ChangeRollout(ctx, "p", "production", RolloutPause, "bob", ""); err != nil {
		t.Fatal(err)
	}
	_, err = st.ChangeRolloutSeen(ctx, "p", "production", RolloutAdvance, "ann", "", &seen)
	var changed *RolloutChangedError
	if !errors.As(err, &changed) || !errors.Is(err, ErrLabelMoved) || changed.Actual.State != RolloutPaused {
		t.Fatalf("stale advance: %v", err)
	}
	if !strings.Contains(err.Error(), "paused at 5%") {
		t.Errorf("the refusal does not say what it is now: %v", err)
	}
	// the state it is in now goes through
	cur, _ := st.LatestRollout(ctx, "p", "production")
	now := cur.Seen(ck.now())
	if r, err = st.ChangeRolloutSeen(ctx, "p", "production", RolloutResume, "ann", "", &now); err != nil || r.State != RolloutRunning {
		t.Fatalf("resume: %v", err)
	}
	// the clock brings the next step in force: a confirmation of step 1 is stale
	seen = r.Seen(ck.now())
	ck.add(2 * time.Hour)
	if _, err := st.ChangeRolloutSeen(ctx, "p", "production", RolloutAbort, "ann", "", &seen); !errors.As(err, &changed) || changed.Actual.Step != 1 {
		t.Fatalf("abort confirmed at 5%% after the clock moved to 25%%: %v", err)
	}
	if cur, _ := st.LatestRollout(ctx, "p", "production"); cur.State != RolloutRunning || cur.Step != 0 {
		t.Fatalf("a refused change changed the rollout: %+v", cur)
	}
	// aborted by another process: refused as changed, not as "ended"
	seen = r.Seen(ck.now())
	seen.Step = 1
	if _, err := st.ChangeRollout(ctx, "p", "production", RolloutAbort, "bob", "stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ChangeRolloutSeen(ctx, "p", "production", RolloutPause, "ann", "", &seen); !errors.As(err, &changed) || changed.Actual.State != RolloutAborted {
		t.Fatalf("pause of an aborted rollout: %v", err)
	}
}

// TestStartRolloutExpectFrom: a start confirmed against the version the
// label held is refused when another process moved the label since.
func TestStartRolloutExpectFrom(t *testing.T) {
	ctx := context.Background()
	st, _ := rolloutFixture(t)
	seen := 1
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	_, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", ExpectFrom: &seen})
	var moved *LabelMovedError
	if !errors.As(err, &moved) || moved.Actual != 2 {
		t.Fatalf("stale start: %v", err)
	}
	if _, err := st.LatestRollout(ctx, "p", "production"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused start left a rollout: %v", err)
	}
	seen = 2
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Salt: "fixed", ExpectFrom: &seen}); err != nil {
		t.Fatal(err)
	}
}
