package commontest

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type msgA struct{}
type msgB struct{}

func TestRunFlattens(t *testing.T) {
	a := func() tea.Msg { return msgA{} }
	b := func() tea.Msg { return msgB{} }
	tick := tea.Tick(time.Hour, func(time.Time) tea.Msg { return msgA{} })
	cmd := tea.Sequence(a, tea.Batch(b, tick, nil, tea.Sequence(a, b)), b)
	got := Run(t, cmd)
	want := []tea.Msg{msgA{}, msgB{}, msgA{}, msgB{}, msgB{}}
	if len(got) != len(want) {
		t.Fatalf("got %#v", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("message %d: %#v, want %#v", i, got[i], want[i])
		}
	}
	if !IsTimer(tick) || IsTimer(a) || !IsTimer(tea.Every(time.Hour, func(time.Time) tea.Msg { return nil })) {
		t.Error("IsTimer")
	}
	if len(Run(t, nil)) != 0 {
		t.Error("nil command")
	}
}

func TestForRoot(t *testing.T) {
	for _, c := range []struct {
		msg  tea.Msg
		root bool
	}{
		{common.StatusMsg{}, true},
		{common.OpenPromptMsg{}, true},
		{common.PushMsg{}, true},
		{tea.QuitMsg{}, true},
		{msgA{}, false},
		{tea.KeyPressMsg{}, false},
	} {
		if got := ForRoot(fakeScreen{}, c.msg); got != c.root {
			t.Errorf("ForRoot(%T) = %v", c.msg, got)
		}
	}
}

type fakeScreen struct{ common.Screen }

func (fakeScreen) ID() int { return 42 }

func TestUnclean(t *testing.T) {
	for s, bad := range map[string]bool{
		"plain\ntext":                   false,
		"\x1b[1;38;5;62mstyled\x1b[m":   false,
		"\x1b[38:2::1:2:3mcolon\x1b[0m": false,
		"a" + Evil:                      true,
		"\x1b]0;pwned\x07":              true,
		"\x1b[2J":                       true,
		"bare\rreturn":                  true,
		"tab\there":                     true,
		"c1 \u009b2J":                   true,
		"\x1b[10;10H":                   true,
		"trailing \x1b":                 true,
	} {
		if got := Unclean(s) != ""; got != bad {
			t.Errorf("Unclean(%q) = %q", s, Unclean(s))
		}
	}
}

func TestKey(t *testing.T) {
	for s, want := range map[string]string{
		"j": "j", "R": "R", "enter": "enter", "esc": "esc", "space": "space", "tab": "tab",
		"shift+tab": "shift+tab", "ctrl+c": "ctrl+c", "ctrl+f": "ctrl+f", "pgdown": "pgdown", "?": "?", "[": "[",
	} {
		if got := Key(s).String(); got != want {
			t.Errorf("Key(%q).String() = %q", s, got)
		}
	}
}

func TestFixtures(t *testing.T) {
	st, _ := FixtureStore(t)
	Hostile(t, st)
	ps, err := st.ListPrompts(t.Context(), storeList)
	if err != nil || len(ps) != 6 {
		t.Fatalf("%d prompts, %v", len(ps), err)
	}
}

var storeList = store.ListOptions{}
