package diffscreen

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/diffview"
)

// spec is the diff of two versions of a prompt.
func spec(t *testing.T, c *common.Common, prompt string, a, b int) common.DiffSpec {
	t.Helper()
	ctx := context.Background()
	va, err := c.Store.Version(ctx, prompt, a)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := c.Store.Version(ctx, prompt, b)
	if err != nil {
		t.Fatal(err)
	}
	return common.VersionDiff(c, va, vb)
}

func drive(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, m, msgs...)
	return out
}

func TestDiffScreen(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	m := New(c, spec(t, c, ct.Support, 1, 4))
	s, out := ct.Start(t, m, 140, 40)
	if len(out) != 0 || s != m {
		t.Fatalf("init sent %v", out)
	}
	if m.Title() != "support/reply v1 ↔ v4" || m.Capturing() || m.Reload() != nil {
		t.Errorf("title %q", m.Title())
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"- v1  First draft  — ana, 20 days ago", "+ v4 · development  Shorter sign-off  — devon, 2 hours ago",
		"change 1 of 1", "side-by-side", "wrap on", "v1", "v4 · development", "temperature 0.7 → 0.3", "Sign off with the team name."} {
		if !strings.Contains(v, want) {
			t.Errorf("diff screen does not show %q:\n%s", want, v)
		}
	}
	// Keys reach the diff view: unified, wrap, next change.
	drive(t, m, ct.Key("u"))
	if m.view.Mode() != diffview.Unified || !strings.Contains(ansi.Strip(m.View()), "unified") {
		t.Errorf("u: mode %s", m.view.Mode())
	}
	wrap := m.view.Wrap()
	drive(t, m, ct.Key("w"))
	if m.view.Wrap() == wrap {
		t.Error("w does not toggle wrapping")
	}
	_, total := m.view.Hunk()
	drive(t, m, ct.Key("n"))
	if cur, _ := m.view.Hunk(); total > 1 && cur != 2 {
		t.Errorf("n: change %d of %d", cur, total)
	}
	drive(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	// The help comes from the diff view's bindings.
	if h := fmt.Sprint(m.ShortHelp()); !strings.Contains(h, "unified") {
		t.Errorf("short help: %s", h)
	}
	if len(m.FullHelp()) == 0 {
		t.Error("no full help")
	}
}

func TestNarrowFallsBackToUnified(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	m := New(c, spec(t, c, ct.Support, 2, 3))
	m.SetSize(80, 24)
	if m.view.Mode() != diffview.Unified {
		t.Errorf("80 columns: %s", m.view.Mode())
	}
}

func TestThemeSwitchRestyles(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	m := New(c, spec(t, c, ct.Support, 2, 3))
	m.SetSize(140, 40)
	dark := m.View()
	c.SetTheme(themes.MustGet("light", false))
	light := m.View()
	if dark == light || ansi.Strip(dark) != ansi.Strip(light) {
		t.Error("a theme switch does not restyle the diff (or changes its text)")
	}
}

func TestNoHeader(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	m := New(c, common.DiffSpec{Left: "a\nb\n", Right: "a\nc\n"})
	m.SetSize(60, 12)
	if m.Title() != "diff" {
		t.Errorf("title %q", m.Title())
	}
	ct.CheckFrame(t, m.View(), 60, 12)
}

func TestViewGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		theme, w, h := l.Theme, l.W, l.H
		c := ct.NewCommon(t, st, ct.Themes()[theme])
		m := New(c, spec(t, c, ct.Support, 2, 4))
		m.SetSize(w, h)
		v := m.View()
		l.Shot(t, "diff", v)
		chat := New(c, spec(t, c, ct.Sales, 1, 2))
		chat.SetSize(w, h)
		v = chat.View()
		l.Shot(t, "diff-chat", v)
	})
}

// TestHostileText diffs versions full of escapes and wide characters, at
// every size, in both modes: only SGR styling, exact frames, no panic.
func TestHostileText(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	c := ct.NewCommon(t, st, ct.Dark())
	for _, p := range []string{ct.EvilText, ct.EvilChat} {
		sp := spec(t, c, p, 1, 2)
		sp.Header = append(sp.Header, "extra "+ct.Evil+" 日本語🚀")
		sp.LeftTitle += ct.Evil
		m := New(c, sp)
		for _, keys := range [][]string{nil, {"u"}, {"w"}, {"n", "G"}} {
			drive(t, m, ct.Keys(keys...)...)
			for w := 40; w <= 140; w += 5 {
				for h := 12; h <= 40; h += 7 {
					m.SetSize(w, h)
					v := m.View()
					if bad := ct.Unclean(v); bad != "" {
						t.Fatalf("%s %v at %dx%d: %s", p, keys, w, h, bad)
					}
					ct.CheckFrame(t, v, w, h)
				}
			}
		}
		if v := ansi.Strip(m.View()); !strings.Contains(v, "日本") {
			t.Errorf("wide characters lost:\n%s", v)
		}
	}
}

var _ = store.KindText
