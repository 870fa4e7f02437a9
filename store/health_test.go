package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The prompt list's health: requests per step over the last day, and the
// production version called worse than the version before it only when
// the difference is beyond chance.
func TestHealthComparesProductionWithThePreviousVersion(t *testing.T) {
	st := eventsStore(t)
	ctx := context.Background()
	commit(t, st, "other", "Hi")
	commit(t, st, "other", "Hi again")
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "greet", Label: "production", Version: 2, Force: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Hour).Add(30 * time.Minute)
	var evs []Event
	add := func(prompt string, version, n, errs int, score float64, at time.Time) {
		for i := range n {
			e := Event{Prompt: prompt, Version: version, Time: at.Add(time.Duration(i) * time.Second), LatencyMS: 100, Score: fptr(score + float64(i%3)/100)}
			if i < errs {
				e.Status = "error"
			}
			evs = append(evs, e)
		}
	}
	// greet: v1 two days ago, good; v2 since, errors and lower scores.
	add("greet", 1, 200, 4, 0.9, now.Add(-48*time.Hour))
	add("greet", 2, 100, 20, 0.6, now.Add(-5*time.Hour))
	add("greet", 2, 50, 10, 0.6, now)
	// other: v2 better than v1 on both.
	add("other", 1, 200, 40, 0.5, now.Add(-30*time.Hour))
	add("other", 2, 200, 2, 0.9, now.Add(-2*time.Hour))
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	hs, err := st.Health(ctx, HealthQuery{Until: now, Recent: 24 * time.Hour, Steps: 12})
	if err != nil {
		t.Fatal(err)
	}
	g := hs["greet"]
	if g.Version != 2 || g.Previous != 1 || !g.ErrorWorse || !g.ScoreWorse {
		t.Fatalf("greet: %+v", g)
	}
	want := make([]int64, 12)
	want[9], want[11] = 100, 50 // 5 hours ago falls in the 10th 2-hour step
	if !slices.Equal(g.Requests, want) {
		t.Fatalf("greet requests %v, want %v", g.Requests, want)
	}
	o := hs["other"]
	if o.Version != 2 || o.Previous != 1 || o.ErrorWorse || o.ScoreWorse {
		t.Fatalf("other (no production label: the busiest version): %+v", o)
	}
	// Too few requests to call anything worse.
	if c := CompareFigures(Figures{Requests: 5, Errors: 5, LatencyP95MS: 900}, Figures{Requests: 1000, LatencyP95MS: 100}); c != (Comparison{}) {
		t.Fatalf("5 requests called worse: %+v", c)
	}
}
