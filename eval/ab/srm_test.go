package ab

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// events records n calls of version v on label at t, errs of them errors.
func events(t *testing.T, st *store.Store, label string, v, n, errs int, at time.Time) {
	t.Helper()
	evs := make([]store.Event, n)
	for i := range evs {
		evs[i] = store.Event{Prompt: "p", Version: v, Label: label, Arm: store.ArmName(v), Time: at, Status: "ok", LatencyMS: 100}
		if i < errs {
			evs[i].Status = "error"
		}
	}
	if _, err := st.RecordEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// The expected counts follow the weights in force when the events arrived
// (a 90/10 hour, then a 50/50 hour, is 70/30 overall: no mismatch); counts
// that do not fit their weights are a loud mismatch.
func TestSampleRatioMismatch(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	now := t0
	st, err := store.OpenWith(filepath.Join(t.TempDir(), "v.db"), store.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tpl := range []string{"a", "b"} {
		if _, err := st.Commit(ctx, store.CommitInput{Name: "p", Template: tpl}); err != nil {
			t.Fatal(err)
		}
	}
	split := func(label string, w1 int) {
		sp := store.Split{Arms: []store.Arm{{Version: 1, Weight: w1}, {Version: 2, Weight: 100 - w1}}}
		if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "p", Label: label, Split: &sp}); err != nil {
			t.Fatal(err)
		}
	}
	split("exp", 90)
	split("bad", 50)
	events(t, st, "exp", 1, 900, 20, t0.Add(10*time.Minute))
	events(t, st, "exp", 2, 100, 3, t0.Add(10*time.Minute))
	now = t0.Add(time.Hour)
	split("exp", 50)
	events(t, st, "exp", 1, 500, 10, t0.Add(70*time.Minute))
	events(t, st, "exp", 2, 500, 12, t0.Add(70*time.Minute))
	events(t, st, "bad", 1, 1000, 20, t0.Add(70*time.Minute))
	events(t, st, "bad", 2, 800, 20, t0.Add(70*time.Minute))
	now = t0.Add(2 * time.Hour)

	d, err := st.ABData(ctx, store.ABQuery{Prompt: "p", Label: "exp"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(d, ErrorRate)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SRM == nil || rep.SRM.Mismatch || rep.SRM.Expected[0] != 1400 || rep.SRM.Expected[1] != 600 || len(rep.Warnings) != 0 {
		t.Fatalf("weights over time: %+v %v", rep.SRM, rep.Warnings)
	}
	if !rep.Arms[0].Control || rep.Comparisons[0].TooSmall != false {
		t.Fatalf("arms %+v comparisons %+v", rep.Arms, rep.Comparisons)
	}

	d, _ = st.ABData(ctx, store.ABQuery{Prompt: "p", Label: "bad"})
	rep, _ = Analyze(d, ErrorRate)
	if rep.SRM == nil || !rep.SRM.Mismatch || len(rep.Warnings) != 1 || !strings.HasPrefix(rep.Warnings[0], "SAMPLE RATIO MISMATCH") {
		t.Fatalf("1000/800 on 50/50: %+v %v", rep.SRM, rep.Warnings)
	}

	// a handful of events is too small to conclude anything
	split("tiny", 50)
	events(t, st, "tiny", 1, 12, 1, now)
	events(t, st, "tiny", 2, 12, 6, now)
	d, _ = st.ABData(ctx, store.ABQuery{Prompt: "p", Label: "tiny"})
	for _, m := range Metrics {
		rep, _ = Analyze(d, m)
		if m == Score {
			if len(rep.Comparisons) != 1 || !rep.Comparisons[0].TooSmall {
				t.Errorf("score without scores: %+v", rep.Comparisons)
			}
			continue
		}
		if c := rep.Comparisons[0]; !c.TooSmall || c.Significant || !strings.HasPrefix(c.Verdict, "too small to conclude") {
			t.Errorf("%s on 12 events an arm: %+v", m, c)
		}
	}
	// a label that was never split
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "p", Label: "whole", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ABData(ctx, store.ABQuery{Prompt: "p", Label: "whole"}); err == nil {
		t.Fatal("ab of a label that was never split")
	}
}
