package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func drive(t *testing.T, s common.Screen, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, s, msgs...)
	return out
}

// Done and cancel messages are root messages (the root's own flows in
// real use), so the driver hands them back.
var (
	doneMsg   = common.OpenPromptMsg{Name: "done"}
	cancelMsg = common.OpenPromptMsg{Name: "cancel"}
)

// recorder is a Do func that records what it was called with.
type recorder struct {
	calls []string
	err   error
}

func (r *recorder) do(_ context.Context, text string) (string, []store.Change, error) {
	r.calls = append(r.calls, text)
	if r.err != nil {
		return "", nil, r.err
	}
	return "did " + text, []store.Change{{Prompt: "p", Kind: "version", Version: 2}}, nil
}

func newConfirm(t *testing.T, spec Spec) *Confirm {
	t.Helper()
	c := ct.NewCommon(t, nil, ct.Dark())
	m := New(c, spec)
	m.SetSize(80, 24)
	return m
}

func TestConfirmRequired(t *testing.T) {
	r := &recorder{}
	m := newConfirm(t, Spec{Title: "Commit p v2", Input: "Commit message", Required: true, Confirm: "commit", Do: r.do, Done: doneMsg})
	if !m.Capturing() {
		t.Fatal("a dialog with an input does not capture keys")
	}
	out := drive(t, m, ct.Key("enter"))
	if s, ok := ct.Find[common.StatusMsg](out); !ok || s.Kind != common.StatusWarning || len(r.calls) != 0 {
		t.Fatalf("empty required message: sent %v, Do called %v", out, r.calls)
	}
	if _, ok := ct.Find[common.PopMsg](out); ok {
		t.Fatal("an empty required message closed the dialog")
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "commit message is required") {
		t.Errorf("the problem is not shown:\n%s", v)
	}
	// Spaces only are empty too.
	drive(t, m, ct.Key("space"), ct.Key("enter"))
	if len(r.calls) != 0 {
		t.Fatal("a blank message was accepted")
	}
	// q, ? and T are typed, not global keys.
	drive(t, m, ct.Type("q? Tidy")...)
	out = drive(t, m, ct.Key("enter"))
	if len(r.calls) != 1 || r.calls[0] != "q? Tidy" {
		t.Fatalf("Do called with %q", r.calls)
	}
	// Success: pop (and reload the screen below), say so, then the Done
	// message; in that order. What changed is noted for the root at once.
	var kinds []string
	for _, msg := range out {
		kinds = append(kinds, fmt.Sprintf("%T", msg))
	}
	want := "common.PopMsg common.StatusMsg common.OpenPromptMsg"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("success sent %s, want %s", kinds, want)
	}
	if p := out[0].(common.PopMsg); !p.Reload {
		t.Error("success does not reload the screen below")
	}
	if out[2] != doneMsg {
		t.Errorf("done: %v", out[2])
	}
	if s := out[1].(common.StatusMsg); s.Kind != common.StatusSuccess || s.Text != "did q? Tidy" {
		t.Errorf("status %+v", s)
	}
}

func TestConfirmErrorKeepsText(t *testing.T) {
	r := &recorder{err: fmt.Errorf("commit p: database is locked: %w", store.ErrConflict)}
	m := newConfirm(t, Spec{Title: "Commit", Input: "Commit message", Required: true, Do: r.do})
	drive(t, m, ct.Type("my careful message")...)
	out := drive(t, m, ct.Key("enter"))
	if s, ok := ct.Find[common.StatusMsg](out); !ok || s.Kind != common.StatusError || !strings.Contains(s.Text, "try again") {
		t.Fatalf("failure sent %v", out)
	}
	if _, ok := ct.Find[common.PopMsg](out); ok {
		t.Fatal("a failed write closed the dialog")
	}
	if m.Value() != "my careful message" {
		t.Fatalf("typed text lost: %q", m.Value())
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "database is locked") || !strings.Contains(v, "my careful message") {
		t.Errorf("the dialog does not show the problem and the text:\n%s", v)
	}
	// A conflict offers force only when the spec has one.
	if m.keys.Force.Enabled() {
		t.Error("ctrl+f enabled without a Force func")
	}
	// Fixed: the retry succeeds with the same text.
	r.err = nil
	out = drive(t, m, ct.Key("enter"))
	if _, ok := ct.Find[common.PopMsg](out); !ok || r.calls[1] != "my careful message" {
		t.Fatalf("retry: sent %v, calls %q", out, r.calls)
	}
}

func TestConfirmGate(t *testing.T) {
	do := &recorder{err: fmt.Errorf("production is protected: %w", store.ErrGate)}
	force := &recorder{}
	gate := &common.RunSuiteMsg{Prompt: "p", Versions: []int{3}, Suite: "default"}
	m := newConfirm(t, Spec{Title: "Promote", Input: "Reason", Do: do.do, Force: force.do, Gate: gate})
	// A gate that lacks evidence offers ctrl+r at once (the dialog says
	// "ctrl+r runs it"); forcing waits for a refusal.
	if !m.keys.Run.Enabled() {
		t.Fatal("ctrl+r is not offered before the gate refused")
	}
	if out := drive(t, m, ct.Key("ctrl+f")); len(out) != 0 || len(force.calls) != 0 {
		t.Fatalf("ctrl+f before a refusal: %v", out)
	}
	drive(t, m, ct.Type("hotfix")...)
	drive(t, m, ct.Key("enter"))
	if !m.keys.Run.Enabled() || !m.keys.Force.Enabled() {
		t.Fatal("the gate's refusal does not offer ctrl+r and ctrl+f")
	}
	help := fmt.Sprint(m.ShortHelp())
	if !strings.Contains(help, "ctrl+r") || !strings.Contains(help, "ctrl+f") {
		t.Errorf("help does not show the gate keys: %s", help)
	}
	// ctrl+f forces with the typed reason.
	out := drive(t, m, ct.Key("ctrl+f"))
	if len(force.calls) != 1 || force.calls[0] != "hotfix" {
		t.Fatalf("ctrl+f: Force called with %q", force.calls)
	}
	if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("forced move sent %v", out)
	}
	// ctrl+r closes the dialog and opens the run form.
	m = newConfirm(t, Spec{Title: "Promote", Input: "Reason", Do: do.do, Force: force.do, Gate: gate})
	drive(t, m, ct.Key("enter"))
	out = drive(t, m, ct.Key("ctrl+r"))
	if len(out) != 2 {
		t.Fatalf("ctrl+r sent %v", out)
	}
	if p, ok := out[0].(common.PopMsg); !ok || p.Reload {
		t.Errorf("ctrl+r first sent %#v", out[0])
	}
	if r, ok := out[1].(common.RunSuiteMsg); !ok || r.Prompt != "p" || fmt.Sprint(r.Versions) != "[3]" || r.Suite != "default" {
		t.Errorf("ctrl+r then sent %#v", out[1])
	}
}

func TestConfirmCancelAndSend(t *testing.T) {
	m := newConfirm(t, Spec{Title: "Problem", Lines: []string{"The file does not parse."}, Confirm: "reopen", Send: doneMsg, Cancel: cancelMsg})
	out := drive(t, m, ct.Key("enter"))
	if len(out) != 2 || out[0] != (common.PopMsg{}) || out[1] != (doneMsg) {
		t.Fatalf("enter on a question sent %v", out)
	}
	out = drive(t, m, ct.Key("esc"))
	if len(out) != 2 || out[0] != (common.PopMsg{}) || out[1] != (cancelMsg) {
		t.Fatalf("esc sent %v", out)
	}
	// Without a Cancel message, esc only closes.
	m = newConfirm(t, Spec{Title: "x", Input: "Reason", Do: (&recorder{}).do})
	if out := drive(t, m, ct.Key("esc")); len(out) != 1 || out[0] != (common.PopMsg{}) {
		t.Fatalf("esc sent %v", out)
	}
}

func TestConfirmBusyIgnoresKeys(t *testing.T) {
	r := &recorder{}
	m := newConfirm(t, Spec{Title: "x", Input: "Reason", Do: r.do})
	m.Update(ct.Key("a"))
	_, cmd := m.Update(ct.Key("enter")) // the write is in flight: not run yet
	if !m.busy || !strings.Contains(ansi.Strip(m.View()), "Working…") {
		t.Fatal("not busy while the write runs")
	}
	if _, again := m.Update(ct.Key("enter")); again != nil {
		t.Fatal("a second enter while busy starts another write")
	}
	if _, esc := m.Update(ct.Key("esc")); esc != nil {
		t.Fatal("esc while busy")
	}
	drive(t, m, ct.Run(t, cmd)...)
	// Done, it closes: it stays busy until it is gone, so the root gives
	// keys typed meanwhile to the screen beneath, not to it.
	if len(r.calls) != 1 || !m.Busy() {
		t.Fatalf("calls %v busy %v", r.calls, m.Busy())
	}
}

// gated sets up the fixture with a default suite on support/reply, so
// production (protected by the default gate) needs a run it does not have.
func gated(t *testing.T) (*store.Store, *common.Common) {
	t.Helper()
	st, _ := ct.FixtureStore(t)
	if _, err := st.SaveSuite(context.Background(), ct.Support, store.Suite{Name: "default", Cases: []store.Case{
		{Name: "refund", Vars: map[string]any{"question": "refund?"}, Assertions: []store.Assertion{{Type: "contains", Value: "sorry"}}}}}); err != nil {
		t.Fatal(err)
	}
	return st, ct.NewCommon(t, st, ct.Dark())
}

// load runs a Load* command and returns the dialog it opens.
func load(t *testing.T, cmd tea.Cmd) *Confirm {
	t.Helper()
	msgs := ct.Run(t, cmd)
	if len(msgs) != 1 {
		t.Fatalf("load sent %v", msgs)
	}
	push, ok := msgs[0].(common.PushMsg)
	if !ok {
		t.Fatalf("load sent %#v", msgs[0])
	}
	m := push.Screen.(*Confirm)
	m.SetSize(100, 30)
	return m
}

func TestPromoteGate(t *testing.T) {
	st, c := gated(t)
	ctx := context.Background()
	m := load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "production"}))
	v := ansi.Strip(m.View())
	for _, want := range []string{"Promote support/reply v4 to production", "production moves from v2 to v4.", "has no finished run on suite \"default\"", "or type a reason and ctrl+f forces it", "Reason:"} {
		if !strings.Contains(v, want) {
			t.Errorf("promote dialog does not show %q:\n%s", want, v)
		}
	}
	drive(t, m, ct.Type("customers asked")...)
	out := drive(t, m, ct.Key("enter"))
	if s, ok := ct.Find[common.StatusMsg](out); !ok || s.Kind != common.StatusError || !strings.Contains(s.Text, "protected") {
		t.Fatalf("the gate did not refuse: %v", out)
	}
	if labelOf(t, st, ct.Support, "production") != 2 {
		t.Fatal("production moved past the gate")
	}
	// ctrl+r offers the run.
	if _, ok := ct.Find[common.RunSuiteMsg](drive(t, m, ct.Key("ctrl+r"))); !ok {
		t.Error("ctrl+r does not open the run form")
	}
	// Force with an empty reason is refused, then forced with one.
	m = load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "production"}))
	drive(t, m, ct.Key("enter"))
	out = drive(t, m, ct.Key("ctrl+f"))
	if s, _ := ct.Find[common.StatusMsg](out); !strings.Contains(s.Text, "needs a reason") {
		t.Fatalf("forced without a reason: %v", out)
	}
	drive(t, m, ct.Type("hotfix for ticket 42")...)
	out = drive(t, m, ct.Key("ctrl+f"))
	if s, _ := ct.Find[common.StatusMsg](out); s.Kind != common.StatusSuccess || !strings.Contains(s.Text, "forced past the gate") {
		t.Fatalf("forced move: %v", out)
	}
	if w := c.Written(); len(w) != 1 || w[0].Label != "production" || w[0].Version != 4 || w[0].From != 2 {
		t.Errorf("wrote %+v", w)
	}
	if labelOf(t, st, ct.Support, "production") != 4 {
		t.Fatal("the forced move did not move production")
	}
	evs, err := st.LabelHistory(ctx, ct.Support)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if !last.Forced || last.Reason != "hotfix for ticket 42" || last.Actor != ct.Author || last.From != 2 || last.To != 4 {
		t.Errorf("label history records %+v", last)
	}
}

func TestPromoteUngated(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	// Production is protected but support/reply has no suite: not gated.
	m := load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "production", Evidence: []string{"run #7: 12/12 passed"}}))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "to check it: the") || !strings.Contains(v, "move is not gated") || !strings.Contains(v, "run #7: 12/12 passed") {
		t.Errorf("ungated dialog:\n%s", v)
	}
	drive(t, m, ct.Type("ship it")...)
	if out := drive(t, m, ct.Key("enter")); len(out) == 0 || out[0] != (common.PopMsg{Reload: true}) {
		t.Fatalf("promote sent %v", out)
	}
	if labelOf(t, st, ct.Support, "production") != 4 {
		t.Fatal("production did not move")
	}
	// A new label.
	m = load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Summary, Version: 1, Label: "canary"}))
	if !strings.Contains(ansi.Strip(m.View()), "canary is new: it will point at v1.") {
		t.Errorf("new label:\n%s", ansi.Strip(m.View()))
	}
	drive(t, m, ct.Key("enter")) // a reason is optional
	if labelOf(t, st, ct.Summary, "canary") != 1 {
		t.Fatal("canary not set")
	}
	// Already there, invalid names, missing versions: a status, no dialog.
	for _, req := range []common.PromoteMsg{
		{Prompt: ct.Summary, Version: 1, Label: "canary"},
		{Prompt: ct.Summary, Version: 1, Label: "latest"},
		{Prompt: ct.Summary, Version: 1, Label: "Bad Label"},
		{Prompt: ct.Summary, Version: 9, Label: "staging"},
	} {
		msgs := ct.Run(t, LoadPromote(c, req))
		if len(msgs) != 1 {
			t.Fatalf("%+v: %v", req, msgs)
		}
		if _, ok := msgs[0].(common.StatusMsg); !ok {
			t.Errorf("%+v: sent %#v", req, msgs[0])
		}
	}
}

func TestRollback(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	m := load(t, LoadRollback(c, ct.Support, "staging"))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Roll back support/reply staging") || !strings.Contains(v, "staging goes back from v3 to v2") {
		t.Errorf("rollback dialog:\n%s", v)
	}
	drive(t, m, ct.Type("v3 broke links")...)
	out := drive(t, m, ct.Key("enter"))
	if s, _ := ct.Find[common.StatusMsg](out); s.Text != "support/reply staging rolled back to v2" {
		t.Fatalf("rollback sent %v", out)
	}
	if labelOf(t, st, ct.Support, "staging") != 2 {
		t.Fatal("staging did not move back")
	}
	evs, _ := st.LabelHistory(context.Background(), ct.Support)
	if last := evs[len(evs)-1]; last.Reason != "rollback: v3 broke links" || last.Actor != ct.Author || last.To != 2 {
		t.Errorf("history records %+v", last)
	}
	// A label that was new at its last move: rolling back removes it, as
	// the dialog says.
	m = load(t, LoadRollback(c, ct.Support, "development"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "rolling back removes it") {
		t.Errorf("new-label rollback dialog:\n%s", v)
	}
	out = drive(t, m, ct.Key("enter"))
	if s, _ := ct.Find[common.StatusMsg](out); s.Kind != common.StatusSuccess || s.Text != "support/reply development removed" {
		t.Fatalf("rollback of a new label sent %v", out)
	}
	if labelOf(t, st, ct.Support, "development") != 0 {
		t.Fatal("development still set")
	}
	// A label that does not exist.
	if msgs := ct.Run(t, LoadRollback(c, ct.Summary, "production")); len(msgs) != 1 {
		t.Fatalf("missing label: %v", msgs)
	} else if s, ok := msgs[0].(common.StatusMsg); ok && s.Kind != common.StatusError && s.Kind != common.StatusInfo {
		t.Errorf("missing label: %+v", s)
	}
}

func TestCommitSpec(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	base, _ := st.Version(context.Background(), ct.Summary, 1)
	in := store.CommitInput{Name: ct.Summary, Template: "Summarize in {{sentences}} sentences.\n\n{{text}}", Config: base.Config}
	m := New(c, CommitSpec(c, base, in, "Commit summarize v2"))
	m.SetSize(100, 30)
	drive(t, m, ct.Type("Terser")...)
	out := drive(t, m, ct.Key("enter"))
	if w := c.Written(); len(w) != 1 || w[0].Version != 2 || w[0].Actor != ct.Author {
		t.Fatalf("commit wrote %+v, sent %v", w, out)
	}
	v, err := st.Lookup(context.Background(), ct.Summary+"@latest")
	if err != nil || v.Number != 2 || v.Message != "Terser" || v.Author != ct.Author {
		t.Fatalf("committed %+v, %v", v, err)
	}
}

func TestPicker(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, NewPicker(c, common.PromoteMsg{Prompt: ct.Support, Version: 4}), 80, 24)
	p := s.(*Picker)
	v := ansi.Strip(p.View())
	for _, want := range []string{"Promote support/reply v4: which label?", "production   now on v2", "staging   now on v3", "development   now on v4", "new label…"} {
		if !strings.Contains(v, want) {
			t.Errorf("picker does not show %q:\n%s", want, v)
		}
	}
	// enter on staging: close the picker, then open the promotion.
	out := drive(t, p, ct.Key("j"), ct.Key("enter"))
	if len(out) != 2 || out[0] != (common.PopMsg{}) {
		t.Fatalf("pick sent %v", out)
	}
	// The promotion is a flow: the root opens it (and holds the keys
	// typed until it is open).
	if req, ok := out[1].(common.PromoteMsg); !ok || req.Label != "staging" || req.Version != 4 {
		t.Fatalf("pick then sent %#v", out[1])
	}
	// A new label: typed (q is text here), validated.
	s, _ = ct.Start(t, NewPicker(c, common.PromoteMsg{Prompt: ct.Summary, Version: 1}), 80, 24)
	p = s.(*Picker)
	drive(t, p, ct.Key("G"), ct.Key("down"), ct.Key("down"), ct.Key("down"), ct.Key("enter"))
	if !p.naming {
		t.Fatal("enter on new label… does not ask for a name")
	}
	drive(t, p, ct.Type("Bad")...)
	if s, ok := ct.Find[common.StatusMsg](drive(t, p, ct.Key("enter"))); !ok || s.Kind != common.StatusError {
		t.Fatalf("invalid name: %+v", s)
	}
	drive(t, p, ct.Key("backspace"), ct.Key("backspace"), ct.Key("backspace"))
	drive(t, p, ct.Type("eu-q")...)
	out = drive(t, p, ct.Key("enter"))
	if req, ok := ct.Find[common.PromoteMsg](out); !ok || req.Label != "eu-q" || req.Prompt != ct.Summary {
		t.Fatalf("new label sent %v", out)
	}
	// esc leaves the name, then the picker.
	drive(t, p, ct.Key("enter"))
	p.naming = true
	drive(t, p, ct.Key("esc"))
	if p.naming {
		t.Fatal("esc does not leave the name")
	}
	if out := drive(t, p, ct.Key("esc")); len(out) != 1 || out[0] != (common.PopMsg{}) {
		t.Fatalf("esc sent %v", out)
	}
	// A click picks a row.
	drive(t, p, ct.Click(4, 3))
	if p.cursor != 1 {
		t.Errorf("click: cursor %d", p.cursor)
	}
}

func labelOf(t *testing.T, st *store.Store, prompt, label string) int {
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

var _ = errors.New

// TestPromoteStagedRollout: the promote dialog offers a staged rollout
// next to moving now (the CLI's default plan), gated like the CLI: refused
// with the gate's decision shown, forced with a reason by ctrl+f; started,
// it opens the Rollout view.
func TestPromoteStagedRollout(t *testing.T) {
	st, c := gated(t)
	ctx := context.Background()
	req := common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "production"}
	m := load(t, LoadPromote(c, req))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "ctrl+s starts a staged rollout instead: 5% → 25% → 50% → 100% of units on v4, one step every 1h") ||
		!strings.Contains(v, "error_rate<=+1pp, p95_latency<=+20%, 100 events each") {
		t.Fatalf("the dialog does not offer the staged rollout:\n%s", v)
	}
	var keys []string
	for _, b := range m.ShortHelp() {
		keys = append(keys, b.Help().Key+" "+b.Help().Desc)
	}
	if got := strings.Join(keys, ", "); !strings.Contains(got, "ctrl+s start a staged rollout") || !strings.Contains(got, "enter move production now") {
		t.Errorf("help: %s", got)
	}
	drive(t, m, ct.Type("watch it live")...)
	out := drive(t, m, ct.Key("ctrl+s"))
	if s, ok := ct.Find[common.StatusMsg](out); !ok || s.Kind != common.StatusError || !strings.Contains(s.Text, "production is protected") || !strings.Contains(s.Text, "has no finished run") {
		t.Fatalf("the gate did not refuse the rollout with its decision: %v", out)
	}
	if _, err := st.LatestRollout(ctx, ct.Support, "production"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused rollout started: %v", err)
	}
	out = drive(t, m, ct.Key("ctrl+f"))
	if s, _ := ct.Find[common.StatusMsg](out); s.Kind != common.StatusSuccess || !strings.Contains(s.Text, "rollout 1 to v4 started at 5% (forced past the gate)") {
		t.Fatalf("forced rollout: %v", out)
	}
	if o, ok := ct.Find[common.OpenRolloutMsg](out); !ok || o.Label != "production" {
		t.Errorf("the Rollout view does not open: %v", out)
	}
	r, err := st.LatestRollout(ctx, ct.Support, "production")
	if err != nil || r.State != store.RolloutRunning || r.From != 2 || r.To != 4 || fmt.Sprint(r.Steps) != "[5 25 50 100]" || r.Every != time.Hour ||
		len(r.Guards) != 2 || r.MinRequests != 100 || r.Reason != "watch it live" {
		t.Fatalf("rollout %+v %v", r, err)
	}
	// a label with a live rollout, or a new label, is not offered one
	m = load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 3, Label: "production"}))
	if strings.Contains(ansi.Strip(m.View()), "staged rollout") {
		t.Error("a second rollout is offered while one is live")
	}
	m = load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Summary, Version: 1, Label: "canary"}))
	if strings.Contains(ansi.Strip(m.View()), "staged rollout") {
		t.Error("a rollout is offered for a new label")
	}
}

// TestStaleStagedRollout: when the label moved between the dialog and
// ctrl+s, no rollout starts and the dialog is shown again as it is now.
func TestStaleStagedRollout(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	c := ct.NewCommon(t, st, ct.Dark())
	m := load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "staging"}))
	drive(t, m, ct.Type("canary users")...)
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: ct.Support, Label: "staging", Version: 1, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	out := drive(t, m, ct.Key("ctrl+s"))
	re, ok := ct.Find[common.ReplaceMsg](out)
	if !ok {
		t.Fatalf("the stale start sent %v", out)
	}
	if _, err := st.LatestRollout(ctx, ct.Support, "staging"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a stale rollout started: %v", err)
	}
	again := re.Screen.(*Confirm)
	again.SetSize(100, 30)
	if v := ansi.Strip(again.View()); !strings.Contains(v, "staging moves from v1 to v4") || again.Value() != "canary users" {
		t.Fatalf("shown again:\n%s (%q)", v, again.Value())
	}
	drive(t, again, ct.Key("ctrl+s"))
	if r, err := st.LatestRollout(ctx, ct.Support, "staging"); err != nil || r.From != 1 || r.To != 4 {
		t.Fatalf("rollout %+v %v", r, err)
	}
}
