package diffview

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		name  string
		theme string
		o     RenderOptions
	}{
		{"render-sbs-140-wrap-dark", "dark", RenderOptions{Width: 140, Mode: SideBySide, Wrap: true}},
		{"render-sbs-120-truncate-catppuccin", "catppuccin-mocha", RenderOptions{Width: 120, Mode: SideBySide}},
		{"render-unified-80-wrap-light", "light", RenderOptions{Width: 80, Mode: Unified, Wrap: true}},
		{"render-unified-80-mono", "mono", RenderOptions{Width: 80, Mode: Unified, Wrap: true}},
		{"render-sbs-100-full-high-contrast", "high-contrast", RenderOptions{Width: 100, Mode: SideBySide, Wrap: true, Context: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Styles = themes.MustGet(c.theme, true).Styles
			o.LeftTitle, o.RightTitle = "support/reply v3 · production", "support/reply v4 · staging"
			ct.Golden(t, c.name, ct.Pin(t, RenderString(fixtureOld, fixtureNew, o)))
		})
	}
}

func fixtureModel(theme string, w, h int) Model {
	m := New(themes.MustGet(theme, true).Styles)
	m.SetContent("v3 · production · Tighten tone", "v4 · staging · Cite sources", fixtureOld, fixtureNew)
	f := func(v float64) *float64 { return &v }
	m.SetConfig(store.Config{Model: "gpt-4o-mini", Temperature: f(0.7), MaxTokens: 300},
		store.Config{Model: "gpt-4o", Temperature: f(0.3), MaxTokens: 300})
	m.SetSize(w, h)
	return m
}

func TestViewGolden(t *testing.T) {
	for _, theme := range []string{"dark", "light"} {
		for _, size := range [][2]int{{80, 24}, {140, 40}} {
			m := fixtureModel(theme, size[0], size[1])
			name := "view-" + theme + "-" + strconv.Itoa(size[0]) + "x" + strconv.Itoa(size[1])
			t.Run(name, func(t *testing.T) {
				v := m.View()
				checkFrame(t, v, size[0], size[1])
				ct.Golden(t, name, ct.Pin(t, v))
				// Scrolled to the second hunk or the end: still a full frame.
				m, _ = m.Update(ct.Key("n"))
				checkFrame(t, m.View(), size[0], size[1])
				ct.Golden(t, name+"-next", ct.Pin(t, m.View()))
			})
		}
	}
}

// checkFrame asserts a view is exactly h lines of exactly w columns.
func checkFrame(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d columns, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}
