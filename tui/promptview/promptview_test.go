package promptview

import (
	"context"
	"encoding/json"
	"github.com/seed94f0f622/verso/eval/report"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// open returns the prompt view of name, loaded, at w x h.
func open(t *testing.T, st *store.Store, name, tab string, version, w, h int) (*Model, *common.Common) {
	t.Helper()
	c := ct.NewCommon(t, st, ct.Dark())
	s, out := ct.Start(t, New(c, name, tab, version), w, h)
	if len(out) != 0 {
		t.Fatalf("loading sent %v to the root", out)
	}
	return s.(*Model), c
}

func drive(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, m, msgs...)
	return out
}

func (m *Model) content() *content { return m.tabs[0].(*content) }
func (m *Model) history() *history { return m.tabs[1].(*history) }
func (m *Model) labels() *labels   { return m.tabs[2].(*labels) }

func TestTabs(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "", 0, 140, 40)
	steps := []struct {
		msg  tea.Msg
		want string
	}{
		{ct.Key("tab"), "History"},
		{ct.Key("tab"), "Labels"},
		{ct.Key("tab"), "Analytics"},
		{ct.Key("tab"), "Content"},
		{ct.Key("shift+tab"), "Analytics"},
		{ct.Key("1"), "Content"},
		{ct.Key("3"), "Labels"},
		{ct.Key("5"), "Labels"}, // no fifth tab here (Tests and Runs come from the root)
		{ct.Key("4"), "Analytics"},
		{ct.Key("2"), "History"},
		{ct.Click(3, 0), "Content"},  // " 1 Content "
		{ct.Click(14, 0), "History"}, // " 2 History " after the separator
		{ct.Click(26, 0), "Labels"},
		{ct.Click(120, 0), "Labels"}, // past the tabs
	}
	for i, s := range steps {
		drive(t, m, s.msg)
		if m.Active() != s.want {
			t.Fatalf("step %d (%v): tab %s, want %s", i, s.msg, m.Active(), s.want)
		}
		if !strings.Contains(ansi.Strip(m.View()), s.want) {
			t.Fatalf("step %d: the view does not show the %s tab", i, s.want)
		}
	}
	if m.Title() != ct.Support || m.Capturing() {
		t.Errorf("title %q capturing %v", m.Title(), m.Capturing())
	}
	// The opening tab can be chosen.
	m, _ = open(t, st, ct.Support, "labels", 0, 80, 24)
	if m.Active() != "Labels" {
		t.Errorf("opened on %s", m.Active())
	}
}

func TestAddressedToTabs(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "", 0, 140, 40)
	h := m.history()
	for _, tab := range m.tabs {
		if !m.Owns(tab.ID()) {
			t.Errorf("does not own tab %s", tab.Name())
		}
	}
	if m.Owns(m.ID()) || m.Owns(-1) {
		t.Error("owns what is not a tab")
	}
	// The History tab's reload answers while Content is active: it reaches
	// History, not the active tab.
	fake := []store.Version{{Prompt: ct.Support, Number: 9, Message: "from the future"}}
	drive(t, m, historyMsg{To: common.To{ID: h.ID()}, versions: fake})
	if len(h.versions) != 1 || h.versions[0].Number != 9 {
		t.Fatalf("history did not get its message: %d versions", len(h.versions))
	}
	if m.content().v.Number != 4 || m.Active() != "Content" {
		t.Fatalf("content changed: v%d, tab %s", m.content().v.Number, m.Active())
	}
	// A message for a screen that is not here is dropped.
	drive(t, m, contentMsg{To: common.To{ID: -5}, v: store.Version{Number: 1}})
	if m.content().v.Number != 4 {
		t.Fatal("a message for another screen reached the content tab")
	}
}

func TestHistory(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "history", 0, 140, 40)
	h := m.history()
	if len(h.versions) != 4 || h.versions[0].Number != 4 {
		t.Fatalf("history: %d versions", len(h.versions))
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"4 versions", "v4", "development", "Shorter sign-off", "devon · 2 hours ago", "production", "ana · 20 days ago"} {
		if !strings.Contains(v, want) {
			t.Errorf("history does not show %q:\n%s", want, v)
		}
	}
	// space marks v4 and stays (as on every screen); mark v2 too; d diffs
	// them, lower first.
	drive(t, m, ct.Key("space"))
	if h.cursor != 0 || !h.isMarked(4) {
		t.Fatalf("space: cursor %d marked %v", h.cursor, h.marked)
	}
	drive(t, m, ct.Key("j"), ct.Key("j"), ct.Key("space"))
	if !strings.Contains(ansi.Strip(m.View()), "marked v4, v2 · d diffs") {
		t.Errorf("marks not shown:\n%s", ansi.Strip(m.View()))
	}
	out := drive(t, m, ct.Key("d"))
	d, ok := ct.Find[common.OpenDiffMsg](out)
	if !ok {
		t.Fatalf("d sent %v", out)
	}
	if d.Spec.Title != "support/reply v2 ↔ v4" || d.Spec.LeftTitle != "v2 · production" || d.Spec.RightTitle != "v4 · development" ||
		!strings.Contains(d.Spec.Left, "Be polite and warm") || !strings.Contains(d.Spec.Right, "Sign off") {
		t.Errorf("diff spec: %q %q %q", d.Spec.Title, d.Spec.LeftTitle, d.Spec.RightTitle)
	}
	if len(h.marked) != 0 {
		t.Errorf("marks kept after the diff: %v", h.marked)
	}
	// One mark and the cursor elsewhere: those two.
	drive(t, m, ct.Key("g"), ct.Key("space"), ct.Key("j")) // mark v4, cursor on v3
	d, _ = ct.Find[common.OpenDiffMsg](drive(t, m, ct.Key("d")))
	if d.Spec.Title != "support/reply v3 ↔ v4" {
		t.Errorf("mark + cursor: %q", d.Spec.Title)
	}
	// No mark: the cursor against the version before it.
	d, _ = ct.Find[common.OpenDiffMsg](drive(t, m, ct.Key("d")))
	if d.Spec.Title != "support/reply v2 ↔ v3" {
		t.Errorf("cursor alone: %q", d.Spec.Title)
	}
	// Marking twice unmarks.
	drive(t, m, ct.Key("space"), ct.Key("space"))
	if len(h.marked) != 0 {
		t.Errorf("space twice: %v", h.marked)
	}
	// On v1 alone there is nothing before it.
	drive(t, m, ct.Key("G"))
	if s, ok := ct.Find[common.StatusMsg](drive(t, m, ct.Key("d"))); !ok || !strings.Contains(s.Text, "no previous version") {
		t.Errorf("d on v1: %+v", s)
	}
}

func TestHistoryActions(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "history", 0, 140, 40)
	// r on the latest: nothing to restore.
	if s, ok := ct.Find[common.StatusMsg](drive(t, m, ct.Key("r"))); !ok || !strings.Contains(s.Text, "already the latest") {
		t.Errorf("r on the latest sent %+v", s)
	}
	drive(t, m, ct.Key("j"), ct.Key("j")) // v2
	e, ok := ct.Find[common.EditMsg](drive(t, m, ct.Key("r")))
	if !ok || !e.Restore || e.Base.Number != 2 || e.Base.Prompt != ct.Support {
		t.Fatalf("r on v2 sent %+v", e)
	}
	e, ok = ct.Find[common.EditMsg](drive(t, m, ct.Key("e")))
	if !ok || e.Restore || e.Base.Number != 2 {
		t.Fatalf("e on v2 sent %+v", e)
	}
	p, ok := ct.Find[common.PromoteMsg](drive(t, m, ct.Key("p")))
	if !ok || p.Prompt != ct.Support || p.Version != 2 || p.Label != "" {
		t.Fatalf("p sent %+v", p)
	}
	// enter views the version on the Content tab.
	drive(t, m, ct.Key("enter"))
	if m.Active() != "Content" || m.content().v.Number != 2 {
		t.Fatalf("enter: tab %s showing v%d", m.Active(), m.content().v.Number)
	}
	// A click on a row selects it; a second click views it.
	drive(t, m, ct.Key("2"))
	drive(t, m, ct.Click(10, 2)) // tab bar, count line, then v4 at y=2, v3 at y=3
	if h := m.history(); h.cursor != 0 {
		t.Fatalf("click: cursor %d", h.cursor)
	}
	drive(t, m, ct.Click(10, 3))
	drive(t, m, ct.Click(10, 3))
	if m.Active() != "Content" || m.content().v.Number != 3 {
		t.Fatalf("double click: tab %s showing v%d", m.Active(), m.content().v.Number)
	}
}

func TestHistoryReloadKeepsCursor(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "history", 0, 140, 40)
	drive(t, m, ct.Key("j"), ct.Key("j"))
	if _, err := st.Commit(context.Background(), store.CommitInput{Name: ct.Support, Template: "new text {{x}}", Author: "zoe", Message: "v5"}); err != nil {
		t.Fatal(err)
	}
	drive(t, m, ct.Run(t, m.Reload())...)
	h := m.history()
	if len(h.versions) != 5 || h.versions[h.cursor].Number != 2 {
		t.Fatalf("after reload: %d versions, cursor on v%d", len(h.versions), h.versions[h.cursor].Number)
	}
}

func TestLabels(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "labels", 0, 140, 40)
	v := ansi.Strip(m.View())
	for _, want := range []string{"development", "production", "staging", "History (6 moves", "v3→v2", "rollback: v3 links to retired articles", "new→v2", "reviewed with the support lead"} {
		if !strings.Contains(v, want) {
			t.Errorf("labels tab does not show %q:\n%s", want, v)
		}
	}
	// Newest move first.
	if strings.Index(v, "try the shorter sign-off") > strings.Index(v, "ready for review") {
		t.Errorf("history is not newest first:\n%s", v)
	}
	// Labels sort by name: development, production, staging; the tab
	// opens on production.
	r, ok := ct.Find[common.RollbackMsg](drive(t, m, ct.Key("R")))
	if !ok || r != (common.RollbackMsg{Prompt: ct.Support, Label: "production"}) {
		t.Fatalf("R as the tab opens sent %+v, want production", r)
	}
	drive(t, m, ct.Key("k"))
	r, _ = ct.Find[common.RollbackMsg](drive(t, m, ct.Key("R")))
	if r.Label != "development" {
		t.Fatalf("R on the first label: %+v", r)
	}
	drive(t, m, ct.Click(5, 4)) // tab bar, header, development, production, staging
	r, _ = ct.Find[common.RollbackMsg](drive(t, m, ct.Key("R")))
	if r.Label != "staging" {
		t.Fatalf("R after a click on staging: %+v", r)
	}
	// enter views the label's version.
	drive(t, m, ct.Key("enter"))
	if m.Active() != "Content" || m.content().v.Number != 3 {
		t.Fatalf("enter on staging: tab %s v%d", m.Active(), m.content().v.Number)
	}
	// A prompt without labels says how to make one, and R does nothing.
	m, _ = open(t, st, ct.Summary, "labels", 0, 140, 40)
	if !strings.Contains(ansi.Strip(m.View()), "No labels yet") {
		t.Errorf("no labels:\n%s", ansi.Strip(m.View()))
	}
	if out := drive(t, m, ct.Key("R")); len(out) != 0 {
		t.Errorf("R without labels sent %v", out)
	}
}

func TestContent(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "", 0, 140, 40)
	c := m.content()
	if c.v.Number != 4 {
		t.Fatalf("opens on v%d", c.v.Number)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"support/reply v4  development", "Shorter sign-off — devon, 2 hours ago", "vars {{company}} {{question}} {{name}}", "model gpt-4o-mini · temperature 0.3 · max_tokens 300"} {
		if !strings.Contains(v, want) {
			t.Errorf("content does not show %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "# Support reply") {
		t.Errorf("rendered view shows the markdown source:\n%s", v)
	}
	drive(t, m, ct.Key("v"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "# Support reply") || !strings.Contains(v, "**{{company}}**") {
		t.Errorf("raw view:\n%s", v)
	}
	drive(t, m, ct.Key("v"))
	if c.raw {
		t.Error("v does not toggle back")
	}
	drive(t, m, ct.Key("["))
	if c.v.Number != 3 {
		t.Fatalf("[: v%d", c.v.Number)
	}
	drive(t, m, ct.Key("["), ct.Key("["))
	if s, ok := ct.Find[common.StatusMsg](drive(t, m, ct.Key("["))); c.v.Number != 1 || !ok || !strings.Contains(s.Text, "first version") {
		t.Fatalf("[ at v1: v%d, %+v", c.v.Number, s)
	}
	drive(t, m, ct.Key("]"))
	if c.v.Number != 2 {
		t.Fatalf("]: v%d", c.v.Number)
	}
	drive(t, m, ct.Key("]"), ct.Key("]"))
	if s, ok := ct.Find[common.StatusMsg](drive(t, m, ct.Key("]"))); c.v.Number != 4 || !ok || !strings.Contains(s.Text, "newest") {
		t.Fatalf("] at v4: v%d, %+v", c.v.Number, s)
	}
	d, ok := ct.Find[common.OpenDiffMsg](drive(t, m, ct.Key("d")))
	if !ok || d.Spec.Title != "support/reply v3 ↔ v4" {
		t.Errorf("d sent %+v", d)
	}
	e, ok := ct.Find[common.EditMsg](drive(t, m, ct.Key("e")))
	if !ok || e.Base.Number != 4 || e.Restore {
		t.Errorf("e sent %+v", e)
	}
	p, ok := ct.Find[common.PromoteMsg](drive(t, m, ct.Key("p")))
	if !ok || p.Prompt != ct.Support || p.Version != 4 || p.Label != "" {
		t.Errorf("p sent %+v", p)
	}
	// A chat prompt shows role-headed blocks.
	m, _ = open(t, st, ct.Sales, "", 0, 140, 40)
	if v := ansi.Strip(m.View()); !strings.Contains(v, " system ") || !strings.Contains(v, " user ") || !strings.Contains(v, "Never promise discounts") {
		t.Errorf("chat content:\n%s", v)
	}
	// Opening at a version.
	m, _ = open(t, st, ct.Support, "", 1, 80, 24)
	if m.content().v.Number != 1 {
		t.Errorf("opened at v%d", m.content().v.Number)
	}
	// A missing prompt shows the error.
	s, out := ct.Start(t, New(ct.NewCommon(t, st, ct.Dark()), "no/such", "", 0), 80, 24)
	if v := ansi.Strip(s.View()); !strings.Contains(v, "not found") {
		t.Errorf("missing prompt:\n%s", v)
	}
	if e, ok := ct.Find[common.StatusMsg](out); !ok || e.Kind != common.StatusError {
		t.Errorf("missing prompt sent %v", out)
	}
}

func TestContentScroll(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	long := strings.Repeat("A line of the long prompt {{x}}.\n\n", 60)
	if _, err := st.Commit(context.Background(), store.CommitInput{Name: "long", Template: long, Author: "zoe", Message: "long"}); err != nil {
		t.Fatal(err)
	}
	m, _ := open(t, st, "long", "", 0, 80, 24)
	c := m.content()
	drive(t, m, ct.Key("j"), ct.Key("j"))
	if c.offset != 2 {
		t.Fatalf("j j: offset %d", c.offset)
	}
	drive(t, m, ct.Key("G"))
	bottom := c.offset
	if bottom == 0 || !strings.Contains(ansi.Strip(m.View()), "100% · rendered") {
		t.Fatalf("G: offset %d\n%s", bottom, ansi.Strip(m.View()))
	}
	drive(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if c.offset != bottom-3 {
		t.Fatalf("wheel up: %d", c.offset)
	}
	drive(t, m, ct.Key("g"))
	if c.offset != 0 {
		t.Fatalf("g: %d", c.offset)
	}
}

// TestDemo opens every demo prompt on every tab: real data, no surprises.
func TestDemo(t *testing.T) {
	st := ct.DemoStore(t)
	ps, err := st.ListPrompts(context.Background(), store.ListOptions{})
	if err != nil || len(ps) == 0 {
		t.Fatalf("%d prompts, %v", len(ps), err)
	}
	for _, p := range ps {
		m, _ := open(t, st, p.Name, "", 0, 80, 24)
		for _, tab := range []string{"1", "v", "2", "d", "3"} {
			out := drive(t, m, ct.Key(tab))
			if tab == "d" {
				if _, ok := ct.Find[common.OpenDiffMsg](out); !ok && len(m.history().versions) > 1 {
					t.Errorf("%s: d on the history sent %v", p.Name, out)
				}
			}
			ct.CheckFrame(t, m.View(), 80, 24)
		}
	}
}

// TestQuickSteps: [ pressed three times before the first version arrives
// goes three versions back (each press steps from the one asked for, not
// the one still on screen); ] past the newest ends on the newest.
func TestQuickSteps(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m, _ := open(t, st, ct.Support, "", 0, 120, 30)
	if m.content().v.Number != 4 {
		t.Fatalf("opened on v%d", m.content().v.Number)
	}
	var cmds []tea.Cmd
	for range 3 {
		_, cmd := m.Update(ct.Key("["))
		cmds = append(cmds, cmd)
	}
	// The three loads come back (in order), then go to the tab.
	for _, cmd := range cmds {
		drive(t, m, ct.Run(t, cmd)...)
	}
	if got := m.content().v.Number; got != 1 {
		t.Fatalf("three [ ended on v%d, want v1", got)
	}
	cmds = nil
	for range 5 {
		_, cmd := m.Update(ct.Key("]"))
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		drive(t, m, ct.Run(t, cmd)...)
	}
	if got := m.content().v.Number; got != 4 {
		t.Fatalf("five ] from v1 ended on v%d, want the newest, v4", got)
	}
}

// TestDiffWithParent: d compares a version with its parent, so a restore
// "v5 (from v2)" is compared with v2, not v4, from Content and History.
func TestDiffWithParent(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	v2, _ := st.Version(ctx, ct.Support, 2)
	if _, err := st.Commit(ctx, store.CommitInput{Name: ct.Support, Kind: v2.Kind, Template: v2.Template + "\nRestored.\n", Config: v2.Config, Parent: 2, Message: "Restore v2", Author: "ana"}); err != nil {
		t.Fatal(err)
	}
	m, _ := open(t, st, ct.Support, "", 0, 120, 30)
	for _, keys := range [][]string{{"d"}, {"2", "d"}} {
		var msgs []tea.Msg
		for _, k := range keys {
			msgs = drive(t, m, ct.Key(k))
		}
		d, ok := ct.Find[common.OpenDiffMsg](msgs)
		if !ok {
			t.Fatalf("%v opened no diff: %v", keys, msgs)
		}
		if !strings.HasPrefix(d.Spec.LeftTitle, "v2") || !strings.HasPrefix(d.Spec.RightTitle, "v5") {
			t.Errorf("%v compares %q with %q, want v2 with v5", keys, d.Spec.LeftTitle, d.Spec.RightTitle)
		}
	}
}

// History draws each version's pass rate over its runs as a sparkline in
// a column of its own, and says which row the cursor is on.
func TestHistoryShowsPassRateTrend(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	for _, rate := range [][2]int{{1, 4}, {2, 4}, {4, 4}} {
		sum, _ := json.Marshal(report.Summary{Columns: []report.Stats{{Version: 4, Model: "demo/demo-small", Passed: rate[0], Total: rate[1]}}})
		r, err := st.CreateRun(ctx, store.Run{Prompt: ct.Support, Versions: []int{4}, Models: []string{"demo/demo-small"}, Total: rate[1]})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, r.ID, store.RunDone, sum); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := open(t, st, ct.Support, "history", 0, 140, 40)
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "v4   ▃▅█") || !strings.Contains(v, "row 1 of 4") {
		t.Errorf("no trend on v4's row or no row position:\n%s", v)
	}
}

// The Labels tab shows a split label's arms, weights, salt and unit key,
// and moves to and from splits in the history.
func TestLabelsShowSplits(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	sp := store.Split{Arms: []store.Arm{{Version: 2, Weight: 90}, {Version: 3, Weight: 10}}, Salt: "5a1t", UnitKey: "user_id"}
	if _, err := st.SetLabel(context.Background(), store.LabelInput{Prompt: ct.Support, Label: "canary", Split: &sp, Actor: "ann", Reason: "try v3 on 10%"}); err != nil {
		t.Fatal(err)
	}
	m, _ := open(t, st, ct.Support, "labels", 0, 140, 40)
	v := ansi.Strip(m.View())
	for _, want := range []string{"2=90,3=10", "split: v2 90% · v3 10% · salt 5a1t · unit user_id", "new→2=90,3=10", "try v3 on 10%"} {
		if !strings.Contains(v, want) {
			t.Errorf("labels tab does not show %q:\n%s", want, v)
		}
	}
	// rows: tab bar, header, canary, its arms, development, production
	drive(t, m, ct.Click(5, 5))
	if r, _ := ct.Find[common.RollbackMsg](drive(t, m, ct.Key("R"))); r.Label != "production" {
		t.Fatalf("a click below a split label selects %+v", r)
	}
}
