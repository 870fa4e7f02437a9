package dialog

import (
	"fmt"
	"testing"

	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestViewGolden(t *testing.T) {
	st, _ := gated(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		theme, w, h := l.Theme, l.W, l.H
		c := ct.NewCommon(t, st, ct.Themes()[theme])
		m := load(t, LoadPromote(c, common.PromoteMsg{Prompt: ct.Support, Version: 4, Label: "production"}))
		m.SetSize(w, h)
		drive(t, m, ct.Type("customers asked")...)
		v := m.View()
		l.Shot(t, "promote", v)
		// Refused by the gate: the problem, the text kept.
		drive(t, m, ct.Key("enter"))
		v = m.View()
		l.Shot(t, "promote-refused", v)

		// Shown again after the label moved: what changed, then the
		// rollback as it is now, with the reason typed before.
		msgs := ct.Run(t, loadRollback(c, ct.Support, "staging", stale{text: "links broke", notice: "staging of support/reply moved meanwhile: it is on v4, not v3"}))
		re, ok := ct.Find[common.ReplaceMsg](msgs)
		if !ok {
			t.Fatalf("the stale rollback sent %v", msgs)
		}
		re.Screen.SetSize(w, h)
		l.Shot(t, "rollback-stale", re.Screen.View())

		s, _ := ct.Start(t, NewPicker(c, common.PromoteMsg{Prompt: ct.Support, Version: 4}), w, h)
		drive(t, s, ct.Key("j"))
		v = s.View()
		l.Shot(t, "picker", v)
	})
}

// TestHostileText opens every dialog on prompts full of escapes and wide
// characters and sizes them from 40x12 to 140x40: only SGR styling on
// screen, exact frames, no panic.
func TestHostileText(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	c := ct.NewCommon(t, st, ct.Dark())
	var screens []common.Screen
	for _, p := range []string{ct.EvilText, ct.EvilChat} {
		screens = append(screens,
			load(t, LoadPromote(c, common.PromoteMsg{Prompt: p, Version: 2, Label: "production", Evidence: []string{"evidence " + ct.Evil + " 日本🚀"}})),
			load(t, LoadPromote(c, common.PromoteMsg{Prompt: p, Version: 1, Label: "canary"})),
			load(t, LoadRollback(c, p, "staging")),
		)
		pk, _ := ct.Start(t, NewPicker(c, common.PromoteMsg{Prompt: p, Version: 2}), 80, 24)
		screens = append(screens, pk)
	}
	// A failure whose message holds escapes is shown cleaned.
	bad := New(c, Spec{Title: "t " + ct.Evil, Lines: []string{ct.Evil + " 日本語🚀 " + ct.Evil}, Input: "Reason", Do: (&recorder{err: fmt.Errorf("boom %s 日本", ct.Evil)}).do})
	bad.SetSize(80, 24)
	drive(t, bad, ct.Type("typed 日本 🚀")...)
	drive(t, bad, ct.Key("enter"))
	screens = append(screens, bad)
	for i, s := range screens {
		for _, sz := range ct.Resizes() {
			s.SetSize(sz[0], sz[1])
			v := s.View()
			if bad := ct.Unclean(v); bad != "" {
				t.Fatalf("dialog %d (%s) at %dx%d: %s", i, s.Title(), sz[0], sz[1], bad)
			}
			ct.CheckFrame(t, v, sz[0], sz[1])
		}
	}
}
