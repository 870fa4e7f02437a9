package common

import "charm.land/bubbles/v2/key"

// GlobalKeys work on every screen (q and ? yield to a screen taking text
// input).
type GlobalKeys struct {
	Quit  key.Binding
	Back  key.Binding
	Help  key.Binding
	Theme key.Binding
}

// DefaultGlobalKeys returns the standard global bindings.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Quit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Back:  key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q/esc", "back")),
		Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Theme: key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "next theme")),
	}
}

// ShortHelp is appended to every screen's one-line help.
func (k GlobalKeys) ShortHelp() []key.Binding { return []key.Binding{k.Back, k.Help} }

// FullHelp is the global group of the full key map.
func (k GlobalKeys) FullHelp() []key.Binding { return []key.Binding{k.Back, k.Help, k.Theme, k.Quit} }
