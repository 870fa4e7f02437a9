package browse

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestViewGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		theme, w, h := l.Theme, l.W, l.H
		c := ct.NewCommon(t, st, ct.Themes()[theme])
		s, _ := ct.Start(t, New(c), w, h)
		m := s.(*Model)
		// The list with the preview of support/reply (production v2).
		drive(t, m, ct.Key("G"))
		v := m.View()
		l.Shot(t, "list", v)
		// Filtering: the input, the count, the highlighted matches.
		drive(t, m, ct.Key("/"))
		drive(t, m, ct.Type("re")...)
		v = m.View()
		l.Shot(t, "list-filtered", v)
	})
}

// TestHostileText draws prompts full of escape sequences, control
// characters and wide characters: nothing but SGR styling reaches the
// screen, and every line keeps the screen width.
func TestHostileText(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, New(c), 140, 40)
	m := s.(*Model)
	check := func(what string) {
		t.Helper()
		v := m.View()
		if bad := ct.Unclean(v); bad != "" {
			t.Fatalf("%s at %dx%d: the view holds %s", what, m.width, m.height, bad)
		}
		ct.CheckFrame(t, v, m.width, m.height)
	}
	for _, raw := range []bool{false, true} {
		m.raw = raw
		for range 2 {
			check(fmt.Sprintf("list, %s raw=%v", m.Selected(), raw))
			drive(t, m, ct.Key("j"))
		}
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "日本語") || !strings.Contains(v, "🚀") {
		t.Errorf("wide characters lost:\n%s", v)
	}
	drive(t, m, ct.Key("/"))
	drive(t, m, ct.Type("ev")...)
	check("filter")
}

// TestResize sizes the list, filtered and not, with and without the
// preview, at every size from 40x12 to 140x40: no panic, exact frames.
func TestResize(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Hostile(t, st)
	c := ct.NewCommon(t, st, ct.Light())
	s, _ := ct.Start(t, New(c), 140, 40)
	m := s.(*Model)
	drive(t, m, ct.Key("G"))
	for _, filtered := range []bool{false, true} {
		if filtered {
			drive(t, m, ct.Key("/"))
			drive(t, m, ct.Type("e")...)
		}
		for _, sz := range ct.Resizes() {
			m.SetSize(sz[0], sz[1])
			// Previews load per prompt: deliver them before drawing.
			drive(t, m, ct.Run(t, m.ensurePreview())...)
			v := m.View()
			ct.CheckFrame(t, v, sz[0], sz[1])
			if bad := ct.Unclean(v); bad != "" {
				t.Fatalf("%dx%d: %s", sz[0], sz[1], bad)
			}
		}
	}
}

// The health column: two weeks of traffic on support/reply, whose
// production was moved back to the slower, lower-scoring v3.
func TestHealthGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	if _, err := st.SetLabel(t.Context(), store.LabelInput{Prompt: ct.Support, Label: "production", Version: 3, Actor: "ana", Reason: "v3 again", Force: true}); err != nil {
		t.Fatal(err)
	}
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		c := ct.NewCommon(t, st, ct.Themes()[l.Theme])
		s, _ := ct.Start(t, New(c), l.W, l.H)
		m := s.(*Model)
		drive(t, m, ct.Key("G"))
		drive(t, m, ct.Run(t, m.ensurePreview())...)
		l.Shot(t, "list-traffic", m.View())
	})
	// The mark and the preview's explanation come from the store's
	// comparison: v3 scores lower than v2.
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, New(c), 140, 40)
	m := s.(*Model)
	drive(t, m, ct.Key("G"))
	drive(t, m, ct.Run(t, m.ensurePreview())...)
	v := ansi.Strip(m.View())
	for _, want := range []string{"TRAFFIC 24H", "v3 in production:", "▲ worse than v2: score 0."} {
		if !strings.Contains(v, want) {
			t.Errorf("the list does not show %q:\n%s", want, v)
		}
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "› support/reply") && !strings.Contains(l, "▲") {
			t.Errorf("support/reply's row has no ▲: %q", l)
		}
	}
	if strings.Count(v, "▲") != 2 {
		t.Errorf("only support/reply is worse than its previous version:\n%s", v)
	}
}
