package demo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// TestTourThroughTheGate is the eval tour of issue 5 with the real engine
// and the demo model over HTTP: the newest sentiment version beats
// production and passes the gate; the newest ticket-summary version is a
// regression and the gate refuses it.
func TestTourThroughTheGate(t *testing.T) {
	st := buildDemo(t)
	ctx := context.Background()
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	eng := runner.New(st, reg)

	run := func(name string) (prod, latest store.Version, rates map[int]float64) {
		t.Helper()
		var err error
		if prod, err = st.Resolve(ctx, name); err != nil {
			t.Fatal(err)
		}
		if latest, err = st.Lookup(ctx, name+"@latest"); err != nil {
			t.Fatal(err)
		}
		su, err := st.Suite(ctx, name, "default")
		if err != nil {
			t.Fatal(err)
		}
		out, err := eng.Run(ctx, runner.Plan{Suite: su, Versions: []store.Version{prod, latest}}, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rates = map[int]float64{}
		for _, c := range out.Summary.Columns {
			if c.Errors > 0 {
				t.Errorf("%s@%d: %d errors", name, c.Version, c.Errors)
			}
			rates[c.Version] = c.PassRate
		}
		return prod, latest, rates
	}

	prod, latest, rates := run("classify/sentiment")
	if rates[latest.Number] != 1 || rates[prod.Number] >= 1 {
		t.Fatalf("sentiment pass rates %v (production v%d, latest v%d)", rates, prod.Number, latest.Number)
	}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "classify/sentiment", Label: "production", Version: latest.Number, Actor: "tester", Reason: "passes the suite"}); err != nil {
		t.Errorf("promote the better version: %v", err)
	}

	prod, latest, rates = run("support/ticket-summary")
	if rates[latest.Number] >= rates[prod.Number] {
		t.Fatalf("ticket-summary pass rates %v: the newest version should be worse", rates)
	}
	_, err = st.SetLabel(ctx, store.LabelInput{Prompt: "support/ticket-summary", Label: "production", Version: latest.Number, Actor: "tester"})
	if !errors.Is(err, store.ErrGate) {
		t.Errorf("promoting the regression: %v, want the gate to refuse", err)
	}
}
