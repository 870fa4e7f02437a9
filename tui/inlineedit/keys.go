package inlineedit

import "charm.land/bubbles/v2/key"

// keyMap is the editor's keys. Text keys (arrows, home/end, ctrl+k, ...)
// are the usual ones of a text field and are listed in the full help.
type keyMap struct {
	Commit, Diff, Next, Prev, Leave, Undo, Kind key.Binding
	// The messages pane of a chat prompt.
	Add, Remove, MoveUp, MoveDown, Role, Up, Down, Edit key.Binding
	// Questions in the banner.
	Restore, Discard, DiscardEdit, KeepDraft, Stay key.Binding
	// Text movement (shown in the full help only).
	WordLeft, WordRight, KillLine, KillStart, DeleteWord, Top, Bottom key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Commit: b([]string{"ctrl+s"}, "ctrl+s", "commit"),
		Diff:   b([]string{"ctrl+d"}, "ctrl+d", "diff"),
		Next:   b([]string{"tab"}, "tab", "next pane"),
		Prev:   b([]string{"shift+tab"}, "shift+tab", "previous pane"),
		Leave:  b([]string{"esc"}, "esc", "leave"),
		Undo:   b([]string{"ctrl+z"}, "ctrl+z", "undo"),
		Kind:   b([]string{"ctrl+t"}, "ctrl+t", "text ↔ chat"),

		Add:      b([]string{"a"}, "a", "add a message"),
		Remove:   b([]string{"x", "delete"}, "x", "remove the message"),
		MoveUp:   b([]string{"K", "shift+up"}, "K", "move up"),
		MoveDown: b([]string{"J", "shift+down"}, "J", "move down"),
		Role:     b([]string{"r"}, "r", "change role"),
		Up:       b([]string{"up", "k"}, "↑/k", "previous message"),
		Down:     b([]string{"down", "j"}, "↓/j", "next message"),
		Edit:     b([]string{"enter"}, "enter", "edit the message"),

		Restore:     b([]string{"r"}, "r", "restore the draft"),
		Discard:     b([]string{"x"}, "x", "discard it"),
		DiscardEdit: b([]string{"y"}, "y", "discard the changes"),
		KeepDraft:   b([]string{"k"}, "k", "leave, keep a draft"),
		Stay:        b([]string{"esc"}, "esc", "keep editing"),

		WordLeft:   b([]string{"alt+left", "ctrl+left", "alt+b"}, "alt+←", "word left"),
		WordRight:  b([]string{"alt+right", "ctrl+right", "alt+f"}, "alt+→", "word right"),
		KillLine:   b([]string{"ctrl+k"}, "ctrl+k", "delete to line end"),
		KillStart:  b([]string{"ctrl+u"}, "ctrl+u", "delete to line start"),
		DeleteWord: b([]string{"ctrl+w", "alt+backspace"}, "ctrl+w", "delete word"),
		Top:        b([]string{"ctrl+home"}, "ctrl+home", "start of text"),
		Bottom:     b([]string{"ctrl+end"}, "ctrl+end", "end of text"),
	}
}
