package tui

import (
	"fmt"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

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
	switch {
	case m.showLog:
		body = m.logView()
	case m.showAll:
		body = m.fullHelp()
	default:
		body = m.Top().View()
	}
	global := m.c.Keys.ShortHelp()
	if len(m.stack) == 1 {
		// At the top, q quits and esc only clears the filter (the list's
		// own help says so): the footer says what they really do.
		global = []key.Binding{topQuit, m.c.Keys.Help}
	}
	if m.Top().Capturing() {
		global = []key.Binding{m.c.Keys.Quit}
	}
	helpLine := m.helpLine(m.Top().ShortHelp(), global)
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

// helpLine is the screen's keys then the global ones. When they do not
// all fit, the global keys shrink to the last one (? for the full key map,
// or ctrl+c while typing) and the screen's keys are cut with an ellipsis:
// the way to every other key always shows.
func (m *Model) helpLine(screen, global []key.Binding) string {
	h := m.help
	h.SetWidth(0) // no truncation: measure
	if all := h.ShortHelpView(append(append([]key.Binding{}, screen...), global...)); ansi.StringWidth(all) <= m.width {
		return all
	}
	g := m.help.ShortHelpView(global[len(global)-1:])
	sep := m.help.Styles.ShortSeparator.Inline(true).Render(m.help.ShortSeparator)
	avail := max(m.width-ansi.StringWidth(g)-ansi.StringWidth(sep), 1)
	h.SetWidth(avail)
	local := h.ShortHelpView(screen)
	if local == "" {
		return g
	}
	// help.ShortHelpView overflows when even its ellipsis does not fit.
	return common.Trunc(local, avail) + sep + g
}

// fullHelp is the key map of the focused screen, generated from the
// bindings, then the global keys on a line of their own (so that a
// screen with many keys never pushes them off a narrow terminal).
func (m *Model) fullHelp() string {
	lines := m.helpLines()
	hint := "  (any key closes)"
	if len(lines) > m.bodyHeight()-1 {
		hint = fmt.Sprintf("  (↓/↑ scroll, lines %d-%d of %d; any other key closes)", m.helpOff+1, min(m.helpOff+m.bodyHeight()-1, len(lines)), len(lines))
	}
	title := m.c.Styles.Help.Title.Render("Keys for " + m.Top().Title() + hint)
	from := min(m.helpOff, max(len(lines)-1, 0))
	return common.Box(append([]string{title}, lines[from:]...), m.width, m.bodyHeight())
}

// helpLines are the full help below its title: the focused screen's keys,
// then the global ones.
func (m *Model) helpLines() []string {
	h := m.help
	h.ShowAll = true
	body := h.FullHelpView(filterEnabled(m.Top().FullHelp()))
	lines := append([]string{""}, strings.Split(body, "\n")...)
	lines = append(lines, "", m.c.Styles.Help.Title.Render("Everywhere"))
	return append(lines, strings.Split(h.FullHelpView([][]key.Binding{m.c.Keys.FullHelp()}), "\n")...)
}

// helpScroll scrolls the full help when it is taller than the screen.
func (m *Model) helpScroll(msg tea.KeyPressMsg) bool {
	n := len(m.helpLines())
	page := max(m.bodyHeight()-1, 1)
	if n <= page {
		return false
	}
	switch msg.String() {
	case "down", "j":
		m.helpOff = min(m.helpOff+1, n-page)
	case "up", "k":
		m.helpOff = max(m.helpOff-1, 0)
	case "pgdown", "space":
		m.helpOff = min(m.helpOff+page, n-page)
	case "pgup":
		m.helpOff = max(m.helpOff-page, 0)
	default:
		return false
	}
	return true
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
	left := st.Key.Render(" " + shortDB(common.CleanLine(m.opts.DBPath), max(16, m.width/3)) + " ")
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
		text := common.CleanLine(m.status.Text)
		frame := ansi.StringWidth(style.Render(" x ")) - 1 // the message's padding
		if avail := m.width - ansi.StringWidth(left) - 1 - frame; ansi.StringWidth(text) > avail {
			// Cut: the log has it whole.
			const hint = " (@ shows all)"
			text = common.Trunc(text, max(avail-len(hint), 1)) + hint
		}
		msg = style.Render(" " + text + " ")
	}
	return st.Bar.Render(common.Fit(left+" "+msg, m.width))
}

// shortDB is the database as the status bar names it, in at most width
// cells: a PostgreSQL address without its query (connection options, not
// which database), and a long path cut at the front, whose end says most.
func shortDB(path string, width int) string {
	if u, err := url.Parse(path); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.RawQuery, u.ForceQuery = "", false
		path = u.String()
	}
	if w := ansi.StringWidth(path); w > width {
		path = "…" + ansi.TruncateLeft(path, w-width+1, "")
	}
	return path
}

// topQuit is what q does on the prompt list.
var topQuit = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))
