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
