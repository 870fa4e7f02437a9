package runner_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// compareSuite commits v3, which asks for the label only, and saves the
// suite "compare" of n cases: each checks the label and its length, and
// asks select-best and max-score which output is best. It returns the plan
// of v1 and v3 on that suite: v3 should win both.
func compareSuite(t testing.TB, e *env, n int) runner.Plan {
	t.Helper()
	v3, err := e.st.Commit(context.Background(), store.CommitInput{Name: "sentiment", Kind: store.KindText, Message: "m", Author: "t",
		Template: "Classify the sentiment of the review. Respond with only the label: positive, negative or neutral.\nReview: {{review}}"})
	if err != nil {
		t.Fatal(err)
	}
	su := store.Suite{Name: "compare"}
	reviews := []string{"I love it, works great", "Terrible, broke after a day", "It is a phone"}
	for i := range n {
		su.Cases = append(su.Cases, store.Case{
			Name: fmt.Sprintf("case %d", i+1),
			Vars: map[string]any{"review": fmt.Sprintf("%s (#%d)", reviews[i%3], i)},
			Assertions: []store.Assertion{
				{Type: "icontains-any", Value: []any{"positive", "negative", "neutral"}},
				{Type: "word-count", Value: map[string]any{"max": 5}},
				{Type: "select-best", Value: "answers in under 5 words"},
				{Type: "max-score"},
			},
		})
	}
	su, err = e.st.SaveSuite(context.Background(), "sentiment", su)
	if err != nil {
		t.Fatal(err)
	}
	p := e.plan()
	p.Suite, p.Versions = su, []store.Version{e.vers[0], v3}
	return p
}

// checkDecided asserts that every result of a run is decided (no pending
// comparison) and that each case's select-best and max-score chose exactly
// one output: v3's.
func checkDecided(t testing.TB, rs []store.Result, cases int) {
	t.Helper()
	if len(rs) != 2*cases {
		t.Fatalf("%d results, want %d", len(rs), 2*cases)
	}
	chosen := map[string]map[int64]int{}
	for _, r := range rs {
		if r.Error != "" {
			t.Fatalf("%s v%d: error %s", r.CaseName, r.Version, r.Error)
		}
		for _, a := range r.Assertions {
			if a.Pending {
				t.Fatalf("%s v%d: %s still pending", r.CaseName, r.Version, a.Type)
			}
			if a.Type != "select-best" && a.Type != "max-score" {
				continue
			}
			if chosen[a.Type] == nil {
				chosen[a.Type] = map[int64]int{}
			}
			if a.Pass {
				chosen[a.Type][r.CaseID]++
				if r.Version != 3 {
					t.Fatalf("%s: %s chose v%d: %s", r.CaseName, a.Type, r.Version, a.Reason)
				}
			}
		}
		if r.Pass != (r.Version == 3) {
			t.Fatalf("%s v%d: pass %v (%+v)", r.CaseName, r.Version, r.Pass, r.Assertions)
		}
	}
	for _, typ := range []string{"select-best", "max-score"} {
		if len(chosen[typ]) != cases {
			t.Fatalf("%s chose an output in %d of %d cases", typ, len(chosen[typ]), cases)
		}
		for id, n := range chosen[typ] {
			if n != 1 {
				t.Fatalf("%s chose %d outputs of case %d", typ, n, id)
			}
		}
	}
}

// reported counts the Finished/Failed events of a run per result.
type reported struct {
	mu sync.Mutex
	n  map[runner.Key]int
}

func (r *reported) on(ev runner.Event) {
	if ev.Kind != runner.Finished && ev.Kind != runner.Failed {
		return
	}
	r.mu.Lock()
	if r.n == nil {
		r.n = map[runner.Key]int{}
	}
	r.n[ev.Key]++
	r.mu.Unlock()
}

func (r *reported) check(t testing.TB, want int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.n) != want {
		t.Fatalf("%d results reported, want %d", len(r.n), want)
	}
	for k, n := range r.n {
		if n != 1 {
			t.Fatalf("%+v reported %d times", k, n)
		}
	}
}

// TestComparisonsDecideEachCaseOnce: select-best and max-score are decided
// over the outputs of both versions, the grader is the demo model on
// loopback, every result is reported once, with its verdict, and a second
// run from the cache decides the same.
func TestComparisonsDecideEachCaseOnce(t *testing.T) {
	e := setup(t, modelserver.Options{}, 1)
	ctx := context.Background()
	p := compareSuite(t, e, 6)
	var rep reported
	out, err := e.eng.Run(ctx, p, runner.Options{Concurrency: 4, OnEvent: rep.on})
	if err != nil {
		t.Fatal(err)
	}
	rep.check(t, 12)
	checkDecided(t, out.Results, 6)
	saved, _ := e.st.Results(ctx, out.Run.ID)
	checkDecided(t, saved, 6)
	if out.Run.Status != store.RunDone || out.Summary.Passed != 6 || out.Summary.Failed != 6 {
		t.Fatalf("run %s, summary %+v", out.Run.Status, out.Summary)
	}

	calls := e.srv.Stats().Requests
	var again reported
	out, err = e.eng.Run(ctx, p, runner.Options{Concurrency: 4, OnEvent: again.on})
	if err != nil {
		t.Fatal(err)
	}
	again.check(t, 12)
	checkDecided(t, out.Results, 6)
	for _, r := range out.Results {
		if !r.Cached {
			t.Fatalf("%s v%d not from the cache", r.CaseName, r.Version)
		}
	}
	// From the cache, only select-best's grader is called: once per case.
	if n := e.srv.Stats().Requests - calls; n != 6 {
		t.Fatalf("%d model calls on the cached run, want 6 (the grader's)", n)
	}
}

// TestComparisonNeedsTwoOutputs: a run with one output per case is refused
// before anything is stored.
func TestComparisonNeedsTwoOutputs(t *testing.T) {
	e := setup(t, modelserver.Options{}, 1)
	p := compareSuite(t, e, 2)
	p.Versions = p.Versions[1:]
	_, err := e.eng.Start(context.Background(), p, runner.Options{})
	var ce *runner.ComparisonError
	if !errors.As(err, &ce) || ce.Case != "case 1" || !strings.Contains(err.Error(), "select-best compares the outputs of two or more versions or models") {
		t.Fatalf("err = %v", err)
	}
	if runs, _ := e.st.Runs(context.Background(), "sentiment"); len(runs) != 0 {
		t.Fatalf("%d runs stored", len(runs))
	}
}

// TestComparisonsResume: a run cancelled while its cases wait for their
// other outputs keeps those outputs (pending) and reports none of them;
// Resume calls only what is missing, decides every case and reports each
// result once.
func TestComparisonsResume(t *testing.T) {
	e := setup(t, modelserver.Options{Latency: 15 * time.Millisecond}, 1)
	ctx := context.Background()
	p := compareSuite(t, e, 30)
	var rep reported
	var once sync.Once
	var h *runner.Run
	started := make(chan struct{})
	h, err := e.eng.Start(ctx, p, runner.Options{Concurrency: 2, NoCache: true, OnEvent: func(ev runner.Event) {
		rep.on(ev)
		if ev.Kind == runner.Finished {
			once.Do(func() { <-started; h.Cancel() })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	close(started)
	if _, err := h.Wait(); err != nil {
		t.Fatal(err)
	}
	saved, _ := e.st.Results(ctx, h.ID)
	pending := 0
	for _, r := range saved {
		for _, a := range r.Assertions {
			if a.Pending {
				pending++
				if r.Pass {
					t.Fatalf("a pending result reads as passed: %+v", r)
				}
				break
			}
		}
	}
	if pending == 0 || len(saved) == 60 {
		t.Fatalf("the cancel left %d results, %d pending: want some pending", len(saved), pending)
	}
	rep.mu.Lock()
	for k := range rep.n {
		for _, r := range saved {
			if r.Version == k.Version && r.CaseID == k.CaseID && slicesPending(r) {
				t.Fatalf("reported result %+v is pending", k)
			}
		}
	}
	first := len(rep.n)
	rep.mu.Unlock()

	calls := e.srv.Stats().Requests
	r2, err := e.eng.Resume(ctx, h.ID, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, _, _ := r2.Subscribe()
	var rep2 reported
	for _, r := range snap.Results {
		rep2.on(runner.Event{Kind: runner.Finished, Key: runner.Key{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Repeat: r.Repeat}})
	}
	out, err := r2.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if out.Run.Status != store.RunDone || len(out.Results) != 60 || r2.Progress().Done != 60 {
		t.Fatalf("resumed: %s, %d results, done %d", out.Run.Status, len(out.Results), r2.Progress().Done)
	}
	checkDecided(t, out.Results, 30)
	saved, _ = e.st.Results(ctx, h.ID)
	checkDecided(t, saved, 30)
	// Calls: at most the answers never saved, and one grader call per case.
	if n := e.srv.Stats().Requests - calls; n > int64(60-first+30) {
		t.Fatalf("%d calls on resume: answers were asked again", n)
	}
}

func slicesPending(r store.Result) bool {
	for _, a := range r.Assertions {
		if a.Pending {
			return true
		}
	}
	return false
}

// TestComparisonsKill9: a process killed with SIGKILL while its cases wait
// for their other outputs loses no reported verdict, and a resume in
// another process decides every case.
func TestComparisonsKill9(t *testing.T) {
	e := setup(t, modelserver.Options{}, 1)
	compareSuite(t, e, 200)
	db := e.st.Path()
	e.st.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "VERSO_RUNNER_HELPER="+db, "VERSO_RUNNER_HELPER_SUITE=compare")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "finished ") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper: %s", sc.Text())
		}
		lines = append(lines, strings.TrimPrefix(sc.Text(), "finished "))
		if len(lines) == 30 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, strings.TrimPrefix(sc.Text(), "finished "))
	}
	cmd.Wait()
	if len(lines) < 30 {
		t.Fatalf("the helper ended after %d results", len(lines))
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	saved, _ := st.Results(ctx, 1)
	byKey := map[string]store.Result{}
	pending := 0
	for _, r := range saved {
		byKey[fmt.Sprintf("%d %s %d %d", r.Version, r.Model, r.CaseID, r.Repeat)] = r
		if slicesPending(r) {
			pending++
		}
	}
	for _, k := range lines {
		r, ok := byKey[k]
		if !ok || slicesPending(r) {
			t.Fatalf("reported result %s lost or pending after the kill (saved %v)", k, ok)
		}
	}
	if len(saved) >= 400 || pending == 0 {
		t.Fatalf("%d saved, %d pending: the kill came too late to test anything", len(saved), pending)
	}
	eng := runner.New(st, e.eng.Providers)
	h, err := eng.Resume(ctx, 1, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	checkDecided(t, out.Results, 200)
	saved, _ = st.Results(ctx, 1)
	checkDecided(t, saved, 200)
}
