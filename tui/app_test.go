package tui

import (
	"context"
	"github.com/seed94f0f622/verso/internal/pgtest"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/browse"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/diffscreen"
	"github.com/seed94f0f622/verso/tui/promptview"
)

// root is the root model under test with what the program would do
// around it: it runs the commands Update returns and feeds their messages
// back, remembering the ones seen and whether the program quit.
type root struct {
	t    *testing.T
	m    *Model
	seen []tea.Msg
	quit bool
}

func options(st *store.Store, theme string) Options {
	return Options{Store: st, DBPath: ct.DBPath, Author: ct.Author, ThemeName: theme, Poll: -1,
		Getenv: func(string) string { return "" }, Now: ct.Clock, Editor: "true"}
}

func newRoot(t *testing.T, o Options, w, h int) *root {
	t.Helper()
	if o.Ctx == nil {
		o.Ctx = t.Context()
	}
	r := &root{t: t, m: New(o)}
	r.send(tea.WindowSizeMsg{Width: w, Height: h})
	r.run(r.m.Init())
	return r
}

// send delivers msgs one by one, each with everything it causes.
func (r *root) send(msgs ...tea.Msg) {
	r.t.Helper()
	for _, msg := range msgs {
		r.deliver(msg, 0)
	}
}

func (r *root) deliver(msg tea.Msg, depth int) {
	r.t.Helper()
	if depth > 200 {
		r.t.Fatal("messages cause messages more than 200 deep")
	}
	if _, ok := msg.(tea.QuitMsg); ok {
		r.quit = true
		return
	}
	r.seen = append(r.seen, msg)
	_, cmd := r.m.Update(msg)
	for _, m := range ct.Run(r.t, cmd) {
		r.deliver(m, depth+1)
	}
}

func (r *root) run(cmd tea.Cmd) {
	r.t.Helper()
	for _, m := range ct.Run(r.t, cmd) {
		r.deliver(m, 0)
	}
}

// keys presses keys by binding name.
func (r *root) keys(ks ...string) {
	r.t.Helper()
	r.send(ct.Keys(ks...)...)
}

func (r *root) typeText(s string) {
	r.t.Helper()
	r.send(ct.Type(s)...)
}

func (r *root) plain() string { return ansi.Strip(r.m.Render()) }

func (r *root) titles() string {
	var out []string
	for _, s := range r.m.Stack() {
		out = append(out, s.Title())
	}
	return strings.Join(out, " | ")
}

// statuses returns the status messages seen since the last call.
func (r *root) statuses() []string {
	var out []string
	for _, m := range r.seen {
		if s, ok := m.(common.StatusMsg); ok {
			out = append(out, s.Text)
		}
	}
	r.seen = nil
	return out
}

func (r *root) browse() *browse.Model { return r.m.Stack()[0].(*browse.Model) }

func TestStack(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	if r.titles() != "prompts" || !strings.Contains(r.plain(), "4 prompts") {
		t.Fatalf("start: %s\n%s", r.titles(), r.plain())
	}
	c := r.m.Common()
	r.send(common.PushMsg{Screen: diffscreen.New(c, common.DiffSpec{Title: "one", Left: "a", Right: "b"})})
	if r.titles() != "prompts | one" || !strings.HasPrefix(r.plain(), "verso › one") {
		t.Fatalf("push: %s", r.titles())
	}
	// The pushed screen got the body's size: the terminal minus 3 lines.
	ct.CheckFrame(t, r.m.Top().View(), 100, 27)
	r.send(common.ReplaceMsg{Screen: diffscreen.New(c, common.DiffSpec{Title: "two", Left: "a", Right: "b"})})
	if r.titles() != "prompts | two" {
		t.Fatalf("replace: %s", r.titles())
	}
	r.send(common.PopMsg{})
	if r.titles() != "prompts" {
		t.Fatalf("pop: %s", r.titles())
	}
	r.send(common.PopMsg{Reload: true}, common.PopMsg{})
	if r.titles() != "prompts" || r.quit {
		t.Fatalf("pop at the root: %s quit=%v", r.titles(), r.quit)
	}
	r.send(common.PushMsg{Screen: nil})
	if r.titles() != "prompts" {
		t.Fatalf("push nil: %s", r.titles())
	}
}

func TestBackAndQuit(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("G", "enter")
	if r.titles() != "prompts | support/reply" {
		t.Fatalf("enter: %s", r.titles())
	}
	if !strings.HasPrefix(r.plain(), "verso › support/reply") {
		t.Errorf("breadcrumb:\n%s", r.plain())
	}
	r.keys("q")
	if r.titles() != "prompts" || r.quit {
		t.Fatalf("q on the prompt: %s quit=%v", r.titles(), r.quit)
	}
	r.keys("enter", "esc")
	if r.titles() != "prompts" || r.quit {
		t.Fatalf("esc on the prompt: %s", r.titles())
	}
	// The cursor is still on the prompt that was open.
	if r.browse().Selected() != ct.Support {
		t.Errorf("back lost the cursor: %s", r.browse())
	}
	r.keys("esc")
	if r.quit {
		t.Fatal("esc at the root quits")
	}
	r.keys("q")
	if !r.quit {
		t.Fatal("q at the root does not quit")
	}
	r = newRoot(t, options(st, "dark"), 100, 30)
	r.keys("enter", "2")
	r.keys("ctrl+c")
	if !r.quit {
		t.Fatal("ctrl+c on a prompt does not quit")
	}
}

func TestEscClearsAppliedFilterFirst(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("/")
	r.typeText("sales")
	r.keys("enter")
	if r.titles() != "prompts | sales/outreach" {
		t.Fatalf("filter + enter: %s", r.titles())
	}
	r.keys("q")
	if !strings.Contains(r.browse().String(), `filter="sales"`) {
		t.Fatalf("filter lost: %s", r.browse())
	}
	r.keys("esc")
	if !strings.Contains(r.browse().String(), `filter=""`) || r.browse().Selected() != ct.Sales {
		t.Fatalf("esc: %s", r.browse())
	}
}

func TestCapturingScreenGetsKeys(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("/")
	r.typeText("q?T")
	if !strings.Contains(r.browse().String(), `filter="q?T"`) || r.quit || r.m.showAll || r.m.Common().Theme.Name != "dark" {
		t.Fatalf("typing q?T in the filter: %s quit=%v help=%v theme=%s", r.browse(), r.quit, r.m.showAll, r.m.Common().Theme.Name)
	}
	// The help line while typing shows ctrl+c, not q/esc back.
	lines := strings.Split(r.plain(), "\n")
	if help := lines[len(lines)-2]; !strings.Contains(help, "ctrl+c") || strings.Contains(help, "q/esc") {
		t.Errorf("help line while typing: %q", help)
	}
	r.keys("ctrl+c")
	if !r.quit {
		t.Fatal("ctrl+c while typing does not quit")
	}
}

func TestHelp(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 140, 40)
	lines := strings.Split(r.plain(), "\n")
	help := lines[len(lines)-2]
	// At the top, the footer says what q really does (esc only clears a
	// filter: the list's own key says so once one is applied).
	for _, want := range []string{"enter open", "/ filter", "q quit", "? all keys"} {
		if !strings.Contains(help, want) {
			t.Errorf("help line %q lacks %q", help, want)
		}
	}
	if strings.Contains(help, "back") {
		t.Errorf("the top-level footer offers 'back': %q", help)
	}
	r.keys("enter")
	if lines := strings.Split(r.plain(), "\n"); strings.Contains(lines[len(lines)-2], "q quit") {
		t.Errorf("inside a prompt the footer says q quits: %q", lines[len(lines)-2])
	}
	r.keys("q")
	r.keys("?")
	v := r.plain()
	for _, want := range []string{"Keys for prompts", "page down", "clear filter", "preview raw/rendered", "next theme", "ctrl+c", "quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("full help lacks %q:\n%s", want, v)
		}
	}
	// Any key closes it (and does nothing else).
	r.keys("j")
	if r.m.showAll || r.browse().Selected() != "onboarding/welcome-email" {
		t.Fatalf("a key after ?: help=%v %s", r.m.showAll, r.browse())
	}
	// On the prompt view: the active tab's keys and the tab keys.
	r.keys("G", "enter", "2", "?")
	v = r.plain()
	for _, want := range []string{"Keys for support/reply", "mark", "restore as latest", "next tab", "previous tab", "go to tab"} {
		if !strings.Contains(v, want) {
			t.Errorf("prompt full help lacks %q:\n%s", want, v)
		}
	}
	r.keys("?")
	if r.m.showAll {
		t.Error("? does not close the full help")
	}
}

func TestThemeCycle(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	before := r.m.Render()
	r.keys("T")
	name := r.m.Common().Theme.Name
	if name == "dark" || r.m.Render() == before {
		t.Fatalf("T: theme %s", name)
	}
	if s := r.statuses(); len(s) != 1 || s[0] != "theme: "+name+" for this session (keep it: theme: "+name+" in the config file, or --theme "+name+")" {
		t.Errorf("T said %q", s)
	}
	// NO_COLOR: colours stay off.
	o := options(st, "")
	o.Getenv = func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	r = newRoot(t, o, 100, 30)
	name = r.m.Common().Theme.Name
	r.keys("T")
	if r.m.Common().Theme.Name != name || !strings.Contains(strings.Join(r.statuses(), ";"), "NO_COLOR") {
		t.Errorf("T under NO_COLOR changed the theme to %s", r.m.Common().Theme.Name)
	}
}

func TestStatus(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	_, cmd := r.m.Update(common.StatusMsg{Kind: common.StatusSuccess, Text: "committed x v2"})
	if !ct.IsTimer(cmd) {
		t.Fatal("a status message does not start its timer")
	}
	if !strings.Contains(r.plain(), "committed x v2") {
		t.Fatalf("status not shown:\n%s", r.plain())
	}
	first := r.m.statusSeq
	r.send(common.StatusMsg{Kind: common.StatusError, Text: "locked " + ct.Evil})
	// The first message's timer fires: the newer message stays.
	r.send(clearStatusMsg{seq: first})
	if !strings.Contains(r.plain(), "locked") {
		t.Fatal("an old timer cleared a newer message")
	}
	ct.CheckClean(t, r.m.Render())
	r.send(clearStatusMsg{seq: r.m.statusSeq})
	if strings.Contains(r.plain(), "locked") {
		t.Fatal("the status did not clear after its timer")
	}
	// The status bar: database path and author.
	lines := strings.Split(r.plain(), "\n")
	if bar := lines[len(lines)-1]; !strings.Contains(bar, ct.DBPath) || !strings.Contains(bar, ct.Author) {
		t.Errorf("status bar %q", bar)
	}
}

func TestAddressedBelowTop(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("G", "enter")
	pv := r.m.Top().(*promptview.Model)
	r.send(common.OpenDiffMsg{Spec: common.DiffSpec{Title: "d", Left: "a", Right: "b"}})
	if len(r.m.Stack()) != 3 {
		t.Fatalf("stack %s", r.titles())
	}
	if _, err := st.Commit(context.Background(), store.CommitInput{Name: "aaa", Template: "x {{y}}", Author: "zoe", Message: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(context.Background(), store.CommitInput{Name: ct.Support, Template: "new {{y}}", Author: "zoe", Message: "v5"}); err != nil {
		t.Fatal(err)
	}
	// The list (bottom) and the prompt view's tabs (middle) reload while
	// the diff is on top: their results reach them.
	r.run(r.m.Stack()[0].Reload())
	r.run(pv.Reload())
	if !strings.Contains(r.browse().String(), "prompts=5") {
		t.Errorf("the list did not get its reload: %s", r.browse())
	}
	if r.m.Top().Title() != "d" {
		t.Fatalf("top changed: %s", r.titles())
	}
	r.keys("q")
	r.keys("2")
	if v := r.plain(); !strings.Contains(v, "5 versions") {
		t.Errorf("the history tab did not get its reload:\n%s", v)
	}
	// A result for a screen that was closed is dropped.
	cmd := r.m.Top().Reload()
	r.keys("q")
	r.run(cmd)
	if r.titles() != "prompts" {
		t.Fatalf("stack %s", r.titles())
	}
}

func TestMouse(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	// Header on row 0; the list's rows start at body row 2.
	r.send(tea.MouseClickMsg{X: 5, Y: 1 + 4, Button: tea.MouseLeft})
	if r.browse().Selected() != ct.Summary {
		t.Fatalf("click: %s", r.browse())
	}
	r.send(tea.MouseClickMsg{X: 5, Y: 0, Button: tea.MouseLeft}, tea.MouseClickMsg{X: 5, Y: 29, Button: tea.MouseLeft})
	if r.browse().Selected() != ct.Summary || len(r.m.Stack()) != 1 {
		t.Fatalf("clicks on the header or status bar: %s", r.browse())
	}
	r.send(tea.MouseClickMsg{X: 5, Y: 5, Button: tea.MouseLeft})
	if r.titles() != "prompts | summarize" {
		t.Fatalf("second click: %s", r.titles())
	}
	// Tabs by mouse, through the root's offset.
	r.send(tea.MouseClickMsg{X: 14, Y: 1, Button: tea.MouseLeft})
	if pv := r.m.Top().(*promptview.Model); pv.Active() != "History" {
		t.Fatalf("tab click: %s", pv.Active())
	}
}

func TestFlows(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.keys("G", "enter")
	// Content: p without a label opens the picker; esc closes it.
	r.keys("p")
	if _, ok := r.m.Top().(*dialog.Picker); !ok {
		t.Fatalf("p: %s", r.titles())
	}
	r.keys("esc")
	// History: restore v2 (the root shows the diff and asks a message).
	r.keys("2", "j", "j", "r")
	if !strings.HasPrefix(r.m.Top().Title(), "Restore support/reply v2 as v5") {
		t.Fatalf("r: %s", r.titles())
	}
	if c := r.m.Top().(*dialog.Confirm); c.Value() != "Restore v2" {
		t.Errorf("restore message %q", c.Value())
	}
	r.keys("enter")
	v, err := st.Lookup(context.Background(), ct.Support+"@latest")
	if err != nil || v.Number != 5 || v.Parent != 2 || v.Author != ct.Author || v.Message != "Restore v2" {
		t.Fatalf("restored %+v %v", v, err)
	}
	if r.titles() != "prompts | support/reply" {
		t.Fatalf("after the restore: %s", r.titles())
	}
	// The prompt view reloaded: history shows v5 with its parent.
	if p := r.plain(); !strings.Contains(p, "5 versions") || !strings.Contains(p, "(from v2)") {
		t.Errorf("history after the restore:\n%s", p)
	}
	// Labels: R on staging rolls it back after the confirmation.
	r.keys("3", "j", "R") // the tab opens on production
	if r.m.Top().Title() != "Roll back support/reply staging" {
		t.Fatalf("R: %s", r.titles())
	}
	r.typeText("bad links")
	r.keys("enter")
	if ls, _ := st.Labels(context.Background(), ct.Support); ls[2].Name != "staging" || ls[2].Version != 2 {
		t.Fatalf("labels after the rollback: %+v", ls)
	}
	if s := r.statuses(); !strings.Contains(strings.Join(s, ";"), "staging rolled back to v2") {
		t.Errorf("statuses %q", s)
	}
	// A run without an engine says evals are unavailable.
	r.send(common.RunSuiteMsg{Prompt: ct.Support})
	if s := r.statuses(); len(s) != 1 || !strings.Contains(s[0], "not available") {
		t.Errorf("run without an engine: %q", s)
	}
}

func TestLive(t *testing.T) {
	_, path := ct.FixtureStore(t)
	// This process writes on the real clock, after the fixture's "now", as
	// it would.
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{}) // the first poll takes the baseline
	if s := r.statuses(); len(s) != 0 {
		t.Fatalf("first poll said %q", s)
	}
	r.keys("G", "enter", "2", "j") // history, cursor on v3
	other, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Commit(context.Background(), store.CommitInput{Name: ct.Support, Template: "from elsewhere {{x}}", Author: "zoe", Message: "remote"}); err != nil {
		t.Fatal(err)
	}
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 1 || s[0] != "zoe committed support/reply v5" {
		t.Fatalf("notice %q", s)
	}
	// Reloaded, keeping the open screen and the cursor.
	if r.titles() != "prompts | support/reply" {
		t.Fatalf("stack after the reload: %s", r.titles())
	}
	p := r.plain()
	if !strings.Contains(p, "5 versions") || !strings.Contains(p, "› ") || !strings.Contains(p, "remote") {
		t.Fatalf("history after the reload:\n%s", p)
	}
	for _, l := range strings.Split(p, "\n") {
		if strings.HasPrefix(l, "› ") && !strings.Contains(l, "v3") {
			t.Errorf("cursor moved: %q", l)
		}
	}
	// Nothing changed: no notice.
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 0 {
		t.Fatalf("idle poll said %q", s)
	}
	// Two changes at once: the last, and how many more.
	for _, l := range []string{"canary", "eu"} {
		if _, err := other.SetLabel(context.Background(), store.LabelInput{Prompt: ct.Summary, Label: l, Version: 1, Actor: "zoe"}); err != nil {
			t.Fatal(err)
		}
	}
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 1 || s[0] != "zoe moved summarize eu to v1 (and 1 more changes)" {
		t.Fatalf("notice %q", s)
	}
	// Our own change (promote staging to v5 through the dialog): the
	// screens reload, but no notice.
	r.keys("g", "p")
	r.keys("j", "enter") // staging, v3 → v5
	r.typeText("ours")
	r.keys("enter")
	if len(r.m.c.Written()) == 0 {
		t.Fatal("the promotion did not note what it wrote")
	}
	if s := r.statuses(); len(s) != 1 || !strings.Contains(s[0], "staging → v") {
		t.Fatalf("promote said %q", s)
	}
	before := r.m.live.cursor
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 0 {
		t.Fatalf("our own change was announced: %q", s)
	}
	if r.m.live.cursor.Label <= before.Label {
		t.Fatal("the poll did not see our change (the test proves nothing)")
	}
	// Once a poll has passed them, our own changes are forgotten: the
	// list does not grow with every write of a long session.
	if n := len(r.m.c.Written()); n != 0 {
		t.Fatalf("%d own changes kept after the poll passed them", n)
	}
}

// TestHelpAlwaysShowsGlobalKeys: however many keys a screen has, the help
// line keeps "? all keys" (and q/esc back, or ctrl+c while typing), and
// the full key map keeps the global keys, down to 40 columns.
func TestHelpAlwaysShowsGlobalKeys(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	for _, w := range []int{40, 60, 80, 100} {
		r := newRoot(t, options(st, "dark"), w, 24)
		check := func(where string, want ...string) {
			t.Helper()
			lines := strings.Split(r.plain(), "\n")
			help := lines[len(lines)-2]
			for _, k := range want {
				if !strings.Contains(help, k) {
					t.Errorf("%d columns, %s: help line %q lacks %q", w, where, help, k)
				}
			}
		}
		check("list", "? all keys")
		r.keys("/")
		check("filter", "ctrl+c quit")
		r.keys("esc", "enter")
		check("content", "? all keys")
		r.keys("2")
		check("history", "? all keys")
		r.keys("?")
		if v := r.plain(); !strings.Contains(v, "ctrl+c") || !strings.Contains(v, "next theme") {
			t.Errorf("%d columns: full help lacks the global keys:\n%s", w, v)
		}
	}
}

// A write that is neither a version nor a label move (test cases from
// another process) reloads the screen in view, without a notice.
func TestLiveOtherWrites(t *testing.T) {
	st, path := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{})
	r.keys("G", "enter", "4") // support/reply, Tests tab
	other, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.SaveSuite(context.Background(), ct.Support, store.Suite{Name: "smoke", Cases: []store.Case{
		{Name: "hello", Vars: map[string]any{"customer": "Ada"}, Assertions: []store.Assertion{{Type: "contains", Value: "Ada"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	r.statuses()
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 0 {
		t.Errorf("a suite change said %q", s)
	}
	if p := r.plain(); !strings.Contains(p, "smoke") {
		t.Fatalf("the Tests tab did not reload:\n%s", p)
	}
}

// Key overrides from the config file reach every screen: a rebound quit
// quits, a rebound list key moves the list, the help shows the new keys.
func TestConfigKeys(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	o := options(st, "dark")
	o.Config.Keys = map[string][]string{"quit": {"ctrl+q"}, "down": {"w", "down"}}
	r := newRoot(t, o, 120, 30)
	before := r.browse().Selected()
	r.keys("w")
	if after := r.browse().Selected(); after == before {
		t.Errorf("w did not move the list from %s", before)
	}
	r.keys("?")
	if p := r.plain(); !strings.Contains(p, "ctrl+q quit") || !strings.Contains(p, "w/down") {
		t.Errorf("the full help does not show the overrides:\n%s", p)
	}
	r.keys("esc", "ctrl+c")
	if r.quit {
		t.Fatal("ctrl+c still quits")
	}
	r.keys("ctrl+q")
	if !r.quit {
		t.Fatal("ctrl+q does not quit")
	}
}

// A run written while another screen covers the Runs tab (the run's own
// matrix, another process) shows there when the tab is back in view: the
// screens beneath re-read then, not only at the next version change.
func TestRunsTabSeesRunsMadeWhileCovered(t *testing.T) {
	st, path := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{})
	r.keys("G", "enter", "5") // support/reply, Runs tab
	if p := r.plain(); !strings.Contains(p, "no runs yet") {
		t.Fatalf("Runs tab before:\n%s", p)
	}
	r.keys("r") // the new-run form covers the prompt view
	if r.titles() == "prompts | support/reply" {
		t.Fatalf("nothing covers the prompt view: %s", r.titles())
	}
	other, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.CreateRun(context.Background(), store.Run{Prompt: ct.Support, Suite: "default", Versions: []int{1}, Models: []string{"demo/demo-small"}, Total: 20}); err != nil {
		t.Fatal(err)
	}
	r.send(pollMsg{})
	r.keys("esc")
	if r.titles() != "prompts | support/reply" {
		t.Fatalf("back: %s", r.titles())
	}
	if p := r.plain(); strings.Contains(p, "no runs yet") || !strings.Contains(p, "#1") {
		t.Fatalf("the Runs tab did not see the run made while it was covered:\n%s", p)
	}
}

// Reopening a prompt goes back to the tab it was left on; esc with marks
// clears them before it goes back.
func TestTabRememberedAndEscClearsMarks(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 140, 40)
	r.keys("G", "enter", "2", "space")
	if !strings.Contains(r.plain(), "marked v4") {
		t.Fatalf("space did not mark:\n%s", r.plain())
	}
	r.keys("esc")
	if r.titles() != "prompts | support/reply" || strings.Contains(r.plain(), "marked v4") {
		t.Fatalf("esc with a mark: %s\n%s", r.titles(), r.plain())
	}
	r.keys("esc")
	if r.titles() != "prompts" {
		t.Fatalf("esc without marks did not go back: %s", r.titles())
	}
	r.keys("enter")
	if pv, ok := r.m.Top().(*promptview.Model); !ok || pv.Active() != "History" {
		t.Fatalf("reopened on %s, want History", r.titles())
	}
}

// The Analytics tab moves while another process ingests (verso serve):
// the next poll re-reads it, without a notice.
func TestLiveAnalytics(t *testing.T) {
	st, path := ct.FixtureStore(t)
	ct.Traffic(t, st)
	r := newRoot(t, options(st, "dark"), 140, 40)
	r.send(pollMsg{})
	r.keys("G", "enter", "6", "w", "w") // support/reply, Analytics, last hour
	if p := r.plain(); !strings.Contains(p, "requests per minute · by version · last 1h") {
		t.Fatalf("the Analytics tab is not on the last hour:\n%s", p)
	}
	rowOf := func(p string) string {
		for _, l := range strings.Split(p, "\n") {
			if strings.Contains(l, " all ") || strings.HasPrefix(strings.TrimLeft(l, " ›"), "v2 ") {
				return l
			}
		}
		return ""
	}
	before := rowOf(r.plain())
	other, err := store.OpenWith(path, store.Options{Clock: ct.Clock})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var evs []store.Event
	for i := range 500 {
		evs = append(evs, store.Event{Prompt: ct.Support, Version: 2, Label: "production", Time: ct.Now.Add(-time.Duration(i) * time.Second), LatencyMS: 900})
	}
	if _, err := other.RecordEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	r.statuses()
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 0 {
		t.Errorf("ingest said %q", s)
	}
	after := rowOf(r.plain())
	requests := func(row string) int {
		f := strings.Fields(strings.TrimLeft(row, " ›"))
		if len(f) < 2 {
			return -1
		}
		n, _ := strconv.Atoi(f[1])
		return n
	}
	if requests(after) < requests(before)+499 {
		t.Fatalf("the tab did not re-read the 500 new calls:\nbefore %q\nafter  %q", before, after)
	}
}

// Status messages fade (a timer clears them), a long one says @ shows it
// whole, and @ lists every message of the session in full, newest first.
func TestMessageLog(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 80, 24)
	long := "first message " + strings.Repeat("and a long explanation ", 8) + "THEEND"
	r.send(common.StatusMsg{Kind: common.StatusWarning, Text: long})
	r.send(common.StatusMsg{Kind: common.StatusInfo, Text: "second message"})
	if p := r.plain(); !strings.Contains(p, "second message") {
		t.Fatalf("status bar:\n%s", p)
	}
	r.send(clearStatusMsg{seq: r.m.statusSeq})
	if r.m.status.Text != "" {
		t.Fatal("the status did not fade")
	}
	r.send(common.StatusMsg{Kind: common.StatusWarning, Text: long})
	if p := r.plain(); !strings.Contains(p, "(@ shows all)") || strings.Contains(p, "THEEND") {
		t.Fatalf("a cut message does not point to the log:\n%s", p)
	}
	r.keys("@")
	p := r.plain()
	if !strings.Contains(p, "Messages of this session") || !strings.Contains(p, "THEEND") || strings.Index(p, "second message") < strings.Index(p, "THEEND") {
		t.Fatalf("the log does not show every message whole, newest first:\n%s", p)
	}
	r.keys("x")
	if r.m.showLog {
		t.Fatal("a key did not close the log")
	}
}

// On a small terminal the full help scrolls (↓/↑) to the global keys at
// its end; any other key closes it.
func TestHelpScrollsOnSmallTerminals(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 60, 14)
	r.keys("G", "enter", "?")
	if p := r.plain(); !strings.Contains(p, "↓/↑ scroll") || strings.Contains(p, "Everywhere") {
		t.Fatalf("the help does not say it scrolls, or fits already:\n%s", p)
	}
	for range 40 {
		r.keys("down")
	}
	if p := r.plain(); !r.m.showAll || !strings.Contains(p, "Everywhere") || !strings.Contains(p, "next theme") {
		t.Fatalf("scrolled to the end, the global keys do not show:\n%s", p)
	}
	r.keys("x")
	if r.m.showAll {
		t.Fatal("another key did not close the help")
	}
}

// On PostgreSQL the workbench hears another machine's commit through
// LISTEN/NOTIFY and says who changed what, as it does on a shared file.
func TestLiveOnPostgres(t *testing.T) {
	u := pgtest.NewDatabase(t)
	fixed, err := store.OpenWith(u, store.Options{Clock: ct.Clock})
	if err != nil {
		t.Fatal(err)
	}
	ct.Fixture(t, fixed)
	fixed.Close()
	// This machine and the other one write on the real clock.
	st, err := store.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{}) // the baseline
	if s := r.statuses(); len(s) != 0 {
		t.Fatalf("first poll said %q", s)
	}
	r.keys("G", "enter", "2") // support/reply, History
	other, err := store.Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Commit(context.Background(), store.CommitInput{Name: ct.Support, Template: "from elsewhere {{x}}", Author: "zoe", Message: "remote"}); err != nil {
		t.Fatal(err)
	}
	// The notification arrives on its own connection: poll as the
	// workbench does until it has.
	var s []string
	for deadline := time.Now().Add(10 * time.Second); len(s) == 0 && time.Now().Before(deadline); {
		r.send(pollMsg{})
		if s = r.statuses(); len(s) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(s) != 1 || s[0] != "zoe committed support/reply v5" {
		t.Fatalf("notice %q", s)
	}
	if p := r.plain(); !strings.Contains(p, "5 versions") || !strings.Contains(p, "remote") {
		t.Fatalf("history after the other machine's commit:\n%s", p)
	}
	// A label moved elsewhere is heard too.
	if _, err := other.SetLabel(context.Background(), store.LabelInput{Prompt: ct.Summary, Label: "canary", Version: 1, Actor: "zoe"}); err != nil {
		t.Fatal(err)
	}
	s = nil
	for deadline := time.Now().Add(10 * time.Second); len(s) == 0 && time.Now().Before(deadline); {
		r.send(pollMsg{})
		if s = r.statuses(); len(s) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(s) != 1 || s[0] != "zoe moved summarize canary to v1" {
		t.Fatalf("notice %q", s)
	}
}

// The status bar names the database briefly enough to leave room for the
// messages: a PostgreSQL address without its connection options, a long
// path cut at the front.
func TestStatusBarNamesTheDatabaseBriefly(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"postgres://ann@db.internal:5432/verso?sslmode=require&connect_timeout=5", "postgres://ann@db.internal:5432/verso"},
		{"postgres://postgres@/verso?host=%2Ftmp%2Fsock&port=5432", "postgres://postgres@/verso"},
		{"/home/ann/work/registries/of-the-team/2026/verso.db", "…rk/registries/of-the-team/2026/verso.db"},
		{"verso.db", "verso.db"},
	} {
		if got := shortDB(c.path, 40); got != c.want {
			t.Errorf("shortDB(%q) = %q, want %q", c.path, got, c.want)
		}
	}
	st, _ := ct.FixtureStore(t)
	o := options(st, "dark")
	o.DBPath = "postgres://postgres@/verso?host=%2Ftmp%2Fverso-pg-1926169800&port=5432&sslmode=disable"
	r := newRoot(t, o, 100, 30)
	r.send(common.StatusMsg{Text: "zoe moved support/reply staging to v5"})
	lines := strings.Split(r.plain(), "\n")
	if bar := lines[len(lines)-1]; !strings.Contains(bar, "postgres://postgres@/verso") || !strings.Contains(bar, "zoe moved support/reply staging to v5") {
		t.Fatalf("status bar %q", bar)
	}
}

// A machine whose clock is days behind is heard all the same: the
// workbench reads changes by id, not by time.
func TestLiveHearsAMachineWithAWrongClock(t *testing.T) {
	st, path := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{}) // the baseline
	r.statuses()
	behind, err := store.OpenWith(path, store.Options{Clock: func() time.Time { return ct.Now.Add(-72 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	if _, err := behind.Commit(context.Background(), store.CommitInput{Name: ct.Support, Template: "late {{x}}", Author: "zoe", Message: "skewed"}); err != nil {
		t.Fatal(err)
	}
	r.send(pollMsg{})
	if s := r.statuses(); len(s) != 1 || s[0] != "zoe committed support/reply v5" {
		t.Fatalf("notice %q", s)
	}
}

// A poll that lists our own label move while the confirmation is still
// waiting for the store (the write committed, its result not yet read)
// does not announce it as someone else's: the root reads it again once
// the confirmation knows what it wrote.
func TestLiveDoesNotAnnounceOurWriteInFlight(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 30)
	r.send(pollMsg{}) // the baseline
	r.keys("G", "enter", "2", "p")
	r.keys("j", "enter") // staging
	r.typeText("ours")
	_, write := r.m.Update(ct.Key("enter")) // the confirmation is busy
	var results []tea.Msg
	for _, msg := range ct.Run(t, write) { // the move commits
		results = append(results, msg)
	}
	r.statuses()
	r.send(pollMsg{}) // lists the move before the confirmation has its result
	if s := r.statuses(); len(s) != 0 {
		t.Fatalf("a poll during our write said %q", s)
	}
	r.send(results...)
	r.send(pollMsg{})
	for _, s := range r.statuses() {
		if strings.Contains(s, "moved") {
			t.Fatalf("our own move was announced: %q", s)
		}
	}
	if n := len(r.m.c.Written()); n != 0 {
		t.Fatalf("%d own changes kept after the poll listed them", n)
	}
}
