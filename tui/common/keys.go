package common

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
)

// GlobalKeys work on every screen (q and ? yield to a screen taking text
// input).
type GlobalKeys struct {
	Quit  key.Binding
	Back  key.Binding
	Help  key.Binding
	Theme key.Binding
	// Log shows the status messages of the session in full.
	Log key.Binding
}

// DefaultGlobalKeys returns the standard global bindings.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Quit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Back:  key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q/esc", "back")),
		Help:  key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Theme: key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "next theme")),
		Log:   key.NewBinding(key.WithKeys("@"), key.WithHelp("@", "message log")),
	}
}

// ShortHelp is appended to every screen's one-line help.
func (k GlobalKeys) ShortHelp() []key.Binding { return []key.Binding{k.Back, k.Help} }

// FullHelp is the global group of the full key map.
func (k GlobalKeys) FullHelp() []key.Binding {
	return []key.Binding{k.Back, k.Help, k.Theme, k.Log, k.Quit}
}

// keyNames are the bindings a config file's `keys:` section may rebind,
// and where each lives.
func keyNames(g *GlobalKeys, l *ListKeys) map[string]*key.Binding {
	return map[string]*key.Binding{
		"quit": &g.Quit, "back": &g.Back, "help": &g.Help, "theme": &g.Theme, "log": &g.Log,
		"up": &l.Up, "down": &l.Down, "page_up": &l.PageUp, "page_down": &l.PageDown,
		"top": &l.Top, "bottom": &l.Bottom,
	}
}

// KeyNames lists the names `keys:` accepts, sorted.
func KeyNames() []string {
	var g GlobalKeys
	var l ListKeys
	names := slices.Collect(maps.Keys(keyNames(&g, &l)))
	slices.Sort(names)
	return names
}

// SetKeys applies a config file's key overrides (name -> keys, e.g.
// quit: [ctrl+q]) to the global and list bindings every screen uses. The
// help text keeps its description and shows the new keys. An unknown name
// or an empty list is an error naming the fix.
func (c *Common) SetKeys(over map[string][]string) error {
	g, l := DefaultGlobalKeys(), DefaultListKeys()
	bindings := keyNames(&g, &l)
	for _, name := range slices.Sorted(maps.Keys(over)) {
		b, ok := bindings[name]
		if !ok {
			return fmt.Errorf("keys: unknown binding %q: use one of %s", name, strings.Join(KeyNames(), ", "))
		}
		keys := over[name]
		if len(keys) == 0 || slices.Contains(keys, "") {
			return fmt.Errorf("keys: %s needs at least one key, e.g. %s: [%s]", name, name, b.Keys()[0])
		}
		*b = key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(keys, "/"), b.Help().Desc))
	}
	c.Keys, c.List = g, l
	return nil
}
