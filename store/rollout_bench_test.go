package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/ab"
	"github.com/seed94f0f622/verso/store"
)

func benchSplitStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "verso.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, tpl := range []string{"one {{x}}", "two {{x}}"} {
		if _, err := st.Commit(ctx, store.CommitInput{Name: "p", Template: tpl, Author: "b"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "p", Label: "production", Version: 1}); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkAssign: one unit key to its arm (target < 1 µs).
func BenchmarkAssign(b *testing.B) {
	sp := store.Split{Arms: []store.Arm{{Version: 3, Weight: 75}, {Version: 5, Weight: 25}}, Salt: "9f2c1a7e04b3"}
	units := make([]string, 1024)
	for i := range units {
		units[i] = fmt.Sprintf("user-%d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sp.Assign(units[i&1023])
	}
}

// BenchmarkResolveSplitLabel: resolve name@production for a unit from the
// file while a rollout owns the label (target < 0.2 ms).
func BenchmarkResolveSplitLabel(b *testing.B) {
	st := benchSplitStore(b)
	ctx := context.Background()
	if _, err := st.StartRollout(ctx, store.RolloutInput{Prompt: "p", To: 2}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.ResolveUnit(ctx, "p@production", fmt.Sprint("user-", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAB10M: `verso ab`'s read and analysis of a week of a 50/50
// split holding 10 million events (target < 200 ms).
func BenchmarkAB10M(b *testing.B) {
	st := benchSplitStore(b)
	ctx := context.Background()
	sp := store.Split{Arms: []store.Arm{{Version: 1, Weight: 50}, {Version: 2, Weight: 50}}}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "p", Label: "exp", Split: &sp}); err != nil {
		b.Fatal(err)
	}
	until := time.Now().Truncate(time.Minute)
	since := until.Add(-7 * 24 * time.Hour)
	// 10,080 minutes x 2 arms x 496 calls = 9,999,360 events
	if err := store.SeedArmRollups(st, "p", "exp", []int{1, 2}, since, until, 496, 0.02, 0.025); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := st.ABData(ctx, store.ABQuery{Prompt: "p", Label: "exp", Since: since, Until: until})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := ab.Analyze(d, ab.ErrorRate)
		if err != nil || len(rep.Comparisons) != 1 || rep.Arms[0].N+rep.Arms[1].N < 9_999_000 {
			b.Fatalf("%+v %v", rep.Arms, err)
		}
	}
}

// BenchmarkRolloutCheck: one `rollout check` (judge the guards over the
// step's hour of traffic, write the verification) (target < 100 ms).
func BenchmarkRolloutCheck(b *testing.B) {
	st := benchSplitStore(b)
	ctx := context.Background()
	r, err := st.StartRollout(ctx, store.RolloutInput{Prompt: "p", To: 2, Every: 24 * time.Hour,
		Guards: []string{"error_rate<=+1pp", "p95_latency<=+20%", "cost<=+10%"}})
	if err != nil {
		b.Fatal(err)
	}
	// an hour of traffic in the step: 100 calls a minute on each arm
	if err := store.SeedArmRollups(st, "p", "production", []int{1, 2}, r.StartedAt, r.StartedAt.Add(time.Hour), 100, 0.02, 0.02); err != nil {
		b.Fatal(err)
	}
	// The check runs 59 minutes into the step: a second handle on that clock.
	st, err = store.OpenWith(st.Path(), store.Options{Clock: func() time.Time { return r.StartedAt.Add(59 * time.Minute) }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _, err := st.CheckRollout(ctx, "p", "production")
		if err != nil || c.Verdict != "healthy" {
			b.Fatalf("%+v %v", c, err)
		}
	}
}
