package tui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/promptview"
)

// secondWriter opens the database a second time, as another process
// would: its writes land between a confirmation and the user's enter.
func secondWriter(t *testing.T, path string) *store.Store {
	t.Helper()
	other, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

func labelOn(t *testing.T, st *store.Store, prompt, label string) int {
	t.Helper()
	ls, err := st.Labels(context.Background(), prompt)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == label {
			return l.Version
		}
	}
	return 0
}

func (r *root) screenHas(want ...string) {
	r.t.Helper()
	p := r.plain()
	flat := strings.Join(strings.Fields(p), " ")
	for _, w := range want {
		if !strings.Contains(flat, w) {
			r.t.Fatalf("the screen lacks %q:\n%s", w, p)
		}
	}
}

// TestStaleRollbackConfirmation: the dialog says "staging goes back from
// v3 to v2"; another process moves staging to v4 before enter. The store
// refuses (the label is not where the user saw it), and the dialog shows
// the rollback as it is now (v4 → v3) with the reason kept; a second enter
// does what that dialog says.
func TestStaleRollbackConfirmation(t *testing.T) {
	st, path := ct.FixtureStore(t)
	other := secondWriter(t, path)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.RollbackMsg{Prompt: ct.Support, Label: "staging"})
	r.screenHas("staging goes back from v3 to v2")
	r.typeText("v3 broke links")

	if _, err := other.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 4, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 4 {
		t.Fatalf("an unconfirmed rollback went through: staging is on v%d", got)
	}
	c := topConfirm(t, r, "Roll back "+ct.Support+" staging")
	if c.Value() != "v3 broke links" {
		t.Errorf("the reason was lost: %q", c.Value())
	}
	r.screenHas("staging of support/reply moved meanwhile: it is on v4, not v3", "staging goes back from v4 to v3")
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "moved meanwhile") {
		t.Errorf("status %q", s)
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 3 {
		t.Fatalf("the confirmed rollback put staging on v%d, want v3", got)
	}
}

// TestStalePromoteConfirmation: the same race on a promotion, then a
// second writer that makes the move pointless (the label is already
// there): the dialog closes and says so.
func TestStalePromoteConfirmation(t *testing.T) {
	st, path := ct.FixtureStore(t)
	other := secondWriter(t, path)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "staging"})
	r.screenHas("staging moves from v3 to v4")
	r.typeText("shorter")
	if _, err := other.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 1, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if got := labelOn(t, st, ct.Support, "staging"); got != 1 {
		t.Fatalf("an unconfirmed move went through: staging is on v%d", got)
	}
	if c := topConfirm(t, r, "Promote "+ct.Support+" v4 to staging"); c.Value() != "shorter" {
		t.Errorf("the reason was lost: %q", c.Value())
	}
	r.screenHas("it is on v1, not v3", "staging moves from v1 to v4", "v1 · staging")
	r.statuses()

	// Someone else moves it to v4 themselves: nothing is left to do.
	if _, err := other.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 4, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.keys("enter")
	if _, ok := r.m.Top().(interface{ Value() string }); ok {
		t.Fatalf("the dialog stayed open: %s", r.titles())
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "staging is already on v4") {
		t.Errorf("status %q", s)
	}
	evs, _ := st.LabelHistory(ctx, ct.Support)
	if last := evs[len(evs)-1]; last.Actor != "zoe" {
		t.Errorf("a move was recorded by this process: %+v", last)
	}
}

// TestRemoveProtectedLabel: R on a production label that was new at its
// last move removes it, so the dialog shows the gate's refusal and the
// removal takes ctrl+f with a reason.
func TestRemoveProtectedLabel(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: ct.Welcome, Label: "production", Version: 1, Actor: "bo"}); err != nil {
		t.Fatal(err)
	}
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.RollbackMsg{Prompt: ct.Welcome, Label: "production"})
	r.screenHas("rolling back removes it from v1", "production is protected: removing it needs force and a reason", "ctrl+f force")
	r.keys("enter")
	if labelOn(t, st, ct.Welcome, "production") != 1 {
		t.Fatal("production was removed without force")
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "type a reason, then ctrl+f") || strings.Contains(s, "--") {
		t.Errorf("refusal status %q", s)
	}
	r.keys("ctrl+f")
	if labelOn(t, st, ct.Welcome, "production") != 1 {
		t.Fatal("production was removed without a reason")
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "a forced change needs a reason: type it, then ctrl+f") {
		t.Errorf("no-reason status %q", s)
	}
	r.typeText("retired")
	r.keys("ctrl+f")
	if labelOn(t, st, ct.Welcome, "production") != 0 {
		t.Fatal("the forced removal did not remove production")
	}
	evs, _ := st.LabelHistory(ctx, ct.Welcome)
	if last := evs[len(evs)-1]; !last.Forced || last.To != 0 || !strings.Contains(last.Reason, "retired") {
		t.Errorf("history records %+v", last)
	}
}

// sendFast delivers msgs one after the other before any command they
// return has run, as keys typed quickly reach the program before the
// results of the first one; then it runs the commands.
func (r *root) sendFast(msgs ...tea.Msg) {
	r.t.Helper()
	var cmds []tea.Cmd
	for _, msg := range msgs {
		_, cmd := r.m.Update(msg)
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		r.run(cmd)
	}
}

// TestKeysWhileDialogOpens: "p j enter" typed at once on History picks the
// second label in the picker that p opens; the History cursor stays.
func TestKeysWhileDialogOpens(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "History"})
	r.sendFast(ct.Keys("p", "j", "enter")...)
	topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	r.keys("esc")
	pv := r.m.Top().(*promptview.Model)
	if pv.Active() != "History" {
		t.Fatalf("keys reached the prompt view: tab %s", pv.Active())
	}
	r.keys("p") // the cursor is still on v4
	if p, ok := r.m.Top().(*dialog.Picker); !ok || !strings.Contains(p.Title(), "v4") {
		t.Fatalf("the History cursor moved: %s", r.titles())
	}
}

// TestReasonTypedWhileRollbackOpens: a reason typed right after R goes to
// the rollback dialog (its "1" does not switch tabs, its "e" does not
// launch the editor).
func TestReasonTypedWhileRollbackOpens(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "Labels"})
	r.keys("j") // development, production (the cursor opens there), staging
	r.sendFast(append(ct.Keys("R"), ct.Type("v1 edits")...)...)
	c := topConfirm(t, r, "Roll back "+ct.Support+" staging")
	if c.Value() != "v1 edits" {
		t.Fatalf("the dialog got %q", c.Value())
	}
	if r.m.edit.active {
		t.Fatal("a key of the reason launched the editor")
	}
}

// TestKeysWhileDialogBusy: keys typed while a confirmation waits for the
// store are held, not dropped. When the store refuses (the label moved
// meanwhile) they go on into the confirmation shown again; when the move
// goes through they reach the screen beneath (here the History cursor).
func TestKeysWhileDialogBusy(t *testing.T) {
	st, path := ct.FixtureStore(t)
	other := secondWriter(t, path)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.OpenPromptMsg{Name: ct.Support, Tab: "History"})
	r.keys("p", "j", "enter") // staging, v4 under the cursor
	topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	r.typeText("shorter")
	// enter starts the move; the store call has not returned yet.
	_, move := r.m.Update(ct.Keys("enter")[0])
	c := topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	if !c.Busy() {
		t.Fatal("the confirmation is not busy while the move is made")
	}
	r.typeText(" sign-off")
	if _, err := other.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 1, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	r.run(move) // refused: staging moved meanwhile; shown again
	c = topConfirm(t, r, "Promote "+ct.Support+" v4 to staging")
	if c.Busy() || c.Value() != "shorter sign-off" {
		t.Fatalf("keys typed while busy were lost: busy=%v reason %q", c.Busy(), c.Value())
	}
	r.screenHas("staging moves from v1 to v4")

	// This time it goes through; "j" typed meanwhile moves the History cursor.
	_, move = r.m.Update(ct.Keys("enter")[0])
	r.keys("j")
	if _, ok := r.m.Top().(*dialog.Confirm); !ok {
		t.Fatalf("the dialog closed before the store answered: %s", r.titles())
	}
	r.run(move)
	if got := labelOn(t, st, ct.Support, "staging"); got != 4 {
		t.Fatalf("staging is on v%d, want v4", got)
	}
	if _, ok := r.m.Top().(*promptview.Model); !ok {
		t.Fatalf("want the prompt view back: %s", r.titles())
	}
	r.keys("p") // the picker opens on the version under the cursor
	if p, ok := r.m.Top().(*dialog.Picker); !ok || !strings.Contains(p.Title(), "v3") {
		t.Fatalf("the j typed while the dialog was busy was lost: %s", r.titles())
	}
}

// TestKeysTypedBeforeTheListLoads: "j enter 2" typed before the prompt
// list has read the registry open the second prompt on its History tab,
// as they would have once it showed; none is dropped on the empty list.
func TestKeysTypedBeforeTheListLoads(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	o := options(st, "dark")
	o.Ctx = t.Context()
	r := &root{t: t, m: New(o)}
	r.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	load := r.m.Init()
	var cmds []tea.Cmd
	for _, k := range ct.Keys("j", "enter", "2") {
		_, cmd := r.m.Update(k)
		cmds = append(cmds, cmd)
	}
	r.run(load)
	for _, cmd := range cmds {
		r.run(cmd)
	}
	ps, err := st.ListPrompts(t.Context(), store.ListOptions{})
	if err != nil || len(ps) < 2 {
		t.Fatalf("fixture: %d prompts, %v", len(ps), err)
	}
	if want := "prompts | " + ps[1].Name; r.titles() != want {
		t.Fatalf("stack %q, want %q", r.titles(), want)
	}
	if pv := r.m.Top().(*promptview.Model); pv.Active() != "History" {
		t.Fatalf("tab %s, want History", pv.Active())
	}
}

// TestKeysTypedBeforeATabLoads: "2 j" typed while the prompt is opening
// move History's cursor once its versions have arrived, not before.
func TestKeysTypedBeforeATabLoads(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	_, open := r.m.Update(common.OpenPromptMsg{Name: ct.Support})
	// The prompt view is up; its tabs' reads have not run yet.
	var cmds []tea.Cmd
	for _, k := range ct.Keys("2", "j") {
		_, cmd := r.m.Update(k)
		cmds = append(cmds, cmd)
	}
	r.run(open)
	for _, cmd := range cmds {
		r.run(cmd)
	}
	pv := r.m.Top().(*promptview.Model)
	if pv.Active() != "History" {
		t.Fatalf("tab %s", pv.Active())
	}
	if p := r.plain(); !strings.Contains(p, "row 2 of 4") {
		t.Fatalf("the j typed ahead was lost:\n%s", p)
	}
}

// TestPromoteTypedBeforeTheVersionLoads: "p" typed as the prompt opens,
// before its version has been read, opens the promotion of that version.
func TestPromoteTypedBeforeTheVersionLoads(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	_, open := r.m.Update(common.OpenPromptMsg{Name: ct.Support})
	_, typed := r.m.Update(ct.Key("p"))
	r.run(open)
	r.run(typed)
	if p, ok := r.m.Top().(*dialog.Picker); !ok || p.Title() != "promote v4" {
		t.Fatalf("the p typed ahead did not open the promotion: %s", r.titles())
	}
}
