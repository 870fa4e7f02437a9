package browse

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// start returns the list loaded on the fixture at w x h.
func start(t *testing.T, w, h int) (*Model, *common.Common) {
	t.Helper()
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	s, out := ct.Start(t, New(c), w, h)
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

func TestLoad(t *testing.T) {
	m, _ := start(t, 140, 40)
	if got, want := m.String(), `prompts=4 visible=4 cursor=0 selected="onboarding/welcome-email" filter="" filtering=false`; got != want {
		t.Fatalf("after load: %s, want %s", got, want)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"4 prompts", "support/reply", "sales/outreach", "production@2", "staging@3", "development", "2 hours ago", "7 days ago · mei #sal"} {
		if !strings.Contains(v, want) {
			t.Errorf("list does not show %q:\n%s", want, v)
		}
	}
	// The preview of the selected prompt (no production: the latest).
	if !strings.Contains(v, "Welcome email — bo, 3 days ago") {
		t.Errorf("preview of the first prompt missing:\n%s", v)
	}
}

func TestMove(t *testing.T) {
	m, _ := start(t, 140, 40)
	drive(t, m, ct.Keys("j", "down")...)
	if m.Selected() != ct.Summary {
		t.Fatalf("after j, down: %s", m)
	}
	drive(t, m, ct.Key("k"))
	if m.Selected() != ct.Sales {
		t.Fatalf("after k: %s", m)
	}
	drive(t, m, ct.Key("G"))
	if m.Selected() != ct.Support {
		t.Fatalf("after G: %s", m)
	}
	drive(t, m, ct.Key("j"))
	if m.Selected() != ct.Support {
		t.Fatalf("moved past the bottom: %s", m)
	}
	drive(t, m, ct.Key("g"))
	if m.Selected() != "onboarding/welcome-email" {
		t.Fatalf("after g: %s", m)
	}
	drive(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.Selected() != ct.Support {
		t.Fatalf("after the wheel: %s", m)
	}
	// The preview follows the cursor: production of support/reply is v2.
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Tighten tone — devon, 12 days ago") {
		t.Errorf("preview does not show support/reply's production version:\n%s", v)
	}
}

func TestFilter(t *testing.T) {
	m, c := start(t, 140, 40)
	drive(t, m, ct.Key("/"))
	if !m.Capturing() {
		t.Fatal("/ does not start the filter")
	}
	drive(t, m, ct.Type("sup")...)
	if got := m.String(); !strings.Contains(got, `visible=1 cursor=0 selected="support/reply" filter="sup" filtering=true`) {
		t.Fatalf("after typing sup: %s", got)
	}
	v := m.View()
	if !strings.Contains(ansi.Strip(v), "1/4") {
		t.Errorf("filter count missing:\n%s", ansi.Strip(v))
	}
	st := c.Styles.List
	if st.SelectedMatch.Render("s") == st.Selected.Render("s") {
		t.Fatal("the theme draws matches like other characters: cannot test the highlight")
	}
	if !strings.Contains(v, st.SelectedMatch.Render("s")+st.SelectedMatch.Render("u")+st.SelectedMatch.Render("p")) {
		t.Errorf("matched characters are not highlighted")
	}
	// Typed keys that are bindings elsewhere (j, q, n) are text here.
	drive(t, m, ct.Key("backspace"), ct.Key("backspace"), ct.Key("backspace"))
	drive(t, m, ct.Type("sl")...) // sales/outreach, support/reply
	if !strings.HasPrefix(m.String(), `prompts=4 visible=2 cursor=0 `) {
		t.Fatalf("after sl: %s", m)
	}
	drive(t, m, ct.Key("down"))
	if m.String()[:strings.Index(m.String(), " selected")] != "prompts=4 visible=2 cursor=1" {
		t.Fatalf("down in the filter: %s", m)
	}
	// esc clears the filter and keeps the selected prompt.
	sel := m.Selected()
	drive(t, m, ct.Key("esc"))
	if m.Capturing() || m.Selected() != sel || !strings.Contains(m.String(), `visible=4`) || !strings.Contains(m.String(), `filter=""`) {
		t.Fatalf("after esc: %s (had %s)", m, sel)
	}
	// No match: says so, with how to get out.
	drive(t, m, ct.Key("/"))
	drive(t, m, ct.Type("zzz")...)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "No prompt matches “zzz”") {
		t.Errorf("no-match message missing:\n%s", v)
	}
	if out := drive(t, m, ct.Key("enter")); len(out) != 0 {
		t.Errorf("enter with nothing selected sent %v", out)
	}
}

func TestEnterOpens(t *testing.T) {
	m, _ := start(t, 140, 40)
	drive(t, m, ct.Key("/"))
	drive(t, m, ct.Type("outr")...)
	out := drive(t, m, ct.Key("enter"))
	open, ok := ct.Find[common.OpenPromptMsg](out)
	if !ok || open.Name != ct.Sales {
		t.Fatalf("enter in the filter sent %#v", out)
	}
	// The accepted filter stays applied; esc (which the root leaves to the
	// list while a filter is applied) clears it.
	if m.Capturing() || !m.HandlesEsc() {
		t.Fatalf("after enter: %s, HandlesEsc=%v", m, m.HandlesEsc())
	}
	drive(t, m, ct.Key("esc"))
	if m.HandlesEsc() || m.Selected() != ct.Sales || !strings.Contains(m.String(), "visible=4") {
		t.Fatalf("esc after accepting: %s", m)
	}
	out = drive(t, m, ct.Key("enter"))
	if open, _ := ct.Find[common.OpenPromptMsg](out); open.Name != ct.Sales {
		t.Fatalf("enter sent %#v", out)
	}
	if _, ok := ct.Find[common.EditMsg](drive(t, m, ct.Key("n"))); !ok {
		t.Error("n does not ask for a new prompt")
	}
}

func TestReloadKeepsSelection(t *testing.T) {
	m, c := start(t, 140, 40)
	drive(t, m, ct.Keys("j", "j")...)
	if m.Selected() != ct.Summary {
		t.Fatalf("setup: %s", m)
	}
	// Someone adds a prompt that sorts before the selected one.
	if _, err := c.Store.Commit(context.Background(), store.CommitInput{Name: "aaa/first", Template: "hi {{x}}", Author: "zoe", Message: "new"}); err != nil {
		t.Fatal(err)
	}
	_, out := ct.Drive(t, m, ct.Run(t, m.Reload())...)
	if len(out) != 0 {
		t.Fatalf("reload sent %v", out)
	}
	if m.Selected() != ct.Summary || !strings.Contains(m.String(), "prompts=5") {
		t.Fatalf("after reload: %s", m)
	}
	// A new version of the selected prompt drops its cached preview.
	if _, err := c.Store.Commit(context.Background(), store.CommitInput{Name: ct.Summary, Template: "Summarize in {{sentences}} sentences:\n\n{{text}}", Author: "zoe", Message: "Terser"}); err != nil {
		t.Fatal(err)
	}
	ct.Drive(t, m, ct.Run(t, m.Reload())...)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Terser — zoe") {
		t.Errorf("preview not refreshed after a new version:\n%s", v)
	}
}

func TestMouse(t *testing.T) {
	m, _ := start(t, 140, 40)
	// Row 0 is the count, row 1 the column titles: prompts start at y=2.
	out := drive(t, m, ct.Click(5, 4))
	if m.Selected() != ct.Summary || len(out) != 0 {
		t.Fatalf("click on the third row: %s, sent %v", m, out)
	}
	// A click in the preview pane does nothing.
	drive(t, m, ct.Click(120, 2))
	if m.Selected() != ct.Summary {
		t.Fatalf("click in the preview moved the cursor: %s", m)
	}
	// A click below the rows does nothing.
	drive(t, m, ct.Click(5, 30))
	if m.Selected() != ct.Summary {
		t.Fatalf("click below the rows moved the cursor: %s", m)
	}
	// A second click on the selected row opens it.
	out = drive(t, m, ct.Click(5, 4))
	if open, ok := ct.Find[common.OpenPromptMsg](out); !ok || open.Name != ct.Summary {
		t.Fatalf("second click sent %v", out)
	}
}

func TestPreviewRawToggle(t *testing.T) {
	m, _ := start(t, 140, 40)
	drive(t, m, ct.Key("G"))
	rendered := ansi.Strip(m.View())
	drive(t, m, ct.Key("v"))
	raw := ansi.Strip(m.View())
	if !strings.Contains(raw, "# Support reply") || strings.Contains(rendered, "# Support reply") {
		t.Errorf("v does not toggle the raw template:\nrendered:\n%s\nraw:\n%s", rendered, raw)
	}
}

func TestNarrowHasNoPreview(t *testing.T) {
	m, _ := start(t, 80, 24)
	if v := ansi.Strip(m.View()); strings.Contains(v, "│") {
		t.Errorf("preview drawn under 100 columns:\n%s", v)
	}
}

func TestEmptyRegistry(t *testing.T) {
	st, _ := ct.OpenStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, New(c), 80, 24)
	if v := ansi.Strip(s.View()); !strings.Contains(v, "No prompts yet: press n") {
		t.Errorf("empty registry:\n%s", v)
	}
	if out := drive(t, s.(*Model), ct.Key("enter")); len(out) != 0 {
		t.Errorf("enter on an empty list sent %v", out)
	}
}

func TestLoadError(t *testing.T) {
	st, _ := ct.OpenStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	st.Close()
	_, out := ct.Start(t, New(c), 80, 24)
	if s, ok := ct.Find[common.StatusMsg](out); !ok || s.Kind != common.StatusError {
		t.Fatalf("a failed load sent %v", out)
	}
}

// TestDemo lists the demo registry and walks it with the preview.
func TestDemo(t *testing.T) {
	c := ct.NewCommon(t, ct.DemoStore(t), ct.Dark())
	s, _ := ct.Start(t, New(c), 140, 40)
	m := s.(*Model)
	for range m.all {
		ct.CheckFrame(t, m.View(), 140, 40)
		drive(t, m, ct.Key("j"))
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "production") {
		t.Errorf("demo list:\n%s", v)
	}
}

// The list says where the cursor is ("row N of M"), lines the last change
// up in a column, highlights the whole selected row, and marks production
// with its last eval (support/reply's production has no suite to eval it:
// "?", explained in the preview).
func TestListRowsAndProductionMark(t *testing.T) {
	m, c := start(t, 140, 40)
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "4 prompts · row 1 of 4") {
		t.Errorf("no row position:\n%s", v)
	}
	if mk := m.Mark("support/reply"); mk.Kind != common.MarkNone {
		t.Fatalf("support/reply's production mark = %+v, want none", mk)
	}
	drive(t, m, ct.Key("G"))
	v = m.View()
	plain := ansi.Strip(v)
	if !strings.Contains(plain, "row 4 of 4") || !strings.Contains(plain, "? production@2") {
		t.Errorf("after G: no row 4 of 4 or no mark:\n%s", plain)
	}
	if !strings.Contains(plain, `? production v2: no "default" suite to eval it with`) {
		t.Errorf("the preview does not explain the mark:\n%s", plain)
	}
	// The last-change column starts at the same place on every row.
	col := -1
	for _, l := range strings.Split(plain, "\n")[2:6] {
		i := strings.Index(l, " ago")
		j := ansi.StringWidth(l[:strings.LastIndex(l[:i], "  ")])
		if col >= 0 && j != col {
			t.Errorf("last-change column not aligned: %d vs %d\n%s", j, col, plain)
		}
		col = j
	}
	sel := c.Styles.List.Selected.Render("X")
	prefix := sel[:strings.Index(sel, "X")]
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(ansi.Strip(l), "support/reply") && strings.Contains(ansi.Strip(l), "2 hours ago") {
			if !strings.Contains(l, prefix+" v4") {
				t.Errorf("the selected row's version, labels and last change are not highlighted: %q", l)
			}
		}
	}
}
