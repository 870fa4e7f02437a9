package runner_test

import (
	"bufio"
	"cmp"
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
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// TestHelperProcess is not a test: TestKill9KeepsReportedResults runs the
// test binary with VERSO_RUNNER_HELPER set, and this function is then a
// process that runs an eval on that database and prints one line per result
// the runner reports finished, until it is killed.
func TestHelperProcess(t *testing.T) {
	db := os.Getenv("VERSO_RUNNER_HELPER")
	if db == "" {
		t.Skip("helper process for TestKill9KeepsReportedResults")
	}
	ctx := context.Background()
	st, err := store.Open(db)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: 10 * time.Millisecond})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	eng := runner.New(st, reg)
	suite := cmp.Or(os.Getenv("VERSO_RUNNER_HELPER_SUITE"), "default")
	su, _ := st.Suite(ctx, "sentiment", suite)
	v1, _ := st.Version(ctx, "sentiment", 1)
	v2, _ := st.Version(ctx, "sentiment", 2)
	if suite == "compare" {
		// compareSuite's own version: it answers with the label only.
		v2, _ = st.Version(ctx, "sentiment", 3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	h, err := eng.Start(ctx, runner.Plan{Suite: su, Versions: []store.Version{v1, v2}, Models: []string{"demo/demo-small"}},
		runner.Options{Concurrency: 8, NoCache: true, OnEvent: func(ev runner.Event) {
			if ev.Kind != runner.Finished && ev.Kind != runner.Failed {
				return
			}
			mu.Lock()
			fmt.Fprintf(out, "finished %d %s %d %d\n", ev.Key.Version, ev.Key.Model, ev.Key.CaseID, ev.Key.Repeat)
			out.Flush()
			mu.Unlock()
		}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	h.Wait()
	os.Exit(0)
}

// TestKill9KeepsReportedResults: a process running an eval is killed with
// SIGKILL mid-run; every result it had reported finished is in the file.
func TestKill9KeepsReportedResults(t *testing.T) {
	e := setup(t, modelserver.Options{}, 400)
	db := e.st.Path()
	e.st.Close()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "VERSO_RUNNER_HELPER="+db)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a different number of reported results each round.
		killAt := 40 + 70*round
		var reported []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "finished ") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper: %s", line)
			}
			reported = append(reported, strings.TrimPrefix(line, "finished "))
			if len(reported) == killAt {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		// Lines written before the kill that were not read yet.
		for sc.Scan() {
			reported = append(reported, strings.TrimPrefix(sc.Text(), "finished "))
		}
		cmd.Wait()
		if len(reported) < killAt {
			t.Fatalf("round %d: the helper ended after %d results", round, len(reported))
		}
		st, err := store.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		runID := int64(round + 1)
		rs, err := st.Results(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range rs {
			have[fmt.Sprintf("%d %s %d %d", r.Version, r.Model, r.CaseID, r.Repeat)] = true
		}
		var lost []string
		for _, k := range reported {
			if !have[k] {
				lost = append(lost, k)
			}
		}
		if len(lost) > 0 {
			t.Fatalf("round %d: %d of %d reported results lost by the kill (e.g. %s)", round, len(lost), len(reported), lost[0])
		}
		if len(rs) >= 800 {
			t.Fatalf("round %d: the run finished before the kill", round)
		}
		run, _ := st.Run(context.Background(), runID)
		if run.Status != store.RunInterrupted {
			t.Fatalf("round %d: killed run reads %q, want interrupted", round, run.Status)
		}
		t.Logf("round %d: %d reported, %d saved", round, len(reported), len(rs))
		st.Close()
	}
}

// TestResumeRefusesAChangedSuite: a run made on one suite is not resumed on
// another (replaced suites reuse case ids): no call, a typed error, and the
// run keeps its status.
func TestResumeRefusesAChangedSuite(t *testing.T) {
	e := setup(t, modelserver.Options{Latency: 20 * time.Millisecond}, 30)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	h, err := e.eng.Start(ctx, e.plan(), runner.Options{Concurrency: 2, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Finished {
			once.Do(cancel)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := h.Wait()
	if out.Run.Status != store.RunCancelled {
		t.Fatalf("status %s", out.Run.Status)
	}
	if out.Run.SuiteHash != store.HashSuite(e.su) || out.Run.SuiteHash == "" {
		t.Fatalf("run hash %q, suite hash %q", out.Run.SuiteHash, store.HashSuite(e.su))
	}
	// Replace the suite: same ids come back for other cases.
	su := store.Suite{Name: "default"}
	for i := range 30 {
		su.Cases = append(su.Cases, store.Case{Name: fmt.Sprintf("other %d", i), Vars: map[string]any{"review": "new text"}})
	}
	if _, err := e.st.SaveSuite(context.Background(), "sentiment", su); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Stats().Requests
	_, err = e.eng.Resume(context.Background(), out.Run.ID, runner.Options{})
	var sc *runner.SuiteChangedError
	if !errors.As(err, &sc) || sc.RunID != out.Run.ID || !strings.Contains(err.Error(), "has changed") {
		t.Fatalf("resume after the suite changed: %v", err)
	}
	if calls := e.srv.Stats().Requests - before; calls != 0 {
		t.Fatalf("%d calls", calls)
	}
	if r, _ := e.st.Run(context.Background(), out.Run.ID); r.Status != store.RunCancelled {
		t.Fatalf("run status %s after the refused resume", r.Status)
	}
	// The run's own cases saved again (same content): resumed, and it runs
	// only what is missing.
	if _, err := e.st.SaveSuite(context.Background(), "sentiment", e.su); err != nil {
		t.Fatal(err)
	}
	h2, err := e.eng.Resume(context.Background(), out.Run.ID, runner.Options{})
	if err != nil {
		t.Fatalf("resume on the same cases: %v", err)
	}
	if out2, err := h2.Wait(); err != nil || out2.Run.Status != store.RunDone {
		t.Fatalf("resumed: %v %s", err, out2.Run.Status)
	}
	checkComplete(t, e.st, out.Run.ID, 60)
	// Deleted suite: refused the same way.
	e.st.DeleteSuite(context.Background(), "sentiment", "default")
	if _, err := e.eng.Resume(context.Background(), out.Run.ID, runner.Options{}); !errors.As(err, &sc) {
		t.Fatalf("resume after the suite was deleted: %v", err)
	}
}

// TestSecondResumeRefused: a live run is not resumed a second time, by this
// process or another one (another engine holds another lease owner); once
// it has ended, it is.
func TestSecondResumeRefused(t *testing.T) {
	e := setup(t, modelserver.Options{Latency: 30 * time.Millisecond}, 40)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	h, err := e.eng.Start(ctx, e.plan(), runner.Options{Concurrency: 2, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Finished {
			once.Do(cancel)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := h.Wait()
	// Resume in this engine, then try again while it runs.
	h2, err := e.eng.Resume(context.Background(), first.Run.ID, runner.Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.eng.Live(first.Run.ID) != h2 {
		t.Fatal("the resumed run is not live in its engine")
	}
	if _, err := e.eng.Resume(context.Background(), first.Run.ID, runner.Options{}); !errors.Is(err, runner.ErrRunning) {
		t.Fatalf("second resume in the same engine: %v", err)
	}
	other := runner.New(e.st, e.eng.Providers)
	before := e.srv.Stats().Requests
	_, err = other.Resume(context.Background(), first.Run.ID, runner.Options{})
	var le *store.RunLiveError
	if !errors.Is(err, store.ErrRunLive) || !errors.As(err, &le) || le.ID != first.Run.ID {
		t.Fatalf("second resume by another owner: %v", err)
	}
	if r, _ := e.st.Run(context.Background(), first.Run.ID); r.Status != store.RunRunning {
		t.Fatalf("live run reads %s", r.Status)
	}
	h2.Cancel()
	out2, _ := h2.Wait()
	if e.eng.Live(first.Run.ID) != nil {
		t.Fatal("an ended run is still live")
	}
	// Ended: the other engine may resume it now, and runs only the rest.
	h3, err := other.Resume(context.Background(), first.Run.ID, runner.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	out3, err := h3.Wait()
	if err != nil || out3.Run.Status != store.RunDone {
		t.Fatalf("third resume: %v %s", err, out3.Run.Status)
	}
	if calls := int(e.srv.Stats().Requests - before); calls > 80-len(out2.Results)+2+8 {
		t.Fatalf("%d calls for %d missing results", calls, 80-len(out2.Results))
	}
	checkComplete(t, e.st, first.Run.ID, 80)
}

// TestSubscribe: a UI that subscribes mid-run gets the results so far and
// then every later result exactly once; a subscriber after the end gets the
// whole run and a closed feed.
func TestSubscribe(t *testing.T) {
	// 30 ms a call at concurrency 4: the run goes on for about 0.7 s after
	// its first result, so the subscription lands mid-run even on a loaded
	// machine (at 5 ms the run could end first and no token reached it).
	e := setup(t, modelserver.Options{Latency: 30 * time.Millisecond}, 50)
	started := make(chan struct{})
	var once sync.Once
	h, err := e.eng.Start(context.Background(), e.plan(), runner.Options{Concurrency: 4, Stream: true, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Finished {
			once.Do(func() { close(started) })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	snap, feed, unsubscribe := h.Subscribe()
	defer unsubscribe()
	_, early, unsubscribeEarly := h.Subscribe()
	unsubscribeEarly()
	if _, ok := early.Next(context.Background()); ok {
		// Close keeps what was pending, so drain once more.
		if _, ok := early.Next(context.Background()); ok {
			t.Fatal("an unsubscribed feed stays open")
		}
	}
	seen := map[runner.Key]int{}
	for _, r := range snap.Results {
		seen[runner.Key{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Repeat: r.Repeat}]++
	}
	tokens, done := 0, false
	for {
		evs, ok := feed.Next(context.Background())
		if !ok {
			break
		}
		for _, ev := range evs {
			switch ev.Kind {
			case runner.Finished, runner.Failed:
				seen[ev.Key]++
			case runner.Token:
				tokens++
			case runner.Done:
				done = true
			}
		}
	}
	if !done || tokens == 0 {
		t.Fatalf("done %v, %d token events", done, tokens)
	}
	if len(seen) != 100 {
		t.Fatalf("%d results seen, want 100", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%v seen %d times", k, n)
		}
	}
	<-h.Done()
	end, f2, _ := h.Subscribe()
	if !end.Ended || len(end.Results) != 100 || end.Progress.Status != store.RunDone {
		t.Fatalf("after the end: ended %v, %d results, %s", end.Ended, len(end.Results), end.Progress.Status)
	}
	if _, ok := f2.Next(context.Background()); ok {
		t.Fatal("the feed of an ended run is open")
	}
}

// TestReadSpec: a stored run's columns and settings, as typed values.
func TestReadSpec(t *testing.T) {
	e := setup(t, modelserver.Options{}, 2)
	out, err := e.eng.Run(context.Background(), runner.Plan{Suite: e.su, Versions: e.vers, Models: []string{"demo/demo-small", "demo/demo-large"}, Repeat: 2},
		runner.Options{Concurrency: 3, NoCache: true, Policy: provider.Policy{Timeout: 7 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := runner.ReadSpec(out.Run)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Columns) != 4 || sp.Columns[1].Model != "demo/demo-large" || sp.Columns[2].Version != e.vers[1].Number ||
		strings.Join(sp.Models, ",") != "demo/demo-small,demo/demo-large" || len(sp.Versions) != 2 || sp.Repeat != 2 ||
		sp.Concurrency != 3 || !sp.NoCache || sp.Timeout != 7*time.Second {
		t.Fatalf("spec = %+v", sp)
	}
	if _, err := runner.ReadSpec(store.Run{ID: 9, Settings: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "run 9") {
		t.Fatalf("foreign run: %v", err)
	}
}
