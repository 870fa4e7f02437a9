package promptview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestViewGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		theme, w, h := l.Theme, l.W, l.H
		c := ct.NewCommon(t, st, ct.Themes()[theme])
		s, _ := ct.Start(t, New(c, ct.Support, "", 0), w, h)
		m := s.(*Model)
		shot := func(golden string) {
			t.Helper()
			l.Shot(t, golden, m.View())
		}
		shot("content")
		drive(t, m, ct.Key("v"))
		shot("content-raw")
		drive(t, m, ct.Key("2"), ct.Key("space"), ct.Key("j"))
		shot("history")
		drive(t, m, ct.Key("3"), ct.Key("j"))
		shot("labels")
		drive(t, m, ct.Key("j"), ct.Key("j"))
		shot("labels-on-a-move")
		drive(t, m, ct.Key("n"))
		drive(t, m, ct.Type("canary")...)
		shot("labels-new")
		drive(t, m, ct.Key("esc"))
	})
}

// TestHostileText draws prompts full of escapes, control characters and
// wide characters on every tab, raw and rendered, at every size: only SGR
// styling reaches the screen, every line is exactly the width, no panic.
func TestHostileText(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	for _, name := range []string{ct.EvilText, ct.EvilChat} {
		m, _ := open(t, st, name, "", 0, 140, 40)
		if v := ansi.Strip(m.View()); !strings.Contains(v, "日本語") {
			t.Errorf("%s: wide text lost:\n%s", name, v)
		}
		for _, tab := range []string{"1", "2", "3"} {
			drive(t, m, ct.Key(tab))
			for _, raw := range []bool{false, true} {
				m.content().raw = raw
				for _, sz := range ct.Resizes() {
					m.SetSize(sz[0], sz[1])
					v := m.View()
					if bad := ct.Unclean(v); bad != "" {
						t.Fatalf("%s tab %s raw=%v at %dx%d: %s", name, m.Active(), raw, sz[0], sz[1], bad)
					}
					ct.CheckFrame(t, v, sz[0], sz[1])
				}
				if tab != "1" {
					break
				}
			}
		}
		// Scrolled to the end, marked, moved: still clean frames.
		drive(t, m, ct.Key("1"), ct.Key("G"))
		drive(t, m, ct.Key("2"), ct.Key("space"), ct.Key("G"))
		drive(t, m, ct.Key("3"), ct.Key("j"), ct.Key("j"), ct.Key("j"))
		for _, tab := range []string{"1", "2", "3"} {
			drive(t, m, ct.Key(tab))
			for _, sz := range [][2]int{{40, 12}, {80, 24}, {140, 40}} {
				m.SetSize(sz[0], sz[1])
				v := m.View()
				ct.CheckClean(t, v)
				ct.CheckFrame(t, v, sz[0], sz[1])
			}
		}
	}
}

// TestResize sizes the fixture's prompt view, tab by tab, at every size.
func TestResize(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	for _, name := range []string{ct.Support, ct.Sales} {
		m, _ := open(t, st, name, "", 0, 140, 40)
		for _, tab := range []string{"1", "2", "3"} {
			drive(t, m, ct.Key(tab))
			for _, sz := range ct.Resizes() {
				m.SetSize(sz[0], sz[1])
				ct.CheckFrame(t, m.View(), sz[0], sz[1])
			}
		}
	}
}
