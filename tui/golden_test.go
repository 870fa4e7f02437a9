package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// TestRenderGolden renders whole frames (header, screen, help line, status
// bar) at 80x24 and 140x40 in two themes.
func TestRenderGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		theme, w, h := l.Theme, l.W, l.H
		r := newRoot(t, options(st, theme), w, h)
		shot := func(golden string) {
			t.Helper()
			l.Shot(t, golden, r.m.Render())
		}
		r.keys("G")
		r.send(common.StatusMsg{Kind: common.StatusSuccess, Text: "support/reply staging → v4"})
		shot("root-list")
		r.keys("?")
		shot("root-help-list")
		r.keys("?", "enter")
		r.send(common.StatusMsg{Kind: common.StatusError, Text: "commit support/reply: database is locked: try again"})
		shot("root-prompt")
		r.keys("2", "?")
		shot("root-help-history")
	})
}

// everyScreen walks the screens a person can reach on prompt: the list
// (filtered too), the full help, the prompt's tabs, a diff, a rollback, the
// picker, a promotion. At each one it calls check.
func everyScreen(t *testing.T, r *root, prompt string, check func(what string)) {
	t.Helper()
	top := func(want string) {
		t.Helper()
		if got := r.m.Top().Title(); !strings.HasPrefix(got, want) {
			t.Fatalf("on %q, want %q (stack %s)", got, want, r.titles())
		}
	}
	r.keys("/")
	r.typeText(prompt[:3])
	check("list, filtering")
	r.keys("esc")
	for r.browse().Selected() != prompt {
		before := r.browse().Selected()
		r.keys("j")
		if r.browse().Selected() == before {
			t.Fatalf("%s not in the list", prompt)
		}
	}
	check("list")
	r.keys("?")
	check("full help")
	r.keys("?", "enter")
	top(prompt)
	check("content")
	r.keys("v")
	check("content raw")
	r.keys("v", "2")
	check("history")
	r.keys("space", "j", "d")
	top(prompt + " v")
	check("diff")
	r.keys("u")
	check("diff unified")
	r.keys("q", "3")
	top(prompt)
	check("labels")
	r.keys("R")
	top("Roll back " + prompt)
	check("rollback dialog")
	r.keys("esc", "1", "p")
	top("promote v")
	check("picker")
	r.keys("j", "j", "j", "enter")
	r.typeText("canary")
	check("picker, new label")
	r.keys("enter")
	top("Promote " + prompt)
	check("promote dialog")
	r.keys("esc", "q")
	top("prompts")
}

func TestResizeEveryScreen(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "light"), 140, 40)
	everyScreen(t, r, ct.Support, func(what string) {
		for _, sz := range ct.Resizes() {
			r.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			ct.CheckFrame(t, r.m.Render(), sz[0], sz[1])
		}
		r.send(tea.WindowSizeMsg{Width: 140, Height: 40})
	})
	// Tiny terminals draw what fits, without panicking.
	for _, sz := range [][2]int{{1, 1}, {2, 2}, {10, 3}, {20, 4}, {0, 0}, {39, 11}} {
		r.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		_ = r.m.Render()
	}
}

// TestHostileText walks every screen on prompts full of escape sequences
// and wide characters, with an author and a database path holding them
// too, at several sizes: only SGR styling reaches the terminal, and every
// line is exactly the width.
func TestHostileText(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	o := options(st, "dark")
	o.Author = "me" + ct.Evil + "日本"
	o.DBPath = "/tmp/" + ct.Evil + "/日本.db"
	for _, prompt := range []string{ct.EvilText, ct.EvilChat} {
		r := newRoot(t, o, 140, 40)
		r.send(common.StatusMsg{Kind: common.StatusError, Text: "boom " + ct.Evil + " 日本🚀"})
		seen := map[string]bool{}
		everyScreen(t, r, prompt, func(what string) {
			seen[what] = true
			for _, sz := range [][2]int{{140, 40}, {80, 24}, {57, 17}, {40, 12}} {
				r.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				v := r.m.Render()
				if bad := ct.Unclean(v); bad != "" {
					t.Fatalf("%s, %s at %dx%d: %s", prompt, what, sz[0], sz[1], bad)
				}
				ct.CheckFrame(t, v, sz[0], sz[1])
			}
			r.send(tea.WindowSizeMsg{Width: 140, Height: 40})
		})
		if len(seen) != 13 {
			t.Errorf("walked %d screens", len(seen))
		}
		if v := r.plain(); !strings.Contains(v, "日本") {
			t.Errorf("wide characters lost:\n%s", v)
		}
	}
}
