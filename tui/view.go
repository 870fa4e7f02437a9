package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
)

// View draws the header, the top screen (or the full key map), the help
// line and the status bar.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "verso"
	return v
}

// Render is the frame as a string (golden tests compare it).
func (m *Model) Render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.c.Styles
	header := st.Title.Render(common.Trunc(m.breadcrumb(), m.width))
	var body string
	if m.showAll {
		body = m.fullHelp()
	} else {
		body = m.Top().View()
	}
	helpLine := m.help.ShortHelpView(append(m.Top().ShortHelp(), m.c.Keys.ShortHelp()...))
	if m.Top().Capturing() {
		helpLine = m.help.ShortHelpView(append(m.Top().ShortHelp(), m.c.Keys.Quit))
	}
	lines := []string{common.Fit(header, m.width)}
	if m.height > 3 {
		lines = append(lines, body)
	}
	if m.height > 1 {
		lines = append(lines, common.Fit(helpLine, m.width))
	}
	if m.height > 2 {
		lines = append(lines, m.statusBar())
	}
	return strings.Join(lines, "\n")
}

// fullHelp is the key map of the focused screen plus the global keys,
// generated from the bindings.
func (m *Model) fullHelp() string {
	groups := append(m.Top().FullHelp(), m.c.Keys.FullHelp())
	h := m.help
	h.ShowAll = true
	title := m.c.Styles.Help.Title.Render("Keys for " + m.Top().Title() + "  (any key closes)")
	body := h.FullHelpView(filterEnabled(groups))
	lines := append([]string{title, ""}, strings.Split(body, "\n")...)
	return common.Box(lines, m.width, m.bodyHeight())
}

func filterEnabled(groups [][]key.Binding) [][]key.Binding {
	out := make([][]key.Binding, 0, len(groups))
	for _, g := range groups {
		var keep []key.Binding
		for _, b := range g {
			if b.Enabled() {
				keep = append(keep, b)
			}
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	return out
}

// statusBar shows the database, the author and the transient message.
func (m *Model) statusBar() string {
	st := m.c.Styles.StatusBar
	left := st.Key.Render(" " + common.CleanLine(m.opts.DBPath) + " ")
	left += st.Text.Render(" " + common.CleanLine(m.c.Author) + " ")
	if m.c.Store != nil && m.c.Store.ReadOnly() {
		left += st.Warning.Render(" read-only ")
	}
	var msg string
	if m.status.Text != "" {
		style := st.Info
		switch m.status.Kind {
		case common.StatusSuccess:
			style = st.Success
		case common.StatusWarning:
			style = st.Warning
		case common.StatusError:
			style = st.Error
		}
		msg = style.Render(" " + common.CleanLine(m.status.Text) + " ")
	}
	return st.Bar.Render(common.Fit(left+" "+msg, m.width))
}
