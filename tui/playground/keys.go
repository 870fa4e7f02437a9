package playground

import "charm.land/bubbles/v2/key"

// keyMap is the playground's keys (as data: the help is made from them).
type keyMap struct {
	Run, Case, Commit, Values, Next, Prev, Leave, Pick, NextMsg, PrevMsg key.Binding
	// The question when leaving with a changed prompt.
	Discard, Stay key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Run:     b([]string{"ctrl+r"}, "ctrl+r", "run"),
		Case:    b([]string{"ctrl+t"}, "ctrl+t", "save as test case"),
		Commit:  b([]string{"ctrl+s"}, "ctrl+s", "commit the prompt"),
		Values:  b([]string{"ctrl+o"}, "ctrl+o", "other saved values"),
		Next:    b([]string{"tab"}, "tab", "next pane"),
		Prev:    b([]string{"shift+tab"}, "shift+tab", "previous pane"),
		Leave:   b([]string{"esc"}, "esc", "stop / leave"),
		Pick:    b([]string{"space", "x"}, "space", "pick model"),
		NextMsg: b([]string{"ctrl+down", "alt+n"}, "ctrl+↓", "next message"),
		PrevMsg: b([]string{"ctrl+up", "alt+p"}, "ctrl+↑", "previous message"),
		Discard: b([]string{"y"}, "y", "discard the change"),
		Stay:    b([]string{"esc", "n"}, "esc", "stay"),
	}
}
