package demo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// The demo holds one prompt mid-rollout at 25 % with traffic on both arms,
// and one rollout aborted by a guard, with its evidence in the history.
func TestDemoStagesRollouts(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := Build(ctx, st, "you"); err != nil {
		t.Fatal(err)
	}
	if err := StageRollouts(ctx, st, now, "you"); err != nil {
		t.Fatal(err)
	}
	if _, err := SeedTraffic(ctx, st, Traffic(now)); err != nil {
		t.Fatal(err)
	}
	live, err := st.LatestRollout(ctx, "classify/sentiment", "production")
	if err != nil || live.State != store.RolloutRunning || live.Weight(time.Now()) != 25 {
		t.Fatalf("live rollout: %+v %v", live, err)
	}
	rep, err := st.Stats(ctx, store.StatsQuery{Prompt: "classify/sentiment", Since: now.Add(-time.Hour), Until: now, By: "arm"})
	if err != nil || len(rep.Groups) != 2 || rep.Groups[0].Key != "v3" || rep.Groups[1].Key != "v4" || rep.Groups[1].Requests < 100 {
		t.Fatalf("traffic of the last hour by arm: %+v %v", rep.Groups, err)
	}
	ab, err := st.LatestRollout(ctx, "extract/invoice-json", "production")
	if err != nil || ab.State != store.RolloutAborted || ab.Steps[ab.Step] != 25 || ab.Evidence == "" {
		t.Fatalf("aborted rollout: %+v %v", ab, err)
	}
	hist, _ := st.LabelHistory(ctx, "extract/invoice-json")
	last := hist[len(hist)-1]
	if last.To != 3 || !strings.Contains(last.Reason, "aborted at 25%: guard breached: error_rate") || last.Evidence == "" {
		t.Fatalf("abort in the history: %+v", last)
	}
}
