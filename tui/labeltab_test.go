package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/evalws"
	"github.com/seed94f0f622/verso/tui/promptview"
)

// The fixture's support/reply labels, in the tab's order: development
// (v4), production (v2), staging (v3); the cursor opens on production.

// TestLabelsTabCreatesALabel: n asks a name, then a version, then the
// promote confirmation (a new label) sets it. A taken name or a version
// that does not exist is refused where it is typed.
func TestLabelsTabCreatesALabel(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	r.keys("n")
	if !r.m.Top().Capturing() {
		t.Fatal("n does not take text")
	}
	r.typeText("staging")
	r.keys("enter")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "staging already exists: m on it moves it") {
		t.Fatalf("a taken name: %q", s)
	}
	for range len("staging") {
		r.keys("backspace")
	}
	r.typeText("canary")
	r.keys("enter")
	if !strings.Contains(r.plain(), "Point canary at version (1-4)") {
		t.Fatalf("no version asked:\n%s", r.plain())
	}
	if p := r.plain(); !strings.Contains(p, "enter next • esc cancel") || strings.Contains(p, "next tab") {
		t.Fatalf("the help while typing:\n%s", p)
	}
	r.typeText("9")
	r.keys("enter")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, `"9" is not a version of support/reply: type a number from 1 to 4`) {
		t.Fatalf("a missing version: %q", s)
	}
	r.keys("backspace")
	r.typeText("3")
	r.keys("enter")
	topConfirm(t, r, "Promote "+ct.Support+" v3 to canary")
	if !strings.Contains(r.plain(), "canary is new: it will point at v3.") {
		t.Fatalf("the confirmation does not say what changes:\n%s", r.plain())
	}
	r.typeText("beta users")
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "canary"); got != 3 {
		t.Fatalf("canary is on v%d", got)
	}
	// esc while asking cancels, and q is typed, not "back"
	r.keys("n", "q", "esc")
	if _, ok := r.m.Top().(*promptview.Model); !ok || r.m.Top().Capturing() {
		t.Fatalf("esc did not cancel the question: %s", r.titles())
	}
}

// TestLabelsTabMovesALabel: m on a label asks the version and confirms
// the move; when another process moves the label before enter, nothing
// moves and the confirmation is shown again as it is now.
func TestLabelsTabMovesALabel(t *testing.T) {
	st, path := ct.FixtureStore(t)
	other := secondWriter(t, path)
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	r.keys("j", "m") // staging
	r.typeText("4")
	r.keys("enter")
	topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	if !strings.Contains(r.plain(), "staging moves from v3 to v4.") {
		t.Fatalf("the confirmation:\n%s", r.plain())
	}
	r.typeText("shorter")
	if _, err := other.SetLabel(context.Background(), store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 1, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 1 {
		t.Fatalf("the stale move acted: staging on v%d", got)
	}
	c := topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	if !strings.Contains(r.plain(), "staging moves from v1 to v4.") || c.Value() != "shorter" {
		t.Fatalf("not shown again as it is now (%q):\n%s", c.Value(), r.plain())
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 4 {
		t.Fatalf("staging on v%d", got)
	}
	// enter on m with nothing typed takes the latest version
	r.keys("k", "m", "enter") // production, on v2
	topConfirm(t, r, "Promote "+ct.Support+" v4 to production")
}

// TestLabelsTabRemovesALabel: x confirms a removal; a protected label is
// refused by the gate and removed only by ctrl+f with a reason; a label
// moved by another process meanwhile is shown again, not removed.
func TestLabelsTabRemovesALabel(t *testing.T) {
	st, path := ct.FixtureStore(t)
	ctx := context.Background()
	other := secondWriter(t, path)
	if _, err := st.SaveSuite(ctx, ct.Support, store.Suite{Name: "default", Cases: []store.Case{
		{Name: "refund", Vars: map[string]any{"question": "refund?"}, Assertions: []store.Assertion{{Type: "contains", Value: "sorry"}}}}}); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	// staging: another process moves it first
	r.keys("j", "x")
	topConfirm(t, r, "Remove staging from "+ct.Support)
	if !strings.Contains(r.plain(), "staging is removed from v3") {
		t.Fatalf("the confirmation:\n%s", r.plain())
	}
	if _, err := other.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 4, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 4 {
		t.Fatalf("the stale removal acted: staging on v%d", got)
	}
	topConfirm(t, r, "Remove staging from "+ct.Support)
	if !strings.Contains(r.plain(), "staging is removed from v4") {
		t.Fatalf("not shown again as it is now:\n%s", r.plain())
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 0 {
		t.Fatalf("staging is still on v%d", got)
	}
	// production is protected (the cursor is on the row where staging was)
	r.keys("x")
	topConfirm(t, r, "Remove production from "+ct.Support)
	r.statuses()
	r.keys("enter")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "production is protected") {
		t.Fatalf("the gate did not refuse: %q", s)
	}
	r.keys("ctrl+f")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "needs a reason") {
		t.Fatalf("forced without a reason: %q", s)
	}
	r.typeText("retired: the bot answers now")
	r.keys("ctrl+f")
	if got := labelOn(t, st, ct.Support, "production"); got != 0 {
		t.Fatalf("production is still on v%d", got)
	}
	hist, _ := st.LabelHistory(ctx, ct.Support)
	if last := hist[len(hist)-1]; last.To != 0 || !last.Forced || last.Reason != "retired: the bot answers now" {
		t.Fatalf("the removal in the history: %+v", last)
	}
}

// TestLabelsTabOpensTheRunBehindAMove: the cursor goes on from the labels
// into the history; enter on a move promoted from a run opens that run.
func TestLabelsTabOpensTheRunBehindAMove(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	su, err := st.SaveSuite(ctx, ct.Support, store.Suite{Name: "default", Cases: []store.Case{
		{Name: "refund", Vars: map[string]any{"question": "refund?"}, Assertions: []store.Assertion{{Type: "contains", Value: "sorry"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.CreateRun(ctx, store.Run{Prompt: ct.Support, Suite: su.Name, SuiteID: su.ID, Versions: []int{4}, Models: []string{"demo/demo-small"}, Repeat: 1, Total: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveBatch(ctx, []store.Result{{RunID: run.ID, Version: 4, Model: "demo/demo-small", CaseID: su.Cases[0].ID, CaseName: "refund", Output: "sorry", Pass: true, Score: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, run.ID, store.RunDone, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 4, Actor: "ana", RunID: run.ID, Reason: "passes"}); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	r.keys("j", "j") // staging, then the newest move
	if !strings.Contains(r.plain(), "enter open the run behind the move") {
		t.Fatalf("the help on a move:\n%s", r.plain())
	}
	r.keys("enter")
	if m, ok := r.m.Top().(*evalws.Matrix); !ok || m.Title() != "run #1" {
		t.Fatalf("enter on the move: %s", r.titles())
	}
	// a move without a run says so
	r.keys("esc", "j")
	r.statuses()
	r.keys("enter")
	if s := strings.Join(r.statuses(), "\n"); !strings.Contains(s, "has no eval run behind it") {
		t.Fatalf("enter on a move without a run: %q (%s)", s, r.titles())
	}
}
