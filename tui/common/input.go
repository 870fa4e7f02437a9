package common

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// NewInput returns a one-line text input styled from the theme, with a
// steady (non-blinking) cursor so frames only change when the text does.
func (c *Common) NewInput(prompt, placeholder string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	c.StyleInput(&in)
	return in
}

// StyleInput applies the theme to an input (after a theme switch too).
func (c *Common) StyleInput(in *textinput.Model) {
	st := c.Styles.Input
	s := textinput.Styles{
		Focused: textinput.StyleState{Text: st.Text, Placeholder: st.Placeholder, Prompt: st.Prompt, Suggestion: st.Placeholder},
		Blurred: textinput.StyleState{Text: st.Text, Placeholder: st.Placeholder, Prompt: st.Placeholder, Suggestion: st.Placeholder},
		Cursor:  textinput.CursorStyle{Color: c.Theme.Palette.Accent, Shape: tea.CursorBlock, Blink: false},
	}
	in.SetStyles(s)
	in.SetVirtualCursor(true)
}
