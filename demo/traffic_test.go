package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/eval/client"
	"github.com/seed94f0f622/verso/store"
)

func stats(t *testing.T, st *store.Store, prompt string, since, until time.Time) map[string]store.Figures {
	t.Helper()
	rep, err := st.Stats(context.Background(), store.StatsQuery{Prompt: prompt, Since: since, Until: until, By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Figures{"all": rep.Total}
	for _, g := range rep.Groups {
		out["v"+g.Key] = g.Figures
	}
	return out
}

// The demo's two weeks of traffic tell the story the README promises:
// calls follow the label history, a daily rhythm, sql/from-question's v4
// lowered the error rate, onboarding's v3 raised the latency, feedback
// arrived on a share of the calls.
func TestSeedTrafficTellsTheStory(t *testing.T) {
	st := buildDemo(t)
	ctx := context.Background()
	now := time.Now().UTC()
	res, err := demo.SeedTraffic(ctx, st, demo.Traffic(now))
	if err != nil {
		t.Fatal(err)
	}
	if res.Events < 5000 || res.Feedback < res.Events/20 {
		t.Fatalf("seeded %+v", res)
	}
	two := now.Add(-14 * 24 * time.Hour)
	// support/reply: production v3 all along, staging v4 for the last 8 days, faster.
	sr := stats(t, st, "support/reply", two, now)
	if sr["v3"].Requests < 4*sr["v4"].Requests || sr["v4"].Requests == 0 || sr["v4"].LatencyP50MS > 0.8*sr["v3"].LatencyP50MS {
		t.Errorf("support/reply: %+v", sr)
	}
	if sr["all"].Scores == 0 {
		t.Error("no feedback scores")
	}
	// sql/from-question: production v4 for the day between the move (11
	// days ago) and the rollback (10 days ago), with fewer errors.
	day := 24 * time.Hour
	sq := stats(t, st, "sql/from-question", now.Add(-11*day+time.Hour), now.Add(-10*day-time.Hour))
	if sq["v4"].Requests == 0 || sq["v3"].Requests != 0 {
		t.Errorf("during v4's day in production: %+v", sq)
	}
	sq = stats(t, st, "sql/from-question", two, now)
	if c := store.CompareFigures(sq["v4"], sq["v3"]); c.ErrorRate != -1 {
		t.Errorf("v4 should have lowered the error rate: %+v vs %+v", sq["v4"], sq["v3"])
	}
	// onboarding: v3 (production for 13 days) is slower than v2 and scores lower.
	ob := stats(t, st, "onboarding/welcome-email", two, now)
	if c := store.CompareFigures(ob["v3"], ob["v2"]); c.LatencyP95 != 1 || ob["v3"].LatencyP50MS < 2*ob["v2"].LatencyP50MS {
		t.Errorf("onboarding v3 should be slower: %+v vs %+v", ob["v3"], ob["v2"])
	}
	// The prompt list marks onboarding (its production v3 scores lower than
	// v2) and nothing else.
	hs, err := st.Health(ctx, store.HealthQuery{Until: now, Compare: 14 * day})
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range hs {
		if worse := h.ErrorWorse || h.ScoreWorse; worse != (name == "onboarding/welcome-email") {
			t.Errorf("%s: health %+v", name, h)
		}
	}
	// The daily rhythm: afternoons busier than nights.
	s, err := st.Series(ctx, store.SeriesQuery{Prompt: "support/reply", Since: two, Until: now, Step: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var afternoon, night int64
	for i, f := range s.Total {
		switch s.Start.Add(time.Duration(i) * time.Hour).Hour() {
		case 14, 15, 16:
			afternoon += f.Requests
		case 2, 3, 4:
			night += f.Requests
		}
	}
	if afternoon < 3*night {
		t.Errorf("no daily rhythm: %d calls at 14-17h, %d at 2-5h", afternoon, night)
	}
	// The same options give the same traffic.
	st2 := buildDemo(t)
	if res2, err := demo.SeedTraffic(ctx, st2, demo.Traffic(now)); err != nil || res2 != res {
		t.Fatalf("second seeding %+v, %v; first %+v", res2, err, res)
	}
}

// Live traffic resolves each call's version through the client, so a label
// move redirects it.
func TestLiveFollowsTheLabels(t *testing.T) {
	st := buildDemo(t)
	ctx := context.Background()
	c, err := client.Open(st.Path(), client.Options{TTL: time.Millisecond, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run := func(d time.Duration) int {
		lctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		n, err := demo.Live(lctx, c, demo.LiveOptions{Rate: 2000, Tick: 10 * time.Millisecond, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	start := time.Now()
	if n := run(300 * time.Millisecond); n < 50 {
		t.Fatalf("%d calls in 300ms at 2000/s", n)
	}
	sr := stats(t, st, "support/reply", start.Add(-time.Minute), time.Now().Add(time.Minute))
	if sr["v3"].Requests == 0 || sr["v5"].Requests != 0 {
		t.Fatalf("before the move: %+v", sr)
	}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "support/reply", Label: "production", Version: 5, Force: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	// The client sees the move at its next refresh; under the race
	// detector on a loaded machine that can take longer than one short
	// run, so run until it shows (or give up after ten seconds).
	for end := moved.Add(10 * time.Second); ; {
		run(300 * time.Millisecond)
		sr = stats(t, st, "support/reply", moved.Add(50*time.Millisecond), time.Now().Add(time.Minute))
		if sr["v5"].Requests > 0 || time.Now().After(end) {
			break
		}
	}
	c.Close()
	if sr["v5"].Requests == 0 {
		t.Fatalf("after the move: %+v", sr)
	}
}
