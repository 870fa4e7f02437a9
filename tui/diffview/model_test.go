package diffview

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func bigModel(t testing.TB, w, h int) Model {
	old, nw := synthetic(5000, 300)
	m := New(themes.MustGet("dark", true).Styles)
	m.SetContent("old", "new", old, nw)
	m.SetSize(w, h)
	return m
}

func TestKeysScroll(t *testing.T) {
	m := bigModel(t, 140, 40)
	if m.Mode() != SideBySide {
		t.Fatalf("mode %s at 140 columns", m.Mode())
	}
	steps := []struct {
		key  string
		want func(prev, got int) bool
	}{
		{"j", func(p, g int) bool { return g == p+1 }},
		{"down", func(p, g int) bool { return g == p+1 }},
		{"k", func(p, g int) bool { return g == p-1 }},
		{"pgdown", func(p, g int) bool { return g == p+39 }},
		{"pgup", func(p, g int) bool { return g == p-39 }},
		{"G", func(p, g int) bool { return g > 1000 }},
		{"g", func(p, g int) bool { return g == 0 }},
	}
	for _, s := range steps {
		prev := m.Offset()
		m, _ = m.Update(ct.Key(s.key))
		if !s.want(prev, m.Offset()) {
			t.Errorf("%q: offset %d -> %d", s.key, prev, m.Offset())
		}
	}
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.Offset() != wheelStep {
		t.Errorf("wheel down: offset %d", m.Offset())
	}
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.Offset() != 0 {
		t.Errorf("wheel up: offset %d", m.Offset())
	}
	m, _ = m.Update(ct.Key("k"))
	if m.Offset() != 0 {
		t.Error("scrolled above the top")
	}
	m, _ = m.Update(ct.Key("G"))
	bottom := m.Offset()
	m, _ = m.Update(ct.Key("j"))
	if m.Offset() != bottom {
		t.Error("scrolled past the bottom")
	}
	checkFrame(t, m.View(), 140, 40)
}

func TestHunkNavigation(t *testing.T) {
	m := bigModel(t, 140, 40)
	_, total := m.Hunk()
	if total < 100 {
		t.Fatalf("only %d hunks in the synthetic diff", total)
	}
	start, _ := m.Hunk()
	for want := start + 1; want <= start+5; want++ {
		m, _ = m.Update(ct.Key("n"))
		if cur, _ := m.Hunk(); cur != want {
			t.Fatalf("after %d n: hunk %d", want, cur)
		}
		first := ansi.Strip(strings.SplitN(m.View(), "\n", 3)[1])
		if !strings.HasPrefix(first, "@@ ") {
			t.Fatalf("hunk header not at the top: %q", first)
		}
	}
	m, _ = m.Update(ct.Key("N"))
	if cur, _ := m.Hunk(); cur != start+4 {
		t.Errorf("N: hunk %d, want %d", cur, start+4)
	}
	for range total + 3 {
		m, _ = m.Update(ct.Key("n"))
	}
	if cur, _ := m.Hunk(); cur != total {
		t.Errorf("n past the end: hunk %d of %d", cur, total)
	}
}

func TestToggles(t *testing.T) {
	m := bigModel(t, 140, 40)
	for range 3 {
		m, _ = m.Update(ct.Key("n"))
	}
	before := firstNumbers(m.View())
	m, _ = m.Update(ct.Key("u"))
	if m.Mode() != Unified {
		t.Fatal("u did not switch to unified")
	}
	if after := firstNumbers(m.View()); after != before {
		t.Errorf("toggle lost the position: %q -> %q", before, after)
	}
	m, _ = m.Update(ct.Key("u"))
	if m.Mode() != SideBySide {
		t.Fatal("u did not switch back")
	}
	wrap := m.Wrap()
	m, _ = m.Update(ct.Key("w"))
	if m.Wrap() == wrap {
		t.Fatal("w did not toggle wrap")
	}
	checkFrame(t, m.View(), 140, 40)
}

// firstNumbers returns the hunk header at the top of a view.
func firstNumbers(v string) string {
	return strings.TrimSpace(ansi.Strip(strings.SplitN(v, "\n", 3)[1]))
}

func TestNarrowFallsBackToUnified(t *testing.T) {
	m := bigModel(t, 99, 20)
	if m.Mode() != Unified {
		t.Fatalf("99 columns: %s", m.Mode())
	}
	m.SetSize(100, 20)
	if m.Mode() != SideBySide {
		t.Fatalf("100 columns: %s", m.Mode())
	}
}

func TestResizeNeverPanics(t *testing.T) {
	m := fixtureModel("catppuccin-mocha", 80, 24)
	for w := 1; w <= 160; w += 7 {
		for h := 1; h <= 45; h += 11 {
			m.SetSize(w, h)
			m, _ = m.Update(ct.Key("n"))
			checkFrame(t, m.View(), w, h)
			m, _ = m.Update(ct.Key("w"))
			checkFrame(t, m.View(), w, h)
		}
	}
}

func TestEqualContent(t *testing.T) {
	m := New(themes.MustGet("light", false).Styles)
	m.SetContent("a", "b", "same", "same")
	m.SetSize(60, 5)
	v := m.View()
	checkFrame(t, v, 60, 5)
	if !strings.Contains(v, "No differences.") {
		t.Errorf("equal texts: %q", ansi.Strip(v))
	}
}

func TestHelp(t *testing.T) {
	m := New(themes.Styles{})
	if len(m.ShortHelp()) == 0 || len(m.FullHelp()) < 2 {
		t.Fatal("help is empty")
	}
	for _, g := range m.FullHelp() {
		for _, b := range g {
			if b.Help().Key == "" || b.Help().Desc == "" {
				t.Errorf("binding %v has no help text", b.Keys())
			}
		}
	}
}

func TestConfigOnlyChange(t *testing.T) {
	m := New(themes.MustGet("dark", true).Styles)
	m.SetContent("v1", "v2", "same text", "same text")
	m.SetConfig(store.Config{Model: "a"}, store.Config{Model: "b"})
	m.SetSize(80, 8)
	v := ansi.Strip(m.View())
	checkFrame(t, m.View(), 80, 8)
	if !strings.Contains(v, "model") || !strings.Contains(v, "a → b") || !strings.Contains(v, "The text has no differences.") {
		t.Errorf("config-only view:\n%s", v)
	}
}

// With long lines truncated (w), left and right scroll them sideways; "…"
// marks the hidden start; wrapping again goes back to column 1. Before
// the first change the count already says "change 1 of N".
func TestTruncatedLinesScrollSideways(t *testing.T) {
	m := New(themes.MustGet("dark", true).Styles)
	long := "start " + strings.Repeat("abcdefghij", 20) + " TAILMARK"
	m.SetContent("old", "new", "intro\n"+long+"\nend\n", "intro\n"+long+" more\nend\n")
	m.SetSize(60, 12)
	if cur, total := m.Hunk(); cur != 1 || total != 1 {
		t.Errorf("at the top: change %d of %d, want 1 of 1", cur, total)
	}
	m, _ = m.Update(ct.Key("right"))
	if m.XOffset() != 0 {
		t.Fatal("right scrolled while lines wrap")
	}
	m, _ = m.Update(ct.Key("w"))
	if strings.Contains(ansi.Strip(m.View()), "TAILMARK") {
		t.Fatal("the end of a long line shows while truncated at the start")
	}
	for range 25 {
		m, _ = m.Update(ct.Key("l"))
	}
	v := ansi.Strip(m.View())
	if m.XOffset() == 0 || !strings.Contains(v, "TAILMARK") || !strings.Contains(v, "…") || strings.Contains(v, "start abc") {
		t.Fatalf("after scrolling right (offset %d) the end does not show:\n%s", m.XOffset(), v)
	}
	ct.CheckFrame(t, m.View(), 60, 12)
	m, _ = m.Update(ct.Key("left"))
	if m.XOffset() == 0 {
		t.Error("left went back to the start in one step")
	}
	m, _ = m.Update(ct.Key("w"))
	if m.XOffset() != 0 {
		t.Error("wrapping again kept the sideways offset")
	}
}
