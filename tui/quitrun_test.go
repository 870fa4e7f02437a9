package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// Quitting with a run in flight asks first and says what happens to it
// (it stops; what finished is kept; R or --resume finishes it).
func TestQuitAsksWithARunInFlight(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	eng := runner.New(st, reg)
	o := options(st, "dark")
	o.Engine, o.Providers = eng, reg

	ctx := t.Context()
	v, err := st.Lookup(ctx, ct.Support+"@latest")
	if err != nil {
		t.Fatal(err)
	}
	suite := store.Suite{Prompt: ct.Support, Name: "quit", Cases: []store.Case{{Name: "one", Vars: map[string]any{"company": "Acme", "question": "q", "name": "Ana"}}}}
	if suite, err = st.SaveSuite(ctx, ct.Support, suite); err != nil {
		t.Fatal(err)
	}
	h, err := eng.Start(ctx, runner.Plan{Suite: suite, Versions: []store.Version{v}, Models: []string{"demo/demo-small"}}, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel(); h.Wait() })

	r := newRoot(t, o, 120, 35)
	r.keys("ctrl+c")
	if r.quit {
		t.Fatal("ctrl+c quit with a run in flight")
	}
	topConfirm(t, r, "Quit Verso?")
	if p := r.plain(); !strings.Contains(p, "is still running") || !strings.Contains(p, "R on the run") {
		t.Errorf("the question does not say what happens to the run:\n%s", p)
	}
	r.keys("ctrl+c")
	if !r.quit {
		t.Fatal("a second ctrl+c did not quit")
	}
}

// A run that ends while its matrix is not open is announced in the status
// bar (with where to see it); one whose matrix is open is left to it.
func TestRunEndingElsewhereIsAnnounced(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	// The answer takes a moment: the first poll sees the run live.
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	eng := runner.New(st, reg)
	o := options(st, "dark")
	o.Engine, o.Providers = eng, reg
	ctx := t.Context()
	v, err := st.Lookup(ctx, ct.Support+"@latest")
	if err != nil {
		t.Fatal(err)
	}
	suite := store.Suite{Prompt: ct.Support, Name: "elsewhere", Cases: []store.Case{{Name: "one", Vars: map[string]any{"company": "Acme", "question": "q", "name": "Ana"},
		Assertions: []store.Assertion{{Type: "contains", Value: "NEVER-THERE"}}}}}
	if suite, err = st.SaveSuite(ctx, ct.Support, suite); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t, o, 120, 35)
	h, err := eng.Start(ctx, runner.Plan{Suite: suite, Versions: []store.Version{v}, Models: []string{"demo/demo-small"}}, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.send(pollMsg{}) // the root sees it live
	h.Wait()
	r.send(pollMsg{})
	if got := r.m.status.Text; !strings.Contains(got, "run #1 of support/reply finished: 0 passed, 1 failed, 0 errors of 1 (Runs tab)") {
		t.Fatalf("status after the run ended elsewhere: %q", got)
	}
}

// ctrl+r in a promotion the gate refused runs the suite; when the version
// passes, the promotion comes back with the run as its evidence.
func TestRunFromRefusedPromotionReturnsToIt(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	o := options(st, "dark")
	o.Engine, o.Providers = runner.New(st, reg), reg
	ctx := t.Context()
	if _, err := st.SaveSuite(ctx, ct.Support, store.Suite{Prompt: ct.Support, Name: "default", Cases: []store.Case{{Name: "one",
		Vars: map[string]any{"company": "Acme", "question": "q", "name": "Ana"}, Assertions: []store.Assertion{{Type: "not-contains", Value: "NEVER-THERE"}}}}}); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t, o, 120, 35)
	r.keys("G", "enter", "p")
	r.keys("enter") // production
	topConfirm(t, r, "Promote support/reply v4 to production")
	// The gate refuses from the start: ctrl+f is in the footer at once.
	if lines := strings.Split(r.plain(), "\n"); !strings.Contains(lines[len(lines)-2], "ctrl+f") {
		t.Errorf("ctrl+f not in the promote footer from the start: %q", lines[len(lines)-2])
	}
	r.typeText("ship it")
	r.keys("enter")
	if !strings.Contains(r.plain(), "ctrl+r") {
		t.Fatalf("the refusal does not offer ctrl+r:\n%s", r.plain())
	}
	r.keys("ctrl+r")
	if !strings.Contains(r.titles(), "new run") {
		t.Fatalf("ctrl+r: %s", r.titles())
	}
	// The fixture's model needs a key: run on the demo model instead.
	r.keys("tab", "space", "down", "space")
	r.keys("enter") // start: the run finishes against the demo server
	topConfirm(t, r, "Promote support/reply v4 to production")
	p := r.plain()
	if !strings.Contains(p, "Run #1: v4 passed 1/1 cases.") || !strings.Contains(p, "passed 1/1") {
		t.Fatalf("the promotion did not come back with the run as evidence:\n%s", p)
	}
}
