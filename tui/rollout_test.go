package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/rollout"
)

func rolloutOptions(st *store.Store, ck *ct.MovingClock) Options {
	o := options(st, "dark")
	o.Now = ck.Now
	return o
}

// TestRolloutKeysWhileLoading: "o p" and a reason typed at once on the
// Labels tab open the rollout view, then its pause confirmation with the
// reason in it: keys typed while the view reads (and checks) the rollout
// are held for it, not dropped or given to the tab beneath.
func TestRolloutKeysWhileLoading(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	r := newRoot(t, rolloutOptions(st, ck), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	r.sendFast(append(ct.Keys("o", "p"), ct.Type("hold it")...)...)
	c := topConfirm(t, r, "Pause the rollout of "+ct.Support+" production at 25%")
	if c.Value() != "hold it" {
		t.Fatalf("the dialog got %q", c.Value())
	}
	if _, ok := r.m.Stack()[len(r.m.Stack())-2].(*rollout.Model); !ok {
		t.Fatalf("the rollout view is not beneath: %s", r.titles())
	}
	plain := r.plain()
	for _, want := range []string{"v2 75% · v4 25%", "the clock stops for this step", "Guard error_rate<=+1pp: healthy"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the confirmation does not show %q:\n%s", want, plain)
		}
	}
	r.keys("enter")
	if ro, _ := st.LatestRollout(context.Background(), ct.Support, "production"); ro.State != store.RolloutPaused {
		t.Fatalf("not paused: %s", ro.State)
	}
	if v, ok := r.m.Top().(*rollout.Model); !ok || v.Rollout().State != store.RolloutPaused {
		t.Fatalf("the view does not show the pause: %s", r.titles())
	}
	// r resumes, confirmed
	r.keys("r")
	topConfirm(t, r, "Resume the rollout")
	r.keys("enter")
	if ro, _ := st.LatestRollout(context.Background(), ct.Support, "production"); ro.State != store.RolloutRunning {
		t.Fatalf("not resumed: %s", ro.State)
	}
}

// TestStaleRolloutConfirmation: another process advances the rollout
// between the pause dialog opening and enter: nothing is paused, the
// dialog is shown again with the rollout as it is now (50%) and the reason
// typed; enter then pauses it at 50%.
func TestStaleRolloutConfirmation(t *testing.T) {
	st, path, ck := ct.RolloutStore(t)
	ctx := context.Background()
	other, err := store.OpenWith(path, store.Options{Clock: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	r := newRoot(t, rolloutOptions(st, ck), 120, 35)
	r.send(common.OpenRolloutMsg{Prompt: ct.Support, Label: "production"})
	r.keys("p")
	topConfirm(t, r, "Pause the rollout of "+ct.Support+" production at 25%")
	r.typeText("night")
	if _, err := other.ChangeRollout(ctx, ct.Support, "production", store.RolloutAdvance, "zoe", "looks fine"); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if ro, _ := st.LatestRollout(ctx, ct.Support, "production"); ro.State != store.RolloutRunning || ro.Step != 2 {
		t.Fatalf("the stale pause acted: %s step %d", ro.State, ro.Step)
	}
	c := topConfirm(t, r, "Pause the rollout of "+ct.Support+" production at 50%")
	if c.Value() != "night" {
		t.Fatalf("the reason typed was lost: %q", c.Value())
	}
	if plain := r.plain(); !strings.Contains(plain, "changed meanwhile: it is rollout 1 running at 50%, not rollout 1 running at 25%") {
		t.Fatalf("the dialog does not say what changed:\n%s", plain)
	}
	r.keys("enter")
	if ro, _ := st.LatestRollout(ctx, ct.Support, "production"); ro.State != store.RolloutPaused || ro.Step != 2 {
		t.Fatalf("not paused at 50%%: %s step %d", ro.State, ro.Step)
	}
}

// TestAbortAsksAReason: abort is refused without a reason, then puts the
// old version back to 100% with the reason in the label history.
func TestAbortAsksAReason(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	ctx := context.Background()
	r := newRoot(t, rolloutOptions(st, ck), 120, 35)
	r.send(common.OpenRolloutMsg{Prompt: ct.Support, Label: "production"})
	r.keys("X")
	topConfirm(t, r, "Abort the rollout of "+ct.Support+" production at 25%")
	if plain := r.plain(); !strings.Contains(plain, "v2 back to 100% of production at once") {
		t.Fatalf("the dialog does not say what changes:\n%s", plain)
	}
	r.keys("enter")
	topConfirm(t, r, "Abort the rollout")
	if ro, _ := st.LatestRollout(ctx, ct.Support, "production"); ro.State != store.RolloutRunning {
		t.Fatal("aborted without a reason")
	}
	r.typeText("support tickets up")
	r.statuses()
	r.keys("enter")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "rollout 1 aborted, the label is back on v2") || strings.Contains(s, "guard is breached") {
		t.Fatalf("after the abort by hand the status says %q", s)
	}
	if ro, _ := st.LatestRollout(ctx, ct.Support, "production"); ro.State != store.RolloutAborted {
		t.Fatalf("not aborted: %s", ro.State)
	}
	hist, _ := st.LabelHistory(ctx, ct.Support)
	last := hist[len(hist)-1]
	if last.To != 2 || last.Actor != ct.Author || !strings.Contains(last.Reason, "support tickets up") {
		t.Fatalf("the abort in the history: %+v", last)
	}
	if !strings.Contains(r.plain(), "aborted") {
		t.Fatalf("the view does not show the abort:\n%s", r.plain())
	}
}

// TestLabelsOpenRollout: o on a label without a rollout says why nothing
// opens; on one with a rollout it opens the view.
func TestLabelsOpenRollout(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	r := newRoot(t, rolloutOptions(st, ck), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	if !strings.Contains(r.plain(), "rollout 1 running to v4 (o)") {
		t.Fatalf("the Labels tab does not show the rollout:\n%s", r.plain())
	}
	r.keys("k") // development
	r.statuses()
	r.keys("o")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "development has never had a rollout") {
		t.Fatalf("o on development: %q (%s)", s, r.titles())
	}
	r.keys("j", "o")
	if _, ok := r.m.Top().(*rollout.Model); !ok {
		t.Fatalf("o on production: %s", r.titles())
	}
}
