package common

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// ListKeys are the cursor keys every list shares (prompts, cases, runs,
// results): one definition, so they mean the same everywhere.
type ListKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultListKeys returns the standard list bindings.
func DefaultListKeys() ListKeys {
	return ListKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
	}
}

// Bindings lists the keys for help views.
func (k ListKeys) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// Move returns where the cursor of a list of n rows goes for msg, page rows
// at a time, and whether msg was one of these keys. The cursor stays in
// [0, n-1] (0 for an empty list).
func (k ListKeys) Move(msg tea.KeyPressMsg, cursor, n, page int) (int, bool) {
	last := max(n-1, 0)
	switch {
	case key.Matches(msg, k.Up):
		return max(0, min(last, cursor-1)), true
	case key.Matches(msg, k.Down):
		return max(0, min(last, cursor+1)), true
	case key.Matches(msg, k.PageUp):
		return max(0, min(last, cursor-page)), true
	case key.Matches(msg, k.PageDown):
		return max(0, min(last, cursor+page)), true
	case key.Matches(msg, k.Top):
		return 0, true
	case key.Matches(msg, k.Bottom):
		return last, true
	}
	return cursor, false
}

// Also returns b with more keys (a screen's own extras, like space for page
// down), keeping its help.
func Also(b key.Binding, extra ...string) key.Binding {
	return key.NewBinding(key.WithKeys(append(slices.Clone(b.Keys()), extra...)...), key.WithHelp(b.Help().Key, b.Help().Desc))
}

// Described returns b with another help description ("newest" for top).
func Described(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
