package common

import "charm.land/bubbles/v2/key"

// OtherEditorKey is E: the editor that is not the default for e and n (the
// inline editor when $VISUAL/$EDITOR is set, else $EDITOR). Its help names
// which.
func (c *Common) OtherEditorKey() key.Binding {
	help := "edit in the inline editor"
	if c.InlineEdit {
		help = "edit in $EDITOR (" + c.Editor + ")"
	}
	return key.NewBinding(key.WithKeys("E"), key.WithHelp("E", help))
}

// TryKey is t: try the version in the playground.
func TryKey() key.Binding {
	return key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "try in playground"))
}
